"""The rule regions of a genome build: where a record must lie to matter to the rules.

The indexed path (:func:`annotator.inputs.read_vcf_sample` on a VCF.gz/BCF with a ``.tbi`` or
``.csi`` index) reads only these regions instead of the whole file. They are the gene table's
spans for the build, padded by ``GENE_PADDING`` (VEP names a gene in ``upstream_gene_variant``
and ``downstream_gene_variant`` consequences up to 5 kb away), the hotspot positions and the
alleles of genomic rules, merged into one sorted list per chromosome (names without ``chr``,
as :func:`annotator.genome.normalize_chrom` gives them).
"""

from __future__ import annotations

import bisect
import gzip
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from annotator.genome import normalize_chrom
from annotator.matcher import AlleleKey
from annotator.rules.schema import GeneSpec

#: Bases added on each side of a gene span (VEP's default up/downstream distance).
GENE_PADDING = 5000

#: Sorted, non-overlapping 1-based inclusive (start, end) intervals per normalized chromosome.
RegionList = dict[str, list[tuple[int, int]]]


def rule_regions(
    genes: Mapping[str, GeneSpec],
    build: str,
    alleles: Iterable[AlleleKey] = (),
    *,
    padding: int = GENE_PADDING,
) -> RegionList:
    """The merged regions of the gene spans (padded) and of the given alleles (REF's extent)."""
    intervals: dict[str, list[tuple[int, int]]] = {}
    for spec in genes.values():
        span = spec.spans.get(build)  # type: ignore[call-overload]
        if span is not None:
            intervals.setdefault(normalize_chrom(span.chrom), []).append(
                (max(span.start - padding, 1), span.end + padding)
            )
    for chrom, pos, ref, _alt in alleles:
        intervals.setdefault(normalize_chrom(chrom), []).append((pos, pos + max(len(ref), 1) - 1))
    return {chrom: merge_intervals(items) for chrom, items in intervals.items()}


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted intervals with overlapping and adjacent ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + 1:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


# --- The text prefilter: one pass over the decompressed lines, parsing only candidates ---------

_CHUNK = 1 << 22  # bytes decompressed at a time (in a thread: zlib releases the GIL)
_PASSED = (b"PASS", b".")


@dataclass
class TextScan:
    """What the text pass found: the candidate records' numbers in the file, and the counts of
    the records it skipped (which lie outside the rule regions and are not structural)."""

    records: int = 0
    #: The number in the file (1-based) of each candidate record, in the order written.
    candidates: list[int] = field(default_factory=list)
    skipped_alleles: int = 0
    skipped_passed_alleles: int = 0
    #: Numbers of skipped records that fail FILTER.
    skipped_filtered: list[int] = field(default_factory=list)
    #: Alleles of skipped records with one of the ``annotation_keys`` in INFO: all, and those
    #: of records that pass FILTER.
    skipped_annotated_alleles: int = 0
    skipped_annotated_passed_alleles: int = 0


@dataclass(frozen=True)
class TextRules:
    """What makes a record outside the rule regions a candidate all the same, for TMB: any of
    ``promote`` in its INFO (the SO terms TMB counts: a superset test, the parser decides);
    ``annotation_keys`` are the consequence fields whose presence is counted."""

    promote: tuple[bytes, ...] = ()
    annotation_keys: tuple[bytes, ...] = ()


def scan_vcf_text(
    path: Path,
    regions: RegionList,
    candidates: BinaryIO,
    on_record: Callable[[int], None] | None = None,
    text_rules: TextRules | None = None,
) -> TextScan:
    """Copy the header and the candidate records of a VCF or VCF.gz to ``candidates``.

    A record is a candidate when its REF span (POS to POS + len(REF) - 1) overlaps a region of
    its chromosome, when an ALT is symbolic or a breakend (its extent is in INFO), or when its
    CHROM/POS columns cannot be read (the parser then reports it), or by ``text_rules``. Empty
    lines are no records, as for htslib. Only CHROM, POS, REF, ALT and FILTER of other records
    are looked at (and INFO with ``text_rules``).
    """
    scan = TextScan()
    extra = text_rules or TextRules()
    lookup: dict[bytes, tuple[list[int], list[int]] | None] = {}
    number = 0
    pending = b""
    for chunk in _decompressed_chunks(path):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        number = _scan_lines(lines, number, regions, lookup, candidates, scan, on_record, extra)
    if pending:  # a last line without a newline
        number = _scan_lines([pending], number, regions, lookup, candidates, scan, None, extra)
    scan.records = number
    return scan


def _scan_lines(
    lines: list[bytes],
    number: int,
    regions: RegionList,
    lookup: dict[bytes, tuple[list[int], list[int]] | None],
    candidates: BinaryIO,
    scan: TextScan,
    on_record: Callable[[int], None] | None,
    extra: TextRules,
) -> int:
    write = candidates.write
    numbers = scan.candidates
    for line in lines:
        if not line or line == b"\r":
            continue
        if line[0] == 35:  # '#': a header line
            write(line + b"\n")
            continue
        number += 1
        fields = line.split(b"\t", 7)
        if len(fields) < 8 or not fields[1].isdigit():
            write(line + b"\n")
            numbers.append(number)
            continue
        chrom = fields[0]
        spans = lookup.get(chrom, _MISSING)
        if spans is _MISSING:
            items = regions.get(normalize_chrom(chrom.decode(errors="replace")))
            spans = ([s for s, _e in items], [e for _s, e in items]) if items else None
            lookup[chrom] = spans
        alt = fields[4]
        candidate = b"<" in alt or b"[" in alt or b"]" in alt  # symbolic or breakend
        if not candidate and spans is not None:
            pos = int(fields[1])
            end = pos + max(len(fields[3]), 1) - 1
            index = bisect.bisect_right(spans[0], end) - 1
            candidate = index >= 0 and spans[1][index] >= pos
        info = b""
        if not candidate and (extra.promote or extra.annotation_keys):
            info = fields[7].split(b"\t", 1)[0]
            candidate = any(term in info for term in extra.promote)
        if candidate:
            write(line + b"\n")
            numbers.append(number)
            continue
        alleles = 0 if alt == b"." else alt.count(b",") + 1
        scan.skipped_alleles += alleles
        annotated = bool(info) and any(
            info.startswith(key) or b";" + key in info for key in extra.annotation_keys
        )
        if annotated:
            scan.skipped_annotated_alleles += alleles
        filters = fields[6]
        if filters not in _PASSED and any(name not in _PASSED for name in filters.split(b";")):
            scan.skipped_filtered.append(number)
        else:
            scan.skipped_passed_alleles += alleles
            if annotated:
                scan.skipped_annotated_passed_alleles += alleles
    if on_record is not None:
        on_record(number)
    return number


_MISSING: Any = object()


def _decompressed_chunks(path: Path) -> Iterator[bytes]:
    """The bytes of a plain or gzip/BGZF file, decompressed one chunk ahead in a thread."""
    with path.open("rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    with (
        gzip.open(path, "rb") if compressed else path.open("rb") as handle,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        future = pool.submit(handle.read, _CHUNK)
        while True:
            chunk = future.result()
            if not chunk:
                return
            future = pool.submit(handle.read, _CHUNK)
            yield chunk
