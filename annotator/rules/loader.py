"""Load rules files into a ``RuleSet``: YAML → validated entries → cross-checks.

A rules file may hold ``genes:``, ``hotspots:``, ``drugs:`` and ``rules:`` sections (and
``version:`` in ``manifest.yaml``). The set is the union of every file's sections: a rule may
name a gene, drug or hotspot defined in any other file.

Every problem in every file is collected in one pass and raised as one ``RulesError`` whose
``problems`` are one line each::

    <file>: line <n>: rule <id>: <field.path>: <what> (got <value>); <hint>

(``gene <symbol>``, ``hotspot <gene> <protein change>`` or ``drug <name>`` instead of
``rule <id>`` in the other sections; parts that do not apply are left out.) YAML syntax errors
read ``<file>: line L, column C: YAML syntax error: <problem>``.

Besides the schema, the cross-checks cover what one entry cannot see on its own:

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

The bundled set is every ``*.yaml``/``*.yml`` file of :func:`bundled_rules_dir`, sorted by
name; its ``manifest.yaml`` holds the set's ``version``. Extra files follow in the order given
(a directory stands for its YAML files, sorted by name).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import difflib
import hashlib
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from annotator.errors import (
    InputError,
    ProteinNotationError,
    RulesError,
    UsageError,
    one_line,
)
from annotator.genome import normalize_chrom
from annotator.protein import parse_codon, parse_protein_change
from annotator.rules.files import MANIFEST, RulesSource, collect_sources
from annotator.rules.ruleset import (
    FUSION_SEPARATOR,
    RuleOrigin,
    RuleSet,
    fold_name,
    fusion_partners,
    split_regimen,
)
from annotator.rules.schema import (
    BIOMARKER_GENES,
    THERAPY_PATTERN,
    Condition,
    Drug,
    Example,
    ExonSpec,
    GeneSpec,
    GenomicAllele,
    Hotspot,
    Rule,
    RulesFile,
    Selector,
    Span,
    TumorTypes,
)
from annotator.tumor_types import OncoTree, load_oncotree

#: libyaml's safe loader when PyYAML was built with it (the wheels are), else None.
_CSafeLoader: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)
#: Text that libyaml reads differently from the pure-Python loader, found by comparing the two
#: on random and mutated texts (tests/test_startup_yaml.py): a tab (libyaml takes it as a
#: separator where PyYAML refuses it); ``!`` (libyaml reads ``key: !`` as ``''``, PyYAML as
#: null); ``?`` (libyaml allows it in plain scalars of flow collections, ``[a ?]``); a BOM past
#: the start; ``#`` right after a block scalar indicator (``|#``). Such text, and text without
#: a final line break (libyaml places empty nodes at its end a line lower), is read by PyYAML
#: alone. Otherwise the two give the same data, and the same lines for the root, every
#: sequence item and every mapping key: the lines problems cite. (libyaml may place an empty
#: value of a flow mapping, ``{a:\n}``, a line lower; those lines are not read.)
_LIBYAML_DIFFERS = re.compile(r"[\t!?\ufeff]|[|>][-+0-9]*#")
#: ``_LIBYAML_DIFFERS`` in two parts, found three times faster than the one alternation: its
#: characters, and a block scalar indicator with a comment right after it.
_LIBYAML_DIFFERS_CHARACTERS = "\t!?\ufeff"
_LIBYAML_DIFFERS_BLOCK = re.compile(r"[|>][-+0-9]*#")

#: The tags of the nodes ``_construct_plain`` builds; the scalar ones are those a key may have.
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_SCALAR_TAGS = frozenset(
    {
        _STR_TAG,
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
    }
)
#: Deeper documents are built by PyYAML's constructor (rules files nest five levels or so).
_PLAIN_MAX_DEPTH = 100

#: The tumor-agnostic keyword of ``tumor_types.include``.
ANY_TUMOR_TYPE = "ALL"
#: Added to the bundled version when extra files are loaded; the version of extra files alone.
LOCAL_VERSION = "local"
BUILDS = ("GRCh37", "GRCh38")
#: Joins the drugs of a combination regimen: ``dabrafenib + trametinib``.
COMBINATION_SEPARATOR = " + "

_SHOWN_CHARS = 60
_GENE_HINT = "add it under genes: with its MANE Select transcript"
_DRUG_HINT = "add it under drugs: with its classes and sources"

#: The entry sections of a rules file: the noun that names an entry in problems, and the keys
#: whose values label it (``rule EGFR-T790M-1GTKI-R``, ``hotspot EGFR T790M``).
_SECTIONS: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType(
    {
        "rules": ("rule", ("id",)),
        "genes": ("gene", ("symbol",)),
        "hotspots": ("hotspot", ("gene", "protein_change")),
        "drugs": ("drug", ("name",)),
    }
)

Location = tuple[int | str, ...]
_Model = typing.TypeVar("_Model", bound=BaseModel)
_Parts = typing.TypeVar("_Parts")


def load_rules(
    paths: Sequence[Path] = (), *, bundled: bool = True, oncotree: OncoTree | None = None
) -> RuleSet:
    """Read, validate and cross-check the bundled rules (unless ``bundled=False``) and ``paths``.

    Raises ``RulesError`` whose ``problems`` list every problem found, one line each.
    """
    if not bundled and not paths:
        raise UsageError("no rules to load: the bundled rules are off and no rules files given")
    tree = oncotree if oncotree is not None else load_oncotree()
    sources, problems = collect_sources(paths, bundled=bundled)
    digest = hashlib.sha256()
    parsed: list[_ParsedFile] = []
    for source in sources:
        try:
            result = _read_file(source)
        except RecursionError:  # lists or mappings nested about a thousand deep
            result = _ParsedFile(source, content=source.path.read_bytes())
            result.problems.append(
                (0, f"{source.shown}: lists or mappings nested too deeply to read")
            )
        digest.update(result.content)
        problems.extend(text for _line, text in sorted(result.problems, key=lambda p: p[0]))
        parsed.append(result)
    problems.extend(_cross_check(parsed, tree))
    if problems:
        count = len(problems)
        raise RulesError(
            f"found {count} problem{'s' if count != 1 else ''} in the rules", problems=problems
        )
    version = _version(parsed, bundled=bundled, extra=bool(paths))
    return RuleSet(
        version=version,
        sha256=digest.hexdigest(),
        files=tuple(p.source.path for p in parsed),
        genes={spec.symbol: spec for p in parsed for spec, _ in p.genes},
        rules=tuple(rule for p in parsed for rule, _ in p.rules),
        hotspots=tuple(hotspot for p in parsed for hotspot, _ in p.hotspots),
        drugs={drug.name: drug for p in parsed for drug, _ in p.drugs},
        origins={
            rule.id: RuleOrigin(placed.source.path, placed.line())
            for p in parsed
            for rule, placed in p.rules
        },
    )


# --- files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    """Where an entry sits: its file, the document's root node, section and index."""

    source: RulesSource
    root: yaml.Node
    section: str
    index: int

    def line(self, *location: int | str) -> int:
        return _line_at(self.root, (self.section, self.index, *location))

    @property
    def where(self) -> str:
        return f"{self.source.shown} line {self.line()}"


