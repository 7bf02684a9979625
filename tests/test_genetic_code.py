"""Tests for annotator.genetic_code: NCBI translation table 1 and possible_residues.

The table is checked against the code written the other way round (each residue with its
codons, IUPAC N = any base), as textbooks print the standard code; possible_residues against
brute force over all 64 codons x 3 positions x 3 other bases, and against hand-worked cases.
"""

from __future__ import annotations

from itertools import product

import pytest

from annotator.genetic_code import (
    BASES,
    STANDARD_CODE,
    STOP,
    codon_outcomes,
    codons_of,
    possible_residues,
    translate_codon,
)

#: The standard code by residue; N is any base, R = A/G, Y = C/T (IUPAC).
BY_RESIDUE = {
    "A": "GCN",
    "R": "CGN AGR",
    "N": "AAY",
    "D": "GAY",
    "C": "TGY",
    "Q": "CAR",
    "E": "GAR",
    "G": "GGN",
    "H": "CAY",
    "I": "ATY ATA",
    "L": "CTN TTR",
    "K": "AAR",
    "M": "ATG",
    "F": "TTY",
    "P": "CCN",
    "S": "TCN AGY",
    "T": "ACN",
    "W": "TGG",
    "Y": "TAY",
    "V": "GTN",
    STOP: "TAR TGA",
}
IUPAC = {"A": "A", "C": "C", "G": "G", "T": "T", "N": "ACGT", "R": "AG", "Y": "CT"}


def expand(pattern: str) -> set[str]:
    return {"".join(bases) for bases in product(*(IUPAC[symbol] for symbol in pattern))}


def test_table_matches_the_code_by_residue() -> None:
    expected = {
        codon: residue
        for residue, patterns in BY_RESIDUE.items()
        for pattern in patterns.split()
        for codon in expand(pattern)
    }
    assert len(expected) == 64
    assert dict(STANDARD_CODE) == expected


def test_codons_of() -> None:
    assert codons_of("G") == ("GGT", "GGC", "GGA", "GGG")
    assert codons_of(STOP) == ("TAA", "TAG", "TGA")
    assert len(codons_of("L")) == 6
    assert codons_of("X") == ()


def test_translate_codon() -> None:
    assert translate_codon("ggt") == "G"
    assert translate_codon("ATG") == "M"
    with pytest.raises(KeyError):
        translate_codon("GGN")


ALL_CHANGES = [
    (codon, position, alt)
    for codon in STANDARD_CODE
    for position in (1, 2, 3)
    for alt in BASES
    if alt != codon[position - 1]
]


def test_every_true_residue_is_possible() -> None:
    """Self-consistency: for each codon, position and other base, the residue the changed
    codon really encodes is among the possible residues of the codon's residue."""
    assert len(ALL_CHANGES) == 64 * 3 * 3
    missing = []
    for codon, position, alt in ALL_CHANGES:
        changed = codon[: position - 1] + alt + codon[position:]
        ref_base = codon[position - 1]
        residues = possible_residues(STANDARD_CODE[codon], position, ref_base, alt)
        if STANDARD_CODE[changed] not in residues:
            missing.append((codon, position, alt))
    assert missing == []


def test_possible_residues_is_exactly_the_synonymous_codons_outcomes() -> None:
    """Nothing extra either: each possible residue comes from some codon of the residue."""
    for residue in set(STANDARD_CODE.values()):
        for position, ref_base, alt_base in product((1, 2, 3), BASES, BASES):
            if ref_base == alt_base:
                continue
            expected = {
                STANDARD_CODE[codon[: position - 1] + alt_base + codon[position:]]
                for codon in codons_of(residue)
                if codon[position - 1] == ref_base
            }
            assert possible_residues(residue, position, ref_base, alt_base) == expected


@pytest.mark.parametrize(
    ("residue", "position", "ref_base", "alt_base", "expected"),
    [
        ("G", 2, "G", "A", {"D", "E"}),  # KRAS G12 c.35G>A: GGN -> GAN
        ("G", 1, "G", "C", {"R"}),  # KRAS G12 c.34G>C: GGN -> CGN, always Arg
        ("G", 1, "G", "T", {"C", "W", STOP}),  # c.34G>T: TGT/TGC C, TGG W, TGA stop
        ("G", 3, "T", "C", {"G"}),  # third base of Gly: synonymous
        ("G", 3, "A", "T", {"G"}),
        ("G", 3, "G", "C", {"G"}),
        ("T", 2, "C", "T", {"I", "M"}),  # EGFR T790 c.2369C>T: ACN -> ATN
        ("V", 2, "T", "A", {"D", "E"}),  # BRAF V600 c.1799T>A: GTN -> GAN
        ("L", 1, "C", "T", {"L", "F"}),  # CTN -> TTN (TTR Leu, TTY Phe)
        ("Q", 1, "C", "T", {STOP}),  # CAR -> TAR: certain nonsense
        ("M", 3, "G", "A", {"I"}),  # ATG -> ATA
        ("W", 3, "G", "A", {STOP}),  # TGG -> TGA
        (STOP, 1, "T", "C", {"Q", "R"}),  # TAR -> CAR, TGA -> CGA
        ("G", 1, "A", "G", set()),  # no Gly codon starts with A: the rule does not fit
        ("M", 3, "A", "G", set()),
        ("X", 1, "A", "G", set()),  # not a residue
    ],
)
def test_possible_residues_known_cases(
    residue: str, position: int, ref_base: str, alt_base: str, expected: set[str]
) -> None:
    assert possible_residues(residue, position, ref_base, alt_base) == expected


def test_lower_case_bases_are_read() -> None:
    assert possible_residues("G", 2, "g", "a") == {"D", "E"}


@pytest.mark.parametrize(
    ("position", "ref_base", "alt_base", "message"),
    [
        (0, "G", "A", "codon position 0 is not 1, 2 or 3"),
        (4, "G", "A", "codon position 4 is not 1, 2 or 3"),
        (1, "N", "A", "base 'N' is not one of A, C, G, T"),
        (1, "G", "AT", "base 'AT' is not one of A, C, G, T"),
        (1, "G", "", "base '' is not one of A, C, G, T"),
    ],
)
def test_invalid_arguments(position: int, ref_base: str, alt_base: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        possible_residues("G", position, ref_base, alt_base)


def test_codon_outcomes_with_the_residue_unknown() -> None:
    """Second base T>C never keeps a residue and never makes or removes a stop: xTy -> xCy."""
    assert codon_outcomes(2, "T", "C") == {
        ("F", "S"),
        ("L", "S"),
        ("L", "P"),
        ("I", "T"),
        ("M", "T"),
        ("V", "A"),
    }
    assert codon_outcomes(2, "T", "C", "V") == {("V", "A")}
    assert codon_outcomes(2, "T", "C", "G") == set()


ALL_CHANGES_BASES = [(p, r, a) for p in (1, 2, 3) for r in BASES for a in BASES if r != a]


def test_unknown_residue_never_certainly_nonsense() -> None:
    """Why ``gene_class: loss_of_function`` never fires for a codon change: with the residue
    unknown, no single base change turns every codon carrying that base into a stop."""
    for position, ref_base, alt_base in ALL_CHANGES_BASES:
        afters = {after for _, after in codon_outcomes(position, ref_base, alt_base)}
        assert afters != {STOP}, (position, ref_base, alt_base)
