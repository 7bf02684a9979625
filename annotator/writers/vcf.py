"""The annotated VCF: the input, record for record, with the findings added as INFO tags.

Every header line and every record of the input is written back unchanged and in order. The
writer only

* adds header lines before ``#CHROM``: one ``##INFO`` line per tag (``INFO_TAGS``), then
  ``##resistance-annotator_version=``, ``##resistance-annotator_rules=<Version=..,SHA256=..>``
  and ``##resistance-annotator_command=``;
* appends the tags to the INFO column of the records that have findings (an empty INFO, ``.``,
  is replaced).

Speed and fidelity: a VCF or VCF.gz (bgzip or plain gzip) is streamed as lines of bytes, and
only the records with findings are split into columns, so every other line comes out byte for
byte as it went in (line endings, spacing and encoding included). A BCF has no text to keep:
it is read with pysam and each record written as htslib's VCF text of it, the text
``bcftools view`` gives.

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
and an unsorted input is an ``InputError`` naming the first record out of order. Any other name
gives plain text. Both are written under temporary names in the output directory and renamed
into place only when complete: an error leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pysam

from annotator.errors import InputError, UsageError
from annotator.models import Finding, Result
from annotator.writers.atomic import temporary_beside

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
    compressed = output.name.endswith(".gz")
    staged: list[tuple[Path, Path]] = []
    try:
        data = temporary_beside(output)
        staged.append((data, output))
        if register is not None:
            register(data, output)
        with _open_lines(input_path, source_kind) as lines, _open_sink(data, compressed) as sink:
            writer = _RecordWriter(
                records,
                header,
                str(input_path),
                check_order=compressed,
                require_sorted=require_sorted,
            )
            writer.write(lines, sink)
        if compressed and writer.unsorted is None:
            index_path = output.with_name(f"{output.name}.tbi")
            index = temporary_beside(index_path)
            staged.append((index, index_path))
            if register is not None:
                register(index, index_path)
            _index(data, index, output)
    except OSError as error:  # reading errors are InputErrors already: this is the output
        _delete(staged)
        raise InputError(f"cannot write output: {error.strerror or error}", path=output) from None
    except BaseException:
        _delete(staged)
        raise
    if register is None:
        for temporary, final in staged:
            os.replace(temporary, final)
    if compressed:
        # htslib prefers a .csi to the .tbi: one left from an earlier file would be used.
        with contextlib.suppress(FileNotFoundError):
            output.with_name(f"{output.name}.csi").unlink()
    if writer.unsorted is not None:
        return (
            f"{output}: written without a tabix index: the input records are not sorted "
            f"({writer.unsorted}); sort the input with 'bcftools sort' to get an index"
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
    try:
        variants: Any = pysam.VariantFile(str(path))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the BCF: {error}", path=path) from None
    with variants:
        yield _bcf_text(variants, path)


def _bcf_text(variants: Any, path: Path) -> Iterator[bytes]:
    yield from str(variants.header).encode().splitlines(keepends=True)
    number = 0
    try:
        for number, record in enumerate(variants, start=1):  # noqa: B007 - used on error
            yield str(record).encode()
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
                sink.write(line)  # not a record (the reader skips empty lines too)
                continue
            number += 1
            if order is not None:
                self._check_order(order, line, number)
            tags = records.get(number)
            if tags is not None:
                sink.write(self._annotate(line, number, tags))
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
        chrom, pos_text, *_rest = line.split(b"\t", 2)
        problem = order.check(chrom, _position(pos_text, number, self._path))
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

    def _annotate(self, line: bytes, number: int, tags: _RecordTags) -> bytes:
        columns = line.split(b"\t", _INFO_COLUMN + 1)
        if len(columns) <= _INFO_COLUMN:
            raise InputError(
                "malformed record: fewer than 8 tab-separated columns",
                path=self._path,
                record=number,
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
                path=self._path,
                record=number,
                hint="write the VCF from the input the findings were read from",
            )
        return _with_info(line, tags.info(), number, self._path, columns=columns)


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
        bgzf: Any = pysam.BGZFile(str(path), "wb", index=None)
        with contextlib.closing(bgzf):
            chunks = _Chunks(bgzf)
            yield chunks
            chunks.flush()
    else:
        with open(path, "wb", buffering=_BUFFER_SIZE) as handle:
            yield handle


class _Chunks:
    """Gathers lines into large writes: each ``BGZFile.write`` call has a cost of its own."""

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
    try:
        pysam.tabix_index(str(data), preset="vcf", index=str(index), force=True)
    except (OSError, ValueError) as error:
        raise InputError(
            f"cannot index the compressed output with tabix: {error}",
            path=output,
            hint="write an uncompressed .vcf instead",
        ) from None
