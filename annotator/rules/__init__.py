"""The rules: pydantic schema (``schema``), loading with cross-checks (``loader``)."""

from annotator.rules.loader import RuleSet, bundled_rules_dir, load_rules

__all__ = ["RuleSet", "bundled_rules_dir", "load_rules"]
