"""PTEN in an unannotated VCF, from the gene table's exons 1-9 (NM_000314.8 / ENST00000371953,
+ strand; sources in rules/genes.yaml and rules/SOURCES.md, "PTEN coding-exon table").

PTEN-LOF-TRASTUZUMAB-R is a loss-of-function rule (``gene_class``) that requires ERBB2
amplification in breast cancer (BRCA and below): an unannotated PTEN frameshift or canonical
splice-site change fires it when the sample's ``--cnv`` amplifies ERBB2, which was listed as
unclassified ("the gene table lists no coding exons for PTEN") before the table had exons.

Coordinates: exon 5's coding part c.254-492 is GRCh37 10:89692770-89693008 and GRCh38
10:87933013-87933251; exon 6 (c.493-634) starts at 89711875 / 87952118; exon 9 (c.1027-1212,
the last) is 89725044-89725229 / 87965287-87965472. GRCh38 = GRCh37 - 1759757 for the whole
gene. Without a FASTA only positions and lengths count, so the bases below are arbitrary
except where a c. position's base is checked (R130: c.388C, c.389G).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from annotator.genomic import GenomicAnnotator, GenomicResult
from annotator.models import Variant, VariantClass
from annotator.rules import RuleSet, load_rules
from tests.runs import run_json
from tests.vcfgen import vcf_text, write_vcf

BUILDS = ("GRCh37", "GRCh38")
OFFSET = {"GRCh37": 0, "GRCh38": -1759757}
CHROM = {"GRCh37": "10", "GRCh38": "chr10"}
CONTIGS = {
    "GRCh37": {"10": 135534747, "17": 81195210},
    "GRCh38": {"chr10": 133797422, "chr17": 83257441},
}
#: GRCh37 positions (the GRCh38 ones are these + OFFSET).
C388 = 89692904  # R130: c.388 (CGA: C), exon 5
EXON5_END = 89693008  # c.492
EXON6_START = 89711875  # c.493
EXON9_START, EXON9_END = 89725044, 89725229  # c.1027, c.1212 (last base of the stop codon)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def annotate(rules: RuleSet, build: str, pos: int, ref: str, alt: str) -> GenomicResult:
    annotator = GenomicAnnotator(rules.genes, build, rules.hotspot_index(build))
    variant = Variant(CHROM[build], pos + OFFSET[build], ref, alt, record_index=1)
    return annotator.annotate(variant)


def run(
    tmp_path: Path, build: str, records: list[tuple[int, str, str, str]], *, erbb2_cn: int = 12
) -> dict[str, Any]:
    lines = [
        f"{CHROM[build]}\t{pos + OFFSET[build]}\t{name}\t{ref}\t{alt}\t.\tPASS\t.\tGT\t0/1"
        for pos, name, ref, alt in sorted(records)
    ]
    text = vcf_text(
        lines,
        contigs=CONTIGS[build],
        info_lines=(),
        format_lines=('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',),
    )
    cnv = tmp_path / "genes.tsv"
    cnv.write_text(f"gene\tcopy_number\nERBB2\t{erbb2_cn}\n", encoding="utf-8")
    return run_json(write_vcf(tmp_path, text, "vcf"), "BRCA", genome=build, cnv=cnv)


def findings(data: dict[str, Any], rule_id: str) -> dict[int, str]:
    return {
        f["variant"]["pos"]: f["alteration"]
        for f in data["findings"]
        if f["rule_id"] == rule_id and f["tumor_type_match"] == "on_label"
    }


def test_the_table_covers_the_coding_sequence_in_both_builds(rules: RuleSet) -> None:
    """Nine exons, c.1-1212 without a gap (403 codons and the stop), each span as long as its
    c. range, and GRCh38 = GRCh37 - 1759757 at both ends of every exon."""
    spec = rules.genes["PTEN"]
    assert spec.exon_count == 9
    exons = sorted(spec.exons, key=lambda exon: exon.number)
    assert [exon.number for exon in exons] == list(range(1, 10))
    assert exons[0].cds_start == 1
    assert exons[-1].cds_end == 1212 == 3 * 404
    for before, after in itertools.pairwise(exons):
        assert after.cds_start == before.cds_end + 1
    for exon in exons:
        grch37, grch38 = exon.spans["GRCh37"], exon.spans["GRCh38"]
        assert grch37.end - grch37.start == exon.cds_end - exon.cds_start
        assert (grch38.start, grch38.end) == (grch37.start - 1759757, grch37.end - 1759757)


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize(
    ("offset", "ref", "alt", "c_pos"), [(0, "C", "T", 388), (1, "G", "A", 389)]
)
def test_r130_is_exon_5_c388_c389(
    rules: RuleSet, build: str, offset: int, ref: str, alt: str, c_pos: int
) -> None:
    """R130 (c.388C>T = R130*, c.389G>A = R130Q; GRCh37 10:89692904/89692905, GRCh38
    87933147/87933148) falls in exon 5 at codon 130."""
    result = annotate(rules, build, C388 + offset, ref, alt)
    (alteration,) = result.alterations
    assert alteration.gene == "PTEN"
    assert alteration.transcript == "ENST00000371953"
    assert (alteration.exon, alteration.exon_count) == (5, 9)
    assert alteration.hgvsc == f"c.{c_pos}{ref}>{alt}"
    assert alteration.codon_change is not None
    assert (alteration.codon_change.codon, alteration.codon_change.position) == (130, 1 + offset)


@pytest.mark.parametrize("build", BUILDS)
def test_a_frameshift_fires_the_trastuzumab_resistance_rule_with_erbb2_amplified(
    tmp_path: Path, build: str
) -> None:
    """c.389del (exon 5) in a HER2-amplified breast cancer: PTEN-LOF-TRASTUZUMAB-R, on
    label, and trastuzumab is conflicting beside the level-A ERBB2 rule."""
    data = run(tmp_path, build, [(C388, "c389del", "CG", "C")])
    assert findings(data, "PTEN-LOF-TRASTUZUMAB-R") == {C388 + OFFSET[build]: "frameshift"}
    assert data["unclassified"] == []
    calls = {call["therapy"]: call["call"] for call in data["therapy_calls"]}
    assert calls["trastuzumab"] == "conflicting"


@pytest.mark.parametrize("build", BUILDS)
def test_without_erbb2_amplification_the_rule_does_not_fire(tmp_path: Path, build: str) -> None:
    data = run(tmp_path, build, [(C388, "c389del", "CG", "C")], erbb2_cn=2)
    assert "PTEN-LOF-TRASTUZUMAB-R" not in {f["rule_id"] for f in data["findings"]}


@pytest.mark.parametrize("build", BUILDS)
def test_an_inframe_deletion_in_a_listed_exon_is_placed(rules: RuleSet, build: str) -> None:
    result = annotate(rules, build, C388 + 10, "GAAA", "G")
    (alteration,) = result.alterations
    assert alteration.variant_class is VariantClass.INFRAME_DELETION
    assert (alteration.exon, alteration.exon_count) == (5, 9)


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize(
    ("pos", "variant_class", "hgvsc"),
    [
        (EXON5_END + 1, VariantClass.SPLICE_DONOR, "c.492+1"),
        (EXON5_END + 2, VariantClass.SPLICE_DONOR, "c.492+2"),
        (EXON6_START - 1, VariantClass.SPLICE_ACCEPTOR, "c.493-1"),
        (EXON6_START - 2, VariantClass.SPLICE_ACCEPTOR, "c.493-2"),
        (89624305 + 1, VariantClass.SPLICE_DONOR, "c.79+1"),  # after exon 1's coding part
        (EXON9_START - 2, VariantClass.SPLICE_ACCEPTOR, "c.1027-2"),  # the last exon's
    ],
)
def test_canonical_splice_site_snvs_are_splice_variants(
    rules: RuleSet, build: str, pos: int, variant_class: VariantClass, hgvsc: str
) -> None:
    (alteration,) = annotate(rules, build, pos, "G", "T").alterations
    assert alteration.variant_class is variant_class
    assert alteration.hgvsc is not None
    assert alteration.hgvsc.startswith(hgvsc)


@pytest.mark.parametrize("build", BUILDS)
def test_a_splice_donor_snv_fires_the_rule_end_to_end(tmp_path: Path, build: str) -> None:
    data = run(tmp_path, build, [(EXON5_END + 1, "c492p1", "G", "T")])
    assert findings(data, "PTEN-LOF-TRASTUZUMAB-R") == {EXON5_END + 1 + OFFSET[build]: "c.492+1G>T"}


@pytest.mark.parametrize("build", BUILDS)
def test_an_intronic_variant_is_classified_as_vep_would(tmp_path: Path, build: str) -> None:
    """c.492+10: the table lists every PTEN coding exon (c.1 in exon 1 through exon 9, the
    last), so a change between exons 5 and 6 that touches neither nor their splice sites is
    an intron variant, as VEP says: classified, no rule takes it, not unclassified; counted."""
    data = run(tmp_path, build, [(EXON5_END + 10, "c492p10", "G", "A")])
    assert [f["gene"] for f in data["findings"]] == ["ERBB2"]  # the --cnv amplification's
    assert data["unclassified"] == []
    assert data["summary"]["alleles_in_rule_genes"] == 1


@pytest.mark.parametrize("build", BUILDS)
def test_intron_variants_of_the_table(rules: RuleSet, build: str) -> None:
    """Each intron base from +3 (the splice sites are +1, +2) to -3, and deletions inside
    the intron, are intron variants on the MANE transcript; a deletion reaching a splice
    site is not."""
    for pos, ref, alt in [
        (EXON5_END + 3, "G", "A"),
        ((EXON5_END + EXON6_START) // 2, "G", "T"),
        (EXON6_START - 3, "A", "G"),
        (EXON5_END + 3, "GACGT", "G"),
        (EXON6_START - 8, "GACGT", "G"),  # deletes -7 to -4
    ]:
        (alteration,) = annotate(rules, build, pos, ref, alt).alterations
        assert alteration.variant_class is VariantClass.OTHER
        assert alteration.consequence_terms == ("intron_variant",)
        assert alteration.preferred
        assert alteration.transcript == rules.genes["PTEN"].ensembl_transcript
    reaching = annotate(rules, build, EXON6_START - 5, "GACGT", "G").alterations  # -4 to -1
    assert [a.variant_class for a in reaching] == [VariantClass.SPLICE_ACCEPTOR]


@pytest.mark.parametrize("build", BUILDS)
def test_a_variant_before_the_coding_sequence_stays_unclassified(
    tmp_path: Path, build: str
) -> None:
    """c.-10 (exon 1's 5' UTR, before c.1 at GRCh37 89624227): not between coding exons, so
    the table does not say what it is; listed with the reason that names the table's exons."""
    data = run(tmp_path, build, [(89624227 - 10, "cminus10", "G", "A")])
    (entry,) = data["unclassified"]
    assert entry["gene"] == "PTEN"
    assert entry["variant"]["pos"] == 89624227 - 10 + OFFSET[build]
    assert entry["reason"].startswith("outside the coding exons the gene table lists (PTEN 1-9)")


