"""OncoTree tumor-type codes and their hierarchy.

The bundled tree is OncoTree release ``oncotree_2025_10_03`` (CC BY 4.0, Memorial Sloan
Kettering Cancer Center / cBioPortal; see ``data/ONCOTREE_LICENSE.md``), copied unmodified.
Codes are looked up case-insensitively; ``ancestors`` and ``TumorType.code`` give the
canonical spelling. A code retired by the release (GBM, ALL, ...) is not a tumor type here, but
``require`` names the code that replaced it.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from annotator.errors import InputError

BUNDLED_FILE = "oncotree.2025_10_03.json"
ONCOTREE_URL = "https://oncotree.info"
ROOT = "TISSUE"

#: A rule's ``include: [ALL]``: tumor-agnostic.
ALL_TUMOR_TYPES = "ALL"

#: How a retired code relates to the current node that lists it, by JSON field.
_RETIREMENT_KINDS = {"history": "renamed", "revocations": "retired", "precursors": "split"}


def describe_tumor_types(include: Iterable[str], exclude: Iterable[str] = ()) -> str:
    """A rule's tumor types in words: ``NSCLC``, ``all tumor types, not MYELOID, LYMPH``."""
    text = ", ".join("all tumor types" if code == ALL_TUMOR_TYPES else code for code in include)
    excluded = ", ".join(exclude)
    return f"{text}, not {excluded}" if excluded else text


@dataclass(frozen=True)
class TumorType:
    """One node of the tree. ``level`` is 0 for TISSUE, 1 for the tissues (LUNG, SKIN, ...)."""

    code: str
    name: str
    main_type: str | None
    tissue: str | None
    parent: str | None
    level: int


@dataclass(frozen=True)
class RetiredCode:
    """A code no longer in the tree: how it was retired and the current codes that replace it."""

    code: str
    kind: str  # "renamed", "retired" or "split"
    replacements: tuple[str, ...]


class OncoTree:
    """The OncoTree hierarchy of one release, with lookups by code."""

    def __init__(
        self,
        version: str,
        nodes: Mapping[str, TumorType],
        retired: Mapping[str, RetiredCode] | None = None,
    ) -> None:
        self.version = version
        self._nodes = {code.upper(): node for code, node in nodes.items()}
        self._retired = {code.upper(): entry for code, entry in (retired or {}).items()}
        self._ancestors: dict[str, tuple[str, ...]] = {}
        for key, node in self._nodes.items():
            chain = [node.code]
            parent = node.parent
            while parent is not None:
                if parent.upper() not in self._nodes or parent in chain:
                    raise ValueError(
                        f"OncoTree node {node.code!r}: broken parent chain at {parent!r}"
                    )
                chain.append(parent)
                parent = self._nodes[parent.upper()].parent
            self._ancestors[key] = tuple(chain)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().upper() in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[str]:
        return (node.code for node in self._nodes.values())

    def get(self, code: str) -> TumorType:
        """The node for ``code`` (any case); ``KeyError`` if the release has no such code."""
        try:
            return self._nodes[code.strip().upper()]
        except KeyError:
            raise KeyError(code) from None

    def ancestors(self, code: str) -> list[str]:
        """``code`` itself first, then its parent, and so on up to TISSUE."""
        return list(self._ancestors[self.get(code).code.upper()])

    def is_within(self, code: str, ancestor: str) -> bool:
        """True when ``code`` is ``ancestor`` or lies below it; ``KeyError`` for unknown codes."""
        return self.get(ancestor).code in self._ancestors[self.get(code).code.upper()]

    def retired(self, code: str) -> RetiredCode | None:
        """How a code that is no longer in this release was retired, or None."""
        key = code.strip().upper()
        return None if key in self._nodes else self._retired.get(key)

    def suggest(self, code: str, limit: int = 3) -> list[str]:
        """Up to ``limit`` current codes close to ``code``, or whose name contains it."""
        text = code.strip()
        if not text or limit <= 0:
            return []
        codes = [node.code for node in self._nodes.values()]
        found = difflib.get_close_matches(text.upper(), codes, n=limit, cutoff=0.6)
        if len(text) >= 3:
            needle = text.lower()
            found += sorted(
                node.code
                for node in self._nodes.values()
                if needle in node.name.lower() and node.code not in found
            )
        return found[:limit]

    def require(self, code: str) -> TumorType:
        """The node for a user-given code, or an ``InputError`` (exit 1) with suggestions.

        Codes are upper-cased first. A retired code's hint names its replacement.
        """
        key = code.strip().upper()
        if key in self._nodes:
            return self._nodes[key]
        entry = self._retired.get(key)
        if entry is not None:
            named = " or ".join(
                f"{new} ({self._nodes[new.upper()].name})" for new in entry.replacements
            )
            hint = f"use {named}"
            if key == "ALL":
                hint += "; 'ALL' for any tumor type is only a rules keyword"
            raise InputError(
                f"OncoTree code {key!r} was {entry.kind} and is not in {self.version}",
                hint=f"{hint}; see {ONCOTREE_URL}",
            )
        close = self.suggest(key)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(f"unknown OncoTree code {key!r}", hint=f"{hint}see {ONCOTREE_URL}")