@dataclass
class _ParsedFile:
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
    rules: list[tuple[Rule, _Placed]] = dataclasses.field(default_factory=list)
    genes: list[tuple[GeneSpec, _Placed]] = dataclasses.field(default_factory=list)
    hotspots: list[tuple[Hotspot, _Placed]] = dataclasses.field(default_factory=list)
    drugs: list[tuple[Drug, _Placed]] = dataclasses.field(default_factory=list)
    rule_parts: list[_RuleParts] = dataclasses.field(default_factory=list)
    gene_parts: list[_GeneParts] = dataclasses.field(default_factory=list)
    hotspot_parts: list[_HotspotParts] = dataclasses.field(default_factory=list)
    drug_parts: list[_DrugParts] = dataclasses.field(default_factory=list)
    rule_ids: list[tuple[str, _Placed]] = dataclasses.field(default_factory=list)
    gene_symbols: list[tuple[str, _Placed]] = dataclasses.field(default_factory=list)
    drug_names: list[tuple[str, _Placed]] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class _RuleParts:
    """The parts of a rule entry that validate on their own, for the cross-checks.

    An invalid rule is still checked in the parts that are valid, so that one pass reports
    every problem.
    """

    placed: _Placed
    subject: str
    gene: str | None
    alteration: Selector | None
    conditions: tuple[tuple[str, int, Condition], ...]
    tumor_types: TumorTypes | None
    therapies: tuple[tuple[int, str], ...] = ()  # (index, regimen) for well-formed regimens
    examples: tuple[tuple[int, Example], ...] = ()
    therapy_classes: tuple[tuple[int, str], ...] = ()  # (index, drug class)

    @classmethod
    def from_rule(cls, rule: Rule, placed: _Placed) -> _RuleParts:
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
    def from_entry(cls, item: object, placed: _Placed) -> _RuleParts | None:
        if not isinstance(item, dict):
            return None
        rule_id, gene = item.get("id"), item.get("gene")
        conditions = tuple(
            (section, index, condition)
            for section in ("requires", "excludes")
            for index, condition in _valid_items(Condition, item.get(section))
        )
        therapies = item.get("therapies")
        classes = item.get("therapy_classes")
        return cls(
            placed,
            f"rule {_clip(rule_id) if isinstance(rule_id, str) else f'#{placed.index + 1}'}",
            gene if isinstance(gene, str) else None,
            _valid_or_none(Selector, item.get("alteration")),
            conditions,
            _valid_or_none(TumorTypes, item.get("tumor_types")),
            tuple(
                (index, text)
                for index, text in enumerate(therapies if isinstance(therapies, list) else [])
                if isinstance(text, str) and re.match(THERAPY_PATTERN, text)
            ),
            _valid_items(Example, item.get("examples")),
            tuple(
                (index, text)
                for index, text in enumerate(classes if isinstance(classes, list) else [])
                if isinstance(text, str)
            ),
        )


