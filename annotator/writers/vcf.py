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

import bisect
import contextlib
import gzip
import urllib.parse
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np

from annotator import bgzf, vcf_text
from annotator.errors import InputError, UsageError
from annotator.models import Finding, Result
from annotator.readers.vcf import pysam_htslib_quiet
from annotator.tabix import MAX_POSITION, TabixBuilder, tabix_end
from annotator.writers.atomic import is_stream, put_in_place, temporary_beside

#: A (temporary, final) pair: the caller renames ``temporary`` to ``final`` on success.
Register = Callable[[Path, Path], None]

#: Separator of the regimens of one finding inside ``RA_THERAPIES``.
THERAPY_SEPARATOR = "|"
#: Prefix of the header lines naming the tool, the rules and the command line.
HEADER_PREFIX = "resistance-annotator"


@dataclass(frozen=True)
class InfoTag:
    id: str
    type: str
    description: str

    def header_line(self) -> str:
        return f'##INFO=<ID={self.id},Number=.,Type={self.type},Description="{self.description}">'


_PER_FINDING = "one value per finding, in the same order in every RA_ tag"
#: The INFO tags added to records with findings, in the order they are written.
INFO_TAGS = (
    InfoTag("RA_ALLELE", "Integer", f"resistance-annotator: ALT allele (1-based); {_PER_FINDING}"),
    InfoTag("RA_GENE", "String", "resistance-annotator: gene of the finding"),
    InfoTag(
        "RA_ALTERATION",
        "String",
        "resistance-annotator: alteration the rule matched, e.g. T790M (percent-encoded)",
    ),
    InfoTag(
        "RA_EFFECT",
        "String",
        "resistance-annotator: effect on the therapies: sensitivity, resistance or "
        "reduced_sensitivity",
    ),
    InfoTag(
        "RA_THERAPIES",
        "String",
        "resistance-annotator: regimens of the rule separated by '|', each percent-encoded "
        "(%20 space, %2C comma, %7C '|'); '.' for none",
    ),
    InfoTag("RA_LEVEL", "String", "resistance-annotator: AMP/ASCO/CAP evidence level, A to D"),
    InfoTag(
        "RA_TUMOR_TYPE_MATCH",
        "String",
        "resistance-annotator: on_label or off_label for the sample's tumor type",
    ),
    InfoTag("RA_RULES", "String", "resistance-annotator: rule ID (percent-encoded)"),
)
_TAG_PREFIX = b"RA_"
_OWN_KEYS = frozenset(tag.id.encode() for tag in INFO_TAGS)
_OWN_HEADER_LINES = (
    *(f"##INFO=<ID={tag.id},".encode() for tag in INFO_TAGS),
    f"##{HEADER_PREFIX}_".encode(),
)

# VCF 4.3 section 1.2 characters with special meaning, plus space (not allowed in INFO before
# 4.3), '|' (our regimen separator) and every other control character.
_ENCODED = frozenset(":;=%,\r\n\t |\x7f") | {chr(code) for code in range(0x20)}
_ENCODING_TABLE = str.maketrans({char: f"%{ord(char):02X}" for char in _ENCODED})

_GZIP_MAGIC = b"\x1f\x8b"
_BCF_MAGIC = b"BCF\x02"
_VCF_MAGIC = b"##fileformat=VCF"
_INFO_COLUMN = 7
_BUFFER_SIZE = 1 << 20


def encode_value(text: str) -> str:
    """``text`` as one element of a list-valued INFO tag (see the module docstring)."""
    encoded = text.translate(_ENCODING_TABLE)
    if encoded == ".":
        return "%2E"
    return encoded or "."


def decode_value(text: str) -> str:
    """The text :func:`encode_value` encoded."""
    return urllib.parse.unquote(text, errors="strict")


def encode_therapies(regimens: Sequence[str]) -> str:
    """The regimens of one finding as one element of ``RA_THERAPIES``; ``.`` for none."""
    if not regimens:
        return "."
    return THERAPY_SEPARATOR.join(encode_value(regimen) for regimen in regimens)


def decode_therapies(value: str) -> tuple[str, ...]:
    """The regimens of one ``RA_THERAPIES`` element."""
    if value == ".":
        return ()
    return tuple(decode_value(part) for part in value.split(THERAPY_SEPARATOR))


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
    records = _record_tags(result.findings)
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
                raise _NotFast
            tabix = _write_fast(
                records, header, input_path, source_kind, data, compressed=compressed
            )
        except _NotFast:  # anything unusual: line by line, which decides and reports it
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


