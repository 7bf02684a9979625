"""The exon tables of MAP2K1 (NM_002755.4 / ENST00000307102, exons 1-11) and MET (NM_000245.4
/ ENST00000397752, coding exons 2-21), both + strand, in an unannotated VCF (sources in
rules/genes.yaml and rules/SOURCES.md, "MAP2K1 coding-exon table", "MET coding-exon table").

The anchors are positions that public sources give together with their c. position on the
transcript (ClinVar rows of the hgvs test data, Mutalyzer, WGSA, CIViC, genebe, transvar;
listed in genes.yaml), not read from the tables: each must land on its c. position, exon and
codon through the table. A position stated as ``c.N-3`` or ``c.N+5`` gives c.N by that
offset. Without a FASTA only positions and lengths count; the bases are the sources' where
they are given.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.genomic import GenomicAnnotator, GenomicResult
from annotator.models import Variant, VariantClass
from annotator.rules import RuleSet, load_rules
from tests.runs import run_json
from tests.vcfgen import vcf_text, write_vcf

TRANSCRIPT = {"MAP2K1": "ENST00000307102", "MET": "ENST00000397752"}
EXON_COUNT = {"MAP2K1": 11, "MET": 21}
CHROM = {("MAP2K1", "GRCh37"): "15", ("MAP2K1", "GRCh38"): "chr15"}
CHROM |= {("MET", "GRCh37"): "7", ("MET", "GRCh38"): "chr7"}
CONTIGS = {
    "GRCh37": {"7": 159138663, "15": 102531392},
    "GRCh38": {"chr7": 159345973, "chr15": 101991189},
}

#: (gene, build, position, REF, ALT, c. position, exon).
ANCHORS = [
    ("MAP2K1", "GRCh37", 66727442, "T", "C", 158, 2),  # ClinVar 13350, NM_002755.3:c.158T>C
    ("MAP2K1", "GRCh38", 66435104, "T", "C", 158, 2),
    ("MAP2K1", "GRCh37", 66727455, "G", "T", 171, 2),  # Mutalyzer, NM_002755.3:c.171G>T
    ("MAP2K1", "GRCh37", 66729100, "T", "A", 308, 3),  # WGSA, NM_002755.3:exon3:c.308T>A
    # C121 (hotspots.yaml: c.361T>A is C121S); T>G is no hotspot, so the table places it.
    ("MAP2K1", "GRCh37", 66729153, "T", "G", 361, 3),
    ("MAP2K1", "GRCh38", 66436815, "T", "G", 361, 3),
    ("MAP2K1", "GRCh37", 66729162, "C", "T", 370, 3),  # CIViC, NM_002755.3:c.370C>T
    ("MET", "GRCh38", 116755352 + 3, "G", "A", 1702, 6),  # genebe, NM_000245.4:c.1702-3T>C
    ("MET", "GRCh38", 116777410, "A", "G", 3281, 16),  # genebe, NM_000245.4:c.3281A>G
    ("MET", "GRCh37", 116412023, "A", "T", 3008, 14),  # Y1003F, c.3008A>T
    ("MET", "GRCh37", 116412043, "G", "A", 3028, 14),  # transvar codon 1010: c.3028
    ("MET", "GRCh37", 116414935, "G", "A", 3029, 15),  # ... and c.3029
    # NM_001127500.3:c.3852+5 = NM_000245.4:c.3798+5 (the isoforms differ by 54 nt in exon 10)
    ("MET", "GRCh37", 116423528 - 5, "G", "A", 3798, 19),
    ("MET", "GRCh38", 116783474 - 5, "G", "A", 3798, 19),
]
#: (gene, build, the last base of a coding exon, its c. position, the first base of the next).
INTRONS = [
    ("MAP2K1", "GRCh37", 66737045, 568, 66774093),
    ("MAP2K1", "GRCh38", 66444707, 568, 66481755),
    ("MET", "GRCh37", 116423523, 3798, 116435709),
    ("MET", "GRCh38", 116783469, 3798, 116795655),
]
#: (gene, build, c.1, the first base of the last exon).
ENDS = [
    ("MAP2K1", "GRCh37", 66679686, 66782840),
    ("MAP2K1", "GRCh38", 66387348, 66490502),
    ("MET", "GRCh37", 116339139, 116435941),
    ("MET", "GRCh38", 116699085, 116795887),
]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def annotate(rules: RuleSet, gene: str, build: str, pos: int, ref: str, alt: str) -> GenomicResult:
    annotator = GenomicAnnotator(rules.genes, build, rules.hotspot_index(build))
    return annotator.annotate(Variant(CHROM[gene, build], pos, ref, alt, record_index=1))


@pytest.mark.parametrize(("gene", "build", "pos", "ref", "alt", "c_pos", "exon"), ANCHORS)
def test_public_anchors_land_on_their_c_positions(
    rules: RuleSet, gene: str, build: str, pos: int, ref: str, alt: str, c_pos: int, exon: int
) -> None:
    (alteration,) = annotate(rules, gene, build, pos, ref, alt).alterations
    assert alteration.gene == gene
    assert alteration.transcript == TRANSCRIPT[gene]
    assert alteration.source == "genomic"
    assert alteration.hgvsc == f"c.{c_pos}{ref}>{alt}"
    assert (alteration.exon, alteration.exon_count) == (exon, EXON_COUNT[gene])
    assert alteration.codon_change is not None
    assert alteration.codon_change.codon == (c_pos + 2) // 3


@pytest.mark.parametrize(("gene", "build", "last", "c_last", "next_first"), INTRONS)
def test_an_intron_has_its_splice_sites_and_intron_variants_between(
    rules: RuleSet, gene: str, build: str, last: int, c_last: int, next_first: int
) -> None:
    (donor,) = annotate(rules, gene, build, last + 1, "G", "A").alterations
    assert (donor.variant_class, donor.hgvsc) == (VariantClass.SPLICE_DONOR, f"c.{c_last}+1G>A")
    (acceptor,) = annotate(rules, gene, build, next_first - 2, "A", "G").alterations
    assert (acceptor.variant_class, acceptor.hgvsc) == (
        VariantClass.SPLICE_ACCEPTOR,
        f"c.{c_last + 1}-2A>G",
    )
    for pos in (last + 5, (last + next_first) // 2, next_first - 3):
        (alteration,) = annotate(rules, gene, build, pos, "G", "T").alterations
        assert alteration.consequence_terms == ("intron_variant",)


@pytest.mark.parametrize(("gene", "build", "c1", "last_exon_first"), ENDS)
def test_before_c1_is_unknown_and_a_frameshift_in_the_last_exon_escapes_nmd(
    rules: RuleSet, gene: str, build: str, c1: int, last_exon_first: int
) -> None:
    before = annotate(rules, gene, build, c1 - 10, "G", "A")
    assert before.alterations == []
    ((noted, reason),) = before.notes
    assert noted == gene
    assert reason.startswith(f"outside the coding exons the gene table lists ({gene} ")
    (frameshift,) = annotate(rules, gene, build, last_exon_first + 20, "GA", "G").alterations
    assert frameshift.variant_class is VariantClass.FRAMESHIFT
    assert (frameshift.exon, frameshift.exon_count) == (EXON_COUNT[gene],) * 2
    assert frameshift.escapes_nmd


@pytest.mark.parametrize(("gene", "build", "last", "c_last", "next_first"), INTRONS)
def test_an_intron_variant_is_classified_end_to_end(
    tmp_path: Path, gene: str, build: str, last: int, c_last: int, next_first: int
) -> None:
    """Before the tables these were unclassified ("the gene table lists no coding exons for
    MAP2K1", "outside the coding exons the gene table lists (MET 14)"); now intron
    variants, counted."""
    line = f"{CHROM[gene, build]}\t{last + 10}\tc{c_last}p10\tG\tA\t.\tPASS\t.\tGT\t0/1"
    text = vcf_text(
        [line],
        contigs=CONTIGS[build],
        info_lines=(),
        format_lines=('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',),
    )
    data = run_json(write_vcf(tmp_path, text, "vcf"), "LUAD", genome=build)
    assert data["findings"] == []
    assert data["unclassified"] == []
    assert data["summary"]["alleles_in_rule_genes"] == 1
