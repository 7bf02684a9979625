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

Besides the schema, the cross-checks (:mod:`annotator.rules.cross_checks`) cover what one
entry cannot see on its own. The modules beside this one: :mod:`~annotator.rules.yaml_reading`
(libyaml where it reads as PyYAML does, node lines), :mod:`~annotator.rules.entries` (what
one file gave, and the parts of each entry that validate on their own),
:mod:`~annotator.rules.problems` (the one-line problem texts).

The bundled set is every ``*.yaml``/``*.yml`` file of :func:`bundled_rules_dir`, sorted by
name; its ``manifest.yaml`` holds the set's ``version``. Extra files follow in the order given
(a directory stands for its YAML files, sorted by name).
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from annotator.errors import RulesError, UsageError, one_line
from annotator.rules.cross_checks import cross_check
from annotator.rules.entries import (
    DrugParts,
    GeneParts,
    HotspotParts,
    ParsedFile,
    Placed,
    RuleParts,
)
from annotator.rules.files import MANIFEST, RulesSource, collect_sources
from annotator.rules.problems import SECTIONS, convert_error, duplicate_keys, problem
from annotator.rules.ruleset import RuleOrigin, RuleSet
from annotator.rules.schema import RulesFile
from annotator.rules.yaml_reading import line_at, parse_fast
from annotator.tumor_types import OncoTree, load_oncotree

#: Added to the bundled version when extra files are loaded; the version of extra files alone.
LOCAL_VERSION = "local"

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
    parsed: list[ParsedFile] = []
    for source in sources:
        try:
            result = _read_file(source)
        except RecursionError:  # lists or mappings nested about a thousand deep
            result = ParsedFile(source, content=source.path.read_bytes())
            result.problems.append(
                (0, f"{source.shown}: lists or mappings nested too deeply to read")
            )
        digest.update(result.content)
        problems.extend(text for _line, text in sorted(result.problems, key=lambda p: p[0]))
        parsed.append(result)
    problems.extend(cross_check(parsed, tree))
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


def _read_file(source: RulesSource) -> ParsedFile:
    parsed = ParsedFile(source)
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
    fast = parse_fast(text)
    if fast is not None:
        root, data = fast
        if root is not None:
            parsed.problems.extend(duplicate_keys(shown, root))
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
            parsed.problems.extend(duplicate_keys(shown, root))
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
        parsed.problems.append((line, one_line(f"{shown}: {where}YAML syntax error: {what}")))
        return parsed
    except yaml.YAMLError as error:
        parsed.problems.append((0, one_line(f"{shown}: YAML syntax error: {error}")))
        return parsed
    finally:
        loader.dispose()
    return _check_top(parsed, root, data)


def _check_top(parsed: ParsedFile, root: yaml.Node | None, data: object) -> ParsedFile:
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


def _validate(parsed: ParsedFile, root: yaml.Node, data: dict[object, object]) -> None:
    source = parsed.source
    for section, found in (
        ("rules", parsed.rule_ids),
        ("genes", parsed.gene_symbols),
        ("drugs", parsed.drug_names),
    ):
        key = SECTIONS[section][1][0]
        items = data.get(section)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get(key), str):
                found.append((item[key], Placed(source, root, section, index)))
    parsed.genes_readable = _section_readable(data.get("genes"))
    parsed.drugs_readable = _section_readable(data.get("drugs"))
    version = data.get("version")
    if "version" in data and source.path.name != MANIFEST:
        line = line_at(root, ("version",))
        text = problem(
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
        text = problem(source.shown, 1, "required in the bundled manifest", field="version")
        parsed.problems.append((1, text))

    def place(section: str, index: int) -> Placed:
        return Placed(source, root, section, index)

    try:
        model = RulesFile.model_validate(data)
    except ValidationError as error:
        parsed.problems.extend(
            convert_error(source.shown, root, data, detail) for detail in error.errors()
        )
        rule_items = data.get("rules")
        for index, item in enumerate(rule_items if isinstance(rule_items, list) else []):
            parts = RuleParts.from_entry(item, place("rules", index))
            if parts is not None:
                parsed.rule_parts.append(parts)
    else:
        parsed.rules = [(rule, place("rules", i)) for i, rule in enumerate(model.rules)]
        parsed.genes = [(spec, place("genes", i)) for i, spec in enumerate(model.genes)]
        parsed.hotspots = [(h, place("hotspots", i)) for i, h in enumerate(model.hotspots)]
        parsed.drugs = [(drug, place("drugs", i)) for i, drug in enumerate(model.drugs)]
        parsed.rule_parts = [RuleParts.from_rule(rule, placed) for rule, placed in parsed.rules]
    parsed.gene_parts = _entry_parts(data, "genes", GeneParts.from_entry, place)
    parsed.hotspot_parts = _entry_parts(data, "hotspots", HotspotParts.from_entry, place)
    parsed.drug_parts = _entry_parts(data, "drugs", DrugParts.from_entry, place)


def _entry_parts(
    data: Mapping[object, object],
    section: str,
    read: Callable[[object, Placed], _Parts | None],
    place: Callable[[str, int], Placed],
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


def _version(parsed: Sequence[ParsedFile], *, bundled: bool, extra: bool) -> str:
    if not bundled:
        return LOCAL_VERSION
    version = next(
        (p.version for p in parsed if p.source.bundled and p.source.path.name == MANIFEST),
        None,
    )
    assert version is not None  # a missing one is a problem, reported before
    return f"{version}+{LOCAL_VERSION}" if extra else version
