"""Reading a large BGZF input in two parts side by side: the second part in a forked worker.

The text prefilter (:mod:`annotator.prefilter`) costs about the same for every part of a file,
so on a machine with two CPUs the second half of a large BGZF file is scanned by a worker
process (``fork``: it starts with the rules and tables this process has loaded, nothing is
re-read) while this process scans the first half. The candidates of both halves are then
dealt to the two processes in blocks, by turns, and each parses its own. The worker's alleles
go among this process's in the order of their records (its record numbers continue this
process's part), and its counts are added: the result is that of one pass, which the tests
compare.

What the worker sends is pickled; a worker that fails to read a candidate or dies makes the
caller fall back to the whole-file pass, as an unreadable candidate does without the split.
An input error found by the worker's scan (a damaged block) is raised here, before this
process parses anything, as a single pass would raise it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import operator
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from annotator.bgzf import Part, split_in_two
from annotator.collector import collector_paused
from annotator.errors import InputError
from annotator.models import has_fast_init

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from annotator.inputs import PartJob, SmallVariants

#: Compressed size from which a BGZF input is read in two parts (below it, forking a worker
#: costs about what it saves).
SPLIT_MIN_BYTES = 16 << 20


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def split_for_workers(path: Path, threads: int | None) -> tuple[Part, Part] | None:
    """The two parts of ``path`` to read side by side, or None to read it in one pass: with
    one thread (``--threads 1``, or one usable CPU), without ``fork`` (Linux only: elsewhere
    forking a process that has threads is unsafe), or for a file that is small or not BGZF."""
    workers = threads if threads is not None else min(2, usable_cpus())
    if workers < 2 or not sys.platform.startswith("linux"):
        return None
    try:
        if path.stat().st_size < SPLIT_MIN_BYTES:
            return None
        return split_in_two(path)
    except OSError:
        return None


@dataclass(frozen=True)
class Candidates:
    """Candidate records to parse: the VCF holding them (header, then the records) and each
    record's number in the input."""

    path: Path
    numbers: Sequence[int]


#: A run of records of a candidates file: (path, first, end, the file's record count), as
#: 0-based record indexes.
_Piece = tuple[Path, int, int, int]


class ForkedPart:
    """A worker process that scans ``part`` of the job's input, then parses its share of the
    candidates of both parts.

    Use as a context manager around this process's own part: on the way out the worker is
    stopped whatever happened. In between, :meth:`share` waits for the worker's scan (raising
    the input error it met, if any) and deals the candidates of both parts to the two
    processes (see :func:`_halves`): the second part's may be many more than the first's
    (the rule genes are not spread evenly over the genome), and they differ in cost.
    :meth:`add_to` then adds the worker's alleles and counts to the result.
    """

    def __init__(self, job: PartJob, part: Part, out: Path) -> None:
        import multiprocessing  # noqa: PLC0415 (only for inputs read in parts)

        context = multiprocessing.get_context("fork")
        self._connection, child_end = context.Pipe()
        # The worker's alleles come through a pipe of their own, pickled as a stream: neither
        # process holds the whole pickle in memory.
        self._alleles, alleles_end = os.pipe()
        self._out = out
        self._process: BaseProcess = context.Process(
            target=_work,
            args=(job, part, out, child_end, (self._alleles, alleles_end)),
            daemon=True,
        )
        self._process.start()
        child_end.close()
        os.close(alleles_end)
        self._usable = True

    def __enter__(self) -> ForkedPart:
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

    def share(self, mine: Candidates, records_before: int, out: Path) -> Candidates:
        """This process's share of the candidates of both parts (``mine``: the first part's;
        the second part's records are numbered from ``records_before + 1``), written to
        ``out`` if it is not one part's file as it stands. Raises the input error the
        worker's scan met."""
        message = self._receive()
        if message is None:
            return mine  # the worker is gone: add_to says so
        if message[0] == "error":
            raise InputError(message[1], **message[2])
        theirs = Candidates(self._out, [number + records_before for number in message[1]])
        first, second = _halves(mine, theirs)
        self._connection.send(second)
        return _gathered(*first, out)

    def add_to(self, result: SmallVariants) -> bool:
        """Add the worker's alleles and counts to ``result``; False when the worker could not
        read a candidate or ended without a result (the caller then reads the whole file)."""
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
            raise RuntimeError(f"the worker reading the second part failed: {message[1]}")
        return message


