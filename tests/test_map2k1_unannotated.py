"""MAP2K1 in an unannotated VCF, from the gene table's exons 1-11 (NM_002755.4 /
ENST00000307102, + strand; sources in rules/genes.yaml and rules/SOURCES.md, "MAP2K1
coding-exon table").

The anchors below are positions public sources give together with their c. position on the
transcript (ClinVar rows of the hgvs test data, Mutalyzer, WGSA, CIViC; listed in
genes.yaml), not read from the exon table: each must land on its c. position through the
table, on both builds where the source gives both. Without a FASTA only positions and lengths
count; the bases are the sources' where they are given.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.genomic import GenomicAnnotator, GenomicResult
from annotator.models import Variant, VariantClass
from annotator.rules import RuleSet, load_rules
from tests.runs import run_json
from tests.vcfgen import vcf_text, write_vcf

BUILDS = ("GRCh37", "GRCh38")
CHROM = {"GRCh37": "15", "GRCh38": "chr15"}
CONTIGS = {"GRCh37": {"15": 102531392, "7": 159138663}, "GRCh38": {"chr15": 101991189}}

#: (c. position, exon, GRCh37 position, GRCh38 position or None, REF, ALT) of the anchors.
ANCHORS = [
    (158, 2, 66727442, 66435104, "T", "C"),  # ClinVar 13350, NM_002755.3:c.158T>C
    (171, 2, 66727455, None, "G", "T"),  # Mutalyzer test, NM_002755.3:c.171G>T
    (308, 3, 66729100, None, "T", "A"),  # WGSA, NM_002755.3:exon3:c.308T>A
    # C121 (hotspots.yaml: c.361T>A is C121S); T>G is not in the hotspot table, so the
    # exon table places it.
    (361, 3, 66729153, 66436815, "T", "G"),
    (370, 3, 66729162, None, "C", "T"),  # CIViC, NM_002755.3:c.370C>T
]
EXON5_END = {"GRCh37": 66737045, "GRCh38": 66444707}  # c.568
CODING_START = {"GRCh37": 66679686, "GRCh38": 66387348}  # c.1


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def annotate(rules: RuleSet, build: str, pos: int, ref: str, alt: str) -> GenomicResult:
    annotator = GenomicAnnotator(rules.genes, build, rules.hotspot_index(build))
    return annotator.annotate(Variant(CHROM[build], pos, ref, alt, record_index=1))


@pytest.mark.parametrize(
    ("build", "pos", "c_pos", "exon", "ref", "alt"),
    [
        (build, pos, c_pos, exon, ref, alt)
        for c_pos, exon, grch37, grch38, ref, alt in ANCHORS
        for build, pos in (("GRCh37", grch37), ("GRCh38", grch38))
        if pos is not None
    ],
)
def test_public_anchors_land_on_their_c_positions(
    rules: RuleSet, build: str, pos: int, c_pos: int, exon: int, ref: str, alt: str
) -> None:
    (alteration,) = annotate(rules, build, pos, ref, alt).alterations
    assert alteration.gene == "MAP2K1"
    assert alteration.transcript == "ENST00000307102"
    assert alteration.hgvsc == f"c.{c_pos}{ref}>{alt}"
    assert alteration.source == "genomic"
    assert (alteration.exon, alteration.exon_count) == (exon, 11)
    assert alteration.codon_change is not None
    assert alteration.codon_change.codon == (c_pos + 2) // 3


@pytest.mark.parametrize("build", BUILDS)
def test_an_intronic_variant_is_classified_as_vep_would(tmp_path: Path, build: str) -> None:
    """c.568+10, between exons 5 and 6: before the table it was listed as unclassified
    ("the gene table lists no coding exons for MAP2K1"); now an intron variant, counted."""
    line = f"{CHROM[build]}\t{EXON5_END[build] + 10}\tc568p10\tG\tA\t.\tPASS\t.\tGT\t0/1"
    text = vcf_text(
        [line],
        contigs=CONTIGS[build],
        info_lines=(),
        format_lines=('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',),
    )
    data = run_json(write_vcf(tmp_path, text, "vcf"), "SKCM", genome=build)
    assert data["findings"] == []
    assert data["unclassified"] == []
    assert data["summary"]["alleles_in_rule_genes"] == 1


@pytest.mark.parametrize("build", BUILDS)
def test_the_splice_sites_of_exon_5_and_the_utr_before_c1(rules: RuleSet, build: str) -> None:
    donor = annotate(rules, build, EXON5_END[build] + 1, "G", "A").alterations
    assert [a.variant_class for a in donor] == [VariantClass.SPLICE_DONOR]
    before = annotate(rules, build, CODING_START[build] - 10, "G", "A")
    assert before.alterations == []
    ((gene, reason),) = before.notes
    assert gene == "MAP2K1"
    assert reason.startswith("outside the coding exons the gene table lists (MAP2K1 1-11)")