@dataclass
class _RecordTags:
    """The tags of one input record, and what the record must hold for them to belong there."""

    chrom: str
    pos: int
    ref: str
    alts: dict[int, str]  # 0-based ALT index -> ALT
    entries: list[tuple[str, ...]]  # one tuple of encoded values per finding, in tag order

    def info(self) -> bytes:
        columns = zip(*self.entries, strict=True)
        parts = (
            f"{tag.id}={','.join(values)}" for tag, values in zip(INFO_TAGS, columns, strict=True)
        )
        return ";".join(parts).encode()


def _record_tags(findings: Iterable[Finding]) -> dict[int, _RecordTags]:
    """The tags of each record with findings, by 1-based record number."""
    by_record: dict[int, _RecordTags] = {}
    for finding in findings:
        variant = finding.variant
        if variant is None:
            continue  # a gene-level event: no record to annotate
        tags = by_record.get(variant.record_index)
        if tags is None:
            tags = _RecordTags(variant.chrom, variant.pos, variant.ref, {}, [])
            by_record[variant.record_index] = tags
        tags.alts[variant.alt_index] = variant.alt
        entry = (
            str(variant.alt_index + 1),
            encode_value(finding.gene),
            encode_value(finding.alteration),
            encode_value(finding.effect.value),
            encode_therapies(finding.therapies),
            encode_value(finding.evidence_level.value),
            encode_value(finding.tumor_type_match.value),
            encode_value(finding.rule_id),
        )
        if entry not in tags.entries:  # the same rule fired twice for the same allele
            tags.entries.append(entry)
    for tags in by_record.values():
        tags.entries.sort(key=lambda entry: int(entry[0]))  # stable: result order kept
    return by_record


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


@dataclass
class _Order:
    """Tracks whether records are sorted as tabix needs: chromosome blocks, rising POS."""

    chrom: bytes = b""
    pos: int = 0
    finished: set[bytes] = field(default_factory=set)

    def check(self, chrom: bytes, pos: int) -> str | None:
        """Why this record breaks the order, or None."""
        if chrom == self.chrom:
            if pos < self.pos:
                return f"position {pos} on {chrom.decode(errors='replace')} follows {self.pos}"
            self.pos = pos
            return None
        if chrom in self.finished:
            return (
                f"chromosome {chrom.decode(errors='replace')} appears again after "
                f"{self.chrom.decode(errors='replace')}"
            )
        if self.chrom:
            self.finished.add(self.chrom)
        self.chrom, self.pos = chrom, pos
        return None


class _RecordWriter:
    """Copies the input lines to the sink, adding header lines and the records' tags."""

    def __init__(
        self,
        records: dict[int, _RecordTags],
        header: list[bytes],
        path: str,
        *,
        check_order: bool,
        require_sorted: bool = True,
    ) -> None:
        self._records = records
        self._header = header
        self._path = path
        self._order = _Order() if check_order else None
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
                sink.write(_annotated(line, number, tags, self._path))
            elif strip_old and _TAG_PREFIX in line:
                sink.write(_with_info(line, b"", number, self._path))
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
            if line.startswith(_OWN_HEADER_LINES):
                self._strip_old = True  # annotated before: this run's lines replace those
                continue
            sink.write(line)
        raise InputError(
            "the VCF header has no #CHROM line", path=self._path, hint="check the file"
        )

    def _check_order(self, order: _Order, line: bytes, number: int) -> None:
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


def _annotated(line: bytes, number: int, tags: _RecordTags, path: str) -> bytes:
    """Record ``number`` with its tags, once it is checked to be the record they were read from."""
    columns = line.split(b"\t", _INFO_COLUMN + 1)
    if len(columns) <= _INFO_COLUMN:
        raise InputError(
            "malformed record: fewer than 8 tab-separated columns", path=path, record=number
        )
    found = (
        columns[0].decode(errors="replace"),
        columns[1],
        columns[3].decode(errors="replace"),
    )
    alts = columns[4].decode(errors="replace").split(",")
    expected = (tags.chrom, str(tags.pos).encode(), tags.ref)
    if found != expected or any(
        index >= len(alts) or alts[index] != alt for index, alt in tags.alts.items()
    ):
        raise InputError(
            f"the findings were read from another record here "
            f"({tags.chrom}:{tags.pos} {tags.ref}>{','.join(tags.alts.values())})",
            path=path,
            record=number,
            hint="write the VCF from the input the findings were read from",
        )
    return _with_info(line, tags.info(), number, path, columns=columns)


