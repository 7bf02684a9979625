"""Tests for annotator.protein: table-driven from tests/data/protein_notation.tsv, plus errors
and round-trip properties."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator import protein
from annotator.errors import ProteinNotationError
from annotator.protein import (
    ONE_TO_THREE,
    THREE_TO_ONE,
    ChangeKind,
    ProteinChange,
    parse_codon,
    parse_protein_change,
    try_parse_protein_change,
)

TABLE = Path(__file__).parent / "data" / "protein_notation.tsv"


@dataclass(frozen=True)
class Row:
    input: str
    kind: str
    short: str
    hgvs: str
    start: int
    end: int | None


def read_rows() -> list[Row]:
    with TABLE.open(newline="", encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [
        Row(
            input=record["input"],
            kind=record["kind"],
            short=record["short"],
            hgvs=record["hgvs"],
            start=int(record["start"]),
            end=int(record["end"]) if record["end"] else None,
        )
        for record in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    ]


ROWS = read_rows()


def test_table_is_large_enough() -> None:
    assert len(ROWS) >= 45
    assert {row.kind for row in ROWS} == {kind.value for kind in ChangeKind}


@pytest.mark.parametrize("row", ROWS, ids=[row.input for row in ROWS])
def test_table_row(row: Row) -> None:
    change = parse_protein_change(row.input)
    assert change.kind == ChangeKind(row.kind)
    assert change.short == row.short
    assert change.hgvs == row.hgvs
    assert change.start == row.start
    assert change.end == row.end
    # The normalized forms read back to the very same value, alt and new stop included.
    assert parse_protein_change(row.short) == change
    assert parse_protein_change(row.hgvs) == change
    assert try_parse_protein_change(row.input) == change


@pytest.mark.parametrize(
    ("text", "alt", "frameshift_stop", "end_aa"),
    [
        ("p.Glu23ValfsTer17", "V", 17, None),
        ("p.E23Vfs*17", "V", 17, None),
        ("p.E23fs*17", "", 17, None),
        ("p.E23fs", "", None, None),
        ("p.Glu23ValfsTer?", "V", None, None),
        ("p.A767_V769dup", "", None, "V"),
        ("p.L747_T751delinsP", "P", None, "T"),
        ("p.D770_N771insG", "G", None, "N"),
        ("p.Q61X", "*", None, None),
        ("p.P799=", "", None, None),
        ("p.Met1?", "", None, None),
        ("p.*1864Qext*17", "Q", 17, None),
        ("p.Met1ext-5", "", -5, None),
    ],
)
def test_fields(text: str, alt: str, frameshift_stop: int | None, end_aa: str | None) -> None:
    change = parse_protein_change(text)
    assert change.alt == alt
    assert change.frameshift_stop == frameshift_stop
    assert change.end_aa == end_aa


def test_ter_is_one_letter_star() -> None:
    change = parse_protein_change("p.Ter1864GlnextTer?")
    assert change.start_aa == "*"
    assert parse_protein_change("p.Gln61Ter").alt == "*"


def test_unknown_residue_xaa_round_trips_through_hgvs_only() -> None:
    change = parse_protein_change("p.Xaa5Val")
    assert (change.kind, change.start_aa, change.short) == (ChangeKind.SUBSTITUTION, "X", "X5V")
    assert parse_protein_change(change.hgvs) == change
    # One-letter X is the legacy stop, so the short form reads as a stop-lost extension.
    assert parse_protein_change(change.short).kind is ChangeKind.EXTENSION


def test_positions() -> None:
    assert parse_protein_change("T790M").positions == range(790, 791)
    assert parse_protein_change("p.E746_A750del").positions == range(746, 751)
    assert parse_protein_change("p.D770_N771insG").positions == range(770, 772)


def test_equivalent_inputs_have_one_short_form() -> None:
    shorts = {
        parse_protein_change(text).short
        for text in ("p.Thr790Met", "p.(T790M)", "T790M", "ENSP00000275493.2:p.Thr790Met")
    }
    assert shorts == {"T790M"}


@pytest.mark.parametrize("text", [None, "", "   ", "p.?", "p.0", "p.=", "p.(?)", "p.(=)", "p.0?"])
def test_unknown_changes_are_none(text: str | None) -> None:
    assert try_parse_protein_change(text) is None


@pytest.mark.parametrize("text", ["p.?", "p.0", "p.=", ""])
def test_unknown_changes_raise_in_strict_parse(text: str) -> None:
    with pytest.raises(ProteinNotationError, match="cannot read protein change"):
        parse_protein_change(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("garbage", "not an HGVS protein change"),
        ("p.Thr790", "not an HGVS protein change"),
        ("790M", "reference residue before the position is missing"),
        ("T790Mfoo", "not an HGVS protein change"),
        ("p.thr790met", "case-sensitive"),
        ("p.Thr790met", "case-sensitive"),
        ("t790m", "case-sensitive"),
        ("p.THR790MET", "not an HGVS protein change"),
        ("p.Thr790?", "unknown"),
        ("p.Leu749_Glu747del", "not after its start"),
        ("p.Asp770_Asn772insGly", "adjacent residues"),
        ("p.Asp770insGly", "not an HGVS protein change"),
        ("p.Thr790ext*5", "starts at the stop"),
        ("p.Glu23Glufs*5", "cannot be the reference"),
        ("p.T0790M", "not an HGVS protein change"),
        ("p.T1234567890M", "out of range"),
        ("p.X125_splice", "not an HGVS protein change"),
        ("25E..329>25G..94", "brief-predictions"),
        ("746ELREA750>746-", "not a bcftools csq amino-acid change"),
        ("790T>790X", "unknown 1-letter codes"),
        ("23E*K>23V", "a stop can only end"),
        ("770D>770GD", "the residue before the insertion is not given"),
    ],
)
def test_errors_name_the_text(text: str, why: str) -> None:
    with pytest.raises(ProteinNotationError) as caught:
        parse_protein_change(text)
    message = str(caught.value)
    assert message.startswith(f"cannot read protein change {text!r}: ")
    assert why in message
    assert try_parse_protein_change(text) is None


def test_protein_notation_error_is_value_error() -> None:
    with pytest.raises(ValueError, match="garbage"):
        parse_protein_change("garbage")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("G12", ("G", 12)),
        ("Gly12", ("G", 12)),
        ("p.G12", ("G", 12)),
        ("T790", ("T", 790)),
        ("Ter1864", ("*", 1864)),
        ("*1864", ("*", 1864)),
    ],
)
def test_parse_codon(text: str, expected: tuple[str, int]) -> None:
    assert parse_codon(text) == expected


@pytest.mark.parametrize("text", ["", "12", "G", "gly12", "G12C", "Gly", "G0", "GG12"])
def test_parse_codon_errors(text: str) -> None:
    with pytest.raises(ProteinNotationError, match=r"cannot read codon"):
        parse_codon(text)


def test_invalid_values_are_refused() -> None:
    with pytest.raises(ValueError, match="not positive"):
        ProteinChange(ChangeKind.SUBSTITUTION, "T", 0, None, None, "M")
    with pytest.raises(ValueError, match="not after start"):
        ProteinChange(ChangeKind.DELETION, "E", 750, "A", 746, "")
    with pytest.raises(ValueError, match="unknown 1-letter codes"):
        ProteinChange(ChangeKind.SUBSTITUTION, "T", 790, None, None, "m")


# --- properties ----------------------------------------------------------------------------

# Residues that survive every notation; 'X' (Xaa) is left out because one-letter X reads as a
# stop, so a change holding an unknown residue only round-trips through `hgvs`.
RESIDUES = sorted(set(ONE_TO_THREE) - {"*", "X"})
residue = st.sampled_from(RESIDUES)
position = st.integers(min_value=2, max_value=40_000)
sequence = st.text(alphabet=[*RESIDUES, "*"], min_size=1, max_size=6)


@st.composite
def spans(draw: st.DrawFn) -> tuple[str, int, str, int]:
    start = draw(position)
    return draw(residue), start, draw(residue), start + draw(st.integers(1, 30))


@st.composite
def protein_changes(draw: st.DrawFn) -> ProteinChange:
    """Valid ProteinChange values in their normalized form."""
    kind = draw(st.sampled_from(ChangeKind))
    ref = draw(residue)
    start = draw(position)
    ranged = draw(st.booleans())
    if kind is ChangeKind.SUBSTITUTION:
        alt = draw(residue.filter(lambda aa: aa != ref))
        return ProteinChange(kind, ref, start, None, None, alt)
    if kind is ChangeKind.NONSENSE:
        return ProteinChange(kind, ref, start, None, None, "*")
    if kind is ChangeKind.FRAMESHIFT:
        alt = draw(st.sampled_from(["", *RESIDUES]).filter(lambda aa: aa != ref))
        stop = draw(st.none() | st.integers(2, 5_000))
        return ProteinChange(kind, ref, start, None, None, alt, stop)
    if kind is ChangeKind.EXTENSION:
        if draw(st.booleans()):
            return ProteinChange(kind, "M", 1, None, None, "", -draw(st.integers(1, 500)))
        alt = draw(st.sampled_from(["", *RESIDUES]))
        return ProteinChange(kind, "*", start, None, None, alt, draw(st.none() | position))
    if kind is ChangeKind.START_LOST:
        return ProteinChange(kind, "M", 1, None, None, draw(st.sampled_from(["", "*", "V", "I"])))
    if kind is ChangeKind.INSERTION:
        return ProteinChange(kind, ref, start, draw(residue), start + 1, draw(sequence))
    if ranged:
        first, start, last, end = draw(spans())
        alt = draw(sequence) if kind is ChangeKind.DELINS else ""
        return ProteinChange(kind, first, start, last, end, alt)
    if kind is ChangeKind.DELINS:
        return ProteinChange(
            kind, ref, start, None, None, draw(sequence.filter(lambda s: len(s) > 1))
        )
    # SYNONYMOUS, DELETION, DUPLICATION of one residue
    return ProteinChange(kind, ref, start, None, None, "")


@settings(max_examples=200, deadline=None)
@given(protein_changes())
def test_normalized_forms_round_trip(change: ProteinChange) -> None:
    assert parse_protein_change(change.short) == change
    assert parse_protein_change(change.hgvs) == change
    assert parse_protein_change(f"ENSP00000275493.2:{change.hgvs}") == change
    assert parse_protein_change(f"p.({change.short})") == change


notation_like = st.from_regex(
    r"\A(ENSP0+1\.2:)?(p\.)?\(?[A-Z*][a-z]{0,2}[0-9]{0,5}"
    r"(_[A-Z][a-z]{0,2}[0-9]{1,5})?(del|dup|ins|delins|fs|ext|=|\?|[A-Z*]|Ter|-)*"
    r"[A-Za-z*?0-9%>.]{0,6}\)?\Z",
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40) | notation_like)
def test_try_parse_never_raises(text: str) -> None:
    change = try_parse_protein_change(text)
    if change is not None:
        assert parse_protein_change(change.hgvs) == change
        if "X" not in change.short:  # one-letter X reads as a stop, see RESIDUES
            assert parse_protein_change(change.short) == change


legacy_like = st.from_regex(
    r"\A(p\.)?([0-9]{1,4}_[0-9]{1,4}(ins[A-Z*]{0,8}|[A-Z*]{0,5}>[A-Z*]{0,8})"
    r"|([A-Z]{1,4}|-)[0-9]{1,4}(fs|del))\Z"
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | notation_like | legacy_like)
def test_legacy_try_parse_never_raises(text: str) -> None:
    """Any text, and many in the older TCGA forms: None or a change whose HGVS form reads
    back to it (X, the unknown residue, is written Xaa there)."""
    change = try_parse_protein_change(text, legacy=True)
    if change is not None:
        assert parse_protein_change(change.hgvs) == change


# --- the short cut for the usual 3-letter substitution ----------------------------------------

_CODES = st.sampled_from([*THREE_TO_ONE, "Abc", "Xyz", "Thr ", "thr", "THR", "Te"])


def _outcome(text: str) -> ProteinChange | str:
    try:
        return parse_protein_change(text)
    except ProteinNotationError as error:
        return str(error)


@settings(max_examples=400, deadline=None)
@given(
    prefix=st.sampled_from(["", "p.", "ENSP00000275493.2:p.", "p.(", "NP_1.1:"]),
    ref=_CODES,
    position=st.integers(min_value=0, max_value=10**11),
    alt=st.one_of(_CODES, st.just("="), st.just("fs"), st.just("Metext*?")),
)
def test_the_usual_form_reads_as_the_full_parser_reads_it(
    prefix: str, ref: str, position: int, alt: str
) -> None:
    text = f"{prefix}{ref}{position}{alt}" + (")" if prefix.endswith("(") else "")
    found = _outcome(text)
    with patch.object(protein, "_SIMPLE_THREE_LETTER", re.compile(r"(?!)")):
        expected = _outcome(text)
    assert found == expected
    if isinstance(found, ProteinChange):
        assert (found.short, found.hgvs) == (expected.short, expected.hgvs)  # type: ignore[union-attr]


def test_written_forms_are_the_same_when_asked_again() -> None:
    change = parse_protein_change("p.Glu746_Ala750del")
    assert change.short is change.short
    assert (change.short, change.hgvs) == ("E746_A750del", "p.Glu746_Ala750del")
    assert change == parse_protein_change("E746_A750del")


# --- The older TCGA MAF Protein_Change forms (read with legacy=True only) ---------------------
# Each is a value of the maftools TCGA LAML MAF (test_data copy), but the last two rejects.


@pytest.mark.parametrize(
    ("text", "kind", "short"),
    [
        ("p.599_600insDFREYEY", ChangeKind.INSERTION, "X599_X600insDFREYEY"),
        ("p.317_318insM", ChangeKind.INSERTION, "X317_X318insM"),
        ("p.310_311TQ>TKQNPQ", ChangeKind.INSERTION, "T310_Q311insKQNP"),
        ("p.418_419YD>YFFD", ChangeKind.INSERTION, "Y418_D419insFF"),
        ("p.604_604E>EYDLKWE", ChangeKind.INSERTION, "E604_X605insYDLKWE"),
        ("p.595_595R>SRI", ChangeKind.DELINS, "R595delinsSRI"),
        ("p.594_600FREYEYD>Y", ChangeKind.DELINS, "F594_D600delinsY"),
        ("p.307_309NVE>K", ChangeKind.DELINS, "N307_E309delinsK"),
        ("p.WQ288fs", ChangeKind.FRAMESHIFT, "W288fs"),
        ("p.-920fs", ChangeKind.FRAMESHIFT, "X920fs"),
        ("p.SG140del", ChangeKind.DELETION, "S140_G141del"),
        ("p.PPDSHHSR95del", ChangeKind.DELETION, "P95_R102del"),
        # New residues after a stop are not made: dropped.
        ("p.601_602insQRI*I*F", ChangeKind.INSERTION, "X601_X602insQRI*"),
        ("p.599_600YD>YR*FQRI*ID", ChangeKind.DELINS, "D600delinsR*"),
    ],
)
def test_legacy_maf_forms(text: str, kind: ChangeKind, short: str) -> None:
    change = parse_protein_change(text, legacy=True)
    assert (change.kind, change.short) == (kind, short)
    assert try_parse_protein_change(text) is None  # not without legacy: not HGVS
    assert change.adds_stop == ("*" in short)


def test_legacy_insertion_names_no_flanking_residue() -> None:
    change = parse_protein_change("p.599_600insDFREYEY", legacy=True)
    assert (change.start_aa, change.start, change.end_aa, change.end) == ("X", 599, "X", 600)
    assert change.hgvs == "p.Xaa599_Xaa600insAspPheArgGluTyrGluTyr"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("p.599_601insD", "between adjacent residues"),
        ("p.594_600FRE>Y", "3 residues named for the 7 of 594_600"),
        ("p.599_600insDZ", "unknown 1-letter codes 'Z'"),
        ("p.-140del", "the deleted residues are not named"),
    ],
)
def test_legacy_maf_form_errors(text: str, why: str) -> None:
    with pytest.raises(ProteinNotationError, match=re.escape(why)):
        parse_protein_change(text, legacy=True)


def test_legacy_reading_keeps_the_usual_forms() -> None:
    for text in ("p.T790M", "p.E746_A750del", "790T>790M", "p.Gln61Ter"):
        assert parse_protein_change(text, legacy=True) == parse_protein_change(text)
    with pytest.raises(ProteinNotationError, match="not an HGVS protein change"):
        parse_protein_change("p.T790", legacy=True)  # neither form: the usual error


@pytest.mark.parametrize(
    ("text", "kind", "short"),
    [
        # bcftools csq names the residue before an in-frame insertion only (bcftools 1.16 and
        # pysam's copy write 770D>770DG): the one after it is the unknown residue X
        ("770D>770DG", ChangeKind.INSERTION, "D770_X771insG"),
        ("590E>590EYDLKWE", ChangeKind.INSERTION, "E590_X591insYDLKWE"),
        ("770D>770DD", ChangeKind.DUPLICATION, "D770dup"),
        ("769VD>769VDASV", ChangeKind.INSERTION, "D770_X771insASV"),
        ("769VDN>769VDGN", ChangeKind.INSERTION, "D770_N771insG"),
    ],
)
def test_bcsq_insertions(text: str, kind: ChangeKind, short: str) -> None:
    change = parse_protein_change(text)
    assert (change.kind, change.short) == (kind, short)
