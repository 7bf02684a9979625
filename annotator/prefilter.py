"""The rule regions of a genome build: where a record must lie to matter to the rules.

The indexed path (:func:`annotator.inputs.read_vcf_sample` on a VCF.gz/BCF with a ``.tbi`` or
``.csi`` index) reads only these regions instead of the whole file. They are the gene table's
spans for the build, padded (VEP and SnpEff name a gene in ``upstream_gene_variant`` and
``downstream_gene_variant`` consequences up to 5 kb away by default, further when the header's
command line says so: :func:`annotator.gene_padding.gene_padding`), the hotspot positions and the
alleles of genomic rules, merged into one sorted list per chromosome (names without ``chr``,
as :func:`annotator.genome.normalize_chrom` gives them).
"""

from __future__ import annotations

import bisect
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from annotator.bgzf import Part, decompressed_chunks, decompressed_part, leading_chunks
from annotator.candidate_triage import NONSYNONYMOUS, UNEVENTFUL
from annotator.gene_padding import DEFAULT_DISTANCE
from annotator.genome import ByChromosomeName, normalize_chrom
from annotator.models import AlleleKey
from annotator.rules.schema import GeneSpec
from annotator.vcf_text import (
    count_byte,
    find_all,
    find_runs,
    find_words,
    innermost,
    lines_holding,
    read_numbers,
    split_columns,
)

#: Bases added on each side of a gene span by default (VEP's up/downstream distance).
GENE_PADDING = DEFAULT_DISTANCE

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


class RegionLookup:
    """Whether a record's REF span overlaps an interval of a :data:`RegionList`, by the
    chromosome name as the input spells it: the reader's twin of the text scan's vectorised
    test (:meth:`_ChunkScanner.overlaps`), so that both count the same records."""

    __slots__ = ("_named", "regions")

    def __init__(self, regions: RegionList) -> None:
        self.regions = regions
        self._named = ByChromosomeName(
            {
                chrom: ([start for start, _end in items], [end for _start, end in items])
                for chrom, items in regions.items()
            },
            ([], []),
        )

    def overlaps(self, chrom: str, pos: int, ref: str) -> bool:
        """Whether POS to POS + len(REF) - 1 (POS alone for an empty REF) overlaps one."""
        starts, ends = self._named[chrom]
        at = bisect.bisect_right(starts, pos + max(len(ref), 1) - 1) - 1
        return at >= 0 and ends[at] >= pos


# --- The text prefilter: one pass over the decompressed text, parsing only candidates ---------

_CHUNK = 1 << 21  # bytes of a plain or gzip file decompressed at a time (BGZF: 32 blocks)
_PASSED = (b"PASS", b".")
_PAD = bytes(32)
_COMMA = 44
#: The widest ALT whose commas are counted with numpy (see _alleles).
_ALT_COLUMNS = 32


@dataclass
class TextScan:
    """What the text pass found: the candidate records' numbers in the file, and the counts of
    the records it skipped (which lie outside the rule regions and are not structural)."""

    records: int = 0
    #: The number in the file (1-based) of each candidate record, in the order written
    #: (8 bytes each).
    candidates: array[int] = field(default_factory=lambda: array("q"))
    #: Where each candidate's line starts in the candidates file (its byte offset).
    offsets: array[int] = field(default_factory=lambda: array("q"))
    #: Whether a '#' line was copied after a candidate (the file cannot then be cut between
    #: any two candidates: the parser decides what such a line is).
    header_among_records: bool = False
    skipped_alleles: int = 0
    skipped_passed_alleles: int = 0
    #: Skipped records that fail FILTER (a count: memory stays flat in the input's size).
    skipped_filtered: int = 0
    #: Of those, the records in ``TextRules.failed_counted_in`` (the rule genes), and how
    #: many of them fail each FILTER name.
    skipped_filtered_in_genes: int = 0
    skipped_filtered_in_genes_filters: Counter[str] = field(default_factory=Counter)
    #: Alleles of skipped records with one of the ``annotation_keys`` in INFO: all, and those
    #: of records that pass FILTER.
    skipped_annotated_alleles: int = 0
    skipped_annotated_passed_alleles: int = 0
    #: Of the skipped records, the candidates ``TextRules.triage`` took whose allele lies in
    #: a rule gene and changes nothing (``SmallVariants.uneventful``), and those it counted as
    #: non-synonymous for TMB (``SmallVariants.nonsynonymous``).
    triaged_uneventful: int = 0
    triaged_nonsynonymous: int = 0


