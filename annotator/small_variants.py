"""The small variants of one tumor sample, as reading leaves them for the matcher.

:class:`SmallVariants` is what a pass over a VCF (:mod:`annotator.inputs`), or one sample's
rows of a MAF (:mod:`annotator.maf_input`), gives: the rule-gene alleles that can change a
result, the breakends of structural-variant records, and the counts of everything else
(filtered, uneventful, noted and not-in-sample alleles), so that memory grows with the
results, not with the input. Two passes over parts of one file merge into one.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING

from annotator.biomarkers import MAF_TMB_DEFINITION, TmbResult
from annotator.codon_neighbours import CodonNeighbours
from annotator.config import AnnotateConfig
from annotator.errors import InputError
from annotator.matcher import SampleAllele
from annotator.models import AlleleKey
from annotator.noted import NotedAlleles
from annotator.rules.ruleset import RuleSet
from annotator.selector_match import SelectorMatcher

if TYPE_CHECKING:
    from annotator.structural import Breakend


@dataclass
class SmallVariants:
    """One tumor sample's small variants: what the pass over its VCF (or its MAF rows) gives."""

    build: str
    sample: str | None
    caller: str | None
    alleles: list[SampleAllele] = field(default_factory=list)
    breakends: list[Breakend] = field(default_factory=list)
    records: int = 0
    alleles_seen: int = 0
    alleles_annotated: int = 0
    filtered_records: int = 0  # records (with an ALT) skipped for FILTER
    filtered_in_rule_genes: int = 0  # of those, the ones in a rule gene (matching.rule_genes)
    # ... and how many of those fail each FILTER name.
    filtered_in_rule_genes_filters: Counter[str] = field(default_factory=Counter)
    nonsynonymous: int = 0  # counted for TMB (--panel-size-mb) only
    annotated_records: int = 0
    regions_only: bool = False  # only the rule regions were read, through the file's index
    notes: list[str] = field(default_factory=list)  # reader notes: assumptions, skipped rows
    # With --explain: rule-gene alleles of records that failed FILTER, kept aside to be explained.
    filtered_alleles: list[SampleAllele] = field(default_factory=list)
    # Unannotated rule-gene alleles with no alteration and one note, not among ``alleles``.
    noted: NotedAlleles = field(default_factory=NotedAlleles)
    # Rule-gene alleles that can change no result (RuleMatcher.matters), counted only.
    uneventful: int = 0
    # Of those, the SNVs that may share a codon with an SNV finding (kept by place only).
    codon_neighbours: CodonNeighbours = field(default_factory=CodonNeighbours)
    # Rule-gene alleles the tumor sample does not hold (Variant.carried False: its GT, or
    # with other tumor samples its AD, says so): no finding; --explain lists them.
    not_carried: list[SampleAllele] = field(default_factory=list)

    def merge(self, other: SmallVariants) -> None:
        """Add what a pass over other records of the same input found: its alleles and
        breakends go among ours in the order of their records, as one pass gives them (a
        record's alleles all come from one of the two)."""
        self.alleles = list(heapq.merge(self.alleles, other.alleles, key=_allele_record))
        self.breakends = list(
            heapq.merge(self.breakends, other.breakends, key=attrgetter("record_index"))
        )
        self.filtered_alleles = list(
            heapq.merge(self.filtered_alleles, other.filtered_alleles, key=_allele_record)
        )
        self.not_carried = list(
            heapq.merge(self.not_carried, other.not_carried, key=_allele_record)
        )
        self.noted.merge(other.noted)
        self.codon_neighbours.merge(other.codon_neighbours)
        self.notes.extend(note for note in other.notes if note not in self.notes)
        self.records += other.records
        self.alleles_seen += other.alleles_seen
        self.alleles_annotated += other.alleles_annotated
        self.filtered_records += other.filtered_records
        self.filtered_in_rule_genes += other.filtered_in_rule_genes
        self.filtered_in_rule_genes_filters.update(other.filtered_in_rule_genes_filters)
        self.nonsynonymous += other.nonsynonymous
        self.uneventful += other.uneventful
        self.annotated_records += other.annotated_records

    def tmb(self, config: AnnotateConfig) -> TmbResult | None:
        if config.panel_size_mb is None:
            return None
        if self.caller == "maf":
            return TmbResult(
                self.nonsynonymous,
                config.panel_size_mb,
                config.tmb_threshold,
                definition=MAF_TMB_DEFINITION,
                source="maf",
            )
        if self.alleles_annotated and not self.annotated_records:
            raise InputError(
                "TMB needs consequence annotation (CSQ, ANN or BCSQ) to tell coding "
                "non-synonymous variants; the VCF has none",
                path=config.input,
                hint="annotate with VEP, SnpEff or bcftools csq, or leave out --panel-size-mb",
            )
        return TmbResult(self.nonsynonymous, config.panel_size_mb, config.tmb_threshold)


def _allele_record(allele: SampleAllele) -> int:
    return allele.variant.record_index


def genomic_rule_alleles(rules: RuleSet, build: str) -> frozenset[AlleleKey]:
    """The alleles the rules' genomic selectors name on ``build``: an allele there matters
    whatever gene it lies in."""
    selectors = SelectorMatcher(build)
    return frozenset(
        key
        for rule in rules.rules
        if rule.alteration.kind == "genomic"
        for key in selectors.genomic_alleles(rule.alteration)
    )
