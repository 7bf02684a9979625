"""The standard genetic code, and what a one-base change can do to a codon of a known residue.

The code is NCBI translation table 1, "The Standard Code" (NCBI Taxonomy, *The Genetic Codes*,
https://www.ncbi.nlm.nih.gov/Taxonomy/Utils/wprintgc.cgi?chapter=tgencodes#SG1), written there
as 64 residues for the codons in ``TCAG`` order of the first, second and third base::

    AAs   = FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG
    Base1 = TTTTTTTTTTTTTTTTCCCCCCCCCCCCCCCCAAAAAAAAAAAAAAAAGGGGGGGGGGGGGGGG
    Base2 = TTTTCCCCAAAAGGGGTTTTCCCCAAAAGGGGTTTTCCCCAAAAGGGGTTTTCCCCAAAAGGGG
    Base3 = TCAGTCAGTCAGTCAGTCAGTCAGTCAGTCAGTCAGTCAGTCAGTCAGTCAGTCAGTCAGTCAG

Residues are 1-letter codes, ``*`` for the stop; codons are coding-strand DNA (``T``, not
``U``). Without the reference sequence the codon of a residue is one of its synonymous codons;
:func:`possible_residues` gives what a base change can make of any of them, which is enough to
tell a certain change (Gly ``GGN`` with its first base G>C: always Arg) from an uncertain one
(Gly with its second base G>A: Asp or Glu) and a synonymous one (any third-base change of Gly).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import product
from types import MappingProxyType
from typing import Final

__all__ = [
    "BASES",
    "STANDARD_CODE",
    "STOP",
    "codon_outcomes",
    "codons_of",
    "possible_residues",
    "translate_codon",
]

BASES: Final = "TCAG"
STOP: Final = "*"
_TABLE_1_RESIDUES: Final = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"

#: Codon (coding-strand DNA) → residue, NCBI translation table 1.
STANDARD_CODE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "".join(bases): residue
        for bases, residue in zip(product(BASES, repeat=3), _TABLE_1_RESIDUES, strict=True)
    }
)


def translate_codon(codon: str) -> str:
    """The residue of a codon (``'GGT'`` → ``'G'``, ``'TAA'`` → ``'*'``); KeyError if not ACGT."""
    return STANDARD_CODE[codon.upper()]


def codons_of(residue: str) -> tuple[str, ...]:
    """The codons of a residue, in table order; empty for an unknown code."""
    return tuple(codon for codon, encoded in STANDARD_CODE.items() if encoded == residue)


def codon_outcomes(
    position: int, ref_base: str, alt_base: str, ref_residue: str | None = None
) -> frozenset[tuple[str, str]]:
    """(residue before, residue after) for every codon with ``ref_base`` at ``position`` (1-3)
    once ``alt_base`` replaces it; only the codons of ``ref_residue`` when given, else all 64
    (the residue unknown). ValueError for a position outside 1-3 or a base other than ACGT.
    """
    if position not in (1, 2, 3):
        raise ValueError(f"codon position {position} is not 1, 2 or 3")
    ref_base, alt_base = ref_base.upper(), alt_base.upper()
    for base in (ref_base, alt_base):
        if len(base) != 1 or base not in BASES:
            raise ValueError(f"base {base!r} is not one of A, C, G, T")
    index = position - 1
    outcomes = set()
    for codon, before in STANDARD_CODE.items():
        if codon[index] != ref_base or (ref_residue is not None and before != ref_residue):
            continue
        changed = codon[:index] + alt_base + codon[index + 1 :]
        outcomes.add((before, STANDARD_CODE[changed]))
    return frozenset(outcomes)


def possible_residues(
    ref_residue: str, position: int, ref_base: str, alt_base: str
) -> frozenset[str]:
    """The residues ``alt_base`` at codon ``position`` (1-3) can make of ``ref_residue``.

    Over every codon of ``ref_residue`` with ``ref_base`` at ``position``: the residue after
    the substitution (``*`` for a stop). Empty when no codon of the residue has that base there
    (the residue or the numbering does not fit the variant). Gly c.35G>A (``GGN``, position 2)
    → ``{'D', 'E'}``; any third-base change of Gly → ``{'G'}``.
    """
    return frozenset(
        after for _, after in codon_outcomes(position, ref_base, alt_base, ref_residue)
    )
