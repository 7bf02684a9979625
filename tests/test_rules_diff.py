"""Tests for annotator.rules.diff: entries added, removed and changed field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.rules import RuleSet, load_rules
from annotator.rules.diff import (
    FieldChange,
    diff_rule_sets,
    diff_to_dict,
    format_diff,
    render_value,
    summary_line,
)

# A fixture set, not curated knowledge.
BASE = """\
genes:
  - symbol: EGFR
    hgnc_id: "HGNC:3236"
    ensembl_transcript: ENST00000275493
    strand: "+"
    sources: [test]
hotspots:
  - gene: EGFR
    protein_change: T790M
    alleles:
      GRCh38: {chrom: "7", pos: 55181378, ref: C, alt: T}
    sources: [test]
drugs:
  - name: gefitinib
    classes: [first-generation EGFR TKI]
    brand_names: [Iressa]
    sources: [test]
  - name: erlotinib
    classes: [first-generation EGFR TKI]
    sources: [test]
rules:
  - id: EGFR-T790M-R
    gene: EGFR
    alteration: {protein_changes: [T790M]}
    tumor_types: {include: [NSCLC]}
    effect: resistance
    therapies: [gefitinib, erlotinib]
    evidence_level: B
    citations: [PMID:1, REVIEW:38]
    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]
  - id: EGFR-L858R-S
    gene: EGFR
    alteration: {protein_changes: [L858R]}
    tumor_types: {include: [NSCLC]}
    effect: sensitivity
    therapies: [gefitinib]
    evidence_level: A
    citations: [PMID:2]
    examples: [{alteration: EGFR p.L858R, tumor_type: LUAD}]
