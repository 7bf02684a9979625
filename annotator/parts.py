"""Reading a large input in two processes: a BGZF file in two parts side by side (the second
part in a forked worker, :class:`ForkedPart`), or the rule regions of an indexed one, blocks of
regions claimed by each process as it is free (:class:`ForkedRegions`).

The text prefilter (:mod:`annotator.prefilter`) costs about the same for every part of a file,
so on a machine with two CPUs the second half of a large BGZF file is scanned by a worker
process (``fork``: it starts with the rules and tables this process has loaded, nothing is
re-read) while this process scans the first half. Both processes then parse the candidates
of both halves, claiming blocks of them as each is free (:class:`_Claims`): this process
those of the first half as soon as it has scanned it, the worker once this process has (its
records' numbers continue the first half's). The worker's alleles go among this process's in
the order of their records, and its counts are added: the result is that of one pass, which
the tests compare.

What the worker sends is pickled; a worker that fails to read a candidate or dies makes the
caller fall back to the whole-file pass, as an unreadable candidate does without the split.
An input error found by the worker's scan (a damaged block) is raised here, even when this
process met an unreadable candidate first, as a single pass (which scans the whole file
before it parses) would raise it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import operator
import os
import pickle
import signal
import sys
import traceback
from array import array
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

import numpy as np

from annotator.bgzf import Part, split_in_two
from annotator.collector import collector_paused
from annotator.errors import InputError
from annotator.models import has_fast_init
from annotator.progress import Progress

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from annotator.inputs import PartJob
    from annotator.small_variants import SmallVariants

#: Compressed size from which a BGZF input is read in two parts (below it, forking a worker
#: costs about what it saves).
SPLIT_MIN_BYTES = 16 << 20


#: The first part's share of the file. A little less than half: the worker cannot parse
#: before this process has scanned the first part (its records' numbers follow the first
#: part's), while this process parses its own part's candidates as soon as it has scanned
#: them and never waits for the worker's scan. Of six runs on the 1M-record bench inputs
#: split in halves, the worker waited for this process in three, up to 0.15 s.
FIRST_SHARE = 0.45


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def two_processes(path: Path, threads: int | None) -> bool:
    """Whether to read ``path`` in two processes: not with one thread (``--threads 1``, or one
    usable CPU), nor without ``fork`` (Linux only: elsewhere forking a process that has
    threads is unsafe), nor for a file below ``SPLIT_MIN_BYTES``."""
    workers = threads if threads is not None else min(2, usable_cpus())
    if workers < 2 or not sys.platform.startswith("linux"):
        return False
    try:
        return path.stat().st_size >= SPLIT_MIN_BYTES
    except OSError:
        return False


def split_for_workers(path: Path, threads: int | None) -> tuple[Part, Part] | None:
    """The two parts of ``path`` to read side by side (:func:`two_processes`), or None to
    read it in one pass (also for a file that is not BGZF)."""
    if not two_processes(path, threads):
        return None
    try:
        return split_in_two(path, FIRST_SHARE)
    except OSError:
        return None


@dataclass(frozen=True)
class Candidates:
    """Candidate records to parse: the VCF holding them (header, then the records), each
    record's number in the input and, where the file can be cut between any two records, each
    record line's byte offset in it (else none: the file is parsed whole)."""

    path: Path
    numbers: Sequence[int]
    offsets: Sequence[int] = ()

    @property
    def cuttable(self) -> bool:
        return len(self.offsets) == len(self.numbers) > 0


_W = TypeVar("_W", bound="_Worker")


