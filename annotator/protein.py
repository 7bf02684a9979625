"""Protein-change notation: parse and normalize (``p.Thr790Met`` = ``p.T790M`` = ``T790M``).

Inputs read by :func:`parse_protein_change`:

- HGVS with 3-letter codes, as VEP ``HGVSp`` and SnpEff ``ANN`` write it: ``p.Thr790Met``,
  ``ENSP00000275493.2:p.Thr790Met``, ``p.Pro799%3D``, ``p.Gln61*``, ``p.(Thr790Met)``;
- HGVS with 1-letter codes, as MAF ``HGVSp_Short`` and rule files write it: ``p.T790M``,
  ``T790M``, ``E746_A750del``, ``p.E23Vfs*17``;
- the amino-acid field of bcftools csq ``BCSQ``: ``790T>790M``, ``745KELREA>745K``,
  ``141W>141*``, ``25EPP..P*>25GAS..F*`` (frameshift: both sides run to a stop);
- with ``legacy=True`` (a MAF's ``Protein_Change`` column), the older TCGA forms too:
  ``p.599_600insDFREYEY``, ``p.604_604E>EYDLKWE``, ``p.WQ288fs``, ``p.SG140del``
  (:func:`parse_legacy_change`).

Codes are case-sensitive, as in HGVS: ``Thr`` and ``T`` are read, ``thr`` and ``t`` are not.
``Ter`` and ``*`` are the stop. In 1-letter input ``X`` is read as a legacy alias for the stop
(``Q61X`` = ``Q61*``), the way older MAF and COSMIC files use it; the unknown residue is
written ``Xaa`` in 3-letter input and ``X`` in :attr:`ProteinChange.hgvs` output, so a change
holding an unknown residue does not survive a round trip through ``short``.

Canonical ``short`` form per kind (``hgvs`` is the same with 3-letter codes, ``Ter`` for ``*``
and a ``p.`` prefix):

============ ====================================================================
substitution ``T790M``
nonsense     ``Q61*``
synonymous   ``P799=``, ``P799_L800=``
frameshift   ``E23Vfs*17``; ``E23fs*17`` without a new residue; ``E23Vfs``/``E23fs``
             when the new stop is not given (``fs*?`` is read as not given)
deletion     ``K745del``, ``E746_A750del``
duplication  ``A767dup``, ``A767_V769dup``
insertion    ``D770_N771insG``
delins       ``E469delinsDK``, ``L747_T751delinsP`` (a 1-residue delins by 1 residue
             is a substitution: ``E469delinsD`` reads as ``E469D``)
extension    ``*1864Qext*17``, ``*1864Qext*?`` (stop lost); ``M1ext-5`` (N-terminal)
start_lost   ``M1?``, ``M1V``, ``M1*`` (any substitution of Met1)
============ ====================================================================

Normalizations: a substitution to the same residue is synonymous (``T790T`` -> ``T790=``);
a substitution of a stop is an extension (``*1864Q`` -> ``*1864Qext*?``); a frameshift whose
first new residue is a stop is a nonsense change (``E23*fs*1`` -> ``E23*``).
``p.?``, ``p.0`` and ``p.=`` (effect unknown, no protein, no change) are not changes:
:func:`parse_protein_change` raises and :func:`try_parse_protein_change` returns ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import unquote

from annotator.errors import ProteinNotationError

__all__ = [
    "ONE_TO_THREE",
    "STOP",
    "THREE_TO_ONE",
    "ChangeKind",
    "ProteinChange",
    "parse_codon",
    "parse_legacy_change",
    "parse_protein_change",
    "try_parse_protein_change",
]

STOP: Final = "*"
#: A residue the notation does not name (the TCGA forms; bcftools csq insertions).
UNKNOWN_RESIDUE: Final = "X"
"""The one-letter stop (``Ter``)."""

THREE_TO_ONE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "Ala": "A",
        "Arg": "R",
        "Asn": "N",
        "Asp": "D",
        "Cys": "C",
        "Gln": "Q",
        "Glu": "E",
        "Gly": "G",
        "His": "H",
        "Ile": "I",
        "Leu": "L",
        "Lys": "K",
        "Met": "M",
        "Phe": "F",
        "Pro": "P",
        "Ser": "S",
        "Thr": "T",
        "Trp": "W",
        "Tyr": "Y",
        "Val": "V",
        "Sec": "U",
        "Pyl": "O",
        "Xaa": "X",
        "Ter": STOP,
    }
)
"""3-letter amino-acid code -> 1-letter code, including Sec, Pyl, Xaa (unknown) and Ter."""

ONE_TO_THREE: Final[Mapping[str, str]] = MappingProxyType(
    {one: three for three, one in THREE_TO_ONE.items()}
)
"""1-letter code -> 3-letter code; ``X`` is the unknown residue ``Xaa`` here."""

_ONE_LETTER_ALIASES: Final[Mapping[str, str]] = MappingProxyType({"X": STOP})
_RESIDUES: Final = frozenset(ONE_TO_THREE)
_BCSQ_RESIDUES: Final = frozenset(ONE_TO_THREE) - {"X"}
_START_CODON_POSITION: Final = 1
_MAX_POSITION_DIGITS: Final = 9
_UNKNOWN_BODIES: Final = frozenset({"?", "0", "0?", "="})


class ChangeKind(str, Enum):
    """What a protein change does; the values are the lower-case names."""

    SUBSTITUTION = "substitution"
    NONSENSE = "nonsense"
    SYNONYMOUS = "synonymous"
    FRAMESHIFT = "frameshift"
    DELETION = "deletion"
    INSERTION = "insertion"
    DUPLICATION = "duplication"
    DELINS = "delins"
    EXTENSION = "extension"
    START_LOST = "start_lost"


@dataclass(frozen=True, slots=True)
class ProteinChange:
    """One normalized protein change, residues in 1-letter codes (``*`` for the stop).

    ``start_aa``/``start`` is the first residue touched; ``end_aa``/``end`` the last one of a
    range (``A767_V769dup``: ``V``, 769), else ``None``. For an insertion they are the two
    flanking residues. ``alt`` holds the new residues: ``M`` for ``T790M``, ``*`` for a nonsense
    change, ``DK`` for ``delinsDK``, the inserted residues for ``ins``, the first new residue of
    a frameshift or a stop-lost extension (``''`` when not given), and ``''`` for ``del``,
    ``dup``, ``=`` and ``M1?``. ``frameshift_stop`` is where the new stop falls: ``17`` for
    ``fs*17`` (the first changed residue counts as 1), ``17`` for ``ext*17`` (residues after the
    old stop), ``-5`` for the N-terminal ``M1ext-5``; ``None`` when not given or ``?``.
    """

    kind: ChangeKind
    start_aa: str
    start: int
    end_aa: str | None
    end: int | None
    alt: str
    frameshift_stop: int | None = None
    # The two written forms, made on first use (a change is matched and labelled often).
    _short: str | None = field(default=None, init=False, repr=False, compare=False)
    _hgvs: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.start < 1:
            raise ValueError(f"protein change position {self.start} is not positive")
        if (self.end is None) != (self.end_aa is None):
            raise ValueError("protein change end and end_aa must be given together")
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"protein change end {self.end} is not after start {self.start}")
        residues = self.start_aa + (self.end_aa or "") + self.alt
        if len(self.start_aa) != 1 or (self.end_aa is not None and len(self.end_aa) != 1):
            raise ValueError("protein change start_aa and end_aa are single residues")
        if not _RESIDUES.issuperset(residues):
            unknown = sorted(set(residues) - _RESIDUES)
            raise ValueError(f"protein change has unknown 1-letter codes {''.join(unknown)!r}")

    @property
    def short(self) -> str:
        """Canonical 1-letter form without ``p.``: ``T790M``, ``E746_A750del``, ``E23Vfs*17``."""
        text = self._short
        if text is None:
            text = self._format(_one_letter)
            object.__setattr__(self, "_short", text)
        return text

    @property
    def hgvs(self) -> str:
        """3-letter HGVS form: ``p.Thr790Met``, ``p.Gln61Ter``, ``p.Glu23ValfsTer17``."""
        text = self._hgvs
        if text is None:
            text = "p." + self._format(_three_letter)
            object.__setattr__(self, "_hgvs", text)
        return text

    @property
    def adds_stop(self) -> bool:
        """Whether the new residues of an insertion or delins hold a stop: the protein ends
        there, whatever its length (``Y601_D602insQRI*``)."""
        return self.kind in (ChangeKind.INSERTION, ChangeKind.DELINS) and STOP in self.alt

    @property
    def positions(self) -> range:
        """Residue positions touched, ``start`` to ``end`` inclusive (the flanks of an ins)."""
        return range(self.start, (self.end if self.end is not None else self.start) + 1)

    def _format(self, codes: Callable[[str], str]) -> str:
        span = f"{codes(self.start_aa)}{self.start}"
        if self.end_aa is not None:
            span = f"{span}_{codes(self.end_aa)}{self.end}"
        stop = codes(STOP)
        kind = self.kind
        if kind in (ChangeKind.SUBSTITUTION, ChangeKind.NONSENSE):
            return span + codes(self.alt)
        if kind is ChangeKind.START_LOST:
            return span + (codes(self.alt) if self.alt else "?")
        if kind is ChangeKind.SYNONYMOUS:
            return span + "="
        if kind is ChangeKind.DELETION:
            return span + "del"
        if kind is ChangeKind.DUPLICATION:
            return span + "dup"
        if kind is ChangeKind.INSERTION:
            return span + "ins" + codes(self.alt)
        if kind is ChangeKind.DELINS:
            return span + "delins" + codes(self.alt)
        if kind is ChangeKind.FRAMESHIFT:
            new_stop = "" if self.frameshift_stop is None else f"{stop}{self.frameshift_stop}"
            return f"{span}{codes(self.alt)}fs{new_stop}"
        # ChangeKind.EXTENSION
        if self.frameshift_stop is not None and self.frameshift_stop < 0:
            return f"{span}ext{self.frameshift_stop}"
        new_stop = "?" if self.frameshift_stop is None else str(self.frameshift_stop)
        return f"{span}{codes(self.alt)}ext{stop}{new_stop}"


def _one_letter(residues: str) -> str:
    return residues


def _three_letter(residues: str) -> str:
    three = _THREE_LETTER_CODE.get(residues)  # one residue (most changes), or none
    if three is None:
        three = "".join(ONE_TO_THREE[residue] for residue in residues)
    return three


_THREE_LETTER_CODE: Final[Mapping[str, str]] = {"": "", **ONE_TO_THREE}


# --- parsing -------------------------------------------------------------------------------

_POSITION: Final = r"[1-9][0-9]*"


@dataclass(frozen=True, slots=True)
class _Notation:
    """The patterns of one code alphabet (3-letter or 1-letter) and how to read its residues."""

    residue: re.Pattern[str]
    frameshift: re.Pattern[str]
    extension: re.Pattern[str]
    range: re.Pattern[str]
    single: re.Pattern[str]
    codon: re.Pattern[str]
    aliases: Mapping[str, str]

    def residues(self, text: str) -> str:
        one_letter = (THREE_TO_ONE.get(code, code) for code in self.residue.findall(text))
        return "".join(self.aliases.get(code, code) for code in one_letter)


def _notation(residue: str, stop: str, aliases: Mapping[str, str]) -> _Notation:
    aa = f"(?:{residue})"
    seq = f"(?:{residue})+"
    return _Notation(
        residue=re.compile(residue),
        frameshift=re.compile(
            rf"(?P<ref>{aa})(?P<pos>{_POSITION})(?P<alt>{aa})?fs(?:(?:{stop})(?P<stop>{_POSITION}|\?))?"
        ),
        extension=re.compile(
            rf"(?P<ref>{aa})(?P<pos>{_POSITION})(?P<alt>{aa})?ext"
            rf"(?:(?:{stop})(?P<stop>{_POSITION}|\?)|-(?P<upstream>{_POSITION}))?"
        ),
        range=re.compile(
            rf"(?P<ref>{aa})(?P<pos>{_POSITION})_(?P<end_ref>{aa})(?P<end>{_POSITION})"
            rf"(?P<op>del|dup|=|ins(?P<ins>{seq})|delins(?P<delins>{seq}))"
        ),
        single=re.compile(
            rf"(?P<ref>{aa})(?P<pos>{_POSITION})"
            rf"(?:(?P<op>del|dup|=|\?|delins(?P<delins>{seq}))|(?P<alt>{aa}))"
        ),
        codon=re.compile(rf"(?:p\.)?(?P<ref>{aa})(?P<pos>{_POSITION})"),
        aliases=aliases,
    )


_THREE_LETTER: Final = _notation(
    "|".join([*(code for code in THREE_TO_ONE), re.escape(STOP)]),
    stop=r"Ter|\*",
    aliases=MappingProxyType({}),
)
_ONE_LETTER: Final = _notation(
    "[" + "".join(sorted(_RESIDUES - {STOP})) + r"\*]",
    stop=r"\*|X",
    aliases=_ONE_LETTER_ALIASES,
)
_NOTATIONS: Final = (_THREE_LETTER, _ONE_LETTER)

_BCSQ: Final = re.compile(
    rf"(?P<pos>{_POSITION})(?P<ref>[A-Z*]+)(?P<ref_brief>\.\.[0-9]+)?"
    rf">(?P<alt_pos>{_POSITION})(?P<alt>[A-Z*]*)(?P<alt_brief>\.\.[0-9]+)?"
)
_MISSING_REFERENCE: Final = re.compile(rf"{_POSITION}[A-Z*]+")
#: One 3-letter residue replaced by another or kept (``=``), position of at most 9 digits.
_SIMPLE_THREE_LETTER: Final = re.compile(
    r"(?P<ref>[A-Z][a-z]{2})(?P<pos>[1-9][0-9]{0,8})(?P<alt>[A-Z][a-z]{2}|=)"
)
_LOWER_CASE_CODE: Final = re.compile(r"(?:^|[_0-9])(?:[a-z]{3}|[a-z])(?:[0-9]|$)")


def parse_protein_change(text: str, *, legacy: bool = False) -> ProteinChange:
    """Read one protein change in any supported notation (see the module docstring); with
    ``legacy``, also the older TCGA MAF forms :func:`parse_legacy_change` reads.

    Raises ProteinNotationError("cannot read protein change 'xyz': <why>") for anything else,
    including the unknowns ``p.?``, ``p.0``, ``p.=`` and the empty string.
    """
    if legacy:
        try:
            return parse_protein_change(text)
        except ProteinNotationError as error:
            found = parse_legacy_change(text)
            if found is None:
                raise error from None
            return found
    body = _strip_decoration(text)
    simple = _SIMPLE_THREE_LETTER.fullmatch(body)
    if simple is not None:
        # The usual form (p.Thr790Met, p.Ser786=): what the full reading below gives it, with
        # its written forms made at once where they are one residue, the position and another.
        ref, code, digits = THREE_TO_ONE.get(simple["ref"]), simple["alt"], simple["pos"]
        if ref is not None and code == "=":
            return _one_residue(ChangeKind.SYNONYMOUS, ref, digits, "", "=", "=")
        alt = THREE_TO_ONE.get(code)
        if ref is not None and alt is not None:
            start = int(digits)
            kind = _one_residue_kind(ref, start, alt)
            if kind in _WRITTEN_AS_PARSED:
                return _one_residue(kind, ref, digits, alt, alt, _three_letter(alt))
            return _substitution(text, ref=ref, start=start, alt=alt)
    if not body:
        raise _error(text, "it is empty")
    if body in _UNKNOWN_BODIES:
        raise _error(text, "the effect on the protein is unknown or absent")
    if body[0].isdigit():
        return _parse_bcsq(text, body)
    for notation in _NOTATIONS:
        parsed = _parse_hgvs(text, body, notation)
        if parsed is not None:
            return parsed
    if _LOWER_CASE_CODE.search(body):
        raise _error(text, "amino-acid codes are case-sensitive, write 'Thr' or 'T', not 'thr'")
    raise _error(text, "not an HGVS protein change such as p.Thr790Met, p.T790M or T790M")


#: Kinds of a one-residue change written as the residue, the position and the new residue (or
#: ``=``) in both forms (see ``ProteinChange._format``).
_WRITTEN_AS_PARSED: Final = frozenset(
    {ChangeKind.SUBSTITUTION, ChangeKind.NONSENSE, ChangeKind.START_LOST}
)


def _one_residue(
    kind: ChangeKind, ref: str, digits: str, alt: str, alt_short: str, alt_hgvs: str
) -> ProteinChange:
    """The change of the residue ``ref`` at the position ``digits`` (no leading 0) to ``alt``
    (``""`` when kept), with its two written forms (``alt_short`` and ``alt_hgvs`` after the
    position), as the usual form's reading gives it.

    Made without ``ProteinChange.__post_init__``, whose checks the reading has made already
    (both residues come from ``THREE_TO_ONE``, the position's pattern is ``[1-9][0-9]*``), and
    without the frozen class's ``object.__setattr__`` per field: filled in as an instance of a
    plain class with the same slots, then given its class (0.8 against 3.0 us)."""
    change: Any = object.__new__(_UnfrozenChange)  # its slots are ProteinChange's fields
    change.kind = kind
    change.start_aa = ref
    change.start = int(digits)
    change.end_aa = None
    change.end = None
    change.alt = alt
    change.frameshift_stop = None
    change._short = f"{ref}{digits}{alt_short}"
    change._hgvs = f"p.{_three_letter(ref)}{digits}{alt_hgvs}"
    change.__class__ = ProteinChange
    return change  # type: ignore[no-any-return]


class _UnfrozenChange:
    """The slots of ProteinChange in a plain class (see _one_residue)."""

    __slots__ = ProteinChange.__slots__


def try_parse_protein_change(text: str | None, *, legacy: bool = False) -> ProteinChange | None:
    """Like :func:`parse_protein_change`, but ``None`` for missing, unknown or unreadable text."""
    if text is None:
        return None
    try:
        return parse_protein_change(text, legacy=legacy)
    except ProteinNotationError:
        return None


#: The older TCGA MAF forms (see :func:`parse_legacy_change`).
_LEGACY_INSERTION: Final = re.compile(
    rf"(?P<pos>{_POSITION})_(?P<end>{_POSITION})ins(?P<ins>[A-Z*]+)"
)
_LEGACY_REPLACEMENT: Final = re.compile(
    rf"(?P<pos>{_POSITION})_(?P<end>{_POSITION})(?P<ref>[A-Z]+)>(?P<alt>[A-Z*]*)"
)
_LEGACY_STRETCH: Final = re.compile(rf"(?P<ref>[A-Z]+|-)(?P<pos>{_POSITION})(?P<op>fs|del)")


def parse_legacy_change(text: str) -> ProteinChange | None:
    """Read a protein change in one of the older TCGA MAF ``Protein_Change`` forms, which are
    not HGVS, or None when ``text`` is in none of them. The WashU TCGA LAML MAF that maftools
    ships (``inst/extdata/tcga_laml.maf.gz``; ``tests/data/`` holds a copy) writes:

    - ``p.599_600insDFREYEY``: residues inserted between 599 and 600, whose own residues are
      not named; they are read as ``X``, the unknown residue (``X599_X600insDFREYEY``, HGVS
      ``p.Xaa599_Xaa600ins...``), never guessed;
    - ``p.604_604E>EYDLKWE``, ``p.310_311TQ>TKQNPQ``, ``p.594_600FREYEYD>Y``: the residues
      from the first position to the second (as many as named) replaced by the new ones,
      reduced to the change as a bcftools csq stretch is (``T310_Q311insKQNP``,
      ``F594_D600delinsY``); when that leaves an insertion with a flank the text does not
      name, the replacement stays as written (``E604delinsEYDLKWE``);
    - ``p.WQ288fs``, ``p.-920fs``: a frameshift at 288, the residues from there named (W288,
      as NPM1's W288fs is) or not (``-``, read as ``X``);
    - ``p.SG140del``: the residues named deleted, from 140 on (``S140_G141del``).

    New residues after a stop are not made: they are dropped (``insQRI*I*F`` inserts
    ``QRI*``). Such a change ends the protein early (:attr:`ProteinChange.adds_stop`), which
    contradicts the ``In_Frame_Ins`` these MAFs give it: the MAF reader then reports the row
    as unclassified.
    """
    body = _strip_decoration(text)
    match = _LEGACY_INSERTION.fullmatch(body)
    if match is not None:
        start, end = _legacy_span(text, match)
        if end != start + 1:
            raise _error(text, f"an insertion sits between adjacent residues, not {start}_{end}")
        inserted = _until_stop(_legacy_residues(text, match["ins"]))
        return ProteinChange(ChangeKind.INSERTION, "X", start, "X", end, inserted)
    match = _LEGACY_REPLACEMENT.fullmatch(body)
    if match is not None:
        start, end = _legacy_span(text, match)
        ref = _legacy_residues(text, match["ref"])
        alt = _until_stop(_legacy_residues(text, match["alt"]))
        if len(ref) != end - start + 1:
            raise _error(
                text, f"{len(ref)} residues named for the {end - start + 1} of {start}_{end}"
            )
        try:
            return _parse_bcsq(text, f"{start}{ref}>{start}{alt}")
        except ProteinNotationError:
            if not alt:
                raise
        if end == start:
            return ProteinChange(ChangeKind.DELINS, ref, start, None, None, alt)
        return ProteinChange(ChangeKind.DELINS, ref[0], start, ref[-1], end, alt)
    match = _LEGACY_STRETCH.fullmatch(body)
    if match is not None:
        start = _position(text, match["pos"])
        ref = "X" if match["ref"] == "-" else _legacy_residues(text, match["ref"])
        if match["op"] == "fs":
            return ProteinChange(ChangeKind.FRAMESHIFT, ref[0], start, None, None, "")
        if ref == "X":
            raise _error(text, "the deleted residues are not named")
        if len(ref) == 1:
            return ProteinChange(ChangeKind.DELETION, ref, start, None, None, "")
        last = start + len(ref) - 1
        return ProteinChange(ChangeKind.DELETION, ref[0], start, ref[-1], last, "")
    return None


def _legacy_span(text: str, match: re.Match[str]) -> tuple[int, int]:
    return _position(text, match["pos"]), _position(text, match["end"])


def _legacy_residues(text: str, residues: str) -> str:
    unknown = sorted(set(residues) - _BCSQ_RESIDUES)
    if unknown:
        raise _error(text, f"unknown 1-letter codes {''.join(unknown)!r}")
    return residues


def _until_stop(residues: str) -> str:
    """The residues up to the first stop, which ends them (it is kept)."""
    stop = residues.find(STOP)
    return residues if stop < 0 else residues[: stop + 1]


def parse_codon(text: str) -> tuple[str, int]:
    """Read a rule codon selector: ``'G12'`` or ``'Gly12'`` -> ``('G', 12)``.

    ``p.`` may lead; the stop is ``'*'`` (``'Ter12'``, ``'*12'``, legacy ``'X12'``).
    """
    body = text.strip()
    for notation in _NOTATIONS:
        match = notation.codon.fullmatch(body)
        if match is not None:
            return notation.residues(match["ref"]), _position(text, match["pos"])
    raise ProteinNotationError(
        f"cannot read codon {text!r}: expected a residue and a position such as G12 or Gly12"
    )


def _error(text: str, why: str) -> ProteinNotationError:
    return ProteinNotationError(f"cannot read protein change {text!r}: {why}")


def _strip_decoration(text: str) -> str:
    """Drop the reference id (``ENSP…:``), URL escapes (``%3D``), ``p.`` and ``(…)``."""
    body = unquote(text.strip()) if "%" in text else text.strip()
    body = body.rpartition(":")[2]
    body = body.removeprefix("p.")
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    return body


def _position(text: str, digits: str) -> int:
    if len(digits) > _MAX_POSITION_DIGITS:
        raise _error(text, f"position {digits} is out of range")
    return int(digits)


def _parse_hgvs(text: str, body: str, notation: _Notation) -> ProteinChange | None:
    match = notation.frameshift.fullmatch(body)
    if match is not None:
        return _frameshift(
            text,
            ref=notation.residues(match["ref"]),
            start=_position(text, match["pos"]),
            alt=notation.residues(match["alt"] or ""),
            stop=None if match["stop"] in (None, "?") else _position(text, match["stop"]),
        )
    match = notation.extension.fullmatch(body)
    if match is not None:
        return _extension(text, match, notation)
    match = notation.range.fullmatch(body)
    if match is not None:
        return _range(text, match, notation)
    match = notation.single.fullmatch(body)
    if match is not None:
        return _single(text, match, notation)
    return None


def _frameshift(text: str, *, ref: str, start: int, alt: str, stop: int | None) -> ProteinChange:
    if alt == STOP:
        return _substitution(text, ref=ref, start=start, alt=STOP)
    if alt == ref:
        raise _error(text, f"the first new residue of a frameshift cannot be the reference {ref}")
    return ProteinChange(ChangeKind.FRAMESHIFT, ref, start, None, None, alt, stop)


def _extension(text: str, match: re.Match[str], notation: _Notation) -> ProteinChange:
    ref = notation.residues(match["ref"])
    start = _position(text, match["pos"])
    alt = notation.residues(match["alt"] or "")
    if match["upstream"] is not None:
        if ref != "M" or start != _START_CODON_POSITION or alt:
            raise _error(text, "an N-terminal extension is written Met1ext-N")
        upstream = -_position(text, match["upstream"])
        return ProteinChange(ChangeKind.EXTENSION, ref, start, None, None, "", upstream)
    if ref != STOP:
        raise _error(text, "a C-terminal extension starts at the stop (Ter or *)")
    if alt == STOP:
        raise _error(text, "an extension cannot replace the stop by a stop")
    stop = None if match["stop"] in (None, "?") else _position(text, match["stop"])
    return ProteinChange(ChangeKind.EXTENSION, ref, start, None, None, alt, stop)


def _range(text: str, match: re.Match[str], notation: _Notation) -> ProteinChange:
    ref = notation.residues(match["ref"])
    start = _position(text, match["pos"])
    end_ref = notation.residues(match["end_ref"])
    end = _position(text, match["end"])
    if end <= start:
        raise _error(text, f"the range end {end} is not after its start {start}")
    op = match["op"]
    if match["ins"] is not None:
        if end != start + 1:
            raise _error(text, f"an insertion sits between adjacent residues, not {start}_{end}")
        alt = notation.residues(match["ins"])
        return ProteinChange(ChangeKind.INSERTION, ref, start, end_ref, end, alt)
    if match["delins"] is not None:
        alt = notation.residues(match["delins"])
        return ProteinChange(ChangeKind.DELINS, ref, start, end_ref, end, alt)
    kind = {"del": ChangeKind.DELETION, "dup": ChangeKind.DUPLICATION}.get(
        op, ChangeKind.SYNONYMOUS
    )
    return ProteinChange(kind, ref, start, end_ref, end, "")


def _single(text: str, match: re.Match[str], notation: _Notation) -> ProteinChange:
    ref = notation.residues(match["ref"])
    start = _position(text, match["pos"])
    op = match["op"]
    if op is None:
        return _substitution(text, ref=ref, start=start, alt=notation.residues(match["alt"]))
    if match["delins"] is not None:
        alt = notation.residues(match["delins"])
        if len(alt) == 1:
            return _substitution(text, ref=ref, start=start, alt=alt)
        return ProteinChange(ChangeKind.DELINS, ref, start, None, None, alt)
    if op == "?":
        if ref != "M" or start != _START_CODON_POSITION:
            raise _error(text, "the effect on the protein is unknown ('?' is read only in M1?)")
        return ProteinChange(ChangeKind.START_LOST, ref, start, None, None, "")
    kind = {
        "del": ChangeKind.DELETION,
        "dup": ChangeKind.DUPLICATION,
        "=": ChangeKind.SYNONYMOUS,
    }[op]
    return ProteinChange(kind, ref, start, None, None, "")


def _substitution(text: str, *, ref: str, start: int, alt: str) -> ProteinChange:
    """One residue replaced by one residue, classified and normalized."""
    kind = _one_residue_kind(ref, start, alt)
    kept = kind is ChangeKind.SYNONYMOUS
    return ProteinChange(kind, ref, start, None, None, "" if kept else alt)


def _one_residue_kind(ref: str, start: int, alt: str) -> ChangeKind:
    """What replacing the residue ``ref`` at ``start`` by ``alt`` is."""
    if alt == ref:
        return ChangeKind.SYNONYMOUS
    if ref == STOP:
        return ChangeKind.EXTENSION
    if ref == "M" and start == _START_CODON_POSITION:
        return ChangeKind.START_LOST
    return ChangeKind.NONSENSE if alt == STOP else ChangeKind.SUBSTITUTION


def _parse_bcsq(text: str, body: str) -> ProteinChange:
    """Read the bcftools csq amino-acid field ``POS REF>POS ALT`` (see bcftools csq.c).

    REF and ALT are the translated stretches around the variant, so they share context
    residues; trimming the shared prefix (3' rule) and suffix leaves the change. A frameshift
    runs both stretches to a stop: ``25EPP..P*>25GAS..F*``. The synonymous form without ``>``
    (``799P``) is not read: it cannot be told apart from a rule missing its reference
    residue (``790M``). Nor are ``-b/--brief-predictions`` forms (``25E..329>25G..94``),
    which hide the changed residues.
    """
    match = _BCSQ.fullmatch(body)
    if match is None:
        if _MISSING_REFERENCE.fullmatch(body):
            raise _error(text, "the reference residue before the position is missing")
        raise _error(text, "not a bcftools csq amino-acid change such as 790T>790M")
    if match["ref_brief"] or match["alt_brief"]:
        raise _error(text, "bcftools csq --brief-predictions hides the changed residues")
    ref, alt = match["ref"], match["alt"]
    unknown = sorted(set(ref + alt) - _BCSQ_RESIDUES)
    if unknown:
        raise _error(text, f"unknown 1-letter codes {''.join(unknown)!r}")
    if STOP in ref[:-1] or STOP in alt[:-1]:
        raise _error(text, "a stop can only end a bcftools csq stretch")
    position = _position(text, match["pos"])

    prefix = 0
    while prefix < min(len(ref), len(alt)) and ref[prefix] == alt[prefix]:
        prefix += 1
    if prefix == len(ref) == len(alt):
        if len(ref) == 1:
            return ProteinChange(ChangeKind.SYNONYMOUS, ref, position, None, None, "")
        end = position + len(ref) - 1
        return ProteinChange(ChangeKind.SYNONYMOUS, ref[0], position, ref[-1], end, "")
    start = position + prefix
    ref_rest, alt_rest = ref[prefix:], alt[prefix:]

    if ref_rest.startswith(STOP) and alt_rest:
        stop = len(alt_rest) - 1 if alt_rest.endswith(STOP) else None
        return ProteinChange(ChangeKind.EXTENSION, STOP, start, None, None, alt_rest[0], stop)
    if len(ref_rest) >= 2 and ref_rest.endswith(STOP) and alt_rest == STOP:
        return _substitution(text, ref=ref_rest[0], start=start, alt=STOP)
    if (
        len(ref_rest) >= 2
        and len(alt_rest) >= 2
        and ref_rest.endswith(STOP)
        and alt_rest.endswith(STOP)
        and ref_rest[-2] != alt_rest[-2]
    ):
        return _frameshift(text, ref=ref_rest[0], start=start, alt=alt_rest[0], stop=len(alt_rest))

    suffix = 0
    while (
        suffix < min(len(ref_rest), len(alt_rest))
        and ref_rest[-1 - suffix] == alt_rest[-1 - suffix]
    ):
        suffix += 1
    deleted = ref_rest[: len(ref_rest) - suffix]
    inserted = alt_rest[: len(alt_rest) - suffix]
    if not deleted:
        return _bcsq_insertion(text, ref=ref, prefix=prefix, start=start, inserted=inserted)
    end = start + len(deleted) - 1
    last = deleted[-1] if len(deleted) > 1 else None
    range_end = end if len(deleted) > 1 else None
    if not inserted:
        return ProteinChange(ChangeKind.DELETION, deleted[0], start, last, range_end, "")
    if len(deleted) == 1 and len(inserted) == 1:
        return _substitution(text, ref=deleted, start=start, alt=inserted)
    return ProteinChange(ChangeKind.DELINS, deleted[0], start, last, range_end, inserted)


def _bcsq_insertion(
    text: str, *, ref: str, prefix: int, start: int, inserted: str
) -> ProteinChange:
    """Residues inserted before ``start``: a duplication if they repeat the ones before."""
    size = len(inserted)
    if prefix >= size and ref[prefix - size : prefix] == inserted:
        first = start - size
        if size == 1:
            return ProteinChange(ChangeKind.DUPLICATION, inserted, first, None, None, "")
        return ProteinChange(
            ChangeKind.DUPLICATION, inserted[0], first, inserted[-1], start - 1, ""
        )
    if prefix == 0:
        raise _error(text, "the residue before the insertion is not given")
    # bcftools csq writes an in-frame insertion with the residue before it only
    # (770D>770DG): the one after it is the unknown residue X, as in the TCGA forms.
    after = ref[prefix] if prefix < len(ref) else UNKNOWN_RESIDUE
    return ProteinChange(ChangeKind.INSERTION, ref[prefix - 1], start - 1, after, start, inserted)
