"""Rules x a sample's alterations → findings (the rule-gene variants that stay unclassified:
:mod:`annotator.unclassified`).

Pure functions over plain records. A rule fires when its selector matches an alteration of its
gene (protein-, codon-, range- and exon-level selectors only on the rules' transcript), its
``requires`` conditions are all met in the sample and none of its ``excludes`` is. Tumor type
never stops a rule from firing: it decides ``on_label`` or ``off_label``.

Whether one selector matches one alteration or allele (codon changes of unknown protein effect
included): :mod:`annotator.selector_match`.

Drug classes: a rule's ``therapy_classes`` adds every drug of the drug table that lists the
class (any case) to the finding's therapies, after the rule's own; those reached only through
the class are named in :attr:`Finding.therapies_via_class`.

Phase: a finding of a rule with a phased condition (``phase: cis|trans``) records the phase of
its allele to the condition's allele and where that phase came from: ``vcf`` (phased ``GT``
with ``PS``, or ``PGT``/``PID``) or ``reads`` (read-backed from ``--bam``; the pipeline gives
such alleles a phase set named ``reads:<pos>-<pos>``, :data:`READ_BACKED_PHASE_SET`).

Near misses (``--explain``): :mod:`annotator.near_misses`, from the candidates and conditions
this module finds.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from annotator.models import (
    LOSS_OF_FUNCTION,
    AlleleKey,
    Alteration,
    Finding,
    MatchType,
    Phase,
    TumorTypeMatch,
    Variant,
    allele_key,
    fast_init,
    phase_between,
)
from annotator.rules.ruleset import RuleSet, fold_name
from annotator.rules.schema import Condition, Rule, Selector, TumorTypes
from annotator.selector_match import (
    EVENT_SELECTORS,
    SPLICE_SITE_CLASSES,
    IdentityCache,
    SelectorMatcher,
    placed_at,
    rule_positions,
)
from annotator.tumor_types import OncoTree
from annotator.unclassified import NOTHING_FIRED, unclassified_of

#: The prefix of the phase sets the pipeline gives alleles phased from reads (``--bam``).
READ_BACKED_PHASE_SET = "reads:"


@fast_init
@dataclass(frozen=True, slots=True)
class SampleAllele:
    """One ALT allele of the sample with its alterations in rule genes."""

    variant: Variant
    alterations: tuple[Alteration, ...]
    annotated: bool  # the record carries any consequence annotation at all
    notes: tuple[tuple[str, str], ...] = ()  # (gene, why its effect is unknown), unannotated
    genes: tuple[str, ...] = ()  # rule genes whose span (gene table) holds the allele


class _ConditionMemo:
    """Per sample: the positions of its alleles with an alteration of each gene (built on the
    first condition looked up), the alleles found for each condition, and for each
    ``within_rule_allele`` condition the residues its alterations begin at
    (:class:`_ResidueIndex`)."""

    __slots__ = ("by_gene", "conditions", "residues")

    def __init__(self) -> None:
        self.by_gene: dict[str, list[int]] | None = None
        self.conditions: IdentityCache[Condition, tuple[Variant, ...]] | None = None
        self.residues: IdentityCache[Condition, _ResidueIndex] | None = None

    def genes(self, alleles: Sequence[SampleAllele]) -> dict[str, list[int]]:
        if self.by_gene is None:
            by_gene: dict[str, list[int]] = {}
            for position, allele in enumerate(alleles):
                for alteration in allele.alterations:
                    listed = by_gene.setdefault(alteration.gene, [])
                    if not listed or listed[-1] != position:
                        listed.append(position)
            self.by_gene = by_gene
        return self.by_gene


class _ResidueIndex(NamedTuple):
    """The residues alterations begin at (sorted) and the position of each one's allele."""

    starts: list[int]
    positions: list[int]