@dataclass(frozen=True)
class _GeneParts:
    """The spans and exons of a gene entry that validate on their own."""

    placed: _Placed
    symbol: str
    spans: Mapping[str, Span]
    exons: tuple[tuple[int, ExonSpec], ...]

    @classmethod
    def from_entry(cls, item: object, placed: _Placed) -> _GeneParts | None:
        if not isinstance(item, dict) or not isinstance(item.get("symbol"), str):
            return None
        return cls(
            placed,
            item["symbol"],
            _valid_spans(item.get("spans")),
            _valid_items(ExonSpec, item.get("exons")),
        )


@dataclass(frozen=True)
class _HotspotParts:
    """The gene, protein change and alleles of a hotspot entry that validate on their own."""

    placed: _Placed
    subject: str
    gene: str | None
    protein_change: str | None
    alleles: Mapping[str, GenomicAllele]

    @classmethod
    def from_entry(cls, item: object, placed: _Placed) -> _HotspotParts | None:
        if not isinstance(item, dict):
            return None
        gene, change, alleles = item.get("gene"), item.get("protein_change"), item.get("alleles")
        found = {}
        for build in BUILDS:
            allele = (
                _valid_or_none(GenomicAllele, alleles.get(build))
                if isinstance(alleles, dict)
                else None
            )
            if allele is not None:
                found[build] = allele
        return cls(
            placed,
            _entry_label("hotspots", {str(k): v for k, v in item.items()}, placed.index),
            gene if isinstance(gene, str) else None,
            change if isinstance(change, str) else None,
            found,
        )


@dataclass(frozen=True)
class _DrugParts:
    """The names of a drug entry: generic name, brand names and synonyms (by index)."""

    placed: _Placed
    name: str
    brand_names: tuple[tuple[int, str], ...]
    synonyms: tuple[tuple[int, str], ...]

    @classmethod
    def from_entry(cls, item: object, placed: _Placed) -> _DrugParts | None:
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
    found = {build: _valid_or_none(Span, spans.get(build)) for build in BUILDS}
    return {build: span for build, span in found.items() if span is not None}


def _valid_or_none(model: type[_Model], value: object) -> _Model | None:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _valid_items(model: type[_Model], items: object) -> tuple[tuple[int, _Model], ...]:
    """The items of a list that validate on their own, with their index."""
    found = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        valid = _valid_or_none(model, item)
        if valid is not None:
            found.append((index, valid))
    return tuple(found)


