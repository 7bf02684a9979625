"""The annotated VCF: the input, record for record, with the findings added as INFO tags.

Every header line and every record of the input is written back unchanged and in order. The
writer only

* adds header lines before ``#CHROM``: one ``##INFO`` line per tag (``INFO_TAGS``), then
  ``##resistance-annotator_version=``, ``##resistance-annotator_rules=<Version=..,SHA256=..>``
  and ``##resistance-annotator_command=``;
* appends the tags to the INFO column of the records that have findings (an empty INFO, ``.``,
  is replaced).

Speed and fidelity: a VCF or VCF.gz (bgzip or plain gzip) is read as bytes, and only the
records with findings are split into columns, so every other line comes out byte for byte as it
went in (line endings, spacing and encoding included). The text is looked at a few megabytes at
a time with numpy (line ends, record numbers, the order check, what the index needs), not line
by line; a BGZF block of a bgzipped input that holds no changed line is copied to a ``.gz``
output as it is stored, the others are deflated anew (ISA-L, in threads), and the ``.tbi`` is
built while writing (:mod:`annotator.tabix`), equal to the one htslib's tabix builds from the
output. Anything unusual (unsorted records, blank or ``#`` lines among the records, fewer than
eight columns, a POS that is not plain digits, an unreadable input) and a BCF input go through
the line-by-line writer, with ``pysam.tabix_index`` for the index. A BCF has no text to keep:
it is read with pysam and each record written as htslib's VCF text of it, the text ``bcftools
view`` gives.

Tags
----

Each tag has ``Number=.``, one value per finding of the record, in the same order in every
tag (findings sorted by ALT allele, then as the result lists them); ``RA_ALLELE`` says which
ALT allele (1-based) each finding is about, so multi-allelic records need no splitting.

| tag | value per finding |
| --- | --- |
| `RA_ALLELE` | ALT allele number, 1-based (Integer) |
| `RA_GENE` | gene symbol |
| `RA_ALTERATION` | alteration the rule matched (`T790M`, `exon19del`) |
| `RA_EFFECT` | `sensitivity`, `resistance` or `reduced_sensitivity` |
| `RA_THERAPIES` | the rule's regimens, separated by `\\|`; `.` when it names none |
| `RA_LEVEL` | AMP/ASCO/CAP evidence level, `A` to `D` |
| `RA_TUMOR_TYPE_MATCH` | `on_label` or `off_label` for the sample's tumor type |
| `RA_RULES` | rule ID |

Values are percent-encoded as VCF 4.3 section 1.2 prescribes for characters with a special
meaning (``%3A`` ``:``, ``%3B`` ``;``, ``%3D`` ``=``, ``%25`` ``%``, ``%2C`` ``,``, ``%0D``
CR, ``%0A`` LF, ``%09`` TAB), and additionally space (``%20``, not allowed in INFO before VCF
4.3), ``|`` (``%7C``, the regimen separator) and other control characters. A value that is
exactly ``.`` is written ``%2E``. ``urllib.parse.unquote`` (or :func:`decode_value`) undoes it:
``RA_THERAPIES=dabrafenib%20+%20trametinib|vemurafenib%20+%20cobimetinib`` is the regimens
``dabrafenib + trametinib`` and ``vemurafenib + cobimetinib``.

Findings of gene-level events (no variant) and findings set aside by ``--min-vaf`` or
``--min-depth`` (``Result.filtered_findings``) add no tags. An input that already declares
these tags (an annotated VCF annotated again) has its old ``##INFO`` lines of them, its
``##resistance-annotator_`` lines and their INFO entries dropped, so each record holds only
this run's.

Output
------

A name ending in ``.gz`` gives a BGZF file with a tabix index (``.tbi``) beside it, which needs
records sorted by position in contiguous chromosome blocks: the order is checked while writing,
and an unsorted input is an ``InputError`` naming the first record out of order. Blank lines
among the records (no records: the reader skips them too) are left out of it, as htslib's tabix
refuses to index a file holding one. Any other name gives plain text, blank lines kept. Both
are written under temporary names in the output directory and renamed into place only when
complete: an error leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from annotator import bgzf
from annotator.errors import InputError, UsageError
from annotator.models import Result
from annotator.readers.htslib_messages import pysam_htslib_quiet
from annotator.tabix import RecordOrder
from annotator.writers.atomic import is_stream, put_in_place, temporary_beside
from annotator.writers.vcf_copy import NotFast, write_fast
from annotator.writers.vcf_tags import (
    HEADER_PREFIX,
    INFO_TAGS,
    OWN_HEADER_LINES,
    TAG_PREFIX,
    THERAPY_SEPARATOR,
    InfoTag,
    RecordTags,
    annotated_line,
    decode_therapies,
    decode_value,
    encode_therapies,
    encode_value,
    record_tags,
    with_info,
)

__all__ = [
    "HEADER_PREFIX",
    "INFO_TAGS",
    "THERAPY_SEPARATOR",
    "InfoTag",
    "Register",
    "decode_therapies",
    "decode_value",
    "encode_therapies",
    "encode_value",
    "write_annotated_vcf",
]

#: A (temporary, final) pair: the caller renames ``temporary`` to ``final`` on success.
Register = Callable[[Path, Path], None]

_GZIP_MAGIC = b"\x1f\x8b"
_BCF_MAGIC = b"BCF\x02"
_VCF_MAGIC = b"##fileformat=VCF"
_BUFFER_SIZE = 1 << 20


def write_annotated_vcf(
    result: Result,
    input_path: Path,
    output: Path,
    *,
    command_line: str,
    register: Register | None = None,
    require_sorted: bool = True,
) -> str | None:
    """Write ``input_path`` with the findings of ``result`` as INFO tags to ``output``.

    Returns None, or a note when an unsorted input left a ``.gz`` output without index:
    unsorted input is an error when ``require_sorted`` (the user asked for this ``.gz``),
    else the records are still written, unindexed, and the note says why (``--out-dir``).

    ``output`` ending in ``.gz`` is BGZF-compressed and tabix-indexed (``output.tbi``). The
    files are written under temporary names beside ``output``. Without ``register`` they are
    renamed into place here once complete. With ``register`` (``OutputStage.add_written``)
    each (temporary, final) pair is handed over as soon as it is created and the caller
    renames or deletes them, so the VCF appears together with the other outputs. On error the
    temporary files are deleted either way. Once the files are complete, an ``output.csi``
    left from an earlier file is deleted: htslib would read it rather than the new ``.tbi``.
    """
    records = record_tags(result.findings)
    header = _header_lines(result, command_line)
    source_kind = _input_kind(input_path)
    compressed = output.name.endswith((".gz", ".bgz"))
    streamed = is_stream(output)  # /dev/stdout, a pipe: no index beside it
    staged: list[tuple[Path, Path]] = []
    try:
        data = temporary_beside(output)
        staged.append((data, output))
        if register is not None:
            register(data, output)
        unsorted, tabix = None, None
        try:
            if source_kind == "bcf":
                raise NotFast
            tabix = write_fast(
                records, header, input_path, source_kind, data, compressed=compressed
            )
        except NotFast:  # anything unusual: line by line, which decides and reports it
            with (
                _open_lines(input_path, source_kind) as lines,
                _open_sink(data, compressed) as sink,
            ):
                writer = _RecordWriter(
                    records,
                    header,
                    str(input_path),
                    check_order=compressed,
                    require_sorted=require_sorted,
                )
                writer.write(lines, sink)
            unsorted = writer.unsorted
        if compressed and unsorted is None and not streamed:
            index_path = output.with_name(f"{output.name}.tbi")
            index = temporary_beside(index_path)
            staged.append((index, index_path))
            if register is not None:
                register(index, index_path)
            if tabix is not None:
                bgzf.write_bgzf(index, tabix)
            else:
                _index(data, index, output)
    except OSError as error:  # reading errors are InputErrors already: this is the output
        _delete(staged)
        raise InputError(f"cannot write output: {error.strerror or error}", path=output) from None
    except BaseException:
        _delete(staged)
        raise
    if register is None:
        for temporary, final in staged:
            put_in_place(temporary, final)
    if compressed and not streamed:
        # htslib prefers a .csi to the .tbi: one left from an earlier file would be used.
        with contextlib.suppress(FileNotFoundError):
            output.with_name(f"{output.name}.csi").unlink()
    if unsorted is not None:
        return (
            f"{output}: written without a tabix index: the input records are not sorted "
            f"({unsorted}); sort the input with 'bcftools sort' to get an index"
        )
    return None


def _delete(staged: Iterable[tuple[Path, Path]]) -> None:
    for temporary, _final in staged:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


# --- what goes into the file ---------------------------------------------------------------


def _header_lines(result: Result, command_line: str) -> list[bytes]:
    rules = (
        f"<Version={_structured_value(result.rules_version)},"
        f"SHA256={_structured_value(result.rules_sha256)}>"
    )
    lines = [tag.header_line() for tag in INFO_TAGS]
    lines.append(f"##{HEADER_PREFIX}_version={_one_line(result.tool_version)}")
    lines.append(f"##{HEADER_PREFIX}_rules={rules}")
    lines.append(f"##{HEADER_PREFIX}_command={_one_line(command_line)}")
    return [line.encode() for line in lines]


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def _structured_value(text: str) -> str:
    """A value inside ``##KEY=<...>``: quoted (with backslash escapes) unless plain."""
    text = _one_line(text)
    if text and not any(char in text for char in ',<>"=\\ '):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


