"""Per-sample, per-therapy calls from on-label findings (first version of the policy).

Policy, for each regimen named by an on-label finding:

* only sensitivity findings → ``sensitivity`` at their strongest level;
* only resistance findings (``resistance`` or ``reduced_sensitivity``) → ``resistance``;
* both: resistance at a level at least as strong as the best sensitivity → ``resistance``
  (e.g. EGFR T790M (A) outweighs EGFR L858R (A) for gefitinib); resistance weaker than the
  sensitivity → ``conflicting``, reported at the stronger (sensitivity) level.

Off-label findings never make a call. Regimens are compared as written: a rule on
``dabrafenib + trametinib`` says nothing about ``dabrafenib`` alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from annotator.models import (
    Call,
    Effect,
    EvidenceLevel,
    Finding,
    TherapyCall,
    TumorTypeMatch,
)


def call_therapies(findings: Iterable[Finding]) -> list[TherapyCall]:
    """One call per regimen touched by an on-label finding, sorted by regimen name."""
    by_therapy: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.tumor_type_match is not TumorTypeMatch.ON_LABEL:
            continue
        for therapy in finding.therapies:
            by_therapy.setdefault(therapy, []).append(finding)
    return [call_therapy(therapy, by_therapy[therapy]) for therapy in sorted(by_therapy)]


def call_therapy(therapy: str, findings: Sequence[Finding]) -> TherapyCall:
    sensitive = [f for f in findings if f.effect is Effect.SENSITIVITY]
    resistant = [f for f in findings if f.effect is not Effect.SENSITIVITY]
    best_sensitive = _strongest(sensitive)
    best_resistant = _strongest(resistant)
    rule_ids = tuple(sorted({f.rule_id for f in findings}))
    if best_resistant is None:
        assert best_sensitive is not None
        return TherapyCall(
            therapy,
            Call.SENSITIVITY,
            best_sensitive,
            rule_ids,
            f"{therapy}: sensitivity — {_describe(sensitive)}",
        )
    if best_sensitive is None:
        return TherapyCall(
            therapy,
            Call.RESISTANCE,
            best_resistant,
            rule_ids,
            f"{therapy}: resistance — {_describe(resistant)}",
        )
    if best_resistant.rank <= best_sensitive.rank:
        return TherapyCall(
            therapy,
            Call.RESISTANCE,
            best_resistant,
            rule_ids,
            f"{therapy}: resistance — {_describe(resistant)} outweighs "
            f"{_describe(sensitive)} sensitivity",
        )
    return TherapyCall(
        therapy,
        Call.CONFLICTING,
        best_sensitive,
        rule_ids,
        f"{therapy}: conflicting — {_describe(sensitive)} sensitivity against weaker "
        f"{_describe(resistant)} resistance",
    )


def _strongest(findings: Sequence[Finding]) -> EvidenceLevel | None:
    if not findings:
        return None
    return min((f.evidence_level for f in findings), key=lambda level: level.rank)


def _describe(findings: Sequence[Finding]) -> str:
    """'EGFR T790M (A), EGFR L858R (A)': each alteration once, strongest level first."""
    seen: dict[str, EvidenceLevel] = {}
    for finding in sorted(findings, key=lambda f: (f.evidence_level.rank, f.gene, f.alteration)):
        seen.setdefault(f"{finding.gene} {finding.alteration}", finding.evidence_level)
    return ", ".join(f"{name} ({level.value})" for name, level in seen.items())
