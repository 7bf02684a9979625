"""The rules: pydantic schema (``schema``), the loaded set (``ruleset``), loading with
cross-checks (``loader``, imported when first used: a run taking its set from the cache,
``cache``, reads no YAML), filters (``query``) and comparison of two rule sets (``diff``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from annotator.rules.files import bundled_rules_dir
from annotator.rules.ruleset import RuleOrigin, RuleSet

if TYPE_CHECKING:
    from annotator.rules.loader import load_rules

__all__ = ["RuleOrigin", "RuleSet", "bundled_rules_dir", "load_rules"]


def __getattr__(name: str) -> Any:
    if name == "load_rules":
        from annotator.rules.loader import load_rules  # noqa: PLC0415 (see the docstring)

        return load_rules
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
