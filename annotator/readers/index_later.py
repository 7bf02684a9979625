"""Opening an indexed VCF.gz so that htslib loads its index once, and only to read regions.

htslib's ``vcf_hdr_read`` loads the tabix index of a bgzipped VCF whenever one lies beside
it (since htslib 1.7, to add the contigs the header does not list), and cyvcf2 loads it
again for the first region query: for the index of a whole-genome VCF (its linear index
covers the genome) that is 50-70 ms each time, and a pass over every record (the text
prefilter, ``--out-vcf``, TMB) does not use it at all.

So such a file is opened through a link to it in a private directory, where htslib finds no
index beside it, and the directory goes once the file is open (:meth:`IndexLater.opened`).
Only when a region is to be read is the directory made again, with a link to the index where
the file's was (:meth:`IndexLater.expose_index`); it goes once the index is loaded
(:meth:`IndexLater.remove`). A process killed while the index loads leaves it behind. Not
when the index names a sequence the header's contig lines do not (htslib then adds it to the
header from the index, and records on it read without a warning), nor for an index older
than its file (htslib's warning then names the user's file), nor where the links cannot be
made: the file is then opened as it is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


class IndexLater:
    """A link to a VCF.gz in a directory of its own (``link``), and later one to its index."""

    def __init__(self, path: str, index: Path) -> None:
        self._directory = tempfile.mkdtemp(prefix="resistance-annotator.")
        self._index = index
        self._exposed = False
        # The file's own name: cyvcf2 and htslib tell a VCF.gz from a BCF by it.
        self.link = os.path.join(self._directory, os.path.basename(path))
        try:
            os.symlink(os.path.abspath(path), self.link)
        except BaseException:
            self.remove()
            raise

    def opened(self) -> None:
        """The file is open: its link and the directory go (htslib reads the open file)."""
        self.remove()

    def expose_index(self) -> None:
        """Make the directory again (once), with a link to the index where the file's was:
        the next region query loads it. OSError if the directory cannot be made (as it
        was: another's of that name is never used)."""
        if not self._exposed:
            self._exposed = True
            os.mkdir(self._directory, 0o700)
            os.symlink(os.path.abspath(self._index), self.link + self._index.suffix)

    def remove(self) -> None:
        """Remove the links and their directory (the file stays open, and an index loaded)."""
        shutil.rmtree(self._directory, ignore_errors=True)


def index_later(path: str, index: Path | None) -> IndexLater | None:
    """An :class:`IndexLater` for a bgzipped VCF with an index no older than itself; None
    for another file (a BCF's header read loads no index) or when the links cannot be
    made."""
    if index is None or path.endswith(".bcf"):
        return None
    with contextlib.suppress(OSError):
        if index.stat().st_mtime < os.stat(path).st_mtime:
            return None
        return IndexLater(path, index)
    return None
