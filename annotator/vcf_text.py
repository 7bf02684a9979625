"""The columns of many VCF lines at once, with numpy.

A chunk of VCF text (whole lines) is looked at as one array of bytes (``data``): the lines from
the offsets of its newlines, each line's columns from the offsets of its tabs, numbers read by
Horner's rule one byte column at a time, the lines holding a given text. A line costs a few
vectorised operations, never a Python-level split; what must be done line by line is left to
the few lines that need it.

Used by the text prefilter (:mod:`annotator.prefilter`) and the annotated VCF's fast path
(:mod:`annotator.writers.vcf`). Offsets are into ``data``; a gather past a line's end reads the
next line's bytes (or, past the end of ``data``, its last byte), so each function says what its
results mean for such lines.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

NEWLINE, TAB, CR = 10, 9, 13
_ZERO = np.uint8(48)  # '0'


class Lines(NamedTuple):
    """The lines of a text: offsets of each line's first byte and of its newline (the text's
    end for a last line without one), its first byte (the newline itself when it is empty), and
    which lines are blank: empty or a lone CR, no records (as for htslib)."""

    starts: np.ndarray
    ends: np.ndarray
    first: np.ndarray
    blank: np.ndarray


def split_lines(data: np.ndarray, size: int, *, unterminated: bool = False) -> Lines:
    """The lines of ``data[:size]``, which ends with a newline unless ``unterminated``."""
    ends = np.flatnonzero(data[:size] == NEWLINE)
    if unterminated:
        ends = np.append(ends, size)
    return _lines_ending(data, ends)


def _lines_ending(data: np.ndarray, ends: np.ndarray) -> Lines:
    """The lines ending at ``ends`` (the offsets of their newlines), the first from offset 0."""
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    length = ends - starts
    first = data[starts]
    blank = (length == 0) | ((length == 1) & (first == CR))
    return Lines(starts, ends, first, blank)


def split_columns(
    data: np.ndarray, size: int, count: int, *, unterminated: bool = False
) -> tuple[Lines, np.ndarray, list[np.ndarray]]:
    """The lines of ``data[:size]`` (as :func:`split_lines`), how many tabs each holds, and
    the offsets of each line's first ``count`` tabs: what :func:`split_lines` and then
    :func:`find_tabs` give for every line, from one pass over the bytes (tabs and newlines
    are found together, so a line's tabs are those between its newline and the one before).

    Past a line's last tab, its "tabs" lie at its end or beyond (at most the text's end): look
    at the count before using them.
    """
    # Tabs and newlines, in order: the bytes up to a newline (one comparison, not two), less
    # the control characters below a tab, which a VCF should not hold.
    breaks = np.flatnonzero(data[:size] <= NEWLINE)
    kinds = data[breaks]
    if len(kinds) and kinds.min() < TAB:
        breaks = breaks[kinds >= TAB]
        kinds = data[breaks]
    newlines = np.flatnonzero(kinds == NEWLINE)  # indexes into ``breaks``
    if unterminated:
        newlines = np.append(newlines, len(breaks))
        ends = np.append(breaks[newlines[:-1]], size)
    else:
        ends = breaks[newlines]
    first_tab = np.empty_like(newlines)
    first_tab[:1] = 0
    first_tab[1:] = newlines[:-1] + 1
    counts = newlines - first_tab
    # Past the last break: the text's end. Only the last lines get there: ``first_tab`` grows.
    columns = []
    for column in range(count):
        inside = int(np.searchsorted(first_tab, len(breaks) - column, side="left"))
        offsets = np.full(len(first_tab), size, dtype=breaks.dtype)
        offsets[:inside] = breaks[first_tab[:inside] + column]
        columns.append(offsets)
    return _lines_ending(data, ends), counts, columns


def find_tabs(
    data: np.ndarray, size: int, starts: np.ndarray, count: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """How many tabs each line holds, and the offsets of its first ``count`` tabs.

    ``starts`` are lines of ``data[:size]`` in order, the last ending at ``size``; lines left
    out between them must hold no tab (blank lines). The tab count of a line is that of the
    text from its start to the next one's. Past a line's last tab, its "tabs" are those of the
    lines after it, then ``size``: look at the count before using them.
    """
    tabs = np.flatnonzero(data[:size] == TAB)
    first_tab = np.searchsorted(tabs, starts)
    counts = np.empty_like(first_tab)
    counts[:-1] = first_tab[1:] - first_tab[:-1]
    counts[-1:] = len(tabs) - first_tab[-1:]
    tabs = np.concatenate((tabs, np.full(count, size, dtype=tabs.dtype)))
    return counts, [tabs[first_tab + column] for column in range(count)]


def read_numbers(
    data: np.ndarray, start: np.ndarray, end: np.ndarray, *, digits: int, leading_zero: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The decimal numbers in ``data[start:end]`` of each line, read by Horner's rule, and
    whether each is readable: 1 to ``digits`` digits (at most 18: an int64 holds them), and
    not starting with 0 unless ``leading_zero``. A value is meaningful only where readable.

    The callers differ on purpose: a reader's ``int()`` reads any run of digits, tabix's
    ``strtoll(s, 0)`` reads a leading 0 as octal.
    """
    width = end - start
    readable = (width >= 1) & (width <= digits)
    reach = int(width[readable].max()) if readable.any() else 0
    column = _Column(data, start, reach)
    if not leading_zero and reach:
        readable &= column.at(0) != _ZERO
    value = np.zeros(len(start), dtype=np.int64)
    for offset in range(reach):
        inside = offset < width
        digit = column.at(offset) - _ZERO  # wraps around below '0'
        readable &= ~inside | (digit <= 9)
        value = np.where(inside, value * 10 + digit, value)
    return value, readable


