"""`rules validate` and `rules list` on the bundled rules and on user files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.rules import load_rules


def test_bundled_rules_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "validate"]) == 0
    out = capsys.readouterr().out
    ruleset = load_rules()
    assert out.startswith(f"ok: {len(ruleset.rules)} rules, {len(ruleset.genes)} genes")
    assert ruleset.sha256 in out


def test_validate_reports_every_problem_in_one_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n"
        "  - id: EGFR-T790M-1GTKI-R\n"  # duplicates a bundled id
        "    gene: NOTAGENE\n"
        "    alteration: {protein_changes: [T790M]}\n"
        "    tumor_types: {include: [NSCLCX]}\n"
        "    effect: resistance\n"
        "    therapies: [gefitinib]\n"
        "    evidence_level: A\n"
        "    citations: ['REVIEW:38']\n"
        "    colour: red\n"
    )
    assert main(["rules", "validate", str(bad)]) == 1
    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith("  ")]
    text = "\n".join(problems)
    for needle in ("EGFR-T790M-1GTKI-R", "NOTAGENE", "NSCLCX", "colour", "citations"):
        assert needle in text, f"{needle!r} not reported:\n{err}"
    assert all("bad.yaml" in line or "egfr.yaml" in line for line in problems)
    assert "Traceback" not in err


def test_yaml_syntax_error_names_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("rules:\n  - id: X\n    gene: [EGFR\n")
    assert main(["rules", "validate", "--no-bundled-rules", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "broken.yaml: line" in err
    assert "column" in err


def test_missing_rules_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "validate", str(tmp_path / "none.yaml")]) == 1
    assert "none.yaml" in capsys.readouterr().err


@pytest.mark.parametrize("output_format", ["table", "tsv", "json"])
def test_rules_list(output_format: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--format", output_format]) == 0
    out = capsys.readouterr().out
    ruleset = load_rules()
    if output_format == "json":
        data = json.loads(out)
        assert data["rules"]["sha256"] == ruleset.sha256
        assert [item["id"] for item in data["items"]] == [rule.id for rule in ruleset.rules]
    else:
        lines = out.splitlines()
        assert len(lines) == len(ruleset.rules) + 1
        assert lines[0].split()[0] == "id"
        assert any("EGFR-T790M-1GTKI-R" in line and "T790M" in line for line in lines)
    if output_format == "tsv":
        assert all(line.count("\t") == 7 for line in out.splitlines())


def test_rules_list_with_extra_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = tmp_path / "local.yaml"
    extra.write_text(
        "rules:\n"
        "  - id: LOCAL-EGFR-G719S-S\n"
        "    gene: EGFR\n"
        "    alteration: {protein_changes: [G719S]}\n"
        "    tumor_types: {include: [NSCLC]}\n"
        "    effect: sensitivity\n"
        "    therapies: [afatinib]\n"
        "    evidence_level: B\n"
        "    citations: ['PMID:26051236']\n"  # a fixture, not curated knowledge
    )
    assert main(["rules", "list", "--format", "tsv", "--rules", str(extra)]) == 0
    assert "LOCAL-EGFR-G719S-S" in capsys.readouterr().out