def _with_info(
    line: bytes,
    added: bytes,
    number: int,
    path: str,
    *,
    columns: list[bytes] | None = None,
) -> bytes:
    """``line`` with earlier entries of our tags dropped from INFO and ``added`` appended."""
    if columns is None:
        columns = line.split(b"\t", _INFO_COLUMN + 1)
        if len(columns) <= _INFO_COLUMN:
            raise InputError(
                "malformed record: fewer than 8 tab-separated columns", path=path, record=number
            )
    info = columns[_INFO_COLUMN]
    ending = b""
    if len(columns) == _INFO_COLUMN + 1:  # INFO is the last column: keep the line ending
        stripped = info.rstrip(b"\r\n")
        ending, info = info[len(stripped) :], stripped
    entries = [] if info == b"." else info.split(b";")
    entries = [entry for entry in entries if entry.split(b"=", 1)[0] not in _OWN_KEYS]
    if added:
        entries.append(added)
    columns[_INFO_COLUMN] = (b";".join(entries) or b".") + ending
    return b"\t".join(columns)


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


# --- the fast path: whole chunks of text at a time, unchanged BGZF blocks copied -------------
#
# The output text is the input text with a few byte ranges replaced ("edits"): the header up to
# its #CHROM line, and each record whose tags change. The input is read as pieces: its BGZF
# blocks (stored bytes and text), or for plain and other gzip input, text to be deflated. The
# lines of a whole batch of pieces are looked at together with numpy (record numbers, the
# order check, what the tabix index needs); only the records with findings are split in Python.
# A BGZF block no edit touches is copied to the output as stored; runs of touched pieces are
# written as their edited text, deflated anew. The tabix index is built from the records'
# places in the output text, which become virtual offsets once the blocks are written.
#
# Anything out of the ordinary (unsorted records, a '#' line among the records, a record with
# fewer than eight columns, a POS that is not a plain number, an unreadable input, ...) makes
# the line-by-line writer do the whole file instead: it decides, and reports errors, exactly as
# it always has.

_BATCH_TEXT = 1 << 22  # text looked at together (64 BGZF blocks)


class _NotFast(Exception):
    """The input needs the line-by-line writer."""


@dataclass(frozen=True)
class _Piece:
    """A piece of the input text: a BGZF block (``raw``: its bytes as stored) or text to deflate."""

    start: int  # offset of data[0] in the input text
    data: bytes
    raw: bytes | None

    @property
    def end(self) -> int:
        return self.start + len(self.data)


class _PieceSink(Protocol):
    def copy(self, piece: _Piece) -> None: ...

    def write(self, text: bytes) -> None: ...


class _BgzfSink:
    def __init__(self, writer: bgzf.BlockWriter) -> None:
        self._writer = writer

    def copy(self, piece: _Piece) -> None:
        assert piece.raw is not None
        self._writer.copy(piece.raw, len(piece.data))

    def write(self, text: bytes) -> None:
        self._writer.write(text)


class _PlainSink:
    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def copy(self, piece: _Piece) -> None:
        self._handle.write(piece.data)

    def write(self, text: bytes) -> None:
        self._handle.write(text)


def _write_fast(
    records: dict[int, _RecordTags],
    header: list[bytes],
    input_path: Path,
    kind: str,
    output: Path,
    *,
    compressed: bool,
) -> bytes | None:
    """Write the annotated VCF to ``output``; for a compressed output, return its tabix index
    (uncompressed .tbi bytes). Raises :class:`_NotFast` when the line-by-line writer must do it.
    """
    writer = _FastWriter(records, header, str(input_path), index=compressed)
    batches = _batches(input_path, kind)
    try:
        with open(output, "wb") as handle:
            if not compressed:
                writer.write(batches, _PlainSink(handle))
                return None
            with bgzf.BlockWriter(handle) as blocks:
                writer.write(batches, _BgzfSink(blocks))
            return writer.tabix(blocks.layout())
    finally:
        batches.close()


