"""Reading BGZF (blocked gzip, the compression of VCF.gz) block by block, inflated ahead in threads.

A BGZF file is a series of gzip members of at most 64 KiB each whose header carries the member's
size (the ``BC`` extra subfield; SAMv1 specification, section 4.1), so the blocks can be found
without inflating them and inflated side by side. Inflating uses ISA-L through ``python-isal``
(``isal_zlib``, several times faster than ``zlib`` and releasing the GIL, as cutadapt's xopen
does), and checks each block's CRC32 and length as htslib does.

:func:`blocks` gives each block's place in the file, its compressed bytes and its text (what a
writer needs to copy unchanged blocks through); :func:`decompressed_chunks` gives the text of a
plain, gzip or BGZF file in large pieces (what a scanner needs).
"""

from __future__ import annotations

import math
import struct
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from isal import igzip, isal_zlib

from annotator.errors import InputError

#: The empty block that ends a BGZF file (SAMv1 section 4.1.2).
EOF_BLOCK = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_HEADER = struct.Struct("<4BI2BH")  # ID1 ID2 CM FLG MTIME XFL OS XLEN
_TRAILER = struct.Struct("<II")  # CRC32 ISIZE
_MAX_BLOCK = 1 << 16
_READ_SIZE = 1 << 20  # compressed bytes read at a time
_BATCH = 32  # blocks inflated per task (~2 MiB of text: less memory, as fast as 4 MiB)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Block:
    """One BGZF block: where it starts in the file, its bytes as stored, and its text."""

    offset: int
    raw: bytes
    data: bytes


def is_bgzf(path: Path) -> bool:
    """Whether ``path`` begins with a BGZF block header (gzip with a ``BC`` extra subfield)."""
    with path.open("rb") as handle:
        head = handle.read(18)
    return _block_size(head, 0) is not None


def _block_size(buffer: bytes | memoryview, start: int) -> int | None:
    """The total size of the BGZF block at ``start``, or None if it is not a BGZF header."""
    if len(buffer) - start < 18:
        return None
    id1, id2, method, flags, _mtime, _xfl, _os, xlen = _HEADER.unpack_from(buffer, start)
    if id1 != 31 or id2 != 139 or method != 8 or not flags & 4:
        return None
    extra = start + 12
    end = extra + xlen
    if end > len(buffer):
        return None
    while extra + 4 <= end:
        si1, si2, slen = (
            buffer[extra],
            buffer[extra + 1],
            buffer[extra + 2] | buffer[extra + 3] << 8,
        )
        if si1 == 66 and si2 == 67 and slen == 2:
            return int(buffer[extra + 4] | buffer[extra + 5] << 8) + 1
        extra += 4 + slen
    return None


def blocks(path: Path, threads: int = 2) -> Iterator[Block]:
    """The blocks of a BGZF file in order, inflated ``threads`` tasks ahead.

    Raises :class:`InputError` naming the file and the block's offset for a block that is not
    BGZF, cut short, or whose CRC32 or length does not match, and for a file that does not end
    with the empty end-of-file block (a truncated file, as htslib warns).
    """
    last: Block | None = None
    for batch in _ahead(path, threads, _inflate_batch):
        yield from batch
        last = batch[-1] if batch else last
    if last is None or last.raw != EOF_BLOCK:
        raise _truncated(path)


def _truncated(path: Path) -> InputError:
    return _damaged("the file is truncated: the BGZF end-of-file block is missing", path)


def _damaged(problem: str, path: Path) -> InputError:
    """A compressed input that cannot be read as it is: what to do is the same for all."""
    return InputError(problem, path=path, hint="re-create it from the complete VCF with 'bgzip'")


