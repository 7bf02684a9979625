"""The one-line problems of a rules file: ``<file>: line <n>: <subject>: <field>: <what>
(got <value>); <hint>``, from pydantic's validation errors and YAML nodes.

Each entry is named by its section's noun and label (``rule EGFR-T790M-1GTKI-R``, ``hotspot
EGFR T790M``, ``gene EGFR``, ``drug osimertinib``; ``rule #3`` without a usable name).
"""

from __future__ import annotations

import datetime
import difflib
import re
import typing
from collections.abc import Iterator, Mapping
from types import MappingProxyType

import yaml
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from annotator.errors import one_line
from annotator.rules.schema import RulesFile
from annotator.rules.yaml_reading import Location, line_at

_SHOWN_CHARS = 60

#: The entry sections of a rules file: the noun that names an entry in problems, and the keys
#: whose values label it (``rule EGFR-T790M-1GTKI-R``, ``hotspot EGFR T790M``).
SECTIONS: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType(
    {
        "rules": ("rule", ("id",)),
        "genes": ("gene", ("symbol",)),
        "hotspots": ("hotspot", ("gene", "protein_change")),
        "drugs": ("drug", ("name",)),
    }
)


def duplicate_keys(shown: str, root: yaml.Node) -> Iterator[tuple[int, str]]:
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
                    text = problem(
                        shown,
                        line,
                        f"key given twice, first at line {first[key.value]}",
                        subject=subject,
                        field=key.value,
                    )
                    yield line, text
                else:
                    first[key.value] = line
                if subject is None and key.value in SECTIONS:
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
        yield item, entry_label(section, values, index)


def entry_label(section: str, values: Mapping[str, object], index: int) -> str:
    """``rule EGFR-T790M-1GTKI-R``, ``hotspot EGFR T790M``; ``rule #3`` without a usable name."""
    noun, keys = SECTIONS[section]
    parts = [values.get(key) for key in keys]
    names = [part for part in parts if isinstance(part, str)]
    label = clip(" ".join(names)) if len(names) == len(parts) else f"#{index + 1}"
    return f"{noun} {label}"


NO_VALUE = object()

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


def clip(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _show(value: object) -> str:
    return clip(repr(value))


def problem(
    shown: str,
    line: int | None,
    what: str,
    *,
    subject: str | None = None,
    field: str | None = None,
    value: object = NO_VALUE,
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
    if value is not NO_VALUE and repr(value) not in what:
        text += f" (got {_show(value)})"
    if hint:
        text += f"; {hint}"
    return one_line(": ".join([*parts, text]))


def convert_error(
    shown: str, root: yaml.Node, data: Mapping[object, object], detail: ErrorDetails
) -> tuple[int, str]:
    location: Location = tuple(detail["loc"])
    subject = None
    path = location
    if len(location) >= 2 and location[0] in SECTIONS and isinstance(location[1], int):
        section, index = str(location[0]), location[1]
        items = data.get(section)
        item = items[index] if isinstance(items, list) and index < len(items) else None
        values = {str(k): v for k, v in item.items()} if isinstance(item, dict) else {}
        subject = entry_label(section, values, index)
        path = location[2:]
    what, value, hint = _describe_error(detail, location)
    line = line_at(root, location)
    text = problem(
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
    """What is wrong, the value to show (or ``NO_VALUE``) and a hint, for one pydantic error."""
    kind = detail["type"]
    context = detail.get("ctx") or {}
    value = detail.get("input", NO_VALUE)
    if isinstance(value, dict):  # a whole entry: too long to be useful
        value = NO_VALUE
    field_name = next((s for s in reversed(location) if isinstance(s, str) and s != "[key]"), "")
    if kind == "missing":
        return "required but missing", NO_VALUE, None
    if kind == "extra_forbidden":
        allowed = _allowed_keys(location[:-1])
        close = difflib.get_close_matches(str(location[-1]), allowed, n=1)
        hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(allowed)}"
        return "unknown key", NO_VALUE, hint
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
