"""Unannotated rule-gene alleles whose one outcome is their note, kept as rows of columns.

On a VCF without consequence annotation, most alleles in the rule genes lie outside the coding
exons the gene table lists, or in a gene without an exon table: the genomic annotator
(:mod:`annotator.genomic`) gives such an allele no alteration and one note, (gene, why its
effect is unknown). No rule can match it (no alteration, and alleles at a genomic rule's
position are left out of here), so it is reported as unclassified with that note, as
:func:`annotator.unclassified.find_unclassified` reports it. A large input holds hundreds of
thousands of them (the 5M-record benchmark: 161k): as objects (a ``Variant`` and a
``SampleAllele``, then an ``Unclassified``) they were most of the memory after reading, and
the pickles the worker process sends. :class:`NotedAlleles` keeps each as one row of plain
arrays (about 60 bytes), and :class:`UnclassifiedList` makes the ``Variant`` and the
``Unclassified`` of a row again when the writers go over them, one at a time, in the order of
the records among the other unclassified variants.

Their VAF and depth (read from each record's FORMAT fields, the costliest part of keeping
them) are read only with ``AnnotateConfig.unclassified_evidence``, which the command line
sets when it writes a report, the one output that shows them: the JSON lists an unclassified
variant's gene, alleles, FILTER and reason. Without it a phased allele is kept here too (its
phase is not read either), in the same place among the others.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Collection, Hashable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, overload

from annotator.models import Unclassified, Variant

_NO_ANNOTATIONS: Mapping[str, str] = MappingProxyType({})
#: Missing VAF and depth in their columns (a VAF is a fraction in 0-1, a depth a count).
_NO_VAF = float("nan")
_NO_DEPTH = -1


class NotedAlleles:
    """Noted alleles, each a variant and its note (gene, reason), in the order of their records.

    A variant is taken (:meth:`takes`) when it has no more than the fields a row keeps: no
    consequence annotation, END, SVTYPE, MATEID or phase. Strings and tuples (chromosome, REF,
    ALT, ALTs, FILTER, ID, note) are kept once each, rows hold their numbers. Rows are added
    in the order of the records; the rows of another pass (:meth:`merge`) keep their own
    columns, and are merged among these when gone over.
    """

    __slots__ = (
        "_alt",
        "_alt_index",
        "_alts",
        "_chrom",
        "_depth",
        "_filters",
        "_id",
        "_more",
        "_note",
        "_numbers",
        "_pos",
        "_record",
        "_ref",
        "_vaf",
        "_values",
    )

    def __init__(self) -> None:
        self._more: list[NotedAlleles] = []  # parts merged in, in their own columns
        self._values: list[Any] = []  # the kept strings, tuples and None, by number
        self._numbers: dict[Hashable, int] = {}
        self._chrom, self._ref, self._alt = array("I"), array("I"), array("I")
        self._alts, self._filters, self._id = array("I"), array("I"), array("I")
        self._note = array("I")
        self._pos, self._record = array("q"), array("q")
        self._alt_index = array("I")
        self._vaf = array("d")
        self._depth = array("q")

    @staticmethod
    def takes(variant: Variant) -> bool:
        """Whether a row can keep this variant (and give back one equal to it)."""
        vaf, depth = variant.vaf, variant.depth
        return (
            not variant.annotations
            and variant.end is None
            and variant.svtype is None
            and variant.mate_id is None
            and variant.phase_set is None
            and variant.haplotype is None
            and (vaf is None or (type(vaf) is float and vaf == vaf))  # noqa: PLR0124 (not NaN)
            and (depth is None or (type(depth) is int and depth >= 0))
        )

    def add(self, variant: Variant, note: tuple[str, str]) -> None:
        """Add a variant that :meth:`takes` allows, with its note."""
        number = self._number
        self._chrom.append(number(variant.chrom))
        self._pos.append(variant.pos)
        self._ref.append(number(variant.ref))
        self._alt.append(number(variant.alt))
        self._record.append(variant.record_index)
        self._alt_index.append(variant.alt_index)
        self._alts.append(number(variant.alts))
        self._filters.append(number(variant.filters))
        self._vaf.append(_NO_VAF if variant.vaf is None else variant.vaf)
        self._depth.append(_NO_DEPTH if variant.depth is None else variant.depth)
        self._id.append(number(variant.variant_id))
        self._note.append(number(note))

    def _number(self, value: Hashable) -> int:
        number = self._numbers.get(value)
        if number is None:
            number = self._numbers[value] = len(self._values)
            self._values.append(value)
        return number

    def __len__(self) -> int:
        return len(self._record) + sum(len(part._record) for part in self._more)

    def variant(self, row: int) -> Variant:
        """The variant of a row, equal to the one added."""
        values = self._values
        vaf, depth = self._vaf[row], self._depth[row]
        return Variant(
            values[self._chrom[row]],
            self._pos[row],
            values[self._ref[row]],
            values[self._alt[row]],
            self._record[row],
            self._alt_index[row],
            values[self._alts[row]],
            values[self._filters[row]],
            None if vaf != vaf else vaf,  # noqa: PLR0124 (NaN: none)
            None if depth == _NO_DEPTH else depth,
            values[self._id[row]],
            _NO_ANNOTATIONS,
        )

    def variants_at(self, places: Collection[tuple[str, int]]) -> Iterator[Variant]:
        """The variants of the rows at these (chromosome, position) places, of every part."""
        positions = {pos for _chrom, pos in places}
        for part in (self, *self._more):
            values, chroms = part._values, part._chrom
            for row, pos in enumerate(part._pos):
                if pos in positions and (values[chroms[row]], pos) in places:
                    yield part.variant(row)

    def unclassified_at(self, row: int) -> Unclassified:
        """The unclassified variant of one of this part's rows (see :meth:`rows`)."""
        gene, reason = self._values[self._note[row]]
        return Unclassified(gene, self.variant(row), reason)

    def unclassified(self) -> Iterator[Unclassified]:
        """Each row as the unclassified variant it is reported as, in the order of the
        records."""
        for row in self.rows():
            yield row[-2].unclassified_at(row[-1])

    def rows(self) -> Iterator[NotedRow]:
        """Each row's fields in the order of the records, merged from the parts."""
        parts = [part._own_rows() for part in (self, *self._more) if len(part._record)]
        if len(parts) == 1:
            return parts[0]
        return heapq.merge(*parts, key=_row_order)

    def _own_rows(self) -> Iterator[NotedRow]:
        values = self._values
        columns = zip(
            self._record,
            self._alt_index,
            self._note,
            self._chrom,
            self._pos,
            self._ref,
            self._alt,
            self._filters,
            strict=True,
        )
        for row, (record, alt_index, note, chrom, pos, ref, alt, filters) in enumerate(columns):
            gene, reason = values[note]
            yield (
                record,
                alt_index,
                gene,
                values[chrom],
                pos,
                values[ref],
                values[alt],
                values[filters],
                reason,
                self,
                row,
            )

    def merge(self, other: NotedAlleles) -> None:
        """Add the rows of another pass over other records of the same input. They stay in
        their own columns (no copy): :meth:`rows` merges the parts in the order of their
        records (the alleles of one record all come from one part)."""
        if len(other):
            self._more.extend((other, *other._more))
            other._more = []

    def __eq__(self, other: object) -> bool:
        """The same variants with the same notes, in the same order."""
        if not isinstance(other, NotedAlleles):
            return NotImplemented
        return len(self) == len(other) and all(
            mine == theirs
            for mine, theirs in zip(self.unclassified(), other.unclassified(), strict=True)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"NotedAlleles({len(self)} rows)"

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__ if name != "_numbers")

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        names = [name for name in self.__slots__ if name != "_numbers"]
        for name, value in zip(names, state, strict=True):
            setattr(self, name, value)
        self._numbers = {value: number for number, value in enumerate(self._values)}