def _ahead(
    path: Path,
    threads: int,
    task: Callable[[list[tuple[int, bytes]], Path], _T],
    start: int = 0,
    stop: int | None = None,
) -> Iterator[_T]:
    """``task`` applied to the file's batches of raw blocks in a pool, ``threads`` ahead, in
    order; from the block at offset ``start``, no batch holding both blocks before and at
    ``stop``."""
    with path.open("rb") as handle, ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque[Future[_T]] = deque()
        for batch in _raw_batches(handle, path, start, stop):
            pending.append(pool.submit(task, batch, path))
            if len(pending) > threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _raw_batches(
    handle: BinaryIO, path: Path, first: int = 0, stop: int | None = None
) -> Iterator[list[tuple[int, bytes]]]:
    """(offset, compressed block) in batches of ``_BATCH``, split by their ``BC`` sizes, from
    the block at offset ``first``; a batch also ends before the block at offset ``stop``."""
    handle.seek(first)
    buffer = b""
    base = first  # file offset of buffer[0]
    batch: list[tuple[int, bytes]] = []
    at_end = False
    while True:
        if not at_end and len(buffer) < _MAX_BLOCK:
            more = handle.read(_READ_SIZE)
            at_end = not more
            buffer += more
        if not buffer:
            break
        start = 0
        view = memoryview(buffer)
        while True:
            size = _block_size(view, start)
            if size is None or start + size > len(buffer):
                break
            batch.append((base + start, buffer[start : start + size]))
            start += size
            if len(batch) == _BATCH or base + start == stop:
                yield batch
                batch = []
        view.release()
        buffer = buffer[start:]
        base += start
        if at_end and buffer:
            problem = (
                "is cut short"
                if _block_size(buffer, 0) is not None or len(buffer) < 18
                else "is not a BGZF block"
            )
            raise _damaged(f"the data at byte {base} {problem}", path)
        if at_end:
            break
    if batch:
        yield batch


def _inflate_batch(batch: list[tuple[int, bytes]], path: Path) -> list[Block]:
    return [_inflate(offset, raw, path) for offset, raw in batch]


def _inflate_text(batch: list[tuple[int, bytes]], path: Path) -> tuple[int, bytes, bool]:
    """The offset of a batch's first block, the batch's joined text, and whether its last
    block is the end-of-file block."""
    return (
        batch[0][0],
        b"".join(_inflate(offset, raw, path).data for offset, raw in batch),
        batch[-1][1] == EOF_BLOCK,
    )


def _inflate(offset: int, raw: bytes, path: Path) -> Block:
    xlen = raw[10] | raw[11] << 8
    try:
        data = isal_zlib.decompress(raw[12 + xlen : -8], -15)
    except Exception as error:  # IsalError, which isal's type stubs do not declare
        raise _damaged(f"the BGZF block at byte {offset} is corrupt: {error}", path) from None
    crc, size = _TRAILER.unpack_from(raw, len(raw) - 8)
    if size != len(data) or crc != isal_zlib.crc32(data):
        raise _damaged(
            f"the BGZF block at byte {offset} is corrupt: its CRC32 or length does not match", path
        )
    return Block(offset, raw, data)


def decompressed_chunks(path: Path, size: int = 1 << 22, threads: int = 2) -> Iterator[bytes]:
    """The bytes of a plain, gzip or BGZF file in pieces of about ``size`` bytes (BGZF: whole
    blocks, inflated in ``threads`` threads; other gzip: one stream)."""
    with path.open("rb") as probe:
        head = probe.read(2)
    if head == b"\x1f\x8b" and is_bgzf(path):
        ended = False
        for _offset, text, last in _ahead(path, threads, _inflate_text):
            ended = last
            if text:
                yield text
        if not ended:
            raise _truncated(path)
        return
    yield from _read_through(path, size, head)


def leading_chunks(path: Path, size: int = 1 << 16) -> Iterator[bytes]:
    """The bytes of a plain or gzip (BGZF too) file from its start, in pieces of ``size``
    bytes inflated in this thread as they are asked for: for a reader that stops early (the
    header), which :func:`decompressed_chunks` would have inflate several MiB ahead."""
    with path.open("rb") as probe:
        head = probe.read(2)
    yield from _read_through(path, size, head)


def _read_through(path: Path, size: int, head: bytes) -> Iterator[bytes]:
    opener = igzip.open if head == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as handle:
            while chunk := handle.read(size):
                yield chunk
    except (OSError, EOFError) as error:
        raise _damaged(f"cannot decompress the file: {error}", path) from None


# --- Reading a file in parts, one per process -------------------------------------------------


@dataclass(frozen=True)
class Part:
    """The lines of a BGZF file that begin in its blocks from offset ``start`` up to ``stop``
    (None: the end of the file); ``starts_line`` says whether the block at ``start`` begins a
    line (the text before it ends with a newline). Parts made by :func:`split_in_two` hold
    every line of the file once, in order."""

    start: int
    stop: int | None
    starts_line: bool


