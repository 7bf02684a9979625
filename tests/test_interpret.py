"""Per-therapy calls, the subclonal flag and drug classes: the documented policy, case by case."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from annotator.errors import RulesError
from annotator.interpret import call_therapies, driver_vaf, flag_subclonal
from annotator.matcher import RuleMatcher, SampleAllele
from annotator.models import Call, Effect, Finding
from annotator.rules import RuleSet, load_rules
from annotator.tumor_types import load_oncotree
from tests.factories import alteration, finding, variant

S, R, RS = Effect.SENSITIVITY, Effect.RESISTANCE, Effect.REDUCED_SENSITIVITY


@pytest.mark.parametrize(
    ("sides", "expected_call", "expected_level", "sensitivity_level", "resistance_level"),
    [
        ([(S, "A")], Call.SENSITIVITY, "A", "A", None),
        ([(S, "B"), (S, "A")], Call.SENSITIVITY, "A", "A", None),
        ([(R, "C")], Call.RESISTANCE, "C", None, "C"),
        ([(RS, "B")], Call.RESISTANCE, "B", None, "B"),
        ([(S, "A"), (R, "A")], Call.RESISTANCE, "A", "A", "A"),  # same level: resistance wins
        ([(S, "B"), (R, "A")], Call.RESISTANCE, "A", "B", "A"),  # stronger resistance wins
        ([(S, "D"), (R, "C"), (S, "C")], Call.RESISTANCE, "C", "C", "C"),
        ([(S, "A"), (R, "C")], Call.CONFLICTING, "A", "A", "C"),  # weaker resistance
        ([(S, "A"), (RS, "B")], Call.CONFLICTING, "A", "A", "B"),
        ([(S, "B"), (R, "D"), (R, "C")], Call.CONFLICTING, "B", "B", "C"),
    ],
)
def test_call_policy(
    sides: list[tuple[Effect, str]],
    expected_call: Call,
    expected_level: str,
    sensitivity_level: str | None,
    resistance_level: str | None,
) -> None:
    findings = [
        finding(f"R{i}", ("gefitinib",), effect, level) for i, (effect, level) in enumerate(sides)
    ]
    (call,) = call_therapies(findings)
    assert call.therapy == "gefitinib"
    assert call.call is expected_call
    assert call.evidence_level.value == expected_level
    assert (call.sensitivity_level and call.sensitivity_level.value) == sensitivity_level
    assert (call.resistance_level and call.resistance_level.value) == resistance_level
    assert call.rule_ids == tuple(f"R{i}" for i in range(len(sides)))


def test_off_label_findings_make_no_call() -> None:
    findings = [finding("R1", ("cetuximab",), R, "A", on_label=False)]
    assert call_therapies(findings) == []


def test_off_label_resistance_does_not_override_on_label_sensitivity() -> None:
    findings = [
        finding("S1", ("gefitinib",), S, "A", alteration_label="L858R"),
        finding("R1", ("gefitinib",), R, "A", on_label=False),
    ]
    (call,) = call_therapies(findings)
    assert call.call is Call.SENSITIVITY
    assert call.rule_ids == ("S1",)


def test_calls_sorted_and_combinations_kept_whole() -> None:
    findings = [
        finding("B1", ("dabrafenib + trametinib", "vemurafenib"), S, "A", gene="BRAF"),
        finding("B2", ("dabrafenib",), R, "C", gene="BRAF"),
    ]
    calls = call_therapies(findings)
    assert [c.therapy for c in calls] == ["dabrafenib", "dabrafenib + trametinib", "vemurafenib"]
    assert calls[0].call is Call.RESISTANCE
    assert calls[1].call is Call.SENSITIVITY


def test_rationale_names_alterations_and_levels() -> None:
    findings = [
        finding("EGFR-L858R-S", ("gefitinib",), S, "A", alteration_label="L858R"),
        finding("EGFR-T790M-R", ("gefitinib",), R, "A", alteration_label="T790M"),
    ]
    (call,) = call_therapies(findings)
    assert call.rationale == (
        "gefitinib: resistance — EGFR T790M (A) outweighs EGFR L858R sensitivity (A)"
    )


@pytest.mark.parametrize(
    ("sides", "rationale"),
    [
        ([("L858R", S, "A")], "gefitinib: sensitivity — EGFR L858R (A)"),
        (
            [("L858R", S, "A"), ("G719S", S, "B")],
            "gefitinib: sensitivity — EGFR L858R (A), EGFR G719S (B)",
        ),
        ([("T790M", R, "A")], "gefitinib: resistance — EGFR T790M (A)"),
        (
            [("L858R", S, "B"), ("T790M", R, "A")],
            "gefitinib: resistance — EGFR T790M (A) outweighs EGFR L858R sensitivity (B)",
        ),
        (
            [("L858R", S, "A"), ("C797S", R, "C")],
            "gefitinib: conflicting — EGFR L858R (A) sensitivity against weaker "
            "EGFR C797S (C) resistance",
        ),
    ],
)
def test_rationale_table(sides: list[tuple[str, Effect, str]], rationale: str) -> None:
    findings = [
        finding(f"R{i}", ("gefitinib",), effect, level, alteration_label=label)
        for i, (label, effect, level) in enumerate(sides)
    ]
    (call,) = call_therapies(findings)
    assert call.rationale == rationale


def test_one_alteration_named_once_at_its_strongest_level() -> None:
    findings = [
        finding("C797S-R", ("osimertinib",), R, "C", alteration_label="C797S"),
        finding("C797S-CIS-R", ("osimertinib",), R, "D", alteration_label="C797S"),
    ]
    (call,) = call_therapies(findings)
    assert call.rationale == "osimertinib: resistance — EGFR C797S (C)"
    assert call.rule_ids == ("C797S-CIS-R", "C797S-R")


def test_rationale_says_via_class() -> None:
    via = replace(
        finding("T790M-R", ("gefitinib", "icotinib"), R, "A"),
        therapies_via_class=(("icotinib", "first-generation EGFR TKI"),),
    )
    by_therapy = {c.therapy: c for c in call_therapies([via])}
    assert by_therapy["icotinib"].rationale == (
        "icotinib: resistance — EGFR T790M (A, via first-generation EGFR TKI)"
    )
    assert by_therapy["gefitinib"].rationale == "gefitinib: resistance — EGFR T790M (A)"


# --- subclonal flag ---------------------------------------------------------------------------


def with_vaf(item: Finding, vaf: float | None) -> Finding:
    return replace(item, variant=variant(vaf=vaf))


@pytest.mark.parametrize(
    ("driver", "other", "fraction", "flagged"),
    [
        (0.40, 0.05, 0.25, True),  # 0.05 < 0.25 x 0.40 = 0.10
        (0.40, 0.10, 0.25, False),  # at the threshold: not below
        (0.40, 0.20, 0.25, False),
        (0.40, 0.15, 0.5, True),  # a stricter fraction
        (0.80, 0.19, 0.25, True),  # amplified driver: the ratio is what counts
    ],
)
def test_subclonal_threshold(driver: float, other: float, fraction: float, flagged: bool) -> None:
    findings = [
        with_vaf(finding("L858R-S", ("gefitinib",), S, "A", alteration_label="L858R"), driver),
        with_vaf(finding("T790M-R", ("gefitinib",), R, "A"), other),
    ]
    result = flag_subclonal(findings, fraction)
    assert [f.subclonal for f in result] == [False, flagged]


def test_driver_is_the_highest_on_label_sensitivity_vaf() -> None:
    findings = [
        with_vaf(finding("S1", ("gefitinib",), S, "A"), 0.3),
        with_vaf(finding("S2", ("gefitinib",), S, "A"), 0.5),
        with_vaf(finding("R1", ("gefitinib",), R, "A"), 0.9),  # resistance: not a driver
        with_vaf(finding("S3", ("gefitinib",), S, "A", on_label=False), 0.7),  # off-label
    ]
    assert driver_vaf(findings) == 0.5


def test_no_driver_vaf_flags_nothing() -> None:
    findings = [
        with_vaf(finding("S1", ("gefitinib",), S, "A"), None),
        with_vaf(finding("R1", ("gefitinib",), R, "A"), 0.01),
    ]
    assert [f.subclonal for f in flag_subclonal(findings)] == [False, False]


def test_events_and_unknown_vaf_are_never_flagged() -> None:
    amplification = finding("AMP-R", ("gefitinib",), R, "B", alteration_label="amplification")
    event = replace(amplification, variant=None)
    findings = [
        with_vaf(finding("S1", ("gefitinib",), S, "A"), 0.5),
        event,
        with_vaf(finding("R2", ("gefitinib",), R, "A"), None),
    ]
    assert [f.subclonal for f in flag_subclonal(findings)] == [False, False, False]


def test_subclonal_resistance_still_counts_and_is_named() -> None:
    findings = flag_subclonal(
        [
            with_vaf(finding("L858R-S", ("gefitinib",), S, "A", alteration_label="L858R"), 0.4),
            with_vaf(finding("T790M-R", ("gefitinib",), R, "A"), 0.03),
        ]
    )
    (call,) = call_therapies(findings)
    assert call.call is Call.RESISTANCE
    assert call.rationale == (
        "gefitinib: resistance — EGFR T790M (A, subclonal) outweighs EGFR L858R sensitivity (A)"
    )


def test_rationale_names_the_failed_filter_of_a_finding() -> None:
    """Regression: a finding of a record that failed FILTER (--include-filtered) made a call
    whose rationale did not say so."""
    failed = finding("PIK3CA-S", ("alpelisib",), S, "A", gene="PIK3CA", alteration_label="H1047R")
    assert failed.variant is not None
    failed = replace(failed, variant=replace(failed.variant, filters=("weak_evidence", "LowQ")))
    passed = finding("EGFR-R", ("alpelisib",), R, "A")
    (call,) = call_therapies([failed, passed])
    assert call.rationale == (
        "alpelisib: resistance — EGFR T790M (A) outweighs PIK3CA H1047R "
        "(FILTER weak_evidence;LowQ) sensitivity (A)"
    )
    (alone,) = call_therapies([failed])
    assert alone.rationale == (
        "alpelisib: sensitivity — PIK3CA H1047R (A, FILTER weak_evidence;LowQ)"
    )
    assert passed.variant is not None
    (plain,) = call_therapies([replace(passed, variant=replace(passed.variant, filters=("PASS",)))])
    assert "FILTER" not in plain.rationale


# --- drug classes: a rule's therapy_classes, expanded through the drug table -------------------

CLASS_RULES = """
genes:
  - symbol: EGFR
    hgnc_id: "HGNC:3236"
    ensembl_transcript: ENST00000275493
    strand: "+"
    sources: [test]
