"""Whether an input is a MAF: by its name, else by its header line.

A MAF is known by its name (``.maf``, ``.maf.gz``, ``.maf.txt``, ``.maf.tsv``) or, whatever
its name, by its content: cBioPortal's studies name theirs ``data_mutations.txt`` or
``data_mutations_extended.txt`` (docs.cbioportal.org, File Formats, Mutation Data). The
content test reads the start of the file, gzip-compressed or not: lines starting with ``#``
(``#version 2.4``) are passed over, and the first other line must be a tab-separated header
holding every column a MAF needs (:data:`REQUIRED_COLUMNS` and one of
:data:`TUMOR_ALLELE_COLUMNS`, names compared case-insensitively as the reader finds them). A
VCF's first line (``##fileformat=VCF``) stops the test at once, and a BCF's decompressed
start is no header; neither is a MAF. Anything that cannot be read here (a missing file, a
pipe, which must not be opened twice, a corrupt gzip stream) is no MAF: the VCF reader then
says what is wrong with it.

Kept apart from :mod:`annotator.readers.maf` so that telling a VCF from a MAF imports none of
the MAF reader's dependencies.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Final

__all__ = [
    "MAF_SUFFIXES",
    "REQUIRED_COLUMNS",
    "TUMOR_ALLELE_COLUMNS",
    "has_maf_header",
    "is_maf",
    "is_maf_header",
]

REQUIRED_COLUMNS: Final[tuple[str, ...]] = (
    "Hugo_Symbol",
    "Chromosome",
    "Start_Position",
    "End_Position",
    "Reference_Allele",
    "Variant_Classification",
    "Tumor_Sample_Barcode",
)
TUMOR_ALLELE_COLUMNS: Final[tuple[str, ...]] = ("Tumor_Seq_Allele1", "Tumor_Seq_Allele2")

MAF_SUFFIXES: Final = (".maf", ".maf.gz", ".maf.txt", ".maf.tsv")

_GZIP_MAGIC: Final = b"\x1f\x8b"
_VCF_START: Final = "##fileformat="
#: How much of the start is read for the header: a MAF's comment lines are few and short.
_MAX_LINE_CHARACTERS: Final = 1 << 20
_MAX_COMMENT_LINES: Final = 1000


def is_maf(path: Path) -> bool:
    """A MAF by its name, or else by its header line (module docstring)."""
    if path.name.lower().endswith(MAF_SUFFIXES):
        return True
    return has_maf_header(path)


def has_maf_header(path: Path) -> bool:
    """True when the first line of ``path`` not starting with ``#`` is a MAF header; the file
    is read as UTF-8 (a byte-order mark dropped, other bytes replaced), gunzipped when gzip."""
    if not path.is_file():  # not found, a directory, a pipe or a device
        return False
    try:
        with path.open("rb") as handle:
            compressed = handle.read(2) == _GZIP_MAGIC
        with (
            gzip.open(path, "rt", encoding="utf-8-sig", errors="replace", newline="")
            if compressed
            else path.open(encoding="utf-8-sig", errors="replace", newline="")
        ) as text:
            header = _first_data_line(text)
    except (OSError, EOFError, zlib.error):
        return False
    return header is not None and is_maf_header(header.split("\t"))


def is_maf_header(names: Sequence[str]) -> bool:
    """True when ``names`` hold every column a MAF needs (case-insensitively)."""
    held = {name.strip().lower() for name in names}
    required = all(name.lower() in held for name in REQUIRED_COLUMNS)
    return required and any(name.lower() in held for name in TUMOR_ALLELE_COLUMNS)


def _first_data_line(text: IO[str]) -> str | None:
    """The first line not starting with ``#``; None for a VCF, or none found soon enough."""
    for number in range(_MAX_COMMENT_LINES + 1):
        line = text.readline(_MAX_LINE_CHARACTERS)
        if not line or (number == 0 and line.startswith(_VCF_START)):
            return None
        if line.strip() and not line.startswith("#"):
            return line.rstrip("\r\n")
    return None