def _read_file(source: RulesSource) -> _ParsedFile:
    parsed = _ParsedFile(source)
    shown = source.shown
    try:
        parsed.content = source.path.read_bytes()
    except OSError as error:
        parsed.problems.append((0, f"{shown}: cannot read: {error.strerror or error}"))
        return parsed
    try:
        text = parsed.content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = parsed.content.count(b"\n", 0, error.start) + 1
        parsed.problems.append(
            (line, f"{shown}: line {line}: not UTF-8 text (byte {error.start + 1})")
        )
        return parsed
    fast = _parse_fast(text)
    if fast is not None:
        root, data = fast
        if root is not None:
            parsed.problems.extend(_duplicate_keys(shown, root))
        return _check_top(parsed, root, data)
    # No libyaml, or it refused the text: the pure-Python loader reports the problem (its
    # messages are the ones documented and tested).
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:  # a control character: PyYAML refuses the text
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        parsed.problems.append(
            (
                line,
                f"{shown}: line {line}, column {column}: YAML syntax error: character "
                f"U+{error.character:04X} is not allowed in YAML text",
            )
        )
        return parsed
    try:
        root = loader.get_single_node()
        if root is not None:
            parsed.problems.extend(_duplicate_keys(shown, root))
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = error.problem or error.context or "invalid YAML"
        context = error.context_mark
        if error.problem and error.context and context is not None and context is not mark:
            # "while parsing a flow sequence" and where it began: often the line to fix.
            what += (
                f" ({error.context} that begins at line {context.line + 1}, "
                f"column {context.column + 1})"
            )
        line = mark.line + 1 if mark else 0
        parsed.problems.append((line, _one_line(f"{shown}: {where}YAML syntax error: {what}")))
        return parsed
    except yaml.YAMLError as error:
        parsed.problems.append((0, _one_line(f"{shown}: YAML syntax error: {error}")))
        return parsed
    finally:
        loader.dispose()
    return _check_top(parsed, root, data)


def _parse_fast(text: str) -> tuple[yaml.Node | None, object] | None:
    """The document's root node and data read by libyaml (C), or None when it cannot.

    libyaml gives the same nodes, with the same lines, as the pure-Python loader, about
    twenty times faster; ``_construct`` builds from them the data the pure-Python loader's
    constructor does. None when libyaml is missing, when the text uses a feature the two read
    differently (see ``_LIBYAML_DIFFERS``), or when libyaml raises anything: the caller then
    reads the text again with the pure-Python loader, whose results and error messages are
    the reference.
    """
    if _CSafeLoader is None or _libyaml_differs(text) or not text.endswith("\n"):
        return None
    try:
        loader = _CSafeLoader(text)
    except Exception:  # any failure: the pure-Python loader says why
        return None
    try:
        root = loader.get_single_node()
        data = _construct(loader, root) if root is not None else None
    except Exception:  # as above
        return None
    finally:
        loader.dispose()
    return root, data


def _libyaml_differs(text: str) -> bool:
    """True when ``_LIBYAML_DIFFERS`` is found in the text."""
    return (
        any(character in text for character in _LIBYAML_DIFFERS_CHARACTERS)
        or _LIBYAML_DIFFERS_BLOCK.search(text) is not None
    )


class _NotPlain(Exception):
    """The document has a node ``_construct_plain`` leaves to PyYAML's constructor."""


def _construct(loader: yaml.CSafeLoader, root: yaml.Node) -> object:
    """The document's data, as ``loader.construct_document(root)`` gives them."""
    try:
        return _construct_plain(loader, root)
    except _NotPlain:
        return loader.construct_document(root)


def _construct_plain(loader: yaml.CSafeLoader, root: yaml.Node) -> object:
    """The data of a document of mappings, sequences and null, bool, int, float and str
    scalars, three times faster than PyYAML's constructor, whose scalar methods it calls.

    Raises ``_NotPlain`` for anything else, which that constructor then builds (or refuses):
    another tag (timestamps, sets, a merge key ``<<``), a key that is not such a scalar, a
    mapping or sequence reached twice (an alias: PyYAML gives the same object twice), or
    nesting deeper than ``_PLAIN_MAX_DEPTH``.
    """
    constructors = loader.yaml_constructors
    seen: set[int] = set()

    def build(node: yaml.Node, depth: int) -> object:
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR_TAG:
                return node.value
            if tag in _SCALAR_TAGS:
                return constructors[tag](loader, node)
            raise _NotPlain
        if depth > _PLAIN_MAX_DEPTH or id(node) in seen:
            raise _NotPlain
        seen.add(id(node))
        if tag == _MAP_TAG and isinstance(node, yaml.MappingNode):
            # Every key looked at before any is built, as PyYAML's constructor handles a merge
            # key (``<<``) before the others: its error, not a scalar's, when both are wrong.
            pairs = node.value
            if not all(
                isinstance(key, yaml.ScalarNode) and key.tag in _SCALAR_TAGS for key, _ in pairs
            ):
                raise _NotPlain
            data: dict[object, object] = {}
            for key, value in pairs:
                built = build(key, depth)  # the key first, as PyYAML: its error when both fail
                data[built] = build(value, depth + 1)
            return data
        if tag == _SEQ_TAG and isinstance(node, yaml.SequenceNode):
            return [build(item, depth + 1) for item in node.value]
        raise _NotPlain

    return build(root, 0)


