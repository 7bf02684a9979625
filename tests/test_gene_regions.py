"""Tests for annotator.gene_regions.GeneLocator: which rule genes a position lies in."""

from __future__ import annotations

import pytest

from annotator.gene_regions import GeneLocator
from annotator.rules.schema import GeneSpec


def gene(symbol: str, **spans: tuple[str, int, int]) -> GeneSpec:
    return GeneSpec.model_validate(
        {
            "symbol": symbol,
            "hgnc_id": "HGNC:1",  # not read by the locator
            "ensembl_transcript": "ENST00000000001",
            "strand": "+",
            "spans": {
                build: {"chrom": chrom, "start": start, "end": end}
                for build, (chrom, start, end) in spans.items()
            },
            "sources": ["test"],
        }
    )


# On chromosome 7 (GRCh38): LONG 100-500 holds NESTED 300-400 and overlaps TAIL 450-900;
# SHORT 10-20 lies before all of them; FAR 5000-5000 is one base. On 12: only ALONE.
# OLD has a GRCh37 span only, at a place where no GRCh38 gene lies.
GENES = {
    spec.symbol: spec
    for spec in (
        gene("LONG", GRCh38=("7", 100, 500), GRCh37=("7", 2000, 2400)),
        gene("NESTED", GRCh38=("7", 300, 400)),
        gene("TAIL", GRCh38=("7", 450, 900)),
        gene("SHORT", GRCh38=("7", 10, 20)),
        gene("FAR", GRCh38=("7", 5000, 5000)),
        gene("ALONE", GRCh38=("12", 1000, 2000)),
        gene("OLD", GRCh37=("7", 3000, 3100)),
        gene("MITO", GRCh38=("MT", 3000, 4000)),
        gene("XGENE", GRCh38=("X", 50, 60)),
        gene("NOSPAN"),
    )
}


@pytest.fixture(scope="module")
def grch38() -> GeneLocator:
    return GeneLocator(GENES, "GRCh38")


@pytest.mark.parametrize(
    ("chrom", "start", "end", "expected"),
    [
        # single positions; boundaries are inclusive
        ("7", 99, None, ()),
        ("7", 100, None, ("LONG",)),
        ("7", 299, None, ("LONG",)),
        ("7", 300, None, ("LONG", "NESTED")),
        ("7", 350, None, ("LONG", "NESTED")),
        ("7", 400, None, ("LONG", "NESTED")),
        ("7", 401, None, ("LONG",)),
        ("7", 450, None, ("LONG", "TAIL")),
        ("7", 500, None, ("LONG", "TAIL")),
        ("7", 501, None, ("TAIL",)),
        ("7", 900, None, ("TAIL",)),
        ("7", 901, None, ()),
        ("7", 9, None, ()),
        ("7", 10, None, ("SHORT",)),
        ("7", 20, None, ("SHORT",)),
        ("7", 21, None, ()),
        ("7", 5000, None, ("FAR",)),
        ("7", 4999, None, ()),
        ("7", 5001, None, ()),
        ("7", 1, None, ()),
        ("7", 10_000_000, None, ()),
        # ranges (a deletion's REF span)
        ("7", 390, 460, ("LONG", "NESTED", "TAIL")),
        ("7", 15, 120, ("LONG", "SHORT")),
        ("7", 21, 99, ()),
        ("7", 95, 100, ("LONG",)),
        ("7", 900, 905, ("TAIL",)),
        ("7", 1, 10_000, ("FAR", "LONG", "NESTED", "SHORT", "TAIL")),
        # chromosome names
        ("chr7", 350, None, ("LONG", "NESTED")),
        ("CHR7", 350, None, ("LONG", "NESTED")),
        ("12", 1500, None, ("ALONE",)),
        ("chr12", 2000, None, ("ALONE",)),
        ("chrM", 3500, None, ("MITO",)),
        ("M", 3500, None, ("MITO",)),
        ("MT", 4000, None, ("MITO",)),
        ("chrX", 55, None, ("XGENE",)),
        ("x", 55, None, ("XGENE",)),
        # the chromosome of one gene does not leak into another
        ("12", 350, None, ()),
        ("7", 1500, None, ()),
        # chromosomes without genes
        ("1", 350, None, ()),
        ("chr1", 350, None, ()),
        ("Y", 55, None, ()),
        ("GL000220.1", 100, None, ()),
        # another build's span is not used: OLD (GRCh37 7:3000-3100), LONG (GRCh37 7:2000-2400)
        ("7", 3050, None, ()),
        ("7", 2200, None, ()),
    ],
)
def test_genes_at(
    grch38: GeneLocator, chrom: str, start: int, end: int | None, expected: tuple[str, ...]
) -> None:
    assert grch38.genes_at(chrom, start, end) == expected


