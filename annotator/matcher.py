"""Rules x a sample's alterations → findings, and the rule-gene variants that stay unclassified.

Pure functions over plain records. A rule fires when its selector matches an alteration of its
gene (protein-, codon-, range- and exon-level selectors only on the rules' transcript), its
``requires`` conditions are all met in the sample and none of its ``excludes`` is. Tumor type
never stops a rule from firing: it decides ``on_label`` or ``off_label``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from annotator.genome import normalize_chrom
from annotator.models import (
    LOSS_OF_FUNCTION,
    Alteration,
    Finding,
    MatchType,
    TumorTypeMatch,
    Unclassified,
    Variant,
    VariantClass,
    phase_between,
)
from annotator.protein import ChangeKind, parse_codon, parse_protein_change
from annotator.rules import RuleSet
from annotator.rules.schema import Condition, GeneSpec, Rule, Selector, TumorTypes
from annotator.tumor_types import OncoTree

#: Classes whose protein change a rule needs to read.
PROTEIN_CHANGING = frozenset(
    {
        VariantClass.MISSENSE,
        VariantClass.NONSENSE,
        VariantClass.FRAMESHIFT,
        VariantClass.INFRAME_DELETION,
        VariantClass.INFRAME_INSERTION,
    }
)

AlleleKey = tuple[str, int, str, str]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SampleAllele:
    """One ALT allele of the sample with its alterations in rule genes."""

    variant: Variant
    alterations: tuple[Alteration, ...]
    annotated: bool  # the record carries any consequence annotation at all


@dataclass(frozen=True, slots=True)
class Sample:
    """Everything observed in one sample: small-variant alleles and gene-level events."""

    alleles: tuple[SampleAllele, ...]
    events: tuple[Alteration, ...] = ()


def allele_key(variant: Variant) -> AlleleKey:
    return (normalize_chrom(variant.chrom), variant.pos, variant.ref.upper(), variant.alt.upper())


def tumor_type_match(
    tumor_types: TumorTypes, sample_type: str, oncotree: OncoTree
) -> TumorTypeMatch:
    """On-label when the sample's type is a listed type or below one, and not below an excluded."""
    included = "ALL" in tumor_types.include or any(
        oncotree.is_within(sample_type, code) for code in tumor_types.include
    )
    excluded = any(oncotree.is_within(sample_type, code) for code in tumor_types.exclude)
    return TumorTypeMatch.ON_LABEL if included and not excluded else TumorTypeMatch.OFF_LABEL


