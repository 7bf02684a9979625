"""The matcher's memoised outcomes of a codon change agree with the genetic code read afresh.

:func:`annotator.selector_match._outcome_classes` and
:func:`annotator.selector_match._residues_after` are remembered per place, bases and residue
(and whether the codon is the first); these tests work each one out again (the function past
its memo, or :func:`annotator.genetic_code.codon_outcomes`) for every combination, the first
codon and another one in both orders, so that a memo keyed on
too little shows.
"""

from __future__ import annotations

import itertools

import pytest

from annotator.genetic_code import STANDARD_CODE, codon_outcomes
from annotator.models import CodonChange, VariantClass
from annotator.selector_match import _base_change_classes, _outcome_classes, _residues_after

RESIDUES = sorted(set(STANDARD_CODE.values()))
BASE_CHANGES = [(ref, alt) for ref, alt in itertools.product("ACGT", repeat=2) if ref != alt]


def expected_classes(change: CodonChange, residue: str | None) -> frozenset[VariantClass]:
    """The classes worked out afresh: the memoised function's own body, past its memo."""
    return _base_change_classes.__wrapped__(
        change.position, change.ref, change.alt, residue, change.codon == 1
    )


@pytest.mark.parametrize("codons", [(1, 12), (12, 1), (790, 1, 2)], ids=str)
def test_outcome_classes_match_the_genetic_code(codons: tuple[int, ...]) -> None:
    for codon, position, (ref, alt) in itertools.product(codons, (1, 2, 3), BASE_CHANGES):
        change = CodonChange(codon, position, ref, alt)
        for residue in [None, *RESIDUES]:
            assert _outcome_classes(change, residue) == expected_classes(change, residue), (
                change,
                residue,
            )


def test_start_lost_only_at_the_first_codon() -> None:
    # ATG -> ACG: Met to Thr; start_lost at codon 1 only, whichever is asked first.
    for codon, expected in [(5, VariantClass.MISSENSE), (1, VariantClass.START_LOST)]:
        assert _outcome_classes(CodonChange(codon, 2, "T", "C"), "M") == {expected}


def test_residues_after_match_the_genetic_code() -> None:
    for position, (ref, alt), residue in itertools.product((1, 2, 3), BASE_CHANGES, RESIDUES):
        change = CodonChange(12, position, ref, alt)
        outcomes = codon_outcomes(position, ref, alt, residue)
        assert _residues_after(change, residue) == {after for _, after in outcomes}


def test_a_bad_base_is_still_an_error_after_good_ones() -> None:
    _outcome_classes(CodonChange(12, 2, "G", "A"))
    with pytest.raises(ValueError, match="base 'N'"):
        _outcome_classes(CodonChange(12, 2, "G", "N"))
