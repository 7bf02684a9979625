"""Read copy-number calls into gene-level ``amplification`` / ``deletion`` events.

Three input forms, told apart by their first lines (plain or gzip-compressed):

* **CNVkit segments** (``.cns``, ``.call.cns``): a tab-separated header with at least
  ``chromosome start end gene log2`` (``cn``, ``depth``, ``probes``, ``weight`` ... may follow).
  Coordinates are 0-based, half-open; ``gene`` is a comma-separated list and is what maps a
  segment to genes. A segment without gene names (CNVkit's ``-``, ``.``, ``CGH``,
  ``Antitarget``, ``Background``) is placed by position as a VCF record is (below), on the
  rule genes the file names nowhere else; a call it makes on a gene that other segments name
  is noted, not used. ``cn`` is used when present (``cnvkit.py call`` wrote it);
  otherwise the copy number is derived from ``log2`` as ``cnvkit.py call --purity`` does
  (below). A log2 of -20 is CNVkit's mark for no coverage (``cnvlib/params.py``
  ``NULL_LOG2_COVERAGE``), not a measurement: no event, a note when the row names a rule
  gene. CNVkit's bin-level files (``.cnr``, ``.cnn``: ``depth`` and no ``probes`` column) are
  refused: a bin is no segment, and one empty bin is no deletion.
* **VCF** with copy-number records: ``INFO/SVTYPE`` ``CNV``, ``DUP`` or ``DEL``, or an ALT
  allele ``<CNV>``, ``<DUP>``, ``<DEL>`` (``<DUP:TANDEM>`` too). The copy number is
  ``FORMAT/CN`` of the tumor sample (the VCF's only sample whatever its name, else the one
  named as the main input's tumor), else (absent or ``.``) ``INFO/CN``; a copy-number record
  without either is an error, not a silent skip. Other records (SNVs, breakends, ``<INV>``)
  are skipped, and so are records with a FILTER other than ``PASS`` / ``.`` unless
  ``include_filtered``. A record
  spans ``POS``..``INFO/END`` (else ``POS + |SVLEN|``, else the REF length), and is mapped to
  every rule gene whose span for the build overlaps it by at least one base. ``detail`` names
  a record with several ALTs (GATK gCNV's ``<DEL>,<DUP>``) by the allele the sample's GT
  calls. The file is read as text (no cyvcf2); a header whose contig lengths name the other
  build is an error, and so are a ``#CHROM`` line without the VCF's columns and a record
  with more or fewer columns than it names (a column missing would put INFO in FILTER).
* **Gene table**: tab-separated, a ``gene`` column plus ``copy_number`` and/or ``call``. When
  both are given, a non-empty ``call`` wins and ``copy_number`` is only reported. ``call``
  values (case-insensitive; ``-``, space and ``_`` alike):

  =====================  ================================================================
  amplification          ``amplification``, ``amplified``, ``amp``,
                         ``high_level_amplification``, ``2`` (cBioPortal discrete)
  deletion               ``deletion``, ``deleted``, ``deep_deletion``, ``deepdel``,
                         ``homdel``, ``homozygous_deletion``, ``-2``
  no event               ``gain``, ``loss``, ``hetloss``, ``shallow_deletion``,
                         ``heterozygous_deletion``, ``neutral``, ``diploid``, ``normal``,
                         ``none``, ``1``, ``0``, ``-1``, empty, ``.``, ``NA``
  =====================  ================================================================

  A low-level ``gain`` is not an amplification and a one-copy ``loss`` not a deep deletion,
  as in cBioPortal's OQL, whose default copy-number query is ``AMP HOMDEL`` with ``GAIN`` and
  ``HETLOSS`` as separate, lower-level states (docs.cbioportal.org/user-guide/oql). Anything
  else (``del``, ``cnv``) is an error naming these lists, rather than a guess.

Calling (``CopyNumberThresholds``). A copy number is rounded to the nearest integer (halves to
even, as numpy in CNVkit), then:

* **amplification** when it is at least ``amplification_cn``; by default 2.5 x ploidy, i.e.
  5 copies in a diploid tumor: the "clinical reporting convention" of CNVkit's ``ampdel``
  segment filter, "5+ copies (2.5-fold gain) is amplification"
  (etal/cnvkit ``cnvlib/segfilters.py``). PCGR is stricter, ``--n_copy_gain`` defaulting to 6
  total copies (sigven/pcgr ``pcgr.py``): pass ``amplification_cn=6`` to match it.
* **deletion** (deep, homozygous) when it is at most ``deletion_cn``, by default 0 copies:
  "0 copies is homozygous/deep deletion" (same CNVkit filter); cBioPortal's ``HOMDEL`` (-2).

Copy number from log2 (CNVkit ``cnvlib/call.py``, ``_log2_ratio_to_absolute``; the
``call -m clonal --purity`` use is described in CNVkit's ``doc/heterogeneity.rst``): with
``v`` the log2 ratio, ``p`` the purity, ``r`` the reference copies and ``x`` the copies
expected in the sample, ``n = (r * 2**v - x * (1 - p)) / p``, which is ``n = r * 2**v`` for a
pure sample. Here ``r = x = ploidy`` on every chromosome: CNVkit's sex-chromosome adjustment
needs the sample's and the reference's sex, which this reader does not know, so for X and Y a
``cn`` column (from ``cnvkit.py call -x/-y``) is more accurate. A negative result is 0.

One event per gene and kind: when several segments or rows call the same gene, the most
extreme one (highest copy number for an amplification, lowest for a deletion) gives
``detail``, e.g. ``CNVkit log2 3.53, CN 23, chr12:57.9-58.5 Mb``. A gene with both an
amplified and a deleted segment yields both events.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.errors import InputError, UsageError
from annotator.gene_regions import GeneLocator
from annotator.genome import resolve_build
from annotator.models import Alteration, VariantClass
from annotator.readers.text import (
    MISSING_VALUES,
    describe_columns,
    format_number,
    format_region,
    parse_number,
    read_text_lines,
    split_row,
)

if TYPE_CHECKING:  # annotations only: reading a CNV file needs no rules schema (pydantic)
    from annotator.rules.schema import GeneSpec

AMPLIFICATION = "amplification"
DELETION = "deletion"

#: Default amplification threshold as a multiple of the ploidy (CNVkit ``ampdel``: 5 at 2).
AMPLIFICATION_FOLD = 2.5

CNVKIT_COLUMNS = ("chromosome", "start", "end", "gene", "log2")
#: CNVkit's log2 for a bin without coverage (``cnvlib/params.py`` ``NULL_LOG2_COVERAGE``): a
#: placeholder, not a measurement.
NO_COVERAGE_LOG2 = -20.0
#: CNVkit's labels for bins and segments without a gene: ``cnvlib/params.py``
#: ``IGNORE_GENE_NAMES`` and ``ANTITARGET_ALIASES``.
_CNVKIT_NO_GENE = frozenset({"", "-", ".", "CGH", "Antitarget", "Background"})

CNV_SVTYPES = frozenset({"CNV", "DUP", "DEL"})
_CNV_ALTS = frozenset({"<CNV>", "<DUP>", "<DEL>", "<DUP:TANDEM>"})

AMPLIFICATION_CALLS = frozenset(
    {"amplification", "amplified", "amp", "high_level_amplification", "2"}
)
DELETION_CALLS = frozenset(
    {
        "deletion",
        "deleted",
        "deep_deletion",
        "deepdel",
        "homdel",
        "homozygous_deletion",
        "-2",
    }
)
NO_EVENT_CALLS = frozenset(
    {
        "gain",
        "loss",
        "hetloss",
        "shallow_deletion",
        "heterozygous_deletion",
        "neutral",
        "diploid",
        "normal",
        "none",
        "1",
        "0",
        "-1",
        "",
        ".",
        "na",
        "nan",
    }
)
_INTEGER = re.compile(r"^[+-]?[0-9]+$")


# -- thresholds --------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyNumberThresholds:
    """When a total copy number is an amplification or a deep deletion (see module doc).

    ``amplification_cn`` None means ``AMPLIFICATION_FOLD`` x ``ploidy`` (5 at ploidy 2).
    ``ploidy`` and ``purity`` are used only to derive a copy number from a log2 ratio.
    """

    amplification_cn: float | None = None
    deletion_cn: float = 0.0
    ploidy: float = 2.0
    purity: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.ploidy) and self.ploidy > 0):
            raise UsageError(f"copy-number ploidy must be a number above 0, got {self.ploidy}")
        if not (math.isfinite(self.purity) and 0 < self.purity <= 1):
            raise UsageError(
                f"tumor purity must be above 0 and at most 1, got {self.purity}",
                hint="give purity as a fraction, e.g. 0.6 for 60%",
            )
        if not math.isfinite(self.deletion_cn) or self.deletion_cn < 0:
            raise UsageError(f"deletion copy number must be 0 or more, got {self.deletion_cn}")
        if not math.isfinite(self.amplification_at) or self.amplification_at <= self.deletion_cn:
            raise UsageError(
                f"amplification copy number {self.amplification_at:g} must be above the "
                f"deletion copy number {self.deletion_cn:g}"
            )

    @property
    def amplification_at(self) -> float:
        """The smallest (rounded) copy number called an amplification."""
        if self.amplification_cn is not None:
            return self.amplification_cn
        return AMPLIFICATION_FOLD * self.ploidy

    def copy_number_from_log2(self, log2: float) -> float:
        """Total copy number from a log2 copy ratio, as CNVkit ``call --purity`` (not rounded)."""
        # Capped so that absurd ratios (a log2 of 5000) stay finite: 2**1000 copies is plenty.
        copies = self.ploidy * math.pow(2.0, min(log2, 1000.0))
        if self.purity < 1:
            copies = (copies - self.ploidy * (1 - self.purity)) / self.purity
        return max(copies, 0.0)

    def call(self, copy_number: float) -> str | None:
        """``amplification``, ``deletion`` or None for a total copy number."""
        rounded = round(copy_number)
        if rounded >= self.amplification_at:
            return AMPLIFICATION
        if rounded <= self.deletion_cn:
            return DELETION
        return None


# -- the reader --------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyNumberCalls:
    """What a copy-number file gave: the events, and notes on what it held that gave none."""

    alterations: tuple[Alteration, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Call:
    """One gene called amplified or deleted by one segment or row."""

    gene: str
    event: str
    copy_number: float
    detail: str


class _Calls:
    """The most extreme call per gene and event, in the order genes were first called."""

    def __init__(self) -> None:
        self._calls: dict[tuple[str, str], _Call] = {}

    def add(self, call: _Call) -> None:
        key = (call.gene, call.event)
        known = self._calls.get(key)
        if known is None or _more_extreme(call, known):
            self._calls[key] = call

    def alterations(self, source: str) -> tuple[Alteration, ...]:
        return tuple(
            Alteration(
                gene=call.gene,
                variant_class=VariantClass.OTHER,
                source=source,
                event=call.event,
                detail=call.detail,
            )
            for call in self._calls.values()
        )


class _Locator:
    """Places copy-number records on the rule genes by position, and says which genes with
    copy-number rules it cannot place (no span for the build)."""

    def __init__(
        self,
        path: Path,
        genes: Mapping[str, GeneSpec],
        build: str,
        copy_number_genes: Collection[str] | None,
    ) -> None:
        self.genes = GeneLocator(genes, build)
        self._path = path
        self._build = build
        wanted = genes.keys() if copy_number_genes is None else copy_number_genes
        self._unplaced = [gene for gene in self.genes.unplaced if gene in wanted]

    def unplaced_note(self, named: Set[str] = frozenset()) -> tuple[str, ...]:
        """A note on the genes with copy-number rules that no position can find, except
        those the file names (a CNVkit segment's gene column gives them)."""
        missing = [gene for gene in self._unplaced if gene not in named]
        if not missing:
            return ()
        them = "it" if len(missing) == 1 else "them"
        return (
            f"{self._path}: no copy number read for {', '.join(missing)}: the gene table gives "
            f"no {self._build} span to place {them} by position (a copy-number table row or a "
            "CNVkit segment naming the gene still gives it)",
        )


def _more_extreme(call: _Call, than: _Call) -> bool:
    if call.event == AMPLIFICATION:
        return call.copy_number > than.copy_number
    return call.copy_number < than.copy_number


def read_copy_number_calls(
    path: str | Path,
    *,
    genes: Mapping[str, GeneSpec],
    build: str,
    thresholds: CopyNumberThresholds,
    sample: str | None = None,
    include_filtered: bool = False,
    copy_number_genes: Collection[str] | None = None,
) -> CopyNumberCalls:
    """One ``amplification`` or ``deletion`` event per rule gene the file calls so, and notes
    on what the file held that gave no event.

    Genes not in ``genes`` are ignored. ``build`` places VCF records and CNVkit segments
    without gene names on the gene spans (and is checked against the VCF header); when the
    file is read so, a note names the ``copy_number_genes`` (by default all of ``genes``)
    that have no span for ``build``, whose copy number no position can give. ``sample`` picks
    the VCF sample whose ``FORMAT/CN`` is read when the VCF has several (a VCF with one sample
    is read whatever it is called). ``include_filtered`` keeps VCF records with a FILTER.
    """
    path = Path(path)
    lines = read_text_lines(path, "copy-number")
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise InputError("copy-number file is empty", path=path)
    locator = _Locator(path, genes, build, copy_number_genes)
    if lines[first].startswith("##fileformat=VCF"):
        return _read_vcf(lines, path, locator, build, thresholds, sample, include_filtered)
    header = next(
        (
            index
            for index in range(first, len(lines))
            if lines[index].strip() and not lines[index].startswith("#")
        ),
        None,
    )
    if header is None:
        raise InputError("copy-number file has only comment lines", path=path)
    columns = [cell.strip().lower() for cell in lines[header].split("\t")]
    if set(CNVKIT_COLUMNS) <= set(columns):
        return _read_cnvkit(lines, header, columns, path, genes, locator, thresholds)
    if "gene" in columns and ("copy_number" in columns or "call" in columns):
        return _read_gene_table(lines, header, columns, path, genes, thresholds)
    raise InputError(
        f"unknown copy-number format: header columns are {describe_columns(columns)}",
        path=path,
        line=header + 1,
        hint="expected a CNVkit .cns (chromosome, start, end, gene, log2), "
        "a VCF with CNV records, or a gene table (gene plus copy_number or call)",
    )


def _read_cnvkit(
    lines: Sequence[str],
    header: int,
    columns: list[str],
    path: Path,
    genes: Mapping[str, GeneSpec],
    locator: _Locator,
    thresholds: CopyNumberThresholds,
) -> CopyNumberCalls:
    _refuse_bins(columns, path, header + 1)
    index = {name: columns.index(name) for name in (*CNVKIT_COLUMNS, "cn") if name in columns}
    segments = [
        (number, _parse_segment(cells, index, path, number))
        for number, cells in _table_rows(lines, header, len(columns), path)
    ]
    named = {name for _number, segment in segments for name in segment.names}
    calls = _Calls()
    notes: list[str] = []
    if any(not segment.names for _number, segment in segments):
        notes.extend(locator.unplaced_note(named))
    for number, segment in segments:
        rule_genes, named_elsewhere = _segment_genes(segment, genes, locator.genes, named)
        if segment.log2 == NO_COVERAGE_LOG2:
            if rule_genes:
                notes.append(_no_coverage_note(path, number, segment, rule_genes))
            continue
        copy_number, shown = _segment_copy_number(segment, thresholds)
        event = thresholds.call(copy_number)
        if event is None:
            continue
        detail = f"CNVkit log2 {format_number(segment.log2)}, {shown}, {segment.region}"
        for gene in rule_genes:
            calls.add(_Call(gene, event, copy_number, detail))
        if named_elsewhere:
            notes.append(_named_elsewhere_note(path, number, event, detail, named_elsewhere))
    return CopyNumberCalls(calls.alterations("CNVkit"), tuple(notes))


def _segment_genes(
    segment: _Segment,
    genes: Mapping[str, GeneSpec],
    locator: GeneLocator,
    named: Set[str],
) -> tuple[list[str], list[str]]:
    """The rule genes a segment gives a copy number for, and those it overlaps but leaves to
    the segments that name them.

    A segment that names genes gives theirs. One without gene names (only CNVkit's ``-``,
    ``.``, ``CGH``, antitarget or background labels) is placed as a VCF record is, on the
    rule genes whose span for the build it overlaps, except genes the file names elsewhere:
    their own (targeted) segments measure them.
    """
    if segment.names:
        return [gene for gene in segment.names if gene in genes], []
    placed = locator.genes_at(segment.chrom, segment.start + 1, segment.end)
    return [g for g in placed if g not in named], [g for g in placed if g in named]


@dataclass(frozen=True)
class _Segment:
    """One row of a CNVkit segment file: 0-based, half-open ``start``..``end``."""

    chrom: str
    start: int
    end: int
    log2: float
    copy_number: float | None  # the ``cn`` column, when there is one
    names: tuple[str, ...]  # the genes it names, CNVkit's placeholders left out

    @property
    def region(self) -> str:
        return format_region(self.chrom, self.start + 1, self.end)


def _refuse_bins(columns: Sequence[str], path: Path, line: int) -> None:
    """CNVkit bin-level files (``.cnr`` copy ratios, ``.cnn`` coverages) have ``depth`` and
    no ``probes``: each row is one bin, not a segment, and one noisy or empty bin (log2 -20)
    must not read as a deletion of its gene."""
    if "depth" in columns and "probes" not in columns:
        raise InputError(
            "a CNVkit bin-level file (.cnr/.cnn: a depth column, no probes column), not segments",
            path=path,
            line=line,
            hint="give the segments: the .cns of 'cnvkit.py segment' or the .call.cns of "
            "'cnvkit.py call'",
        )


def _parse_segment(
    cells: Sequence[str], index: Mapping[str, int], path: Path, number: int
) -> _Segment:
    start = _parse_position(cells[index["start"]], "start", path, number)
    end = _parse_position(cells[index["end"]], "end", path, number)
    if end < start:
        raise InputError(f"end {end} is before start {start}", path=path, line=number)
    log2 = parse_number(cells[index["log2"]], column="log2", path=path, line=number)
    copy_number = None
    if "cn" in index:
        copy_number = parse_number(cells[index["cn"]], column="cn", path=path, line=number)
        if copy_number < 0:
            raise InputError(f"cn '{cells[index['cn']]}' is negative", path=path, line=number)
    names = (name.strip() for name in cells[index["gene"]].split(","))
    named = tuple(dict.fromkeys(name for name in names if name not in _CNVKIT_NO_GENE))
    return _Segment(cells[index["chromosome"]], start, end, log2, copy_number, named)


def _segment_copy_number(segment: _Segment, thresholds: CopyNumberThresholds) -> tuple[float, str]:
    """The segment's copy number (its ``cn``, else from its log2) and how ``detail`` says it."""
    if segment.copy_number is not None:
        return segment.copy_number, f"CN {format_number(segment.copy_number)}"
    copy_number = thresholds.copy_number_from_log2(segment.log2)
    purity = "" if thresholds.purity == 1 else f" at purity {thresholds.purity:g}"
    return copy_number, f"CN {round(copy_number)} (from log2{purity})"


def _no_coverage_note(path: Path, number: int, segment: _Segment, genes: Sequence[str]) -> str:
    return (
        f"{path}, line {number}: log2 {format_number(NO_COVERAGE_LOG2)} at {segment.region} is "
        f"CNVkit's mark for no coverage, not a measurement; no copy number for "
        f"{', '.join(genes)}"
    )


def _named_elsewhere_note(
    path: Path, number: int, event: str, detail: str, genes: Sequence[str]
) -> str:
    names = ", ".join(genes)
    return (
        f"{path}, line {number}: a segment without gene names ({detail}) overlaps {names}, "
        f"whose copy number is read from the segments that name it: no {event} from this one"
    )


def _table_rows(
    lines: Sequence[str], header: int, width: int, path: Path
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of the rows after the header; blank and ``#`` lines skipped."""
    for number, row in enumerate(lines[header + 1 :], start=header + 2):
        if row.strip() and not row.startswith("#"):
            yield number, split_row(row, width, path=path, line=number)


def _read_gene_table(
    lines: Sequence[str],
    header: int,
    columns: list[str],
    path: Path,
    genes: Mapping[str, GeneSpec],
    thresholds: CopyNumberThresholds,
) -> CopyNumberCalls:
    gene_at = columns.index("gene")
    cn_at = columns.index("copy_number") if "copy_number" in columns else None
    call_at = columns.index("call") if "call" in columns else None
    calls = _Calls()
    for number, cells in _table_rows(lines, header, len(columns), path):
        gene = cells[gene_at]
        if not gene:
            raise InputError("gene is empty", path=path, line=number)
        copy_number: float | None = None
        if cn_at is not None and cells[cn_at].lower() not in MISSING_VALUES:
            copy_number = parse_number(cells[cn_at], column="copy_number", path=path, line=number)
            if copy_number < 0:
                raise InputError(
                    f"copy_number '{cells[cn_at]}' is negative", path=path, line=number
                )
        call_text = cells[call_at] if call_at is not None else ""
        parts: list[str] = []
        if call_text.lower() not in MISSING_VALUES:
            event = _event_of_call(call_text, path, number)
            parts.append(f"call {call_text}")
        elif copy_number is not None:
            event = thresholds.call(copy_number)
        else:
            continue
        if copy_number is not None:
            parts.append(f"copy number {format_number(copy_number)}")
        if event is None or gene not in genes:
            continue
        # Called rows without a number sort as the most extreme of their kind.
        extreme = math.inf if event == AMPLIFICATION else -math.inf
        value = copy_number if copy_number is not None else extreme
        calls.add(_Call(gene, event, value, ", ".join(parts)))
    return CopyNumberCalls(calls.alterations("copy-number table"))


def _event_of_call(text: str, path: Path, line: int) -> str | None:
    key = text.strip().lower()
    key = str(int(key)) if _INTEGER.match(key) else re.sub(r"[\s_-]+", "_", key)
    if key in AMPLIFICATION_CALLS:
        return AMPLIFICATION
    if key in DELETION_CALLS:
        return DELETION
    if key in NO_EVENT_CALLS:
        return None
    raise InputError(
        f"copy-number call '{text}' is not one this reader knows",
        path=path,
        line=line,
        hint="amplification: amp, amplification, 2; deep deletion: homdel, deep_deletion, "
        "deletion, -2; no event: gain, loss, hetloss, neutral, 1, 0, -1",
    )


def _parse_position(text: str, column: str, path: Path, line: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{column} '{text}' is not a whole number", path=path, line=line) from None
    if value < 0:
        raise InputError(f"{column} '{text}' is negative", path=path, line=line)
    return value


# -- VCF ---------------------------------------------------------------------------------

_VCF_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
_CONTIG_ID = re.compile(r"[<,]ID=([^,>]+)")
_CONTIG_LENGTH = re.compile(r"[<,]length=([0-9]+)")


def _read_vcf(
    lines: Sequence[str],
    path: Path,
    locator: _Locator,
    build: str,
    thresholds: CopyNumberThresholds,
    sample: str | None,
    include_filtered: bool,
) -> CopyNumberCalls:
    header_end = next((i for i, line in enumerate(lines) if line.startswith("#CHROM")), None)
    if header_end is None:
        raise InputError(
            "VCF has no #CHROM header line", path=path, hint="check it with 'bcftools view -h'"
        )
    header_lines = lines[: header_end + 1]
    contigs: dict[str, int] = {}
    for line in header_lines:
        if line.startswith("##contig=<"):
            name, length = _CONTIG_ID.search(line), _CONTIG_LENGTH.search(line)
            if name and length:
                contigs[name.group(1)] = int(length.group(1))
    resolve_build(build, contigs, header_lines, str(path))
    columns = lines[header_end].rstrip("\r").split("\t")
    if tuple(columns[:8]) != _VCF_COLUMNS or columns[8:9] not in ([], ["FORMAT"]):
        raise InputError(
            f"the #CHROM line does not begin with the tab-separated columns "
            f"{' '.join(_VCF_COLUMNS)}{' FORMAT' if len(columns) > 8 else ''}: "
            f"it has {describe_columns(columns)}",
            path=path,
            line=header_end + 1,
        )
    samples = columns[9:]
    sample_index = _sample_index(samples, sample, path)
    calls = _Calls()
    for number, row in enumerate(lines[header_end + 1 :], start=header_end + 2):
        if not row.strip():
            continue
        cells = row.rstrip("\r").split("\t")
        # A column missing or added moves the others: INFO would be read as FILTER.
        if len(cells) != len(columns):
            raise InputError(
                f"VCF record has {len(cells)} tab-separated columns, but the #CHROM line "
                f"names {len(columns)}",
                path=path,
                line=number,
            )
        chrom, pos_text, _id, ref, alt, _qual, filters, info_text = cells[:8]
        info = _parse_info(info_text)
        svtype = info.get("SVTYPE")
        alts = alt.split(",")
        if svtype not in CNV_SVTYPES and not any(a in _CNV_ALTS for a in alts):
            continue
        if not include_filtered and filters not in ("PASS", "."):
            continue
        copy_text = _present(_format_value(cells, sample_index, "CN")) or _present(info.get("CN"))
        if copy_text is None:
            raise InputError(
                "copy-number record has no CN in FORMAT or INFO",
                path=path,
                line=number,
                hint="a copy-number VCF needs the total copy number in FORMAT/CN or INFO/CN",
            )
        copy_number = parse_number(copy_text, column="CN", path=path, line=number)
        if copy_number < 0:
            raise InputError(f"CN '{copy_text}' is negative", path=path, line=number)
        event = thresholds.call(copy_number)
        if event is None:
            continue
        pos = _parse_position(pos_text, "POS", path, number)
        end = _record_end(info, pos, ref, path, number)
        kind = _record_kind(svtype, alts, _format_value(cells, sample_index, "GT"))
        detail = f"VCF {kind} CN {format_number(copy_number)}, {format_region(chrom, pos, end)}"
        for gene in locator.genes.genes_at(chrom, pos, end):
            calls.add(_Call(gene, event, copy_number, detail))
    return CopyNumberCalls(calls.alterations("CNV VCF"), locator.unplaced_note())


def _sample_index(samples: Sequence[str], sample: str | None, path: Path) -> int | None:
    """The column of the sample whose ``FORMAT/CN`` is read: the only one, whatever its name
    (``cnvkit.py export vcf`` names it after the file), else the one named ``sample``."""
    if len(samples) <= 1:
        return 0 if samples else None
    listed = f"{len(samples)} samples ({', '.join(samples)})"
    if sample is None:
        raise InputError(
            f"VCF has {listed}; cannot tell which one's FORMAT/CN to read",
            path=path,
            hint="name the tumor sample",
        )
    if sample not in samples:
        raise InputError(
            f"sample '{sample}' is not in the VCF, which has {listed}",
            path=path,
            hint="a copy-number VCF with several samples is read for the tumor sample of the "
            "main input, by name",
        )
    return samples.index(sample)


def _present(value: str | None) -> str | None:
    """A VCF value, None when it is missing (absent, empty or ``.``)."""
    return None if value in (None, "", ".") else value


def _record_kind(svtype: str | None, alts: Sequence[str], genotype: str | None) -> str:
    """How ``detail`` names a record: with several ALTs (GATK gCNV's ``<DEL>,<DUP>``), the
    one the sample's GT calls (``2``: ``DUP``), else ``CNV``; with one, SVTYPE or the ALT."""
    if len(alts) > 1:
        called = _called_alts(alts, genotype)
        return called[0] if len(called) == 1 else "CNV"
    return svtype or next((a.strip("<>") for a in alts if a in _CNV_ALTS), "CNV")


def _called_alts(alts: Sequence[str], genotype: str | None) -> list[str]:
    """The distinct ALT alleles (without ``<>``) a GT calls: ``1/2`` gives the first two."""
    indexes = re.split(r"[/|]", genotype or "")
    called = {int(i) for i in indexes if i.isdigit() and 0 < int(i) <= len(alts)}
    return [alts[i - 1].strip("<>") for i in sorted(called)]


def _parse_info(text: str) -> dict[str, str]:
    if text in ("", "."):
        return {}
    info: dict[str, str] = {}
    for item in text.split(";"):
        key, _, value = item.partition("=")
        info[key] = value
    return info


def _format_value(cells: Sequence[str], sample_index: int | None, key: str) -> str | None:
    if sample_index is None or len(cells) <= 9 + sample_index:
        return None
    keys = cells[8].split(":")
    if key not in keys:
        return None
    values = cells[9 + sample_index].split(":")
    at = keys.index(key)
    return values[at] if at < len(values) else None


def _record_end(info: Mapping[str, str], pos: int, ref: str, path: Path, line: int) -> int:
    if info.get("END", "") not in ("", "."):
        end = _parse_position(info["END"], "END", path, line)
    elif info.get("SVLEN", "") not in ("", "."):
        length = abs(int(parse_number(info["SVLEN"], column="SVLEN", path=path, line=line)))
        end = pos + length
    else:
        end = pos + max(len(ref), 1) - 1
    if end < pos:
        raise InputError(f"END {end} is before POS {pos}", path=path, line=line)
    return end
