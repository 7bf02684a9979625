"""The prefilter's candidates of an unannotated VCF decided from their text by the gene tables
(annotator.candidate_triage.TableTriage): the results are those of parsing every candidate, and
the decision taken once for the SNVs of a piece of a gene (GenomicAnnotator.snv_piece) is taken
only where the place cannot decide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import annotator.inputs
import annotator.parts
from annotator.candidate_triage import PARSE, UNEVENTFUL, TableTriage
from annotator.gene_regions import GeneLocator
from annotator.genomic import GenomicAnnotator, GenomicResult
from annotator.matcher import RuleMatcher
from annotator.models import Variant
from annotator.rules import load_rules
from annotator.tumor_types import load_oncotree
from tests.generated import make_vcf
from tests.runs import run_json
from tests.test_candidate_triage import decisions, without_triage
from tests.vcfgen import vcf_text, write_vcf

RULES = load_rules()
GENOTYPE = "GT:AD:DP\t0/1:30,20:50"


class CountingAnnotator(GenomicAnnotator):
    """The gene tables, counting the alleles they are asked about."""

    asked = 0

    def annotate(self, variant: Variant) -> GenomicResult:
        self.asked += 1
        return super().annotate(variant)


@pytest.fixture
def triage() -> TableTriage:
    genomic = CountingAnnotator(RULES.genes, "GRCh38", RULES.hotspot_index("GRCh38"))
    matcher = RuleMatcher(RULES, build="GRCh38", tumor_type="LUAD", oncotree=load_oncotree())
    return TableTriage(genomic, GeneLocator(RULES.genes, "GRCh38"), matcher)


def asked(triage: TableTriage) -> int:
    genomic = triage.genomic
    assert isinstance(genomic, CountingAnnotator)
    return genomic.asked


def snv(pos: int, ref: str = "C", alt: str = "T", filters: str = "PASS") -> tuple[Any, ...]:
    return b"chr7", pos, ref.encode(), alt.encode(), filters.encode(), b"DP=50;SOMATIC"


def test_the_snvs_of_an_intron_piece_are_decided_once(triage: TableTriage) -> None:
    # EGFR intron 19 (exon 20 holds T790, c.2369 at 7:55181378)
    assert triage(*snv(55181000)) == UNEVENTFUL
    assert asked(triage) == 1
    assert triage(*snv(55181010, "A", "G")) == UNEVENTFUL
    assert triage(*snv(55181001, "G", "C")) == UNEVENTFUL
    assert asked(triage) == 1  # the same piece, the same rule genes


def test_an_indel_in_an_intron_is_asked_each_time(triage: TableTriage) -> None:
    assert triage(b"chr7", 55181000, b"CA", b"C", b"PASS", b".") == UNEVENTFUL
    assert triage(b"chr7", 55181010, b"C", b"CAT", b"PASS", b".") == UNEVENTFUL
    assert asked(triage) == 2  # an indel's extent is not one place


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        (snv(55181390, "G", "A"), "an SNV in a coding exon: the table gives its codon"),
        (snv(55181378, "C", "T"), "EGFR T790M, a hotspot: a rule fires"),
        (snv(55181378, "C", "A"), "a hotspot's place, another allele: a coding SNV"),
        (snv(55019100), "outside the coding exons: a note, an unclassified variant"),
        (snv(55181000, filters="weak_evidence"), "failing FILTER"),
        ((b"chr7", 55181000, b"C", b"T,G", b"PASS", b"."), "two ALTs"),
        ((b"chr7", 55181000, b"C", b"<DEL>", b"PASS", b"."), "a symbolic ALT"),
        ((b"chr7", 55181000, b"c", b"t", b"PASS", b"."), "bases not as the reader writes them"),
        ((b"chr7", 55181000, b"C", b"C", b"PASS", b"."), "no change"),
    ],
)
def test_what_the_triage_leaves_to_the_parse(
    triage: TableTriage, fields: tuple[Any, ...], why: str
) -> None:
    assert triage(*fields) is PARSE, why


def test_outside_the_regions_nothing_is_decided(triage: TableTriage) -> None:
    assert triage(*snv(1_000_000), False) is PARSE


def test_a_no_change_snv_in_a_decided_piece_is_still_parsed(triage: TableTriage) -> None:
    assert triage(*snv(55181000)) == UNEVENTFUL
    assert triage(b"chr7", 55181003, b"G", b"G", b"PASS", b".") is PARSE


def test_a_gene_without_exons_leaves_its_snvs_to_the_parse(triage: TableTriage) -> None:
    bcr = RULES.genes["BCR"].spans["GRCh38"]
    assert not RULES.genes["BCR"].exons  # else another gene is needed here
    fields = (f"chr{bcr.chrom}".encode(), bcr.start + 1000, b"C", b"T", b"PASS", b".")
    assert triage(*fields) is PARSE
    assert triage(*fields) is PARSE


def test_records_of_one_piece_give_what_parsing_them_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Intron SNVs of EGFR around a T790M finding, one with REF = ALT, and an indel."""
    lines = [
        f"chr7\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\t{GENOTYPE}"
        for pos, ref, alt in [
            (55181000, "C", "T"),
            (55181003, "G", "G"),
            (55181010, "A", "G"),
            (55181020, "CA", "C"),
            (55181378, "C", "T"),
        ]
    ]
    path = write_vcf(tmp_path, vcf_text(lines, info_lines=()), "vcf.gz")
    counted = decisions(monkeypatch, TableTriage)
    triaged = run_json(path, "LUAD", prefilter=True, threads=1)
    assert counted == {UNEVENTFUL: 3, PARSE: 2}
    assert [f["rule_id"] for f in triaged["findings"]][:1] == ["EGFR-T790M-1GTKI-R"]
    without_triage(monkeypatch)
    assert run_json(path, "LUAD", prefilter=True, threads=1) == triaged
    assert run_json(path, "LUAD", use_index=False) == triaged


@pytest.fixture(scope="module")
def unannotated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unannotated file as the benchmarks make them (20,000 records)."""
    out = tmp_path_factory.mktemp("unannotated") / "g20k.vcf.gz"
    return make_vcf(out, "--records", "20000", "--seed", "12", "--no-csq")


@pytest.mark.parametrize("threads", [1, 2])
def test_a_generated_vcf_gives_the_result_of_parsing_every_candidate(
    unannotated: Path, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(TMB needs an annotated VCF: no TMB here.)"""
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    counted = decisions(monkeypatch, TableTriage)
    triaged = run_json(unannotated, "LUAD", prefilter=True, threads=threads)
    if threads == 1:  # the worker's decisions are its own
        assert counted[UNEVENTFUL] > 100
        assert counted[PARSE] > 100
    assert triaged["findings"]
    assert triaged["unclassified"]
    without_triage(monkeypatch)
    assert run_json(unannotated, "LUAD", prefilter=True, threads=threads) == triaged
    assert run_json(unannotated, "LUAD", use_index=False) == triaged


ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("build", ["grch37", "grch38"])
def test_real_unannotated_files_give_the_result_of_the_full_pass(
    build: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PCGR's T001-COAD tumor VCF (tests/data/SOURCES.md): an intron SNV of a rule gene taken,
    coding and unclassified alleles parsed."""
    path = ROOT / f"tests/data/pcgr.T001-COAD.{build}.vcf.gz"
    counted = decisions(monkeypatch, TableTriage)
    triaged = run_json(path, "COAD", prefilter=True, threads=1)
    assert counted[UNEVENTFUL] >= 1
    assert counted[PARSE] >= 3
    assert triaged["findings"]
    assert run_json(path, "COAD", use_index=False) == triaged
