"""The end-to-end cases whose outputs are kept as golden files in ``tests/golden/``.

Shared by ``tests/test_end_to_end.py`` (compare) and ``tests/golden_regenerate.py``
(``make golden``: rewrite after an intended change, then review the diff).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from annotator.cli import main

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "test_data"
GOLDEN = Path(__file__).resolve().parent / "golden"


@dataclass(frozen=True)
class GoldenCase:
    name: str
    input: str
    args: tuple[str, ...]

    @property
    def input_path(self) -> Path:
        return TEST_DATA / self.input


CASES = (
    GoldenCase("demo_grch38_vep_luad", "demo.grch38.vep.vcf.gz", ("--tumor-type", "LUAD")),
    GoldenCase(
        "demo_grch38_vep_luad_filtered",
        "demo.grch38.vep.vcf.gz",
        ("--tumor-type", "LUAD", "--include-filtered"),
    ),
    GoldenCase("demo_grch38_vep_skcm", "demo.grch38.vep.vcf.gz", ("--tumor-type", "SKCM")),
    GoldenCase("luad_grch37_vep", "luad.grch37.vep.vcf", ("--tumor-type", "LUAD")),
    GoldenCase("luad_grch38_snpeff", "luad.grch38.snpeff.vcf", ("--tumor-type", "LUAD")),
    GoldenCase("crc_grch38_bcsq_coad", "crc.grch38.bcsq.vcf", ("--tumor-type", "COAD")),
    GoldenCase(
        "tumor_normal_sample_chosen",
        "tumor_normal_no_tag.vcf",
        ("--tumor-type", "LUAD", "--sample", "TUMOR"),
    ),
)


def run_case(case: GoldenCase, out_dir: Path, input_path: Path | None = None) -> tuple[str, str]:
    """Run the CLI in-process; return the normalized JSON and TSV texts."""
    out_json, out_tsv = out_dir / f"{case.name}.json", out_dir / f"{case.name}.tsv"
    source = input_path or case.input_path
    argv = ["annotate", str(source), *case.args, "--out-json", str(out_json)]
    code = main([*argv, "--out-tsv", str(out_tsv)])
    if code != 0:
        raise AssertionError(f"{case.name}: exit code {code}")
    return normalize_json(out_json.read_text()), normalize_tsv(out_tsv.read_text())


def normalize_json(text: str) -> str:
    """Blank the volatile fields: tool version, rules checksum, input path."""
    data = json.loads(text)
    data["tool_version"] = "<tool-version>"
    data["rules"]["sha256"] = "<rules-sha256>"
    data["input"] = Path(data["input"]).name.split(".")[0]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def normalize_tsv(text: str) -> str:
    text = re.sub(r"resistance-annotator \S+;", "resistance-annotator <tool-version>;", text)
    return re.sub(r"sha256:[0-9a-f]{64}", "sha256:<rules-sha256>", text)
