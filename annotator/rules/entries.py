"""A rules file's entries as the loader and the cross-checks see them: where each sits
(:class:`Placed`), what one file gave (:class:`ParsedFile`), and the parts of each entry that
validate on their own (:class:`RuleParts`, :class:`GeneParts`, :class:`HotspotParts`,
:class:`DrugParts`), so that an invalid entry is still checked in its valid parts and one pass
reports every problem.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass

import yaml
from pydantic import BaseModel, ValidationError

from annotator.genome import BUILDS
from annotator.rules.files import RulesSource
from annotator.rules.problems import clip, entry_label
from annotator.rules.schema import (
    THERAPY_PATTERN,
    Condition,
    Drug,
    Example,
    ExonSpec,
    GeneSpec,
    GenomicAllele,
    Hotspot,
    Rule,
    Selector,
    Span,
    TumorTypes,
)
from annotator.rules.yaml_reading import line_at

_Model = typing.TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True)
class Placed:
    """Where an entry sits: its file, the document's root node, section and index."""

    source: RulesSource
    root: yaml.Node
    section: str
    index: int

    def line(self, *location: int | str) -> int:
        return line_at(self.root, (self.section, self.index, *location))

    @property
    def where(self) -> str:
        return f"{self.source.shown} line {self.line()}"


@dataclass
class ParsedFile:
    """One file: its bytes, its own problems, and its entries for the cross-checks.

    ``rules``, ``genes``, ``hotspots`` and ``drugs`` are filled when the whole file is valid.
    The ``*_parts`` lists hold the parts of every entry that validate on their own, and the
    ``*_ids``/``*_symbols``/``*_names`` lists the name of every entry that has one.
    """

    source: RulesSource
    content: bytes = b""
    problems: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # (line, text)
    genes_readable: bool = False  # parsed to a mapping whose genes section could be read
    drugs_readable: bool = False  # ... whose drugs section could be read
    version: str | None = None
    rules: list[tuple[Rule, Placed]] = dataclasses.field(default_factory=list)
    genes: list[tuple[GeneSpec, Placed]] = dataclasses.field(default_factory=list)
    hotspots: list[tuple[Hotspot, Placed]] = dataclasses.field(default_factory=list)
    drugs: list[tuple[Drug, Placed]] = dataclasses.field(default_factory=list)
    rule_parts: list[RuleParts] = dataclasses.field(default_factory=list)
    gene_parts: list[GeneParts] = dataclasses.field(default_factory=list)
    hotspot_parts: list[HotspotParts] = dataclasses.field(default_factory=list)
    drug_parts: list[DrugParts] = dataclasses.field(default_factory=list)
    rule_ids: list[tuple[str, Placed]] = dataclasses.field(default_factory=list)
    gene_symbols: list[tuple[str, Placed]] = dataclasses.field(default_factory=list)
    drug_names: list[tuple[str, Placed]] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class RuleParts:
    """The parts of a rule entry that validate on their own, for the cross-checks.

    An invalid rule is still checked in the parts that are valid, so that one pass reports
    every problem.
    """

    placed: Placed
    subject: str
    gene: str | None
    alteration: Selector | None
    conditions: tuple[tuple[str, int, Condition], ...]
    tumor_types: TumorTypes | None
    therapies: tuple[tuple[int, str], ...] = ()  # (index, regimen) for well-formed regimens
    examples: tuple[tuple[int, Example], ...] = ()
    therapy_classes: tuple[tuple[int, str], ...] = ()  # (index, drug class)

    @classmethod
    def from_rule(cls, rule: Rule, placed: Placed) -> RuleParts:
        conditions = tuple(
            (section, index, condition)
            for section in ("requires", "excludes")
            for index, condition in enumerate(getattr(rule, section))
        )
        return cls(
            placed,
            f"rule {rule.id}",
            rule.gene,
            rule.alteration,
            conditions,
            rule.tumor_types,
            tuple(enumerate(rule.therapies)),
            tuple(enumerate(rule.examples)),
            tuple(enumerate(rule.therapy_classes)),
        )

    @classmethod
    def from_entry(cls, item: object, placed: Placed) -> RuleParts | None:
        if not isinstance(item, dict):
            return None
        rule_id, gene = item.get("id"), item.get("gene")
        conditions = tuple(
            (section, index, condition)
            for section in ("requires", "excludes")
            for index, condition in valid_items(Condition, item.get(section))
        )
        therapies = item.get("therapies")
        classes = item.get("therapy_classes")
        return cls(
            placed,
            f"rule {clip(rule_id) if isinstance(rule_id, str) else f'#{placed.index + 1}'}",
            gene if isinstance(gene, str) else None,
            valid_or_none(Selector, item.get("alteration")),
            conditions,
            valid_or_none(TumorTypes, item.get("tumor_types")),
            tuple(
                (index, text)
                for index, text in enumerate(therapies if isinstance(therapies, list) else [])
                if isinstance(text, str) and re.match(THERAPY_PATTERN, text)
            ),
            valid_items(Example, item.get("examples")),
            tuple(
                (index, text)
                for index, text in enumerate(classes if isinstance(classes, list) else [])
                if isinstance(text, str)
            ),
        )


