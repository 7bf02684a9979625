"""VCF-style allele normalization: trimming, and left-alignment against a reference FASTA.

Two representations of the same change (``7:100 CAA>CA`` and ``7:101 AA>A``; an SNV padded
into an MNV, ``TCG>TAG`` for ``C>A``) must compare equal before an allele is looked up in a
table such as the rules' hotspots, whose alleles are left-normalized.

:func:`normalize_allele` follows the normalization of Tan, Abecasis and Kang, "Unified
representation of genetic variants", Bioinformatics 31:2202 (2015), as ``vt normalize``
implements it (genome.sph.umich.edu/wiki/Variant_Normalization)::

    repeat
        if the alleles end with the same base: drop that last base
        if an allele is empty: extend both one base to the left (from the reference)
    until the alleles end with different bases
    while both alleles are 2 bases or longer and start with the same base: drop that first base

The result is left-aligned and parsimonious, and unique: every representation of the same
change normalizes to it. Without a FASTA the bases left of POS are unknown, so the loop stops
before an allele would become empty (one anchor base kept, VCF style): shared suffixes and
prefixes are trimmed, but an indel is not shifted left of where its record puts it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, Protocol

from annotator.errors import InputError

__all__ = ["NormalizedAllele", "ReferenceSequence", "is_sequence_allele", "normalize_allele"]

#: (chromosome, 1-based position, REF, ALT); the chromosome as given.
NormalizedAllele = tuple[str, int, str, str]

_SEQUENCE: Final = re.compile(r"[ACGTN]+")
#: Bases fetched at a time while walking left through the reference.
_WINDOW: Final = 64


class ReferenceSequence(Protocol):
    """What normalization reads of a reference: ``pysam.FastaFile`` provides it."""

    @property
    def references(self) -> Sequence[str]: ...

    def fetch(self, reference: str, start: int, end: int) -> str:
        """Bases ``start``..``end`` (0-based, half-open) of ``reference``."""
        ...


def is_sequence_allele(allele: str) -> bool:
    """True for plain bases (``ACGTN``, any case); False for ``<DEL>``, ``*``, breakends, ``.``."""
    return _SEQUENCE.fullmatch(allele.upper()) is not None


def normalize_allele(
    chrom: str, pos: int, ref: str, alt: str, fasta: ReferenceSequence | None = None
) -> NormalizedAllele:
    """The normalized (chrom, pos, REF, ALT) of one allele; alleles upper-cased.

    Alleles that are not plain bases (symbolic, spanning deletion, breakend) and alleles equal
    to REF are returned unchanged but for case. With ``fasta``, REF must match the reference
    at ``pos`` (``InputError`` otherwise) and indels are left-aligned; the FASTA may name the
    chromosome with or without ``chr``.
    """
    ref, alt = ref.upper(), alt.upper()
    if not (is_sequence_allele(ref) and is_sequence_allele(alt)) or ref == alt:
        return chrom, pos, ref, alt
    if fasta is None:
        return (chrom, *_trim(pos, ref, alt))
    reference = _Reference(fasta, chrom)
    reference.check(pos, ref)
    return (chrom, *_left_align(pos, ref, alt, reference))


def _trim(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Shared suffix, then shared prefix, keeping at least one base in each allele."""
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    return _trim_prefix(pos, ref, alt)


def _trim_prefix(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def _left_align(pos: int, ref: str, alt: str, reference: _Reference) -> tuple[int, str, str]:
    """Tan et al. (2015), algorithm 1 (see the module docstring)."""
    while True:
        if ref and alt and ref[-1] == alt[-1]:
            ref, alt = ref[:-1], alt[:-1]
        if ref and alt:
            if ref[-1] != alt[-1]:
                break
            continue
        if pos == 1:
            # Nothing to the left: VCF pads an event at the start of a contig with the base
            # after it instead.
            base = reference.base(pos + len(ref))
            ref, alt = ref + base, alt + base
            break
        pos -= 1
        base = reference.base(pos)
        ref, alt = base + ref, base + alt
    return _trim_prefix(pos, ref, alt)


class _Reference:
    """One chromosome of the FASTA, read in small windows while left-aligning."""

    def __init__(self, fasta: ReferenceSequence, chrom: str) -> None:
        self._fasta = fasta
        self._chrom = chrom
        self._name = _fasta_name(fasta, chrom)
        self._start = 0  # 1-based position of self._bases[0]
        self._bases = ""

    def check(self, pos: int, ref: str) -> None:
        found = self._fetch(pos, pos + len(ref) - 1)
        if found != ref:
            raise InputError(
                f"REF {ref} at {self._chrom}:{pos} does not match the reference FASTA "
                f"({found or 'nothing there'})",
                hint="is the FASTA of the VCF's genome build?",
            )

    def base(self, pos: int) -> str:
        if not self._start <= pos < self._start + len(self._bases):
            self._start = max(1, pos - _WINDOW + 1)
            self._bases = self._fetch(self._start, pos + _WINDOW)
        if pos - self._start >= len(self._bases):
            raise InputError(f"{self._chrom}:{pos} is past the end of the reference FASTA")
        return self._bases[pos - self._start]

    def _fetch(self, start: int, end: int) -> str:
        """Bases ``start``..``end`` (1-based, inclusive), upper-cased; shorter at a contig end."""
        return str(self._fasta.fetch(self._name, start - 1, end)).upper()


def _fasta_name(fasta: ReferenceSequence, chrom: str) -> str:
    names = set(fasta.references)
    bare = chrom[3:] if chrom[:3].lower() == "chr" else chrom
    candidates = [chrom, bare, f"chr{bare}"]
    if bare.upper() in ("M", "MT"):
        candidates += ["MT", "chrM", "M", "chrMT"]
    for name in candidates:
        if name in names:
            return name
    raise InputError(
        f"chromosome {chrom} is not in the reference FASTA",
        hint="is the FASTA of the VCF's genome build?",
    )
