"""`resistance-annotator cohort`: cohort tables and report from per-sample JSON, no Snakemake."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from annotator.cli import main
from annotator.cohort import COHORT_FILES, build_cohort, sample_name

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "test_data"

#: sample → (test file, OncoTree code)
SAMPLES = {
    "S1": ("demo.grch38.vep.vcf.gz", "LUAD"),
    "S2": ("crc.grch38.bcsq.vcf", "COAD"),
    "S3": ("luad.grch38.snpeff.vcf", "NSCLC"),
}


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each sample annotated into results/<sample>/<sample>.findings.json, as the Snakefile does."""
    results = tmp_path_factory.mktemp("results")
    paths = {}
    for name, (file_name, tumor_type) in SAMPLES.items():
        out = results / name / f"{name}.findings.json"
        out.parent.mkdir()
        source = str(TEST_DATA / file_name)
        assert main(["annotate", source, "--tumor-type", tumor_type, "--out-json", str(out)]) == 0
        paths[name] = out
    return paths


def cohort_files(out_dir: Path) -> dict[str, Path]:
    return {name: out_dir / name for name in COHORT_FILES}


def test_cohort_command_writes_the_tables(
    annotated: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "cohort"
    assert main(["cohort", *map(str, annotated.values()), "--out-dir", str(out_dir)]) == 0
    assert "cohort of 3 samples" in capsys.readouterr().err
    files = cohort_files(out_dir)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(COHORT_FILES)

    results = {name: json.loads(path.read_text()) for name, path in annotated.items()}
    findings_text = files["cohort.findings.tsv"].read_text()
    assert findings_text.startswith("## resistance-annotator ")
    assert findings_text.splitlines()[1].startswith("## rules ")
    findings = pd.read_csv(files["cohort.findings.tsv"], sep="\t", comment="#", dtype=str)
    assert len(findings) == sum(len(r["findings"]) for r in results.values())
    for name, result in results.items():
        rows = findings[findings["sample"] == name]
        assert list(rows["rule_id"]) == [f["rule_id"] for f in result["findings"]]
        assert set(rows["genome"]) == {result["genome"]}
    t790m = findings[(findings["sample"] == "S1") & (findings["alteration"] == "T790M")].iloc[0]
    assert t790m["pos"] == "55181378"  # an integer, not 55181378.0
    assert t790m["therapies"] == "gefitinib;erlotinib"

    matrix = pd.read_csv(
        files["cohort.therapy_calls.tsv"],
        sep="\t",
        comment="#",
        index_col="sample",
        dtype=str,
        keep_default_na=False,
    )
    assert list(matrix.index) == list(SAMPLES)
    assert list(matrix.columns) == sorted(matrix.columns)
    for name, result in results.items():
        expected = {call["therapy"]: call["call"] for call in result["therapy_calls"]}
        assert {t: c for t, c in matrix.loc[name].items() if c} == expected
    assert matrix.loc["S1", "gefitinib"] == "resistance"
    assert matrix.loc["S1", "osimertinib"] == "sensitivity"
    assert matrix.loc["S2", "gefitinib"] == ""


def test_resistance_markers_by_frequency(annotated: dict[str, Path]) -> None:
    cohort = build_cohort(list(annotated.values()))
    markers = cohort.markers
    assert list(markers["samples"]) == sorted(markers["samples"], reverse=True)
    top = markers.iloc[0]
    assert (top["gene"], top["alteration"], top["samples"]) == ("EGFR", "T790M", 2)
    assert top["sample_names"] == "S1;S3"
    kras = markers[(markers["gene"] == "KRAS") & (markers["alteration"] == "G12D")].iloc[0]
    assert (kras["samples"], kras["on_label_samples"]) == (2, 1)  # off-label in LUAD S1
    resistance = cohort.findings[cohort.findings["effect"] != "sensitivity"]
    assert set(zip(markers["gene"], markers["alteration"], strict=True)) == set(
        zip(resistance["gene"], resistance["alteration"], strict=True)
    )


def test_report_is_self_contained_and_links_sample_reports(
    annotated: dict[str, Path], tmp_path: Path
) -> None:
    for name, path in annotated.items():
        if name != "S3":  # S3 has no report next to its JSON
            path.with_name(f"{name}.report.html").write_text("<!DOCTYPE html><html></html>")
    out_dir = annotated["S1"].parent.parent / "cohort"
    try:
        assert main(["cohort", *map(str, annotated.values()), "--out-dir", str(out_dir)]) == 0
        html = (out_dir / "cohort.report.html").read_text()
    finally:
        shutil.rmtree(out_dir)
        for path in annotated.values():
            path.with_name(f"{sample_name(path)}.report.html").unlink(missing_ok=True)
    assert '<meta http-equiv="Content-Security-Policy"' in html
    assert "default-src 'none'" in html
    assert 'href="../S1/S1.report.html"' in html
    assert 'href="../S2/S2.report.html"' in html
    assert "S3.report.html" not in html
    assert "Research use only" in html
    for forbidden in ("<script", "<link", "src=", "http://", "https://", "@import"):
        assert forbidden not in html.lower()
    for therapy in ("gefitinib", "osimertinib", "cetuximab"):
        assert therapy in html
    assert 'class="cell resistance"' in html
    assert 'class="cell sensitivity"' in html


def test_sample_names_are_escaped(annotated: dict[str, Path], tmp_path: Path) -> None:
    name = "<i>x&\"'"
    directory = tmp_path / "odd"
    directory.mkdir()
    shutil.copy(annotated["S2"], directory / f"{name}.findings.json")
    (directory / f"{name}.report.html").write_text("<!DOCTYPE html><html></html>")
    out_dir = tmp_path / "cohort"
    json_path = directory / f"{name}.findings.json"
    assert main(["cohort", str(json_path), "--out-dir", str(out_dir)]) == 0
    html = (out_dir / "cohort.report.html").read_text()
    assert "<i>x" not in html
    assert "&lt;i&gt;x&amp;&#34;&#39;" in html
    assert 'href="../odd/%3Ci%3Ex%26%22%27.report.html"' in html
    matrix = pd.read_csv(out_dir / "cohort.therapy_calls.tsv", sep="\t", comment="#")
    assert list(matrix["sample"]) == [name]


def test_samples_without_findings_or_calls(annotated: dict[str, Path], tmp_path: Path) -> None:
    data = json.loads(annotated["S2"].read_text())
    data["findings"] = []
    data["therapy_calls"] = []
    quiet = tmp_path / "quiet.findings.json"
    quiet.write_text(json.dumps(data))
    out_dir = tmp_path / "cohort"
    assert main(["cohort", str(quiet), "--out-dir", str(out_dir)]) == 0
    findings = pd.read_csv(out_dir / "cohort.findings.tsv", sep="\t", comment="#")
    assert findings.empty
    assert findings.columns[0] == "sample"
    matrix = pd.read_csv(out_dir / "cohort.therapy_calls.tsv", sep="\t", comment="#")
    assert list(matrix["sample"]) == ["quiet"]
    html = (out_dir / "cohort.report.html").read_text()
    assert "No sample has a therapy call." in html
    assert "No resistance or reduced-sensitivity finding." in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not a JSON result"),
        ('{"rules": []}', "not a resistance-annotator result"),
        ('{"schema_version": "2.0", "findings": []}', "schema_version '2.0' is not supported"),
        ('{"schema_version": "1.0", "findings": {}}', "'findings' is not a list of objects"),
        (
            '{"schema_version": "1.0", "findings": [], '
            '"therapy_calls": [{"therapy": "x", "call": "maybe"}]}',
            "call 'maybe' is not one of resistance, conflicting, sensitivity",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    annotated: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    message: str,
) -> None:
    bad = tmp_path / "bad.findings.json"
    if content is not None:
        bad.write_text(content)
    out_dir = tmp_path / "cohort"
    code = main(["cohort", str(annotated["S1"]), str(bad), "--out-dir", str(out_dir)])
    assert code == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert error.startswith(f"resistance-annotator: error: {bad}: ")
    assert message in error
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_each_samples_tool_and_rules_versions(annotated: dict[str, Path], tmp_path: Path) -> None:
    """Each sample's tool version and rules version and sha256: columns of the findings table
    and of the report's samples table; the report flags differing tool versions as it flags
    differing rules."""
    data = json.loads(annotated["S2"].read_text())
    data["tool_version"] = "0.0.9"
    data["rules"] = {"version": "0.4.0", "sha256": "ab" * 32}
    older = tmp_path / "older.findings.json"
    older.write_text(json.dumps(data))
    out_dir = tmp_path / "cohort"
    assert main(["cohort", str(annotated["S1"]), str(older), "--out-dir", str(out_dir)]) == 0
    findings = pd.read_csv(out_dir / "cohort.findings.tsv", sep="\t", comment="#", dtype=str)
    current = json.loads(annotated["S1"].read_text())
    versions = findings.groupby("sample")[["tool_version", "rules_version", "rules_sha256"]]
    assert versions.nunique().max().max() == 1
    assert tuple(versions.first().loc["S1"]) == (
        current["tool_version"],
        current["rules"]["version"],
        current["rules"]["sha256"],
    )
    assert tuple(versions.first().loc["older"]) == ("0.0.9", "0.4.0", "ab" * 32)
    html = (out_dir / "cohort.report.html").read_text()
    assert "(the samples were annotated with different tool versions)" in html
    assert "(the samples were annotated with different rules)" in html
    assert "<td>0.0.9</td>" in html
    assert f"0.4.0 (sha256 {'ab' * 6})" in html


def _without(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.pop(key)


def _set_rules_sha256(data: dict[str, Any]) -> None:
    data["rules"]["sha256"] = ""


def _numeric_gene(data: dict[str, Any]) -> None:
    data["findings"][0]["gene"] = 7


def _therapies_as_text(data: dict[str, Any]) -> None:
    data["findings"][1]["therapies"] = "gefitinib"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(_without("tool_version"), "no 'tool_version'", id="no-tool-version"),
        pytest.param(_without("rules"), "no 'rules.version'", id="no-rules"),
        pytest.param(_set_rules_sha256, "'rules.sha256' is '', not a", id="empty-rules-sha256"),
        pytest.param(_without("tumor_type"), "no 'tumor_type'", id="no-tumor-type"),
        pytest.param(_numeric_gene, "finding 1: 'gene' is 7, not a non-empty string", id="gene"),
        pytest.param(
            _therapies_as_text,
            "finding 2: 'therapies' is 'gefitinib', not a list of strings",
            id="therapies",
        ),
    ],
)
def test_incomplete_result_is_refused(
    annotated: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    """Regression: a JSON without versions or tumor type gave a header "annotated with , 0.1.0",
    and a numeric gene went into the tables."""
    data = json.loads(annotated["S1"].read_text())
    change(data)
    bad = tmp_path / "bad.findings.json"
    bad.write_text(json.dumps(data))
    out_dir = tmp_path / "cohort"
    assert main(["cohort", str(annotated["S2"]), str(bad), "--out-dir", str(out_dir)]) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert error.startswith(f"resistance-annotator: error: {bad}: {message}")
    assert not out_dir.exists()


def test_two_files_with_the_same_sample_name(
    annotated: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "S1.findings.json"
    shutil.copy(annotated["S2"], other)
    code = main(["cohort", str(annotated["S1"]), str(other), "--out-dir", str(tmp_path / "out")])
    assert code == 1
    error = capsys.readouterr().err
    assert "sample name 'S1' also comes from" in error
    assert not (tmp_path / "out").exists()


def test_no_json_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["cohort", "--out-dir", str(tmp_path)]) == 2


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("S1.findings.json", "S1"),
        ("tumor.json", "tumor"),
        ("x.findings.json.bak", "x.findings.json.bak"),
        (".findings.json", ".findings"),
    ],
)
def test_sample_name_from_file_name(file_name: str, expected: str) -> None:
    assert sample_name(Path("results") / file_name) == expected