@dataclass(frozen=True, slots=True)
class Sample:
    """Everything observed in one sample: small-variant alleles and gene-level events.

    ``found`` is the matcher's memo of the alleles each condition finds in this sample
    (:meth:`RuleMatcher.condition_alleles`): the sample does not change, so each condition is
    looked up once however many rules and alleles ask for it.
    """

    alleles: tuple[SampleAllele, ...]
    events: tuple[Alteration, ...] = ()
    found: _ConditionMemo = field(
        default_factory=_ConditionMemo, init=False, repr=False, compare=False
    )


def tumor_type_match(
    tumor_types: TumorTypes, sample_type: str, oncotree: OncoTree
) -> TumorTypeMatch:
    """On-label when the sample's type is a listed type or below one, and not below an excluded."""
    included = "ALL" in tumor_types.include or any(
        oncotree.is_within(sample_type, code) for code in tumor_types.include
    )
    excluded = any(oncotree.is_within(sample_type, code) for code in tumor_types.exclude)
    return TumorTypeMatch.ON_LABEL if included and not excluded else TumorTypeMatch.OFF_LABEL


#: A gene's non-genomic rules with their place among them: (the rules other than
#: protein_changes ones, the protein_changes rules by each change they name).
_Indexed = tuple[tuple[int, Rule], ...]  # rules with their place in the gene's rules


@dataclass(frozen=True)
class _SplitRules:
    """A gene's rules (:meth:`RuleMatcher._gene_rules`), each with its place in that order,
    by what a preferred alteration must have for the rule to match it: the protein_changes
    rules by each (normalized) change they name; the codons and protein_range rules by each
    residue position they name (a protein change must touch one of them); the exon rules by
    their exon; the others (gene_class, exon_skipping, events, genomic), to be tried on every
    alteration. ``plain_others`` are the others but gene_class, exon_skipping and event rules,
    which match only an event or a loss-of-function class
    (:meth:`SelectorMatcher.match_alteration`): all an alteration that is neither (most of a
    large input's) must try."""

    others: _Indexed
    plain_others: _Indexed
    by_change: Mapping[str, _Indexed]
    by_position: Mapping[int, _Indexed]
    by_exon: Mapping[int, _Indexed]


@dataclass(frozen=True)
class _Conditions:
    """The requires and excludes conditions of the rules on one gene (``every``), by what a
    preferred alteration must have for one to find it, as :class:`_SplitRules` splits rules:
    the changes the protein_changes ones name; the codons and protein_range ones
    (``positioned``) and the residue positions they name; the exon ones and their exons; the
    others (gene_class, events, genomic), to be tried on every alteration."""

    every: tuple[Condition, ...]
    changes: frozenset[str]
    others: tuple[Condition, ...]
    positions: frozenset[int]
    positioned: tuple[Condition, ...]
    exons: frozenset[int]
    exoned: tuple[Condition, ...]


#: Selector kinds that only an alteration of a loss-of-function class can match: not tried on
#: the others (:class:`_SplitRules` ``plain_others``).
_LOSS_OF_FUNCTION_ONLY = frozenset({"gene_class", "exon_skipping"})


def _first(item: tuple[int, Rule, MatchType]) -> int:
    return item[0]