@dataclass(frozen=True)
class GeneParts:
    """The spans and exons of a gene entry that validate on their own."""

    placed: Placed
    symbol: str
    spans: Mapping[str, Span]
    exons: tuple[tuple[int, ExonSpec], ...]

    @classmethod
    def from_entry(cls, item: object, placed: Placed) -> GeneParts | None:
        if not isinstance(item, dict) or not isinstance(item.get("symbol"), str):
            return None
        return cls(
            placed,
            item["symbol"],
            _valid_spans(item.get("spans")),
            valid_items(ExonSpec, item.get("exons")),
        )


@dataclass(frozen=True)
class HotspotParts:
    """The gene, protein change and alleles of a hotspot entry that validate on their own."""

    placed: Placed
    subject: str
    gene: str | None
    protein_change: str | None
    alleles: Mapping[str, GenomicAllele]

    @classmethod
    def from_entry(cls, item: object, placed: Placed) -> HotspotParts | None:
        if not isinstance(item, dict):
            return None
        gene, change, alleles = item.get("gene"), item.get("protein_change"), item.get("alleles")
        found: dict[str, GenomicAllele] = {}
        for build in BUILDS:
            allele = (
                valid_or_none(GenomicAllele, alleles.get(build))
                if isinstance(alleles, dict)
                else None
            )
            if allele is not None:
                found[build] = allele
        return cls(
            placed,
            entry_label("hotspots", {str(k): v for k, v in item.items()}, placed.index),
            gene if isinstance(gene, str) else None,
            change if isinstance(change, str) else None,
            found,
        )


@dataclass(frozen=True)
class DrugParts:
    """The names of a drug entry: generic name, brand names and synonyms (by index)."""

    placed: Placed
    name: str
    brand_names: tuple[tuple[int, str], ...]
    synonyms: tuple[tuple[int, str], ...]

    @classmethod
    def from_entry(cls, item: object, placed: Placed) -> DrugParts | None:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return None
        return cls(
            placed, item["name"], _strings(item.get("brand_names")), _strings(item.get("synonyms"))
        )


def _strings(items: object) -> tuple[tuple[int, str], ...]:
    return tuple(
        (index, item)
        for index, item in enumerate(items if isinstance(items, list) else [])
        if isinstance(item, str)
    )


def _valid_spans(spans: object) -> dict[str, Span]:
    if not isinstance(spans, dict):
        return {}
    found = {build: valid_or_none(Span, spans.get(build)) for build in BUILDS}
    return {build: span for build, span in found.items() if span is not None}


def valid_or_none(model: type[_Model], value: object) -> _Model | None:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def valid_items(model: type[_Model], items: object) -> tuple[tuple[int, _Model], ...]:
    """The items of a list that validate on their own, with their index."""
    found = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        valid = valid_or_none(model, item)
        if valid is not None:
            found.append((index, valid))
    return tuple(found)
