"""GenomicAnnotator's shortcut for alleles in a piece of a chromosome that needs no exon-table
decision (introns, genes without exons) gives what the full per-gene classification gives:
random SYNTHETIC gene tables (overlapping genes, either strand, exons anywhere in or out of
the span) and random SNVs, MNVs, insertions and deletions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.genome import ByChromosomeName
from annotator.genomic import GenomicAnnotator
from annotator.models import Variant
from annotator.rules.schema import GeneSpec

_LIMIT = 60  # positions 1.._LIMIT: exons, splice sites and spans collide often


@st.composite
def genes(draw: st.DrawFn, symbol: str) -> GeneSpec:
    chrom = draw(st.sampled_from(["1", "2"]))
    start = draw(st.integers(1, _LIMIT - 1))
    end = draw(st.integers(start, _LIMIT))
    exons = []
    cds = 1 if draw(st.booleans()) else draw(st.integers(2, 40))
    for number in range(1, draw(st.integers(0, 3)) + 1):
        length = draw(st.integers(1, 12))
        exon_start = draw(st.integers(1, _LIMIT))
        exons.append(
            {
                "number": number,
                "cds_start": cds,
                "cds_end": cds + length - 1,
                "spans": {
                    "GRCh38": {
                        "chrom": chrom,
                        "start": exon_start,
                        "end": exon_start + length - 1,
                    }
                },
                "sources": ["synthetic"],
            }
        )
        cds += length
    return GeneSpec.model_validate(
        {
            "symbol": symbol,
            "hgnc_id": "HGNC:1",
            "ensembl_transcript": "ENST00000000001",
            "strand": draw(st.sampled_from("+-")),
            "spans": {"GRCh38": {"chrom": chrom, "start": start, "end": end}},
            "exons": exons,
            "sources": ["synthetic"],
        }
    )


@st.composite
def tables(draw: st.DrawFn) -> dict[str, GeneSpec]:
    count = draw(st.integers(1, 4))
    return {f"G{i}": draw(genes(f"G{i}")) for i in range(count)}


_BASES = st.text("ACGTacgt", min_size=1, max_size=4)


@st.composite
def alleles(draw: st.DrawFn) -> Variant:
    chrom = draw(st.sampled_from(["1", "chr1", "2", "chr2", "5"]))
    pos = draw(st.integers(1, _LIMIT + 5))
    shape = draw(st.sampled_from(["snv", "mnv", "ins", "del", "any"]))
    if shape == "snv":
        ref, alt = draw(st.sampled_from("ACGT")), draw(st.sampled_from("ACGT"))
    elif shape == "mnv":
        ref = draw(st.text("ACGT", min_size=2, max_size=4))
        alt = draw(st.text("ACGT", min_size=len(ref), max_size=len(ref)))
    elif shape == "ins":
        ref = draw(st.sampled_from("ACGT"))
        alt = ref + draw(st.text("ACGT", min_size=1, max_size=4))
    elif shape == "del":
        alt = draw(st.sampled_from("ACGT"))
        ref = alt + draw(st.text("ACGT", min_size=1, max_size=4))
    else:
        ref, alt = draw(_BASES), draw(_BASES)
    return Variant(chrom, pos, ref, alt, record_index=1)


def without_shortcut(annotator: GenomicAnnotator) -> GenomicAnnotator:
    """The annotator with every piece left to the exon table."""
    named = annotator._named
    annotator._named = ByChromosomeName(  # the shortcut under test
        {
            chrom: (segments, [None] * len(notes))
            for chrom, (segments, notes) in named.table.items()
        },
        named.missing,
    )
    return annotator


@settings(max_examples=300, deadline=None)
@given(table=tables(), variants=st.lists(alleles(), min_size=1, max_size=25))
def test_shortcut_gives_what_the_exon_table_gives(
    table: dict[str, GeneSpec], variants: list[Variant]
) -> None:
    fast = GenomicAnnotator(table, "GRCh38", {})
    slow = without_shortcut(GenomicAnnotator(table, "GRCh38", {}))
    for allele in variants:
        assert fast.annotate(allele) == slow.annotate(allele), allele
