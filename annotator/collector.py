"""The cyclic garbage collector paused around work that makes many objects and no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused (and resumed only if it was on): a pass over the
    records, or unpickling a worker's alleles, makes many long-lived objects and no reference
    cycles, so the collector's repeated scans of the objects kept so far would only cost time
    (a third of the pass on a large input, three quarters of the unpickling)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