@dataclass(frozen=True)
class TextRules:
    """What decides, besides its place, whether a record is a candidate.

    For TMB, a record outside the rule regions is one all the same with any of ``promote`` in
    its INFO (the SO terms TMB counts: a superset test, the parser decides);
    ``annotation_keys`` are the consequence fields whose presence is counted. Without
    ``keep_failed``, a record failing FILTER is never one (it would only be counted: no
    ``--include-filtered`` nor ``--explain``), unless its CHROM or POS cannot be read."""

    promote: tuple[bytes, ...] = ()
    annotation_keys: tuple[bytes, ...] = ()
    keep_failed: bool = True
    #: Where a record failing FILTER that is not a candidate is also counted
    #: (``TextScan.skipped_filtered_in_genes``), by its REF span as :class:`RegionLookup`.
    failed_counted_in: RegionList | None = None
    #: How many columns the header's #CHROM line names (:func:`header_columns`). A record in
    #: the regions with another number is a candidate whatever its FILTER column holds: with
    #: a column missing or added, that column holds another one's text (INFO), and the
    #: parser reports the record.
    columns: int | None = None
    #: Called with a candidate's CHROM, POS, REF, ALT, FILTER and INFO (with the header's
    #: number of columns) and whether it lies in the regions (else ``promote`` made it one):
    #: None to parse it, else it is skipped and its allele counted by the flags
    #: ``UNEVENTFUL`` and ``NONSYNONYMOUS`` of :mod:`annotator.candidate_triage`.
    triage: Callable[[bytes, int, bytes, bytes, bytes, bytes, bool], int | None] | None = None


def scan_vcf_text(
    path: Path,
    regions: RegionList,
    candidates: BinaryIO,
    on_record: Callable[[int], None] | None = None,
    text_rules: TextRules | None = None,
    part: Part | None = None,
) -> TextScan:
    """Copy the header and the candidate records of a VCF or VCF.gz to ``candidates``; with
    ``part``, of the lines of that part of a BGZF file only (numbered from the part's start).

    A record is a candidate when its REF span (POS to POS + len(REF) - 1) overlaps a region of
    its chromosome, when an ALT is symbolic or a breakend (its extent is in INFO), or when its
    CHROM/POS columns cannot be read (the parser then reports it), or by ``text_rules``. Empty
    lines are no records, as for htslib. Only CHROM, POS, REF, ALT and FILTER of other records
    are looked at (and INFO with ``text_rules``).

    The columns are found for a whole chunk of lines at once with numpy (the positions of the
    tabs and newlines, then each line's first seven tabs), so a record outside the regions costs
    a few vectorised operations, never a Python-level split.
    """
    scan = TextScan()
    chunker = _ChunkScanner(regions, candidates, scan, text_rules or TextRules())
    pending = b""
    chunks = decompressed_chunks(path, _CHUNK) if part is None else decompressed_part(path, part)
    for chunk in chunks:
        # One copy: the line left over, the chunk, and the padding the scanner reads past.
        text = b"".join((pending, chunk, _PAD))
        cut = text.rfind(b"\n", 0, len(text) - len(_PAD)) + 1
        pending = text[cut : len(text) - len(_PAD)]
        if cut:
            chunker.feed(text, cut)
            if on_record is not None:
                on_record(chunker.number)
    if pending:  # a last line without a newline
        chunker.feed(pending + b"\n" + _PAD, len(pending) + 1)
    scan.records = chunker.number
    return scan


def header_text(path: Path, piece: int = 1 << 16) -> bytes:
    """The lines at the start of a VCF or VCF.gz that begin with '#' (its header), read
    ``piece`` bytes at a time."""
    header = bytearray()
    in_line = False  # the last piece ended inside a header line
    for chunk in leading_chunks(path, piece):
        at = 0
        while at < len(chunk):
            if chunk[at] != 35 and not in_line:  # '#' begins a header line; else it ended
                return bytes(header)
            in_line = False
            end = chunk.find(b"\n", at)
            if end < 0:
                header += chunk[at:]
                in_line = True
                break
            header += chunk[at : end + 1]
            at = end + 1
    return bytes(header)


def header_columns(header: bytes) -> int | None:
    """How many tab-separated columns the #CHROM line of ``header`` (as :func:`header_text`
    gives it) names; None without one."""
    for line in header.splitlines():
        if line.startswith(b"#CHROM"):
            return line.count(b"\t") + 1
    return None


