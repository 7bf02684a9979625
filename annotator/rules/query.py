"""Filter rules by gene, drug or tumor type: pure functions over a ``RuleSet``.

- **gene**: the rule's ``gene`` (a symbol, a fusion name such as ``BCR::ABL1``, or ``MSI``/
  ``TMB``) or a partner of its fusion; genes named only in ``requires``/``excludes`` do not
  count. Case-insensitive.
- **drug**: a generic name, brand name, synonym or drug class (case-insensitive, exact words:
  ``EGFR TKI`` does not match ``first-generation EGFR TKI``). A combination regimen matches
  when any of its drugs does; a query that is itself a regimen (``dabrafenib + trametinib``)
  matches that regimen.
- **tumor type**: rules on-label for an OncoTree code, as the matcher decides it: the code is
  at or below an ``include`` code (``ALL`` includes every code) and not at or below an
  ``exclude`` code.

:func:`select_rules` combines the three (all given filters must hold) and keeps load order.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from annotator.rules.ruleset import (
    FUSION_SEPARATOR,
    RuleSet,
    drug_names,
    fold_name,
    split_regimen,
)
from annotator.rules.schema import ANY_TUMOR_TYPE, Rule
from annotator.tumor_types import OncoTree


def rule_genes(rule: Rule) -> tuple[str, ...]:
    """The gene names a rule is found by: its ``gene``, then its fusion partners."""
    partners = (
        tuple(rule.alteration.fusion.split(FUSION_SEPARATOR)) if rule.alteration.fusion else ()
    )
    return tuple(dict.fromkeys((rule.gene, *partners)))


def names_gene(rule: Rule, gene: str) -> bool:
    """True when ``gene`` (any case) is the rule's gene or a partner of its fusion."""
    wanted = gene.strip().upper()
    return any(name.upper() == wanted for name in rule_genes(rule))


def drug_terms(drug: str, rules: RuleSet) -> frozenset[str]:
    """The generic names a drug query stands for (folded): a name, brand, synonym or class."""
    wanted = fold_name(drug)
    found = {
        fold_name(entry.name)
        for entry in rules.drugs.values()
        if wanted in {fold_name(name) for name in (*drug_names(entry), *entry.classes)}
    }
    if not found and any(
        wanted == fold_name(d) for r in rules.rules for t in r.therapies for d in split_regimen(t)
    ):
        found.add(wanted)  # a drug a rule names without a drug-table entry
    return frozenset(found)


def names_drug(rule: Rule, drug: str, rules: RuleSet) -> bool:
    """True when a regimen of the rule is ``drug`` or contains a drug ``drug`` names."""
    return _names_drug(rule, fold_name(drug), drug_terms(drug, rules))


def _names_drug(rule: Rule, wanted: str, terms: frozenset[str]) -> bool:
    return any(
        fold_name(therapy) == wanted
        or any(fold_name(component) in terms for component in split_regimen(therapy))
        for therapy in rule.therapies
    )


def applies_to_tumor_type(rule: Rule, code: str, oncotree: OncoTree) -> bool:
    """True when the rule is on-label for the OncoTree ``code`` (which must be in the tree)."""
    include, exclude = rule.tumor_types.include, rule.tumor_types.exclude
    included = ANY_TUMOR_TYPE in include or any(
        parent in oncotree and oncotree.is_within(code, parent) for parent in include
    )
    excluded = any(parent in oncotree and oncotree.is_within(code, parent) for parent in exclude)
    return included and not excluded


def select_rules(
    rules: RuleSet,
    *,
    gene: str | None = None,
    drug: str | None = None,
    tumor_type: str | None = None,
    oncotree: OncoTree | None = None,
) -> tuple[Rule, ...]:
    """The rules that pass every filter given, in load order.

    ``tumor_type`` needs ``oncotree`` and must be one of its codes (check it with
    ``OncoTree.require`` first for a user-facing error).
    """
    if tumor_type is not None and oncotree is None:
        raise ValueError("filtering by tumor type needs the OncoTree")
    terms = drug_terms(drug, rules) if drug is not None else frozenset()
    selected = []
    for rule in rules.rules:
        if gene is not None and not names_gene(rule, gene):
            continue
        if drug is not None and not _names_drug(rule, fold_name(drug), terms):
            continue
        if tumor_type is not None:
            assert oncotree is not None
            if not applies_to_tumor_type(rule, tumor_type, oncotree):
                continue
        selected.append(rule)
    return tuple(selected)


def known_genes(rules: RuleSet) -> tuple[str, ...]:
    """Every name a gene filter can match: the gene table, rule genes and fusion partners."""
    names = dict.fromkeys(rules.genes)
    for rule in rules.rules:
        names.update(dict.fromkeys(rule_genes(rule)))
    return tuple(names)


def names_known_gene(gene: str, rules: RuleSet) -> bool:
    """True when ``gene`` (any case) is in the gene table or is a rule's gene or fusion partner."""
    wanted = gene.strip().upper()
    return any(name.upper() == wanted for name in known_genes(rules))


def known_drug_terms(rules: RuleSet) -> tuple[str, ...]:
    """Every name a drug filter can match: names, brand names, synonyms and classes."""
    names: dict[str, None] = {}
    for entry in rules.drugs.values():
        names.update(dict.fromkeys((*drug_names(entry), *entry.classes)))
    for rule in rules.rules:
        for therapy in rule.therapies:
            names.update(dict.fromkeys(split_regimen(therapy)))
    return tuple(names)


def suggest(text: str, choices: Iterable[str], limit: int = 3) -> list[str]:
    """Up to ``limit`` choices close to ``text`` (any case), or containing it."""
    by_fold = {fold_name(choice): choice for choice in choices}
    wanted = fold_name(text)
    found = difflib.get_close_matches(wanted, list(by_fold), n=limit, cutoff=0.6)
    if len(wanted) >= 3:
        found += sorted(key for key in by_fold if wanted in key and key not in found)
    return [by_fold[key] for key in found[:limit]]
