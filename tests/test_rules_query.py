"""Tests for annotator.rules.query: filters by gene, drug and tumor type, table-driven."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from annotator.rules import RuleSet, load_rules
from annotator.rules.query import (
    applies_to_tumor_type,
    drug_terms,
    known_drug_terms,
    known_genes,
    names_drug,
    names_gene,
    names_known_gene,
    rule_genes,
    select_rules,
    suggest,
)
from annotator.rules.schema import Rule
from annotator.tumor_types import load_oncotree

# A fixture set, not curated knowledge.
RULES_YAML = """\
genes:
  - {symbol: EGFR, hgnc_id: "HGNC:3236", ensembl_transcript: ENST00000275493, strand: "+",
     sources: [test]}
  - {symbol: BRAF, hgnc_id: "HGNC:1097", ensembl_transcript: ENST00000646891, strand: "-",
     sources: [test]}
  - {symbol: BCR, hgnc_id: "HGNC:1014", ensembl_transcript: ENST00000305877, strand: "+",
     sources: [test]}
  - {symbol: ABL1, hgnc_id: "HGNC:76", ensembl_transcript: ENST00000318560, strand: "+",
     sources: [test]}
  - {symbol: KRAS, hgnc_id: "HGNC:6407", ensembl_transcript: ENST00000311936, strand: "-",
     sources: [test]}
drugs:
  - {name: gefitinib, classes: [first-generation EGFR TKI], brand_names: [Iressa],
     synonyms: [ZD1839], sources: [test]}
  - {name: imatinib, classes: [BCR-ABL1 TKI], brand_names: [Gleevec], sources: [test]}
  - {name: dabrafenib, classes: [BRAF inhibitor], sources: [test]}
  - {name: trametinib, classes: [MEK inhibitor], sources: [test]}
  - {name: pembrolizumab, classes: [PD-1 inhibitor], sources: [test]}
rules:
  - id: EGFR-T790M-R
    gene: EGFR
    alteration: {protein_changes: [T790M]}
    requires: [{gene: KRAS, codons: [G12]}]
    tumor_types: {include: [NSCLC], exclude: [LUSC]}
    effect: resistance
    therapies: [gefitinib]
    evidence_level: A
    citations: [PMID:1]
    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD, with: [KRAS p.G12C]}]
  - id: BCR-ABL1-S
    gene: BCR::ABL1
    alteration: {fusion: BCR::ABL1}
    tumor_types: {include: [CML]}
    effect: sensitivity
    therapies: [imatinib]
    evidence_level: A
    citations: [PMID:2]
    examples: [{alteration: BCR::ABL1, tumor_type: CML}]
  - id: BRAF-V600E-S
    gene: BRAF
    alteration: {protein_changes: [V600E]}
    tumor_types: {include: [ALL]}
    effect: sensitivity
    therapies: [dabrafenib + trametinib]
    evidence_level: C
    citations: [PMID:3]
    examples: [{alteration: BRAF p.V600E, tumor_type: MEL}]
  - id: MSI-H-S
    gene: MSI
    alteration: {biomarker: MSI-H}
    tumor_types: {include: [ALL], exclude: [BOWEL]}
    effect: sensitivity
    therapies: [pembrolizumab]
    evidence_level: B
    citations: [PMID:4]
    examples: [{alteration: MSI-H, tumor_type: UCEC}]