def _check_top(parsed: _ParsedFile, root: yaml.Node | None, data: object) -> _ParsedFile:
    """Validate a parsed document: its top must be a mapping."""
    shown = parsed.source.shown
    if root is None or not isinstance(data, dict):
        keys = ", ".join(RulesFile.model_fields)
        got = "an empty file" if root is None else f"a {type(data).__name__}"
        line = 1 if root is None else root.start_mark.line + 1
        text = f"{shown}: line {line}: expected a mapping with keys {keys} at the top (got {got})"
        parsed.problems.append((line, text))
        return parsed
    _validate(parsed, root, data)
    return parsed


def _validate(parsed: _ParsedFile, root: yaml.Node, data: dict[object, object]) -> None:
    source = parsed.source
    for section, found in (
        ("rules", parsed.rule_ids),
        ("genes", parsed.gene_symbols),
        ("drugs", parsed.drug_names),
    ):
        key = _SECTIONS[section][1][0]
        items = data.get(section)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get(key), str):
                found.append((item[key], _Placed(source, root, section, index)))
    parsed.genes_readable = _section_readable(data.get("genes"))
    parsed.drugs_readable = _section_readable(data.get("drugs"))
    version = data.get("version")
    if "version" in data and source.path.name != MANIFEST:
        line = _line_at(root, ("version",))
        text = _problem(
            source.shown,
            line,
            "read only from manifest.yaml",
            field="version",
            value=version,
            hint="remove it here",
        )
        parsed.problems.append((line, text))
        data = {key: value for key, value in data.items() if key != "version"}
    elif isinstance(version, str):
        parsed.version = version
    elif source.bundled and source.path.name == MANIFEST and version is None:
        text = _problem(source.shown, 1, "required in the bundled manifest", field="version")
        parsed.problems.append((1, text))

    def place(section: str, index: int) -> _Placed:
        return _Placed(source, root, section, index)

    try:
        model = RulesFile.model_validate(data)
    except ValidationError as error:
        parsed.problems.extend(
            _convert_error(source.shown, root, data, detail) for detail in error.errors()
        )
        rule_items = data.get("rules")
        for index, item in enumerate(rule_items if isinstance(rule_items, list) else []):
            parts = _RuleParts.from_entry(item, place("rules", index))
            if parts is not None:
                parsed.rule_parts.append(parts)
    else:
        parsed.rules = [(rule, place("rules", i)) for i, rule in enumerate(model.rules)]
        parsed.genes = [(spec, place("genes", i)) for i, spec in enumerate(model.genes)]
        parsed.hotspots = [(h, place("hotspots", i)) for i, h in enumerate(model.hotspots)]
        parsed.drugs = [(drug, place("drugs", i)) for i, drug in enumerate(model.drugs)]
        parsed.rule_parts = [_RuleParts.from_rule(rule, placed) for rule, placed in parsed.rules]
    parsed.gene_parts = _entry_parts(data, "genes", _GeneParts.from_entry, place)
    parsed.hotspot_parts = _entry_parts(data, "hotspots", _HotspotParts.from_entry, place)
    parsed.drug_parts = _entry_parts(data, "drugs", _DrugParts.from_entry, place)


def _entry_parts(
    data: Mapping[object, object],
    section: str,
    read: Callable[[object, _Placed], _Parts | None],
    place: Callable[[str, int], _Placed],
) -> list[_Parts]:
    items = data.get(section)
    found = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        parts = read(item, place(section, index))
        if parts is not None:
            found.append(parts)
    return found


def _section_readable(items: object) -> bool:
    """True when a section is absent or a list of mappings, so its names could be collected."""
    return items is None or (isinstance(items, list) and all(isinstance(i, dict) for i in items))


def _version(parsed: Sequence[_ParsedFile], *, bundled: bool, extra: bool) -> str:
    if not bundled:
        return LOCAL_VERSION
    version = next(
        (p.version for p in parsed if p.source.bundled and p.source.path.name == MANIFEST),
        None,
    )
    assert version is not None  # a missing one is a problem, reported before
    return f"{version}+{LOCAL_VERSION}" if extra else version