def _batches(path: Path, kind: str) -> Generator[list[_Piece], None, None]:
    """The input text as pieces, in batches of about ``_BATCH_TEXT`` bytes. A reading problem is
    left to the line-by-line writer (it reports it as it always has)."""
    reader: Iterator[Any] = iter(())
    source: Iterator[tuple[bytes | None, bytes]]
    start = size = 0
    batch: list[_Piece] = []
    try:
        if kind == "gzip" and bgzf.is_bgzf(path):
            reader = bgzf.blocks(path)
            source = ((block.raw, block.data) for block in reader)
        else:
            reader = bgzf.decompressed_chunks(path)
            source = (
                (None, chunk[at : at + bgzf.BLOCK_TEXT])
                for chunk in reader
                for at in range(0, len(chunk), bgzf.BLOCK_TEXT)
            )
        for raw, data in source:
            if not data:
                continue  # the end-of-file block (and any other empty one): no text
            batch.append(_Piece(start, data, raw))
            start += len(data)
            size += len(data)
            if size >= _BATCH_TEXT:
                yield batch
                batch, size = [], 0
    except (InputError, OSError):
        raise _NotFast from None
    finally:
        close = getattr(reader, "close", None)  # a generator: its threads stop here
        if close is not None:
            close()
    if batch:
        yield batch


