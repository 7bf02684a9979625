"""`rules validate`, `rules list`, `rules show` and `rules diff` on the bundled rules and on
rules files written by the tests (the bundled content may change under curation: tests other
than "the bundled rules validate" use their own files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.rules import files as files_module
from annotator.rules import load_rules
from tests.test_rules_query import ALL_IDS, RULES_YAML


@pytest.fixture
def rules_path(tmp_path: Path) -> Path:
    """The query tests' fixture set: EGFR, BCR::ABL1, BRAF combination and MSI-H rules."""
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML, encoding="utf-8")
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bundled_rules_validate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["rules", "validate"], capsys)
    assert code == 0, err
    ruleset = load_rules()
    assert out.startswith(
        f"ok: {len(ruleset.rules)} rules, {len(ruleset.genes)} genes, {len(ruleset.drugs)} "
        f"drugs, {len(ruleset.hotspots)} hotspots in {len(ruleset.files)} files"
    )
    assert ruleset.sha256 in out


def test_validate_reports_every_problem_in_one_pass(
    tmp_path: Path, rules_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n"
        "  - id: EGFR-T790M-R\n"  # duplicates an id of rules.yaml
        "    gene: NOTAGENE\n"
        "    alteration: {protein_changes: [T790M]}\n"
        "    tumor_types: {include: [NSCLCX]}\n"
        "    effect: resistance\n"
        "    therapies: [gefitinib + notadrug]\n"
        "    evidence_level: A\n"
        "    citations: ['REVIEW:38']\n"
        "    examples: [{alteration: EGFR p.T790M, tumor_type: LUADX}]\n"
        "    colour: red\n"
    )
    code, _, err = run(
        ["rules", "validate", "--no-bundled-rules", str(rules_path), str(bad)], capsys
    )
    assert code == 1
    problems = [line for line in err.splitlines() if line.startswith("  ")]
    text = "\n".join(problems)
    for needle in (
        "duplicate rule id",
        "NOTAGENE",
        "NSCLCX",
        "colour",
        "citations",
        "'notadrug'",
        "examples.0.tumor_type",
    ):
        assert needle in text, f"{needle!r} not reported:\n{err}"
    assert len(problems) == 7
    assert all(line.startswith(f"  {bad}: line ") for line in problems)
    assert "Traceback" not in err


def test_yaml_syntax_error_names_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("rules:\n  - id: X\n    gene: [EGFR\n")
    code, _, err = run(["rules", "validate", "--no-bundled-rules", str(bad)], capsys)
    assert code == 1
    assert "broken.yaml: line" in err
    assert "column" in err


def test_missing_rules_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        ["rules", "validate", "--no-bundled-rules", str(tmp_path / "none.yaml")], capsys
    )
    assert code == 1
    assert "none.yaml: file not found" in err


