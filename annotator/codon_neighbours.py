"""The sample's SNVs that may share a codon with an SNV finding, whether or not they matter.

A finding of an SNV names another SNV of the sample within a codon's reach
(:func:`annotator.interpret.flag_neighbouring_snvs`): callers that do not merge adjacent
changes write a two-base change in one codon as two SNVs, and the amino acid the two make
together is not the one either makes alone (EGFR T790M, c.2369C>T, with the synonymous
c.2370G>A beside it is T790I). The neighbour usually changes no result on its own (a
synonymous change, a codon no rule names), and reading keeps only the alleles that can
(:meth:`~annotator.matcher.RuleMatcher.matters`). :class:`CodonNeighbours` keeps those it lets
go that could share a codon (:func:`may_share_a_codon`) as rows of plain arrays (about 30
bytes each), so that the check sees them in every mode, as ``--explain`` (which keeps every
allele) does.

An SNV may share a codon when its annotation gives it a protein change (an HGVSp: a synonymous
one too), when the gene table places it in a codon (an unannotated SNV in a listed coding
exon), or when nothing tells what it changes (unannotated, outside the tables). One the
annotation or the tables place in no codon (intronic, at a splice site, in a UTR, non-coding)
is never named, in any mode: the text prefilter may decide such annotated candidates without
parsing them (:mod:`annotator.candidate_triage`), and an unannotated intron variant of a
large input is the commonest allele there is.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterator
from typing import Any

from annotator.matcher import SampleAllele
from annotator.models import Variant


def may_share_a_codon(allele: SampleAllele) -> bool:
    """Whether the allele is an SNV that may lie in a codon: one with a protein change or a
    codon on a rule gene's transcript, or an unannotated one whose effect the tables do not
    give."""
    variant = allele.variant
    if len(variant.ref) != 1 or len(variant.alt) != 1:
        return False
    if not allele.annotated and not allele.alterations:
        return True
    return any(
        alteration.hgvsp is not None
        or alteration.protein is not None
        or alteration.codon_change is not None
        for alteration in allele.alterations
    )


class CodonNeighbours:
    """SNVs kept by place only: chromosome, position, REF, ALT and record, in arrays; the
    rows of another pass (:meth:`merge`) are added to them."""

    __slots__ = ("_alt", "_alt_index", "_chrom", "_chroms", "_numbers", "_pos", "_record", "_ref")

    def __init__(self) -> None:
        self._chroms: list[str] = []
        self._numbers: dict[str, int] = {}
        self._chrom, self._alt_index = array("I"), array("I")
        self._pos, self._record = array("q"), array("q")
        self._ref, self._alt = array("B"), array("B")

    def add(self, variant: Variant) -> None:
        """Keep an SNV (one base each of REF and ALT)."""
        self._chrom.append(self._number(variant.chrom))
        self._pos.append(variant.pos)
        self._ref.append(ord(variant.ref))
        self._alt.append(ord(variant.alt))
        self._record.append(variant.record_index)
        self._alt_index.append(variant.alt_index)

    def merge(self, other: CodonNeighbours) -> None:
        """Add the rows of another pass (a worker's part), column by column."""
        numbers = [self._number(chrom) for chrom in other._chroms]
        self._chrom.extend(numbers[number] for number in other._chrom)
        self._pos.extend(other._pos)
        self._ref.extend(other._ref)
        self._alt.extend(other._alt)
        self._record.extend(other._record)
        self._alt_index.extend(other._alt_index)

    def _number(self, chrom: str) -> int:
        number = self._numbers.get(chrom)
        if number is None:
            number = self._numbers[chrom] = len(self._chroms)
            self._chroms.append(chrom)
        return number

    def __len__(self) -> int:
        return len(self._pos)

    def variants_at(self, places: Collection[tuple[str, int]]) -> Iterator[Variant]:
        """The SNVs at these (chromosome, position) places."""
        positions = {pos for _chrom, pos in places}
        for row, pos in enumerate(self._pos):
            if pos in positions and (self._chroms[self._chrom[row]], pos) in places:
                yield self._variant(row)

    def _variant(self, row: int) -> Variant:
        return Variant(
            self._chroms[self._chrom[row]],
            self._pos[row],
            chr(self._ref[row]),
            chr(self._alt[row]),
            record_index=self._record[row],
            alt_index=self._alt_index[row],
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CodonNeighbours):
            return NotImplemented
        return self.__getstate__() == other.__getstate__()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"CodonNeighbours({len(self)} SNVs)"

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            setattr(self, name, value)