class _FastWriter:
    """Finds the edits of each batch of text and writes the pieces, copied or deflated anew."""

    def __init__(
        self, records: dict[int, _RecordTags], header: list[bytes], path: str, *, index: bool
    ) -> None:
        self._records = records
        self._tagged = np.array(sorted(records), dtype=np.int64)
        self._header = header
        self._path = path
        self._index = TabixBuilder() if index else None
        self._order = _Order()
        self._strip_old = False
        self._number = 0  # records so far
        # The header, until its #CHROM line is read.
        self._header_done = False
        self._header_kept: list[bytes] = []
        self._header_at = 0  # start of the first header line not yet looked at
        # The text: lines before _carry_start are looked at; _carry is the rest read so far.
        self._carry = b""
        self._carry_start = 0
        self._delta = 0  # output length minus input length of the text before _carry_start
        self._edits: list[tuple[int, int, bytes]] = []  # (start, end, new text), in order
        self._edit_starts: list[int] = []
        self._pending: deque[_Piece] = deque()  # pieces not written yet
        self._run: list[_Piece] = []  # touched pieces to write as edited text

    def write(self, batches: Iterable[list[_Piece]], sink: _PieceSink) -> None:
        for batch in batches:
            self._pending.extend(batch)
            self._feed([piece.data for piece in batch], at_end=False)
            self._emit(sink)
        self._feed([], at_end=True)
        self._emit(sink)
        self._flush_run(sink)
        if self._records and max(self._records) > self._number:
            raise InputError(
                f"the findings name record {max(self._records)} but the input has "
                f"{self._number} records",
                path=self._path,
                hint="write the VCF from the input the findings were read from",
            )

    def tabix(self, layout: tuple[list[int], list[int]]) -> bytes:
        assert self._index is not None
        return self._index.finish(self._carry_start + self._delta, layout)

    # --- reading the text ---

    def _feed(self, new: list[bytes], *, at_end: bool) -> None:
        text = b"".join([self._carry, *new])
        base = self._carry_start
        if not self._header_done:
            header = self._read_header(text, at_end=at_end)  # base is 0 until the header is read
            if header is None:
                self._carry = text
                return
            end, replacement = header
            self._add_edit(0, end, replacement)
            self._delta = len(replacement) - end
            if self._index is not None:
                self._index.start(len(replacement))
            text, base = text[end:], end
        cut = len(text) if at_end else text.rfind(b"\n") + 1
        if cut:
            self._lines(text, cut, base, unterminated=at_end and not text.endswith(b"\n"))
        self._carry, self._carry_start = text[cut:], base + cut

    def _read_header(self, text: bytes, *, at_end: bool) -> tuple[int, bytes] | None:
        """(end of the #CHROM line, the new header) once ``text`` holds the whole header, as
        :meth:`_RecordWriter._write_header` writes it; None when more text is needed."""
        at = self._header_at
        while at < len(text):
            newline = text.find(b"\n", at)
            if newline == -1 and not at_end:
                break
            end = len(text) if newline == -1 else newline + 1
            line = text[at:end]
            if line.startswith(b"#CHROM"):
                ending = b"\r\n" if line.endswith(b"\r\n") else b"\n"
                own = b"".join(own + ending for own in self._header)
                self._header_done = True
                return end, b"".join(self._header_kept) + own + line
            if not line.startswith(b"#"):
                break
            if line.startswith(_OWN_HEADER_LINES):
                self._strip_old = True
            else:
                self._header_kept.append(line)
            at = end
        self._header_at = at
        if at_end or (at < len(text) and not text.startswith(b"#", at)):
            raise InputError(
                "the VCF header has no #CHROM line", path=self._path, hint="check the file"
            )
        return None

    def _lines(self, text: bytes, limit: int, base: int, *, unterminated: bool) -> None:
        """Look at the lines of ``text[:limit]`` (input offset ``base``): number the records,
        find the edits, check the order and gather what the index needs."""
        data = np.frombuffer(text, dtype=np.uint8, count=limit)
        starts, ends, first, blank = vcf_text.split_lines(data, limit, unterminated=unterminated)
        nexts = ends + 1  # where the next line starts
        if unterminated:
            nexts[-1] = limit
            blank[-1] = False  # the line-by-line writer counts a last "\r" as a record
        rows = np.flatnonzero(~blank)
        if (first[rows] == 35).any():
            raise _NotFast  # a '#' line among the records
        if self._index is not None and len(rows) < len(ends):
            # A blank line, which htslib's tabix (1.24) refuses: the line-by-line writer
            # leaves it out of a compressed output.
            raise _NotFast
        changes = self._changes(text, data, starts, nexts, rows)
        line_delta = np.zeros(len(ends), dtype=np.int64)
        for line, new in changes:
            line_delta[line] = len(new) - int(nexts[line] - starts[line])
        shift = self._delta + np.cumsum(line_delta)
        if self._index is not None and len(rows):
            out_ends = base + nexts[rows] + shift[rows]  # each record's end in the output text
            self._index_lines(text, data, starts, ends, rows, dict(changes), out_ends)
        for line, new in changes:
            self._add_edit(base + int(starts[line]), base + int(nexts[line]), new)
        self._delta = int(shift[-1])
        self._number += len(rows)

    def _changes(
        self, text: bytes, data: Any, starts: Any, nexts: Any, rows: Any
    ) -> list[tuple[int, bytes]]:
        """(line, new line) of the records whose text changes, in order."""
        first, last = self._number + 1, self._number + len(rows)
        tagged = self._tagged
        low, high = np.searchsorted(tagged, [first, last + 1])
        numbers = {int(rows[number - first]): number for number in tagged[low:high].tolist()}
        if self._strip_old:  # records with an RA_ key: their INFO may hold our earlier tags
            lines = _lines_with(text, data, _TAG_PREFIX, starts)
            record_lines = np.searchsorted(rows, lines)
            inside = record_lines < len(rows)
            record_lines, lines = record_lines[inside], lines[inside]
            keep = rows[record_lines] == lines
            for line, index in zip(lines[keep].tolist(), record_lines[keep].tolist(), strict=True):
                numbers.setdefault(line, first + index)
        changes = []
        for line in sorted(numbers):
            number = numbers[line]
            old = text[starts[line] : nexts[line]]
            tags = self._records.get(number)
            if tags is not None:
                new = _annotated(old, number, tags, self._path)
            else:
                new = _with_info(old, b"", number, self._path)
            if new != old:
                changes.append((line, new))
        return changes

    def _index_lines(
        self,
        text: bytes,
        data: Any,
        starts: Any,
        ends: Any,
        rows: Any,
        changed: dict[int, bytes],
        out_ends: Any,
    ) -> None:
        """Check the records' order (chromosome blocks, rising POS) and hand their intervals,
        as tabix reads them, to the index."""
        assert self._index is not None
        if text.find(b"\0", 0, len(data)) != -1:
            raise _NotFast  # tabix reads a NUL byte as the end of a column
        line_starts = starts[rows]
        columns, (chrom_end, pos_end, id_end, ref_end) = vcf_text.find_tabs(
            data, len(data), line_starts, 4
        )
        if (columns < 7).any():
            raise _NotFast  # fewer than eight columns
        # POS where int() and tabix's strtoll(s, 0) read the same: 1-9 digits, no leading 0.
        pos, readable = vcf_text.read_numbers(
            data, chrom_end + 1, pos_end, digits=9, leading_zero=False
        )
        ref_length = ref_end - id_end - 1
        if not readable.all() or (ref_length < 1).any() or (chrom_end == line_starts).any():
            raise _NotFast  # POS other than 1-9 digits without leading 0, no REF or no CHROM
        tids = self._check_order(text, data, line_starts, chrom_end, pos)
        begins = pos - 1
        stops = begins + ref_length
        if len(_lines_with(text, data, b"SVLEN=", starts)):
            raise _NotFast  # htslib's tabix may end a symbolic ALT at its SVLEN
        # INFO/END, as tabix reads it: only lines with END= somewhere (and the changed ones);
        # a record ends at the larger of END and REF's end.
        special = set(_lines_with(text, data, b"END=", starts).tolist()) | set(changed)
        if special:
            lines = np.array(sorted(special), dtype=np.int64)
            index = np.searchsorted(rows, lines)
            for line, at in zip(lines.tolist(), index.tolist(), strict=True):
                if at >= len(rows) or rows[at] != line:
                    continue  # a blank line
                new = changed.get(line)
                end = tabix_end(new if new is not None else text[starts[line] : ends[line]])
                begin = int(begins[at])
                stops[at] = max(end if end is not None else 0, begin + int(ref_length[at]))
        if int(stops.max()) > MAX_POSITION or int(begins.max()) > MAX_POSITION:
            raise _NotFast  # beyond what a .tbi holds: the line-by-line writer's tabix says so
        self._index.add(tids, begins, stops, out_ends)

    def _check_order(
        self, text: bytes, data: Any, line_starts: Any, chrom_end: Any, pos: Any
    ) -> Any:
        """The chromosome number of each record; raises :class:`_NotFast` for records out of
        order (the line-by-line writer names the first)."""
        assert self._index is not None
        order = self._order
        tids = np.empty(len(line_starts), dtype=np.int64)
        for begin, end in vcf_text.find_runs(data, line_starts, chrom_end):
            chrom = text[line_starts[begin] : chrom_end[begin]]
            run = pos[begin:end]
            if chrom == order.chrom:
                if int(run[0]) < order.pos:
                    raise _NotFast
            else:
                if chrom in order.finished:
                    raise _NotFast
                if order.chrom:
                    order.finished.add(order.chrom)
                order.chrom = chrom
            if len(run) > 1 and bool((run[1:] < run[:-1]).any()):
                raise _NotFast
            order.pos = int(run[-1])
            tids[begin:end] = self._index.tid(chrom)
        return tids

    # --- writing ---

    def _add_edit(self, start: int, end: int, new: bytes) -> None:
        self._edits.append((start, end, new))
        self._edit_starts.append(start)

    def _emit(self, sink: _PieceSink) -> None:
        """Write the pieces whose lines are all looked at: untouched BGZF blocks as stored,
        runs of touched pieces as their edited text."""
        decided = self._carry_start if self._header_done else 0
        pending = self._pending
        while pending and pending[0].end <= decided:
            piece = pending.popleft()
            if piece.raw is not None and not self._touched(piece):
                self._flush_run(sink)
                sink.copy(piece)
            else:
                self._run.append(piece)
        if self._run and not self._inside_edit(self._run[-1].end):
            self._flush_run(sink)

    def _touched(self, piece: _Piece) -> bool:
        at = bisect.bisect_left(self._edit_starts, piece.end) - 1
        return at >= 0 and self._edits[at][1] > piece.start

    def _inside_edit(self, offset: int) -> bool:
        at = bisect.bisect_left(self._edit_starts, offset) - 1
        return at >= 0 and self._edits[at][1] > offset

    def _flush_run(self, sink: _PieceSink) -> None:
        """Write the run of touched pieces as its text with the edits in it applied."""
        run = self._run
        if not run:
            return
        start, end = run[0].start, run[-1].end
        text = b"".join(piece.data for piece in run)
        used = bisect.bisect_left(self._edit_starts, end)
        parts = []
        at = start
        for edit_start, edit_end, new in self._edits[:used]:
            parts.append(text[at - start : edit_start - start])
            parts.append(new)
            at = edit_end
        parts.append(text[at - start :])
        sink.write(b"".join(parts))
        del self._edits[:used], self._edit_starts[:used]
        self._run = []


def _lines_with(text: bytes, data: Any, needle: bytes, starts: Any) -> Any:
    """The lines (indexes into ``starts``) whose text holds ``needle``, in order."""
    return np.flatnonzero(vcf_text.lines_holding(vcf_text.find_all(text, data, needle), starts))
