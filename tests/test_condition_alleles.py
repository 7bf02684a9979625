"""The alleles a rule condition finds in a sample: only through an alteration of the
condition's gene, each allele once."""

from __future__ import annotations

import pytest

from annotator.matcher import RuleMatcher, Sample, SampleAllele
from annotator.rules import load_rules
from annotator.rules.schema import Condition
from annotator.tumor_types import load_oncotree
from tests.factories import alteration, variant


@pytest.fixture(scope="module")
def matcher() -> RuleMatcher:
    oncotree = load_oncotree()
    rules = load_rules((), bundled=True, oncotree=oncotree)
    return RuleMatcher(rules, build="GRCh38", tumor_type="LUAD", oncotree=oncotree)


G12C = Condition.model_validate({"gene": "KRAS", "protein_changes": ["G12C"]})


def test_only_an_alteration_of_the_conditions_gene(matcher: RuleMatcher) -> None:
    # The allele is looked at (it has a KRAS alteration) but its G12C is EGFR's.
    on = variant("chr12", 100, "C", "A")
    allele = SampleAllele(
        on, (alteration("KRAS", "G13D", on=on), alteration("EGFR", "G12C", on=on)), True
    )
    assert matcher.condition_alleles(G12C, Sample((allele,))) == ()


def test_each_allele_once(matcher: RuleMatcher) -> None:
    first, second = variant("chr12", 100, "C", "A"), variant("chr12", 200, "C", "A")
    twice = SampleAllele(
        first, (alteration("KRAS", "G12C", on=first), alteration("KRAS", "G12C", on=first)), True
    )
    once = SampleAllele(second, (alteration("KRAS", "G12C", on=second),), True)
    assert matcher.condition_alleles(G12C, Sample((twice, once))) == (first, second)
