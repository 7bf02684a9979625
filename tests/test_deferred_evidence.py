"""VAF and depth read only for the alleles kept (VcfReader.defer_evidence): a deferred
reading gives the variants the eager one gives, and every allele a run keeps (findings,
unclassified, noted) has its evidence, by every path through the file."""

from __future__ import annotations

import dataclasses
from dataclasses import fields
from pathlib import Path
from typing import Any

import pysam
import pytest

import annotator.parts
import annotator.readers.vcf as vcf_reader
from annotator.config import AnnotateConfig
from annotator.models import Variant
from annotator.pipeline import run
from annotator.readers.vcf import VcfReader
from tests.vcfgen import FORMAT_LINES, PHASE_FORMAT_LINES, vcf_text, write_vcf

ROOT = Path(__file__).resolve().parents[1]

#: Files of several callers (their own VAF fields), with the sample to read.
CALLER_FILES = [
    ("tests/data/pcgr.T001-COAD.grch38.vcf.gz", None),
    ("tests/data/vcf2maf.test_strelka.grch37.vcf", "TUMOR"),
    ("tests/data/vcf2maf.test_mutect.grch37.vcf", "TUMOR"),
    ("test_data/tumor_normal_no_tag.vcf", "TUMOR"),
    ("test_data/luad.grch37.vep.vcf", None),
]


def _row(variant: Variant) -> dict[str, Any]:
    """A variant's fields by name (its annotations as a plain dict)."""
    row = {item.name: getattr(variant, item.name) for item in fields(variant)}
    row["annotations"] = dict(row["annotations"])
    return row


def _eager_and_deferred(
    path: Path, sample: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with VcfReader(path, sample=sample) as reader:
        eager = [_row(variant) for variant in reader]
    deferred = []
    with VcfReader(path, sample=sample) as reader:
        reader.defer_evidence()
        for variant in reader:
            before = (variant.vaf, variant.depth)
            reader.read_evidence(variant)
            deferred.append(_row(variant))
            assert before == (None, None)
    return eager, deferred


@pytest.mark.parametrize(("name", "sample"), CALLER_FILES)
def test_a_deferred_reading_gives_the_eager_one(name: str, sample: str | None) -> None:
    path = ROOT / name
    eager, deferred = _eager_and_deferred(path, sample)
    assert eager == deferred
    assert any(row["vaf"] is not None for row in eager)  # VAFs were read, not all missing


def test_a_multi_allelic_record_gives_each_allele_its_own_vaf(tmp_path: Path) -> None:
    records = ["chr7\t55181378\t.\tC\tT,G\t.\tPASS\t.\tGT:AD:DP\t0/1/2:50,30,20:100"]
    path = write_vcf(tmp_path, vcf_text(records, info_lines=()), "vcf")
    eager, deferred = _eager_and_deferred(path, None)
    assert eager == deferred
    assert [row["vaf"] for row in deferred] == [0.3, 0.2]
    assert [row["depth"] for row in deferred] == [100, 100]


def test_a_deferred_reading_gives_the_phase(tmp_path: Path) -> None:
    """GT with PS, a phased multi-allelic GT, and GATK's PGT/PID: the same phase sets and
    haplotypes as the eager reading."""
    records = [
        "chr7\t55181378\t.\tC\tT\t.\tPASS\t.\tGT:AD:DP:PS\t0|1:60,40:100:55181378",
        "chr7\t55181399\t.\tG\tC,A\t.\tPASS\t.\tGT:AD:DP:PS\t1|2:0,30,20:50:55181378",
        "chr7\t55181410\t.\tG\tA\t.\tPASS\t.\tGT:AD:DP:PGT:PID\t0/1:60,40:100:1|0:55181410_G_A",
        "chr7\t55181420\t.\tG\tA\t.\tPASS\t.\tGT:AD:DP\t0/1:60,40:100",
    ]
    text = vcf_text(records, format_lines=(*FORMAT_LINES, *PHASE_FORMAT_LINES), info_lines=())
    eager, deferred = _eager_and_deferred(write_vcf(tmp_path, text, "vcf"), None)
    assert eager == deferred
    phases = [(row["phase_set"], row["haplotype"]) for row in deferred]
    assert phases == [
        ("55181378", 1),
        ("55181378", 0),
        ("55181378", 1),
        ("55181410_G_A", 0),
        (None, None),
    ]


def test_each_variant_read_ahead_gets_its_own_record_and_one_left_behind_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        "chr7\t55181378\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:60,40",
        "chr7\t55181390\t.\tG\tA\t.\tPASS\t.\tGT:AD\t0/1:70,30",
    ]
    path = write_vcf(tmp_path, vcf_text(records, info_lines=()), "vcf")
    # Both records read ahead together: each variant is filled from its own record.
    with VcfReader(path) as reader:
        reader.defer_evidence()
        first, second = list(reader)
        reader.read_evidence(second)
        reader.read_evidence(first)
        with pytest.raises(RuntimeError, match="records read last"):
            reader.read_evidence(dataclasses.replace(first))  # equal, but not the one yielded
    assert (first.vaf, first.depth, second.vaf, second.depth) == (0.4, 100, 0.3, 100)
    # One record at a time: the record before is let go once the next one is read.
    monkeypatch.setattr(vcf_reader, "_READ_AHEAD", 1)
    with VcfReader(path) as reader:
        reader.defer_evidence()
        variants = iter(reader)
        first, second = next(variants), next(variants)
        with pytest.raises(RuntimeError, match="records read last"):
            reader.read_evidence(first)
        reader.read_evidence(second)
    assert (second.vaf, second.depth) == (0.3, 100)