# --- reading -------------------------------------------------------------------------------


def _input_kind(path: Path) -> str:
    """``vcf`` (plain text), ``gzip`` (VCF.gz, BGZF or not) or ``bcf``, from the first bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_VCF_MAGIC))
        if head.startswith(_GZIP_MAGIC):
            with gzip.open(path, "rb") as handle:
                content = handle.read(len(_VCF_MAGIC))
            kind = "gzip"
        else:
            content, kind = head, "vcf"
    except OSError as error:
        raise InputError(f"cannot read the input: {error}", path=path) from None
    if content.startswith(_BCF_MAGIC):
        return "bcf"
    if content.startswith(_VCF_MAGIC):
        return kind
    raise UsageError(
        "an annotated VCF is written only from a VCF or BCF input",
        path=path,
        hint="leave out the VCF output for this input",
    )


@contextlib.contextmanager
def _open_lines(path: Path, kind: str) -> Iterator[Iterator[bytes]]:
    """The lines of the input as VCF text, each with its line ending."""
    if kind == "bcf":
        with _bcf_lines(path) as lines:
            yield lines
        return
    if kind == "gzip":
        with gzip.open(path, "rb") as compressed:
            yield _checked(iter(compressed), path)
    else:
        with open(path, "rb", buffering=_BUFFER_SIZE) as plain:
            yield _checked(iter(plain), path)


def _checked(lines: Iterator[bytes], path: Path) -> Iterator[bytes]:
    try:
        yield from lines
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise InputError(f"cannot read the input: {error}", path=path) from None


@contextlib.contextmanager
def _bcf_lines(path: Path) -> Iterator[Iterator[bytes]]:
    import pysam  # noqa: PLC0415 (pysam only where it is used: 18 ms of every start)
    from pysam.libcutils import set_encoding_error_handler  # noqa: PLC0415 (as above)

    try:
        with pysam_htslib_quiet():
            variants: Any = pysam.VariantFile(str(path))
    except NotImplementedError:  # htslib seeks in a BCF, which a plain gzip stream cannot do
        raise InputError(
            "cannot read the BCF: it is compressed with gzip, not BGZF",
            path=path,
            hint="recompress it with 'bcftools view -Ob'",
        ) from None
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the BCF: {error}", path=path) from None
    # pysam decodes the header and records as UTF-8, strictly: a Latin-1 byte (which htslib
    # and a VCF input's copy keep as it is) goes through as the same byte.
    errors = set_encoding_error_handler("surrogateescape")
    try:
        with variants:
            yield _bcf_text(variants, path)
    finally:
        set_encoding_error_handler(errors)


def _bcf_text(variants: Any, path: Path) -> Iterator[bytes]:
    yield from str(variants.header).encode(errors="surrogateescape").splitlines(keepends=True)
    number = 0
    try:
        for number, record in enumerate(variants, start=1):  # noqa: B007 - used on error
            yield str(record).encode(errors="surrogateescape")
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the record: {error}", path=path, record=number + 1) from None


# --- writing -------------------------------------------------------------------------------


class _Sink(Protocol):
    def write(self, data: bytes, /) -> Any: ...


class _RecordWriter:
    """Copies the input lines to the sink, adding header lines and the records' tags."""

    def __init__(
        self,
        records: dict[int, RecordTags],
        header: list[bytes],
        path: str,
        *,
        check_order: bool,
        require_sorted: bool = True,
    ) -> None:
        self._records = records
        self._header = header
        self._path = path
        self._order = RecordOrder() if check_order else None
        self._require_sorted = require_sorted
        self._strip_old = False
        self.unsorted: str | None = None  # the first out-of-order record, when not required

    def write(self, lines: Iterator[bytes], sink: _Sink) -> None:
        self._write_header(lines, sink)
        records, order, strip_old = self._records, self._order, self._strip_old
        number = 0
        for line in lines:
            if line in (b"\n", b"\r\n"):
                # Not a record (the reader skips empty lines too): kept in a plain output,
                # left out of a compressed one (the one whose order is checked), which htslib's
                # tabix refuses to index with it.
                if order is None:
                    sink.write(line)
                continue
            number += 1
            if order is not None:
                self._check_order(order, line, number)
            tags = records.get(number)
            if tags is not None:
                sink.write(annotated_line(line, number, tags, self._path))
            elif strip_old and TAG_PREFIX in line:
                sink.write(with_info(line, b"", number, self._path))
            else:
                sink.write(line)
        if records and max(records) > number:
            raise InputError(
                f"the findings name record {max(records)} but the input has {number} records",
                path=self._path,
                hint="write the VCF from the input the findings were read from",
            )

    def _write_header(self, lines: Iterator[bytes], sink: _Sink) -> None:
        for line in lines:
            if line.startswith(b"#CHROM"):
                ending = b"\r\n" if line.endswith(b"\r\n") else b"\n"
                for own in self._header:
                    sink.write(own + ending)
                sink.write(line)
                return
            if not line.startswith(b"#"):
                break
            if line.startswith(OWN_HEADER_LINES):
                self._strip_old = True  # annotated before: this run's lines replace those
                continue
            sink.write(line)
        raise InputError(
            "the VCF header has no #CHROM line", path=self._path, hint="check the file"
        )

    def _check_order(self, order: RecordOrder, line: bytes, number: int) -> None:
        columns = line.split(b"\t", 2)
        if len(columns) < 2:
            raise InputError(
                "malformed record: fewer than 8 tab-separated columns",
                path=self._path,
                record=number,
            )
        problem = order.check(columns[0], _position(columns[1], number, self._path))
        if problem is not None and not self._require_sorted:
            if self.unsorted is None:
                self.unsorted = f"record {number}: {problem}"
            return
        if problem is not None:
            raise InputError(
                f"cannot index the compressed output: the records are not sorted ({problem})",
                path=self._path,
                record=number,
                hint="sort the input with 'bcftools sort', or write an uncompressed .vcf",
            )


