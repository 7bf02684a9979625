"""htslib's own ``[W::…]``/``[E::…]`` messages: hidden unless ``--debug`` (the annotator's
errors name the file and record already), and caught where htslib says something only there
(a corrupt BGZF block read through the index). cyvcf2 and pysam each carry their own copy of
htslib, with its own log level."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

import cyvcf2

#: htslib's log levels: none, errors only, and warnings (with errors).
_HTS_LOG_OFF, _HTS_LOG_ERROR, _HTS_LOG_WARNING = 0, 1, 3
_htslib_level = _HTS_LOG_WARNING


def set_htslib_messages(shown: bool) -> None:
    """Show or hide htslib's own ``[W::…]``/``[E::…]`` lines on stderr.

    Our errors already name the file and record; the CLI hides htslib's unless ``--debug``.
    """
    global _htslib_level  # noqa: PLW0603 (the one setting, as htslib's own is global)
    _htslib_level = _HTS_LOG_WARNING if shown else _HTS_LOG_OFF
    cyvcf2.cyvcf2.set_htslib_log_level(_htslib_level)


@contextlib.contextmanager
def pysam_htslib_quiet() -> Iterator[None]:
    """Hide the ``[E::…]``/``[W::…]`` lines of pysam's own copy of htslib (another library
    than cyvcf2's, with its own log level) while the block runs, as :func:`set_htslib_messages`
    hides cyvcf2's: a BCF without index makes it say "Could not retrieve index file"."""
    import pysam  # noqa: PLC0415 (pysam only where it is used: 18 ms of every start)

    previous = pysam.set_verbosity(_htslib_level)
    try:
        yield
    finally:
        pysam.set_verbosity(previous)


@contextlib.contextmanager
def htslib_errors() -> Iterator[list[str]]:
    """The ``[E::…]`` lines htslib writes while the block runs, caught from the standard
    error stream (shown as well when its messages are, with ``--debug``).

    Reading a region through the index, htslib says only there that a BGZF block is corrupt
    or that the index points into the middle of one (an index of another compression of the
    file): cyvcf2 then ends the region's records as if it were complete."""
    found: list[str] = []
    sink = _error_sink()
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(sink, 2)
    cyvcf2.cyvcf2.set_htslib_log_level(max(_htslib_level, _HTS_LOG_ERROR))
    try:
        yield found
    finally:
        cyvcf2.cyvcf2.set_htslib_log_level(_htslib_level)
        os.dup2(saved, 2)
        os.close(saved)
        size = os.lseek(sink, 0, os.SEEK_END)
        text = os.pread(sink, size, 0).decode("utf-8", errors="replace") if size else ""
        if size:
            os.ftruncate(sink, 0)
            os.lseek(sink, 0, os.SEEK_SET)
        found.extend(line for line in text.splitlines() if line.startswith("[E::"))
        if text and _htslib_level != _HTS_LOG_OFF:
            sys.stderr.write(text)


_sinks: dict[int, int] = {}


def _error_sink() -> int:
    """The descriptor of an unlinked temporary file for :func:`htslib_errors`, one per process
    (a forked worker must not share its parent's: their writes would mix), made once: a
    region is read in a few tens of microseconds. A bare descriptor, closed with the
    process."""
    pid = os.getpid()
    sink = _sinks.get(pid)
    if sink is None:
        sink, name = tempfile.mkstemp(prefix="resistance-annotator-htslib-")
        os.unlink(name)
        _sinks[pid] = sink
    return sink
