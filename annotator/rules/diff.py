"""Compare two rule sets: what was added, removed and changed, field by field.

Four sections are compared, each entry matched by its key:

========== ==================================================================================
rules      the rule ``id``
genes      the gene ``symbol``
drugs      the drug's generic ``name``
hotspots   ``GENE protein_change`` (``EGFR T790M``); when one set lists a gene's protein change
           more than once (two alleles of ``BRAF V600E``), each such key gains its alleles:
           ``BRAF V600E @ GRCh38 7:140753336:A:T``
========== ==================================================================================

A changed entry lists each field that differs, by the name the YAML uses (``with``, not
``with_``), with the old and new values as JSON values (``None`` when the field is unset).
The text form writes one line per added, removed or changed field::

    + EGFR-C797S-OSIMERTINIB-R
    - KRAS-G12-ANTIEGFR-R
    ~ EGFR-T790M-1GTKI-R evidence_level: B -> A
    ~ EGFR-T790M-1GTKI-R citations: +PMID:15737014 -REVIEW:50
    summary: rules +1 -1 ~1; genes +0 -0 ~0; drugs +0 -0 ~0; hotspots +0 -0 ~0

under a ``rules:``, ``genes:``, ... heading per section with differences. Lists show the
items added (``+``) and removed (``-``); a list whose items only moved shows both lists.
Everything here is pure: the command line loads the two sets and prints.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from annotator.rules.ruleset import RuleSet
from annotator.rules.schema import Drug, GeneSpec, Hotspot, Rule

SECTIONS = ("rules", "genes", "drugs", "hotspots")


@dataclass(frozen=True)
class FieldChange:
    """One field of an entry: its value before and after (JSON values; None when unset)."""

    field: str
    old: Any
    new: Any

    def describe(self) -> str:
        """``evidence_level: B -> A``; ``therapies: +osimertinib -gefitinib`` for lists."""
        if isinstance(self.old, list) and isinstance(self.new, list):
            added = [item for item in self.new if item not in self.old]
            removed = [item for item in self.old if item not in self.new]
            if added or removed:
                parts = [f"+{render_value(item)}" for item in added]
                parts += [f"-{render_value(item)}" for item in removed]
                return f"{self.field}: {' '.join(parts)}"
        return f"{self.field}: {render_value(self.old)} -> {render_value(self.new)}"


@dataclass(frozen=True)
class EntryChange:
    """An entry in both sets whose fields differ."""

    key: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class SectionDiff:
    """Keys added and removed, and entries changed, in one section (in the new set's order)."""

    name: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[EntryChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
        }


@dataclass(frozen=True)
class SetSummary:
    """What one side of a comparison held."""

    version: str
    sha256: str
    counts: Mapping[str, int]

    @classmethod
    def of(cls, rules: RuleSet) -> SetSummary:
        counts = {
            "rules": len(rules.rules),
            "genes": len(rules.genes),
            "drugs": len(rules.drugs),
            "hotspots": len(rules.hotspots),
        }
        return cls(rules.version, rules.sha256, counts)


@dataclass(frozen=True)
class RulesDiff:
    """The differences between an old and a new rule set, section by section."""

    old: SetSummary
    new: SetSummary
    sections: tuple[SectionDiff, ...]

    @property
    def empty(self) -> bool:
        return all(section.empty for section in self.sections)

    def section(self, name: str) -> SectionDiff:
        return next(section for section in self.sections if section.name == name)


def diff_rule_sets(old: RuleSet, new: RuleSet) -> RulesDiff:
    """Compare ``old`` with ``new``: every section, every entry, every field."""
    sections = (
        _diff_section("rules", Rule, _by_id(old.rules), _by_id(new.rules)),
        _diff_section("genes", GeneSpec, _dumped(old.genes), _dumped(new.genes)),
        _diff_section("drugs", Drug, _dumped(old.drugs), _dumped(new.drugs)),
        _diff_section("hotspots", Hotspot, _hotspots(old.hotspots), _hotspots(new.hotspots)),
    )
    return RulesDiff(SetSummary.of(old), SetSummary.of(new), sections)


def format_diff(diff: RulesDiff, old_label: str, new_label: str) -> list[str]:
    """The text form: a header per set, a block per section with differences, a summary."""
    lines = [
        f"--- {old_label} ({_describe_set(diff.old)})",
        f"+++ {new_label} ({_describe_set(diff.new)})",
    ]
    for section in diff.sections:
        if section.empty:
            continue
        lines.append(f"{section.name}:")
        lines.extend(f"+ {key}" for key in section.added)
        lines.extend(f"- {key}" for key in section.removed)
        lines.extend(
            f"~ {entry.key} {change.describe()}"
            for entry in section.changed
            for change in entry.fields
        )
    lines.append(summary_line(diff))
    return lines


def summary_line(diff: RulesDiff) -> str:
    """``summary: rules +1 -0 ~2; genes +0 -0 ~0; ...`` (added, removed, changed).

    ``summary: no differences`` when the sets hold the same entries.
    """
    if diff.empty:
        return "summary: no differences"
    parts = [
        f"{section.name} +{len(section.added)} -{len(section.removed)} ~{len(section.changed)}"
        for section in diff.sections
    ]
    return "summary: " + "; ".join(parts)


def diff_to_dict(diff: RulesDiff, old_label: str, new_label: str) -> dict[str, Any]:
    """The JSON form: both sets, then per section ``added``, ``removed`` and ``changed``."""
    data: dict[str, Any] = {
        "old": _set_to_dict(diff.old, old_label),
        "new": _set_to_dict(diff.new, new_label),
    }
    for section in diff.sections:
        data[section.name] = {
            "added": list(section.added),
            "removed": list(section.removed),
            "changed": [
                {
                    "key": entry.key,
                    "fields": [
                        {"field": change.field, "old": change.old, "new": change.new}
                        for change in entry.fields
                    ],
                }
                for entry in section.changed
            ],
        }
    data["summary"] = {
        "differences": not diff.empty,
        **{section.name: section.counts() for section in diff.sections},
    }
    return data


def render_value(value: Any) -> str:
    """A JSON value written compactly, YAML flow style: ``{include: [NSCLC]}``, ``(none)``."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value if value.strip() == value and value else json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(render_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


# --- internals ------------------------------------------------------------------------------


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _by_id(rules: Iterable[Rule]) -> dict[str, dict[str, Any]]:
    return {rule.id: _dump(rule) for rule in rules}


def _dumped(models: Mapping[str, BaseModel]) -> dict[str, dict[str, Any]]:
    return {key: _dump(model) for key, model in models.items()}


def _hotspots(hotspots: Sequence[Hotspot]) -> dict[str, dict[str, Any]]:
    """Hotspots by ``GENE CHANGE``, with their alleles added where that key repeats."""
    names = [f"{hotspot.gene} {hotspot.protein_change}" for hotspot in hotspots]
    repeated = Counter(names)
    found: dict[str, dict[str, Any]] = {}
    for name, hotspot in zip(names, hotspots, strict=True):
        key = name
        if repeated[name] > 1:
            alleles = ", ".join(
                f"{build} {a.chrom}:{a.pos}:{a.ref}:{a.alt}"
                for build, a in sorted(hotspot.alleles.items())
            )
            key = f"{name} @ {alleles}"
        found.setdefault(key, _dump(hotspot))
    return found


def _diff_section(
    name: str,
    model: type[BaseModel],
    old: Mapping[str, dict[str, Any]],
    new: Mapping[str, dict[str, Any]],
) -> SectionDiff:
    order = [info.alias or field for field, info in model.model_fields.items()]
    changed = []
    for key, after in new.items():
        before = old.get(key)
        if before is None or before == after:
            continue
        fields = [
            FieldChange(field, before.get(field), after.get(field))
            for field in order
            if before.get(field) != after.get(field)
        ]
        changed.append(EntryChange(key, tuple(fields)))
    return SectionDiff(
        name,
        added=tuple(key for key in new if key not in old),
        removed=tuple(key for key in old if key not in new),
        changed=tuple(changed),
    )


def _describe_set(summary: SetSummary) -> str:
    counts = ", ".join(
        f"{count} {name if count != 1 else name.removesuffix('s')}"
        for name, count in summary.counts.items()
    )
    return f"{counts}; sha256:{summary.sha256[:12]}"


def _set_to_dict(summary: SetSummary, label: str) -> dict[str, Any]:
    return {
        "path": label,
        "version": summary.version,
        "sha256": summary.sha256,
        "counts": dict(summary.counts),
    }
