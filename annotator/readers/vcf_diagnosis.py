"""Why a VCF cannot be read, said in one line with the line it is on.

htslib's own messages are terse (``cannot parse VCF header``, ``error parsing variant``) and
hidden (:func:`annotator.readers.htslib_messages.set_htslib_messages`). Before a file is opened,
:func:`check_file` refuses what is no complete VCF or BCF (missing, empty, a directory, not
VCF text, a BGZF file without its end-of-file block, a plain VCF cut inside its last record);
when htslib refuses one anyway, :func:`diagnose` reads its text again, on failure only, for
the first problem it can name and its line.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from annotator.errors import InputError
from annotator.readers.text import refuse_stream_input

VCF_MAGIC = b"##fileformat=VCF"
BCF_MAGIC = b"BCF\x02"
GZIP_MAGIC = b"\x1f\x8b"
# The empty BGZF block every BGZF writer (bgzip, htslib, pysam, htsjdk) ends a file with.
_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_PREFIX_SIZE = 65536  # enough compressed bytes to hold a whole first BGZF block
_CLIPPED = 40
# ID=value pairs inside ##KEY=<...>: values are bare or double-quoted with backslash escapes.
_STRUCTURED_FIELD = re.compile(r'(?:^|,)\s*([^=,]+)=("(?:[^"\\]|\\.)*"|[^,]*)')
_ESCAPE = re.compile(r"\\(.)")


def check_file(path: str) -> None:
    """Raise InputError unless ``path`` looks like a complete VCF or BCF file."""
    refuse_stream_input(
        path, hint="write it to a file first, e.g. with bcftools view -Oz -o tumor.vcf.gz"
    )
    try:
        with open(path, "rb") as handle:
            head = handle.read(_PREFIX_SIZE)
            tail = b""
            if is_bgzf(head):
                size = handle.seek(0, 2)
                handle.seek(max(size - len(_BGZF_EOF), 0))
                tail = handle.read()
            elif head.startswith(VCF_MAGIC):
                _check_last_line(handle, path)
    except FileNotFoundError:
        raise InputError(
            "file not found", path=path, hint="check the path and the file name"
        ) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a VCF file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=path) from None

    if not head:
        raise InputError("the file is empty", path=path, hint="expected a VCF or BCF file")
    content = head
    if head.startswith(GZIP_MAGIC):
        if tail and tail != _BGZF_EOF:
            raise InputError(
                "the file is truncated: the BGZF end-of-file block is missing",
                path=path,
                hint="re-create it from the complete VCF with 'bgzip'",
            )
        try:
            content = _gunzip_prefix(head, len(VCF_MAGIC))
        except zlib.error as exc:
            raise InputError(
                f"corrupt gzip data ({exc})", path=path, hint="expected a VCF.gz or BCF file"
            ) from None
        if not content:
            raise InputError(
                "the file is empty once decompressed", path=path, hint="expected a VCF or BCF file"
            )
    if content.startswith((VCF_MAGIC, BCF_MAGIC)):
        return
    first_line = content.split(b"\n", 1)[0][:40]
    shown = first_line.decode("ascii", "backslashreplace")
    raise InputError(
        f"not a VCF or BCF file: it begins with '{shown}', not '##fileformat=VCF'",
        path=path,
        hint="expected a VCF, VCF.gz (bgzip) or BCF file",
    )


def _check_last_line(handle: BinaryIO, path: str) -> None:
    """InputError when a plain VCF ends inside a record: its last line has no newline and
    fewer columns than the #CHROM line names (htslib reads such a line as a record whose
    sample columns are missing: a file cut short would give its last record without them)."""
    end = handle.seek(0, 2)
    handle.seek(max(end - 1, 0))
    if handle.read(1) == b"\n":
        return
    last = b""
    while end > 0 and b"\n" not in last:  # back to the start of the last line, however long
        start = max(end - _PREFIX_SIZE, 0)
        handle.seek(start)
        last = handle.read(end - start) + last
        end = start
    last = last.rsplit(b"\n", 1)[-1]
    if not last.strip() or last.startswith(b"#"):
        return
    handle.seek(0)
    columns = 0
    for line in handle:  # the header only
        if line.startswith(b"#CHROM") or not line.startswith(b"#"):
            columns = line.count(b"\t") + 1 if line.startswith(b"#CHROM") else 0
            break
    found = last.count(b"\t") + 1
    if found < columns:
        raise InputError(
            f"the file ends inside a record: its last line has no newline and {found} of the "
            f"{columns} columns the #CHROM line names",
            path=path,
            hint="is the file cut short? copy or write it again",
        )


def is_bgzf(head: bytes) -> bool:
    """True for the header of a BGZF block: gzip with an extra field holding subfield 'BC'."""
    return (
        head.startswith(GZIP_MAGIC)
        and len(head) >= 14
        and bool(head[3] & 4)
        and head[12:14] == b"BC"
    )


def _gunzip_prefix(data: bytes, size: int) -> bytes:
    """Up to ``size`` decompressed bytes from the start of gzip ``data`` (several members)."""
    out = b""
    while data and len(out) < size:
        member = zlib.decompressobj(wbits=31)
        out += member.decompress(data, size - len(out))
        if not member.eof:
            break
        data = member.unused_data
    return out


@dataclass(frozen=True)
class Diagnosis:
    """What a second look at the text of a file htslib refused found: the problem, if one
    could be named, and the line (of the record asked about, or of the problem)."""

    problem: str | None = None
    line: int | None = None


_FIXED_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
_INTEGER = re.compile(r"[-+]?[0-9]+")


def diagnose(path: str, *, record: int | None, to_the_end: bool = True) -> Diagnosis:
    """Why htslib refused ``path``: the header (``record=None``) or record number ``record``.

    htslib's own message is terse (``cannot parse VCF header``, ``error parsing variant``) and
    hidden, so the text of the file is read again, on failure only, looking for the first
    problem that can be named: no or a malformed ``#CHROM`` line, a sample named twice, too
    few columns, a POS that is not a number, a FORMAT value that is not of its declared type,
    a gzip stream that ends early (read to its end unless ``to_the_end`` is false). BCF is
    binary: nothing can be said about it here.
    """
    try:
        with open(path, "rb") as raw:
            compressed = raw.read(2) == GZIP_MAGIC
        with gzip.open(path, "rb") if compressed else open(path, "rb") as handle:
            if handle.peek(len(BCF_MAGIC))[: len(BCF_MAGIC)] == BCF_MAGIC:
                return Diagnosis()
            found = _diagnose_lines(iter(handle), record)
            if found.problem is None and compressed and to_the_end:
                for _ in handle:  # the gzip stream may end early: read it to its end
                    pass
            return found
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        return Diagnosis(f"the gzip data is truncated or corrupt ({exc})")
    except OSError:
        return Diagnosis()


def _diagnose_lines(lines: Iterator[bytes], record: int | None) -> Diagnosis:
    format_types: dict[str, str] = {}
    columns: list[str] | None = None
    number = 0
    line_number = 0
    empty_run = 0
    for raw in lines:
        line_number += 1
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        empty_run = empty_run + 1 if not text else 0
        if empty_run == 2 and record is not None and number == record - 1:
            return Diagnosis(
                "a second empty line in a row: htslib reads records across one empty line, "
                "but ends with an error at a second (remove the empty lines, e.g. with "
                "grep -v '^$')",
                line_number,
            )
        if text.startswith("##"):
            kind, fields = parse_structured(text)
            if kind == "FORMAT" and "ID" in fields:
                format_types[fields["ID"]] = fields.get("Type", "")
            continue
        if text.startswith("#"):
            columns = text.split("\t")
            problem = _header_columns_problem(columns)
            if problem is not None:
                return Diagnosis(problem, line_number)
            continue
        if not text:
            continue  # htslib skips empty lines, and so does the count of records
        if columns is None:
            return Diagnosis(
                "the header has no '#CHROM POS ID REF ALT QUAL FILTER INFO' line before the "
                "first record",
                line_number,
            )
        if record is None:
            return Diagnosis()  # the header itself looks right
        number += 1
        if number == record:
            return Diagnosis(_record_problem(text, columns, format_types), line_number)
    if columns is None:
        return Diagnosis(
            "the header has no '#CHROM POS ID REF ALT QUAL FILTER INFO' line",
            line_number or None,
        )
    return Diagnosis()


def _header_columns_problem(columns: Sequence[str]) -> str | None:
    if tuple(columns[: len(_FIXED_COLUMNS)]) != _FIXED_COLUMNS:
        shown = clip(" ".join(columns))
        return (
            f"the #CHROM line {shown!r} does not begin with the tab-separated columns "
            f"{' '.join(_FIXED_COLUMNS)}"
        )
    samples = columns[len(_FIXED_COLUMNS) + 1 :]
    seen: set[str] = set()
    for sample in samples:
        if sample in seen:
            return f"sample name {clip(sample)!r} appears twice in the #CHROM line"
        seen.add(sample)
    return None


def _record_problem(
    text: str, columns: Sequence[str], format_types: Mapping[str, str]
) -> str | None:
    fields = text.split("\t")
    if len(fields) < len(_FIXED_COLUMNS):
        spaces = " (are the columns separated by spaces?)" if " " in text else ""
        return (
            f"{len(fields)} tab-separated column{'s' if len(fields) != 1 else ''}, expected at "
            f"least {len(_FIXED_COLUMNS)} (CHROM POS ID REF ALT QUAL FILTER INFO){spaces}"
        )
    position = fields[1]
    if not position.isdigit():
        return f"POS {clip(position)!r} is not a number"
    if len(columns) > len(_FIXED_COLUMNS) and len(fields) != len(columns):
        return f"{len(fields)} columns, but the #CHROM line names {len(columns)}"
    if len(fields) <= len(_FIXED_COLUMNS) + 1:
        return None
    keys = fields[len(_FIXED_COLUMNS)].split(":")
    samples = columns[len(_FIXED_COLUMNS) + 1 :]
    for sample, values in zip(samples, fields[len(_FIXED_COLUMNS) + 1 :], strict=False):
        for key, value in zip(keys, values.split(":"), strict=False):
            kind = format_types.get(key)
            if kind in ("Integer", "Float") and not all(
                _is_number(part, kind) for part in value.split(",")
            ):
                article = "an" if kind == "Integer" else "a"
                return (
                    f"FORMAT/{key} of sample {clip(sample)} is {clip(value)!r}, not {article} "
                    f"{kind} as the header declares"
                )
    return None


def _is_number(text: str, kind: str) -> bool:
    if text == ".":
        return True
    if kind == "Integer":
        return _INTEGER.fullmatch(text) is not None
    try:
        float(text)
    except ValueError:
        return False
    return True


def clip(text: str) -> str:
    return text if len(text) <= _CLIPPED else text[: _CLIPPED - 3] + "..."


def parse_structured(line: str) -> tuple[str, dict[str, str]]:
    """``("INFO", {"ID": ..., "Description": ...})`` for ``##INFO=<...>``; ``("", {})`` for
    lines that are not ``##KEY=<...>``. Quoted values come back unquoted and unescaped."""
    if not line.startswith("##") or not line.endswith(">"):
        return "", {}
    kind, _, body = line[2:-1].partition("=<")
    if not body:
        return "", {}
    fields: dict[str, str] = {}
    for match in _STRUCTURED_FIELD.finditer(body):
        key, value = match.group(1).strip(), match.group(2)
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = _ESCAPE.sub(r"\1", value[1:-1])
        fields.setdefault(key, value)
    return kind, fields
