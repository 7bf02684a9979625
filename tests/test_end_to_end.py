"""End-to-end: the CLI on the bundled test VCFs, compared with golden files as unified diffs."""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.cli import main
from tests.golden_cases import CASES, GOLDEN, TEST_DATA, GoldenCase, run_case


def assert_same_text(expected: str, actual: str, name: str) -> None:
    if expected != actual:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{name}",
                tofile="actual",
            )
        )
        pytest.fail(f"{name} differs from its golden file (make golden to update):\n{diff}")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_golden(case: GoldenCase, tmp_path: Path) -> None:
    json_text, tsv_text = run_case(case, tmp_path)
    assert_same_text((GOLDEN / f"{case.name}.findings.json").read_text(), json_text, case.name)
    assert_same_text((GOLDEN / f"{case.name}.findings.tsv").read_text(), tsv_text, case.name)


@pytest.mark.parametrize("suffix", ["vcf.gz", "bcf"])
def test_compressed_and_bcf_match_plain_vcf(suffix: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "luad_grch37_vep")
    plain = run_case(case, tmp_path / "plain")
    other = run_case(case, tmp_path / suffix, TEST_DATA / f"luad.grch37.vep.{suffix}")
    assert other == plain


def test_grch37_and_grch38_give_the_same_findings(tmp_path: Path) -> None:
    """The same patient on both builds: same rules fire, with build-specific positions."""
    by_build = {}
    for name in ("demo_grch38_vep_luad", "luad_grch37_vep"):
        case = next(c for c in CASES if c.name == name)
        data = json.loads(run_case(case, tmp_path / name)[0])
        by_build[data["genome"]] = data
    assert set(by_build) == {"GRCh37", "GRCh38"}

    def keys(data: dict[str, object]) -> list[tuple[str, str, str]]:
        findings = data["findings"]
        assert isinstance(findings, list)
        return [(f["rule_id"], f["alteration"], f["tumor_type_match"]) for f in findings]

    assert keys(by_build["GRCh37"]) == keys(by_build["GRCh38"])
    assert by_build["GRCh37"]["therapy_calls"] == by_build["GRCh38"]["therapy_calls"]


def test_demo_core_facts(tmp_path: Path) -> None:
    """The facts a tumor board would check first, independent of the golden file."""
    case = next(c for c in CASES if c.name == "demo_grch38_vep_luad")
    data = json.loads(run_case(case, tmp_path)[0])
    calls = {c["therapy"]: c["call"] for c in data["therapy_calls"]}
    assert calls["gefitinib"] == "resistance"
    assert calls["erlotinib"] == "resistance"
    assert calls["osimertinib"] == "sensitivity"
    assert "cetuximab" not in calls  # KRAS colorectal rules are off-label in LUAD
    t790m = [f for f in data["findings"] if f["alteration"] == "T790M"]
    assert {f["effect"] for f in t790m} == {"resistance", "sensitivity"}
    assert t790m[0]["variant"] == {"chrom": "chr7", "pos": 55181378, "ref": "C", "alt": "T"}
    assert t790m[0]["hgvsp"] == "p.Thr790Met"
    assert data["summary"]["skipped_filtered"] == 1
    # Every input allele accounted for: 22 ALT alleles in 21 records = 21 annotated (6 in rule
    # genes, 15 outside them) + 1 of the record that fails FILTER (PIK3CA H1047R).
    summary = data["summary"]
    assert (summary["alleles"], summary["alleles_annotated"], summary["alleles_filtered"]) == (
        22,
        21,
        1,
    )
    assert (summary["alleles_in_rule_genes"], summary["alleles_outside_rule_genes"]) == (6, 15)
    assert all(f["citations"] for f in data["findings"])


def test_out_dir_writes_named_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "annotate",
            str(TEST_DATA / "demo.grch38.vep.vcf.gz"),
            "--tumor-type",
            "LUAD",
            "--out-dir",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "TUMOR.annotated.vcf.gz",
        "TUMOR.annotated.vcf.gz.tbi",
        "TUMOR.findings.json",
        "TUMOR.findings.tsv",
        "TUMOR.report.html",
        "TUMOR.report.md",
    ]
    summary = capsys.readouterr().err.strip().splitlines()
    assert len(summary) == 1
    # The demo's PIK3CA H1047R fails FILTER (weak_evidence): skipped, and said to be in a gene.
    assert (
        "sample TUMOR (LUAD, GRCh38): 21 records, "
        "1 skipped by FILTER (1 in rule genes: weak_evidence 1), 6 alleles in rule genes"
    ) in summary[0]
    report = (tmp_path / "out" / "TUMOR.report.html").read_text()
    assert (
        "1 record in a rule gene or hotspot failed FILTER and was not annotated "
        "(FILTER weak_evidence 1)"
    ) in report
    markdown = (tmp_path / "out" / "TUMOR.report.md").read_text()
    assert "1 record in a rule gene or hotspot failed FILTER and was not annotated" in markdown


def test_json_to_stdout_without_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["annotate", str(TEST_DATA / "luad.grch38.snpeff.vcf"), "--tumor-type", "LUAD"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == "1.4"
    assert data["genome"] == "GRCh38"


def test_tsv_reads_back_with_pandas(tmp_path: Path) -> None:
    import pandas as pd

    from annotator.writers.tsv import COLUMNS

    case = next(c for c in CASES if c.name == "demo_grch38_vep_luad")
    data = json.loads(run_case(case, tmp_path)[0])
    table = pd.read_csv(tmp_path / f"{case.name}.tsv", sep="\t", comment="#")
    assert tuple(table.columns) == COLUMNS
    assert list(table["rule_id"]) == [f["rule_id"] for f in data["findings"]]
    assert set(table["gene"]) == {"EGFR", "KRAS", "BRCA2"}


def test_python_dash_m_and_console_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "annotator", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "resistance-annotator, version" in result.stdout
    script = shutil.which("resistance-annotator", path=str(Path(sys.executable).parent))
    assert script is not None, "console script not installed next to the interpreter"
    result = subprocess.run(
        [script, "rules", "validate"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


DEMO_VCF = TEST_DATA / "demo.grch38.vep.vcf.gz"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["annotate", str(DEMO_VCF), "--tumor-type", "LUAD", "--quiet"], 0),
        (["annotate", "missing.vcf", "--tumor-type", "LUAD"], 1),
        (["annotate", str(DEMO_VCF), "--tumor-type", "LUAD", "--threads", "0"], 2),
    ],
    ids=["ok", "input-error", "usage-error"],
)
def test_the_installed_command_exits_with_mains_code_and_all_its_output(
    args: list[str], code: int, tmp_path: Path
) -> None:
    """``console`` (the installed command) skips the interpreter's teardown: standard output
    must still be complete (the JSON parses) and the exit code main's."""
    script = "import sys; from annotator.cli import console; sys.argv[0] = 'x'; console()"
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == code, result.stderr
    if code == 0:
        assert json.loads(result.stdout)["findings"]
    else:
        assert "error" in result.stderr.lower()
        assert "Traceback" not in result.stderr