def _position(text: bytes, number: int, path: str) -> int:
    try:
        return int(text)
    except ValueError:
        shown = text[:20].decode(errors="replace")
        raise InputError(
            f"malformed record: POS '{shown}' is not a number", path=path, record=number
        ) from None


@contextlib.contextmanager
def _open_sink(path: Path, compressed: bool) -> Iterator[_Sink]:
    """The temporary output file: BGZF-compressed or plain. Write errors pass as OSError."""
    if compressed:
        with path.open("wb") as output, bgzf.BlockWriter(output) as blocks:
            chunks = _Chunks(blocks)
            yield chunks
            chunks.flush()
    else:
        with open(path, "wb", buffering=_BUFFER_SIZE) as handle:
            yield handle


class _Chunks:
    """Gathers lines into large writes, so that BGZF blocks are full ones."""

    def __init__(self, target: _Sink) -> None:
        self._target = target
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes, /) -> None:
        self._parts.append(data)
        self._size += len(data)
        if self._size >= _BUFFER_SIZE:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._target.write(b"".join(self._parts))
            self._parts.clear()
            self._size = 0


def _index(data: Path, index: Path, output: Path) -> None:
    import pysam  # noqa: PLC0415 (pysam only where it is used: 18 ms of every start)

    try:
        pysam.tabix_index(str(data), preset="vcf", index=str(index), force=True)
    except (OSError, ValueError) as error:
        raise InputError(
            f"cannot index the compressed output with tabix: {error}",
            path=output,
            hint="write an uncompressed .vcf instead",
        ) from None