"""

ALL_IDS = ("EGFR-T790M-R", "BCR-ABL1-S", "BRAF-V600E-S", "MSI-H-S")


@pytest.fixture(scope="module")
def ruleset(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_text(textwrap.dedent(RULES_YAML), encoding="utf-8")
    return load_rules([Path(path)], bundled=False)


def ids(rules: Sequence[Rule]) -> tuple[str, ...]:
    return tuple(rule.id for rule in rules)


@pytest.mark.parametrize(
    ("gene", "expected"),
    [
        ("EGFR", ("EGFR-T790M-R",)),
        ("egfr", ("EGFR-T790M-R",)),
        ("BCR::ABL1", ("BCR-ABL1-S",)),
        ("BCR", ("BCR-ABL1-S",)),  # a fusion partner
        ("abl1", ("BCR-ABL1-S",)),
        ("MSI", ("MSI-H-S",)),
        ("KRAS", ()),  # only in a requires condition: not the rule's gene
        ("TP53", ()),
    ],
)
def test_select_by_gene(ruleset: RuleSet, gene: str, expected: tuple[str, ...]) -> None:
    assert ids(select_rules(ruleset, gene=gene)) == expected


@pytest.mark.parametrize(
    ("drug", "expected"),
    [
        ("gefitinib", ("EGFR-T790M-R",)),
        ("Gefitinib", ("EGFR-T790M-R",)),
        ("IRESSA", ("EGFR-T790M-R",)),  # brand name
        ("zd1839", ("EGFR-T790M-R",)),  # synonym
        ("first-generation EGFR TKI", ("EGFR-T790M-R",)),  # class
        ("EGFR TKI", ()),  # classes match as whole names
        ("trametinib", ("BRAF-V600E-S",)),  # one drug of a combination
        ("mek  inhibitor", ("BRAF-V600E-S",)),  # whitespace and case folded
        ("dabrafenib + trametinib", ("BRAF-V600E-S",)),  # the regimen itself
        ("Gleevec", ("BCR-ABL1-S",)),
        ("osimertinib", ()),
    ],
)
def test_select_by_drug(ruleset: RuleSet, drug: str, expected: tuple[str, ...]) -> None:
    assert ids(select_rules(ruleset, drug=drug)) == expected


@pytest.mark.parametrize(
    ("tumor_type", "expected"),
    [
        ("LUAD", ("EGFR-T790M-R", "BRAF-V600E-S", "MSI-H-S")),  # LUAD is below NSCLC
        ("NSCLC", ("EGFR-T790M-R", "BRAF-V600E-S", "MSI-H-S")),
        ("LUSC", ("BRAF-V600E-S", "MSI-H-S")),  # excluded from the EGFR rule
        ("CML", ("BCR-ABL1-S", "BRAF-V600E-S", "MSI-H-S")),
        ("COAD", ("BRAF-V600E-S",)),  # COAD is below BOWEL: excluded from an ALL rule
        ("BOWEL", ("BRAF-V600E-S",)),
    ],
)
def test_select_by_tumor_type(ruleset: RuleSet, tumor_type: str, expected: tuple[str, ...]) -> None:
    oncotree = load_oncotree()
    assert ids(select_rules(ruleset, tumor_type=tumor_type, oncotree=oncotree)) == expected


def test_filters_combine_and_keep_load_order(ruleset: RuleSet) -> None:
    oncotree = load_oncotree()
    assert ids(select_rules(ruleset)) == ALL_IDS
    assert ids(select_rules(ruleset, gene="BRAF", drug="MEK inhibitor")) == ("BRAF-V600E-S",)
    assert ids(select_rules(ruleset, gene="EGFR", tumor_type="LUSC", oncotree=oncotree)) == ()
    assert ids(select_rules(ruleset, drug="imatinib", tumor_type="LUAD", oncotree=oncotree)) == ()


def test_tumor_type_filter_needs_the_oncotree(ruleset: RuleSet) -> None:
    with pytest.raises(ValueError, match="OncoTree"):
        select_rules(ruleset, tumor_type="LUAD")


def test_single_rule_predicates(ruleset: RuleSet) -> None:
    oncotree = load_oncotree()
    egfr, fusion, braf, _msi = ruleset.rules
    assert rule_genes(fusion) == ("BCR::ABL1", "BCR", "ABL1")
    assert rule_genes(egfr) == ("EGFR",)
    assert names_gene(fusion, " bcr ")
    assert not names_gene(egfr, "KRAS")
    assert names_drug(braf, "Dabrafenib", ruleset)
    assert not names_drug(egfr, "imatinib", ruleset)
    assert applies_to_tumor_type(egfr, "LUAD", oncotree)
    assert not applies_to_tumor_type(egfr, "LUSC", oncotree)
    assert not applies_to_tumor_type(fusion, "LUAD", oncotree)


def test_drug_terms(ruleset: RuleSet) -> None:
    assert drug_terms("Iressa", ruleset) == {"gefitinib"}
    assert drug_terms("BRAF inhibitor", ruleset) == {"dabrafenib"}
    assert drug_terms("nothing", ruleset) == frozenset()


def test_known_names_and_suggestions(ruleset: RuleSet) -> None:
    genes = known_genes(ruleset)
    assert {"EGFR", "KRAS", "BCR::ABL1", "BCR", "ABL1", "MSI"} <= set(genes)
    assert names_known_gene("kras", ruleset)  # in the gene table, though no rule's gene
    assert not names_known_gene("EGRF", ruleset)
    terms = set(known_drug_terms(ruleset))
    assert {"gefitinib", "Iressa", "ZD1839", "first-generation EGFR TKI", "MEK inhibitor"} <= terms
    assert suggest("EGRF", genes) == ["EGFR"]
    assert suggest("iresa", terms) == ["Iressa"]
    assert set(suggest("inhibitor", terms)) == {"BRAF inhibitor", "MEK inhibitor", "PD-1 inhibitor"}
    assert len(suggest("inhibitor", terms, limit=2)) == 2
    assert suggest("zzzz", terms) == []