# --- End to end: what a run keeps has its VAF ------------------------------------------------

#: T790M (a finding by the hotspot table), an EGFR missense (unclassified: no annotation, not a
#: hotspot), one far from any rule gene (not kept) and a variant in MET intron 1, before c.1
#: (outside the coding exons MET's table lists: a noted row).
UNANNOTATED = [
    "chr7\t55181378\t.\tC\tT\t.\tPASS\t.\tGT:AD:DP\t0/1:60,40:100",
    "chr7\t55181390\t.\tG\tA\t.\tPASS\t.\tGT:AD:DP\t0/1:75,25:100",
    "chr7\t100000000\t.\tG\tA\t.\tPASS\t.\tGT:AD:DP\t0/1:50,50:100",
    "chr7\t116690000\t.\tG\tA\t.\tPASS\t.\tGT:AD:DP\t0/1:90,10:100",  # MET intron 1
]

#: The same records annotated by VEP: T790M and an EGFR missense no rule names (kept as
#: neither: only counted), and KRAS G12D with a protein change no HGVSp (unclassified).
CSQ_LINE = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
    'Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSp">'
)
ANNOTATED = [
    "chr7\t55181378\t.\tC\tT\t.\tPASS\tCSQ=T|missense_variant|MODERATE|EGFR|"
    "ENST00000275493.7|ENSP00000275493.2:p.Thr790Met\tGT:AD:DP\t0/1:60,40:100",
    "chr7\t55181390\t.\tG\tA\t.\tPASS\tCSQ=A|missense_variant|MODERATE|EGFR|"
    "ENST00000275493.7|ENSP00000275493.2:p.Val794Ile\tGT:AD:DP\t0/1:75,25:100",
    "chr12\t25245350\t.\tC\tT\t.\tPASS\tCSQ=T|missense_variant|MODERATE|KRAS|"
    "ENST00000311936.8|\tGT:AD:DP\t0/1:90,10:100",
]

PATHS = [
    pytest.param({"use_index": False}, id="full"),
    pytest.param({"prefilter": True, "threads": 1}, id="prefilter"),
    pytest.param({"prefilter": True, "threads": 2}, id="two-processes"),
    pytest.param({"use_index": True}, id="index"),
]


def _run(tmp_path: Path, text: str, options: dict[str, Any]) -> Any:
    path = write_vcf(tmp_path, text, "vcf.gz")
    if options.get("use_index"):
        pysam.tabix_index(str(path), preset="vcf", force=True)
    (result,) = run(AnnotateConfig(input=path, tumor_type="LUAD", **options))
    return result


def _evidence(items: Any) -> list[tuple[int, float | None, int | None]]:
    return sorted({(i.variant.pos, i.variant.vaf, i.variant.depth) for i in items if i.variant})


@pytest.mark.parametrize("options", PATHS)
def test_every_allele_a_run_keeps_has_its_vaf(
    tmp_path: Path, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    result = _run(tmp_path, vcf_text(UNANNOTATED, info_lines=()), options)
    assert _evidence(result.findings) == [(55181378, 0.4, 100)]
    assert _evidence(result.unclassified) == [(55181390, 0.25, 100), (116690000, 0.1, 100)]


@pytest.mark.parametrize("options", PATHS)
def test_every_annotated_allele_a_run_keeps_has_its_vaf(
    tmp_path: Path, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    result = _run(tmp_path, vcf_text(ANNOTATED, info_lines=(CSQ_LINE,)), options)
    assert _evidence(result.findings) == [(55181378, 0.4, 100)]
    assert _evidence(result.unclassified) == [(25245350, 0.1, 100)]
    assert result.summary.alleles_in_rule_genes == 3