def split_in_two(path: Path, share: float = 0.5) -> tuple[Part, Part] | None:
    """Two parts, the first about ``share`` of the compressed size, the second beginning at a
    block after the header (where a record began in the block before it); None when the file
    is not BGZF, is damaged before that point (the whole-file pass reports that) or has no
    such block."""
    size = path.stat().st_size
    target = math.ceil(size * share)
    with path.open("rb") as handle:
        found = _blocks_around(handle, target) if target > _MAX_BLOCK else None
        if found is None:
            found = _walked_to(handle, target)
            if found is None:
                return None
        previous, offset = found
        for _attempt in range(_SPLIT_ATTEMPTS):
            handle.seek(offset)
            length = _block_size(handle.read(18), 0)
            if length is None or offset + length >= size:  # the last block: nothing after
                return None
            handle.seek(previous)
            before = handle.read(offset - previous)
            try:
                text = _inflate(previous, before, path).data
            except InputError:
                return None
            if _holds_record_start(text):
                ends_line = text.endswith(b"\n")
                return Part(0, offset, True), Part(offset, None, ends_line)
            previous, offset = offset, offset + length
    return None


#: Blocks tried as the second part's start (a block where no record line begins moves it on).
_SPLIT_ATTEMPTS = 16
#: How a BGZF block begins: gzip's magic, deflate, and the FEXTRA flag its size is kept in.
_BLOCK_MAGIC = b"\x1f\x8b\x08\x04"


def _walked_to(handle: BinaryIO, target: int) -> tuple[int, int] | None:
    """(previous, offset) as :func:`_blocks_around`, by walking the blocks from the file's
    start (one read per block: slow for a large file, but certain); None where a block's
    header cannot be read."""
    offset, previous = 0, None
    while offset < target or previous is None:
        handle.seek(offset)
        length = _block_size(handle.read(18), 0)
        if length is None:
            return None
        previous, offset = offset, offset + length
    return previous, offset


def _blocks_around(handle: BinaryIO, target: int) -> tuple[int, int] | None:
    """(previous, offset): the last block to begin before ``target`` and the first to begin
    at or after it, as walking the blocks from the file's start finds them, from the headers
    in the bytes around ``target`` (a block is at most 64 KiB), in one read instead of one per
    block (a 1 GB file has 40,000 blocks before its middle). None unless the two are headers
    and the first ends where the second begins (the caller then walks the blocks): compressed
    data can hold a header's bytes by chance, never also its chain."""
    low = target - _MAX_BLOCK
    handle.seek(low)
    window = handle.read(2 * _MAX_BLOCK + 18)
    starts = []
    at = window.find(_BLOCK_MAGIC)
    while at >= 0:
        if _block_size(window, at) is not None:
            starts.append(at)
        at = window.find(_BLOCK_MAGIC, at + 1)
    before = [start for start in starts if start < _MAX_BLOCK]
    after = [start for start in starts if start >= _MAX_BLOCK]
    if not before or not after:
        return None
    previous, offset = before[-1], after[0]
    if previous + (_block_size(window, previous) or 0) != offset:
        return None
    return low + previous, low + offset


def _holds_record_start(text: bytes) -> bool:
    """Whether a line other than a header line begins in ``text`` after its first newline."""
    at = text.find(b"\n")
    while 0 <= at < len(text) - 1:
        if text[at + 1] != 35:  # '#'
            return True
        at = text.find(b"\n", at + 1)
    return False


def decompressed_part(path: Path, part: Part, threads: int = 2) -> Iterator[bytes]:
    """The text of the lines of ``part`` of a BGZF file, in pieces of whole blocks: a line
    that began before ``part.start`` is left out, and the line in progress at ``part.stop``
    is read to its end."""
    skipping = not part.starts_line
    line_open = False  # the text given so far ends inside a line
    ended = False
    for offset, inflated, last in _ahead(path, threads, _inflate_text, part.start, part.stop):
        ended = last
        tail = part.stop is not None and offset >= part.stop
        text = inflated
        if skipping:
            if tail:
                return
            cut = text.find(b"\n")
            if cut < 0:
                continue
            text, skipping = text[cut + 1 :], False
        if tail:
            if not line_open:
                return
            cut = text.find(b"\n")
            if cut >= 0:
                yield text[: cut + 1]
                return
        if text:
            yield text
            line_open = text[-1] != 10
    if part.stop is None and not ended:
        raise _truncated(path)


# --- Writing ---------------------------------------------------------------------------------

#: The most text written into one block, as bgzip and htslib do (``BGZF_BLOCK_SIZE``): deflated,
#: with its header and trailer, it always fits the 64 KiB a block may take.
BLOCK_TEXT = 0xFF00
#: ISA-L compression level (0 to 3): level 2 is about as fast as 1 and a little smaller.
DEFAULT_LEVEL = 2
_BLOCK_HEADER = struct.Struct("<4BI2BH2BHH")  # ... XLEN, then the BC subfield: SI1 SI2 SLEN BSIZE
_WRAPPING = _BLOCK_HEADER.size + _TRAILER.size  # 26 bytes around the deflated data
_WRITE_AHEAD = 32  # blocks being deflated before the writer waits for the oldest