# --- YAML nodes -----------------------------------------------------------------------------


def _line_at(root: yaml.Node, location: Location) -> int:
    """The 1-based line of the deepest node ``location`` reaches (a key's line for mappings)."""
    node = root
    line = root.start_mark.line + 1
    for step in location:
        if isinstance(node, yaml.MappingNode):
            match = None
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                    match = key, value  # the last one wins, as in the loaded data
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if not 0 <= step < len(node.value):
                break
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _duplicate_keys(shown: str, root: yaml.Node) -> Iterator[tuple[int, str]]:
    """Keys given twice in one mapping: YAML keeps the last silently."""
    pending: list[tuple[yaml.Node, str | None]] = [(root, None)]
    visited: set[int] = set()
    while pending:
        node, subject = pending.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending.extend((item, subject) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                line = key.start_mark.line + 1
                if key.value in first:
                    text = _problem(
                        shown,
                        line,
                        f"key given twice, first at line {first[key.value]}",
                        subject=subject,
                        field=key.value,
                    )
                    yield line, text
                else:
                    first[key.value] = line
                if subject is None and key.value in _SECTIONS:
                    pending.extend(_entry_subjects(value, key.value))
                else:
                    pending.append((value, subject))


def _entry_subjects(node: yaml.Node, section: str) -> Iterator[tuple[yaml.Node, str]]:
    if not isinstance(node, yaml.SequenceNode):
        yield node, section
        return
    for index, item in enumerate(node.value):
        values: dict[str, object] = {}
        if isinstance(item, yaml.MappingNode):
            values = {
                key.value: value.value
                for key, value in item.value
                if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode)
            }
        yield item, _entry_label(section, values, index)


def _entry_label(section: str, values: Mapping[str, object], index: int) -> str:
    """``rule EGFR-T790M-1GTKI-R``, ``hotspot EGFR T790M``; ``rule #3`` without a usable name."""
    noun, keys = _SECTIONS[section]
    parts = [values.get(key) for key in keys]
    names = [part for part in parts if isinstance(part, str)]
    label = _clip(" ".join(names)) if len(names) == len(parts) else f"#{index + 1}"
    return f"{noun} {label}"


# --- problems -------------------------------------------------------------------------------

_NO_VALUE = object()

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}

#: What a value of a pattern-checked field looks like, by field name.
_PATTERN_TEXT = {
    "id": "not a rule id: a capital letter or digit, then letters, digits and _ . : -",
    "gene": "not an HGNC-style gene symbol (capital letters, digits and -)",
    "symbol": "not an HGNC-style gene symbol (capital letters, digits and -)",
    "citations": "not a citation: PMID:<number>, DOI:10.<registrant>/<suffix> or REVIEW:<number>",
    "therapies": "not a regimen: lower-case generic names, a combination joined by ' + '",
    "fusion": "not a fusion name such as BCR::ABL1",
    "codons": "not a codon such as G12 (one-letter residue, position)",
    "ref": "not an allele of A, C, G, T and N",
    "alt": "not an allele of A, C, G, T and N",
    "chrom": "not a chromosome name (1-22, X, Y, MT)",
    "hgnc_id": "not an HGNC id such as HGNC:3236",
    "hgvsc": "not an HGVS coding change such as c.2369C>T",
    "name": "not a drug name: lower-case generic name (letters, digits, - and spaces)",
    "alteration": "not an example alteration such as 'EGFR p.T790M' (GENE CHANGE, or one word)",
    "with": "not an example alteration such as 'EGFR p.L858R' (GENE CHANGE, or one word)",
    "ensembl_transcript": "not an unversioned Ensembl transcript id such as ENST00000275493",
    "refseq_transcript": "not a versioned RefSeq transcript id such as NM_005228.5",
}


def _one_line(text: str) -> str:
    return one_line(text)


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _show(value: object) -> str:
    return _clip(repr(value))


def _problem(
    shown: str,
    line: int | None,
    what: str,
    *,
    subject: str | None = None,
    field: str | None = None,
    value: object = _NO_VALUE,
    hint: str | None = None,
) -> str:
    parts = [shown]
    if line is not None:
        parts.append(f"line {line}")
    if subject:
        parts.append(subject)
    if field:
        parts.append(field)
    text = what
    if value is not _NO_VALUE and repr(value) not in what:
        text += f" (got {_show(value)})"
    if hint:
        text += f"; {hint}"
    return _one_line(": ".join([*parts, text]))


