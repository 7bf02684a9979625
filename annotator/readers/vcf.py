"""Read VCF, VCF.gz and BCF files into ``Variant`` records: the only module that imports cyvcf2.

cyvcf2 (over htslib) is fast but terse: it raises bare ``Exception``s, and on some inputs it
crashes the interpreter instead. This module stands between it and the rest of the annotator:

* before opening, the first bytes must be those of a VCF or BCF (``##fileformat=VCF`` or
  ``BCF\\2``, plain or gzip/BGZF-compressed), and a BGZF file must end with the BGZF
  end-of-file block; otherwise htslib may crash on garbage or silently stop at a truncation;
* any exception from cyvcf2 becomes an ``InputError`` with the path and the record number;
* a line htslib could not split into columns comes back as a record without alleles, whose
  ``REF`` would crash; it is recognised (no ALT, zero length) before anything else is read:
  an empty line is skipped, anything else is an error;
* cyvcf2 quirks avoided: ``VCF(lazy=True)`` crashes on ``Variant.FORMAT``; ``Variant.format``
  raises KeyError for a FORMAT field the header does not declare; integer values that are
  missing or padding come back as negative sentinels (-2147483648, -2147483647) and float
  ones as NaN.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import cyvcf2

from annotator.errors import InputError, UsageError
from annotator.models import Variant

#: INFO fields whose raw strings are kept in ``Variant.annotations`` (when the header declares
#: them).
ANNOTATION_KEYS = ("CSQ", "ANN", "BCSQ")

_VCF_MAGIC = b"##fileformat=VCF"
_BCF_MAGIC = b"BCF\x02"
_GZIP_MAGIC = b"\x1f\x8b"
# The empty BGZF block every BGZF writer (bgzip, htslib, pysam, htsjdk) ends a file with.
_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_PREFIX_SIZE = 65536  # enough compressed bytes to hold a whole first BGZF block
_NUMERIC_KINDS = frozenset("iuf")
_MAX_LISTED_SAMPLES = 10
_READ_HINT = "check the file with 'bcftools view'"

# ID=value pairs inside ##KEY=<...>: values are bare or double-quoted with backslash escapes.
_STRUCTURED_FIELD = re.compile(r'(?:^|,)\s*([^=,]+)=("(?:[^"\\]|\\.)*"|[^,]*)')
_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class VcfHeader:
    """What the annotator needs from a VCF header.

    ``samples`` are all samples of the file; ``sample`` is the chosen tumor sample (None for a
    sites-only file). ``contigs`` holds the ##contig lines that give a length. ``lines`` are
    the raw header lines, the ``#CHROM`` line included (for BCF: as htslib writes them out).
    """

    path: str
    samples: tuple[str, ...]
    sample: str | None
    info_descriptions: dict[str, str]
    contigs: dict[str, int]
    lines: tuple[str, ...]


class VcfReader:
    """One ``Variant`` per ALT allele of each record of a VCF, VCF.gz or BCF file.

    Records with FILTER values are included (``Variant.filters`` holds them; PASS and ``.``
    give ``()``). A record whose ALT is ``.`` yields nothing but counts in ``records_read``.
    Symbolic ALTs (``<DEL>``, breakends) are yielded as they are.

    Use as a context manager::

        with VcfReader(path, sample="TUMOR") as reader:
            for variant in reader:
                ...
    """

    def __init__(self, path: str | Path, *, sample: str | None = None) -> None:
        self.path = str(path)
        self.records_read = 0
        _check_file(self.path)
        try:
            self._vcf: Any = cyvcf2.VCF(self.path)
        except Exception as exc:  # cyvcf2 raises bare Exception and OSError
            raise InputError(
                f"cannot read the VCF header: malformed header, or truncated or corrupt file "
                f"({exc})",
                path=self.path,
                hint=_READ_HINT,
            ) from exc
        try:
            self.header = self._read_header(sample)
        except BaseException:
            self._vcf.close()
            raise

    def _read_header(self, requested: str | None) -> VcfHeader:
        lines = tuple(line for line in self._vcf.raw_header.splitlines() if line)
        samples = tuple(self._vcf.samples)
        chosen = _choose_sample(samples, requested, lines, self.path)
        if chosen is not None and len(samples) > 1:
            self._vcf.set_samples([chosen])  # column 0 from now on; parses one sample only
        info_descriptions: dict[str, str] = {}
        contigs: dict[str, int] = {}
        format_ids: set[str] = set()
        for line in lines:
            kind, fields = _parse_structured(line)
            if "ID" not in fields:
                continue
            if kind == "INFO":
                info_descriptions[fields["ID"]] = fields.get("Description", "")
            elif kind == "FORMAT":
                format_ids.add(fields["ID"])
            elif kind == "contig" and fields.get("length", "").isdigit():
                contigs[fields["ID"]] = int(fields["length"])
        # Consequence fields can only be parsed with their header line (its Description gives
        # the sub-field names), so only declared ones are read; this also saves a lookup each.
        self._annotation_keys = tuple(key for key in ANNOTATION_KEYS if key in info_descriptions)
        # Only query FORMAT fields the header declares: cyvcf2 raises KeyError for others.
        self._af = "AF" in format_ids and chosen is not None
        self._ad = "AD" in format_ids and chosen is not None
        self._dp = "DP" in format_ids and chosen is not None
        return VcfHeader(
            path=self.path,
            samples=samples,
            sample=chosen,
            info_descriptions=info_descriptions,
            contigs=contigs,
            lines=lines,
        )

    def __enter__(self) -> VcfReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._vcf.close()

    def __iter__(self) -> Iterator[Variant]:
        records = iter(self._vcf)
        while True:
            number = self.records_read + 1
            try:
                record = next(records)
            except StopIteration:
                return
            except Exception as exc:
                raise self._record_error(exc, number) from exc
            try:
                if _is_unsplit_line(record):
                    if record.CHROM == "":
                        continue  # an empty line: not a record
                    raise InputError(
                        "malformed record: the line could not be read as tab-separated VCF columns",
                        path=self.path,
                        record=number,
                    )
                self.records_read = number
                variants = self._variants(record, number)
            except InputError:
                raise
            except Exception as exc:
                raise self._record_error(exc, number) from exc
            yield from variants

    def _record_error(self, exc: Exception, number: int) -> InputError:
        return InputError(
            f"cannot read the record: malformed line, or truncated or corrupt file ({exc})",
            path=self.path,
            record=number,
            hint=_READ_HINT,
        )

    def _variants(self, record: Any, number: int) -> list[Variant]:
        alts: tuple[str, ...] = tuple(record.ALT)
        if not alts:
            return []  # ALT '.': a site without an alternate allele
        chrom: str = record.CHROM
        pos: int = record.POS
        ref: str = record.REF
        variant_id: str | None = record.ID
        filters = tuple(name for name in record.FILTERS if name != "PASS")
        annotations: dict[str, str] = {}
        if self._annotation_keys:
            info = record.INFO
            for key in self._annotation_keys:
                value = info.get(key)
                if isinstance(value, str):
                    annotations[key] = value

        fractions = _float_values(record, "AF") if self._af else None
        if fractions is not None and len(fractions) != len(alts):
            fractions = None  # not one value per ALT: cannot tell which is which
        counts = _int_values(record, "AD") if self._ad else None
        count_total: int | None = None
        if counts is not None and len(counts) == len(alts) + 1 and None not in counts:
            count_total = sum(count for count in counts if count is not None)
        else:
            counts = None
        depth = _depth(record) if self._dp else None
        if depth is None:
            depth = count_total

        variants = []
        for index, alt in enumerate(alts):
            vaf = fractions[index] if fractions is not None else None
            if vaf is not None and not 0.0 <= vaf <= 1.0:
                vaf = None
            if vaf is None and counts is not None and count_total:
                alt_count = counts[index + 1]
                vaf = alt_count / count_total if alt_count is not None else None
            variants.append(
                Variant(
                    chrom=chrom,
                    pos=pos,
                    ref=ref,
                    alt=alt,
                    record_index=number,
                    alt_index=index,
                    alts=alts,
                    filters=filters,
                    vaf=vaf,
                    depth=depth,
                    variant_id=variant_id,
                    annotations=dict(annotations),
                )
            )
        return variants


def _check_file(path: str) -> None:
    """Raise InputError unless ``path`` looks like a complete VCF or BCF file."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_PREFIX_SIZE)
            tail = b""
            if _is_bgzf(head):
                size = handle.seek(0, 2)
                handle.seek(max(size - len(_BGZF_EOF), 0))
                tail = handle.read()
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
    if head.startswith(_GZIP_MAGIC):
        if tail and tail != _BGZF_EOF:
            raise InputError(
                "the file is truncated: the BGZF end-of-file block is missing",
                path=path,
                hint="re-create it from the complete VCF with 'bgzip'",
            )
        try:
            content = _gunzip_prefix(head, len(_VCF_MAGIC))
        except zlib.error as exc:
            raise InputError(
                f"corrupt gzip data ({exc})", path=path, hint="expected a VCF.gz or BCF file"
            ) from None
        if not content:
            raise InputError(
                "the file is empty once decompressed", path=path, hint="expected a VCF or BCF file"
            )
    if content.startswith((_VCF_MAGIC, _BCF_MAGIC)):
        return
    first_line = content.split(b"\n", 1)[0][:40]
    shown = first_line.decode("ascii", "backslashreplace")
    raise InputError(
        f"not a VCF or BCF file: it begins with '{shown}', not '##fileformat=VCF'",
        path=path,
        hint="expected a VCF, VCF.gz (bgzip) or BCF file",
    )