class _Worker:
    """A forked worker process running ``work(*args, claims, connection, alive)`` (see
    :func:`_in_worker`): it reports on ``connection`` and sends its alleles through a pipe of
    their own, pickled as a stream (neither process holds the whole pickle in memory).
    ``counts`` opens parts of the claims before the fork: (items, fewest per claim[, the
    first item still free]).

    Use as a context manager: on the way out the worker is stopped whatever happened."""

    def __init__(
        self,
        work: Callable[..., SmallVariants | None],
        *args: Any,
        counts: Sequence[tuple[int, ...]] = (),
    ) -> None:
        import multiprocessing  # noqa: PLC0415 (only for inputs read in two processes)

        context = multiprocessing.get_context("fork")
        self._connection, child_end = context.Pipe()
        self._alleles, alleles_end = os.pipe()
        self._claims = _Claims(context)
        for part, (count, fewest, *first) in enumerate(counts):
            self._claims.open_count(part, count, fewest=fewest, first=first[0] if first else 0)
        self._process: BaseProcess = context.Process(
            target=_in_worker,
            args=(work, args, self._claims, child_end, (self._alleles, alleles_end)),
            daemon=True,
        )
        self._process.start()
        child_end.close()
        os.close(alleles_end)
        self._usable = True

    def __enter__(self: _W) -> _W:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._connection.close()
        os.close(self._alleles)

    def add_to(self, result: SmallVariants) -> bool:
        """Add the worker's alleles and counts to ``result``; False when the worker could not
        read a record or ended without a result (the caller then reads in one process)."""
        message = self._receive() if self._usable else None
        if message is None or message[0] != "parsed":
            return False
        with os.fdopen(self._alleles, "rb", closefd=False) as stream:
            try:
                result.merge(_receive_result(stream))
            except (EOFError, OSError, pickle.UnpicklingError):  # the worker died meanwhile
                return False
        return True

    def _receive(self) -> tuple[Any, ...] | None:
        try:
            message: tuple[Any, ...] = self._connection.recv()
        except (EOFError, OSError):
            self._usable = False
            return None
        if message[0] == "crash":
            raise RuntimeError(f"the worker process failed: {message[1]}")
        return message


class ForkedPart(_Worker):
    """A worker process that scans ``part`` of the job's input, then parses candidates of both
    parts with this process, block by block as each is free (:class:`_Claims`).

    Use as a context manager around this process's own part: on the way out the worker is
    stopped whatever happened. In between, :meth:`parse` parses this process's blocks, and
    :meth:`add_to` adds the worker's alleles and counts to the result.

    Blocks are claimed, not dealt: the candidates differ in cost with their gene (an allele
    in a coding exon of the gene table needs a codon decision, a VEP-annotated one its
    transcripts), the genes lie in runs, and the two processes need not run at the same speed
    (on the 2-CPU bench host the worker parsed 10-40% more slowly than this process, whichever
    candidates it had). Each process claims the blocks of the first part first and each part's
    in order, so its alleles come in the order of their records.
    """

    def __init__(self, job: PartJob, part: Part, out: Path) -> None:
        super().__init__(_work, job, part, out)
        self._out = out

    def parse(
        self, job: PartJob, result: SmallVariants, mine: Candidates, records_before: int
    ) -> bool:
        """Parse this process's blocks into ``result``: of the first part (``mine``, this
        process's scan; its records are the input's first ``records_before``) from now on, of
        the second once the worker has scanned it. False when a candidate cannot be read or
        the worker is gone; raises the input error the worker's scan met, even after an
        unreadable candidate of the first part (a single pass scans the whole file first)."""
        _save_candidates(mine)
        self._claims.open(0, mine)
        with contextlib.suppress(OSError):  # a worker that ended (its scan failed) says why
            self._connection.send(("first", str(mine.path), records_before))
        alive = self._process.is_alive
        progress = Progress(
            enabled=job.config.show_progress,
            position=self._claims.position,
            unit="records",
            label="parsing candidates",
        )
        try:
            with progress:
                readable = _parse_claims(job, self._claims, 0, mine, result, progress, alive)
                message = self._receive()
                if message is None:
                    return False  # add_to says so
                if message[0] == "error":
                    raise InputError(message[1], **message[2])
                theirs = _saved_candidates(self._out, records_before)
                return readable and _parse_claims(
                    job, self._claims, 1, theirs, result, progress, alive
                )
        except EOFError:  # the worker died holding the claims' lock
            self._usable = False
            return False


class ForkedRegions(_Worker):
    """A worker process that reads rule regions of an indexed input with this process, each
    claiming the next block of regions as it is free: ``read(claims, alive)`` reads blocks
    until none is left (``alive`` tells whether the other process lives) and gives its
    result, or None when a record cannot be read. In the worker it runs on its own reader;
    :meth:`claims` lets this process run it too, then :meth:`add_to` adds the worker's."""

    def __init__(self, regions: int, read: RegionReading, first: int = 0) -> None:
        """``first``: the regions before it are read already (by this process)."""
        # One part only.
        super().__init__(_read_regions, read, counts=((regions, 1, first), (0, 1)))

    @property
    def claims(self) -> _Claims:
        return self._claims

    def alive(self) -> bool:
        return self._process.is_alive()