class RuleMatcher:
    """Matches every rule of a rules set against one sample."""

    def __init__(self, rules: RuleSet, *, build: str, tumor_type: str, oncotree: OncoTree) -> None:
        self.rules = rules
        self.tumor_type = tumor_type
        self.oncotree = oncotree
        self.selectors = SelectorMatcher(build, rules.genes)
        self._genomic_rules: dict[AlleleKey, list[Rule]] = {}
        for rule in rules.rules:
            if rule.alteration.kind == "genomic":
                for key in self.selectors.genomic_alleles(rule.alteration):
                    self._genomic_rules.setdefault(key, []).append(rule)
        self._genomic_positions = frozenset(pos for _chrom, pos, _ref, _alt in self._genomic_rules)
        # The non-genomic rules of each gene (the gene's own, not fusions listing it), in
        # rules-set order: what an alteration of the gene is matched against.
        self._small_rules: dict[str, tuple[Rule, ...]] = {}
        # The same, split: the protein_changes rules by the changes they name, the others.
        self._split_rules: dict[str, _SplitRules] = {}
        self._class_drugs = drugs_by_class(rules)
        self._rule_facts = IdentityCache(self._facts_of)
        # The rules' requires and excludes conditions, indexed for matters() when first asked.
        self._conditions_by_gene: dict[str, _Conditions] = {}
        self._condition_keys: frozenset[AlleleKey] | None = None
        self._condition_positions: frozenset[int] = frozenset()

    def _gene_rules(self, gene: str) -> tuple[Rule, ...]:
        found = self._small_rules.get(gene)
        if found is None:
            found = tuple(
                rule
                for rule in self.rules.for_gene(gene)
                if rule.gene == gene and self.selectors.kind(rule.alteration) != "genomic"
            )
            self._small_rules[gene] = found
        return found

    def _gene_rules_split(self, gene: str) -> _SplitRules:
        """The gene's rules, split as :class:`_SplitRules` says (once per gene)."""
        found = self._split_rules.get(gene)
        if found is None:
            others: list[tuple[int, Rule]] = []
            by_change: dict[str, list[tuple[int, Rule]]] = {}
            by_position: dict[int, list[tuple[int, Rule]]] = {}
            by_exon: dict[int, list[tuple[int, Rule]]] = {}
            places: dict[str, dict[Any, list[tuple[int, Rule]]]] = {
                "change": by_change,
                "position": by_position,
                "exon": by_exon,
            }
            for index, rule in enumerate(self._gene_rules(gene)):
                place, keys = self._looked_up_by(rule.alteration)
                if place == "other":
                    others.append((index, rule))
                for key in keys:
                    places[place].setdefault(key, []).append((index, rule))
            kind = self.selectors.kind
            found = _SplitRules(
                tuple(others),
                tuple(
                    (index, rule)
                    for index, rule in others
                    if (selector := kind(rule.alteration)) not in _LOSS_OF_FUNCTION_ONLY
                    and selector not in EVENT_SELECTORS
                ),
                {change: tuple(rules) for change, rules in by_change.items()},
                {position: tuple(rules) for position, rules in by_position.items()},
                {exon: tuple(rules) for exon, rules in by_exon.items()},
            )
            self._split_rules[gene] = found
        return found

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
        genomic_positions = self._genomic_positions
        for allele in alleles:
            if not allele.alterations and allele.variant.pos not in genomic_positions:
                # No rule can match it (:meth:`_candidates`): most rule-gene alleles of an
                # unannotated input, which only the gene table placed in a gene.
                continue
            for rule, alteration, match_type in self.candidates(allele):
                key = (rule.id, allele_key(allele.variant))
                if key in seen or not self._conditions_met(
                    rule, sample, allele.variant, alteration
                ):
                    continue
                seen.add(key)
                finding = self._finding(rule, allele.variant, alteration, match_type)
                findings.append(self._with_phase(finding, rule, sample, allele.variant))
        for event in events:
            for rule, match_type in self.event_candidates(event):
                event_key = (rule.id, (event.gene, event.event))
                if event_key in seen or not self._conditions_met(rule, sample):
                    continue
                seen.add(event_key)
                findings.append(self._finding(rule, None, event, match_type))
        return findings

    def event_candidates(self, event: Alteration) -> list[tuple[Rule, MatchType]]:
        """The rules a gene-level event matches (fusion rules by either partner), by id."""
        hits = []
        for rule in self.rules.for_gene(event.gene):
            if rule.gene != event.gene and rule.alteration.kind != "fusion":
                continue
            match_type = self.selectors.match_alteration(rule.alteration, event)
            if match_type is not None:
                hits.append((rule, match_type))
        return sorted(hits, key=lambda hit: hit[0].id)

    def candidates(
        self, allele: SampleAllele
    ) -> Iterable[tuple[Rule, Alteration | None, MatchType]]:
        """The rules whose alteration selector matches one of the allele's alterations (or
        its place, for genomic rules), with the alteration and how it matched, by rule id."""
        hits: list[tuple[Rule, Alteration | None, MatchType]] = []
        variant = allele.variant
        if variant.pos in self._genomic_positions:
            for rule in self._genomic_rules.get(allele_key(variant), []):
                hits.append((rule, _preferred_in_gene(allele, rule.gene), MatchType.GENOMIC))
        match_alteration = self.selectors.match_alteration
        for alteration in allele.alterations:
            if not alteration.preferred and alteration.event is None:
                continue  # only genomic rules (above) take an allele on another transcript
            protein = alteration.protein
            if not alteration.preferred or (
                alteration.codon_change is not None and protein is None
            ):
                for rule in self._gene_rules(alteration.gene):
                    match_type = match_alteration(rule.alteration, alteration)
                    if match_type is not None:
                        hits.append((rule, alteration, match_type))
                continue
            # A preferred alteration with its protein change, if any: a protein_changes rule
            # matches it exactly when the rule names the change (match_alteration); a codons
            # or protein_range rule can only when the change (or an unannotated in-frame
            # indel's codons) touches a position it names, an exon rule only in its exon:
            # only those are tried.
            split = self._split_rules.get(alteration.gene) or self._gene_rules_split(
                alteration.gene
            )
            plain = alteration.event is None and alteration.variant_class not in LOSS_OF_FUNCTION
            tried = split.plain_others if plain else split.others
            positions = placed_at(alteration)
            if positions is not None and split.by_position:
                placed = [
                    indexed
                    for position in positions
                    for indexed in split.by_position.get(position, ())
                ]
                if placed:
                    # A rule once, though it may name several positions of the change.
                    tried = tried + tuple(dict(placed).items())
            if alteration.exon is not None and split.by_exon:
                tried = tried + split.by_exon.get(alteration.exon, ())
            found = [
                (index, rule, match_type)
                for index, rule in tried
                if (match_type := match_alteration(rule.alteration, alteration)) is not None
            ]
            if split.by_change and protein is not None:
                named = split.by_change.get(protein.short)
                if named:
                    found.extend((index, rule, MatchType.PROTEIN) for index, rule in named)
            if len(found) > 1:
                found.sort(key=_first)  # the rules' order, as one pass over them gives
            if found:
                hits.extend((rule, alteration, match_type) for _index, rule, match_type in found)
        if len(hits) > 1:
            hits.sort(key=lambda hit: hit[0].id)
        return hits

    def matters(self, allele: SampleAllele) -> bool:
        """Whether the allele can change a result beyond the count of rule-gene alleles: a
        rule's candidate (:meth:`_candidates`), the alteration of a rule's requires or
        excludes condition (:meth:`_find_alleles` would find it), or an unclassified variant
        (:func:`~annotator.unclassified.find_unclassified` of the allele alone). Neither the
        tumor type nor the other alleles of the sample decide it, so the reading may let the
        others go (with ``--explain``, those :meth:`explains` does not keep).
        """
        return (
            self.takes(allele)
            or next(
                unclassified_of(
                    allele,
                    allele.genes,
                    None,
                    NOTHING_FIRED,
                    self.rules.genes,
                    self.rules.loss_of_function_genes,
                    self.rules.small_variant_genes,
                ),
                None,
            )
            is not None
        )

    def explains(self, allele: SampleAllele) -> bool:
        """Whether a near miss (:func:`annotator.near_misses.find_near_misses`) may name the
        allele, or it can change a result (:meth:`matters`): a rule's candidate, a condition's
        allele or an unclassified variant, or a change a rule would take on the rules'
        transcript that the annotation gives on another one. The others name no rule:
        ``--explain`` need not keep them."""
        return self.matters(allele) or bool(self.other_transcript_hits(allele))

    def takes(self, allele: SampleAllele) -> bool:
        """Whether a rule could fire on the allele (:meth:`_candidates`) or a requires or
        excludes condition find it: :meth:`matters` less its unclassified variants."""
        return bool(self.candidates(allele)) or self._a_condition_finds(allele)

    def placed_positions(self) -> frozenset[int]:
        """The positions of the alleles that the genomic rules and conditions name: where
        :meth:`matters` of an allele may turn on its place (and REF and ALT) alone."""
        if self._condition_keys is None:
            self._index_conditions()
        return self._genomic_positions | self._condition_positions

    @staticmethod
    def place_may_decide(allele: SampleAllele) -> bool:
        """Whether :meth:`matters` of this allele may turn on where it lies beyond the rule
        genes it lies in, away from :meth:`placed_positions`: a splice donor or acceptor
        alteration (an exon_skipping rule looks for its exon's splice sites by position), or
        a codon change of an unannotated allele (rules take it by the codon its position
        gives). For the other alleles the answer is that of any allele with the same
        alterations, but for their HGVSc (which no rule reads), and the same rule genes:
        what :mod:`annotator.candidate_triage` relies on."""
        return any(
            alteration.variant_class in SPLICE_SITE_CLASSES
            or alteration.codon_change is not None
            or alteration.codons is not None
            for alteration in allele.alterations
        )

    def _a_condition_finds(self, allele: SampleAllele) -> bool:
        """Whether a requires or excludes condition of the rules finds this allele (what
        :meth:`_find_alleles` would find among the sample's alleles)."""
        variant = allele.variant
        if self._condition_keys is None:
            self._index_conditions()
        assert self._condition_keys is not None
        if variant.pos in self._condition_positions and allele_key(variant) in self._condition_keys:
            return True
        match_alteration = self.selectors.match_alteration
        for alteration in allele.alterations:
            conditions = self._conditions_by_gene.get(alteration.gene)
            if conditions is None:
                continue
            protein = alteration.protein
            if alteration.preferred and (alteration.codon_change is None or protein is not None):
                # As in _candidates: a protein_changes condition names the change exactly; a
                # codons or protein_range one can only find a change touching its positions,
                # an exon one an alteration in its exon; the others are tried.
                if protein is not None and protein.short in conditions.changes:
                    return True
                tried = conditions.others
                positions = placed_at(alteration)
                if positions is not None and not conditions.positions.isdisjoint(positions):
                    tried = (*tried, *conditions.positioned)
                if alteration.exon is not None and alteration.exon in conditions.exons:
                    tried = (*tried, *conditions.exoned)
            else:
                tried = conditions.every
            for condition in tried:
                if match_alteration(condition, alteration):
                    return True
        return False

    def _index_conditions(self) -> None:
        """The requires and excludes conditions of every rule by gene (:class:`_Conditions`),
        and the alleles of the genomic ones."""
        by_gene: dict[str, list[Condition]] = {}
        keys: set[AlleleKey] = set()
        for rule in self.rules.rules:
            for condition in (*rule.requires, *rule.excludes):
                if self.selectors.kind(condition) == "genomic":
                    keys.update(self.selectors.genomic_alleles(condition))
                listed = by_gene.setdefault(condition.gene, [])
                if condition not in listed:
                    listed.append(condition)
        self._conditions_by_gene = {
            gene: self._split_conditions(found) for gene, found in by_gene.items()
        }
        self._condition_keys = frozenset(keys)
        self._condition_positions = frozenset(pos for _chrom, pos, _ref, _alt in keys)

    def _looked_up_by(self, selector: Selector) -> tuple[str, Iterable[Any]]:
        """How a preferred alteration can find a selector (:class:`_SplitRules`): by the
        changes it names (``change``), the residue positions it names (``position``: codons
        and protein_range), its exon (``exon``), or not at all (``other``: tried on every
        alteration)."""
        kind = self.selectors.kind(selector)
        if kind == "protein_changes":
            return "change", self.selectors.protein_changes(selector)
        if kind in ("codons", "protein_range"):
            return "position", rule_positions(selector)
        if kind == "exon" and selector.exon is not None:
            return "exon", (selector.exon,)
        return "other", ()

    def _split_conditions(self, conditions: Sequence[Condition]) -> _Conditions:
        changes: set[str] = set()
        positions: set[int] = set()
        exons: set[int] = set()
        others, positioned, exoned = [], [], []
        for condition in conditions:
            place, keys = self._looked_up_by(condition)
            if place == "change":
                changes.update(keys)
            elif place == "position":
                positions.update(keys)
                positioned.append(condition)
            elif place == "exon":
                exons.update(keys)
                exoned.append(condition)
            else:
                others.append(condition)
        return _Conditions(
            tuple(conditions),
            frozenset(changes),
            tuple(others),
            frozenset(positions),
            tuple(positioned),
            frozenset(exons),
            tuple(exoned),
        )

    def condition_alleles(self, condition: Condition, sample: Sample) -> tuple[Variant, ...]:
        """The sample's alleles that have the condition's alteration, whatever their phase.

        Found once per sample and condition: the alleles with an alteration of the
        condition's gene and, for a genomic condition, those at one of its positions are the
        only ones that can have it.
        """
        memo = sample.found
        if memo.conditions is None:
            memo.conditions = IdentityCache(lambda wanted: self._find_alleles(wanted, sample))
        return memo.conditions(condition)

    def _find_alleles(self, condition: Condition, sample: Sample) -> tuple[Variant, ...]:
        memo = sample.found
        alleles = sample.alleles
        positions = set(memo.genes(alleles).get(condition.gene, ()))
        genomic = self.selectors.kind(condition) == "genomic"
        if genomic:
            wanted = {pos for _chrom, pos, _ref, _alt in self.selectors.genomic_alleles(condition)}
            positions.update(
                position for position, allele in enumerate(alleles) if allele.variant.pos in wanted
            )
        # A plain loop (a gene of a large input has thousands of alleles): match_allele only for
        # a genomic condition, where it can match.
        gene = condition.gene
        match_alteration = self.selectors.match_alteration
        found = []
        for position in sorted(positions):
            allele = alleles[position]
            variant = allele.variant
            if genomic and self.selectors.match_allele(condition, variant) is not None:
                found.append(variant)
                continue
            for alteration in allele.alterations:
                if alteration.gene == gene and match_alteration(condition, alteration):
                    found.append(variant)
                    break
        return tuple(found)

    def condition_present(
        self,
        condition: Condition,
        sample: Sample,
        anchor: Variant | None = None,
        anchored: Alteration | None = None,
    ) -> bool:
        """Whether the sample has the condition's alteration (in the required phase to
        ``anchor``, the allele that fired the rule, when the condition names a phase; at a
        residue ``anchored``, the alteration it fired on, spans, for ``within_rule_allele``)."""
        if condition.within_rule_allele:
            alleles = self._within(condition, sample, anchor, anchored)
            if condition.phase is None:
                return bool(alleles)
        else:
            alleles = self.condition_alleles(condition, sample)
        if condition.phase is not None:
            if anchor is None or anchor.phase_set is None or anchor.haplotype is None:
                return False  # the anchor's phase is unknown: no allele is in cis or trans
            return any(
                phase_between(anchor, variant).value == condition.phase and variant != anchor
                for variant in alleles
            )
        return bool(alleles) or any(
            event.gene == condition.gene and self.selectors.match_alteration(condition, event)
            for event in sample.events
        )

    def _within(
        self,
        condition: Condition,
        sample: Sample,
        anchor: Variant | None,
        anchored: Alteration | None,
    ) -> tuple[Variant, ...]:
        """The alleles other than ``anchor`` with the condition's alteration beginning at a
        residue ``anchored`` spans, or next to either end (``within_rule_allele``), in the
        sample's order."""
        span = residue_span(anchored) if anchored is not None else None
        if span is None:
            return ()
        memo = sample.found
        if memo.residues is None:
            memo.residues = IdentityCache(lambda wanted: self._residue_index(wanted, sample))
        index = memo.residues(condition)
        first, last = span
        low = bisect.bisect_left(index.starts, first - 1)
        high = bisect.bisect_right(index.starts, last + 1)
        alleles = sample.alleles
        found = sorted(set(index.positions[low:high]))
        return tuple(
            variant for variant in (alleles[at].variant for at in found) if variant != anchor
        )

    def _residue_index(self, condition: Condition, sample: Sample) -> _ResidueIndex:
        """The residue each alteration with the condition's alteration begins at, of every
        allele of the sample, sorted: a gene of a large input has thousands of alleles, and
        each allele a rule fires on looks up those near its own residues."""
        alleles = sample.alleles
        gene = condition.gene
        match_alteration = self.selectors.match_alteration
        entries: list[tuple[int, int]] = []
        for position in sample.found.genes(alleles).get(gene, ()):
            for alteration in alleles[position].alterations:
                if alteration.gene != gene or not match_alteration(condition, alteration):
                    continue
                begins = residue_span(alteration)
                if begins is not None:
                    entries.append((begins[0], position))
        entries.sort()
        return _ResidueIndex(
            [start for start, _position in entries], [position for _start, position in entries]
        )

    def _conditions_met(
        self,
        rule: Rule,
        sample: Sample,
        anchor: Variant | None = None,
        anchored: Alteration | None = None,
    ) -> bool:
        required = all(self.condition_present(c, sample, anchor, anchored) for c in rule.requires)
        excluded = any(self.condition_present(c, sample, anchor, anchored) for c in rule.excludes)
        return required and not excluded

    def phased_pairs(self, alleles: Sequence[SampleAllele]) -> list[tuple[Variant, Variant]]:
        """Pairs of alleles (in genome order) whose phase a phased condition would read: an
        allele that matches a rule and one that has the rule's phased condition's alteration.
        What read-backed phasing has to decide."""
        sample = Sample(tuple(alleles))
        pairs: dict[tuple[AlleleKey, AlleleKey], tuple[Variant, Variant]] = {}
        for allele in alleles:
            for rule, _alteration, _match_type in self.candidates(allele):
                for condition in (*rule.requires, *rule.excludes):
                    if condition.phase is None:
                        continue
                    for other in self.condition_alleles(condition, sample):
                        if other == allele.variant:
                            continue
                        first, second = sorted((allele.variant, other), key=allele_key)
                        pairs.setdefault((allele_key(first), allele_key(second)), (first, second))
        return list(pairs.values())

    def _with_phase(self, finding: Finding, rule: Rule, sample: Sample, anchor: Variant) -> Finding:
        """The finding with the phase of its allele to a phased condition's allele: the
        condition's phase when met, else the first one found (None when no allele has it)."""
        met: list[tuple[Phase, Variant]] = []
        others: list[tuple[Phase, Variant]] = []
        for condition in (*rule.requires, *rule.excludes):
            if condition.phase is None:
                continue
            for other in self.condition_alleles(condition, sample):
                if other != anchor:
                    phase = phase_between(anchor, other)
                    (met if phase.value == condition.phase else others).append((phase, other))
        if not met and not others:
            return finding
        phase, other = (met or others)[0]
        source = None if phase is Phase.UNKNOWN else phase_source(anchor, other)
        return replace(finding, phase=phase.value, phase_source=source)

    def label(self, rule: Rule, variant: Variant | None, alteration: Alteration | None) -> str:
        """How a finding or near miss names the alteration a rule matched."""
        if (
            alteration is not None
            and alteration.codon_change is not None
            and alteration.protein is None
        ):
            return self.selectors.codon_change_label(rule.alteration, alteration)
        if alteration is not None:
            return alteration.label
        assert variant is not None
        return variant_label(variant)

    def _facts_of(
        self, rule: Rule
    ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], TumorTypeMatch]:
        """The rule's therapies (:meth:`rule_therapies`) and its label for the sample's tumor
        type (worked out once per rule: ``self._rule_facts``)."""
        therapies, via_class = self.rule_therapies(rule)
        return (
            therapies,
            via_class,
            tumor_type_match(rule.tumor_types, self.tumor_type, self.oncotree),
        )

    def rule_therapies(self, rule: Rule) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """The rule's regimens, then the drugs of its ``therapy_classes`` not already named;
        and those added drugs with the class that brought each."""
        therapies = list(rule.therapies)
        via_class: list[tuple[str, str]] = []
        for name in rule.therapy_classes:
            for drug in self._class_drugs.get(fold_name(name), ()):
                if drug not in therapies:
                    therapies.append(drug)
                    via_class.append((drug, name))
        return tuple(therapies), tuple(via_class)

    def _finding(
        self,
        rule: Rule,
        variant: Variant | None,
        alteration: Alteration | None,
        match_type: MatchType,
    ) -> Finding:
        therapies, via_class, label_match = self._rule_facts(rule)
        return Finding(
            rule_id=rule.id,
            gene=rule.gene,
            alteration=self.label(rule, variant, alteration),
            hgvsp=alteration.hgvsp if alteration else None,
            variant=variant,
            effect=rule.effect,
            therapies=therapies,
            evidence_level=rule.evidence_level,
            tumor_type_match=label_match,
            match_type=match_type,
            citations=tuple(rule.citations),
            transcript=alteration.transcript if alteration else None,
            hgvsc=alteration.hgvsc if alteration else None,
            rule_tumor_types=tuple(rule.tumor_types.include),
            rule_tumor_types_excluded=tuple(rule.tumor_types.exclude),
            notes=rule.notes,
            detail=alteration.detail if alteration else None,
            therapies_via_class=via_class,
        )

    # --- near misses (--explain: annotator.near_misses) -------------------------------------

    def other_transcript_hits(self, allele: SampleAllele) -> list[tuple[Rule, Alteration]]:
        """Rules an alteration on a non-preferred transcript would fire on the rules' one."""
        hits = []
        for alteration in allele.alterations:
            if alteration.preferred or alteration.event is not None:
                continue
            as_preferred = replace(alteration, preferred=True)
            for rule in self._gene_rules(alteration.gene):
                if self.selectors.match_alteration(rule.alteration, as_preferred) is not None:
                    hits.append((rule, alteration))
        return sorted(hits, key=lambda hit: hit[0].id)


