"""Small builders of model objects for unit tests (no I/O)."""

from __future__ import annotations

from typing import Any

from annotator.models import (
    Alteration,
    Effect,
    EvidenceLevel,
    Finding,
    MatchType,
    TumorTypeMatch,
    Variant,
    VariantClass,
)
from annotator.protein import parse_protein_change
from annotator.rules.schema import GeneSpec, Rule

EGFR = GeneSpec(
    symbol="EGFR",
    hgnc_id="HGNC:3236",
    ensembl_transcript="ENST00000275493",
    refseq_transcript="NM_005228.5",
    strand="+",
    spans={},
    sources=["test"],
)
KRAS = GeneSpec(
    symbol="KRAS",
    hgnc_id="HGNC:6407",
    ensembl_transcript="ENST00000311936",
    refseq_transcript="NM_004985.5",
    strand="-",
    spans={},
    sources=["test"],
)


def variant(
    chrom: str = "7", pos: int = 100, ref: str = "C", alt: str = "T", **kwargs: Any
) -> Variant:
    kwargs.setdefault("record_index", 1)
    kwargs.setdefault("annotations", {"CSQ": "x"})
    return Variant(chrom=chrom, pos=pos, ref=ref, alt=alt, **kwargs)


def alteration(
    gene: str,
    protein: str | None,
    variant_class: VariantClass = VariantClass.MISSENSE,
    *,
    preferred: bool = True,
    exon: int | None = None,
    on: Variant | None = None,
) -> Alteration:
    change = parse_protein_change(protein) if protein else None
    return Alteration(
        gene=gene,
        variant_class=variant_class,
        variant=on or variant(),
        transcript="ENST00000275493.7" if preferred else "ENST00000000001.1",
        preferred=preferred,
        hgvsp=change.hgvs if change else None,
        protein=change,
        exon=exon,
        source="VEP",
    )


def rule(**fields: Any) -> Rule:
    data: dict[str, Any] = {
        "id": "TEST-1",
        "gene": "EGFR",
        "alteration": {"protein_changes": ["T790M"]},
        "tumor_types": {"include": ["NSCLC"]},
        "effect": "resistance",
        "therapies": ["gefitinib"],
        "evidence_level": "A",
        "citations": ["PMID:15737014"],
        "examples": [{"alteration": "EGFR p.T790M", "tumor_type": "LUAD"}],
    }
    data.update(fields)
    return Rule.model_validate(data)


def finding(
    rule_id: str,
    therapies: tuple[str, ...],
    effect: Effect,
    level: str,
    *,
    gene: str = "EGFR",
    alteration_label: str = "T790M",
    on_label: bool = True,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        gene=gene,
        alteration=alteration_label,
        hgvsp=None,
        variant=variant(),
        effect=effect,
        therapies=therapies,
        evidence_level=EvidenceLevel(level),
        tumor_type_match=TumorTypeMatch.ON_LABEL if on_label else TumorTypeMatch.OFF_LABEL,
        match_type=MatchType.PROTEIN,
        citations=("PMID:1",),
    )
