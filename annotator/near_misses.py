"""Near misses (``--explain``): for each rule-gene allele and event of a sample, the rules of
its gene that did not fire on-label, and why (:class:`~annotator.models.NearMissReason`).

The matcher (:class:`~annotator.matcher.RuleMatcher`) says which rules an allele or event is a
candidate of, whether a condition is present and which alleles have it; here its answers are
turned into one reason per rule and allele, in the order of
:func:`find_near_misses`. Reading keeps the alleles a near miss may name
(:meth:`RuleMatcher.explains`).
"""

from __future__ import annotations

from collections.abc import Sequence

from annotator.genome import normalize_chrom
from annotator.matcher import (
    RuleMatcher,
    Sample,
    SampleAllele,
    residue_span,
    tumor_type_match,
    variant_label,
)
from annotator.models import (
    Alteration,
    Finding,
    NearMiss,
    NearMissReason,
    Phase,
    TumorTypeMatch,
    Unclassified,
    Variant,
    allele_key,
    phase_between,
)
from annotator.protein import parse_protein_change
from annotator.rules.schema import GeneSpec, Rule, Selector
from annotator.selector_match import EVENT_SELECTORS, parsed_codons, ranges_overlap
from annotator.tumor_types import describe_tumor_types


def find_near_misses(
    matcher: RuleMatcher,
    alleles: Sequence[SampleAllele],
    events: Sequence[Alteration],
    findings: Sequence[Finding],
    *,
    filtered_findings: Sequence[tuple[Finding, str]] = (),
    filtered_alleles: Sequence[SampleAllele] = (),
    unclassified: Sequence[Unclassified] = (),
) -> list[NearMiss]:
    """For each rule-gene allele and event, the rules of its gene that did not fire
    on-label, and why; at most one reason per rule and allele (or event), in this order:

    - ``off_label``: the rule fired for another tumor type (the detail names the types);
    - ``requires_unmet`` / ``phase_unknown`` / ``excluded``: the alteration matched but a
      ``requires`` condition is absent (or in the other phase, or its phase is unknown) or
      an ``excludes`` condition is present;
    - ``transcript_differs``: the change matches the rule only on a transcript other than
      the rules' one;
    - ``filtered``: set aside for VAF or depth (``filtered_findings``), or a record that
      failed FILTER (``filtered_alleles``: the rules its alteration matches; the detail
      adds what else would stop the rule: its conditions, another tumor type);
    - ``unclassified``: no effect could be read (``unclassified``); listed against each
      small-variant rule of the gene whose exons (by the gene table) hold the variant, or
      every one when the table cannot tell.

    Sorted by input record, then rule id; events after small variants.
    """
    sample = Sample(tuple(alleles), tuple(events))
    on_label = {
        (f.rule_id, allele_key(f.variant))
        for f in findings
        if f.variant is not None and f.tumor_type_match is TumorTypeMatch.ON_LABEL
    }
    # A rule set aside for VAF or depth fired all the same: its miss is ``filtered``, not
    # another transcript's change or an unmet condition.
    fired = {
        (f.rule_id, allele_key(f.variant))
        for f in (*findings, *(finding for finding, _reason in filtered_findings))
        if f.variant is not None
    }
    misses: dict[tuple[str, object], tuple[tuple[int, int, int, str], NearMiss]] = {}

    def add(order: tuple[int, int, int], subject: object, miss: NearMiss) -> None:
        key = (miss.rule_id, subject)
        if key not in on_label and key not in misses:
            misses[key] = ((*order, miss.rule_id), miss)

    def add_variant(variant: Variant, miss: NearMiss) -> None:
        add((0, variant.record_index, variant.alt_index), allele_key(variant), miss)

    for finding in findings:
        if finding.variant is not None and finding.tumor_type_match is TumorTypeMatch.OFF_LABEL:
            detail = _off_label_detail(matcher, _rule(matcher, finding.rule_id))
            add_variant(finding.variant, _of_finding(finding, NearMissReason.OFF_LABEL, detail))
    for allele in alleles:
        variant = allele.variant
        for rule, alteration, _match_type in matcher.candidates(allele):
            if (rule.id, allele_key(variant)) in fired:
                continue
            label = matcher.label(rule, variant, alteration)
            unmet = _unmet(matcher, rule, sample, variant, f"{rule.gene} {label}", alteration)
            if unmet is not None:
                add_variant(variant, NearMiss(rule.id, rule.gene, label, variant, *unmet))
        for rule, alteration in matcher.other_transcript_hits(allele):
            if (rule.id, allele_key(variant)) not in fired:
                add_variant(
                    variant,
                    NearMiss(
                        rule.id,
                        rule.gene,
                        alteration.label,
                        variant,
                        NearMissReason.TRANSCRIPT,
                        _transcript_detail(matcher, rule, alteration),
                    ),
                )
    for finding, reason in filtered_findings:
        if finding.variant is not None:
            add_variant(finding.variant, _of_finding(finding, NearMissReason.FILTERED, reason))
    for allele in filtered_alleles:
        variant = allele.variant
        for rule, alteration, _match_type in matcher.candidates(allele):
            label = matcher.label(rule, variant, alteration)
            details = [
                f"FILTER {';'.join(variant.filters)} (record {variant.record_index})"
                if variant.filters
                else f"not in the tumor sample's GT or reads (record {variant.record_index})"
            ]
            unmet = _unmet(matcher, rule, sample, variant, f"{rule.gene} {label}", alteration)
            if unmet is not None:
                details.append(f"also {unmet[1]}")
            if tumor_type_match(rule.tumor_types, matcher.tumor_type, matcher.oncotree) is (
                TumorTypeMatch.OFF_LABEL
            ):
                details.append(f"also {_off_label_detail(matcher, rule)}")
            add_variant(
                variant,
                NearMiss(
                    rule.id,
                    rule.gene,
                    label,
                    variant,
                    NearMissReason.FILTERED,
                    "; ".join(details),
                ),
            )
    for item in unclassified:
        for rule in matcher.rules.for_gene(item.gene):
            if rule.gene == item.gene and _could_apply(matcher, rule, item.variant):
                add_variant(
                    item.variant,
                    NearMiss(
                        rule.id,
                        rule.gene,
                        variant_label(item.variant),
                        item.variant,
                        NearMissReason.UNCLASSIFIED,
                        item.reason,
                    ),
                )
    for index, event in enumerate(events):
        subject = (event.gene, event.event)
        for rule, _match_type in matcher.event_candidates(event):
            unmet = _unmet(matcher, rule, sample, None, f"{event.gene} {event.label}")
            if unmet is not None:
                miss = NearMiss(rule.id, rule.gene, event.label, None, *unmet)
            elif tumor_type_match(rule.tumor_types, matcher.tumor_type, matcher.oncotree) is (
                TumorTypeMatch.OFF_LABEL
            ):
                miss = NearMiss(
                    rule.id,
                    rule.gene,
                    event.label,
                    None,
                    NearMissReason.OFF_LABEL,
                    _off_label_detail(matcher, rule),
                )
            else:
                continue
            add((1, index, 0), subject, miss)
    return [miss for _order, miss in sorted(misses.values(), key=lambda item: item[0])]


