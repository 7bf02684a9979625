"""Indels inside a listed coding exon of an unannotated VCF: classified by the exon table (class
and exon, no protein change), so an exon or loss-of-function rule can fire on them; when none
does, each is listed as unclassified with its class and codons, never left out. The last test
checks that no unannotated allele in a rule gene is left out, whatever it is.

Coordinates are the real gene table's (rules/genes.yaml, sources in rules/SOURCES.md), GRCh38:
KRAS (- strand) exon 2 c.1-111 = chr12:25245384-25245274, EGFR exon 19 c.2185-2283 =
chr7:55174722-55174820 (c.2235_2249del = the E746_A750del of the hotspot table, written here as
a deletion of 15 arbitrary bases so that no hotspot matches), BRCA2 exon 26 ends at c.9648 =
chr13:32397044. Without a FASTA only positions and lengths count, so the bases are arbitrary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotator.genomic import GenomicAnnotator
from annotator.models import Variant, VariantClass
from annotator.rules import load_rules
from tests.runs import run_json
from tests.vcfgen import GRCH38_RULE_CONTIGS, vcf_text, write_vcf

CONTIGS = GRCH38_RULE_CONTIGS
SAMPLE = "GT:AD:AF:DP\t0/1:60,40:0.4:100"


def run(
    tmp_path: Path, records: list[tuple[str, int, str, str]], tumor_type: str
) -> dict[str, Any]:
    lines = [
        f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\t{SAMPLE}" for chrom, pos, ref, alt in records
    ]
    path = write_vcf(tmp_path, vcf_text(lines, contigs=CONTIGS, info_lines=()), "vcf")
    return run_json(path, tumor_type, genome="GRCh38")


def test_kras_exon_2_indels_are_unclassified_with_class_and_codons(tmp_path: Path) -> None:
    """A codon rule (KRAS G12/G13 in colorectal cancer) needs the protein change, which the
    table cannot give: each indel is listed, none is dropped."""
    data = run(
        tmp_path,
        [
            ("chr12", 25245348, "C", "CGCC"),  # between c.37 and c.36: codons 12-13
            ("chr12", 25245340, "CGCC", "C"),  # c.42-c.44 deleted: codons 14-15
            ("chr12", 25245330, "C", "CG"),  # between c.55 and c.54: frameshift, codons 18-19
        ],
        "COAD",
    )
    assert data["findings"] == []
    hint = "the protein change needs the reference sequence"
    assert [
        (u["gene"], u["variant"]["pos"], u["reason"].split(";")[0]) for u in data["unclassified"]
    ] == [
        ("KRAS", 25245348, "inframe_insertion in KRAS codons 12-13"),
        ("KRAS", 25245340, "inframe_deletion in KRAS codons 14-15"),
        ("KRAS", 25245330, "frameshift in KRAS codons 18-19"),
    ]
    assert all(hint in u["reason"] for u in data["unclassified"])
    assert data["summary"]["unclassified"] == 3


def test_an_indel_a_rule_takes_is_not_unclassified(tmp_path: Path) -> None:
    """EGFR exon 19 deletion (the exon rule) and a BRCA2 frameshift in exon 26 (the
    loss-of-function rule) fire: neither is listed as unclassified."""
    deleted = "A" + "C" * 15  # c.2235_2249del: 15 bases after chr7:55174771
    data = run(
        tmp_path,
        [("chr7", 55174771, deleted, "A"), ("chr13", 32397034, "GA", "G")],
        "LUAD",
    )
    fired = {(f["variant"]["pos"], f["rule_id"]) for f in data["findings"]}
    assert (55174771, "EGFR-EX19DEL-EGFRTKI-S") in fired
    assert 32397034 in {pos for pos, _ in fired}  # BRCA2 loss of function (off-label here)
    assert data["unclassified"] == []


def test_no_unannotated_allele_in_a_rule_gene_is_left_out(tmp_path: Path) -> None:
    """Around every listed exon of every rule gene (its edges, the splice sites, the middle)
    and at fixed points of each span: SNVs, MNVs, deletions and insertions. Each allele is a
    finding, unclassified, or a splice donor/acceptor or intron variant the table classified
    that no rule of its gene takes (as a VEP-annotated one would be: classified, no rule):
    none is left out. The
    genes whose rules take no small variant (TYMS, ERBB2, BCR ...) are the exception: no
    allele of theirs is unclassified (find_unclassified)."""
    rules = load_rules()
    records = []
    without_small_variant_rules: set[tuple[str, int, str, str]] = set()
    for symbol, spec in rules.genes.items():
        span = spec.spans.get("GRCh38")
        if span is None:
            continue
        points = {span.start + (span.end - span.start) * k // 7 for k in range(1, 7)}
        for exon in spec.exons:
            placed = exon.spans.get("GRCh38")
            if placed is not None:
                for edge in (placed.start, placed.end):
                    points.update(range(edge - 3, edge + 4))
                points.add((placed.start + placed.end) // 2)
        alleles = [
            (f"chr{span.chrom}", pos, ref, alt)
            for pos in sorted(points)
            for ref, alt in (("A", "G"), ("AC", "GT"), ("AC", "A"), ("ACGT", "A"), ("A", "AT"))
        ]
        records.extend(alleles)
        if symbol not in rules.small_variant_genes:
            without_small_variant_rules.update(alleles)
    order = {name: index for index, name in enumerate(CONTIGS)}
    records.sort(key=lambda r: (order[r[0]], r[1]))
    data = run(tmp_path, records, "LUAD")
    seen = {
        (
            item["variant"]["chrom"],
            item["variant"]["pos"],
            item["variant"]["ref"],
            item["variant"]["alt"],
        )
        for item in [*data["findings"], *data["unclassified"]]
        if item.get("variant")
    }
    annotator = GenomicAnnotator(rules.genes, "GRCh38", rules.hotspot_index("GRCh38"))
    assert without_small_variant_rules
    assert seen.isdisjoint(without_small_variant_rules)
    left_out = []
    for chrom, pos, ref, alt in records:
        if (chrom, pos, ref, alt) in seen or (chrom, pos, ref, alt) in without_small_variant_rules:
            continue
        result = annotator.annotate(Variant(chrom, pos, ref, alt, record_index=1))
        classes = {
            "intron" if a.consequence_terms == ("intron_variant",) else a.variant_class
            for a in result.alterations
        }
        if not classes or not classes <= {
            VariantClass.SPLICE_DONOR,
            VariantClass.SPLICE_ACCEPTOR,
            "intron",
        }:
            left_out.append((chrom, pos, ref, alt, sorted(c.value for c in classes)))
    assert len(records) > 3000
    assert left_out == []


def test_an_in_frame_indel_is_placed_on_its_codons_for_protein_range_rules(
    tmp_path: Path,
) -> None:
    """A protein_range rule needs only where an in-frame indel lies and its class: the table
    gives both. BRCA2 (+ strand) exon 11 c.1910-6841 = chr13:32336265-32341196: a 3-base
    deletion of c.2646-2648 (codons 882-883) fires the reversion rule
    (BRCA2-REVERSION-PARPI-PLATINUM-R) with a frameshift (loss of function) beginning next to
    it (c.2650, codon 884), not with one beginning a thousand bases away (codon 1215: its
    condition wants the loss-of-function site within the deletion's codons, give or take
    one), which leaves it unclassified; so is an in-frame deletion nowhere near a rule's range
    (KRAS codons 14-15, test above)."""
    deletion = ("chr13", 32337000, "ACGT", "A")
    for frameshift, fires in (
        (("chr13", 32337004, "GA", "G"), True),
        (("chr13", 32338000, "GA", "G"), False),
    ):
        (tmp_path / str(fires)).mkdir()
        data = run(tmp_path / str(fires), [deletion, frameshift], "HGSOC")
        fired = {
            (f["variant"]["pos"], f["rule_id"]): f["alteration"]
            for f in data["findings"]
            if f.get("variant")
        }
        reversion = fired.get((32337000, "BRCA2-REVERSION-PARPI-PLATINUM-R"))
        assert reversion == ("inframe_deletion (codons 882-883)" if fires else None)
        assert (frameshift[1], "BRCA2-REVERSION-PARPI-PLATINUM-R") not in fired
        assert (frameshift[1], "BRCA2-LOF-PARPI-OV-S") in fired
        # Where no rule takes it, the deletion is listed with its codons, as any unannotated
        # in-frame indel of a rule gene.
        unclassified = [(u["variant"]["pos"], u["reason"][:32]) for u in data["unclassified"]]
        assert unclassified == ([] if fires else [(32337000, "inframe_deletion in BRCA2 codons")])
    annotator = GenomicAnnotator(load_rules().genes, "GRCh38", {})
    (alteration,) = annotator.annotate(
        Variant("chr13", 32337000, "ACGT", "A", record_index=1)
    ).alterations
    assert (alteration.variant_class, alteration.codons) == (
        VariantClass.INFRAME_DELETION,
        (882, 883),
    )
    (frameshift,) = annotator.annotate(
        Variant("chr13", 32338000, "GA", "G", record_index=1)
    ).alterations
    assert frameshift.codons is None