def _convert_error(
    shown: str, root: yaml.Node, data: Mapping[object, object], detail: ErrorDetails
) -> tuple[int, str]:
    location: Location = tuple(detail["loc"])
    subject = None
    path = location
    if len(location) >= 2 and location[0] in _SECTIONS and isinstance(location[1], int):
        section, index = str(location[0]), location[1]
        items = data.get(section)
        item = items[index] if isinstance(items, list) and index < len(items) else None
        values = {str(k): v for k, v in item.items()} if isinstance(item, dict) else {}
        subject = _entry_label(section, values, index)
        path = location[2:]
    what, value, hint = _describe_error(detail, location)
    line = _line_at(root, location)
    text = _problem(
        shown,
        line,
        what,
        subject=subject,
        field=".".join(str(step) for step in path if step != "[key]") or None,
        value=value,
        hint=hint,
    )
    return line, text


def _describe_error(detail: ErrorDetails, location: Location) -> tuple[str, object, str | None]:
    """What is wrong, the value to show (or ``_NO_VALUE``) and a hint, for one pydantic error."""
    kind = detail["type"]
    context = detail.get("ctx") or {}
    value = detail.get("input", _NO_VALUE)
    if isinstance(value, dict):  # a whole entry: too long to be useful
        value = _NO_VALUE
    field_name = next((s for s in reversed(location) if isinstance(s, str) and s != "[key]"), "")
    if kind == "missing":
        return "required but missing", _NO_VALUE, None
    if kind == "extra_forbidden":
        allowed = _allowed_keys(location[:-1])
        close = difflib.get_close_matches(str(location[-1]), allowed, n=1)
        hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(allowed)}"
        return "unknown key", _NO_VALUE, hint
    if kind in ("enum", "literal_error"):
        options = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        return f"not one of {', '.join(options)}", value, None
    if kind == "string_pattern_mismatch":
        default = f"does not match the pattern {context.get('pattern')}"
        return _PATTERN_TEXT.get(field_name, default), value, None
    if kind in _TYPE_NAMES:
        quote = None
        if kind == "string_type" and isinstance(value, bool | int | float | datetime.date):
            quote = f"put it in quotes: YAML read it as a {_yaml_type_name(value)}"
        return f"expected {_TYPE_NAMES[kind]}", value, quote
    if kind == "too_short":
        count = context.get("min_length", 1)
        return f"needs at least {count} item{'s' if count != 1 else ''}", value, None
    if kind == "greater_than_equal":
        return f"must be at least {context.get('ge')}", value, None
    message = detail["msg"].removeprefix("Value error, ")
    return message, value, None


def _yaml_type_name(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, datetime.date):
        return "date"
    return "number"


def _allowed_keys(location: Location) -> list[str]:
    """The field names of the model an unknown key was found in."""
    model: type[BaseModel] = RulesFile
    for step in location:
        if isinstance(step, str) and step in model.model_fields:
            inner = _model_in(model.model_fields[step].annotation)
            if inner is None:
                break
            model = inner
    return list(model.model_fields)


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


# --- cross-checks ---------------------------------------------------------------------------


#: A problem found by a cross-check: where in the entry, what, the value, a hint.
_Found = tuple[Location, str, object, str | None]


@dataclass(frozen=True)
class _Tables:
    """What the cross-checks look entries up in: the union over all files."""

    oncotree: OncoTree
    gene_symbols: frozenset[str] | None  # None when a gene table could not be read
    genes: Mapping[str, _GeneParts]
    drug_names: frozenset[str] | None  # None when a drug table could not be read
    rule_ids: frozenset[str]
    drug_classes: frozenset[str] | None = None  # folded; None when a drug table is unreadable


def _cross_check(parsed: Sequence[_ParsedFile], oncotree: OncoTree) -> list[str]:
    problems: list[str] = []
    problems.extend(_duplicates([i for p in parsed for i in p.rule_ids], "rule", "id"))
    problems.extend(_duplicates([i for p in parsed for i in p.gene_symbols], "gene", "symbol"))
    problems.extend(_duplicates([i for p in parsed for i in p.drug_names], "drug", "name"))
    problems.extend(_shared_drug_names([parts for p in parsed for parts in p.drug_parts]))
    hotspots = [parts for p in parsed for parts in p.hotspot_parts]
    problems.extend(_duplicate_hotspots(hotspots))
    genes: dict[str, _GeneParts] = {}
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
        problems.extend(_report(gene.placed, f"gene {_clip(gene.symbol)}", _check_exons(gene)))
    for hotspot in hotspots:
        problems.extend(_report(hotspot.placed, hotspot.subject, _check_hotspot(hotspot, tables)))
    return problems