"""


def load(tmp_path: Path, name: str, text: str) -> RuleSet:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_rules([path], bundled=False)


def replaced(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def old(tmp_path: Path) -> RuleSet:
    return load(tmp_path, "old", BASE)


def test_identical_sets_have_no_differences(tmp_path: Path, old: RuleSet) -> None:
    same = load(tmp_path, "same", BASE)
    diff = diff_rule_sets(old, same)
    assert diff.empty
    assert all(section.empty for section in diff.sections)
    assert summary_line(diff) == "summary: no differences"
    lines = format_diff(diff, "a", "b")
    assert lines == [
        f"--- a (2 rules, 1 gene, 2 drugs, 1 hotspot; sha256:{old.sha256[:12]})",
        f"+++ b (2 rules, 1 gene, 2 drugs, 1 hotspot; sha256:{same.sha256[:12]})",
        "summary: no differences",
    ]


def test_changed_rule_fields(tmp_path: Path, old: RuleSet) -> None:
    text = replaced(
        BASE,
        ("evidence_level: B", "evidence_level: A"),
        ("citations: [PMID:1, REVIEW:38]", "citations: [PMID:1, PMID:3]"),
        ("therapies: [gefitinib, erlotinib]", "therapies: [erlotinib, gefitinib]"),
        (
            "examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]",
            "examples: [{alteration: EGFR p.T790M, tumor_type: LUAD, with: [EGFR p.L858R]}]\n"
            "    notes: Now with a note.",
        ),
    )
    diff = diff_rule_sets(old, load(tmp_path, "new", text))
    rules = diff.section("rules")
    assert rules.added == rules.removed == ()
    (entry,) = rules.changed
    assert entry.key == "EGFR-T790M-R"
    assert [change.field for change in entry.fields] == [
        "therapies",
        "evidence_level",
        "citations",
        "notes",
        "examples",
    ]  # in the schema's field order
    assert entry.fields[1] == FieldChange("evidence_level", "B", "A")
    assert [f"~ {entry.key} {change.describe()}" for change in entry.fields] == [
        "~ EGFR-T790M-R therapies: [gefitinib, erlotinib] -> [erlotinib, gefitinib]",
        "~ EGFR-T790M-R evidence_level: B -> A",
        "~ EGFR-T790M-R citations: +PMID:3 -REVIEW:38",
        "~ EGFR-T790M-R notes: (none) -> Now with a note.",
        "~ EGFR-T790M-R examples: "
        "+{alteration: EGFR p.T790M, tumor_type: LUAD, with: [EGFR p.L858R], conflicts: []} "
        "-{alteration: EGFR p.T790M, tumor_type: LUAD, with: [], conflicts: []}",
    ]
    assert summary_line(diff) == (
        "summary: rules +0 -0 ~1; genes +0 -0 ~0; drugs +0 -0 ~0; hotspots +0 -0 ~0"
    )


def test_changed_selector_is_shown_whole(tmp_path: Path, old: RuleSet) -> None:
    text = replaced(BASE, ("{protein_changes: [L858R]}", "{codons: [L858]}"))
    (entry,) = diff_rule_sets(old, load(tmp_path, "new", text)).section("rules").changed
    (change,) = entry.fields
    assert change.describe() == "alteration: {protein_changes: [L858R]} -> {codons: [L858]}"


def test_added_and_removed_entries_in_every_section(tmp_path: Path, old: RuleSet) -> None:
    text = replaced(
        BASE,
        ("id: EGFR-L858R-S", "id: EGFR-L858R-EGFRTKI-S"),
        (
            "  - name: erlotinib\n    classes: [first-generation EGFR TKI]\n",
            "  - name: afatinib\n    classes: [second-generation EGFR TKI]\n",
        ),
        ("protein_change: T790M", "protein_change: L858R"),
        ("brand_names: [Iressa]", "brand_names: [Iressa, IRESSA-X]"),
    ).replace("therapies: [gefitinib, erlotinib]", "therapies: [gefitinib, afatinib]")
    text = text.replace(
        "hotspots:",
        '  - symbol: KRAS\n    hgnc_id: "HGNC:6407"\n    ensembl_transcript: ENST00000311936\n'
        '    strand: "-"\n    sources: [test]\nhotspots:',
    )
    diff = diff_rule_sets(old, load(tmp_path, "new", text))
    assert diff.section("rules").added == ("EGFR-L858R-EGFRTKI-S",)
    assert diff.section("rules").removed == ("EGFR-L858R-S",)
    assert diff.section("genes").added == ("KRAS",)
    assert diff.section("drugs").added == ("afatinib",)
    assert diff.section("drugs").removed == ("erlotinib",)
    (drug,) = diff.section("drugs").changed
    assert drug.key == "gefitinib"
    assert [c.describe() for c in drug.fields] == ["brand_names: +IRESSA-X"]
    assert diff.section("hotspots").added == ("EGFR L858R",)
    assert diff.section("hotspots").removed == ("EGFR T790M",)
    lines = format_diff(diff, "old", "new")
    assert lines[2:] == [
        "rules:",
        "+ EGFR-L858R-EGFRTKI-S",
        "- EGFR-L858R-S",
        "~ EGFR-T790M-R therapies: +afatinib -erlotinib",
        "genes:",
        "+ KRAS",
        "drugs:",
        "+ afatinib",
        "- erlotinib",
        "~ gefitinib brand_names: +IRESSA-X",
        "hotspots:",
        "+ EGFR L858R",
        "- EGFR T790M",
        "summary: rules +1 -1 ~1; genes +1 -0 ~0; drugs +1 -1 ~1; hotspots +1 -1 ~0",
    ]


def test_repeated_hotspot_keys_gain_their_alleles(tmp_path: Path, old: RuleSet) -> None:
    second = (
        "  - gene: EGFR\n    protein_change: T790M\n    alleles:\n"
        '      GRCh38: {chrom: "7", pos: 55181378, ref: C, alt: A}\n    sources: [test]\n'
    )
    text = BASE.replace("drugs:", second + "drugs:")
    hotspots = diff_rule_sets(old, load(tmp_path, "new", text)).section("hotspots")
    assert hotspots.added == (
        "EGFR T790M @ GRCh38 7:55181378:C:T",
        "EGFR T790M @ GRCh38 7:55181378:C:A",
    )
    assert hotspots.removed == ("EGFR T790M",)


def test_changed_hotspot_fields(tmp_path: Path, old: RuleSet) -> None:
    text = BASE.replace(
        "    protein_change: T790M\n", "    protein_change: T790M\n    hgvsc: c.2369C>T\n"
    )
    (entry,) = diff_rule_sets(old, load(tmp_path, "new", text)).section("hotspots").changed
    assert entry.key == "EGFR T790M"
    assert [c.describe() for c in entry.fields] == ["hgvsc: (none) -> c.2369C>T"]


def test_json_form(tmp_path: Path, old: RuleSet) -> None:
    new = load(tmp_path, "new", replaced(BASE, ("evidence_level: B", "evidence_level: A")))
    data = diff_to_dict(diff_rule_sets(old, new), "old.yaml", "new.yaml")
    assert json.loads(json.dumps(data)) == data
    assert data["old"] == {
        "path": "old.yaml",
        "version": "local",
        "sha256": old.sha256,
        "counts": {"rules": 2, "genes": 1, "drugs": 2, "hotspots": 1},
    }
    assert data["rules"] == {
        "added": [],
        "removed": [],
        "changed": [
            {
                "key": "EGFR-T790M-R",
                "fields": [{"field": "evidence_level", "old": "B", "new": "A"}],
            }
        ],
    }
    assert data["genes"] == {"added": [], "removed": [], "changed": []}
    assert data["summary"]["differences"] is True
    assert data["summary"]["rules"] == {"added": 0, "removed": 0, "changed": 1}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "(none)"),
        ("B", "B"),
        ("", '""'),
        (" padded", '" padded"'),
        (3, "3"),
        (True, "true"),
        (["a", "b"], "[a, b]"),
        ({"include": ["NSCLC"], "exclude": []}, "{include: [NSCLC], exclude: []}"),
    ],
)
def test_render_value(value: object, text: str) -> None:
    assert render_value(value) == text
