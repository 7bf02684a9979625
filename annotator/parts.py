"""Reading a large BGZF input in two parts side by side: the second part in a forked worker.

The text prefilter (:mod:`annotator.prefilter`) and the parsing of its candidates cost about
the same for every part of a file, so on a machine with two CPUs the second half of a large
BGZF file is scanned and parsed by a worker process (``fork``: it starts with the rules and
tables this process has loaded, nothing is re-read) while this process does the first half.
The worker's alleles come after this process's, its record numbers continue them, and its
counts are added: the result is that of one pass, which the tests compare.

What the worker sends is pickled; a worker that fails to read a candidate or dies makes the
caller fall back to the whole-file pass, as an unreadable candidate does without the split.
An input error found by the worker's scan (a damaged block) is raised here, before this
process parses anything, as a single pass would raise it.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

from annotator.bgzf import Part, split_in_two
from annotator.errors import InputError

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


class ForkedPart:
    """A worker process that scans and parses ``part`` of the job's input.

    Use as a context manager around this process's own part: on the way out the worker is
    stopped whatever happened. In between, :meth:`start_parsing` gives it the number of the
    records before its part (raising the input error its scan met, if any) and
    :meth:`add_to` adds its alleles and counts to the result.
    """

    def __init__(self, job: PartJob, part: Part, out: Path) -> None:
        import multiprocessing  # noqa: PLC0415 (only for inputs read in parts)

        context = multiprocessing.get_context("fork")
        self._connection, child_end = context.Pipe()
        self._process: BaseProcess = context.Process(
            target=_work, args=(job, part, out, child_end), daemon=True
        )
        self._process.start()
        child_end.close()
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

    def start_parsing(self, records_before: int) -> None:
        """Wait for the worker's scan; raise its input error; else let it parse, numbering
        its records from ``records_before + 1``."""
        message = self._receive()
        if message is None:
            return
        if message[0] == "error":
            raise InputError(message[1], **message[2])
        self._connection.send(records_before)

    def add_to(self, result: SmallVariants) -> bool:
        """Add the worker's alleles and counts to ``result``; False when the worker could not
        read a candidate or ended without a result (the caller then reads the whole file)."""
        message = self._receive() if self._usable else None
        if message is None or message[0] != "parsed":
            return False
        result.extend(pickle.loads(message[1]))  # noqa: S301 (from our own forked worker)
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


def _work(job: PartJob, part: Part, out: Path, connection: Connection) -> None:
    """In the worker: scan the part, report, wait for its first record's number, parse."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent process handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # and stops this one when it must
    try:
        try:
            counts = job.scan(out, part, None)
        except InputError as error:
            where = {"path": error.path, "line": error.line, "record": error.record}
            connection.send(("error", error.message, {**where, "hint": error.hint}))
            return
        connection.send(("scanned",))
        records_before = connection.recv()
        result = job.new_result()
        if job.parse(result, counts, first_number=records_before, show_progress=False):
            counts.add_to(result, job.config)
            connection.send(("parsed", _dumps(result)))
        else:
            connection.send(("unreadable",))
    except EOFError:  # the parent process is gone or no longer needs the part
        return
    except Exception as error:  # a fault of the annotator: shown by the parent process
        connection.send(("crash", "".join(traceback.format_exception_only(error)).strip()))
    finally:
        connection.close()


def _dumps(value: object) -> bytes:
    """``value`` pickled, read-only mappings (a variant without annotations) included."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, MappingProxyType: _reduce_proxy}
    pickler.dump(value)
    return buffer.getvalue()


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Callable[..., Any], tuple[Any]]:
    return _read_only, (dict(proxy),)


def _read_only(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)
