"""Whether one rule selector matches one alteration or allele.

Protein-, codon-, range- and exon-level selectors only match the preferred alteration (the
rules' transcript); genomic selectors match the allele itself; fusion, copy-number, expression
and biomarker selectors match gene-level events only. :mod:`annotator.matcher` puts the
selectors of a rules set to a sample.

Codon changes without a protein change (an unannotated SNV placed on a codon by the gene
table, :attr:`Alteration.codon_change`) are decided with the genetic code
(:mod:`annotator.genetic_code`) over the codons the reference residue may have, and fire a rule
only when the outcome is certain enough for it:

- ``codons`` (residue R, number N): codon N, a base R's codons can carry there, R never kept
  (certainly non-synonymous) → ``codon``; ``consequences`` must allow every class the change
  may have (missense, nonsense; ``start_lost`` for M1; ``other`` for a stop lost);
- ``protein_changes``: a substitution X N Y at codon N when the change always gives Y from X;
- ``exon``, ``protein_range``: the residue unknown (any of the 64 codons), the change certainly
  non-synonymous and every class it may have allowed by ``consequences``;
- ``gene_class: loss_of_function``: only a certain loss-of-function class (a certain nonsense),
  which a single base change of an unknown residue never is in the standard code.

The finding of such a change is labelled ``G12 (c.35G>A; D or E)``: the rule's residue and
codon, the coding change and the residues it may give (``or`` before the last; ``*`` a stop);
``codon 12 (c.35G>A)`` when the rule names no residue.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Generic, TypeVar

from annotator.genetic_code import STOP, codon_outcomes
from annotator.genome import normalize_chrom
from annotator.models import (
    LOSS_OF_FUNCTION,
    AlleleKey,
    Alteration,
    CodonChange,
    MatchType,
    Variant,
    VariantClass,
    allele_key,
)
from annotator.protein import ChangeKind, ProteinChange, parse_codon, parse_protein_change
from annotator.rules.schema import GeneSpec, Selector
from annotator.splice_sites import exon_splice_positions

T = TypeVar("T")
K = TypeVar("K")

#: The classes an ``exon_skipping`` selector takes (a change of a canonical splice site).
SPLICE_SITE_CLASSES = frozenset({VariantClass.SPLICE_DONOR, VariantClass.SPLICE_ACCEPTOR})


class SelectorMatcher:
    """Decides whether a selector matches an alteration or an allele; caches parsed notation."""

    def __init__(self, build: str, genes: Mapping[str, GeneSpec] | None = None) -> None:
        """``genes``: the gene table, which ``exon_skipping`` selectors need (without it they
        match nothing)."""
        self.build = build
        self._genes: Mapping[str, GeneSpec] = genes or {}
        #: The splice-site positions of (gene, exon) on the build (see exon_splice_positions).
        self._splice_sites: dict[tuple[str, int], tuple[str, frozenset[int]] | None] = {}
        #: ``selector.kind`` (a pydantic property that tries every kind in turn), cached.
        self.kind = IdentityCache(_selector_kind)
        #: The normalized changes (``short``) a protein_changes selector names.
        self.protein_changes = IdentityCache(_normalized_protein_changes)
        self._substitutions = IdentityCache(_single_residue_changes)
        self._codons = IdentityCache(parsed_codons)
        self.genomic_alleles = IdentityCache(self._alleles_for_build)

    def match_alteration(self, selector: Selector, alteration: Alteration) -> MatchType | None:
        kind = self.kind(selector)
        if kind == "genomic":
            if alteration.variant is None:
                return None
            return self.match_allele(selector, alteration.variant)
        if kind in EVENT_SELECTORS:
            return _match_event(selector, kind, alteration)
        codon_change = alteration.codon_change
        if codon_change is not None and alteration.protein is None:
            return self._match_codon_change(selector, alteration, codon_change)
        if kind == "gene_class":
            if alteration.event == "deletion" or (
                alteration.preferred
                and alteration.variant_class in LOSS_OF_FUNCTION
                and not alteration.escapes_nmd
            ):
                return MatchType.GENE_CLASS
            return None
        if not alteration.preferred:
            return None
        if kind == "protein_changes":
            wanted = self.protein_changes(selector)
            protein = alteration.protein
            return MatchType.PROTEIN if protein is not None and protein.short in wanted else None
        if not _consequence_allowed(selector, alteration):
            return None
        if kind == "codons":
            return MatchType.CODON if self._codon_hit(selector, alteration) else None
        if kind == "protein_range":
            assert selector.protein_range is not None
            span = range(selector.protein_range.start, selector.protein_range.end + 1)
            touched = _touched(alteration)
            return MatchType.EXON if touched is not None and ranges_overlap(touched, span) else None
        if kind == "exon":
            if (
                alteration.exon is not None
                and alteration.exon == selector.exon
                and alteration.variant_class is not VariantClass.SYNONYMOUS
            ):
                return MatchType.EXON
            return None
        if kind == "exon_skipping":
            assert selector.exon_skipping is not None
            return (
                MatchType.EXON
                if self._hits_splice_site(selector.exon_skipping, alteration)
                else None
            )
        return None

    def _hits_splice_site(self, exon: int, alteration: Alteration) -> bool:
        """Whether a splice donor/acceptor alteration's record covers a splice site of this
        exon of its gene (REF's span: the sites of a deletion, the site an SNV changes, the
        base an insertion follows). The class says it changes a splice site; the place says
        whose: any annotation (VEP, SnpEff, bcftools csq, a MAF, the gene table) is read the
        same way, whether it gives the exon (an exon-spanning deletion) or only the intron."""
        variant = alteration.variant
        if variant is None or alteration.variant_class not in SPLICE_SITE_CLASSES:
            return False
        key = (alteration.gene, exon)
        if key not in self._splice_sites:
            spec = self._genes.get(alteration.gene)
            self._splice_sites[key] = (
                exon_splice_positions(spec, exon, self.build) if spec is not None else None
            )
        placed = self._splice_sites[key]
        if placed is None:
            return False
        chrom, sites = placed
        if normalize_chrom(variant.chrom) != chrom:
            return False
        last = variant.pos + max(len(variant.ref), 1) - 1
        return any(variant.pos <= site <= last for site in sites)

    def match_allele(self, selector: Selector, variant: Variant) -> MatchType | None:
        if self.kind(selector) != "genomic":
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

    def _match_codon_change(
        self, selector: Selector, alteration: Alteration, change: CodonChange
    ) -> MatchType | None:
        """A selector against a codon change of unknown protein effect (module docstring)."""
        if not alteration.preferred:
            return None
        kind = self.kind(selector)
        if kind == "codons":
            found = self._codon_residue(selector, change) is not None
            return MatchType.CODON if found else None
        if kind == "protein_changes":
            found = self._substitution_residue(selector, change) is not None
            return MatchType.PROTEIN if found else None
        classes = _outcome_classes(change)
        if kind == "gene_class":
            certain = bool(classes) and classes <= LOSS_OF_FUNCTION
            return MatchType.GENE_CLASS if certain else None
        if VariantClass.SYNONYMOUS in classes or not _consequences_allow(selector, classes):
            return None
        if kind == "protein_range":
            assert selector.protein_range is not None
            span = selector.protein_range
            return MatchType.EXON if span.start <= change.codon <= span.end else None
        if kind == "exon":
            return MatchType.EXON if alteration.exon == selector.exon else None
        return None

    def _codon_residue(self, selector: Selector, change: CodonChange) -> str | None:
        """The residue of the first codon of a ``codons`` selector that the change certainly
        alters, with classes its ``consequences`` allow; None when there is none."""
        for residue, number in self._codons(selector):
            if number != change.codon:
                continue
            classes = _outcome_classes(change, residue)
            if (
                classes
                and VariantClass.SYNONYMOUS not in classes
                and _consequences_allow(selector, classes)
            ):
                return residue
        return None

    def _substitution_residue(self, selector: Selector, change: CodonChange) -> str | None:
        """The reference residue of the first substitution X N Y of a ``protein_changes``
        selector that the change certainly is (codon N, X always becomes Y)."""
        for protein in self._substitutions(selector):
            if protein.start == change.codon and _residues_after(change, protein.start_aa) == {
                protein.alt
            }:
                return protein.start_aa
        return None

    def codon_change_label(self, selector: Selector, alteration: Alteration) -> str:
        """The label of a codon-change finding: ``G12 (c.35G>A; D or E)`` with the residue the
        rule names, ``codon 12 (c.35G>A)`` when it names none (module docstring)."""
        change = alteration.codon_change
        assert change is not None
        cds_position = 3 * (change.codon - 1) + change.position
        coding = f"c.{cds_position}{change.ref}>{change.alt}"
        residue = None
        if selector.kind == "codons":
            residue = self._codon_residue(selector, change)
        elif selector.kind == "protein_changes":
            residue = self._substitution_residue(selector, change)
        if residue is None:
            return f"codon {change.codon} ({coding})"
        residues = _residue_list(_residues_after(change, residue))
        return f"{residue}{change.codon} ({coding}; {residues})"

    def _alleles_for_build(self, selector: Selector) -> frozenset[AlleleKey]:
        alleles = (selector.genomic or {}).get(self.build, [])  # type: ignore[call-overload]
        return frozenset((normalize_chrom(a.chrom), a.pos, a.ref, a.alt) for a in alleles)


class IdentityCache(Generic[K, T]):
    """Values derived from objects (a selector's parsed notation, a rule's therapies), keyed by
    identity.

    Selectors and rules are frozen pydantic models with list fields, so not hashable; the cache
    keeps a reference to each object so that an id is never reused for another one.
    """

    def __init__(self, compute: Callable[[K], T]) -> None:
        self._compute = compute
        self._items: dict[int, tuple[K, T]] = {}

    def __call__(self, key: K) -> T:
        item = self._items.get(id(key))
        if item is None or item[0] is not key:
            item = (key, self._compute(key))
            self._items[id(key)] = item
        return item[1]


def _selector_kind(selector: Selector) -> str:
    return selector.kind


def _normalized_protein_changes(selector: Selector) -> frozenset[str]:
    return frozenset(parse_protein_change(text).short for text in selector.protein_changes or [])


def _single_residue_changes(selector: Selector) -> tuple[ProteinChange, ...]:
    """The changes of one residue into another (``G12C``, ``Q61*``, ``M1I``) of a selector."""
    kinds = (ChangeKind.SUBSTITUTION, ChangeKind.NONSENSE, ChangeKind.START_LOST)
    changes = (parse_protein_change(text) for text in selector.protein_changes or [])
    return tuple(c for c in changes if c.kind in kinds and c.end is None and len(c.alt) == 1)


def rule_positions(selector: Selector) -> range | list[int]:
    """The residue positions a codons or protein_range selector names."""
    if selector.protein_range is not None:
        return range(selector.protein_range.start, selector.protein_range.end + 1)
    return [position for _residue, position in parsed_codons(selector)]


def parsed_codons(selector: Selector) -> tuple[tuple[str, int], ...]:
    return tuple(parse_codon(text) for text in selector.codons or [])


def _residues_after(change: CodonChange, residue: str) -> frozenset[str]:
    return _residues_after_base_change(change.position, change.ref, change.alt, residue)


# The outcomes of a base change are worked out over the genetic code (64 codons) once for each
# place, bases and residue (a few hundred at most), not again for every rule and allele: a
# large input has thousands of codon changes, each matched against every rule of its gene.


@functools.cache
def _residues_after_base_change(position: int, ref: str, alt: str, residue: str) -> frozenset[str]:
    return frozenset(after for _, after in codon_outcomes(position, ref, alt, residue))


def _outcome_classes(change: CodonChange, residue: str | None = None) -> frozenset[VariantClass]:
    """The classes a codon change may have, over the codons of ``residue`` (all 64 when None)
    with its reference base: empty when none has it. A stop lost is ``other``, as
    :mod:`annotator.consequence` classes VEP's ``stop_lost``; a changed Met at codon 1 is
    ``start_lost``."""
    return _base_change_classes(change.position, change.ref, change.alt, residue, change.codon == 1)


@functools.cache
def _base_change_classes(
    position: int, ref: str, alt: str, residue: str | None, first_codon: bool
) -> frozenset[VariantClass]:
    """:func:`_outcome_classes` of a change at ``position`` of a codon (the first one when
    ``first_codon``)."""
    classes = set()
    for before, after in codon_outcomes(position, ref, alt, residue):
        if before == after:
            classes.add(VariantClass.SYNONYMOUS)
        elif before == STOP:
            classes.add(VariantClass.OTHER)
        elif first_codon and before == "M":
            classes.add(VariantClass.START_LOST)
        elif after == STOP:
            classes.add(VariantClass.NONSENSE)
        else:
            classes.add(VariantClass.MISSENSE)
    return frozenset(classes)


def _consequences_allow(selector: Selector, classes: frozenset[VariantClass]) -> bool:
    """Whether every class the change may have is one the selector's ``consequences`` take."""
    return selector.consequences is None or classes <= set(selector.consequences)