#: What a process reading regions does: ``read(claims, alive)`` (see :class:`ForkedRegions`).
RegionReading = Callable[["_Claims", Callable[[], bool]], "SmallVariants | None"]


def _read_regions(
    read: RegionReading, claims: _Claims, _connection: Connection, alive: Callable[[], bool]
) -> SmallVariants | None:
    """In the worker: the regions need no message to the main process before the result."""
    return read(claims, alive)


def _in_worker(
    work: Callable[..., SmallVariants | None],
    args: tuple[Any, ...],
    claims: _Claims,
    connection: Connection,
    alleles: tuple[int, int],
) -> None:
    """The worker process: run ``work(*args, claims, connection, alive)`` and send its result
    (None, or an input error: it met a record it cannot read; the caller then reads again in
    one process, which reports it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent process handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # and stops this one when it must
    os.close(alleles[0])
    parent = os.getppid()
    try:
        try:
            result = work(*args, claims, connection, lambda: os.getppid() == parent)
        except InputError:
            result = None
        if result is None:
            connection.send(("unreadable",))
            return
        connection.send(("parsed",))
        with os.fdopen(alleles[1], "wb", closefd=False) as stream:
            _send_result(result, stream)
    except EOFError:  # the parent process is gone or no longer needs the worker
        return
    except Exception as error:  # a fault of the annotator: shown by the parent process
        connection.send(("crash", "".join(traceback.format_exception_only(error)).strip()))
    finally:
        connection.close()
        os.close(alleles[1])


def _work(
    job: PartJob,
    part: Part,
    out: Path,
    claims: _Claims,
    connection: Connection,
    alive: Callable[[], bool],
) -> SmallVariants | None:
    """In the worker: scan the part and report; once this process has scanned the first part,
    parse blocks of both. An input error of the scan is sent for the caller to raise."""
    try:
        counts = job.scan(out, part, None)
    except InputError as error:
        where = {"path": error.path, "line": error.line, "record": error.record}
        connection.send(("error", error.message, {**where, "hint": error.hint}))
        raise EOFError from None  # nothing more to send
    _save_candidates(counts.picked)
    claims.open(1, counts.picked)
    connection.send(("scanned",))
    _first, path, records_before = connection.recv()  # the second part's records follow
    result = job.new_result()
    quiet = Progress(enabled=False)
    first = _saved_candidates(Path(path), 0)
    second = _saved_candidates(out, records_before)
    if _parse_claims(job, claims, 0, first, result, quiet, alive) and _parse_claims(
        job, claims, 1, second, result, quiet, alive
    ):
        counts.add_to(result, job.config)
        return result
    return None


#: The fewest candidates a block holds (the last of a part may hold fewer): opening a block
#: costs about what parsing 50 candidates does.
MIN_BLOCK = 512


class _Claims:
    """Which items of each of two parts are still free, in memory shared by the two processes
    (made before the fork): a part's next free item, its end (-1 until known: a part not yet
    scanned) and the fewest items a claim takes. The items are the candidates of the two
    halves of a file (:class:`ForkedPart`) or the rule regions (:class:`ForkedRegions`, one
    part).

    A claim takes a quarter of what is left of the part (at least ``MIN_BLOCK`` candidates,
    or one region): few blocks while much is left, small ones at the end, so the two
    processes finish together. A part whose file cannot be cut is one block."""

    def __init__(self, context: Any, fewest: int | None = None) -> None:
        self._state = context.RawArray("q", [0, -1, 0, 0, -1, 0])  # next, end, fewest
        self._lock = context.Lock()
        self._fewest = MIN_BLOCK if fewest is None else fewest

    def open(self, part: int, candidates: Candidates) -> None:
        count = len(candidates.numbers)
        self.open_count(part, count, fewest=None if candidates.cuttable else max(count, 1))

    def open_count(
        self, part: int, count: int, *, fewest: int | None = None, first: int = 0
    ) -> None:
        """Let ``count`` items of ``part`` be claimed, at least ``fewest`` at a time, from
        ``first`` on."""
        with self._lock:
            at = 3 * part
            self._state[at + 2] = self._fewest if fewest is None else fewest
            self._state[at] = first
            self._state[at + 1] = count

    def claim(self, part: int, alive: Callable[[], bool]) -> tuple[int, int] | None:
        """The next block of ``part`` (its first item and the one after its last), None once
        all are claimed. Raises EOFError if the other process died holding the lock."""
        while not self._lock.acquire(timeout=_LOCK_PATIENCE):
            if not alive():
                raise EOFError("the other process is gone")
        try:
            at = 3 * part
            start, end, fewest = self._state[at : at + 3]
            if start >= end:
                return None
            stop = min(end, start + max(fewest, (end - start) // 4))
            self._state[at] = stop
            return start, stop
        finally:
            self._lock.release()

    def position(self) -> tuple[int, int] | None:
        """Items claimed so far and in all, once both parts' ends are known."""
        state = self._state[:]
        if state[1] < 0 or state[4] < 0:
            return None
        return state[0] + state[3], state[1] + state[4]