def compress_block(data: bytes, level: int = DEFAULT_LEVEL) -> bytes:
    """``data`` (at most ``BLOCK_TEXT`` bytes) as one BGZF block (SAMv1 section 4.1): a gzip
    member with the ``BC`` subfield giving its size, raw deflate data, CRC32 and length.

    Data that does not shrink is stored (deflate block type 0), as htslib falls back to, so the
    block never exceeds 64 KiB.
    """
    if len(data) > BLOCK_TEXT:
        raise ValueError(f"a BGZF block holds at most {BLOCK_TEXT} bytes, not {len(data)}")
    deflated = isal_zlib.compress(data, level, -15)
    if len(deflated) + _WRAPPING > _MAX_BLOCK:
        deflated = b"\x01" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data
    size = len(deflated) + _WRAPPING
    header = _BLOCK_HEADER.pack(31, 139, 8, 4, 0, 0, 255, 6, 66, 67, 2, size - 1)
    return header + deflated + _TRAILER.pack(isal_zlib.crc32(data), len(data))


class BlockWriter:
    """Writes a BGZF file to ``handle``: text is cut into blocks deflated ``threads`` at a time
    (ISA-L releases the GIL), blocks of another BGZF file can be copied as they are, and
    :meth:`close` adds the end-of-file block. Blocks are written in the order given.

    The writer records each block's text length and compressed size, so :meth:`layout` gives
    what a virtual offset needs: where each block's text starts in the whole text, and where the
    block starts in the file. Empty text makes no block (an empty block inside a file reads as
    its end to some readers).
    """

    def __init__(self, handle: BinaryIO, *, threads: int = 2, level: int = DEFAULT_LEVEL) -> None:
        self._handle = handle
        self._level = level
        self._pool = ThreadPoolExecutor(max_workers=threads)
        self._pending: deque[Future[bytes] | bytes] = deque()
        self._lengths: list[int] = []  # text length of each block, in order
        self._sizes: list[int] = []  # compressed size of each block written so far
        self._closed = False

    def __enter__(self) -> BlockWriter:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if error is None:
            self.close()
        else:  # an error is on its way: drop the blocks not yet written
            for item in self._pending:
                if isinstance(item, Future):
                    item.cancel()
            self._pending.clear()
            self._pool.shutdown(wait=True)

    def write(self, text: bytes) -> None:
        """Add ``text``, deflated into blocks of ``BLOCK_TEXT`` bytes (the last one shorter)."""
        for start in range(0, len(text), BLOCK_TEXT):
            piece = text[start : start + BLOCK_TEXT]
            self._lengths.append(len(piece))
            self._pending.append(self._pool.submit(compress_block, piece, self._level))
            self._drain(_WRITE_AHEAD)

    def copy(self, raw: bytes, length: int) -> None:
        """Add a block as stored (``raw``, from :func:`blocks`), whose text is ``length`` bytes."""
        if length:
            self._lengths.append(length)
            self._pending.append(raw)
            self._drain(_WRITE_AHEAD)

    def close(self) -> None:
        """Write the remaining blocks and the end-of-file block."""
        if self._closed:
            return
        self._drain(0)
        self._handle.write(EOF_BLOCK)
        self._closed = True
        self._pool.shutdown(wait=True)

    def layout(self) -> tuple[list[int], list[int]]:
        """After :meth:`close`: for each block and then the end-of-file block, where its text
        starts in the whole text and where it starts in the file. A virtual offset of text
        position ``p`` is ``file_start << 16 | (p - text_start)`` of the last block whose text
        starts at or before ``p`` (the end of the text: the end-of-file block, offset 0)."""
        if not self._closed:
            raise RuntimeError("the layout is known once the writer is closed")
        text_starts, file_starts = [0], [0]
        for length, size in zip(self._lengths, self._sizes, strict=True):
            text_starts.append(text_starts[-1] + length)
            file_starts.append(file_starts[-1] + size)
        return text_starts, file_starts

    def _drain(self, keep: int) -> None:
        pending = self._pending
        while len(pending) > keep:
            item = pending.popleft()
            block = item.result() if isinstance(item, Future) else item
            self._handle.write(block)
            self._sizes.append(len(block))


def write_bgzf(path: Path, data: bytes, *, threads: int = 1) -> None:
    """``data`` as a BGZF file at ``path`` (e.g. an index: htslib reads them BGZF-compressed)."""
    with path.open("wb") as handle, BlockWriter(handle, threads=threads) as writer:
        writer.write(data)