def _work(
    job: PartJob, part: Part, out: Path, connection: Connection, alleles: tuple[int, int]
) -> None:
    """In the worker: scan the part, report, wait for its share of the candidates, parse."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent process handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # and stops this one when it must
    os.close(alleles[0])
    try:
        try:
            counts = job.scan(out, part, None)
        except InputError as error:
            where = {"path": error.path, "line": error.line, "record": error.record}
            connection.send(("error", error.message, {**where, "hint": error.hint}))
            return
        connection.send(("scanned", counts.picked.numbers))
        pieces, numbers = connection.recv()
        result = job.new_result()
        share = _gathered(pieces, numbers, out.with_name(f"share.{out.name}"))
        if job.parse(result, share, show_progress=False):
            counts.add_to(result, job.config)
            connection.send(("parsed",))
            with os.fdopen(alleles[1], "wb", closefd=False) as stream:
                _send_result(result, stream)
        else:
            connection.send(("unreadable",))
    except EOFError:  # the parent process is gone or no longer needs the part
        return
    except Exception as error:  # a fault of the annotator: shown by the parent process
        connection.send(("crash", "".join(traceback.format_exception_only(error)).strip()))
    finally:
        connection.close()
        os.close(alleles[1])


#: The candidates of both parts are dealt to the two processes in this many blocks.
_BLOCKS = 64


def _halves(
    first: Candidates, second: Candidates
) -> tuple[tuple[list[_Piece], list[int]], tuple[list[_Piece], list[int]]]:
    """The candidates of both parts, in order, dealt in ``_BLOCKS`` blocks of equal count to
    this process and the worker by turns (as pieces of the two files, with their numbers);
    each part's own when the files cannot be cut by record (a '#' line among the records: the
    parser decides what it is).

    By turns, not in two runs: the candidates differ in cost with their gene (an allele in a
    coding exon of the gene table needs a codon decision), and the genes lie in runs. On v5m
    the worker took 2.2-2.4 s for the second half of the candidates and this process 1.6 s
    for the first. The alleles come back in the order of their records either way
    (:meth:`~annotator.inputs.SmallVariants.merge`)."""
    count, other = len(first.numbers), len(second.numbers)
    total = count + other
    if total < 2 or not (_cuttable(first) and _cuttable(second)):
        return ([(first.path, 0, count, count)], list(first.numbers)), (
            [(second.path, 0, other, other)],
            list(second.numbers),
        )
    numbers = [*first.numbers, *second.numbers]
    size = -(-total // _BLOCKS)  # rounded up: at most _BLOCKS blocks
    shares: tuple[tuple[list[_Piece], list[int]], ...] = (([], []), ([], []))
    for index, start in enumerate(range(0, total, size)):
        end = min(start + size, total)
        pieces, picked = shares[index % 2]
        picked.extend(numbers[start:end])
        if start < count:
            pieces.append((first.path, start, min(end, count), count))
        if end > count:
            pieces.append((second.path, max(start, count) - count, end - count, other))
    return shares[0], shares[1]


def _cuttable(candidates: Candidates) -> bool:
    """Whether the file holds one record line per number, so it can be cut between any two
    records (nothing to check with fewer than two)."""
    if len(candidates.numbers) < 2:
        return True
    records = 0
    with candidates.path.open("rb") as handle:
        for line in _record_lines(handle, header=None):
            if line.startswith(b"#"):
                return False
            records += 1
    return records == len(candidates.numbers)


def _record_lines(handle: BinaryIO, header: BinaryIO | None) -> Iterator[bytes]:
    """The record lines of a candidates file, read one at a time; its header lines (the
    leading '#' lines) are copied to ``header`` first, whether or not a record is read."""
    lines = iter(handle)
    for line in lines:
        if not line.startswith(b"#"):
            return itertools.chain((line,), lines)
        if header is not None:
            header.write(line)
    return iter(())


def _gathered(pieces: list[_Piece], numbers: Sequence[int], out: Path) -> Candidates:
    """The candidates of ``pieces``: one whole file as it is, else written to ``out`` (the
    header of the first piece's file, then the pieces' records), a line at a time. The pieces
    of one file come together and in order, so each file is read once."""
    if len(pieces) == 1:
        path, first, end, total = pieces[0]
        if first == 0 and end == total:
            return Candidates(path, numbers)
    with out.open("wb") as sink, contextlib.ExitStack() as files:
        reading: Path | None = None
        records: Iterator[bytes] = iter(())
        at = 0  # records of ``reading`` read so far
        for path, first, end, _total in pieces:
            if path != reading:
                source = files.enter_context(path.open("rb"))
                records = _record_lines(source, header=None if reading else sink)
                reading, at = path, 0
            sink.writelines(itertools.islice(records, first - at, end - at))
            at = end
    return Candidates(out, numbers)


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
