"""The RA_ INFO tags of the annotated VCF (:mod:`annotator.writers.vcf` describes them and the
file): their header lines, the percent-encoding of their values, the tags of each record with
findings, and the INFO column of a record with them added (earlier entries of the same tags
dropped). Shared by the line-by-line writer and the copy-through one
(:mod:`annotator.writers.vcf_copy`)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from annotator.errors import InputError
from annotator.models import Finding

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
TAG_PREFIX = b"RA_"
OWN_KEYS = frozenset(tag.id.encode() for tag in INFO_TAGS)
OWN_HEADER_LINES = (
    *(f"##INFO=<ID={tag.id},".encode() for tag in INFO_TAGS),
    f"##{HEADER_PREFIX}_".encode(),
)

# VCF 4.3 section 1.2 characters with special meaning, plus space (not allowed in INFO before
# 4.3), '|' (our regimen separator) and every other control character.
_ENCODED = frozenset(":;=%,\r\n\t |\x7f") | {chr(code) for code in range(0x20)}
_ENCODING_TABLE = str.maketrans({char: f"%{ord(char):02X}" for char in _ENCODED})


#: The INFO column (0-based).
INFO_COLUMN = 7


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


@dataclass
class RecordTags:
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


def record_tags(findings: Iterable[Finding]) -> dict[int, RecordTags]:
    """The tags of each record with findings, by 1-based record number."""
    by_record: dict[int, RecordTags] = {}
    for finding in findings:
        variant = finding.variant
        if variant is None:
            continue  # a gene-level event: no record to annotate
        tags = by_record.get(variant.record_index)
        if tags is None:
            tags = RecordTags(variant.chrom, variant.pos, variant.ref, {}, [])
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


def annotated_line(line: bytes, number: int, tags: RecordTags, path: str) -> bytes:
    """Record ``number`` with its tags, once it is checked to be the record they were read from."""
    columns = line.split(b"\t", INFO_COLUMN + 1)
    if len(columns) <= INFO_COLUMN:
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
    return with_info(line, tags.info(), number, path, columns=columns)


def with_info(
    line: bytes,
    added: bytes,
    number: int,
    path: str,
    *,
    columns: list[bytes] | None = None,
) -> bytes:
    """``line`` with earlier entries of our tags dropped from INFO and ``added`` appended."""
    if columns is None:
        columns = line.split(b"\t", INFO_COLUMN + 1)
        if len(columns) <= INFO_COLUMN:
            raise InputError(
                "malformed record: fewer than 8 tab-separated columns", path=path, record=number
            )
    info = columns[INFO_COLUMN]
    ending = b""
    if len(columns) == INFO_COLUMN + 1:  # INFO is the last column: keep the line ending
        stripped = info.rstrip(b"\r\n")
        ending, info = info[len(stripped) :], stripped
    entries = [] if info == b"." else info.split(b";")
    entries = [entry for entry in entries if entry.split(b"=", 1)[0] not in OWN_KEYS]
    if added:
        entries.append(added)
    columns[INFO_COLUMN] = (b";".join(entries) or b".") + ending
    return b"\t".join(columns)
