"""Self-testing knowledge: every example of every bundled rule, through the real matcher."""

from __future__ import annotations

import pytest

from annotator.models import VariantClass
from annotator.rules import load_rules
from annotator.rules.examples import (
    ExampleError,
    build_sample,
    check_example,
    parse_alteration,
)
from annotator.rules.schema import Example, Rule
from annotator.tumor_types import load_oncotree

RULESET = load_rules()
ONCOTREE = load_oncotree()
CASES = [
    pytest.param(rule, example, id=f"{rule.id}[{index}]")
    for rule in RULESET.rules
    for index, example in enumerate(rule.examples)
]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_rule_example_fires(rule: Rule, example: Example) -> None:
    assert check_example(rule, example, RULESET, ONCOTREE) == []


def test_every_rule_has_an_example() -> None:
    assert all(rule.examples for rule in RULESET.rules)
    assert len(CASES) >= len(RULESET.rules)


def test_a_wrong_example_is_reported() -> None:
    """The checker can fail: an example in the wrong tumor type, or of another alteration."""
    rule = next(r for r in RULESET.rules if r.id == "EGFR-T790M-1GTKI-R")
    off_label = Example.model_validate({"alteration": "EGFR p.T790M", "tumor_type": "COAD"})
    assert check_example(rule, off_label, RULESET, ONCOTREE) == [
        "rule EGFR-T790M-1GTKI-R: example 'EGFR p.T790M' in COAD: the rule fires only off-label"
    ]
    other = Example.model_validate({"alteration": "KRAS p.G12D", "tumor_type": "LUAD"})
    assert check_example(rule, other, RULESET, ONCOTREE) == [
        "rule EGFR-T790M-1GTKI-R: example 'KRAS p.G12D' in LUAD: the rule does not fire"
    ]


def test_an_unlisted_conflict_is_reported() -> None:
    rule = next(r for r in RULESET.rules if r.id == "EGFR-T790M-1GTKI-R")
    example = Example.model_validate(
        {"alteration": "EGFR p.T790M", "tumor_type": "LUAD", "with": ["EGFR p.L858R"]}
    )
    problems = check_example(rule, example, RULESET, ONCOTREE)
    assert len(problems) == 1
    assert "EGFR-L858R-EGFRTKI-S (sensitivity) also fires for" in problems[0]


@pytest.mark.parametrize(
    ("text", "gene", "event", "variant_class"),
    [
        ("EGFR p.T790M", "EGFR", None, VariantClass.MISSENSE),
        ("EGFR T790M", "EGFR", None, VariantClass.MISSENSE),
        ("BRCA2 p.S1982Rfs*22", "BRCA2", None, VariantClass.FRAMESHIFT),
        ("BRCA1 splice_donor", "BRCA1", None, VariantClass.SPLICE_DONOR),
        ("BCR::ABL1", "BCR::ABL1", "fusion", VariantClass.OTHER),
        ("ERBB2 amplification", "ERBB2", "amplification", VariantClass.OTHER),
        ("ABCB1 overexpression", "ABCB1", "overexpression", VariantClass.OTHER),
        ("MSI-H", "MSI", "MSI-H", VariantClass.OTHER),
        ("TMB-high", "TMB", "TMB-high", VariantClass.OTHER),
    ],
)
def test_parse_example_alteration(
    text: str, gene: str, event: str | None, variant_class: VariantClass
) -> None:
    alteration = parse_alteration(text, RULESET)
    assert (alteration.gene, alteration.event, alteration.variant_class) == (
        gene,
        event,
        variant_class,
    )


@pytest.mark.parametrize("text", ["EGFR", "EGFR p.Thr790", "chr7:1:C:T@GRCh38", "EGFR banana"])
def test_unreadable_examples(text: str) -> None:
    with pytest.raises(ExampleError):
        build_sample([text], RULESET)


def test_genomic_example_goes_through_the_hotspot_table() -> None:
    sample = build_sample(["chr7:55181378:C:T@GRCh38"], RULESET)
    assert sample.build == "GRCh38"
    (allele,) = sample.alleles
    (alteration,) = allele.alterations
    assert (alteration.gene, alteration.label, alteration.source) == ("EGFR", "T790M", "hotspot")
