"""Fusions from the structural-variant records of a VCF: breakends, ``<DEL>``, ``<DUP>``, ``<INV>``.

A breakend ALT (VCF 4.2 section 5.4, samtools/hts-specs ``VCFv4.2.tex``) says that the
reference base ``s`` at POS is replaced by ``t`` and a piece starting at the mate position
``p`` is joined to it::

    t[p[   piece extending to the right of p is joined after t
    t]p]   reverse comp piece extending left of p is joined after t
    ]p]t   piece extending to the left of p is joined before t
    [p[t   reverse comp piece extending right of p is joined before t

So each novel adjacency joins two ends, and each end keeps the reference on one side of its
position: ``left`` (the sequence up to the position; ``t`` first in the ALT, or ``]`` around
the mate) or ``right`` (the sequence from the position on; ``t`` last, or ``[`` around the
mate). A gene keeps its 5' part when it is on the + strand and keeps its left side, or on the
- strand and keeps its right side; otherwise its 3' part. The adjacency gives a fusion
transcript only when one gene keeps its 5' part and the other its 3' part: the transcript then
reads the 5' partner up to the breakpoint and continues into the 3' partner in that gene's own
direction of transcription. Two 5' parts (head-to-head) or two 3' parts (tail-to-tail) give
none.

Symbolic alleles (POS is the base before the event, END its last base):

- ``<DEL>``: POS (left) joined to END+1 (right);
- ``<DUP>`` (tandem): END (left) joined to POS+1 (right);
- ``<INV>``: POS (left) joined to END (left), and POS+1 (right) joined to END+1 (right).

The two records of a mated pair describe one adjacency and give one fusion. Mates are paired
by ``MATEID``, or, without one, by the record at the ALT's mate position whose own ALT points
back. A record whose mate is not in the input (DELLY writes one record per translocation) is
used on its own: its ALT holds the whole adjacency.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from annotator.genome import normalize_chrom, parse_build
from annotator.models import Alteration, Unclassified, Variant, VariantClass
from annotator.rules.schema import GeneSpec

Side = Literal["left", "right"]

SOURCE = "vcf-sv"

# t[p[  t]p]  ]p]t  [p[t ; the chromosome may itself contain ':' (HLA contigs), the position
# is after the last one.
_BREAKEND_ALT = re.compile(
    r"^(?P<before>[^\[\]]*)(?P<open>[\[\]])(?P<chrom>[^\[\]]+):(?P<pos>[0-9]+)"
    r"(?P<close>[\[\]])(?P<after>[^\[\]]*)$"
)
_SINGLE_BREAKEND = re.compile(r"^(\.[A-Za-z]+|[A-Za-z]+\.)$")
_SYMBOLIC = re.compile(r"^<(?P<kind>[A-Z]+)(:[^>]*)?>$")
_JOINING_KINDS = ("DEL", "DUP", "INV")
_BASES = re.compile(r"^[ACGTNacgtn*]+$")


@dataclass(frozen=True, slots=True)
class Breakend:
    """One ALT allele of a structural-variant VCF record, as the VCF reader gives it.

    ``alt`` is a breakend (``N[chr9:130854064[``), a single breakend (``N.``) or a symbolic
    allele (``<DEL>``); ``id`` is the record's ID and ``mate_id`` its INFO/MATEID (None when
    missing or ``.``); ``end`` is INFO/END, needed for symbolic alleles. ``record_index`` is the
    1-based number of the data record in the file (when only the rule regions were read
    through the index, a number that orders the records: see :func:`find_breakend_fusions`).
    ``variant`` is the allele as read, which an unclassified entry names (None: none is made).
    """

    chrom: str
    pos: int
    alt: str
    id: str | None
    mate_id: str | None
    record_index: int
    end: int | None = None
    variant: Variant | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BreakendFusions:
    """The fusions found, one note per record or adjacency that gave none, and why; and the
    records in a gene of ``genes`` that gave no fusion, as unclassified variants (in record
    order, one per gene; only records read with their ``variant``), and how many records
    lie in one."""

    alterations: tuple[Alteration, ...]
    notes: tuple[str, ...]
    unclassified: tuple[Unclassified, ...] = ()
    in_genes: int = 0  # records (ALT alleles) in a gene of ``genes``, fused or not


def fusions_from_breakends(
    records: Sequence[Breakend], genes: Mapping[str, GeneSpec], build: str
) -> list[Alteration]:
    """Fusion ``Alteration``s (``gene`` = ``5'::3'``) from breakend and symbolic SV records."""
    return list(find_breakend_fusions(records, genes, build).alterations)


def find_breakend_fusions(
    records: Sequence[Breakend],
    genes: Mapping[str, GeneSpec],
    build: str,
    *,
    numbered: bool = True,
) -> BreakendFusions:
    """Like :func:`fusions_from_breakends`, with the reasons records gave no fusion.

    Only genes of ``genes`` with a span on ``build`` are seen; joins with no such gene at
    either end are passed over silently, and so are ALTs of bases only (insertions). Raises
    UsageError for an unknown build. Labels and notes name a record by its number in the file
    and its ID; without ``numbered`` (only the rule regions were read, through the index, so
    ``record_index`` only orders the records), by its ID, else its position.
    """
    finder = _FusionFinder(_GeneIndex(genes.values(), parse_build(build)), numbered)
    for step in _steps(records):
        record = step.record
        if step.note:
            finder.note(record, step.note)
        if step.joined is not None:
            finder.join_breakend(record, step.joined, step.mate)
        elif _SINGLE_BREAKEND.match(record.alt):
            finder.single(record)
        elif (symbolic := _SYMBOLIC.match(record.alt)) is not None:
            finder.join_symbolic(record, symbolic["kind"])
        elif not _BASES.match(record.alt) and not step.note:
            finder.note(record, f"ALT '{record.alt}' is not a breakend or a symbolic SV allele")
    in_genes, unfused = finder.unfused(records)
    return BreakendFusions(tuple(finder.alterations), tuple(finder.notes), tuple(unfused), in_genes)


def pair_breakends(records: Sequence[Breakend]) -> list[tuple[Breakend, Breakend | None]]:
    """Each novel adjacency of the breakend records once, in input order: the first record
    of it and its mate (None when the mate is not in ``records``)."""
    return [(step.record, step.mate) for step in _steps(records) if step.joined is not None]


@dataclass(frozen=True, slots=True)
class _Step:
    """One record to look at: its parsed breakend ALT and mate, if any, and a note."""

    record: Breakend
    joined: _Joined | None = None
    mate: Breakend | None = None
    note: str = ""


def _steps(records: Sequence[Breakend]) -> Iterator[_Step]:
    """Every record once, except mates, which come with the first record of their pair."""
    mates = _MateIndex(records)
    done: set[int] = set()
    for index, record in enumerate(records):
        if index in done:
            continue
        done.add(index)
        match = _BREAKEND_ALT.match(record.alt)
        if match is None:
            yield _Step(record)
            continue
        joined = _parse_breakend(record, match)
        if joined is None:
            yield _Step(record, note=f"malformed breakend ALT '{record.alt}'")
            continue
        mate_index, note = mates.find(index, joined, done)
        mate = None
        if mate_index is not None:
            done.add(mate_index)
            mate = records[mate_index]
        yield _Step(record, joined, mate, note)


# ------------------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class _End:
    """One end of an adjacency: a position and the side of it whose sequence is kept."""

    chrom: str  # normalized
    pos: int
    side: Side


@dataclass(frozen=True, slots=True)
class _Joined:
    """What a breakend ALT says: this record's end joined to the mate end."""

    local: _End
    mate: _End
    inserted: str


def _parse_breakend(record: Breakend, match: re.Match[str]) -> _Joined | None:
    before, after = match["before"], match["after"]
    if match["open"] != match["close"] or bool(before) == bool(after):
        return None
    # t first: the local sequence up to POS is kept; the bases of t after the first are new.
    local: Side = "left" if before else "right"
    inserted = before[1:] if before else after[:-1]
    # [p[: the mate piece extends to the right of p; ]p]: to the left.
    mate: Side = "right" if match["open"] == "[" else "left"
    return _Joined(
        _End(normalize_chrom(record.chrom), record.pos, local),
        _End(normalize_chrom(match["chrom"]), int(match["pos"]), mate),
        inserted,
    )


def _joins_back(joined: _Joined, other: _Joined) -> bool:
    """True when ``other`` is the mate's view of the adjacency ``joined`` describes."""
    return (
        other.local.chrom == joined.mate.chrom
        and other.local.side == joined.mate.side
        and other.mate.chrom == joined.local.chrom
        and other.mate.side == joined.local.side
    )


class _MateIndex:
    """Finds the mate record of a breakend: by MATEID, else by the position its ALT names."""

    def __init__(self, records: Sequence[Breakend]) -> None:
        self._records = records
        self._by_id: dict[str, list[int]] = defaultdict(list)
        self._by_position: dict[tuple[str, int], list[int]] = defaultdict(list)
        for index, record in enumerate(records):
            if record.id not in (None, "", "."):
                self._by_id[str(record.id)].append(index)
            self._by_position[(normalize_chrom(record.chrom), record.pos)].append(index)

    def find(self, index: int, joined: _Joined, done: set[int]) -> tuple[int | None, str]:
        """The index of the mate record (None if not found), and a note when that is odd."""
        record = self._records[index]
        mate_ids = [m for m in (record.mate_id or "").split(",") if m not in ("", ".")]
        if mate_ids:
            candidates = [i for m in mate_ids for i in self._by_id.get(m, ())]
        else:
            candidates = list(self._by_position.get((joined.mate.chrom, joined.mate.pos), ()))
        for candidate in candidates:
            if candidate == index or candidate in done:
                continue
            other = self._records[candidate]
            match = _BREAKEND_ALT.match(other.alt)
            other_joined = _parse_breakend(other, match) if match else None
            if other_joined is None or not _joins_back(joined, other_joined):
                continue
            # By MATEID the positions may differ within CIPOS; by position they must agree.
            if mate_ids or (other_joined.mate.chrom, other_joined.mate.pos) == (
                joined.local.chrom,
                joined.local.pos,
            ):
                return candidate, ""
        if not mate_ids:
            return None, ""
        named = ",".join(mate_ids)
        if not candidates:
            return None, f"mate {named} not in the input; the ALT's mate position used"
        return None, f"mate {named} does not join back to this record; the ALT's mate position used"


# --------------------------------------------------------------------------------- genes


class _GeneIndex:
    def __init__(self, genes: Iterable[GeneSpec], build: str) -> None:
        self._spans: dict[str, list[tuple[int, int, GeneSpec]]] = defaultdict(list)
        for gene in genes:
            for span_build, span in gene.spans.items():
                if span_build == build:
                    self._spans[span.chrom].append((span.start, span.end, gene))

    def at(self, end: _End) -> list[GeneSpec]:
        return [gene for _start, _stop, gene in self.overlapping(end.chrom, end.pos, end.pos)]

    def overlapping(self, chrom: str, first: int, last: int) -> list[tuple[int, int, GeneSpec]]:
        """(start, end, gene) of the genes whose span overlaps ``first``..``last`` of
        ``chrom`` (normalized)."""
        return [item for item in self._spans.get(chrom, ()) if item[0] <= last and first <= item[1]]


def _keeps_five_prime(gene: GeneSpec, side: Side) -> bool:
    """True when the kept side of the breakpoint holds the gene's 5' part."""
    return (gene.strand == "+") == (side == "left")


def _part(gene: GeneSpec, side: Side) -> str:
    return "5'" if _keeps_five_prime(gene, side) else "3'"


# ------------------------------------------------------------------------------- finding


class _FusionFinder:
    def __init__(self, genes: _GeneIndex, numbered: bool = True) -> None:
        self._genes = genes
        self._numbered = numbered
        self.alterations: list[Alteration] = []
        self.notes: list[str] = []
        self._fused: set[int] = set()  # the record_index of records that gave a fusion
        self._noted: set[int] = set()  # the record_index of records a note names

    def unfused(self, records: Iterable[Breakend]) -> tuple[int, list[Unclassified]]:
        """How many records lie in a gene (a symbolic allele by its span, POS to END; else
        by its POS), and an unclassified variant per gene for each of them that gave no
        fusion: an SV's effect on a gene (exons lost or gained, copy number) is not read
        from SV records."""
        in_genes = 0
        listed: list[Unclassified] = []
        for record in records:
            symbolic = _SYMBOLIC.match(record.alt)
            last = record.end if symbolic and record.end and record.end >= record.pos else None
            hits = self._genes.overlapping(
                normalize_chrom(record.chrom), record.pos, last or record.pos
            )
            in_genes += bool(hits)
            if not hits or record.variant is None or record.record_index in self._fused:
                continue
            for start, stop, gene in hits:
                if last is None:
                    what = f"structural variant (ALT '{record.alt}') in {gene.symbol}"
                else:
                    where = "over all of" if record.pos <= start and last >= stop else "in"
                    what = f"{record.alt} {record.chrom}:{record.pos}-{last} {where} {gene.symbol}"
                what += " gave no fusion"
                if record.record_index in self._noted:
                    what += " (the input notes say why)"
                listed.append(Unclassified(gene.symbol, record.variant, _unfused_reason(what)))
        return in_genes, listed

    def note(self, record: Breakend, text: str) -> None:
        self._noted.add(record.record_index)
        self.notes.append(f"{self._where(record)}: {text}")

    def _label(self, record: Breakend) -> str:
        """``record N (ID)``; without record numbers, ``ID`` alone or the record's position."""
        named = record.id not in (None, "", ".")
        if self._numbered:
            return f"record {record.record_index}" + (f" ({record.id})" if named else "")
        return f"{record.id}" if named else f"{record.chrom}:{record.pos}"

    def _where(self, record: Breakend) -> str:
        label = self._label(record)
        position = f"{record.chrom}:{record.pos}"
        return label if label == position else f"{label} {position}"

    def single(self, record: Breakend) -> None:
        end = _End(normalize_chrom(record.chrom), record.pos, "left")
        hit = self._genes.at(end)
        if hit:
            self.note(
                record,
                f"single breakend in {_names(hit)} (ALT '{record.alt}'): no mate position, "
                "no fusion",
            )

    def join_breakend(self, record: Breakend, joined: _Joined, mate: Breakend | None) -> None:
        # The mate's own POS is where its breakend is; the ALT's position may differ within
        # the CIPOS uncertainty (VCF 4.2, "Uncertainty around breakend location").
        mate_end = joined.mate
        if mate is not None:
            mate_end = _End(normalize_chrom(mate.chrom), mate.pos, joined.mate.side)
        if mate_end.chrom.startswith("<"):
            if self._genes.at(joined.local):
                self.note(record, f"joined to assembly contig {mate_end.chrom}, no fusion")
            return
        records = [record] if mate is None else [record, mate]
        label = "VCF breakend " + "/".join(self._label(r) for r in records)
        if joined.inserted:
            label += f" ({len(joined.inserted)} inserted bases)"
        self._join(records, label, joined.local, mate_end)

    def join_symbolic(self, record: Breakend, kind: str) -> None:
        if kind not in _JOINING_KINDS:
            return
        if record.end is None or record.end < record.pos:
            self.note(record, f"<{kind}> without a usable END ({record.end}), skipped")
            return
        chrom, pos, end = normalize_chrom(record.chrom), record.pos, record.end
        label = f"VCF <{kind}> {record.chrom}:{pos}-{end}"
        if self._numbered or record.id not in (None, "", "."):
            label += f" {self._label(record)}"
        if kind == "DEL":
            self._join([record], label, _End(chrom, pos, "left"), _End(chrom, end + 1, "right"))
        elif kind == "DUP":
            self._join([record], label, _End(chrom, end, "left"), _End(chrom, pos + 1, "right"))
        else:
            self._join([record], label, _End(chrom, pos, "left"), _End(chrom, end, "left"))
            self._join(
                [record], label, _End(chrom, pos + 1, "right"), _End(chrom, end + 1, "right")
            )

    def _join(self, records: Sequence[Breakend], label: str, first: _End, second: _End) -> None:
        first_genes, second_genes = self._genes.at(first), self._genes.at(second)
        if not first_genes and not second_genes:
            return
        record = records[0]
        where = f"{_position(first)} to {_position(second)}"
        if not first_genes or not second_genes:
            hit = first_genes or second_genes
            self.note(
                record, f"{where}: only one end in a gene table gene ({_names(hit)}), no fusion"
            )
            return
        found = False
        for first_gene in first_genes:
            for second_gene in second_genes:
                found |= self._pair(
                    records, label, where, (first, first_gene), (second, second_gene)
                )
        if not found and len(first_genes) * len(second_genes) > 1:
            self.note(record, f"{where}: no 5'/3' pair among {_names(first_genes + second_genes)}")

    def _pair(
        self,
        records: Sequence[Breakend],
        label: str,
        where: str,
        first: tuple[_End, GeneSpec],
        second: tuple[_End, GeneSpec],
    ) -> bool:
        (first_end, first_gene), (second_end, second_gene) = first, second
        record = records[0]
        if first_gene.symbol == second_gene.symbol:
            self.note(record, f"{where}: both ends in {first_gene.symbol}, intragenic, no fusion")
            return False
        first_part = _part(first_gene, first_end.side)
        second_part = _part(second_gene, second_end.side)
        if first_part == second_part:
            shape = "head-to-head" if first_part == "5'" else "tail-to-tail"
            self.note(
                record,
                f"{where}: {first_gene.symbol} ({first_gene.strand}) and {second_gene.symbol} "
                f"({second_gene.strand}) both keep their {first_part} part ({shape}), no fusion",
            )
            return False
        five, three = (first, second) if first_part == "5'" else (second, first)
        detail = (
            f"{label}: {five[1].symbol} {_position(five[0])} joined to {three[1].symbol} "
            f"{_position(three[0])}"
        )
        self._fused.update(item.record_index for item in records)
        self.alterations.append(
            Alteration(
                gene=f"{five[1].symbol}::{three[1].symbol}",
                variant_class=VariantClass.OTHER,
                event="fusion",
                source=SOURCE,
                detail=detail,
            )
        )
        return True


def _unfused_reason(what: str) -> str:
    return (
        f"{what}; its effect on the gene (exons lost or gained, copy number) is not read from "
        "structural-variant records: give copy number with --cnv"
    )


def _position(end: _End) -> str:
    return f"{end.chrom}:{end.pos}"


def _names(genes: Sequence[GeneSpec]) -> str:
    return ", ".join(dict.fromkeys(gene.symbol for gene in genes))