def drugs_by_class(rules: RuleSet) -> dict[str, tuple[str, ...]]:
    """Generic drug names by (folded) drug class, in drug-table order."""
    found: dict[str, list[str]] = {}
    for drug in rules.drugs.values():
        for name in drug.classes:
            found.setdefault(fold_name(name), []).append(drug.name)
    return {name: tuple(drugs) for name, drugs in found.items()}


def residue_span(alteration: Alteration) -> tuple[int, int] | None:
    """The first and last residue an alteration touches: its protein change's, the codons an
    unannotated in-frame indel touches, or the codon an unannotated SNV changes or an
    unannotated frameshift begins at; None without any."""
    protein = alteration.protein
    if protein is not None:
        return protein.start, protein.end if protein.end is not None else protein.start
    if alteration.codons is not None:
        return alteration.codons
    codon = (
        alteration.codon_change.codon
        if alteration.codon_change is not None
        else alteration.frameshift_codon
    )
    return None if codon is None else (codon, codon)


def phase_source(first: Variant, second: Variant) -> str:
    """``reads`` when the shared phase set came from read-backed phasing, else ``vcf``."""
    names = (first.phase_set or "", second.phase_set or "")
    return "reads" if any(n.startswith(READ_BACKED_PHASE_SET) for n in names) else "vcf"


def variant_label(variant: Variant) -> str:
    return f"{variant.chrom}:{variant.pos}{variant.ref}>{variant.alt}"


def _preferred_in_gene(allele: SampleAllele, gene: str) -> Alteration | None:
    return next((a for a in allele.alterations if a.gene == gene and a.preferred), None)