def _is_bgzf(head: bytes) -> bool:
    """True for the header of a BGZF block: gzip with an extra field holding subfield 'BC'."""
    return (
        head.startswith(_GZIP_MAGIC)
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


def _parse_structured(line: str) -> tuple[str, dict[str, str]]:
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


def _header_value(lines: Sequence[str], key: str) -> str | None:
    prefix = f"##{key}="
    for line in lines:
        if line.startswith(prefix):
            return line[len(prefix) :].strip().strip('"')
    return None


def _list_samples(samples: Sequence[str]) -> str:
    shown = ", ".join(samples[:_MAX_LISTED_SAMPLES])
    if len(samples) > _MAX_LISTED_SAMPLES:
        shown += f" and {len(samples) - _MAX_LISTED_SAMPLES} more"
    return shown


def _choose_sample(
    samples: tuple[str, ...], requested: str | None, lines: Sequence[str], path: str
) -> str | None:
    """The tumor sample: the one requested, else ``##tumor_sample``, else the only one."""
    if requested is not None:
        if not samples:
            raise UsageError(
                f"--sample {requested} was given but the file has no sample columns",
                path=path,
                hint="leave out --sample for a sites-only VCF",
            )
        if requested not in samples:
            raise UsageError(
                f"sample '{requested}' is not in the file",
                path=path,
                hint=f"choose one of: {_list_samples(samples)}",
            )
        return requested
    if not samples:
        return None
    tumor = _header_value(lines, "tumor_sample")
    if tumor is not None:
        if tumor in samples:
            return tumor
        raise InputError(
            f"##tumor_sample={tumor} names no sample of the file "
            f"(samples: {_list_samples(samples)})",
            path=path,
            hint="choose the tumor sample with --sample NAME",
        )
    if len(samples) == 1:
        return samples[0]
    raise UsageError(
        f"the file has {len(samples)} samples ({_list_samples(samples)}) and no "
        "##tumor_sample line to tell which is the tumor",
        path=path,
        hint="choose the tumor sample with --sample NAME",
    )


def _is_unsplit_line(record: Any) -> bool:
    """True for what htslib returns for a line it could not split into columns.

    Such a record has no alleles at all, and reading its REF crashes; a real record always has
    a REF, so a length of at least one. Only ALT, start, end and CHROM are safe to read.
    """
    return not record.ALT and record.end <= record.start


def _sample_values(record: Any, key: str) -> list[Any] | None:
    """The chosen sample's values of FORMAT ``key`` in this record, or None if absent."""
    try:
        values = record.format(key)
    except KeyError:
        return None
    if values is None or values.dtype.kind not in _NUMERIC_KINDS or len(values) == 0:
        return None
    row: list[Any] = values[0].tolist()
    return row


def _float_values(record: Any, key: str) -> list[float | None] | None:
    row = _sample_values(record, key)
    if row is None:
        return None
    return [None if math.isnan(value) else float(value) for value in row]


def _int_values(record: Any, key: str) -> list[int | None] | None:
    row = _sample_values(record, key)
    if row is None:
        return None
    return [_count(value) for value in row]


def _count(value: float) -> int | None:
    """A non-negative count, or None for missing values (NaN, cyvcf2's negative sentinels)."""
    if math.isnan(value) or value < 0:
        return None
    return int(value)


def _depth(record: Any) -> int | None:
    row = _sample_values(record, "DP")
    if not row:
        return None
    return _count(row[0])


def set_htslib_messages(shown: bool) -> None:
    """Show or hide htslib's own ``[W::…]``/``[E::…]`` lines on stderr.

    Our errors already name the file and record; the CLI hides htslib's unless ``--debug``.
    """
    cyvcf2.cyvcf2.set_htslib_log_level(3 if shown else 0)
