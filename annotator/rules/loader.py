"""Load rules files into a ``RuleSet``: YAML → validated rules and gene table → cross-checks.

Every problem in every file is collected in one pass and raised as one ``RulesError`` whose
``problems`` are one line each::

    <file>: line <n>: rule <id>: <field.path>: <what> (got <value>); <hint>

(``gene <symbol>`` instead of ``rule <id>`` in a gene table; parts that do not apply are left
out.) YAML syntax errors read ``<file>: line L, column C: YAML syntax error: <problem>``.

The bundled set is every ``*.yaml``/``*.yml`` file of :func:`bundled_rules_dir`, sorted by
name; its ``manifest.yaml`` holds the set's ``version``. Extra files follow in the order given
(a directory stands for its YAML files, sorted by name).
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import hashlib
import re
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from annotator.errors import InputError, ProteinNotationError, RulesError, UsageError
from annotator.protein import parse_codon, parse_protein_change
from annotator.rules.schema import (
    BIOMARKER_GENES,
    Condition,
    GeneSpec,
    Rule,
    RulesFile,
    Selector,
    TumorTypes,
)
from annotator.tumor_types import OncoTree, load_oncotree

MANIFEST = "manifest.yaml"
RULES_SUFFIXES = (".yaml", ".yml")
#: The tumor-agnostic keyword of ``tumor_types.include``.
ANY_TUMOR_TYPE = "ALL"
#: Added to the bundled version when extra files are loaded; the version of extra files alone.
LOCAL_VERSION = "local"
FUSION_SEPARATOR = "::"

_SHOWN_CHARS = 60
_GENE_HINT = "add it under genes: with its MANE Select transcript"

Location = tuple[int | str, ...]
_Model = typing.TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True)
class RuleSet:
    """The rules and gene table of one run, with an index of rules by gene.

    ``sha256`` is the SHA-256 of the bytes of every loaded file, concatenated in load order
    (for the bundled set alone: ``cat rules/*.yaml | sha256sum`` in the C locale).
    """

    version: str
    sha256: str
    files: tuple[Path, ...]
    genes: Mapping[str, GeneSpec]
    rules: tuple[Rule, ...]
    _index: Mapping[str, tuple[Rule, ...]] = dataclasses.field(
        init=False, repr=False, compare=False
    )
    _gene_symbols: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "genes", MappingProxyType(dict(self.genes)))
        object.__setattr__(self, "rules", tuple(self.rules))
        index: dict[str, list[Rule]] = {}
        symbols: set[str] = set()
        for rule in self.rules:
            partners = _fusion_partners(rule.alteration)
            for key in dict.fromkeys([rule.gene, *partners]):
                index.setdefault(key, []).append(rule)
            symbols.update(_genes_matched(rule.gene, rule.alteration))
            for condition in (*rule.requires, *rule.excludes):
                symbols.update(_genes_matched(condition.gene, condition))
        object.__setattr__(
            self, "_index", MappingProxyType({k: tuple(v) for k, v in index.items()})
        )
        object.__setattr__(self, "_gene_symbols", frozenset(symbols))

    def for_gene(self, gene: str) -> tuple[Rule, ...]:
        """Rules of ``gene``: a symbol, a fusion name (``BCR::ABL1``), ``MSI`` or ``TMB``.

        A fusion rule is listed under its fusion name and under each partner gene.
        """
        return self._index.get(gene, ())

    @property
    def gene_symbols(self) -> frozenset[str]:
        """Every gene a rule or condition can match, fusion partners included.

        Fusion names and the biomarker pseudo-genes MSI and TMB are not genes and not listed.
        """
        return self._gene_symbols


def bundled_rules_dir() -> Path:
    """The bundled rules: ``annotator/bundled_rules`` in a wheel, else ``<repo>/rules``."""
    packaged = resources.files("annotator") / "bundled_rules"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def load_rules(
    paths: Sequence[Path] = (), *, bundled: bool = True, oncotree: OncoTree | None = None
) -> RuleSet:
    """Read, validate and cross-check the bundled rules (unless ``bundled=False``) and ``paths``.

    Raises ``RulesError`` whose ``problems`` list every problem found, one line each.
    """
    if not bundled and not paths:
        raise UsageError("no rules to load: the bundled rules are off and no rules files given")
    tree = oncotree if oncotree is not None else load_oncotree()
    sources, problems = _collect_sources(paths, bundled=bundled)
    digest = hashlib.sha256()
    parsed: list[_ParsedFile] = []
    for source in sources:
        result = _read_file(source)
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
        genes={spec.symbol: spec for p in parsed for spec in p.genes},
        rules=tuple(rule for p in parsed for rule in p.rules),
    )


# --- files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    path: Path
    shown: str  # as printed in problems
    bundled: bool


@dataclass(frozen=True)
class _Placed:
    """Where a rule or gene entry sits: its file, the document's root node, section and index."""

    source: _Source
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
    source: _Source
    content: bytes = b""
    problems: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # (line, text)
    readable: bool = False  # parsed to a mapping whose genes section could be read
    version: str | None = None
    rules: list[Rule] = dataclasses.field(default_factory=list)  # when the file is valid
    genes: list[GeneSpec] = dataclasses.field(default_factory=list)  # when the file is valid
    rule_parts: list[_RuleParts] = dataclasses.field(default_factory=list)
    rule_ids: list[tuple[str, _Placed]] = dataclasses.field(default_factory=list)
    gene_symbols: list[tuple[str, _Placed]] = dataclasses.field(default_factory=list)


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

    @classmethod
    def from_rule(cls, rule: Rule, placed: _Placed) -> _RuleParts:
        conditions = tuple(
            (section, index, condition)
            for section in ("requires", "excludes")
            for index, condition in enumerate(getattr(rule, section))
        )
        return cls(
            placed, f"rule {rule.id}", rule.gene, rule.alteration, conditions, rule.tumor_types
        )

    @classmethod
    def from_entry(cls, item: object, placed: _Placed) -> _RuleParts | None:
        if not isinstance(item, dict):
            return None
        rule_id, gene = item.get("id"), item.get("gene")
        conditions = []
        for section in ("requires", "excludes"):
            entries = item.get(section)
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                condition = _valid_or_none(Condition, entry)
                if condition is not None:
                    conditions.append((section, index, condition))
        return cls(
            placed,
            f"rule {_clip(rule_id) if isinstance(rule_id, str) else f'#{placed.index + 1}'}",
            gene if isinstance(gene, str) else None,
            _valid_or_none(Selector, item.get("alteration")),
            tuple(conditions),
            _valid_or_none(TumorTypes, item.get("tumor_types")),
        )


def _valid_or_none(model: type[_Model], value: object) -> _Model | None:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _shown(path: Path) -> str:
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(
        (
            p
            for p in directory.iterdir()
            if p.suffix in RULES_SUFFIXES and p.is_file() and not p.name.startswith(".")
        ),
        key=lambda p: p.name,
    )


def _collect_sources(paths: Sequence[Path], *, bundled: bool) -> tuple[list[_Source], list[str]]:
    sources: list[_Source] = []
    problems: list[str] = []
    if bundled:
        directory = bundled_rules_dir()
        if not directory.is_dir():
            problems.append(f"{_shown(directory)}: bundled rules directory not found")
        else:
            files = _yaml_files(directory)
            if not any(p.name == MANIFEST for p in files):
                problems.append(
                    f"{_shown(directory / MANIFEST)}: file not found; "
                    "the bundled rules need a manifest with their version"
                )
            sources.extend(_Source(p, _shown(p), bundled=True) for p in files)
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = _yaml_files(path)
            if not files:
                problems.append(f"{path}: no *.yaml or *.yml files in this directory")
            sources.extend(_Source(p, str(p), bundled=False) for p in files)
        elif path.is_file():
            sources.append(_Source(path, str(path), bundled=False))
        elif path.exists():
            problems.append(f"{path}: not a file or directory")
        else:
            problems.append(f"{path}: file not found")
    unique: list[_Source] = []
    seen: dict[Path, _Source] = {}
    for source in sources:
        key = source.path.resolve()
        if key in seen:
            problems.append(f"{source.shown}: loaded twice (also as {seen[key].shown})")
        else:
            seen[key] = source
            unique.append(source)
    return unique, problems


def _read_file(source: _Source) -> _ParsedFile:
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
        parsed.problems.append((0, f"{shown}: not UTF-8 text (byte {error.start + 1})"))
        return parsed
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            parsed.problems.extend(_duplicate_keys(shown, root))
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = error.problem or error.context or "invalid YAML"
        line = mark.line + 1 if mark else 0
        parsed.problems.append((line, _one_line(f"{shown}: {where}YAML syntax error: {what}")))
        return parsed
    except yaml.YAMLError as error:
        parsed.problems.append((0, _one_line(f"{shown}: YAML syntax error: {error}")))
        return parsed
    finally:
        loader.dispose()
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
    rule_items = data.get("rules")
    gene_items = data.get("genes")
    for section, items, found in (
        ("rules", rule_items, parsed.rule_ids),
        ("genes", gene_items, parsed.gene_symbols),
    ):
        key = "id" if section == "rules" else "symbol"
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict) and isinstance(item.get(key), str):
                    found.append((item[key], _Placed(source, root, section, index)))
    parsed.readable = gene_items is None or (
        isinstance(gene_items, list) and all(isinstance(g, dict) for g in gene_items)
    )
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
    try:
        model = RulesFile.model_validate(data)
    except ValidationError as error:
        parsed.problems.extend(
            _convert_error(source.shown, root, data, detail) for detail in error.errors()
        )
        for index, item in enumerate(rule_items if isinstance(rule_items, list) else []):
            parts = _RuleParts.from_entry(item, _Placed(source, root, "rules", index))
            if parts is not None:
                parsed.rule_parts.append(parts)
    else:
        parsed.rules = list(model.rules)
        parsed.genes = list(model.genes)
        parsed.rule_parts = [
            _RuleParts.from_rule(rule, _Placed(source, root, "rules", index))
            for index, rule in enumerate(model.rules)
        ]


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
                if subject is None and key.value in ("rules", "genes"):
                    pending.extend(_entry_subjects(value, key.value))
                else:
                    pending.append((value, subject))


def _entry_subjects(node: yaml.Node, section: str) -> Iterator[tuple[yaml.Node, str]]:
    if not isinstance(node, yaml.SequenceNode):
        yield node, section
        return
    name = "id" if section == "rules" else "symbol"
    for index, item in enumerate(node.value):
        label = f"#{index + 1}"
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                if (
                    isinstance(key, yaml.ScalarNode)
                    and key.value == name
                    and isinstance(value, yaml.ScalarNode)
                ):
                    label = _clip(value.value)
        yield item, f"{section[:-1]} {label}"


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
    "ensembl_transcript": "not an unversioned Ensembl transcript id such as ENST00000275493",
    "refseq_transcript": "not a versioned RefSeq transcript id such as NM_005228.5",
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


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
    if len(location) >= 2 and location[0] in ("rules", "genes") and isinstance(location[1], int):
        section, index = location[0], location[1]
        items = data.get(section)
        item = items[index] if isinstance(items, list) and index < len(items) else None
        key = "id" if section == "rules" else "symbol"
        name = item.get(key) if isinstance(item, dict) else None
        label = _clip(name) if isinstance(name, str) else f"#{index + 1}"
        subject = f"{section[:-1]} {label}"
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


#: A problem found by a cross-check: where in the rule, what, the value, a hint.
_Found = tuple[Location, str, object, str | None]


def _fusion_partners(selector: Selector) -> tuple[str, ...]:
    return tuple(selector.fusion.split(FUSION_SEPARATOR)) if selector.fusion else ()


def _genes_matched(gene: str, selector: Selector) -> tuple[str, ...]:
    """The real genes a rule or condition on ``gene`` with ``selector`` can match."""
    if selector.fusion:
        return _fusion_partners(selector)
    if selector.biomarker:
        return ()
    return (gene,)


def _cross_check(parsed: Sequence[_ParsedFile], oncotree: OncoTree) -> list[str]:
    problems: list[str] = []
    problems.extend(_duplicates([i for p in parsed for i in p.rule_ids], "rule", "id"))
    problems.extend(_duplicates([i for p in parsed for i in p.gene_symbols], "gene", "symbol"))
    known = {symbol for p in parsed for symbol, _ in p.gene_symbols}
    known.update(BIOMARKER_GENES.values())
    gene_table_read = all(p.readable for p in parsed)
    for parts in (parts for p in parsed for parts in p.rule_parts):
        found: list[_Found] = []
        if gene_table_read:
            found.extend(_check_genes(parts, known))
        if parts.tumor_types is not None:
            found.extend(_check_tumor_types(parts.tumor_types, oncotree))
        if parts.alteration is not None:
            found.extend(_check_notation(parts.alteration, ("alteration",)))
        for section, index, condition in parts.conditions:
            found.extend(_check_notation(condition, (section, index)))
        problems.extend(
            _problem(
                parts.placed.source.shown,
                parts.placed.line(*location),
                what,
                subject=parts.subject,
                field=".".join(str(step) for step in location),
                value=value,
                hint=hint,
            )
            for location, what, value, hint in found
        )
    return problems


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


def _check_genes(parts: _RuleParts, known: set[str]) -> Iterator[_Found]:
    if parts.gene is not None and FUSION_SEPARATOR in parts.gene:
        for partner in parts.gene.split(FUSION_SEPARATOR):
            if partner not in known:
                yield ("gene",), "fusion partner not in the gene table", partner, _GENE_HINT
    elif parts.gene is not None and parts.gene not in known:
        yield ("gene",), "not in the gene table", parts.gene, _GENE_HINT
    for section, index, condition in parts.conditions:
        if condition.gene not in known:
            yield (section, index, "gene"), "not in the gene table", condition.gene, _GENE_HINT
        for partner in _fusion_partners(condition):
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
            if code not in oncotree:
                try:
                    oncotree.require(code)
                except InputError as error:
                    yield location, error.message, code, error.hint
                continue
            canonical = oncotree.get(code).code
            if canonical != code:
                yield location, "not written as in OncoTree", code, f"write {canonical}"
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
