"""The VAF and depth of the unclassified unannotated alleles outside the coding exons (and of
those whose only change is of a codon no rule takes) are read only when a report shows them
(``AnnotateConfig.unclassified_evidence``): the JSON and TSV are the same either way, on every
read path, and the reports still show them."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import pysam
import pytest

import annotator.parts
from annotator.cli import annotate_config, main
from annotator.config import AnnotateConfig
from annotator.pipeline import run
from annotator.writers.json import write_json
from annotator.writers.tsv import write_tsv
from tests.test_deferred_evidence import PATHS  # the four ways to read a VCF
from tests.vcfgen import FORMAT_LINES, PHASE_FORMAT_LINES, vcf_text, write_vcf

#: T790M (a finding), an EGFR missense in an exon no rule names, one allele outside the rule
#: genes and alleles in MET intron 1, before c.1 (outside the coding exons MET's table lists:
#: one phased with T790M, one failing FILTER, one of two ALTs).
RECORDS = [
    "chr7\t55181378\t.\tC\tT\t.\tPASS\t.\tGT:AD:DP:PS\t0|1:60,40:100:55181378",
    "chr7\t55181390\t.\tG\tA\t.\tPASS\t.\tGT:AD:DP\t0/1:75,25:100",
    "chr7\t100000000\t.\tG\tA\t.\tPASS\t.\tGT:AD:DP\t0/1:50,50:100",
    "chr7\t116690000\t.\tG\tA\t.\tPASS\t.\tGT:AD:DP\t0/1:90,10:100",
    "chr7\t116690100\t.\tG\tA\t.\tPASS\t.\tGT:AD:DP:PS\t1|0:80,20:100:55181378",
    "chr7\t116690200\t.\tG\tA\t.\tweak_evidence\t.\tGT:AD:DP\t0/1:95,5:100",
    "chr7\t116690300\t.\tG\tA,C\t.\tPASS\t.\tGT:AD:DP\t1/2:50,30,20:100",
]


@pytest.fixture
def vcf(tmp_path: Path) -> Path:
    text = vcf_text(RECORDS, format_lines=(*FORMAT_LINES, *PHASE_FORMAT_LINES), info_lines=())
    path = write_vcf(tmp_path, text, "vcf.gz")
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def outputs(config: AnnotateConfig) -> tuple[str, str, Any]:
    (result,) = run(config)
    json_text, tsv_text = io.StringIO(), io.StringIO()
    write_json(result, json_text)
    write_tsv(result, tsv_text)
    return json_text.getvalue(), tsv_text.getvalue(), result


def evidence(result: Any) -> dict[int, tuple[float | None, int | None]]:
    return {
        item.variant.pos: (item.variant.vaf, item.variant.depth) for item in result.unclassified
    }


@pytest.mark.parametrize("options", PATHS)
@pytest.mark.parametrize("include_filtered", [False, True])
def test_the_json_and_tsv_do_not_depend_on_it(
    vcf: Path,
    options: dict[str, Any],
    include_filtered: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    config = AnnotateConfig(
        input=vcf, tumor_type="LUAD", include_filtered=include_filtered, **options
    )
    read_json, read_tsv, read = outputs(config)
    skipped_json, skipped_tsv, skipped = outputs(
        dataclasses.replace(config, unclassified_evidence=False)
    )
    assert skipped_json == read_json
    assert skipped_tsv == read_tsv
    # What differs: the noted alleles' VAF and depth, read only when asked for: the intronic
    # ones and the EGFR codon change no rule takes (codon 794).
    assert evidence(read)[116690000] == (0.1, 100)
    assert evidence(skipped)[116690000] == (None, None)
    assert evidence(read)[55181390] == (0.25, 100)
    assert evidence(skipped)[55181390] == (None, None)
    assert {f.variant.vaf for f in skipped.findings} == {0.4}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--out-json", "o.json", "--out-tsv", "o.tsv"], False),
        (["--out-vcf", "o.vcf.gz"], False),
        ([], False),
        (["--out-dir", "out"], True),
        (["--out-html", "o.html"], True),
        (["--out-md", "o.md"], True),
    ],
)
def test_the_command_line_reads_them_for_a_report(
    tmp_path: Path, arguments: list[str], expected: bool
) -> None:
    seen: list[AnnotateConfig] = []

    def kept(input_path: Path, options: dict[str, Any], argv: Any = ()) -> AnnotateConfig:
        config = annotate_config(input_path, options, argv)
        seen.append(config)
        return config

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("annotator.cli.annotate_config", kept)
        patch.chdir(tmp_path)
        text = vcf_text(RECORDS, format_lines=(*FORMAT_LINES, *PHASE_FORMAT_LINES), info_lines=())
        path = write_vcf(tmp_path, text, "vcf")
        assert main(["annotate", str(path), "--tumor-type", "LUAD", *arguments]) == 0
    assert [config.unclassified_evidence for config in seen] == [expected]


def test_the_report_shows_an_intronic_alleles_vaf(vcf: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.html"
    assert main(["annotate", str(vcf), "--tumor-type", "LUAD", "--out-html", str(report)]) == 0
    rows = re.findall(r"<tr><td><strong>MET</strong></td>(.*?)</tr>", report.read_text())
    intronic = [row for row in rows if "116690000" in row]
    assert len(intronic) == 1
    assert '<td class="num">0.1</td><td class="num">100</td>' in intronic[0]