class SelectorMatcher:
    """Decides whether a selector matches an alteration or an allele; caches parsed notation."""

    def __init__(self, build: str) -> None:
        self.build = build
        self._protein_changes = SelectorCache(_normalized_protein_changes)
        self._codons = SelectorCache(_parsed_codons)
        self.genomic_alleles = SelectorCache(self._alleles_for_build)

    def match_alteration(self, selector: Selector, alteration: Alteration) -> MatchType | None:
        kind = selector.kind
        if kind == "genomic":
            if alteration.variant is None:
                return None
            return self.match_allele(selector, alteration.variant)
        if kind in EVENT_SELECTORS:
            return _match_event(selector, alteration)
        if kind == "gene_class":
            if alteration.event == "deletion" or (
                alteration.preferred and alteration.variant_class in LOSS_OF_FUNCTION
            ):
                return MatchType.GENE_CLASS
            return None
        if not alteration.preferred:
            return None
        if kind == "protein_changes":
            wanted = self._protein_changes(selector)
            protein = alteration.protein
            return MatchType.PROTEIN if protein is not None and protein.short in wanted else None
        if not _consequence_allowed(selector, alteration):
            return None
        if kind == "codons":
            return MatchType.CODON if self._codon_hit(selector, alteration) else None
        if kind == "protein_range":
            assert selector.protein_range is not None
            span = range(selector.protein_range.start, selector.protein_range.end + 1)
            protein = alteration.protein
            if (
                protein is not None
                and _changes_protein(alteration)
                and _overlaps(protein.positions, span)
            ):
                return MatchType.EXON
            return None
        if kind == "exon":
            if (
                alteration.exon is not None
                and alteration.exon == selector.exon
                and alteration.variant_class is not VariantClass.SYNONYMOUS
            ):
                return MatchType.EXON
            return None
        return None

    def match_allele(self, selector: Selector, variant: Variant) -> MatchType | None:
        if selector.kind != "genomic":
            return None
        wanted = self.genomic_alleles(selector)
        return MatchType.GENOMIC if allele_key(variant) in wanted else None

    def _codon_hit(self, selector: Selector, alteration: Alteration) -> bool:
        protein = alteration.protein
        if protein is None or not _changes_protein(alteration):
            return False
        for residue, position in self._codons(selector):
            if position not in protein.positions:
                continue
            # The reference residue must agree where the change names it, else the numbering
            # is not the rule's.
            if position == protein.start and protein.start_aa != residue:
                continue
            if position == protein.end and protein.end_aa not in (None, residue):
                continue
            return True
        return False

    def _alleles_for_build(self, selector: Selector) -> frozenset[AlleleKey]:
        alleles = (selector.genomic or {}).get(self.build, [])  # type: ignore[call-overload]
        return frozenset((normalize_chrom(a.chrom), a.pos, a.ref, a.alt) for a in alleles)


class SelectorCache(Generic[T]):
    """Per-selector derived values (parsed notation), keyed by identity.

    Selectors are frozen pydantic models with list fields, so not hashable; the cache keeps a
    reference to each selector so that an id is never reused for another one.
    """

    def __init__(self, compute: Callable[[Selector], T]) -> None:
        self._compute = compute
        self._items: dict[int, tuple[Selector, T]] = {}

    def __call__(self, selector: Selector) -> T:
        item = self._items.get(id(selector))
        if item is None or item[0] is not selector:
            item = (selector, self._compute(selector))
            self._items[id(selector)] = item
        return item[1]


def _normalized_protein_changes(selector: Selector) -> frozenset[str]:
    return frozenset(parse_protein_change(text).short for text in selector.protein_changes or [])


def _parsed_codons(selector: Selector) -> tuple[tuple[str, int], ...]:
    return tuple(parse_codon(text) for text in selector.codons or [])


#: Selector kinds that match gene-level events, with the match type each gives.
EVENT_SELECTORS: Mapping[str, MatchType] = {
    "fusion": MatchType.FUSION,
    "copy_number": MatchType.COPY_NUMBER,
    "expression": MatchType.EXPRESSION,
    "biomarker": MatchType.BIOMARKER,
}


def _match_event(selector: Selector, alteration: Alteration) -> MatchType | None:
    """Fusion, copy-number, expression and biomarker selectors match events only."""
    kind = selector.kind
    if alteration.event is None:
        return None
    if kind == "fusion":
        hit = alteration.event == "fusion" and alteration.gene == selector.fusion
    else:
        hit = alteration.event == getattr(selector, kind)
    return EVENT_SELECTORS[kind] if hit else None


def _consequence_allowed(selector: Selector, alteration: Alteration) -> bool:
    return selector.consequences is None or alteration.variant_class in selector.consequences


def _changes_protein(alteration: Alteration) -> bool:
    protein = alteration.protein
    return protein is not None and protein.kind is not ChangeKind.SYNONYMOUS


def _overlaps(first: range, second: range) -> bool:
    return first.start < second.stop and second.start < first.stop


