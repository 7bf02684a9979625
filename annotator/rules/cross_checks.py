"""The cross-checks of a rules set: what one entry cannot see on its own.

- rules: unique ids; genes, fusion partners and condition genes in the gene table; OncoTree
  codes (include, exclude, examples); protein-change and codon notation; every drug of every
  regimen (combinations split on `` + ``) in the drug table; each ``therapy_classes`` entry is a
  class of at least one drug of the drug table (any case); an ``exon`` selector names an exon
  of the gene's ``exons`` table when the gene has one, an ``exon_skipping`` selector one in any
  case; example ``conflicts`` name rule ids;
- genes: unique symbols; exon numbers unique per gene, exon ``cds`` ranges not overlapping;
- drugs: unique generic names, and no name, brand name or synonym claimed by two drugs;
- hotspots: gene in the gene table; ``protein_change`` readable and written in its normalized
  one-letter form (``T790M``, as rules write it); chromosome without ``chr``; the same
  chromosome and REF/ALT lengths in both builds; each allele inside the gene's span of its build
  when the span is given; no hotspot listed twice (gene, protein change and alleles).

Every check runs on the parts of the entries that validate on their own
(:mod:`annotator.rules.entries`), so that a file with schema problems is still cross-checked.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from annotator.errors import InputError, ProteinNotationError
from annotator.genome import BUILDS, normalize_chrom
from annotator.protein import parse_codon, parse_protein_change
from annotator.rules.entries import (
    DrugParts,
    GeneParts,
    HotspotParts,
    ParsedFile,
    Placed,
    RuleParts,
)
from annotator.rules.problems import NO_VALUE, clip, problem
from annotator.rules.ruleset import FUSION_SEPARATOR, fold_name, fusion_partners, split_regimen
from annotator.rules.schema import (
    ANY_TUMOR_TYPE,
    BIOMARKER_GENES,
    Example,
    ExonSpec,
    GenomicAllele,
    Selector,
    TumorTypes,
)
from annotator.rules.yaml_reading import Location
from annotator.tumor_types import OncoTree

_GENE_HINT = "add it under genes: with its MANE Select transcript"
_DRUG_HINT = "add it under drugs: with its classes and sources"

#: A problem found by a cross-check: where in the entry, what, the value, a hint.
_Found = tuple[Location, str, object, str | None]


@dataclass(frozen=True)
class _Tables:
    """What the cross-checks look entries up in: the union over all files."""

    oncotree: OncoTree
    gene_symbols: frozenset[str] | None  # None when a gene table could not be read
    genes: Mapping[str, GeneParts]
    drug_names: frozenset[str] | None  # None when a drug table could not be read
    rule_ids: frozenset[str]
    drug_classes: frozenset[str] | None = None  # folded; None when a drug table is unreadable


def cross_check(parsed: Sequence[ParsedFile], oncotree: OncoTree) -> list[str]:
    problems: list[str] = []
    problems.extend(_duplicates([i for p in parsed for i in p.rule_ids], "rule", "id"))
    problems.extend(_duplicates([i for p in parsed for i in p.gene_symbols], "gene", "symbol"))
    problems.extend(_duplicates([i for p in parsed for i in p.drug_names], "drug", "name"))
    problems.extend(_shared_drug_names([parts for p in parsed for parts in p.drug_parts]))
    hotspots = [parts for p in parsed for parts in p.hotspot_parts]
    problems.extend(_duplicate_hotspots(hotspots))
    genes: dict[str, GeneParts] = {}
    for gene in (parts for p in parsed for parts in p.gene_parts):
        genes.setdefault(gene.symbol, gene)
    symbols = {symbol for p in parsed for symbol, _ in p.gene_symbols}
    tables = _Tables(
        oncotree=oncotree,
        gene_symbols=(
            frozenset(symbols | set(BIOMARKER_GENES.values()))
            if all(p.genes_readable for p in parsed)
            else None
        ),
        genes=genes,
        drug_names=(
            frozenset(name for p in parsed for name, _ in p.drug_names)
            if all(p.drugs_readable for p in parsed)
            else None
        ),
        rule_ids=frozenset(rule_id for p in parsed for rule_id, _ in p.rule_ids),
        drug_classes=(
            frozenset(fold_name(c) for p in parsed for drug, _ in p.drugs for c in drug.classes)
            if all(p.drugs_readable and len(p.drugs) == len(p.drug_parts) for p in parsed)
            else None
        ),
    )
    for rule in (parts for p in parsed for parts in p.rule_parts):
        problems.extend(_report(rule.placed, rule.subject, _check_rule(rule, tables)))
    for gene in (parts for p in parsed for parts in p.gene_parts):
        problems.extend(_report(gene.placed, f"gene {clip(gene.symbol)}", _check_exons(gene)))
    for hotspot in hotspots:
        problems.extend(_report(hotspot.placed, hotspot.subject, _check_hotspot(hotspot, tables)))
    return problems


def _report(placed: Placed, subject: str, found: Iterable[_Found]) -> Iterator[str]:
    for location, what, value, hint in found:
        yield problem(
            placed.source.shown,
            placed.line(*location),
            what,
            subject=subject,
            field=".".join(str(step) for step in location) or None,
            value=value,
            hint=hint,
        )


def _duplicates(entries: Sequence[tuple[str, Placed]], noun: str, key: str) -> Iterator[str]:
    first: dict[str, Placed] = {}
    for name, placed in entries:
        if name in first:
            yield problem(
                placed.source.shown,
                placed.line(key),
                f"duplicate {noun} {key}, first at {first[name].where}",
                subject=f"{noun} {clip(name)}",
                field=key,
            )
        else:
            first[name] = placed


def _shared_drug_names(drugs: Sequence[DrugParts]) -> Iterator[str]:
    """A name, brand name or synonym (any case) that two different drugs claim."""
    claimed: dict[str, DrugParts] = {}
    for drug in drugs:
        own: set[str] = set()
        named: list[tuple[Location, str]] = [(("name",), drug.name)]
        named += [(("brand_names", index), name) for index, name in drug.brand_names]
        named += [(("synonyms", index), name) for index, name in drug.synonyms]
        for location, name in named:
            key = fold_name(name)
            if key in own:
                continue
            own.add(key)
            other = claimed.setdefault(key, drug)
            if other.name == drug.name:  # this drug, or the same drug twice (reported)
                continue
            yield problem(
                drug.placed.source.shown,
                drug.placed.line(*location),
                f"{name!r} is also a name of drug {clip(other.name)}, "
                f"first at {other.placed.where}",
                subject=f"drug {clip(drug.name)}",
                field=".".join(str(step) for step in location),
                hint="a name, brand name or synonym names one drug",
            )


def _hotspot_key(hotspot: HotspotParts) -> tuple[object, ...]:
    """Gene, normalized protein change and alleles: what makes two hotspots the same."""
    change = hotspot.protein_change
    with contextlib.suppress(ProteinNotationError):
        change = parse_protein_change(change or "").short
    alleles = sorted(
        (build, normalize_chrom(a.chrom), a.pos, a.ref, a.alt)
        for build, a in hotspot.alleles.items()
    )
    return hotspot.gene, change, tuple(alleles)


def _duplicate_hotspots(hotspots: Sequence[HotspotParts]) -> Iterator[str]:
    first: dict[tuple[object, ...], HotspotParts] = {}
    for hotspot in hotspots:
        if hotspot.gene is None or hotspot.protein_change is None or not hotspot.alleles:
            continue
        other = first.setdefault(_hotspot_key(hotspot), hotspot)
        if other is not hotspot:
            yield problem(
                hotspot.placed.source.shown,
                hotspot.placed.line(),
                "duplicate hotspot (same gene, protein change and alleles), "
                f"first at {other.placed.where}",
                subject=hotspot.subject,
            )


# --- rules ----------------------------------------------------------------------------------


def _check_rule(parts: RuleParts, tables: _Tables) -> Iterator[_Found]:
    if tables.gene_symbols is not None:
        yield from _check_genes(parts, tables.gene_symbols)
    if parts.tumor_types is not None:
        yield from _check_tumor_types(parts.tumor_types, tables.oncotree)
    if parts.alteration is not None:
        yield from _check_notation(parts.alteration, ("alteration",))
        if parts.gene is not None:
            yield from _check_exon(parts.gene, parts.alteration, ("alteration",), tables.genes)
    for section, index, condition in parts.conditions:
        yield from _check_notation(condition, (section, index))
        yield from _check_exon(condition.gene, condition, (section, index), tables.genes)
    if tables.drug_names is not None:
        yield from _check_therapies(parts.therapies, tables.drug_names)
    if tables.drug_classes is not None:
        for index, name in parts.therapy_classes:
            if fold_name(name) not in tables.drug_classes:
                yield (
                    ("therapy_classes", index),
                    "names no drug of the drug table",
                    name,
                    "list the class under a drug's classes:, or fix the spelling",
                )
    for index, example in parts.examples:
        yield from _check_example(example, ("examples", index), parts, tables)


def _check_genes(parts: RuleParts, known: frozenset[str]) -> Iterator[_Found]:
    if parts.gene is not None and FUSION_SEPARATOR in parts.gene:
        for partner in parts.gene.split(FUSION_SEPARATOR):
            if partner not in known:
                yield ("gene",), "fusion partner not in the gene table", partner, _GENE_HINT
    elif parts.gene is not None and parts.gene not in known:
        yield ("gene",), "not in the gene table", parts.gene, _GENE_HINT
    for section, index, condition in parts.conditions:
        if condition.gene not in known:
            yield (section, index, "gene"), "not in the gene table", condition.gene, _GENE_HINT
        for partner in fusion_partners(condition):
            if partner not in known and partner != condition.gene:
                what = "fusion partner not in the gene table"
                yield (section, index, "fusion"), what, partner, _GENE_HINT


def _check_tumor_types(tumor_types: TumorTypes, oncotree: OncoTree) -> Iterator[_Found]:
    include, exclude = tumor_types.include, tumor_types.exclude
    for section, codes in (("include", include), ("exclude", exclude)):
        for index, code in enumerate(codes):
            location: Location = ("tumor_types", section, index)
            if code == ANY_TUMOR_TYPE:
                if section == "exclude":
                    yield location, f"'{ANY_TUMOR_TYPE}' is allowed only in include", code, None
                continue
            yield from _check_code(code, location, oncotree)
    if ANY_TUMOR_TYPE in include:
        return
    included = [oncotree.get(code).code for code in include if code in oncotree]
    for index, code in enumerate(exclude):
        if code not in oncotree or not included:
            continue
        canonical = oncotree.get(code).code
        if not any(
            canonical != parent and oncotree.is_within(canonical, parent) for parent in included
        ):
            yield (
                ("tumor_types", "exclude", index),
                "not below an included code, so it cannot narrow include",
                code,
                f"include is {', '.join(include)}",
            )


def _check_code(code: str, location: Location, oncotree: OncoTree) -> Iterator[_Found]:
    """An OncoTree code of this release, written as OncoTree writes it."""
    if code not in oncotree:
        try:
            oncotree.require(code)
        except InputError as error:
            yield location, error.message, code, error.hint
        return
    canonical = oncotree.get(code).code
    if canonical != code:
        yield location, "not written as in OncoTree", code, f"write {canonical}"


def _check_notation(selector: Selector, prefix: Location) -> Iterator[_Found]:
    for index, text in enumerate(selector.protein_changes or []):
        try:
            parse_protein_change(text)
        except ProteinNotationError as error:
            yield (*prefix, "protein_changes", index), str(error), text, None
    for index, text in enumerate(selector.codons or []):
        try:
            parse_codon(text)
        except ProteinNotationError as error:
            yield (*prefix, "codons", index), str(error), text, None


def _check_exon(
    gene: str, selector: Selector, prefix: Location, genes: Mapping[str, GeneParts]
) -> Iterator[_Found]:
    """An ``exon`` selector names an exon of the gene's exon table, when it has one; an
    ``exon_skipping`` selector one of the table in any case (its splice sites come from it)."""
    parts = genes.get(gene)
    if parts is None:
        return
    if selector.exon_skipping is not None:
        numbers = sorted({exon.number for _, exon in parts.exons})
        if selector.exon_skipping not in numbers:
            listed = f"exons {', '.join(str(n) for n in numbers)}" if numbers else "no exons"
            yield (
                (*prefix, "exon_skipping"),
                f"not in the exon table of {gene} ({listed}): its splice sites come from there",
                selector.exon_skipping,
                f"add exon {selector.exon_skipping} under the gene's exons:",
            )
        return
    if selector.exon is None or not parts.exons:
        return
    numbers = sorted({exon.number for _, exon in parts.exons})
    if selector.exon not in numbers:
        listed = ", ".join(str(n) for n in numbers)
        yield (
            (*prefix, "exon"),
            f"not in the exon table of {gene} (exons {listed})",
            selector.exon,
            f"add exon {selector.exon} under the gene's exons:",
        )


def _check_therapies(
    therapies: Sequence[tuple[int, str]], drug_names: frozenset[str]
) -> Iterator[_Found]:
    for index, therapy in therapies:
        for drug in split_regimen(therapy):
            if drug not in drug_names:
                yield ("therapies", index), "not in the drug table", drug, _DRUG_HINT


def _check_example(
    example: Example, prefix: Location, parts: RuleParts, tables: _Tables
) -> Iterator[_Found]:
    yield from _check_code(example.tumor_type, (*prefix, "tumor_type"), tables.oncotree)
    own_id = parts.subject.removeprefix("rule ")
    for index, rule_id in enumerate(example.conflicts):
        location: Location = (*prefix, "conflicts", index)
        if rule_id == own_id:
            yield location, "names the rule itself", rule_id, "list only other rules"
        elif rule_id not in tables.rule_ids:
            close = difflib.get_close_matches(rule_id, sorted(tables.rule_ids), n=1)
            hint = f"did you mean {close[0]}?" if close else None
            yield location, "not a rule id", rule_id, hint


# --- genes and hotspots ---------------------------------------------------------------------


def _check_exons(gene: GeneParts) -> Iterator[_Found]:
    """Exon numbers are unique in a gene and exon cds ranges do not overlap."""
    first: dict[int, int] = {}
    for index, exon in gene.exons:
        if exon.number in first:
            line = gene.placed.line("exons", first[exon.number])
            what = f"exon {exon.number} listed twice, first at line {line}"
            yield ("exons", index, "number"), what, NO_VALUE, None
        else:
            first[exon.number] = index
    furthest: ExonSpec | None = None  # of the exons before, the one whose cds reaches furthest
    for index, exon in sorted(gene.exons, key=lambda item: (item[1].cds_start, item[0])):
        if furthest is not None and exon.cds_start <= furthest.cds_end:
            yield (
                ("exons", index, "cds_start"),
                f"c.{exon.cds_start}-{exon.cds_end} of exon {exon.number} overlaps exon "
                f"{furthest.number} (c.{furthest.cds_start}-{furthest.cds_end})",
                NO_VALUE,
                "exon cds ranges do not overlap",
            )
        if furthest is None or exon.cds_end > furthest.cds_end:
            furthest = exon


def _check_hotspot(hotspot: HotspotParts, tables: _Tables) -> Iterator[_Found]:
    gene, text = hotspot.gene, hotspot.protein_change
    if gene is not None and tables.gene_symbols is not None and gene not in tables.gene_symbols:
        yield ("gene",), "not in the gene table", gene, _GENE_HINT
    if text is not None:
        try:
            change = parse_protein_change(text)
        except ProteinNotationError as error:
            yield ("protein_change",), str(error), text, None
        else:
            if change.short != text:
                what = "not in the normalized one-letter form rules use"
                yield ("protein_change",), what, text, f"write {change.short}"
    for build, allele in hotspot.alleles.items():
        if allele.chrom.lower().startswith("chr"):
            hint = f"write {normalize_chrom(allele.chrom)}"
            yield (
                ("alleles", build, "chrom"),
                "write the chromosome without chr",
                allele.chrom,
                hint,
            )
    yield from _check_hotspot_builds(hotspot.alleles)
    gene_parts = tables.genes.get(gene) if gene is not None else None
    spans = gene_parts.spans if gene_parts is not None else {}
    for build, allele in hotspot.alleles.items():
        span = spans.get(build)
        if span is None:
            continue
        chrom = normalize_chrom(allele.chrom)
        if chrom != normalize_chrom(span.chrom) or not span.start <= allele.pos <= span.end:
            yield (
                ("alleles", build, "pos"),
                f"outside the {gene} {build} span {span.chrom}:{span.start}-{span.end}",
                f"{chrom}:{allele.pos}",
                "check the build and the position",
            )


def _check_hotspot_builds(alleles: Mapping[str, GenomicAllele]) -> Iterator[_Found]:
    """The two builds' alleles of one hotspot agree in chromosome and REF/ALT lengths."""
    if not all(build in alleles for build in BUILDS):
        return
    old, new = (alleles[build] for build in BUILDS)
    if normalize_chrom(old.chrom) != normalize_chrom(new.chrom):
        yield (
            ("alleles", BUILDS[1], "chrom"),
            f"not the chromosome of the {BUILDS[0]} allele ({old.chrom})",
            new.chrom,
            "both builds place a hotspot on the same chromosome",
        )
    for field in ("ref", "alt"):
        before, after = getattr(old, field), getattr(new, field)
        if len(before) != len(after):
            yield (
                ("alleles", BUILDS[1], field),
                f"{field.upper()} length {len(after)} differs from the {BUILDS[0]} allele's "
                f"({before!r}, length {len(before)})",
                after,
                "both builds describe the same change",
            )