def _of_finding(finding: Finding, reason: NearMissReason, detail: str) -> NearMiss:
    """The near miss of a finding that did not count (off-label, or set aside by a filter),
    named as the finding is."""
    return NearMiss(
        finding.rule_id, finding.gene, finding.alteration, finding.variant, reason, detail
    )


def _rule(matcher: RuleMatcher, rule_id: str) -> Rule:
    return next(rule for rule in matcher.rules.rules if rule.id == rule_id)


def _off_label_detail(matcher: RuleMatcher, rule: Rule) -> str:
    types = describe_tumor_types(rule.tumor_types.include, rule.tumor_types.exclude)
    return f"rule needs {types} (sample {matcher.tumor_type})"


def _unmet(
    matcher: RuleMatcher,
    rule: Rule,
    sample: Sample,
    anchor: Variant | None,
    anchor_label: str,
    anchored: Alteration | None = None,
) -> tuple[NearMissReason, str] | None:
    """Why the rule's conditions stop it (the first condition that does), or None."""
    for condition in rule.requires:
        if matcher.condition_present(condition, sample, anchor, anchored):
            continue
        wanted = f"{condition.gene} {condition.describe()}"
        # Whether an allele other than the anchor has it (the first one found tells: a
        # gene of a large input has thousands); the phase of every one only for a phase.
        having = matcher.condition_alleles(condition, sample)
        if condition.within_rule_allele and any(variant != anchor for variant in having):
            span = residue_span(anchored) if anchored is not None else None
            where = f"residues {span[0]}-{span[1]}" if span else "no known residues"
            return (
                NearMissReason.REQUIRES_UNMET,
                f"requires {wanted} at a residue {anchor_label} spans ({where}); found elsewhere",
            )
        if condition.phase is not None and anchor is not None:
            phases = {phase_between(anchor, variant) for variant in having if variant != anchor}
            if Phase.UNKNOWN in phases:
                return (
                    NearMissReason.PHASE_UNKNOWN,
                    f"phase of {wanted} to {anchor_label} unknown (rule needs "
                    f"{condition.phase}; give a phased VCF or --bam)",
                )
            if phases:
                found = "/".join(sorted(phase.value for phase in phases))
                return (
                    NearMissReason.REQUIRES_UNMET,
                    f"requires {wanted} in {condition.phase} with {anchor_label}; found in {found}",
                )
        return NearMissReason.REQUIRES_UNMET, f"requires {wanted} not present"
    for condition in rule.excludes:
        if matcher.condition_present(condition, sample, anchor, anchored):
            phase = f" in {condition.phase}" if condition.phase else ""
            return (
                NearMissReason.EXCLUDED,
                f"excluded by {condition.gene} {condition.describe()}{phase} present",
            )
    return None


