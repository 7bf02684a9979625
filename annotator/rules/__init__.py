"""The rules: pydantic schema (``schema``), loading with cross-checks (``loader``), filters
(``query``) and comparison of two rule sets (``diff``)."""

from annotator.rules.loader import RuleOrigin, RuleSet, bundled_rules_dir, load_rules

__all__ = ["RuleOrigin", "RuleSet", "bundled_rules_dir", "load_rules"]
