"""Per-therapy calls: the documented first-version policy, case by case."""

from __future__ import annotations

import pytest

from annotator.interpret import call_therapies
from annotator.models import Call, Effect
from tests.factories import finding

S, R, RS = Effect.SENSITIVITY, Effect.RESISTANCE, Effect.REDUCED_SENSITIVITY


@pytest.mark.parametrize(
    ("sides", "expected_call", "expected_level"),
    [
        ([(S, "A")], Call.SENSITIVITY, "A"),
        ([(S, "B"), (S, "A")], Call.SENSITIVITY, "A"),
        ([(R, "C")], Call.RESISTANCE, "C"),
        ([(RS, "B")], Call.RESISTANCE, "B"),
        ([(S, "A"), (R, "A")], Call.RESISTANCE, "A"),  # equal strength: resistance wins
        ([(S, "B"), (R, "A")], Call.RESISTANCE, "A"),  # stronger resistance wins
        ([(S, "A"), (R, "C")], Call.CONFLICTING, "A"),  # weaker resistance: conflicting
        ([(S, "A"), (RS, "B")], Call.CONFLICTING, "A"),
    ],
)
def test_call_policy(
    sides: list[tuple[Effect, str]], expected_call: Call, expected_level: str
) -> None:
    findings = [
        finding(f"R{i}", ("gefitinib",), effect, level) for i, (effect, level) in enumerate(sides)
    ]
    (call,) = call_therapies(findings)
    assert call.therapy == "gefitinib"
    assert call.call is expected_call
    assert call.evidence_level.value == expected_level
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
        "gefitinib: resistance — EGFR T790M (A) outweighs EGFR L858R (A) sensitivity"
    )
