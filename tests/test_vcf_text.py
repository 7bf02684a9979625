"""The columns of many VCF lines at once (``annotator.vcf_text``) against a line-by-line reading of
the same text."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from annotator import vcf_text

LINES = st.lists(st.text("ab\t\r#", max_size=12).map(str.encode), min_size=1, max_size=30)


def as_data(text: bytes) -> np.ndarray:
    return np.frombuffer(text, dtype=np.uint8)


def offsets(lines: list[bytes]) -> list[int]:
    """Where each of ``lines`` starts in their text joined with newlines."""
    return list(itertools.accumulate((len(line) + 1 for line in lines), initial=0))[: len(lines)]


@given(lines=LINES, unterminated=st.booleans())
def test_split_lines(lines: list[bytes], unterminated: bool) -> None:
    text = b"\n".join(lines) + (b"" if unterminated else b"\n")
    if unterminated and not lines[-1]:
        text += b"x"  # a last line without newline is not empty
        lines[-1] = b"x"
    found = vcf_text.split_lines(as_data(text + b"\n\t\n"), len(text), unterminated=unterminated)
    starts = offsets(lines)
    assert found.starts.tolist() == starts
    assert found.ends.tolist() == [
        start + len(line) for start, line in zip(starts, lines, strict=True)
    ]
    assert found.first.tolist() == [text[start] for start in starts]
    assert found.blank.tolist() == [line in (b"", b"\r") for line in lines]


@given(lines=LINES, count=st.integers(1, 5))
def test_find_tabs(lines: list[bytes], count: int) -> None:
    text = b"\n".join(lines) + b"\n"
    starts = offsets(lines)
    tabs, columns = vcf_text.find_tabs(as_data(text + b"\t\t"), len(text), np.array(starts), count)
    assert tabs.tolist() == [line.count(b"\t") for line in lines]
    assert len(columns) == count
    for number, (start, line) in enumerate(zip(starts, lines, strict=True)):
        inside = [start + at for at, byte in enumerate(line) if byte == 9]
        for column, offset in enumerate(columns):
            if column < len(inside):
                assert offset[number] == inside[column]
            else:  # past the line's last tab: beyond its end, at most the text's end
                assert start + len(line) < offset[number] <= len(text)


def test_find_tabs_leaves_out_blank_lines() -> None:
    text = b"1\t2\t3\n\n\r\n4\t5\n"
    tabs, (first, second) = vcf_text.find_tabs(as_data(text), len(text), np.array([0, 9]), 2)
    assert tabs.tolist() == [2, 1]
    assert first.tolist() == [1, 10]
    assert second.tolist() == [3, len(text)]


FIELDS = st.one_of(
    st.integers(0, 10**19).map(lambda number: str(number).encode()),
    st.text("0123456789:/x-+ ", max_size=20).map(str.encode),  # ':' and '/' around the digits
)


@given(
    fields=st.lists(FIELDS, min_size=1, max_size=20),
    digits=st.sampled_from([9, 18]),
    leading_zero=st.booleans(),
)
def test_read_numbers(fields: list[bytes], digits: int, leading_zero: bool) -> None:
    text = b"\t".join(fields)  # the last field ends the data: no byte to read past it
    starts = np.array(offsets(fields))
    ends = starts + np.array([len(field) for field in fields])
    values, readable = vcf_text.read_numbers(
        as_data(text), starts, ends, digits=digits, leading_zero=leading_zero
    )
    for field, value, ok in zip(fields, values.tolist(), readable.tolist(), strict=True):
        expected = (
            field.isdigit()
            and len(field) <= digits
            and (leading_zero or not field.startswith(b"0"))
        )
        assert ok == expected, field
        if ok:
            assert value == int(field)


@given(fields=st.lists(st.text("A,C", max_size=12).map(str.encode), min_size=1, max_size=20))
def test_count_byte(fields: list[bytes]) -> None:
    text = b"\t".join(fields)  # the last field ends the data: no byte to read past it
    starts = np.array(offsets(fields), dtype=np.int64)
    ends = starts + np.array([len(field) for field in fields], dtype=np.int64)
    found = vcf_text.count_byte(as_data(text), starts, ends, ord(","))
    assert found.tolist() == [field.count(b",") for field in fields]


CHROMS = st.sampled_from([b"1", b"chr1", b"chr10", b"chr2", b"chrUn_gl000220", b"HLA-A*01:01"])


@given(chroms=st.lists(CHROMS, max_size=30))
def test_find_runs(chroms: list[bytes]) -> None:
    lines = [chrom + b"\t" + b"123456789"[: len(chrom) % 7] for chrom in chroms]
    text = b"\n".join(lines)  # no newline after the last: gathers must stay inside
    starts = np.array(offsets(lines), dtype=np.int64)
    ends = starts + np.array([len(chrom) for chrom in chroms], dtype=np.int64)
    runs = list(vcf_text.find_runs(as_data(text), starts, ends))
    expected = []
    at = 0
    for _chrom, group in itertools.groupby(chroms):
        size = len(list(group))
        expected.append((at, at + size))
        at += size
    assert runs == expected


@example(text=b"<A<END=", needle=b"END=", extra=0)  # at the very end of the data
@example(text=b"<A<END=", needle=b"<", extra=0)
@given(
    text=st.text("AEND=;<\n", max_size=200).map(str.encode),
    needle=st.sampled_from([b"<", b"E", b"END=", b"NN", b"=;"]),
    extra=st.integers(0, 4),
)
def test_find_all(text: bytes, needle: bytes, extra: int) -> None:
    """Every (overlapping) occurrence in ``data``, none in the text past it."""
    data = as_data(text)[: max(len(text) - extra, 0)]
    expected = [at for at in range(len(data)) if text.startswith(needle, at)]
    expected = [at for at in expected if at + len(needle) <= len(data)]
    assert vcf_text.find_all(text, data, needle).tolist() == expected


def test_lines_holding() -> None:
    starts = np.array([0, 10, 20, 30])
    places = np.array([3, 12, 13, 29, 35])
    assert vcf_text.lines_holding(places, starts).tolist() == [True, True, True, True]
    low, high = np.array([0, 13, 21, 30]), np.array([3, 20, 29, 40])
    assert vcf_text.lines_holding(places, starts, low, high).tolist() == [False, True, False, True]
    assert vcf_text.lines_holding(np.array([], dtype=np.int64), starts).tolist() == [False] * 4


@pytest.mark.parametrize("unterminated", [False, True])
def test_a_text_of_one_line(unterminated: bool) -> None:
    text = b"chr1\t5" + (b"" if unterminated else b"\n")
    lines = vcf_text.split_lines(as_data(text), len(text), unterminated=unterminated)
    assert (lines.starts.tolist(), lines.ends.tolist()) == ([0], [6])
    tabs, (tab,) = vcf_text.find_tabs(as_data(text), len(text), lines.starts, 1)
    assert (tabs.tolist(), tab.tolist()) == ([1], [4])
    value, ok = vcf_text.read_numbers(
        as_data(text), tab + 1, lines.ends, digits=9, leading_zero=False
    )
    assert (value.tolist(), ok.tolist()) == ([5], [True])


@given(lines=LINES, count=st.integers(1, 5), unterminated=st.booleans())
@example(lines=[b"a\x01\tb", b"\x00"], count=2, unterminated=False)
def test_split_columns_is_split_lines_then_find_tabs(
    lines: list[bytes], count: int, unterminated: bool
) -> None:
    text = b"\n".join(lines) + (b"" if unterminated else b"\n")
    if unterminated and not lines[-1]:
        text += b"x"  # a last line without newline is not empty
        lines[-1] = b"x"
    data = as_data(text + b"\t\n\t")  # bytes past the text must not count
    found, tabs, columns = vcf_text.split_columns(data, len(text), count, unterminated=unterminated)
    expected = vcf_text.split_lines(data, len(text), unterminated=unterminated)
    for mine, theirs in zip(found, expected, strict=True):
        assert mine.tolist() == theirs.tolist()
    assert tabs.tolist() == [line.count(b"\t") for line in lines]
    assert len(columns) == count
    for number, (start, line) in enumerate(zip(found.starts.tolist(), lines, strict=True)):
        inside = [start + at for at, byte in enumerate(line) if byte == 9]
        for column, offset in enumerate(columns):
            if column < len(inside):
                assert offset[number] == inside[column]
            else:  # past the line's last tab: at its end or beyond, at most the text's end
                assert start + len(line) <= offset[number] <= len(text)