class RuleMatcher:
    """Matches every rule of a rules set against one sample."""

    def __init__(self, rules: RuleSet, *, build: str, tumor_type: str, oncotree: OncoTree) -> None:
        self.rules = rules
        self.tumor_type = tumor_type
        self.oncotree = oncotree
        self.selectors = SelectorMatcher(build)
        self._genomic_rules: dict[AlleleKey, list[Rule]] = {}
        for rule in rules.rules:
            if rule.alteration.kind == "genomic":
                for key in self.selectors.genomic_alleles(rule.alteration):
                    self._genomic_rules.setdefault(key, []).append(rule)

    def has_genomic_rule(self, key: AlleleKey) -> bool:
        return key in self._genomic_rules

    def match(
        self, alleles: Sequence[SampleAllele], events: Sequence[Alteration] = ()
    ) -> list[Finding]:
        """All findings of the sample: small variants in input order, then events; within
        each, by rule id. Each (rule, allele) and (rule, event) pair once."""
        sample = Sample(tuple(alleles), tuple(events))
        findings: list[Finding] = []
        seen: set[tuple[str, tuple[object, ...]]] = set()
        for allele in alleles:
            for rule, alteration, match_type in self._candidates(allele):
                key = (rule.id, allele_key(allele.variant))
                if key in seen or not self._conditions_met(rule, sample, allele.variant):
                    continue
                seen.add(key)
                findings.append(self._finding(rule, allele.variant, alteration, match_type))
        for event in events:
            for rule, match_type in self._event_candidates(event):
                event_key = (rule.id, (event.gene, event.event))
                if event_key in seen or not self._conditions_met(rule, sample):
                    continue
                seen.add(event_key)
                findings.append(self._finding(rule, None, event, match_type))
        return findings

    def _event_candidates(self, event: Alteration) -> list[tuple[Rule, MatchType]]:
        hits = []
        for rule in self.rules.for_gene(event.gene):
            if rule.gene != event.gene and rule.alteration.kind != "fusion":
                continue
            match_type = self.selectors.match_alteration(rule.alteration, event)
            if match_type is not None:
                hits.append((rule, match_type))
        return sorted(hits, key=lambda hit: hit[0].id)

    def _candidates(
        self, allele: SampleAllele
    ) -> Iterable[tuple[Rule, Alteration | None, MatchType]]:
        hits: list[tuple[Rule, Alteration | None, MatchType]] = []
        for rule in self._genomic_rules.get(allele_key(allele.variant), []):
            hits.append((rule, _preferred_in_gene(allele, rule.gene), MatchType.GENOMIC))
        for alteration in allele.alterations:
            for rule in self.rules.for_gene(alteration.gene):
                if rule.alteration.kind == "genomic" or rule.gene != alteration.gene:
                    continue
                match_type = self.selectors.match_alteration(rule.alteration, alteration)
                if match_type is not None:
                    hits.append((rule, alteration, match_type))
        return sorted(hits, key=lambda hit: hit[0].id)

    def condition_present(
        self, condition: Condition, sample: Sample, anchor: Variant | None = None
    ) -> bool:
        """Whether the sample has the condition's alteration (in the required phase to
        ``anchor``, the allele that fired the rule, when the condition names a phase)."""
        for allele in sample.alleles:
            if condition.phase is not None and (
                anchor is None
                or allele.variant == anchor
                or phase_between(anchor, allele.variant).value != condition.phase
            ):
                continue
            if self.selectors.match_allele(condition, allele.variant) is not None:
                return True
            for alteration in allele.alterations:
                if alteration.gene == condition.gene and self.selectors.match_alteration(
                    condition, alteration
                ):
                    return True
        if condition.phase is not None:
            return False
        return any(
            event.gene == condition.gene and self.selectors.match_alteration(condition, event)
            for event in sample.events
        )

    def _conditions_met(self, rule: Rule, sample: Sample, anchor: Variant | None = None) -> bool:
        required = all(self.condition_present(c, sample, anchor) for c in rule.requires)
        excluded = any(self.condition_present(c, sample, anchor) for c in rule.excludes)
        return required and not excluded

    def _finding(
        self,
        rule: Rule,
        variant: Variant | None,
        alteration: Alteration | None,
        match_type: MatchType,
    ) -> Finding:
        if alteration is not None:
            label = alteration.label
        else:
            assert variant is not None
            label = f"{variant.chrom}:{variant.pos}{variant.ref}>{variant.alt}"
        return Finding(
            rule_id=rule.id,
            gene=rule.gene,
            alteration=label,
            hgvsp=alteration.hgvsp if alteration else None,
            variant=variant,
            effect=rule.effect,
            therapies=tuple(rule.therapies),
            evidence_level=rule.evidence_level,
            tumor_type_match=tumor_type_match(rule.tumor_types, self.tumor_type, self.oncotree),
            match_type=match_type,
            citations=tuple(rule.citations),
            transcript=alteration.transcript if alteration else None,
            hgvsc=alteration.hgvsc if alteration else None,
            rule_tumor_types=tuple(rule.tumor_types.include),
            notes=rule.notes,
            detail=alteration.detail if alteration else None,
        )