#: Seconds to wait for the claims' lock before looking whether the other process lives.
_LOCK_PATIENCE = 1.0


def _parse_claims(
    job: PartJob,
    claims: _Claims,
    part: int,
    candidates: Candidates,
    result: SmallVariants,
    progress: Progress,
    alive: Callable[[], bool],
) -> bool:
    """Claim blocks of ``part`` and parse each into ``result`` until none is left; False when
    a candidate cannot be read."""
    cutter = _Cutter(candidates)
    try:
        while (block := claims.claim(part, alive)) is not None:
            if not job.parse(result, cutter.block(*block), progress):
                return False
            progress.done_before += block[1] - block[0]
    finally:
        cutter.close()
    return True


class _Cutter:
    """The blocks of a candidates file: the header, then the records of the block, each
    written to a file of its own beside it (one file per process and part, rewritten).

    A block's header leaves out the ``##contig`` lines of the chromosomes none of its records
    is on: htslib and the reader parse every header line each time a block is opened, and a
    GRCh38 header from GATK declares 3,366 contigs (14 ms a block, against 1 ms without them).
    A chromosome declared before still is, so the records read the same."""

    def __init__(self, candidates: Candidates) -> None:
        self.candidates = candidates
        self.out = candidates.path.with_name(f"block.{os.getpid()}.{candidates.path.name}")
        self._source: BinaryIO | None = None
        # The header's lines, each with the chromosome it declares (None: no ##contig line).
        self._header: list[tuple[bytes | None, bytes]] = []

    def block(self, start: int, stop: int) -> Candidates:
        candidates = self.candidates
        numbers = candidates.numbers
        if not candidates.cuttable or (start == 0 and stop == len(numbers)):
            return Candidates(candidates.path, numbers[start:stop])
        offsets = candidates.offsets
        if self._source is None:
            self._source = candidates.path.open("rb")
            *lines, rest = self._source.read(offsets[0]).split(b"\n")  # rest: b"" at a newline
            self._header = [(_declared_contig(line), line + b"\n") for line in lines]
            self._header.append((None, rest))
        self._source.seek(offsets[start])
        text = self._source.read(offsets[stop] - offsets[start] if stop < len(offsets) else -1)
        chroms = {line.partition(b"\t")[0] for line in text.split(b"\n")}
        with self.out.open("wb") as sink:
            sink.write(
                b"".join(line for chrom, line in self._header if chrom is None or chrom in chroms)
            )
            sink.write(text)
        return Candidates(self.out, numbers[start:stop])

    def close(self) -> None:
        if self._source is not None:
            self._source.close()


def _declared_contig(line: bytes) -> bytes | None:
    """The ID a ``##contig=<ID=...,...>`` header line declares; None for other lines (and
    for a contig line whose ID cannot be read: it is kept)."""
    if not line.startswith(b"##contig=<"):
        return None
    for item in line.rstrip(b"\r").removeprefix(b"##contig=<").removesuffix(b">").split(b","):
        key, equals, value = item.partition(b"=")
        if key == b"ID" and equals:
            return value
    return None


def _save_candidates(candidates: Candidates) -> None:
    """A part's candidate numbers and offsets, beside its file, for the other process."""
    for suffix, values in (("numbers", candidates.numbers), ("offsets", candidates.offsets)):
        with candidates.path.with_suffix(f".{suffix}").open("wb") as handle:
            handle.write(values if isinstance(values, array) else array("q", values))


