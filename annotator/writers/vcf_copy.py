"""The annotated VCF at the speed of copying (:mod:`annotator.writers.vcf` describes the
file): whole chunks of the input text are looked at together, only the records with findings
are edited, and the BGZF blocks no edit touches are copied to the output as stored.
:class:`NotFast` sends anything unusual to the line-by-line writer."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np

from annotator import bgzf, vcf_text
from annotator.errors import InputError
from annotator.tabix import MAX_POSITION, RecordOrder, TabixBuilder, tabix_end
from annotator.writers.vcf_tags import (
    OWN_HEADER_LINES,
    TAG_PREFIX,
    RecordTags,
    annotated_line,
    with_info,
)

# --- the fast path: whole chunks of text at a time, unchanged BGZF blocks copied -------------
#
# The output text is the input text with a few byte ranges replaced ("edits"): the header up to
# its #CHROM line, and each record whose tags change. The input is read as pieces: its BGZF
# blocks (stored bytes and text), or for plain and other gzip input, text to be deflated. The
# lines of a whole batch of pieces are looked at together with numpy (record numbers, the
# order check, what the tabix index needs); only the records with findings are split in Python.
# A BGZF block no edit touches is copied to the output as stored; runs of touched pieces are
# written as their edited text, deflated anew. The tabix index is built from the records'
# places in the output text, which become virtual offsets once the blocks are written.
#
# Anything out of the ordinary (unsorted records, a '#' line among the records, a record with
# fewer than eight columns, a POS that is not a plain number, an unreadable input, ...) makes
# the line-by-line writer do the whole file instead: it decides, and reports errors, exactly as
# it always has.

_BATCH_TEXT = 1 << 22  # text looked at together (64 BGZF blocks)


class NotFast(Exception):
    """The input needs the line-by-line writer."""


@dataclass(frozen=True)
class _Piece:
    """A piece of the input text: a BGZF block (``raw``: its bytes as stored) or text to deflate."""

    start: int  # offset of data[0] in the input text
    data: bytes
    raw: bytes | None

    @property
    def end(self) -> int:
        return self.start + len(self.data)


class _PieceSink(Protocol):
    def copy(self, piece: _Piece) -> None: ...

    def write(self, text: bytes) -> None: ...


class _BgzfSink:
    def __init__(self, writer: bgzf.BlockWriter) -> None:
        self._writer = writer

    def copy(self, piece: _Piece) -> None:
        assert piece.raw is not None
        self._writer.copy(piece.raw, len(piece.data))

    def write(self, text: bytes) -> None:
        self._writer.write(text)


class _PlainSink:
    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def copy(self, piece: _Piece) -> None:
        self._handle.write(piece.data)

    def write(self, text: bytes) -> None:
        self._handle.write(text)


def write_fast(
    records: dict[int, RecordTags],
    header: list[bytes],
    input_path: Path,
    kind: str,
    output: Path,
    *,
    compressed: bool,
) -> bytes | None:
    """Write the annotated VCF to ``output``; for a compressed output, return its tabix index
    (uncompressed .tbi bytes). Raises :class:`NotFast` when the line-by-line writer must do it.
    """
    writer = _FastWriter(records, header, str(input_path), index=compressed)
    batches = _batches(input_path, kind)
    try:
        with open(output, "wb") as handle:
            if not compressed:
                writer.write(batches, _PlainSink(handle))
                return None
            with bgzf.BlockWriter(handle) as blocks:
                writer.write(batches, _BgzfSink(blocks))
            return writer.tabix(blocks.layout())
    finally:
        batches.close()


def _batches(path: Path, kind: str) -> Generator[list[_Piece], None, None]:
    """The input text as pieces, in batches of about ``_BATCH_TEXT`` bytes. A reading problem is
    left to the line-by-line writer (it reports it as it always has)."""
    reader: Iterator[Any] = iter(())
    source: Iterator[tuple[bytes | None, bytes]]
    start = size = 0
    batch: list[_Piece] = []
    try:
        if kind == "gzip" and bgzf.is_bgzf(path):
            reader = bgzf.blocks(path)
            source = ((block.raw, block.data) for block in reader)
        else:
            reader = bgzf.decompressed_chunks(path)
            source = (
                (None, chunk[at : at + bgzf.BLOCK_TEXT])
                for chunk in reader
                for at in range(0, len(chunk), bgzf.BLOCK_TEXT)
            )
        for raw, data in source:
            if not data:
                continue  # the end-of-file block (and any other empty one): no text
            batch.append(_Piece(start, data, raw))
            start += len(data)
            size += len(data)
            if size >= _BATCH_TEXT:
                yield batch
                batch, size = [], 0
    except (InputError, OSError):
        raise NotFast from None
    finally:
        close = getattr(reader, "close", None)  # a generator: its threads stop here
        if close is not None:
            close()
    if batch:
        yield batch


class _FastWriter:
    """Finds the edits of each batch of text and writes the pieces, copied or deflated anew."""

    def __init__(
        self, records: dict[int, RecordTags], header: list[bytes], path: str, *, index: bool
    ) -> None:
        self._records = records
        self._tagged = np.array(sorted(records), dtype=np.int64)
        self._header = header
        self._path = path
        self._index = TabixBuilder() if index else None
        self._order = RecordOrder()
        self._strip_old = False
        self._number = 0  # records so far
        # The header, until its #CHROM line is read.
        self._header_done = False
        self._header_kept: list[bytes] = []
        self._header_at = 0  # start of the first header line not yet looked at
        # The text: lines before _carry_start are looked at; _carry is the rest read so far.
        self._carry = b""
        self._carry_start = 0
        self._delta = 0  # output length minus input length of the text before _carry_start
        self._edits: list[tuple[int, int, bytes]] = []  # (start, end, new text), in order
        self._edit_starts: list[int] = []
        self._pending: deque[_Piece] = deque()  # pieces not written yet
        self._run: list[_Piece] = []  # touched pieces to write as edited text

    def write(self, batches: Iterable[list[_Piece]], sink: _PieceSink) -> None:
        for batch in batches:
            self._pending.extend(batch)
            self._feed([piece.data for piece in batch], at_end=False)
            self._emit(sink)
        self._feed([], at_end=True)
        self._emit(sink)
        self._flush_run(sink)
        if self._records and max(self._records) > self._number:
            raise InputError(
                f"the findings name record {max(self._records)} but the input has "
                f"{self._number} records",
                path=self._path,
                hint="write the VCF from the input the findings were read from",
            )

    def tabix(self, layout: tuple[list[int], list[int]]) -> bytes:
        assert self._index is not None
        return self._index.finish(self._carry_start + self._delta, layout)

    # --- reading the text ---

    def _feed(self, new: list[bytes], *, at_end: bool) -> None:
        text = b"".join([self._carry, *new])
        base = self._carry_start
        if not self._header_done:
            header = self._read_header(text, at_end=at_end)  # base is 0 until the header is read
            if header is None:
                self._carry = text
                return
            end, replacement = header
            self._add_edit(0, end, replacement)
            self._delta = len(replacement) - end
            if self._index is not None:
                self._index.start(len(replacement))
            text, base = text[end:], end
        cut = len(text) if at_end else text.rfind(b"\n") + 1
        if cut:
            self._lines(text, cut, base, unterminated=at_end and not text.endswith(b"\n"))
        self._carry, self._carry_start = text[cut:], base + cut

    def _read_header(self, text: bytes, *, at_end: bool) -> tuple[int, bytes] | None:
        """(end of the #CHROM line, the new header) once ``text`` holds the whole header, as
        the line-by-line writer of :mod:`annotator.writers.vcf` writes it; None when more
        text is needed."""
        at = self._header_at
        while at < len(text):
            newline = text.find(b"\n", at)
            if newline == -1 and not at_end:
                break
            end = len(text) if newline == -1 else newline + 1
            line = text[at:end]
            if line.startswith(b"#CHROM"):
                ending = b"\r\n" if line.endswith(b"\r\n") else b"\n"
                own = b"".join(own + ending for own in self._header)
                self._header_done = True
                return end, b"".join(self._header_kept) + own + line
            if not line.startswith(b"#"):
                break
            if line.startswith(OWN_HEADER_LINES):
                self._strip_old = True
            else:
                self._header_kept.append(line)
            at = end
        self._header_at = at
        if at_end or (at < len(text) and not text.startswith(b"#", at)):
            raise InputError(
                "the VCF header has no #CHROM line", path=self._path, hint="check the file"
            )
        return None

    def _lines(self, text: bytes, limit: int, base: int, *, unterminated: bool) -> None:
        """Look at the lines of ``text[:limit]`` (input offset ``base``): number the records,
        find the edits, check the order and gather what the index needs."""
        data = np.frombuffer(text, dtype=np.uint8, count=limit)
        starts, ends, first, blank = vcf_text.split_lines(data, limit, unterminated=unterminated)
        nexts = ends + 1  # where the next line starts
        if unterminated:
            nexts[-1] = limit
            blank[-1] = False  # the line-by-line writer counts a last "\r" as a record
        rows = np.flatnonzero(~blank)
        if (first[rows] == 35).any():
            raise NotFast  # a '#' line among the records
        if self._index is not None and len(rows) < len(ends):
            # A blank line, which htslib's tabix (1.24) refuses: the line-by-line writer
            # leaves it out of a compressed output.
            raise NotFast
        changes = self._changes(text, data, starts, nexts, rows)
        line_delta = np.zeros(len(ends), dtype=np.int64)
        for line, new in changes:
            line_delta[line] = len(new) - int(nexts[line] - starts[line])
        shift = self._delta + np.cumsum(line_delta)
        if self._index is not None and len(rows):
            out_ends = base + nexts[rows] + shift[rows]  # each record's end in the output text
            self._index_lines(text, data, starts, ends, rows, dict(changes), out_ends)
        for line, new in changes:
            self._add_edit(base + int(starts[line]), base + int(nexts[line]), new)
        self._delta = int(shift[-1])
        self._number += len(rows)

    def _changes(
        self, text: bytes, data: Any, starts: Any, nexts: Any, rows: Any
    ) -> list[tuple[int, bytes]]:
        """(line, new line) of the records whose text changes, in order."""
        first, last = self._number + 1, self._number + len(rows)
        tagged = self._tagged
        low, high = np.searchsorted(tagged, [first, last + 1])
        numbers = {int(rows[number - first]): number for number in tagged[low:high].tolist()}
        if self._strip_old:  # records with an RA_ key: their INFO may hold our earlier tags
            lines = _lines_with(text, data, TAG_PREFIX, starts)
            record_lines = np.searchsorted(rows, lines)
            inside = record_lines < len(rows)
            record_lines, lines = record_lines[inside], lines[inside]
            keep = rows[record_lines] == lines
            for line, index in zip(lines[keep].tolist(), record_lines[keep].tolist(), strict=True):
                numbers.setdefault(line, first + index)
        changes = []
        for line in sorted(numbers):
            number = numbers[line]
            old = text[starts[line] : nexts[line]]
            tags = self._records.get(number)
            if tags is not None:
                new = annotated_line(old, number, tags, self._path)
            else:
                new = with_info(old, b"", number, self._path)
            if new != old:
                changes.append((line, new))
        return changes

    def _index_lines(
        self,
        text: bytes,
        data: Any,
        starts: Any,
        ends: Any,
        rows: Any,
        changed: dict[int, bytes],
        out_ends: Any,
    ) -> None:
        """Check the records' order (chromosome blocks, rising POS) and hand their intervals,
        as tabix reads them, to the index."""
        assert self._index is not None
        if text.find(b"\0", 0, len(data)) != -1:
            raise NotFast  # tabix reads a NUL byte as the end of a column
        line_starts = starts[rows]
        columns, (chrom_end, pos_end, id_end, ref_end) = vcf_text.find_tabs(
            data, len(data), line_starts, 4
        )
        if (columns < 7).any():
            raise NotFast  # fewer than eight columns
        # POS where int() and tabix's strtoll(s, 0) read the same: 1-9 digits, no leading 0.
        pos, readable = vcf_text.read_numbers(
            data, chrom_end + 1, pos_end, digits=9, leading_zero=False
        )
        ref_length = ref_end - id_end - 1
        if not readable.all() or (ref_length < 1).any() or (chrom_end == line_starts).any():
            raise NotFast  # POS other than 1-9 digits without leading 0, no REF or no CHROM
        tids = self._check_order(text, data, line_starts, chrom_end, pos)
        begins = pos - 1
        stops = begins + ref_length
        if len(_lines_with(text, data, b"SVLEN=", starts)):
            raise NotFast  # htslib's tabix may end a symbolic ALT at its SVLEN
        # INFO/END, as tabix reads it: only lines with END= somewhere (and the changed ones);
        # a record ends at the larger of END and REF's end.
        special = set(_lines_with(text, data, b"END=", starts).tolist()) | set(changed)
        if special:
            lines = np.array(sorted(special), dtype=np.int64)
            index = np.searchsorted(rows, lines)
            for line, at in zip(lines.tolist(), index.tolist(), strict=True):
                if at >= len(rows) or rows[at] != line:
                    continue  # a blank line
                new = changed.get(line)
                end = tabix_end(new if new is not None else text[starts[line] : ends[line]])
                begin = int(begins[at])
                stops[at] = max(end if end is not None else 0, begin + int(ref_length[at]))
        if int(stops.max()) > MAX_POSITION or int(begins.max()) > MAX_POSITION:
            raise NotFast  # beyond what a .tbi holds: the line-by-line writer's tabix says so
        self._index.add(tids, begins, stops, out_ends)

    def _check_order(
        self, text: bytes, data: Any, line_starts: Any, chrom_end: Any, pos: Any
    ) -> Any:
        """The chromosome number of each record; raises :class:`NotFast` for records out of
        order (the line-by-line writer names the first)."""
        assert self._index is not None
        order = self._order
        tids = np.empty(len(line_starts), dtype=np.int64)
        for begin, end in vcf_text.find_runs(data, line_starts, chrom_end):
            chrom = text[line_starts[begin] : chrom_end[begin]]
            run = pos[begin:end]
            if chrom == order.chrom:
                if int(run[0]) < order.pos:
                    raise NotFast
            else:
                if chrom in order.finished:
                    raise NotFast
                if order.chrom:
                    order.finished.add(order.chrom)
                order.chrom = chrom
            if len(run) > 1 and bool((run[1:] < run[:-1]).any()):
                raise NotFast
            order.pos = int(run[-1])
            tids[begin:end] = self._index.tid(chrom)
        return tids

    # --- writing ---

    def _add_edit(self, start: int, end: int, new: bytes) -> None:
        self._edits.append((start, end, new))
        self._edit_starts.append(start)

    def _emit(self, sink: _PieceSink) -> None:
        """Write the pieces whose lines are all looked at: untouched BGZF blocks as stored,
        runs of touched pieces as their edited text."""
        decided = self._carry_start if self._header_done else 0
        pending = self._pending
        while pending and pending[0].end <= decided:
            piece = pending.popleft()
            if piece.raw is not None and not self._touched(piece):
                self._flush_run(sink)
                sink.copy(piece)
            else:
                self._run.append(piece)
        if self._run and not self._inside_edit(self._run[-1].end):
            self._flush_run(sink)

    def _touched(self, piece: _Piece) -> bool:
        at = bisect.bisect_left(self._edit_starts, piece.end) - 1
        return at >= 0 and self._edits[at][1] > piece.start

    def _inside_edit(self, offset: int) -> bool:
        at = bisect.bisect_left(self._edit_starts, offset) - 1
        return at >= 0 and self._edits[at][1] > offset

    def _flush_run(self, sink: _PieceSink) -> None:
        """Write the run of touched pieces as its text with the edits in it applied."""
        run = self._run
        if not run:
            return
        start, end = run[0].start, run[-1].end
        text = b"".join(piece.data for piece in run)
        used = bisect.bisect_left(self._edit_starts, end)
        parts = []
        at = start
        for edit_start, edit_end, new in self._edits[:used]:
            parts.append(text[at - start : edit_start - start])
            parts.append(new)
            at = edit_end
        parts.append(text[at - start :])
        sink.write(b"".join(parts))
        del self._edits[:used], self._edit_starts[:used]
        self._run = []


def _lines_with(text: bytes, data: Any, needle: bytes, starts: Any) -> Any:
    """The lines (indexes into ``starts``) whose text holds ``needle``, in order."""
    return np.flatnonzero(vcf_text.lines_holding(vcf_text.find_all(text, data, needle), starts))
