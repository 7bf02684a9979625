"""The reference FASTA (``--reference``), read through htslib's faidx in each process that uses it.

A forked worker (:mod:`annotator.parts`) inherits the main process's open FASTA, and with it
one file offset shared by both: htslib seeks, then reads, so two processes fetching at once
could each read bases from where the other had sought. :class:`ReferenceFile` opens the file
again in a process other than the one that opened it, on its first fetch there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.errors import InputError

if TYPE_CHECKING:
    import pysam


class ReferenceFile:
    """An indexed FASTA (see :func:`open_reference`): ``references`` and ``fetch`` as
    ``pysam.FastaFile`` gives them, from a handle of this process's own."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pid = os.getpid()
        self._fasta = _open(path)

    @property
    def references(self) -> Sequence[str]:
        return self._own().references

    def fetch(self, reference: str, start: int, end: int) -> str:
        """Bases ``start``..``end`` (0-based, half-open) of ``reference``."""
        return self._own().fetch(reference, start, end)

    def close(self) -> None:
        if self._pid == os.getpid():
            self._fasta.close()

    def _own(self) -> pysam.FastaFile:
        if self._pid != os.getpid():  # forked: the inherited handle is left to its owner
            self._fasta = _open(self.path)
            self._pid = os.getpid()
        return self._fasta


def open_reference(path: Path) -> ReferenceFile:
    """The reference FASTA, which must be indexed: nothing is written beside the user's file."""
    if not path.is_file():
        raise InputError("reference FASTA not found", path=path)
    if not Path(f"{path}.fai").is_file():
        raise InputError(
            "the reference FASTA has no index (.fai)",
            path=path,
            hint=f"index it with 'samtools faidx {path}'",
        )
    return ReferenceFile(path)


def _open(path: Path) -> pysam.FastaFile:
    import pysam  # noqa: PLC0415 (pysam only where it is used: 18 ms of every start)

    try:
        return pysam.FastaFile(str(path))
    except (OSError, ValueError) as error:
        raise InputError(
            f"cannot open the reference FASTA: {error}",
            path=path,
            hint="give an uncompressed or bgzip-compressed FASTA indexed with samtools faidx",
        ) from None