def count_byte(data: np.ndarray, start: np.ndarray, end: np.ndarray, byte: int) -> np.ndarray:
    """How many times ``byte`` occurs in ``data[start:end]`` of each line: every byte of the
    spans is gathered into one array (for short spans: their total size is held at once)."""
    width = end - start
    if not len(start):
        return np.zeros(0, dtype=np.int64)
    # The offset of each byte of the spans, span after span, and the span it belongs to.
    before = np.cumsum(width) - width
    owner = np.repeat(np.arange(len(start)), width)
    offsets = np.arange(int(before[-1] + width[-1])) + np.repeat(start - before, width)
    return np.bincount(owner[data[offsets] == byte], minlength=len(start))


def find_runs(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Iterator[tuple[int, int]]:
    """(begin, end) index ranges of consecutive lines with the same bytes in [start, end): the
    runs of records of one chromosome, given the CHROM columns."""
    if not len(starts):
        return iter(())
    width = ends - starts
    changed = width[1:] != width[:-1]
    narrowest, widest = int(width.min()), int(width.max())
    column = _Column(data, starts, widest)
    for offset in range(widest):
        byte = column.at(offset)
        differ = byte[1:] != byte[:-1]
        if offset >= narrowest:
            # Past some lines' end: compare inside only (two lines of one width are both inside
            # or both past it; lines of unequal width differ already).
            differ &= offset < width[1:]
        changed |= differ
    return itertools.pairwise([0, *(np.flatnonzero(changed) + 1).tolist(), len(starts)])


class _Column:
    """The bytes at ``starts + offset`` for offsets below ``reach``: past the end of ``data``,
    its last byte (clamped only when some start lies that close to the end)."""

    def __init__(self, data: np.ndarray, starts: np.ndarray, reach: int) -> None:
        self.data = data
        self.starts = starts
        self.last = len(data) - 1
        self.clamp = bool(len(starts)) and int(starts.max()) + reach - 1 > self.last

    def at(self, offset: int) -> np.ndarray:
        where = self.starts + offset
        byte: np.ndarray = self.data[np.minimum(where, self.last) if self.clamp else where]
        return byte


def find_all(text: bytes, data: np.ndarray, needle: bytes) -> np.ndarray:
    """The offsets of ``needle`` in ``data`` (``text`` holds the same bytes, or more). One byte
    is looked for with ``bytes.find`` (memchr: fastest for the rare bytes it is used for), a
    longer needle by comparing bytes with numpy (faster than ``bytes.find`` for one)."""
    if len(needle) == 1:
        places = []
        at = text.find(needle, 0, len(data))
        while at != -1:
            places.append(at)
            at = text.find(needle, at + 1, len(data))
        return np.array(places, dtype=np.int64)
    hits = np.flatnonzero(data[: max(len(data) - len(needle) + 1, 0)] == needle[0])
    for offset in range(1, len(needle)):
        hits = hits[data[hits + offset] == needle[offset]]
    return hits


def find_words(text: bytes, size: int, words: tuple[bytes, ...]) -> np.ndarray:
    """The offsets in ``text[:size]`` of every occurrence of each of ``words``, found with
    ``bytes.find`` (CPython's fast search: over twice the speed of one regular expression of
    them all)."""
    places: list[int] = []
    add = places.append
    find = text.find
    for word in dict.fromkeys(words):
        at = find(word, 0, size)
        while at != -1:
            add(at)
            at = find(word, at + 1, size)
    return np.array(places, dtype=np.int64)


def innermost(words: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Those of ``words`` that hold no other: a text holds one of ``words`` if and only if it
    holds one of these (what :func:`lines_holding` asks), which are fewer to look for."""
    return tuple(
        word for word in words if not any(other != word and other in word for other in words)
    )


def lines_holding(
    places: np.ndarray,
    starts: np.ndarray,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
) -> np.ndarray:
    """Which lines hold one of ``places`` (offsets in the text): anywhere, or between their
    ``low`` and ``high`` offsets (a column's start and end)."""
    found = np.zeros(len(starts), dtype=bool)
    if len(places):
        lines = np.searchsorted(starts, places, side="right") - 1
        if low is not None and high is not None:
            lines = lines[(places >= low[lines]) & (places < high[lines])]
        found[lines] = True
    return found