def _residue_list(residues: Iterable[str]) -> str:
    """``{'E', 'D'}`` → ``'D or E'``; ``{'C', 'W', '*'}`` → ``'C, W or *'`` (the stop last)."""
    ordered = sorted(residues, key=lambda residue: (residue == STOP, residue))
    if len(ordered) <= 1:
        return "".join(ordered)
    return f"{', '.join(ordered[:-1])} or {ordered[-1]}"


#: Selector kinds that match gene-level events, with the match type each gives.
EVENT_SELECTORS: Mapping[str, MatchType] = {
    "fusion": MatchType.FUSION,
    "copy_number": MatchType.COPY_NUMBER,
    "expression": MatchType.EXPRESSION,
    "biomarker": MatchType.BIOMARKER,
}


def _match_event(selector: Selector, kind: str, alteration: Alteration) -> MatchType | None:
    """Fusion, copy-number, expression and biomarker selectors (of ``kind``) match events
    only."""
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


def placed_at(alteration: Alteration) -> range | None:
    """The residue positions an alteration is placed at: its protein change's, else the
    codons of an unannotated in-frame indel (:attr:`Alteration.codons`)."""
    if alteration.protein is not None:
        return alteration.protein.positions
    if alteration.codons is not None:
        first, last = alteration.codons
        return range(first, last + 1)
    return None


def _touched(alteration: Alteration) -> range | None:
    """The residue positions a change touches: its protein change's (not a synonymous one),
    else the codons of an unannotated in-frame indel the gene table placed
    (:attr:`Alteration.codons`); None when neither tells."""
    protein = alteration.protein
    if protein is not None and protein.kind is ChangeKind.SYNONYMOUS:
        return None
    return placed_at(alteration)


def ranges_overlap(first: range, second: range) -> bool:
    return first.start < second.stop and second.start < first.stop
