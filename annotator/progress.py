"""A progress line on stderr for long inputs: records read, bytes (or regions) done, rate, ETA.

It appears only after ``DELAY`` seconds (short runs print nothing), only when the stream is a
terminal, and never with ``--quiet``; it is redrawn at most every ``INTERVAL`` seconds and
erased when the pass ends. How far the pass is comes from a callable giving ``(done, total)``:
for a whole-file pass the offset of the file's descriptor in the compressed file (read from
``/proc/self/fdinfo``, Linux only; elsewhere only the records and their rate are shown), for
the indexed path the number of regions read.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TextIO

DELAY = 2.0
INTERVAL = 0.5
_CHECK_EVERY = 1024  # records between looks at the clock

#: ``(done, total)`` of the pass in some unit, or None when it cannot tell.
Position = Callable[[], tuple[int, int] | None]


class Progress:
    """Call ``update(records)`` for every record; use as a context manager to erase the line."""

    def __init__(
        self,
        *,
        enabled: bool,
        position: Position | None = None,
        unit: str = "bytes",
        label: str = "reading",
        stream: TextIO | None = None,
        delay: float = DELAY,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and _is_terminal(self._stream)
        self._position = position
        self._unit = unit
        self._label = label
        self._started = time.monotonic()
        self._next_draw = self._started + delay
        self._drawn = False
        #: Records counted before the pass that ``update`` counts from 0 (earlier blocks).
        self.done_before = 0
        #: The count last drawn (a position may measure the pass by it).
        self.counted = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def update(self, records: int) -> None:
        """For a caller counting one record at a time: looks at the clock now and then."""
        if not records % _CHECK_EVERY:
            self.update_now(self.done_before + records)

    def update_now(self, records: int) -> None:
        """For a caller counting records by the thousand (a chunk of lines)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now < self._next_draw:
            return
        self.counted = records
        self._next_draw = now + INTERVAL
        self._stream.write("\r" + self.line(records, now - self._started) + "\x1b[K")
        self._stream.flush()
        self._drawn = True

    def line(self, records: int, elapsed: float) -> str:
        """The text shown: records and their rate, then the share done and the ETA if known."""
        rate = records / elapsed if elapsed > 0 else 0.0
        parts = [f"{records:,} records", f"{rate:,.0f}/s"]
        where = self._position() if self._position is not None else None
        if where is not None and where[1] > 0:
            done, total = where
            share = min(done / total, 1.0)
            parts.append(
                f"{share:.0%} of "
                + (_size(total) if self._unit == "bytes" else f"{total:,} {self._unit}")
            )
            if share > 0:
                parts.append(f"ETA {_duration(elapsed * (1 - share) / share)}")
        return f"{self._label}: " + ", ".join(parts)

    def up_to(self, end: int, label: str) -> None:
        """Measure the pass against ``end`` (of the position's unit) instead of the whole: for
        a process reading the first part of a file."""
        position = self._position
        if position is not None:
            self._position = lambda: (
                None if (where := position()) is None else (min(where[0], end), end)
            )
        self._label = label

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn = False


def file_offset(path: str | Path) -> Position:
    """How far into ``path`` this process has read it, from the descriptor that has it open."""
    target = os.path.realpath(path)
    try:
        total = os.path.getsize(target)
    except OSError:
        total = 0

    def position() -> tuple[int, int] | None:
        # The file may be open more than once (the header reader and the pass): the furthest.
        offsets = [_offset(descriptor) for descriptor in _descriptors_of(target)]
        found = [offset for offset in offsets if offset is not None]
        return (max(found), total) if found else None

    return position


def _offset(descriptor: str) -> int | None:
    try:
        with open(f"/proc/self/fdinfo/{descriptor}") as info:
            for line in info:
                if line.startswith("pos:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _descriptors_of(target: str) -> list[str]:
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return []
    found = []
    for descriptor in descriptors:
        try:
            if os.readlink(f"/proc/self/fd/{descriptor}") == target:
                found.append(descriptor)
        except OSError:
            continue
    return found


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _duration(seconds: float) -> str:
    whole = int(seconds + 0.5)
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"
