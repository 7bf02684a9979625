"""Which rule genes a genomic position lies in, from the gene table's spans for one build."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import TYPE_CHECKING

from annotator.genome import normalize_chrom

if TYPE_CHECKING:  # the rules schema (pydantic) is not needed to look genes up
    from annotator.rules.schema import GeneSpec


class GeneLocator:
    """Interval lookup over the gene table's spans (few genes; sorted starts per chromosome)."""

    def __init__(self, genes: Mapping[str, GeneSpec], build: str) -> None:
        spans: dict[str, list[tuple[int, int, str]]] = {}
        for symbol, spec in genes.items():
            span = spec.spans.get(build)  # type: ignore[call-overload]
            if span is not None:
                spans.setdefault(normalize_chrom(span.chrom), []).append(
                    (span.start, span.end, symbol)
                )
        self._spans = {chrom: sorted(items) for chrom, items in spans.items()}
        self._starts = {chrom: [s for s, _e, _g in items] for chrom, items in self._spans.items()}
        self._longest = {
            chrom: max(e - s for s, e, _g in items) for chrom, items in self._spans.items()
        }

    def genes_at(self, chrom: str, start: int, end: int | None = None) -> tuple[str, ...]:
        """Genes whose span overlaps ``start``..``end`` (1-based, inclusive)."""
        chrom = normalize_chrom(chrom)
        items = self._spans.get(chrom)
        if not items:
            return ()
        end = start if end is None else end
        starts = self._starts[chrom]
        low = bisect.bisect_left(starts, start - self._longest[chrom])
        high = bisect.bisect_right(starts, end)
        return tuple(sorted({g for s, e, g in items[low:high] if s <= end and start <= e}))
