"""The canonical splice sites of the gene table's exons: the two intron bases on each side.

An exon's coding part (``ExonSpec``: its c. range and genomic span per build) is bordered by an
intron on each side, except where the coding sequence starts (c.1 follows the 5' UTR inside
its exon) and after the stop codon (the 3' UTR follows inside its exon: the transcript's last,
``GeneSpec.exon_count``, unless ``GeneSpec.coding_length`` places the stop in another;
:meth:`GeneSpec.holds_stop`). The 5' end of an intron is the donor: on the ``+`` strand the bases
after an exon's end, on the ``-`` strand those before its start. Used by the genomic annotator
(:mod:`annotator.genomic`) to classify unannotated alleles, and by the ``exon_skipping``
selector to tell whose splice site a splice variant hits.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.genome import normalize_chrom
from annotator.models import VariantClass
from annotator.rules.schema import ExonSpec, GeneSpec, Span


@dataclass(frozen=True, slots=True)
class SpliceSite:
    pos: int
    variant_class: VariantClass
    offset: str  # HGVS intronic position: "2184+1", "2185-2"


def splice_sites(
    strand: str, start: int, end: int, cds_start: int, cds_end: int, *, last: bool = False
) -> tuple[SpliceSite, ...]:
    """The ± 1, 2 intron bases around an exon's coding part (genomic ``start``-``end``), 5'
    (acceptor) side first; none before c.1, nor after the coding part of the transcript's
    ``last`` exon (its 3' UTR follows)."""
    acceptor, donor = VariantClass.SPLICE_ACCEPTOR, VariantClass.SPLICE_DONOR
    five_prime, three_prime = (start, end) if strand == "+" else (end, start)
    step = 1 if strand == "+" else -1  # genomic direction of increasing c.
    sites = []
    if cds_start != 1:  # c.1 starts the coding sequence inside an exon, after the 5' UTR
        sites += [
            SpliceSite(five_prime - 2 * step, acceptor, f"{cds_start}-2"),
            SpliceSite(five_prime - step, acceptor, f"{cds_start}-1"),
        ]
    if not last:  # the stop codon ends the coding sequence inside the last exon
        sites += [
            SpliceSite(three_prime + step, donor, f"{cds_end}+1"),
            SpliceSite(three_prime + 2 * step, donor, f"{cds_end}+2"),
        ]
    return tuple(sites)


def exon_sites(spec: GeneSpec, exon: ExonSpec, span: Span) -> tuple[SpliceSite, ...]:
    """The splice sites of one exon of the gene's table, placed by its ``span`` on a build."""
    return splice_sites(
        spec.strand,
        span.start,
        span.end,
        exon.cds_start,
        exon.cds_end,
        last=spec.holds_stop(exon),
    )


def exon_splice_positions(
    spec: GeneSpec, number: int, build: str
) -> tuple[str, frozenset[int]] | None:
    """The chromosome (normalized: no ``chr``) and the positions on ``build`` of the splice
    sites of exon ``number`` of the gene's table; None when the table has no span for it."""
    for exon in spec.exons:
        if exon.number != number:
            continue
        span = exon.spans.get(build)  # type: ignore[call-overload]
        if span is None:
            return None
        sites = exon_sites(spec, exon, span)
        return normalize_chrom(span.chrom), frozenset(site.pos for site in sites)
    return None
