"""The gene table's exon tables agree with themselves, across builds and with the hotspot table.

Each exon lists the coding part of one exon of the MANE Select transcript (rules/genes.yaml);
the loader already refuses an exon whose genomic span and c. range differ in length. Here:
the exons of a gene follow each other on the genome in the strand's direction on both builds,
the same exon has the same length on both, a table that starts at c.1 runs without a gap, one
that reaches the exon holding the stop codon (the transcript's last, or the one ending at
``coding_length``) ends with a whole codon, and every hotspot
allele inside a listed exon sits at its c. position (hotspots.yaml's HGVSc, verified on its
own sources). These are the checks that caught nothing when the tables were filled in, and
would catch a bound copied from another transcript version or a transposed digit.
"""

from __future__ import annotations

import itertools
import re

import pytest

from annotator.rules import load_rules
from annotator.rules.schema import Build, ExonSpec, GeneSpec, GenomicAllele, Hotspot

RULES = load_rules()
TABLES = {symbol: spec for symbol, spec in RULES.genes.items() if spec.exons}
BUILDS: tuple[Build, ...] = ("GRCh37", "GRCh38")


def ordered(spec: GeneSpec) -> list[ExonSpec]:
    return sorted(spec.exons, key=lambda exon: exon.number)


@pytest.mark.parametrize("symbol", sorted(TABLES))
def test_exons_follow_each_other_on_the_genome_in_the_strand_direction(symbol: str) -> None:
    spec = TABLES[symbol]
    for build in BUILDS:
        placed = [exon for exon in ordered(spec) if build in exon.spans]
        for first, second in itertools.pairwise(placed):
            a, b = first.spans[build], second.spans[build]
            if spec.strand == "+":
                assert a.end < b.start, (symbol, build, first.number, second.number)
            else:
                assert b.end < a.start, (symbol, build, first.number, second.number)
            gene = spec.spans[build]
            assert gene.start <= min(a.start, b.start)
            assert max(a.end, b.end) <= gene.end


@pytest.mark.parametrize("symbol", sorted(TABLES))
def test_an_exon_has_the_same_length_on_both_builds(symbol: str) -> None:
    for exon in TABLES[symbol].exons:
        lengths = {span.end - span.start + 1 for span in exon.spans.values()}
        assert lengths == {exon.cds_end - exon.cds_start + 1}, (symbol, exon.number)


@pytest.mark.parametrize("symbol", sorted(TABLES))
def test_a_table_from_c1_has_no_gap_and_one_to_the_last_exon_ends_with_a_codon(
    symbol: str,
) -> None:
    spec = TABLES[symbol]
    exons = ordered(spec)
    if exons[0].cds_start == 1:
        for first, second in itertools.pairwise(exons):
            if second.number == first.number + 1:
                assert second.cds_start == first.cds_end + 1, (symbol, second.number)
    if spec.holds_stop(exons[-1]):
        assert exons[-1].cds_end % 3 == 0, symbol
    if spec.coding_length is not None:  # no exon past the stop codon's
        assert [spec.holds_stop(exon) for exon in exons].count(True) <= 1, symbol
        assert exons[-1].cds_end <= spec.coding_length, symbol


def c_position(spec: GeneSpec, build: Build, pos: int) -> int | None:
    for exon in spec.exons:
        span = exon.spans.get(build)
        if span is not None and span.start <= pos <= span.end:
            return exon.cds_start + (pos - span.start if spec.strand == "+" else span.end - pos)
    return None


SUBSTITUTIONS = [
    (hotspot, build, allele)
    for hotspot in RULES.hotspots
    if hotspot.hgvsc and re.fullmatch(r"c\.\d+[ACGT]>[ACGT]", hotspot.hgvsc)
    for build, allele in hotspot.alleles.items()
]


@pytest.mark.parametrize(
    ("hotspot", "build", "allele"),
    SUBSTITUTIONS,
    ids=[f"{h.gene}-{h.hgvsc}-{build}" for h, build, _allele in SUBSTITUTIONS],
)
def test_a_hotspot_substitution_in_a_listed_exon_is_at_its_c_position(
    hotspot: Hotspot, build: Build, allele: GenomicAllele
) -> None:
    spec = RULES.genes[hotspot.gene]
    wanted = int(str(hotspot.hgvsc)[2:-3])  # c.NNNX>Y
    found = c_position(spec, build, allele.pos)
    listed = any(exon.cds_start <= wanted <= exon.cds_end for exon in spec.exons)
    assert found == (wanted if listed else None)


def test_the_hotspots_are_checked_against_the_tables() -> None:
    """So that the test above has something to hold: most substitutions lie in a table."""
    inside = [
        item
        for item in SUBSTITUTIONS
        if c_position(RULES.genes[item[0].gene], item[1], item[2].pos) is not None
    ]
    assert len(inside) >= 20