def _preferred_in_gene(allele: SampleAllele, gene: str) -> Alteration | None:
    return next((a for a in allele.alterations if a.gene == gene and a.preferred), None)


def find_unclassified(
    alleles: Sequence[SampleAllele],
    genes: Mapping[str, GeneSpec],
    findings: Sequence[Finding],
    genes_at: Mapping[AlleleKey, tuple[str, ...]],
) -> list[Unclassified]:
    """Rule-gene variants that could not be classified, each with the reason.

    ``genes_at`` maps an allele to the rule genes whose span it lies in (for records without
    any consequence annotation). An allele that fired a rule for a gene is classified there.
    """
    fired = {(f.gene, allele_key(f.variant)) for f in findings if f.variant is not None}
    unclassified: list[Unclassified] = []
    for allele in alleles:
        key = allele_key(allele.variant)
        if not allele.annotated:
            resolved = {alteration.gene for alteration in allele.alterations}  # hotspots
            for gene in genes_at.get(key, ()):
                if (gene, key) not in fired and gene not in resolved:
                    unclassified.append(
                        Unclassified(
                            gene,
                            allele.variant,
                            "no consequence annotation (CSQ, ANN or BCSQ) on this record and not "
                            "a hotspot of the rules' hotspot table (annotate the VCF with VEP, "
                            "SnpEff or bcftools csq)",
                        )
                    )
            continue
        by_gene: dict[str, list[Alteration]] = {}
        for alteration in allele.alterations:
            by_gene.setdefault(alteration.gene, []).append(alteration)
        for gene in genes_at.get(key, ()):
            if gene not in by_gene and (gene, key) not in fired:
                unclassified.append(
                    Unclassified(
                        gene,
                        allele.variant,
                        f"the record lies in {gene} but its annotation names no {gene} transcript",
                    )
                )
        for gene, alterations in by_gene.items():
            if (gene, key) in fired:
                continue
            reason = _unclassified_reason(gene, alterations, genes.get(gene))
            if reason is not None:
                unclassified.append(Unclassified(gene, allele.variant, reason))
    return unclassified


def _unclassified_reason(
    gene: str, alterations: Sequence[Alteration], spec: GeneSpec | None
) -> str | None:
    preferred = [a for a in alterations if a.preferred]
    if not preferred:
        expected = spec.ensembl_transcript if spec else "its MANE Select transcript"
        seen = ", ".join(sorted({a.transcript or "?" for a in alterations}))
        return (
            f"annotated only on other transcripts ({seen}), not on the rules' transcript {expected}"
        )
    alteration = preferred[0]
    if alteration.variant_class in PROTEIN_CHANGING and alteration.protein is None:
        if alteration.hgvsp:
            return f"protein change {alteration.hgvsp!r} could not be read"
        return f"{alteration.variant_class.value} consequence without a protein change (HGVSp)"
    return None