class _ChunkScanner:
    """Scans whole lines (a text ending in a newline), keeping the record count across calls."""

    def __init__(
        self, regions: RegionList, out: BinaryIO, scan: TextScan, rules: TextRules
    ) -> None:
        self.out = out
        self.written = out.tell()  # the candidates' offsets count from the file's start
        self.scan = scan
        self.rules = rules
        self.number = 0
        self.spans = _Spans(regions)
        self.counted_in = (
            _Spans(rules.failed_counted_in) if rules.failed_counted_in is not None else None
        )
        # A line holds a promoting word if and only if it holds one that holds no other.
        self.promote = innermost(rules.promote)
        self.keys = rules.annotation_keys

    def feed(self, text: bytes, size: int) -> None:
        """Scan the lines of ``text[:size]``, which ends with a newline; the ``_PAD`` bytes (or
        more) after it let every gather below read a few bytes past a line's end."""
        data = np.frombuffer(text, dtype=np.uint8)
        # Each line's first eight tabs (past its last tab: its end or beyond).
        (starts, ends, first, blank), columns, col = split_columns(data, size, 8)
        # '#' lines are copied as header lines.
        hashed = (first == 35) & ~blank
        record = ~blank & ~hashed
        parsed = record & (columns >= 7)  # eight columns: their values are looked at
        info_end = np.where(columns >= 8, col[7], ends)
        # POS: 1 to 18 digits, leading zeros included (the reader's int() reads them).
        pos, pos_ok = read_numbers(data, col[0] + 1, col[1], digits=18, leading_zero=True)
        parsed &= pos_ok
        ref_length = col[3] - col[2] - 1
        in_regions = self.overlaps(text, data, parsed, starts, col[0], pos, ref_length, self.spans)
        candidate = (record & ~parsed) | in_regions  # unreadable CHROM/POS: the parser says so
        alt_start, alt_end = col[3] + 1, col[4]
        # A gVCF's reference blocks ('<NON_REF>' or '<*>' alone: no variant of their own) are
        # counted as the reader counts them, outside the regions like any other record.
        symbolic = lines_holding(find_all(text, data[:size], b"<"), starts, alt_start, alt_end)
        no_variant = _no_variant_only(data, symbolic & parsed, alt_start, alt_end)
        candidate |= symbolic & parsed & ~no_variant
        for symbol in (b"[", b"]"):
            found = find_all(text, data[:size], symbol)
            candidate |= lines_holding(found, starts, alt_start, alt_end) & parsed
        if self.promote:
            found = find_words(text, size, self.promote)
            candidate |= lines_holding(found, starts, col[6] + 1, info_end) & parsed
        if self.rules.keep_failed:
            failed = _failed(text, data, parsed & ~candidate, col[5] + 1, col[6])
            dropped = np.zeros_like(failed)
        else:
            failed = self.failed(text, data, parsed, candidate, columns, col)
            dropped = candidate & failed  # only these can lie in ``counted_in``
            candidate &= ~failed
        # The candidates ``TextRules.triage`` takes pass FILTER: none is ``failed``.
        candidate &= ~self.triaged(
            text, candidate & parsed, in_regions, starts, columns, col, pos, info_end
        )
        self.write(text, starts, ends, candidate | hashed, record)
        skipped = parsed & ~candidate
        alleles = _alleles(text, data, skipped, alt_start, alt_end)
        passed = skipped & ~failed
        scan = self.scan
        scan.skipped_alleles += int(alleles[skipped].sum())
        scan.skipped_passed_alleles += int(alleles[passed].sum())
        # As the reader counts them: a record without an ALT ('.') is not counted as filtered.
        counted = failed & (alleles > 0)
        scan.skipped_filtered += int(np.count_nonzero(counted))
        if self.counted_in is not None:
            in_genes = np.flatnonzero(
                self.overlaps(
                    text, data, dropped & counted, starts, col[0], pos, ref_length, self.counted_in
                )
            )
            scan.skipped_filtered_in_genes += len(in_genes)
            filters = scan.skipped_filtered_in_genes_filters
            for line in in_genes.tolist():  # few: the rule genes' records
                names = text[col[5][line] + 1 : col[6][line]].split(b";")
                filters.update(
                    name.decode(errors="replace") for name in names if name not in _PASSED
                )
        if self.keys:
            found = _info_keys(data, size, self.keys)
            # The reader counts no annotated record for a no-variant allele.
            annotated = lines_holding(found, starts, col[6] + 1, info_end) & ~no_variant
            scan.skipped_annotated_alleles += int(alleles[skipped & annotated].sum())
            scan.skipped_annotated_passed_alleles += int(alleles[passed & annotated].sum())
        self.number += int(np.count_nonzero(record))

    def triaged(
        self,
        text: bytes,
        candidate: np.ndarray,
        in_regions: np.ndarray,
        starts: np.ndarray,
        tabs: np.ndarray,
        col: list[np.ndarray],
        pos: np.ndarray,
        info_end: np.ndarray,
    ) -> np.ndarray:
        """Which of the ``candidate`` lines ``TextRules.triage`` takes (those with the
        header's number of columns are offered; none without a triage); its rule-gene and
        non-synonymous alleles are counted."""
        taken = np.zeros(len(candidate), dtype=bool)
        triage = self.rules.triage
        if triage is None:
            return taken
        expected = self.rules.columns
        rows = np.flatnonzero(candidate & (tabs + 1 == expected if expected else tabs >= 7))
        if not len(rows):
            return taken
        chrom_end, id_end, ref_end, alt_end = (col[at][rows].tolist() for at in (0, 2, 3, 4))
        qual_end, filter_end = col[5][rows].tolist(), col[6][rows].tolist()
        line_starts = starts[rows].tolist()
        positions, info_ends = pos[rows].tolist(), info_end[rows].tolist()
        placed = in_regions[rows].tolist()
        uneventful = nonsynonymous = 0
        for at, row in enumerate(rows.tolist()):
            outcome = triage(
                text[line_starts[at] : chrom_end[at]],
                positions[at],
                text[id_end[at] + 1 : ref_end[at]],
                text[ref_end[at] + 1 : alt_end[at]],
                text[qual_end[at] + 1 : filter_end[at]],
                text[filter_end[at] + 1 : info_ends[at]],
                placed[at],
            )
            if outcome is not None:
                taken[row] = True
                uneventful += outcome & UNEVENTFUL
                nonsynonymous += (outcome & NONSYNONYMOUS) >> 1
        self.scan.triaged_uneventful += uneventful
        self.scan.triaged_nonsynonymous += nonsynonymous
        return taken

    def failed(
        self,
        text: bytes,
        data: np.ndarray,
        parsed: np.ndarray,
        candidate: np.ndarray,
        tabs: np.ndarray,
        col: list[np.ndarray],
    ) -> np.ndarray:
        """Which lines of ``parsed`` fail FILTER, except the ``candidate`` lines whose number
        of columns (``tabs`` + 1) is not the #CHROM line's: see ``TextRules.columns``."""
        failed = _failed(text, data, parsed, col[5] + 1, col[6])
        if self.rules.columns is not None:
            failed &= ~(candidate & (tabs + 1 != self.rules.columns))
        return failed

    def overlaps(
        self,
        text: bytes,
        data: np.ndarray,
        parsed: np.ndarray,
        starts: np.ndarray,
        chrom_end: np.ndarray,
        pos: np.ndarray,
        ref_length: np.ndarray,
        regions: _Spans,
    ) -> np.ndarray:
        """Lines of ``parsed`` whose REF span overlaps one of ``regions`` on their chromosome.
        Consecutive lines of one chromosome are handled together; the chromosome changes where
        the CHROM bytes do."""
        hit = np.zeros(len(starts), dtype=bool)
        rows = np.flatnonzero(parsed)
        if not len(rows):
            return hit
        for begin, end in find_runs(data, starts[rows], chrom_end[rows]):
            first = rows[begin]
            spans = regions.of(text[starts[first] : chrom_end[first]])
            if spans is None:
                continue
            run = rows[begin:end]
            low = pos[run]
            high = low + np.maximum(ref_length[run], 1) - 1
            index = np.searchsorted(spans[0], high, side="right") - 1
            hit[run] = (index >= 0) & (spans[1][np.maximum(index, 0)] >= low)
        return hit

    def write(
        self,
        text: bytes,
        starts: np.ndarray,
        ends: np.ndarray,
        wanted: np.ndarray,
        record: np.ndarray,
    ) -> None:
        """Copy the wanted lines (header lines and candidates) and note the candidates'
        numbers and offsets in the output; runs of adjacent wanted lines are copied in one
        write."""
        lines = np.flatnonzero(wanted)
        if not len(lines):
            return
        scan = self.scan
        numbers = self.number + np.cumsum(record)
        is_record = record[lines]
        lengths = ends[lines] - starts[lines] + 1
        at = self.written + np.cumsum(lengths) - lengths  # each wanted line's offset
        records = lines[is_record]
        if len(records) < len(lines) and (
            len(scan.candidates) or (len(records) and (~is_record)[np.argmax(is_record) :].any())
        ):
            scan.header_among_records = True
        scan.candidates.frombytes(numbers[records].astype(np.int64).tobytes())
        scan.offsets.frombytes(at[is_record].astype(np.int64).tobytes())
        self.written += int(lengths.sum())
        breaks = np.flatnonzero(np.diff(lines) != 1) + 1
        firsts = lines[np.concatenate(([0], breaks))].tolist()
        lasts = lines[np.concatenate((breaks - 1, [len(lines) - 1]))].tolist()
        begin, finish = starts.tolist(), ends.tolist()
        write = self.out.write
        for first, last in zip(firsts, lasts, strict=True):
            write(text[begin[first] : finish[last] + 1])


