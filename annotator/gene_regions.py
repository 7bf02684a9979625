"""Which rule genes a genomic position lies in, from the gene table's spans for one build."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final

from annotator.genome import ByChromosomeName, normalize_chrom

if TYPE_CHECKING:  # the rules schema (pydantic) is not needed to look genes up
    from annotator.rules.schema import GeneSpec

#: Chromosome names as the input spells them, each normalized once: at most this many are
#: remembered (all are forgotten when there are more, as with many unplaced contigs).


class Segments:
    """A chromosome cut where any of some intervals starts or ends, with the intervals over
    each piece: ``at(pos)`` is one bisection.

    ``bounds`` are the sorted first positions of the pieces; piece ``k`` (``0 <= k <=
    len(bounds)``) is ``bounds[k - 1]..bounds[k] - 1``, piece 0 and the last one open-ended,
    and ``labels[k]`` the sorted labels of the intervals that hold it.
    """

    __slots__ = ("bounds", "labels")

    def __init__(self, intervals: Iterable[tuple[int, int, str]], cuts: Iterable[int] = ()):
        """``intervals`` (start, end, label), 1-based, inclusive; ``cuts`` extra positions
        to start a piece at (where the caller wants to tell pieces apart)."""
        intervals = list(intervals)
        bounds = {s for s, _e, _label in intervals} | {e + 1 for _s, e, _label in intervals}
        self.bounds: list[int] = sorted(bounds.union(cuts))
        labels: list[tuple[str, ...]] = [()]
        for k, first in enumerate(self.bounds):
            # Piece k + 1 starts at ``first`` and ends before the next bound.
            last = self.bounds[k + 1] - 1 if k + 1 < len(self.bounds) else first
            labels.append(tuple(sorted({g for s, e, g in intervals if s <= first and last <= e})))
        self.labels: list[tuple[str, ...]] = labels

    def piece(self, pos: int) -> int:
        return bisect.bisect_right(self.bounds, pos)

    def overlapping(self, start: int, end: int) -> tuple[str, ...]:
        """The labels of the intervals that overlap ``start``..``end`` (``start <= end``)."""
        first = bisect.bisect_right(self.bounds, start)
        last = bisect.bisect_right(self.bounds, end)
        if first == last:
            return self.labels[first]
        return tuple(sorted({g for labels in self.labels[first : last + 1] for g in labels}))


_NO_SEGMENTS: Final = Segments(())


class GeneLocator:
    """Interval lookup over the gene table's spans: per chromosome, the pieces between the
    spans' ends (few genes), each with the genes over it."""

    def __init__(self, genes: Mapping[str, GeneSpec], build: str) -> None:
        spans: dict[str, list[tuple[int, int, str]]] = {}
        unplaced: list[str] = []
        for symbol, spec in genes.items():
            span = spec.spans.get(build)  # type: ignore[call-overload]
            if span is None:
                unplaced.append(symbol)
            else:
                spans.setdefault(normalize_chrom(span.chrom), []).append(
                    (span.start, span.end, symbol)
                )
        #: The genes without a span for the build, which no position can find.
        self.unplaced: tuple[str, ...] = tuple(unplaced)
        self._spans = {chrom: sorted(items) for chrom, items in spans.items()}
        # By the chromosome name as given (normalized once per name).
        self._named = ByChromosomeName(
            {chrom: Segments(items) for chrom, items in self._spans.items()}, _NO_SEGMENTS
        )

    @property
    def spans(self) -> Mapping[str, list[tuple[int, int, str]]]:
        """(start, end, gene) of the genes, sorted, by normalized chromosome name."""
        return self._spans

    def segments(self, chrom: str) -> Segments:
        """The pieces of ``chrom`` (any spelling) between the gene spans' ends."""
        return self._named[chrom]

    def genes_at(self, chrom: str, start: int, end: int | None = None) -> tuple[str, ...]:
        """Genes whose span overlaps ``start``..``end`` (1-based, inclusive)."""
        segments = self._named[chrom]
        if end is None or end == start:
            return segments.labels[bisect.bisect_right(segments.bounds, start)]
        if end < start:  # an empty range: the genes over both of its ends
            return tuple(
                sorted(
                    set(segments.labels[bisect.bisect_right(segments.bounds, start)]).intersection(
                        segments.labels[bisect.bisect_right(segments.bounds, end)]
                    )
                )
            )
        return segments.overlapping(start, end)