def _report(placed: _Placed, subject: str, found: Iterable[_Found]) -> Iterator[str]:
    for location, what, value, hint in found:
        yield _problem(
            placed.source.shown,
            placed.line(*location),
            what,
            subject=subject,
            field=".".join(str(step) for step in location) or None,
            value=value,
            hint=hint,
        )


def _duplicates(entries: Sequence[tuple[str, _Placed]], noun: str, key: str) -> Iterator[str]:
    first: dict[str, _Placed] = {}
    for name, placed in entries:
        if name in first:
            yield _problem(
                placed.source.shown,
                placed.line(key),
                f"duplicate {noun} {key}, first at {first[name].where}",
                subject=f"{noun} {_clip(name)}",
                field=key,
            )
        else:
            first[name] = placed


def _shared_drug_names(drugs: Sequence[_DrugParts]) -> Iterator[str]:
    """A name, brand name or synonym (any case) that two different drugs claim."""
    claimed: dict[str, _DrugParts] = {}
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
            yield _problem(
                drug.placed.source.shown,
                drug.placed.line(*location),
                f"{name!r} is also a name of drug {_clip(other.name)}, "
                f"first at {other.placed.where}",
                subject=f"drug {_clip(drug.name)}",
                field=".".join(str(step) for step in location),
                hint="a name, brand name or synonym names one drug",
            )


def _hotspot_key(hotspot: _HotspotParts) -> tuple[object, ...]:
    """Gene, normalized protein change and alleles: what makes two hotspots the same."""
    change = hotspot.protein_change
    with contextlib.suppress(ProteinNotationError):
        change = parse_protein_change(change or "").short
    alleles = sorted(
        (build, normalize_chrom(a.chrom), a.pos, a.ref, a.alt)
        for build, a in hotspot.alleles.items()
    )
    return hotspot.gene, change, tuple(alleles)


def _duplicate_hotspots(hotspots: Sequence[_HotspotParts]) -> Iterator[str]:
    first: dict[tuple[object, ...], _HotspotParts] = {}
    for hotspot in hotspots:
        if hotspot.gene is None or hotspot.protein_change is None or not hotspot.alleles:
            continue
        other = first.setdefault(_hotspot_key(hotspot), hotspot)
        if other is not hotspot:
            yield _problem(
                hotspot.placed.source.shown,
                hotspot.placed.line(),
                "duplicate hotspot (same gene, protein change and alleles), "
                f"first at {other.placed.where}",
                subject=hotspot.subject,
            )


# --- rules ----------------------------------------------------------------------------------


def _check_rule(parts: _RuleParts, tables: _Tables) -> Iterator[_Found]:
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


def _check_genes(parts: _RuleParts, known: frozenset[str]) -> Iterator[_Found]:
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
    gene: str, selector: Selector, prefix: Location, genes: Mapping[str, _GeneParts]
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
    example: Example, prefix: Location, parts: _RuleParts, tables: _Tables
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


def _check_exons(gene: _GeneParts) -> Iterator[_Found]:
    """Exon numbers are unique in a gene and exon cds ranges do not overlap."""
    first: dict[int, int] = {}
    for index, exon in gene.exons:
        if exon.number in first:
            line = gene.placed.line("exons", first[exon.number])
            what = f"exon {exon.number} listed twice, first at line {line}"
            yield ("exons", index, "number"), what, _NO_VALUE, None
        else:
            first[exon.number] = index
    furthest: ExonSpec | None = None  # of the exons before, the one whose cds reaches furthest
    for index, exon in sorted(gene.exons, key=lambda item: (item[1].cds_start, item[0])):
        if furthest is not None and exon.cds_start <= furthest.cds_end:
            yield (
                ("exons", index, "cds_start"),
                f"c.{exon.cds_start}-{exon.cds_end} of exon {exon.number} overlaps exon "
                f"{furthest.number} (c.{furthest.cds_start}-{furthest.cds_end})",
                _NO_VALUE,
                "exon cds ranges do not overlap",
            )
        if furthest is None or exon.cds_end > furthest.cds_end:
            furthest = exon


def _check_hotspot(hotspot: _HotspotParts, tables: _Tables) -> Iterator[_Found]:
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