@pytest.mark.parametrize("build", BUILDS)
def test_the_last_exon_has_no_donor_after_the_stop_codon(rules: RuleSet, build: str) -> None:
    """c.*1 and c.*2 are 3' UTR bases of exon 9 (exon_count 9): a note, not a splice donor."""
    for offset in (1, 2):
        result = annotate(rules, build, EXON9_END + offset, "A", "G")
        assert result.alterations == []
        ((gene, reason),) = result.notes
        assert gene == "PTEN"
        assert "outside the coding exons" in reason


@pytest.mark.parametrize("build", BUILDS)
def test_a_frameshift_in_the_last_exon_escapes_nmd(rules: RuleSet, build: str) -> None:
    (alteration,) = annotate(rules, build, EXON9_START + 20, "GA", "G").alterations
    assert alteration.variant_class is VariantClass.FRAMESHIFT
    assert (alteration.exon, alteration.exon_count) == (9, 9)
    assert alteration.escapes_nmd


@pytest.mark.parametrize(
    "update",
    [
        pytest.param(lambda spec: {"exon_count": None}, id="no-exon-count"),
        pytest.param(lambda spec: {"exon_count": 10}, id="a-later-exon"),
        pytest.param(
            lambda spec: {"exons": [e for e in spec.exons if e.number != 5]}, id="exon-5-missing"
        ),
    ],
)
@pytest.mark.parametrize("build", BUILDS)
def test_an_incomplete_table_says_nothing_about_introns(
    rules: RuleSet, update: Any, build: str
) -> None:
    """Between exons 6 and 7 (c.634+10): only a table that lists every coding exon through the
    transcript's last one makes it an intron variant; otherwise a coding exon could be there."""
    spec = rules.genes["PTEN"]
    changed = spec.model_copy(update=update(spec))
    annotator = GenomicAnnotator({"PTEN": changed}, build, {})
    exon6_end = EXON6_START + (634 - 493)
    result = annotator.annotate(
        Variant(CHROM[build], exon6_end + 10 + OFFSET[build], "G", "A", record_index=1)
    )
    assert result.alterations == []
    ((gene, reason),) = result.notes
    assert gene == "PTEN"
    assert reason.startswith("outside the coding exons the gene table lists")