def _transcript_detail(matcher: RuleMatcher, rule: Rule, alteration: Alteration) -> str:
    spec = matcher.rules.genes.get(rule.gene)
    expected = spec.ensembl_transcript if spec else "its MANE Select transcript"
    change = "protein change" if alteration.protein is not None else "change"
    return (
        f"{change} {alteration.label} on {alteration.transcript or 'another transcript'} "
        f"only; the rule reads {expected}"
    )


def _could_apply(matcher: RuleMatcher, rule: Rule, variant: Variant) -> bool:
    """Whether a small-variant rule could concern this unclassified variant: False for
    event and genomic rules (decided without annotation) and when the gene table places
    every exon the rule's selector names away from the variant."""
    kind = rule.alteration.kind
    if kind in EVENT_SELECTORS or kind == "genomic":
        return False
    spec = matcher.rules.genes.get(rule.gene)
    numbers = _selector_exons(rule.alteration, spec) if spec is not None else None
    if spec is None or numbers is None:
        return True
    chrom = normalize_chrom(variant.chrom)
    end = variant.pos + max(len(variant.ref), 1) - 1
    for exon in spec.exons:
        if exon.number not in numbers:
            continue
        span = exon.spans.get(matcher.selectors.build)  # type: ignore[call-overload]
        if span is None:
            return True
        if span.chrom == chrom and span.start <= end and variant.pos <= span.end:
            return True
    return False


def _selector_exons(selector: Selector, spec: GeneSpec) -> frozenset[int] | None:
    """The exons of the gene table a selector's alterations lie in; None when unknown."""
    if not spec.exons:
        return None
    kind = selector.kind
    codons: list[int] = []
    if kind == "exon":
        return frozenset({selector.exon}) if selector.exon is not None else None
    if kind == "codons":
        codons = [number for _residue, number in parsed_codons(selector)]
    elif kind == "protein_changes":
        for text in selector.protein_changes or []:
            change = parse_protein_change(text)
            codons.extend({change.start, change.end or change.start})
    elif kind == "protein_range" and selector.protein_range is not None:
        span = range(selector.protein_range.start, selector.protein_range.end + 1)
        numbers = {exon.number for exon in spec.exons if ranges_overlap(exon.codons, span)}
        return frozenset(numbers) if numbers else None
    else:
        return None
    found = [spec.exon_of_codon(codon) for codon in codons]
    if not found or any(number is None for number in found):
        return None
    return frozenset(number for number in found if number is not None)