def _saved_candidates(path: Path, records_before: int) -> Candidates:
    """The candidates of ``path`` the other process saved (:func:`_save_candidates`), their
    numbers following the input's first ``records_before`` records."""
    raw = path.with_suffix(".numbers").read_bytes()
    if records_before:
        raw = (np.frombuffer(raw, dtype=np.int64) + records_before).tobytes()
    numbers, offsets = array("q"), array("q")
    numbers.frombytes(raw)
    offsets.frombytes(path.with_suffix(".offsets").read_bytes())
    return Candidates(path, numbers, offsets)


#: Alleles per pickle of a worker's result.
_CHUNK_ALLELES = 2048


def _send_result(result: SmallVariants, stream: BinaryIO) -> None:
    """The worker's result: its counts, then its alleles in pickles of ``_CHUNK_ALLELES``.

    An unpickler keeps every object it made (and the arguments it rebuilt them from) until the
    end of its pickle: one pickle of v5m's 160k alleles grew the reader's RSS by 98 MB, pickles
    of 2048 by 32 MB. Objects shared by alleles of different pickles arrive as equal copies.
    """
    alleles, filtered = result.alleles, result.filtered_alleles
    _dump((replace(result, alleles=[], filtered_alleles=[]), len(alleles), len(filtered)), stream)
    for items in (alleles, filtered):
        for start in range(0, len(items), _CHUNK_ALLELES):
            _dump(items[start : start + _CHUNK_ALLELES], stream)


def _receive_result(stream: BinaryIO) -> SmallVariants:
    result, count, filtered = _load(stream)
    for items, total in ((result.alleles, count), (result.filtered_alleles, filtered)):
        while len(items) < total:
            items.extend(_load(stream))
    return result  # type: ignore[no-any-return]


def _dump(value: object, stream: BinaryIO) -> None:
    """``value`` pickled by :class:`_Pickler` to ``stream``."""
    with collector_paused():
        _Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(value)


def _load(stream: BinaryIO) -> Any:
    """Unpickled with the cyclic garbage collector paused: the thousands of objects made would
    set off collections that go over all of this process's objects (four times the time)."""
    with collector_paused():
        return pickle.load(stream)  # noqa: S301 (from our own forked worker)


class _Pickler(pickle.Pickler):
    """Pickles frozen slotted dataclasses (a variant, its alterations, their protein changes)
    as their class and field values: rebuilt by the class itself where its ``__init__`` is a
    :func:`~annotator.models.fast_init` one taking every field by position (the cheapest way
    to make one: 0.08 s against 0.15 s to unpickle v1m's 32k alleles), else without
    ``__init__`` by setting the slots (the dataclasses' own ``__setstate__`` looks the fields
    up again for every object: twice the time). Read-only mappings (a variant without
    annotations) pickle as one."""

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is MappingProxyType:
            return _read_only, (dict(obj),)
        values = _slot_values(cast(Hashable, kind))
        if values is None:
            return NotImplemented
        if _built_by_init(cast(Hashable, kind)):
            return kind, values(obj)
        return _rebuilt, (kind, values(obj))


@functools.cache
def _built_by_init(kind: type) -> bool:
    """Whether ``kind(*values)`` rebuilds an object from its slot values, quickly: a fast
    ``__init__`` whose parameters are all the fields, by position (no ``__post_init__``)."""
    return has_fast_init(kind) and all(
        item.init and not item.kw_only for item in dataclasses.fields(kind)
    )


@functools.cache
def _slot_names(kind: type) -> tuple[str, ...] | None:
    """The slots of a slotted dataclass (all its fields), else None."""
    fields = getattr(kind, "__dataclass_fields__", None)
    slots = kind.__dict__.get("__slots__")
    if fields is None or slots is None or set(slots) != set(fields):
        return None
    return tuple(fields)


@functools.cache
def _slot_values(kind: type) -> Callable[[Any], tuple[Any, ...]] | None:
    """A function giving an object's slot values in :func:`_slot_names` order."""
    names = _slot_names(kind)
    if names is None:
        return None
    if len(names) == 1:
        return lambda obj: (getattr(obj, names[0]),)
    return operator.attrgetter(*names)


@functools.cache
def _slot_setters(kind: type) -> tuple[Callable[[Any, Any], None], ...]:
    names = _slot_names(kind)
    assert names is not None
    return tuple(kind.__dict__[name].__set__ for name in names)


def _rebuilt(kind: type, values: tuple[Any, ...]) -> Any:
    obj: Any = object.__new__(kind)
    for setter, value in zip(_slot_setters(kind), values, strict=True):
        setter(obj, value)
    return obj


def _read_only(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)
