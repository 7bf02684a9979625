"""Small helpers shared by the table readers (copy number, expression, MSI): reading a
possibly gzipped UTF-8 file, splitting rows, parsing numbers, and formatting values for
``Alteration.detail``. Every failure is an ``InputError`` naming the file and line."""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import stat
import zlib
from collections.abc import Sequence
from pathlib import Path

from annotator.errors import InputError

#: Cell values that mean "no value" in the table formats.
MISSING_VALUES = frozenset({"", ".", "na", "nan", "null", "none"})

_MAX_SHOWN_COLUMNS = 10


def refuse_stream_input(path: Path | str, hint: str) -> None:
    """InputError when the input ``path`` is a pipe or a device: it is read more than once
    (and opening a named pipe with no writer would wait for one)."""
    with contextlib.suppress(OSError):  # a path that cannot be looked at fails when opened
        if not stat.S_ISREG(os.stat(path).st_mode) and not os.path.isdir(path):
            raise InputError(
                "is a pipe or a device, not a file: the input is read more than once",
                path=path,
                hint=hint,
            )


def read_text_lines(path: Path, what: str) -> list[str]:
    """The lines of a UTF-8 text file, gzip-compressed or not; InputError when unreadable.

    ``what`` names the file in messages ("copy-number", "expression" ...).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} file not found", path=path) from None
    except OSError as error:
        raise InputError(
            f"cannot read the {what} file: {error.strerror or error}", path=path
        ) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise InputError(f"{what} file is not valid gzip: {error}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(
            f"{what} file is not UTF-8 text", path=path, line=line, hint="is it a binary file?"
        ) from None
    refuse_nul(text, path, what)
    return text.splitlines()


def refuse_nul(text: str, path: Path, what: str, first_line: int = 1) -> None:
    """InputError when ``text`` (whose first line is ``first_line`` of the file) holds a NUL
    character: valid UTF-8, but never in a text table (a damaged copy holds runs of them); a
    cell holding one would silently match nothing."""
    at = text.find("\0")
    if at >= 0:
        raise InputError(
            f"{what} file holds a NUL byte, which no text table does",
            path=path,
            line=first_line + text.count("\n", 0, at),
            hint="is it a binary file, or a damaged copy?",
        )


def parse_number(text: str, *, column: str, path: Path, line: int) -> float:
    """A finite number from a table cell; InputError naming the column and line otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"{column} '{text}' is not a number", path=path, line=line)
    return value


def split_row(row: str, width: int, *, path: Path, line: int) -> list[str]:
    """The tab-separated cells of a table row, which must be as many as the header's."""
    cells = row.split("\t")
    if len(cells) != width:
        raise InputError(
            f"row has {len(cells)} tab-separated columns but the header has {width}",
            path=path,
            line=line,
        )
    return [cell.strip() for cell in cells]


def describe_columns(columns: Sequence[str]) -> str:
    """A header's columns for a message, shortened when there are many."""
    shown = ", ".join(columns[:_MAX_SHOWN_COLUMNS])
    if len(columns) > _MAX_SHOWN_COLUMNS:
        shown += f", ... ({len(columns)} columns)"
    return shown


def format_number(value: float, decimals: int = 2) -> str:
    """``value`` with at most ``decimals`` decimals and no trailing zeros: 3.53, 1.9, 8."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_region(chrom: str, start: int, end: int) -> str:
    """``chr12:57.9-58.5 Mb`` (1-based, inclusive bounds); exact bases for short regions."""
    for decimals in (1, 2, 3):
        low, high = f"{start / 1e6:.{decimals}f}", f"{end / 1e6:.{decimals}f}"
        if low != high:
            return f"{chrom}:{low}-{high} Mb"
    return f"{chrom}:{start}-{end}"