# --- rules list -----------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["table", "tsv", "json"])
def test_rules_list(
    output_format: str, rules_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rules", "list", "--format", output_format, "--no-bundled-rules", "--rules"]
    code, out, err = run([*args, str(rules_path)], capsys)
    assert code == 0, err
    ruleset = load_rules([rules_path], bundled=False)
    if output_format == "json":
        data = json.loads(out)
        assert data["schema_version"] == "1.0"
        assert data["rules"] == {"version": "local", "sha256": ruleset.sha256}
        assert tuple(item["id"] for item in data["items"]) == ALL_IDS
        return
    lines = out.splitlines()
    assert len(lines) == len(ALL_IDS) + 1
    assert lines[0].split()[:2] == ["id", "gene"]
    assert any("BRAF-V600E-S" in line and "dabrafenib + trametinib" in line for line in lines)
    if output_format == "tsv":
        assert all(line.count("\t") == 7 for line in lines)
        assert lines[1].split("\t")[3] == "NSCLC not LUSC"


def test_rules_list_json_item(rules_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["rules", "list", "--format", "json", "--gene", "EGFR", "--no-bundled-rules"]
    code, out, err = run([*args, "--rules", str(rules_path)], capsys)
    assert code == 0, err
    (item,) = json.loads(out)["items"]
    assert item == {
        "id": "EGFR-T790M-R",
        "gene": "EGFR",
        "alteration": {"protein_changes": ["T790M"]},
        "alteration_text": "T790M",
        "effect": "resistance",
        "therapies": ["gefitinib"],
        "evidence_level": "A",
        "tumor_types": {"include": ["NSCLC"], "exclude": ["LUSC"]},
        "citations": ["PMID:1"],
        "notes": None,
        "examples": [
            {
                "alteration": "EGFR p.T790M",
                "tumor_type": "LUAD",
                "with": ["KRAS p.G12C"],
                "conflicts": [],
            }
        ],
        "requires": [{"gene": "KRAS", "codons": ["G12"]}],
        "excludes": [],
    }


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--gene", "abl1"], ["BCR-ABL1-S"]),
        (["--drug", "iressa"], ["EGFR-T790M-R"]),
        (["--drug", "MEK inhibitor"], ["BRAF-V600E-S"]),
        (["--tumor-type", "lusc"], ["BRAF-V600E-S", "MSI-H-S"]),
        (["--tumor-type", "LUAD", "--drug", "gefitinib"], ["EGFR-T790M-R"]),
        (["--gene", "KRAS"], []),  # a gene of the table that no rule is about
    ],
)
def test_rules_list_filters(
    options: list[str],
    expected: list[str],
    rules_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["rules", "list", "--format", "tsv", "--no-bundled-rules", "--rules", str(rules_path)]
    code, out, err = run([*args, *options], capsys)
    assert code == 0, err
    assert [line.split("\t")[0] for line in out.splitlines()[1:]] == expected


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (["--gene", "EGRF"], 2, "--gene 'EGRF' is not a gene of the rules (did you mean EGFR?)"),
        (["--drug", "iresa"], 2, "is not a drug, brand name, synonym or drug class of the rules "),
        (["--tumor-type", "LUADX"], 1, "unknown OncoTree code 'LUADX' (did you mean LUAD"),
    ],
)
def test_rules_list_unknown_filter_values(
    options: list[str],
    code: int,
    message: str,
    rules_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["rules", "list", "--no-bundled-rules", "--rules", str(rules_path)]
    exit_code, out, err = run([*args, *options], capsys)
    assert exit_code == code
    assert out == ""
    assert message in err
    assert len(err.splitlines()) == 1


def test_rules_list_with_extra_file(
    tmp_path: Path,
    rules_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / "manifest.yaml").write_text('version: "2026.1.0"\n')
    (bundled / "rules.yaml").write_text(RULES_YAML)
    monkeypatch.setattr(files_module, "bundled_rules_dir", lambda: bundled)
    extra = tmp_path / "local.yaml"
    extra.write_text(
        "rules:\n"
        "  - id: LOCAL-EGFR-G719S-S\n"
        "    gene: EGFR\n"
        "    alteration: {protein_changes: [G719S]}\n"
        "    tumor_types: {include: [NSCLC]}\n"
        "    effect: sensitivity\n"
        "    therapies: [gefitinib]\n"
        "    evidence_level: B\n"
        "    citations: ['PMID:26051236']\n"  # a fixture, not curated knowledge
        "    examples: [{alteration: EGFR p.G719S, tumor_type: LUAD}]\n"
    )
    code, out, err = run(["rules", "list", "--format", "json", "--rules", str(extra)], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["rules"]["version"] == "2026.1.0+local"
    assert [item["id"] for item in data["items"]] == [*ALL_IDS, "LOCAL-EGFR-G719S-S"]


# --- rules show -----------------------------------------------------------------------------


def test_rules_show(rules_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["rules", "show", "BRAF-V600E-S", "--no-bundled-rules", "--rules", str(rules_path)]
    code, out, err = run(args, capsys)
    assert code == 0, err
    line = RULES_YAML.splitlines().index("  - id: BRAF-V600E-S") + 1
    assert out.splitlines() == [
        "rule BRAF-V600E-S",
        "  gene:           BRAF",
        "  alteration:     V600E [protein_changes]",
        "  requires:       (none)",
        "  excludes:       (none)",
        "  tumor types:    any tumor type (ALL)",
        "  effect:         sensitivity",
        "  therapies:      dabrafenib + trametinib",
        "  drug classes:   dabrafenib: BRAF inhibitor",
        "                  trametinib: MEK inhibitor",
        "  evidence level: C (AMP/ASCO/CAP 2017)",
        "  citations:      PMID:3",
        "  notes:          (none)",
        "  examples:       BRAF p.V600E in MEL",
        f"  loaded from:    {rules_path}:{line}",
    ]


def test_rules_show_examples_and_conditions(
    rules_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rules", "show", "EGFR-T790M-R", "--no-bundled-rules", "--rules", str(rules_path)]
    code, out, err = run(args, capsys)
    assert code == 0, err
    assert "  requires:       KRAS codon G12\n" in out
    assert "  tumor types:    NSCLC (and the types below them in OncoTree), except LUSC\n" in out
    assert "gefitinib: first-generation EGFR TKI (brand names: Iressa)" in out
    assert "  examples:       EGFR p.T790M in LUAD, with KRAS p.G12C\n" in out


def test_rules_show_unknown_id_suggests_close_ids(
    rules_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rules", "show", "EGFR-T790M", "--no-bundled-rules", "--rules", str(rules_path)]
    code, out, err = run(args, capsys)
    assert code == 1
    assert out == ""
    assert err == (
        "resistance-annotator: error: no rule with id 'EGFR-T790M' (did you mean EGFR-T790M-R?)\n"
    )


# --- rules diff -----------------------------------------------------------------------------


def test_rules_diff_text(
    tmp_path: Path, rules_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new"
    new.mkdir()
    (new / "rules.yaml").write_text(
        RULES_YAML.replace("evidence_level: C", "evidence_level: B").replace(
            "  - id: MSI-H-S", "  - id: MSI-H-PEMBRO-S"
        )
    )
    code, out, err = run(["rules", "diff", str(rules_path), str(new)], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"--- {rules_path} (4 rules, 5 genes, 5 drugs, 0 hotspots; ")
    assert lines[1].startswith(f"+++ {new} (4 rules, ")
    assert lines[2:] == [
        "rules:",
        "+ MSI-H-PEMBRO-S",
        "- MSI-H-S",
        "~ BRAF-V600E-S evidence_level: C -> B",
        "summary: rules +1 -1 ~1; genes +0 -0 ~0; drugs +0 -0 ~0; hotspots +0 -0 ~0",
    ]


def test_rules_diff_without_differences_exits_0(
    tmp_path: Path, rules_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text(RULES_YAML)
    code, out, _ = run(["rules", "diff", str(rules_path), str(copy)], capsys)
    assert code == 0
    assert out.splitlines()[-1] == "summary: no differences"


def test_rules_diff_json(
    tmp_path: Path, rules_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new.yaml"
    new.write_text(RULES_YAML.replace("brand_names: [Gleevec]", "brand_names: [Gleevec, Glivec]"))
    code, out, err = run(["rules", "diff", "--format", "json", str(rules_path), str(new)], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["schema_version"] == "1.0"
    assert data["old"]["path"] == str(rules_path)
    assert data["new"]["sha256"] == load_rules([new], bundled=False).sha256
    assert data["drugs"]["changed"] == [
        {
            "key": "imatinib",
            "fields": [{"field": "brand_names", "old": ["Gleevec"], "new": ["Gleevec", "Glivec"]}],
        }
    ]
    assert data["summary"]["differences"] is True


def test_rules_diff_invalid_sides_exit_1(
    tmp_path: Path, rules_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES_YAML.replace("evidence_level: C", "evidence_level: Z"))
    missing = tmp_path / "missing.yaml"
    code, out, err = run(["rules", "diff", str(bad), str(missing)], capsys)
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        "resistance-annotator: error: found 2 problems in the rules to compare",
        f"  {bad}: line {RULES_YAML.splitlines().index('    evidence_level: C') + 1}: "
        "rule BRAF-V600E-S: evidence_level: not one of A, B, C, D (got 'Z')",
        f"  {missing}: file not found",
    ]