#: A noted row's fields: record number, ALT index, gene, CHROM, POS, REF, ALT, FILTER, reason,
#: and the part and row number it is in (:meth:`NotedAlleles.unclassified_at`).
NotedRow = tuple[int, int, str, str, int, str, str, tuple[str, ...], str, NotedAlleles, int]


#: A listed item's fields (:meth:`UnclassifiedList.rows`), the item itself last but one.
ListedRow = tuple[int, int, str, Any, Any, Any, Any, Any, str, Unclassified, int]


def listed_row(item: Unclassified) -> ListedRow:
    """An unclassified variant's fields as :meth:`UnclassifiedList.rows` gives them."""
    variant = item.variant
    return (
        variant.record_index,
        variant.alt_index,
        item.gene,
        variant.chrom,
        variant.pos,
        variant.ref,
        variant.alt,
        variant.filters,
        item.reason,
        item,
        -1,
    )


def _row_order(row: tuple[Any, ...]) -> tuple[int, int]:
    return row[0], row[1]


class UnclassifiedList(Sequence[Unclassified]):
    """The unclassified variants of a result: those found among the alleles (``listed``, in
    the order of their alleles) and the noted ones, in the order of their records and ALT
    alleles, made as they are gone over. Equal to any sequence of the same items."""

    __slots__ = ("_listed", "_noted")

    def __init__(self, listed: Sequence[Unclassified], noted: NotedAlleles) -> None:
        self._listed = tuple(listed)
        self._noted = noted

    def __len__(self) -> int:
        return len(self._listed) + len(self._noted)

    def __iter__(self) -> Iterator[Unclassified]:
        if not self._listed:
            return self._noted.unclassified()
        return heapq.merge(self._listed, self._noted.unclassified(), key=_allele_order)

    def rows(self) -> Iterator[ListedRow | NotedRow]:
        """Each item's fields, as :data:`NotedRow`; a listed item's end with the item (its
        variant's fields may be of any type) and -1."""
        return heapq.merge(map(listed_row, self._listed), self._noted.rows(), key=_row_order)

    @staticmethod
    def item(row: ListedRow | NotedRow) -> Unclassified:
        """The unclassified variant of a row of :meth:`rows`."""
        source, number = row[-2], row[-1]
        if isinstance(source, NotedAlleles):
            return source.unclassified_at(number)
        return source

    @overload
    def __getitem__(self, index: int) -> Unclassified: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Unclassified, ...]: ...

    def __getitem__(self, index: int | slice) -> Unclassified | tuple[Unclassified, ...]:
        return tuple(self)[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(
            mine == theirs for mine, theirs in zip(self, other, strict=True)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"UnclassifiedList({len(self._listed)} listed, {len(self._noted)} noted)"


def _allele_order(item: Unclassified) -> tuple[int, int]:
    variant = item.variant
    return variant.record_index, variant.alt_index
