"""Alterations for records without consequence annotation, from the rules' hotspot table.

A record whose allele equals a hotspot allele of the detected build (chromosome names compared
without ``chr``) becomes the hotspot's protein change on the gene's MANE Select transcript, as
if VEP had annotated it. Anything else stays unannotated (and, in a rule gene, unclassified).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from annotator.consequence_terms import class_from_protein
from annotator.models import AlleleKey, Alteration, Variant, allele_key
from annotator.protein import parse_protein_change
from annotator.rules.schema import GeneSpec, Hotspot


class HotspotResolver:
    def __init__(
        self, index: Mapping[AlleleKey, Sequence[Hotspot]], genes: Mapping[str, GeneSpec]
    ) -> None:
        self._index = index
        self._genes = genes

    def resolve(self, variant: Variant) -> list[Alteration]:
        return [
            hotspot_alteration(hotspot, variant, self._genes.get(hotspot.gene))
            for hotspot in self._index.get(allele_key(variant), ())
        ]


def hotspot_alteration(hotspot: Hotspot, variant: Variant, gene: GeneSpec | None) -> Alteration:
    protein = parse_protein_change(hotspot.protein_change)
    exon = gene.exon_of_codon(protein.start) if gene else None
    return Alteration(
        gene=hotspot.gene,
        variant_class=class_from_protein(protein),
        variant=variant,
        transcript=gene.ensembl_transcript if gene else None,
        preferred=True,
        hgvsp=protein.hgvs,
        hgvsc=hotspot.hgvsc,
        protein=protein,
        exon=exon,
        source="hotspot",
        exon_count=gene.exon_count if gene is not None and exon is not None else None,
    )
