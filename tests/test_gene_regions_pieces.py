"""GeneLocator's piecewise lookup against the plain definition: the genes whose span overlaps
``start``..``end``, sorted (any spans, positions, ranges, empty ranges and name spellings)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.gene_regions import GeneLocator, Segments
from annotator.genome import normalize_chrom
from annotator.rules.schema import GeneSpec


def gene(symbol: str, chrom: str, start: int, end: int) -> GeneSpec:
    return GeneSpec.model_validate(
        {
            "symbol": symbol,
            "hgnc_id": "HGNC:1",
            "ensembl_transcript": "ENST00000000001",
            "strand": "+",
            "spans": {"GRCh38": {"chrom": chrom, "start": start, "end": end}},
            "sources": ["test"],
        }
    )


def expected(
    spans: list[tuple[str, str, int, int]], chrom: str, start: int, end: int | None
) -> tuple[str, ...]:
    end = start if end is None else end
    return tuple(
        sorted(
            {
                symbol
                for symbol, c, s, e in spans
                if c == normalize_chrom(chrom) and s <= end and start <= e
            }
        )
    )


_POSITION = st.integers(min_value=1, max_value=60)
_SPAN = st.tuples(st.sampled_from(["7", "X", "MT"]), _POSITION, st.integers(0, 25))


@settings(max_examples=300, deadline=None)
@given(
    spans=st.lists(_SPAN, max_size=8),
    queries=st.lists(
        st.tuples(
            st.sampled_from(["7", "chr7", "CHR7", "x", "chrX", "chrM", "M", "MT", "12"]),
            _POSITION,
            st.one_of(st.none(), st.integers(-5, 30)),
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_genes_at_is_the_overlap_definition(
    spans: list[tuple[str, int, int]], queries: list[tuple[str, int, int | None]]
) -> None:
    named = [
        (f"G{i}", chrom, start, start + length) for i, (chrom, start, length) in enumerate(spans)
    ]
    locator = GeneLocator(
        {symbol: gene(symbol, chrom, s, e) for symbol, chrom, s, e in named}, "GRCh38"
    )
    for chrom, start, delta in queries:
        end = None if delta is None else start + delta
        assert locator.genes_at(chrom, start, end) == expected(named, chrom, start, end)


def test_segments_cut_at_extra_positions_keep_the_labels() -> None:
    plain = Segments([(10, 20, "A"), (15, 30, "B")])
    cut = Segments([(10, 20, "A"), (15, 30, "B")], cuts=[12, 25, 40])
    for pos in range(1, 45):
        assert plain.labels[plain.piece(pos)] == cut.labels[cut.piece(pos)]
    assert cut.piece(12) != cut.piece(11)
    assert cut.overlapping(5, 16) == ("A", "B")
    assert cut.overlapping(21, 24) == ("B",)
    assert cut.overlapping(31, 50) == ()


def test_many_chromosome_spellings_are_forgotten_not_hoarded() -> None:
    locator = GeneLocator({"A": gene("A", "7", 10, 20)}, "GRCh38")
    for n in range(5000):
        assert locator.genes_at(f"contig{n}", 15) == ()
    assert locator.genes_at("chr7", 15) == ("A",)
