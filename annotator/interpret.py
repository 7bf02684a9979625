"""Per-sample, per-therapy calls from on-label findings, and the subclonal flag.

Therapy-call policy, for each therapy (regimen, as the rules write it) named by an on-label
finding. Resistance means ``resistance`` or ``reduced_sensitivity``; levels are AMP/ASCO/CAP
A (strongest) to D; each side's level is the strongest of its findings:

* only sensitivity findings → ``sensitivity``;
* only resistance findings → ``resistance``;
* both, resistance at the same or a stronger level than the sensitivity → ``resistance``: an
  acquired-resistance rule overrides the sensitivity of the same drug at the same or a weaker
  level ("gefitinib: resistance — EGFR T790M (A) outweighs EGFR L858R sensitivity (A)");
* both, resistance at a weaker level → ``conflicting``, with both sides shown.

The call's ``evidence_level`` is the strongest level of the side it names (the sensitivity side
for ``conflicting``); ``sensitivity_level`` and ``resistance_level`` give each side's. Off-label
findings never make a call. Regimens are compared as written (``dabrafenib + trametinib`` says
nothing about ``dabrafenib`` alone); drug classes reach a call only through a rule's
``therapy_classes``, which the matcher expands into the finding's therapies.

Subclonal flag (:func:`flag_subclonal`): the "driver" VAF is the highest VAF among the sample's
on-label sensitivity findings; a finding whose VAF is below ``fraction`` x that VAF is flagged
``subclonal``. With the same copy number and both variants heterozygous, the ratio of two VAFs
estimates the fraction of the driver-carrying cells that carry the second variant, so the
default 0.25 flags a variant seen in under about a quarter of those cells: a convention of this
tool (chosen to leave the binomial noise of a clonal variant at usual depths unflagged), not a
published threshold. Copy-number changes and purity bend the ratio, so the flag is a prompt to
look, never a filter: flagged findings still count in the calls, whose rationale says
"subclonal". Findings without a VAF (events, callers that give none) are never flagged; without
a driver VAF nothing is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from annotator.models import (
    DEFAULT_SUBCLONAL_FRACTION,
    Call,
    Effect,
    EvidenceLevel,
    Finding,
    TherapyCall,
    TumorTypeMatch,
    Variant,
)


def driver_vaf(findings: Iterable[Finding]) -> float | None:
    """The highest VAF among on-label sensitivity findings, or None when none has a VAF."""
    vafs = [
        f.variant.vaf
        for f in findings
        if f.effect is Effect.SENSITIVITY
        and f.tumor_type_match is TumorTypeMatch.ON_LABEL
        and f.variant is not None
        and f.variant.vaf is not None
    ]
    return max(vafs) if vafs else None


def subclonal_threshold(
    findings: Iterable[Finding], fraction: float = DEFAULT_SUBCLONAL_FRACTION
) -> float | None:
    """The VAF below which a finding is flagged subclonal: ``fraction`` x the driver VAF
    (:func:`driver_vaf`); None without a driver VAF, when nothing is flagged."""
    driver = driver_vaf(findings)
    return None if driver is None else fraction * driver


def flag_subclonal(
    findings: Sequence[Finding], fraction: float = DEFAULT_SUBCLONAL_FRACTION
) -> list[Finding]:
    """The findings, those with a VAF below ``fraction`` x the driver VAF flagged subclonal."""
    threshold = subclonal_threshold(findings, fraction)
    if threshold is None:
        return list(findings)
    return [
        replace(f, subclonal=True)
        if f.variant is not None and f.variant.vaf is not None and f.variant.vaf < threshold
        else f
        for f in findings
    ]


#: How far apart two SNVs can lie in one codon.
CODON_REACH = 2


def flag_neighbouring_snvs(
    findings: Sequence[Finding], snvs: Mapping[tuple[str, int], Sequence[Variant]]
) -> list[Finding]:
    """The findings, those of an SNV with another of the sample's SNVs (``snvs``, by
    chromosome and position, in the order of their records) within a codon's reach told so
    in ``detail``: callers that do not merge adjacent changes (Strelka2, VarScan2) write a
    two-base change in one codon as two SNVs, and the amino acid the two make together is not
    the one either makes alone (BRAF V600E and c.1798G>A together are V600K). The finding
    stands; the reads decide."""
    flagged = []
    for finding in findings:
        variant = finding.variant
        near = (
            [
                other
                for step in range(-CODON_REACH, CODON_REACH + 1)
                if step
                for other in snvs.get((variant.chrom, variant.pos + step), ())
            ]
            if variant is not None and len(variant.ref) == len(variant.alt) == 1
            else []
        )
        if not near:
            flagged.append(finding)
            continue
        others = ", ".join(f"{other.chrom}:{other.pos} {other.ref}>{other.alt}" for other in near)
        caveat = (
            f"another SNV of the sample within {CODON_REACH} bases ({others}): if it lies on "
            f"the same reads, the two may change this codon together (a two-base change called "
            f"as two SNVs) into another amino acid than {finding.alteration}; check the reads"
        )
        detail = f"{finding.detail}; {caveat}" if finding.detail else caveat
        flagged.append(replace(finding, detail=detail))
    return flagged


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
    """The call for one regimen from its on-label findings (module docstring)."""
    sensitive = [f for f in findings if f.effect is Effect.SENSITIVITY]
    resistant = [f for f in findings if f.effect is not Effect.SENSITIVITY]
    sensitivity_level = _strongest(sensitive)
    resistance_level = _strongest(resistant)
    rule_ids = tuple(sorted({f.rule_id for f in findings}))
    if resistance_level is None:
        assert sensitivity_level is not None
        call, level = Call.SENSITIVITY, sensitivity_level
        rationale = _describe(sensitive, therapy)
    elif sensitivity_level is None:
        call, level = Call.RESISTANCE, resistance_level
        rationale = _describe(resistant, therapy)
    elif resistance_level.rank <= sensitivity_level.rank:
        call, level = Call.RESISTANCE, resistance_level
        rationale = (
            f"{_describe(resistant, therapy)} outweighs {_names(sensitive, therapy)} "
            f"sensitivity ({sensitivity_level.value})"
        )
    else:
        call, level = Call.CONFLICTING, sensitivity_level
        rationale = (
            f"{_describe(sensitive, therapy)} sensitivity against weaker "
            f"{_describe(resistant, therapy)} resistance"
        )
    return TherapyCall(
        therapy,
        call,
        level,
        rule_ids,
        f"{therapy}: {call.value} — {rationale}",
        sensitivity_level=sensitivity_level,
        resistance_level=resistance_level,
    )


def _strongest(findings: Sequence[Finding]) -> EvidenceLevel | None:
    if not findings:
        return None
    return min((f.evidence_level for f in findings), key=lambda level: level.rank)


def _alterations(findings: Sequence[Finding], therapy: str) -> dict[str, list[str]]:
    """Each alteration once, strongest level first, with its notes: the level, ``subclonal``
    when any of its findings is flagged, ``FILTER <names>`` when its record failed FILTER
    (annotated with --include-filtered), ``via <class>`` when the therapy came from a class."""
    grouped: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: (f.evidence_level.rank, f.gene, f.alteration)):
        grouped.setdefault(f"{finding.gene} {finding.alteration}", []).append(finding)
    described: dict[str, list[str]] = {}
    for name, group in grouped.items():
        notes = [group[0].evidence_level.value]
        if any(f.subclonal for f in group):
            notes.append("subclonal")
        failed = dict.fromkeys(name for f in group for name in failed_filters(f.variant))
        if failed:
            notes.append(f"FILTER {';'.join(failed)}")
        classes = [dict(f.therapies_via_class).get(therapy) for f in group]
        if all(classes):
            notes.append(f"via {classes[0]}")
        described[name] = notes
    return described


def failed_filters(variant: Variant | None) -> tuple[str, ...]:
    """The FILTER names the variant's record failed; none for PASS, ``.`` and events."""
    if variant is None or variant.passed:
        return ()
    return variant.filters


def _describe(findings: Sequence[Finding], therapy: str) -> str:
    """'EGFR T790M (A, subclonal), EGFR L858R (A)'."""
    return ", ".join(
        f"{name} ({', '.join(notes)})" for name, notes in _alterations(findings, therapy).items()
    )


def _names(findings: Sequence[Finding], therapy: str) -> str:
    """'EGFR L858R, EGFR G719S (subclonal)': the alterations without their levels."""
    parts = []
    for name, notes in _alterations(findings, therapy).items():
        extra = notes[1:]
        parts.append(f"{name} ({', '.join(extra)})" if extra else name)
    return ", ".join(parts)
