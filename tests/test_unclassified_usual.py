"""``find_unclassified`` takes the usual unannotated allele (one rule gene, the annotator's note
on it, no alteration) without :func:`annotator.unclassified._unannotated_unclassified`; its result
is the same as that function's for every unannotated allele, fired or not, usual or not."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.matcher import SampleAllele
from annotator.models import Alteration, CodonChange, Effect, Unclassified, VariantClass, allele_key
from annotator.unclassified import _unannotated_unclassified, find_unclassified
from tests.factories import finding, variant

GENES = st.sampled_from(["EGFR", "KRAS", "BRAF"])
NOTES = st.lists(st.tuples(GENES, st.sampled_from(["outside exons", "intronic"])), max_size=2)


@st.composite
def unannotated_alleles(draw: st.DrawFn, pos: int) -> SampleAllele:
    on = variant("chr7", pos, "C", "T", annotations={})
    alterations = tuple(
        Alteration(
            gene,
            VariantClass.MISSENSE,
            variant=on,
            preferred=True,
            codon_change=CodonChange(12, 2, "G", "A") if codon else None,
        )
        for gene, codon in draw(st.lists(st.tuples(GENES, st.booleans()), max_size=1))
    )
    return SampleAllele(
        on,
        alterations,
        annotated=False,
        notes=tuple(draw(NOTES)),
        genes=tuple(draw(st.lists(GENES, max_size=2, unique=True))),
    )


@st.composite
def samples(draw: st.DrawFn) -> tuple[list[SampleAllele], list[Unclassified]]:
    alleles = [draw(unannotated_alleles(pos)) for pos in range(1, draw(st.integers(0, 6)) + 1)]
    # Findings of some alleles, for a gene each: those are classified there.
    fired = [
        replace(finding("R", ("drug",), Effect.SENSITIVITY, "A"), gene=gene, variant=a.variant)
        for a in alleles
        if (gene := draw(st.none() | GENES)) is not None
    ]
    return alleles, fired


@settings(max_examples=300, deadline=None)
@given(sample=samples())
def test_same_as_the_general_case(sample: tuple[list[SampleAllele], list[Unclassified]]) -> None:
    alleles, fired = sample
    fired_keys = {(f.gene, allele_key(f.variant)) for f in fired}
    expected = [
        item
        for allele in alleles
        for item in _unannotated_unclassified(
            allele, allele.genes, allele_key(allele.variant), fired_keys
        )
    ]
    assert find_unclassified(alleles, {}, fired) == expected


def test_the_usual_allele_fired_or_not() -> None:
    on = variant("chr7", 5, "C", "T", annotations={})
    allele = SampleAllele(on, (), annotated=False, notes=(("EGFR", "intronic"),), genes=("EGFR",))
    assert find_unclassified([allele], {}, []) == [Unclassified("EGFR", on, "intronic")]
    fired = replace(finding("R", (), Effect.SENSITIVITY, "A"), gene="EGFR", variant=on)
    assert find_unclassified([allele], {}, [fired]) == []
    other_gene = replace(fired, gene="KRAS")
    assert find_unclassified([allele], {}, [other_gene]) == [Unclassified("EGFR", on, "intronic")]