class _Spans:
    """The starts and ends of a :data:`RegionList`'s intervals as arrays, by the chromosome's
    bytes as the text spells it (None: none on it)."""

    def __init__(self, regions: RegionList) -> None:
        self.regions = regions
        self.lookup: dict[bytes, tuple[np.ndarray, np.ndarray] | None] = {}

    def of(self, chrom: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        spans = self.lookup.get(chrom, _MISSING)
        if spans is _MISSING:
            items = self.regions.get(normalize_chrom(chrom.decode(errors="replace")))
            spans = (
                (np.array([s for s, _e in items]), np.array([e for _s, e in items]))
                if items
                else None
            )
            self.lookup[chrom] = spans
        return spans  # type: ignore[no-any-return]


#: ALTs that are no variant of their own, as the reader's ``NO_VARIANT_ALLELES`` has them
#: ('*' is no symbolic ALT: such a line is no candidate unless in a region anyway).
_NO_VARIANT_ALTS = (b"<NON_REF>", b"<*>")


def _no_variant_only(
    data: np.ndarray, lines: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Which of ``lines`` have an ALT of one no-variant allele ('<NON_REF>', '<*>')."""
    found = np.zeros(len(start), dtype=bool)
    width = end - start
    for word in _NO_VARIANT_ALTS:
        rows = np.flatnonzero(lines & (width == len(word)))
        for offset, byte in enumerate(word):
            rows = rows[data[start[rows] + offset] == byte]
        found[rows] = True
    return found


def _alleles(
    text: bytes, data: np.ndarray, lines: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """The number of ALT alleles of each line: 0 for '.', else one more than its commas
    (counted only where ALT is long enough to hold one: with numpy up to ``_ALT_COLUMNS``
    bytes, one line at a time beyond: long insertions are rare, and would make numpy's
    arrays of each byte large)."""
    width = end - start
    alleles = np.ones(len(start), dtype=np.int64)
    alleles[(width == 1) & (data[start] == 46)] = 0
    listed = lines & (width >= 3)
    wide = listed & (width > _ALT_COLUMNS)
    narrow = np.flatnonzero(listed & ~wide)
    alleles[narrow] += count_byte(data, start[narrow], end[narrow], _COMMA)
    for line in np.flatnonzero(wide).tolist():
        alleles[line] += text.count(b",", int(start[line]), int(end[line]))
    return alleles


def _failed(
    text: bytes, data: np.ndarray, lines: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Which of ``lines`` have a FILTER that is neither PASS nor '.' (nor a list of only those,
    such as "PASS;.", which is looked at by itself)."""
    width = end - start
    head = data[start]
    is_pass = (
        (width == 4)
        & (head == 80)
        & (data[start + 1] == 65)
        & (data[start + 2] == 83)
        & (data[start + 3] == 83)
    )
    failed: np.ndarray = lines & ~(is_pass | ((width == 1) & (head == 46)))
    for line in np.flatnonzero(failed & (width > 4) & ((head == 80) | (head == 46))).tolist():
        names = text[start[line] : end[line]].split(b";")
        failed[line] = any(name not in _PASSED for name in names)
    return failed


def _info_keys(data: np.ndarray, size: int, keys: tuple[bytes, ...]) -> np.ndarray:
    """The offsets in ``data[:size]`` where one of ``keys`` (each ``NAME=``) begins an INFO
    entry: right after a tab or a ';' (:func:`lines_holding` tells which lie in INFO). Found
    from the text's '=' bytes, one comparison for all keys: a key is on every line of an
    annotated file, too many for a search per occurrence."""
    equals = np.flatnonzero(data[:size] == 61)
    found = []
    for key in keys:
        if not key.endswith(b"="):
            raise ValueError(f"an INFO key to look for ends with '=': {key!r}")
        at = equals - (len(key) - 1)
        at = at[at >= 1]  # a line's first byte begins CHROM, no INFO entry
        for offset, byte in enumerate(key[:-1]):
            at = at[data[at + offset] == byte]
        before = data[at - 1]
        found.append(at[(before == 9) | (before == 59)])
    return np.concatenate(found) if found else equals[:0]


_MISSING: Any = object()