drugs:
  - {name: gefitinib, classes: [EGFR TKI, first-generation EGFR TKI], sources: [test]}
  - {name: erlotinib, classes: [EGFR TKI, First-Generation EGFR TKI], sources: [test]}
  - {name: osimertinib, classes: [EGFR TKI, third-generation EGFR TKI], sources: [test]}
rules:
  - id: T790M-R
    gene: EGFR
    alteration: {protein_changes: [T790M]}
    tumor_types: {include: [NSCLC]}
    effect: resistance
    therapies: [gefitinib]
    therapy_classes: [%s]
    evidence_level: A
    citations: ["PMID:15737014"]
    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]
"""


def class_rules(tmp_path: Path, therapy_class: str) -> RuleSet:
    path = tmp_path / "classes.yaml"
    path.write_text(CLASS_RULES % therapy_class)
    return load_rules([path], bundled=False)


def test_a_class_reaches_every_drug_of_it(tmp_path: Path) -> None:
    rules = class_rules(tmp_path, "first-generation EGFR TKI")
    matcher = RuleMatcher(rules, build="GRCh38", tumor_type="LUAD", oncotree=load_oncotree())
    on = variant("7", 55181378, "C", "T")
    (found,) = matcher.match([SampleAllele(on, (alteration("EGFR", "T790M", on=on),), True)])
    assert found.therapies == ("gefitinib", "erlotinib")  # the rule's own first; any case
    assert found.therapies_via_class == (("erlotinib", "first-generation EGFR TKI"),)
    calls = {c.therapy: c for c in call_therapies([found])}
    assert calls["erlotinib"].call is Call.RESISTANCE
    assert calls["erlotinib"].rationale == (
        "erlotinib: resistance — EGFR T790M (A, via first-generation EGFR TKI)"
    )


def test_a_class_naming_no_drug_is_a_rules_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError) as caught:
        class_rules(tmp_path, "second-generation EGFR TKI")
    (problem,) = caught.value.problems
    assert "rule T790M-R: therapy_classes.0: names no drug of the drug table" in problem
    assert "'second-generation EGFR TKI'" in problem


def test_the_bundled_t790m_rule_covers_first_generation_tkis() -> None:
    rules = load_rules()
    matcher = RuleMatcher(rules, build="GRCh38", tumor_type="LUAD", oncotree=load_oncotree())
    (rule,) = [r for r in rules.rules if r.id == "EGFR-T790M-1GTKI-R"]
    therapies, via_class = matcher.rule_therapies(rule)
    assert set(therapies) == {"gefitinib", "erlotinib"}
    assert via_class == ()  # both are also named by the rule