@pytest.mark.parametrize(
    ("chrom", "position", "expected"),
    [
        ("7", 2000, ("LONG",)),
        ("7", 2400, ("LONG",)),
        ("7", 3050, ("OLD",)),
        ("chr7", 3100, ("OLD",)),
        ("7", 350, ()),  # LONG's GRCh38 span
        ("12", 1500, ()),
        ("MT", 3500, ()),
    ],
)
def test_genes_at_grch37_uses_only_grch37_spans(
    chrom: str, position: int, expected: tuple[str, ...]
) -> None:
    assert GeneLocator(GENES, "GRCh37").genes_at(chrom, position) == expected


def test_no_genes() -> None:
    assert GeneLocator({}, "GRCh38").genes_at("7", 100) == ()


def test_gene_without_spans_is_never_found() -> None:
    locator = GeneLocator({"NOSPAN": GENES["NOSPAN"]}, "GRCh38")
    assert locator.genes_at("7", 100, 10_000_000) == ()


def test_genes_starting_at_the_same_position() -> None:
    genes = {
        "A": gene("A", GRCh38=("3", 100, 200)),
        "B": gene("B", GRCh38=("3", 100, 100)),
        "C": gene("C", GRCh38=("3", 100, 150)),
    }
    locator = GeneLocator(genes, "GRCh38")
    assert locator.genes_at("3", 100) == ("A", "B", "C")
    assert locator.genes_at("3", 101) == ("A", "C")
    assert locator.genes_at("3", 151) == ("A",)


def test_many_short_genes_after_a_long_one() -> None:
    # The lookup window reaches back by the longest span on the chromosome: a short gene
    # far downstream must not hide the long gene that still covers the position.
    genes = {"LONG": gene("LONG", GRCh38=("5", 1, 1_000_000))}
    for index in range(1, 50):
        start = index * 10_000
        genes[f"S{index}"] = gene(f"S{index}", GRCh38=("5", start, start + 10))
    locator = GeneLocator(genes, "GRCh38")
    assert locator.genes_at("5", 990_000) == ("LONG",)
    assert locator.genes_at("5", 250_005) == ("LONG", "S25")
    assert locator.genes_at("5", 1_000_001) == ()


def test_real_gene_table_spans() -> None:
    # EGFR and BRAF share chromosome 7 (rules/genes.yaml spans, GRCh38).
    genes = {
        "EGFR": gene("EGFR", GRCh38=("7", 55019017, 55211628), GRCh37=("7", 55086710, 55279321)),
        "BRAF": gene(
            "BRAF", GRCh38=("7", 140719327, 140924929), GRCh37=("7", 140419127, 140624729)
        ),
    }
    grch38 = GeneLocator(genes, "GRCh38")
    grch37 = GeneLocator(genes, "GRCh37")
    assert grch38.genes_at("chr7", 55181378) == ("EGFR",)  # T790M
    assert grch38.genes_at("chr7", 140753336) == ("BRAF",)  # V600E
    assert grch37.genes_at("7", 55249071) == ("EGFR",)  # T790M
    assert grch37.genes_at("7", 140453136) == ("BRAF",)  # V600E
    assert grch37.genes_at("7", 55081378) == ()  # before the GRCh37 EGFR span
