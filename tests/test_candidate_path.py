"""The per-candidate path of issue 7: counts kept without keeping record numbers, and the
same results whichever way the records reach the matcher (full pass, text prefilter,
``--explain``, ``--include-filtered``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotator.config import AnnotateConfig
from annotator.inputs import read_vcf_sample
from annotator.rules import load_rules
from tests.runs import run_json
from tests.vcfgen import vcf_text, write_vcf

# EGFR (GRCh38 chr7:55019017-55211628) holds the first records; chr12:1000 lies in no rule gene.
RECORDS = [
    "chr7\t55181378\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:60,40",  # T790M, a hotspot
    "chr7\t55181380\t.\tC\tG,A\t.\tgermline\t.\tGT:AD\t1/2:10,5,5",  # fails, two ALTs
    "chr7\t55181390\t.\tC\t.\t.\tgermline\t.\tGT\t0/0",  # fails, no ALT: not counted
    "chr7\t55181400\t.\tA\tG\t.\tweak_evidence;germline\t.\tGT:AD\t0/1:10,10",  # fails
    "chr7\t55191822\t.\tT\tG\t.\t.\t.\tGT:AD\t0/1:10,10",  # L858R, FILTER '.'
    "chr12\t1000\t.\tA\tG,T\t.\tgermline\t.\tGT:AD\t1/2:4,3,3",  # fails, outside: two ALTs
    "chr12\t2000\t.\tA\tG\t.\tPASS\t.\tGT:AD\t0/1:4,3",
    "chr12\t3000\t.\tA\t.\t.\tgermline\t.\tGT\t0/0",  # fails, outside, no ALT: not counted
]
FAILING_RECORDS = 3  # with an ALT
FAILING_ALLELES = 5


@pytest.fixture
def vcf(tmp_path: Path) -> Path:
    return write_vcf(tmp_path, vcf_text(RECORDS, info_lines=()), "vcf.gz")


@pytest.mark.parametrize(
    "options",
    [{"use_index": False}, {"prefilter": True}, {"use_index": False, "explain": True}],
    ids=["full-pass", "prefilter", "explain"],
)
def test_records_failing_filter_are_counted_once_each(vcf: Path, options: dict[str, Any]) -> None:
    summary = run_json(vcf, **options)["summary"]
    assert summary["records"] == len(RECORDS)
    assert summary["skipped_filtered"] == FAILING_RECORDS
    assert summary["alleles"] == 8
    assert summary["alleles_filtered"] == FAILING_ALLELES


def test_prefilter_full_pass_and_explain_agree(vcf: Path) -> None:
    full = run_json(vcf, use_index=False)
    assert run_json(vcf, prefilter=True) == full
    explained = run_json(vcf, use_index=False, explain=True)
    assert {key: explained[key] for key in full if key != "near_misses"} == {
        key: full[key] for key in full if key != "near_misses"
    }


def test_include_filtered_counts_no_record_as_skipped(vcf: Path) -> None:
    summary = run_json(vcf, prefilter=True, include_filtered=True)["summary"]
    assert summary["skipped_filtered"] == 0
    assert summary["alleles_annotated"] == summary["alleles"] == 8


def test_unannotated_alleles_carry_their_rule_genes(vcf: Path) -> None:
    rules = load_rules((), bundled=True)
    small = read_vcf_sample(AnnotateConfig(input=vcf, tumor_type="LUAD", use_index=False), rules)
    assert small.filtered_records == FAILING_RECORDS
    assert [(a.variant.pos, a.genes) for a in small.alleles] == [
        (55181378, ("EGFR",)),
        (55191822, ("EGFR",)),
    ]
    # The same gene tuple object for both: shared, not one per allele.
    assert small.alleles[0].genes is small.alleles[1].genes


def test_annotation_strings_are_let_go_once_resolved(tmp_path: Path) -> None:
    """The raw CSQ string is dropped after resolution; what was read from it stays."""
    csq = "CSQ=T|missense_variant|EGFR|ENST00000275493.7|p.Thr790Met"
    record = f"chr7\t55181378\t.\tC\tT\t.\tPASS\t{csq}\tGT:AD\t0/1:60,40"
    header = (
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
        'Ensembl VEP. Format: Allele|Consequence|SYMBOL|Feature|HGVSp">'
    )
    path = write_vcf(tmp_path, vcf_text([record], info_lines=(header,)), "vcf")
    rules = load_rules((), bundled=True)
    small = read_vcf_sample(AnnotateConfig(input=path, tumor_type="LUAD", use_index=False), rules)
    [allele] = small.alleles
    assert allele.annotated
    assert small.annotated_records == 1
    assert [(a.gene, a.hgvsp, a.preferred) for a in allele.alterations] == [
        ("EGFR", "p.Thr790Met", True)
    ]
    assert dict(allele.variant.annotations) == {}
