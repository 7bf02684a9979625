"""Building a tabix index (``.tbi``) for a BGZF VCF as htslib's ``tbx_index`` does, and
reading the sequence names of one (:func:`sequence_names`).

The index is built from each record's chromosome, interval and place in the text, handed over
in batches while the file is written (:class:`TabixBuilder`), and comes out byte for byte equal
to the one ``tabix -p vcf`` (htslib 1.x, ``pysam.tabix_index``) builds from the same file:

* a record's interval is POS to POS + len(REF) - 1, or to its INFO/END unless that lies before
  POS, INFO/END read as htslib's ``tbx_parse1`` reads it (:func:`tabix_end`: C's ``strtoll``
  in base 0; ``.`` is no END);
* the binning scheme and the 16 kb linear index of the SAMv1 specification (section 5, "Indexing
  BAM"), with min_shift 14 and 5 levels (``hts_reg2bin``), and the TBI layout of the hts-specs
  tabix document (``TBI\1``, the VCF preset configuration, the sequence names);
* chunks of consecutive records in one bin (``hts_idx_push``); per chromosome the metadata
  pseudo-bin 37450 (first and last offset, records, 0) (``hts_idx_finish``); bins whose chunks
  span less than 64 KiB of compressed file merged into their parent, deepest level first, and
  chunks joined where one ends in the block the next starts in (``compress_binning``); an empty
  window of the linear index given the offset of the next one (``update_loff``).
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

_MIN_SHIFT = 14  # tabix: 16 kb windows of the linear index
_LEVELS = 5  # tabix: levels of the binning scheme below the root
_BIN_COUNT = ((1 << (3 * _LEVELS + 3)) - 1) // 7  # 37449 bins; one more is the metadata bin
_META_BIN = _BIN_COUNT + 1
#: The largest coordinate a .tbi can hold (2^29).
MAX_POSITION = 1 << (_MIN_SHIFT + 3 * _LEVELS)
_MARKER_DISTANCE = 0x10000  # htslib merges a bin into its parent when its chunks span less
_TBX_VCF = (2, 1, 2, 0, ord("#"), 0)  # tabix configuration: preset, sc, bc, ec, meta, skip
_INFO_COLUMN = 7


def sequence_names(index: Path) -> list[str] | None:
    """The sequence names a tabix index (``.tbi``, or a ``.csi`` with tabix's header, as
    ``tabix -C`` writes for a VCF.gz) lists, in its order: htslib numbers a sequence when its
    first record is indexed, so this is the order of the file's records. None for another
    index (a BCF's ``.csi`` has no names) or one that cannot be read. Reads only the index's
    first bytes, not its bins (pysam's TabixFile loads it whole: 30-40 ms for 5M records)."""
    try:
        with gzip.open(index, "rb") as handle:
            magic = handle.read(4)
            if magic == b"TBI\x01":
                (count,) = struct.unpack("<i", handle.read(4))
            elif magic == b"CSI\x01":
                _shift, _depth, aux = struct.unpack("<3i", handle.read(12))
                if aux < 28:
                    return None
                count = None  # the names end where the aux data does
            else:
                return None
            *_config, length = struct.unpack("<7i", handle.read(28))
            names = handle.read(length).split(b"\0")
    except (OSError, EOFError, struct.error, zlib.error):
        return None
    listed = names[:count] if count is not None else [name for name in names if name]
    try:
        return [name.decode() for name in listed]
    except UnicodeDecodeError:
        return None


def tabix_end(line: bytes) -> int | None:
    """The INFO/END of a record as tabix (htslib ``tbx_parse1``) reads it, or None."""
    columns = line.rstrip(b"\r\n").split(b"\t", _INFO_COLUMN + 1)
    if len(columns) <= _INFO_COLUMN:
        return None
    info = columns[_INFO_COLUMN]
    at = info.find(b"END=")
    if at == -1:
        return None
    if at == 0:
        value = info[4:]
    else:
        at = info.find(b";END=")
        if at == -1:
            return None
        value = info[at + 5 :]
    if value.startswith(b"."):
        return None
    return _strtoll(value)


_SPACE = b" \t\n\v\f\r"


def _strtoll(text: bytes) -> int:
    """C's ``strtoll(text, NULL, 0)``: leading space, a sign, 0x for hex, 0 for octal."""
    text = text.lstrip(_SPACE)
    sign = 1
    if text[:1] in (b"+", b"-"):
        sign = -1 if text[:1] == b"-" else 1
        text = text[1:]
    base, digits = 10, b"0123456789"
    if text[:2].lower() == b"0x" and text[2:3].lower() in b"0123456789abcdef" and text[2:3]:
        base, digits, text = 16, b"0123456789abcdef", text[2:]
    elif text[:1] == b"0":
        base, digits = 8, b"01234567"
    count = 0
    while count < len(text) and text[count : count + 1].lower() in digits:
        count += 1
    value = sign * int(text[:count], base) if count else 0
    return max(min(value, (1 << 63) - 1), -(1 << 63))


class TabixBuilder:
    """A tabix index (.tbi) of the output, built as htslib's ``tbx_index`` builds it from the
    records' chromosome, interval and place in the output text (``hts_idx_push``,
    ``hts_idx_finish``: chunks of records in one bin, the 16 kb linear index, the metadata
    pseudo-bin; bins whose chunks span less than 64 KiB of compressed file merged into their
    parent, adjacent chunks joined)."""

    def __init__(self) -> None:
        self._names: dict[bytes, int] = {}
        self._runs: list[tuple[Any, Any, Any]] = []  # (tid, bin, start) of each run of records
        self._windows: list[tuple[Any, Any]] = []  # (tid << 32 | window, start) pairs
        self._counts: list[int] = []  # records of each chromosome
        self._spans: list[int] = []  # linear index length of each chromosome
        self._last: tuple[int, int] = (-1, -1)  # tid and bin of the last record
        self._end = 0  # where the last record ends in the output text

    def start(self, offset: int) -> None:
        """The records start at ``offset`` of the output text (after the header)."""
        self._end = offset

    def tid(self, name: bytes) -> int:
        tid = self._names.setdefault(name, len(self._names))
        if tid == len(self._counts):
            self._counts.append(0)
            self._spans.append(0)
        return tid

    def add(self, tids: Any, begins: Any, stops: Any, ends: Any) -> None:
        """Records in file order: chromosome numbers, 0-based begin, end, end in the output."""
        starts = np.empty_like(ends)
        starts[0] = self._end
        starts[1:] = ends[:-1]
        bins = _reg2bin(begins, stops)
        new = np.empty(len(tids), dtype=bool)
        new[0] = (int(tids[0]), int(bins[0])) != self._last
        new[1:] = (tids[1:] != tids[:-1]) | (bins[1:] != bins[:-1])
        self._runs.append((tids[new], bins[new], starts[new]))
        self._last, self._end = (int(tids[-1]), int(bins[-1])), int(ends[-1])
        low, high = begins >> _MIN_SHIFT, (stops - 1) >> _MIN_SHIFT
        single = low == high
        keys = (tids[single] << 32) | low[single]
        unique, first = np.unique(keys, return_index=True)  # the first record of each window
        self._windows.append((unique, starts[single][first]))
        for row in np.flatnonzero(~single).tolist():
            windows = np.arange(int(low[row]), int(high[row]) + 1, dtype=np.int64)
            self._windows.append(
                ((int(tids[row]) << 32) | windows, np.full_like(windows, starts[row]))
            )
        for tid, count in zip(*np.unique(tids, return_counts=True), strict=True):
            self._counts[int(tid)] += int(count)
            rows = tids == tid
            self._spans[int(tid)] = max(self._spans[int(tid)], int(high[rows].max()) + 1)

    def finish(self, final: int, layout: tuple[list[int], list[int]]) -> bytes:
        """The .tbi (uncompressed) once the output is written: ``final`` is the output text's
        length, ``layout`` the blocks' text and file starts (``BlockWriter.layout``)."""
        text_starts, file_starts = (np.array(values, dtype=np.int64) for values in layout)

        def virtual(offsets: Any) -> Any:
            block = np.searchsorted(text_starts, offsets, side="right") - 1
            return (file_starts[block] << 16) | (offsets - text_starts[block])

        names = b"".join(name + b"\0" for name in self._names)
        parts = [struct.pack("<4si6ii", b"TBI\x01", len(self._names), *_TBX_VCF, len(names))]
        parts.append(names)
        if self._runs:
            tids, bins, starts = (np.concatenate(part) for part in zip(*self._runs, strict=True))
            # A chunk per run of records in one bin: from the run's start to the next run's.
            begins, ends = virtual(starts), virtual(np.append(starts[1:], final))
            chromosomes = np.arange(len(self._names))
            meta_begins = begins[np.searchsorted(tids, chromosomes)]
            meta_ends = ends[np.searchsorted(tids, chromosomes, side="right") - 1]
            tids, bins, begins, ends = _compress_bins(tids, bins, begins, ends)
            window_keys, window_offsets = self._first_in_windows(virtual)
            chunk_bounds = np.searchsorted(tids, np.arange(len(self._names) + 1))
            window_bounds = np.searchsorted(window_keys >> 32, np.arange(len(self._names) + 1))
            for tid in range(len(self._names)):
                chunks = slice(chunk_bounds[tid], chunk_bounds[tid + 1])
                windows = slice(window_bounds[tid], window_bounds[tid + 1])
                parts.append(
                    _chromosome_index(
                        bins[chunks],
                        begins[chunks],
                        ends[chunks],
                        (int(meta_begins[tid]), int(meta_ends[tid]), self._counts[tid], 0),
                        self._spans[tid],
                        window_keys[windows] & 0xFFFFFFFF,
                        window_offsets[windows],
                    )
                )
        parts.append(struct.pack("<Q", 0))  # records without a position
        return b"".join(parts)

    def _first_in_windows(self, virtual: Callable[[Any], Any]) -> tuple[Any, Any]:
        """(tid << 32 | window) of every 16 kb window a record touches, sorted, and the virtual
        offset of the first record touching it."""
        keys = np.concatenate([keys for keys, _starts in self._windows])
        starts = np.concatenate([starts for _keys, starts in self._windows])
        order = np.lexsort((starts, keys))
        keys, starts = keys[order], starts[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        return keys[first], virtual(starts[first])


def _chromosome_index(
    bins: Any,
    begins: Any,
    ends: Any,
    meta: tuple[int, int, int, int],
    size: int,
    windows: Any,
    offsets: Any,
) -> bytes:
    """One chromosome of a .tbi: its bins (sorted by number; ``bins``, ``begins``, ``ends``
    are the chunks, sorted by bin), the metadata pseudo-bin (first and last offset, records,
    0), and the linear index of ``size`` windows: each the offset of the first record touching
    it, or of the next window's (htslib's ``update_loff``; the last window has a record)."""
    new_bin = np.ones(len(bins), dtype=bool)
    new_bin[1:] = bins[1:] != bins[:-1]
    firsts = np.flatnonzero(new_bin)
    groups = np.cumsum(new_bin) - 1
    counts = np.diff(np.append(firsts, len(bins)))
    column = np.zeros(size, dtype=np.int64)
    column[windows] = offsets
    known = np.zeros(size, dtype=bool)
    known[windows] = True
    following = np.minimum.accumulate(np.where(known, np.arange(size), size)[::-1])[::-1]
    # Every field is 4 or 8 bytes: build 32-bit words, a 64-bit value as (low, high).
    meta_at = 1 + 2 * len(firsts) + 4 * len(bins)
    words = np.zeros(meta_at + 10 + 1 + 2 * size, dtype=np.uint32)
    words[0] = len(firsts) + 1
    heads = 1 + 2 * np.arange(len(firsts)) + 4 * firsts
    words[heads] = bins[firsts]
    words[heads + 1] = counts
    at = 1 + 2 * groups + 4 * np.arange(len(bins)) + 2
    words[at], words[at + 1] = begins & 0xFFFFFFFF, begins >> 32
    words[at + 2], words[at + 3] = ends & 0xFFFFFFFF, ends >> 32
    words[meta_at], words[meta_at + 1] = _META_BIN, 2
    for index, value in enumerate(meta):
        words[meta_at + 2 + 2 * index] = value & 0xFFFFFFFF
        words[meta_at + 3 + 2 * index] = value >> 32
    words[meta_at + 10] = size
    linear = column[following]
    words[meta_at + 11 :: 2], words[meta_at + 12 :: 2] = linear & 0xFFFFFFFF, linear >> 32
    return words.astype("<u4").tobytes()


def _reg2bin(begins: Any, stops: Any) -> Any:
    """htslib's ``hts_reg2bin`` for 0-based half-open intervals, min_shift 14, 5 levels."""
    last = stops - 1
    bins = np.zeros(len(begins), dtype=np.int64)
    done = np.zeros(len(begins), dtype=bool)
    for level in range(_LEVELS, 0, -1):
        shift = _MIN_SHIFT + 3 * (_LEVELS - level)
        same = ~done & ((begins >> shift) == (last >> shift))
        bins[same] = _bin_first(level) + (begins[same] >> shift)
        done |= same
    return bins


def _bin_first(level: int) -> int:
    return ((1 << (3 * level)) - 1) // 7


def _compress_bins(tids: Any, bins: Any, begins: Any, ends: Any) -> tuple[Any, Any, Any, Any]:
    """htslib's ``compress_binning`` on chunks given in file order: a bin whose chunks lie
    within 64 KiB of compressed file moves into its parent bin when there is one, deepest level
    first; then, bin by bin, chunks that end in the block the next one starts in are joined.
    Returns the chunks sorted by chromosome, bin and offset. (Chunks never overlap: the chunk
    with the last start has the last end.)"""
    bins = bins.copy()
    keys = (tids << 16) | bins
    existing = np.sort(keys)  # no bin is created on the way: parents exist from the start
    for level in range(_LEVELS, 0, -1):
        at = np.flatnonzero((bins >= _bin_first(level)) & (bins < _bin_first(level + 1)))
        if not len(at):
            continue
        at = at[np.argsort(keys[at], kind="stable")]
        group_keys = keys[at]
        new = np.ones(len(at), dtype=bool)
        new[1:] = group_keys[1:] != group_keys[:-1]
        firsts = np.flatnonzero(new)
        span = (np.maximum.reduceat(ends[at], firsts) >> 16) - (
            np.minimum.reduceat(begins[at], firsts) >> 16
        )
        own = group_keys[firsts]
        parents = (own & ~0xFFFF) | (((own & 0xFFFF) - 1) >> 3)
        found = np.minimum(np.searchsorted(existing, parents), len(existing) - 1)
        move = (span < _MARKER_DISTANCE) & (existing[found] == parents)
        moved = at[move[np.cumsum(new) - 1]]
        bins[moved] = (bins[moved] - 1) >> 3
        keys[moved] = (tids[moved] << 16) | bins[moved]
    order = np.lexsort((begins, keys))
    tids, bins, begins, ends, keys = (
        tids[order],
        bins[order],
        begins[order],
        ends[order],
        keys[order],
    )
    new = np.ones(len(keys), dtype=bool)
    new[1:] = (keys[1:] != keys[:-1]) | ((ends[:-1] >> 16) < (begins[1:] >> 16))
    firsts = np.flatnonzero(new)
    return tids[firsts], bins[firsts], begins[firsts], np.maximum.reduceat(ends, firsts)


@dataclass
class RecordOrder:
    """Tracks whether records are sorted as tabix needs: chromosome blocks, rising POS."""

    chrom: bytes = b""
    pos: int = 0
    finished: set[bytes] = field(default_factory=set)

    def check(self, chrom: bytes, pos: int) -> str | None:
        """Why this record breaks the order, or None."""
        if chrom == self.chrom:
            if pos < self.pos:
                return f"position {pos} on {chrom.decode(errors='replace')} follows {self.pos}"
            self.pos = pos
            return None
        if chrom in self.finished:
            return (
                f"chromosome {chrom.decode(errors='replace')} appears again after "
                f"{self.chrom.decode(errors='replace')}"
            )
        if self.chrom:
            self.finished.add(self.chrom)
        self.chrom, self.pos = chrom, pos
        return None