def load_oncotree(path: Path | None = None) -> OncoTree:
    """Read an OncoTree release JSON; without ``path``, the bundled release (read once)."""
    if path is None:
        return _load_bundled()
    return _read_oncotree(path)


@functools.cache
def _load_bundled() -> OncoTree:
    return _read_oncotree(Path(__file__).parent / "data" / BUNDLED_FILE)


def _version_from_name(path: Path) -> str:
    match = re.match(r"oncotree[._-](\d{4}_\d{2}_\d{2})", path.name)
    return f"oncotree_{match.group(1)}" if match else path.stem


def _read_oncotree(path: Path) -> OncoTree:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("OncoTree file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the OncoTree file: {error}", path=path) from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"not JSON: {error.msg}",
            path=path,
            line=error.lineno,
            hint="expected an OncoTree release",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get(ROOT), dict):
        raise InputError(
            f"not an OncoTree release: expected an object with the root {ROOT!r}", path=path
        )
    nodes: dict[str, TumorType] = {}
    old_codes: dict[str, tuple[str, set[str]]] = {}
    pending: list[tuple[object, str | None]] = [(data[ROOT], None)]
    while pending:
        raw, parent = pending.pop()
        node = _read_node(raw, parent, path)
        if node.code.upper() in nodes:
            raise InputError(
                f"not an OncoTree release: code {node.code!r} appears twice", path=path
            )
        nodes[node.code.upper()] = node
        assert isinstance(raw, dict)  # checked by _read_node
        for field, kind in _RETIREMENT_KINDS.items():
            for old in raw.get(field) or []:
                if isinstance(old, str):
                    old_codes.setdefault(old.upper(), (kind, set()))[1].add(node.code)
        children = raw.get("children") or {}
        if not isinstance(children, dict):
            raise InputError(
                f"not an OncoTree release: children of {node.code!r} is not an object", path=path
            )
        pending.extend((child, node.code) for child in children.values())
    retired = {
        old: RetiredCode(old, kind, tuple(sorted(new)))
        for old, (kind, new) in old_codes.items()
        if old not in nodes
    }
    return OncoTree(_version_from_name(path), nodes, retired)


def _read_node(raw: object, parent: str | None, path: Path) -> TumorType:
    if not isinstance(raw, dict):
        raise InputError("not an OncoTree release: a node is not an object", path=path)
    code, name, level = raw.get("code"), raw.get("name"), raw.get("level")
    main_type, tissue = raw.get("mainType"), raw.get("tissue")
    if (
        not isinstance(code, str)
        or not isinstance(name, str)
        or not isinstance(level, int)
        or not isinstance(main_type, str | None)
        or not isinstance(tissue, str | None)
    ):
        shown = code if isinstance(code, str) else "?"
        raise InputError(
            f"not an OncoTree release: node {shown!r} lacks a code, name, level, mainType "
            "or tissue of the right type",
            path=path,
        )
    if raw.get("parent") != parent:
        raise InputError(
            f"not an OncoTree release: node {code!r} names parent {raw.get('parent')!r} "
            f"but lies below {parent!r}",
            path=path,
        )
    return TumorType(code, name, main_type, tissue, parent, level)
