"""The consequence vocabulary: SO terms by severity, the variant class each gives, bcftools
csq's names for them, and the terms TMB counts.

Shared by :mod:`annotator.consequence` (VEP ``CSQ``, SnpEff ``ANN``, bcftools ``BCSQ``), the
MAF reader and the text prefilter, so that every input names a consequence alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

from annotator.models import VariantClass
from annotator.protein import ChangeKind, ProteinChange

__all__ = [
    "BCSQ_TERMS",
    "NONSYNONYMOUS_NAMES",
    "NONSYNONYMOUS_TERMS",
    "SEVERITY_ORDER",
    "TERM_CLASSES",
    "class_from_protein",
    "class_of_terms",
    "classify",
]

SEVERITY_ORDER: Final[tuple[str, ...]] = (
    "transcript_ablation",
    "splice_acceptor_variant",
    "splice_donor_variant",
    "stop_gained",
    "frameshift_variant",
    "stop_lost",
    "start_lost",
    "initiator_codon_variant",
    "exon_loss_variant",
    "transcript_amplification",
    "feature_elongation",
    "feature_truncation",
    "inframe_insertion",
    "disruptive_inframe_insertion",
    "conservative_inframe_insertion",
    "inframe_deletion",
    "disruptive_inframe_deletion",
    "conservative_inframe_deletion",
    "missense_variant",
    "protein_altering_variant",
    "splice_donor_5th_base_variant",
    "splice_region_variant",
    "splice_donor_region_variant",
    "splice_polypyrimidine_tract_variant",
    "incomplete_terminal_codon_variant",
    "start_retained_variant",
    "stop_retained_variant",
    "synonymous_variant",
    "coding_sequence_variant",
    "mature_miRNA_variant",
    "5_prime_UTR_premature_start_codon_gain_variant",
    "5_prime_UTR_variant",
    "3_prime_UTR_variant",
    "non_coding_transcript_exon_variant",
    "intron_variant",
    "NMD_transcript_variant",
    "non_coding_transcript_variant",
    "coding_transcript_variant",
    "upstream_gene_variant",
    "downstream_gene_variant",
    "TFBS_ablation",
    "TFBS_amplification",
    "TF_binding_site_variant",
    "regulatory_region_ablation",
    "regulatory_region_amplification",
    "regulatory_region_variant",
    "intergenic_variant",
    "sequence_variant",
)
"""SO terms from most to least severe: Ensembl's ranking of VEP consequences, with SnpEff's
own terms placed beside their VEP kin. Terms not listed rank below all of these."""

SEVERITY: Final[Mapping[str, int]] = MappingProxyType(
    {term: rank for rank, term in enumerate(SEVERITY_ORDER)}
)

TERM_CLASSES: Final[Mapping[str, VariantClass]] = MappingProxyType(
    {
        "stop_gained": VariantClass.NONSENSE,
        "frameshift_variant": VariantClass.FRAMESHIFT,
        "inframe_deletion": VariantClass.INFRAME_DELETION,
        "disruptive_inframe_deletion": VariantClass.INFRAME_DELETION,
        "conservative_inframe_deletion": VariantClass.INFRAME_DELETION,
        "inframe_insertion": VariantClass.INFRAME_INSERTION,
        "disruptive_inframe_insertion": VariantClass.INFRAME_INSERTION,
        "conservative_inframe_insertion": VariantClass.INFRAME_INSERTION,
        "missense_variant": VariantClass.MISSENSE,
        "splice_donor_variant": VariantClass.SPLICE_DONOR,
        "splice_acceptor_variant": VariantClass.SPLICE_ACCEPTOR,
        "start_lost": VariantClass.START_LOST,
        "initiator_codon_variant": VariantClass.START_LOST,
        "synonymous_variant": VariantClass.SYNONYMOUS,
    }
)
"""The class an entry gets from its most severe SO term; unlisted terms give ``other``.
``protein_altering_variant`` is decided from the protein change (see :func:`classify`)."""

_PROTEIN_KIND_CLASSES: Final[Mapping[ChangeKind, VariantClass]] = MappingProxyType(
    {
        ChangeKind.SUBSTITUTION: VariantClass.MISSENSE,
        ChangeKind.NONSENSE: VariantClass.NONSENSE,
        ChangeKind.FRAMESHIFT: VariantClass.FRAMESHIFT,
        ChangeKind.DELETION: VariantClass.INFRAME_DELETION,
        ChangeKind.INSERTION: VariantClass.INFRAME_INSERTION,
        ChangeKind.DUPLICATION: VariantClass.INFRAME_INSERTION,
        ChangeKind.START_LOST: VariantClass.START_LOST,
        ChangeKind.SYNONYMOUS: VariantClass.SYNONYMOUS,
    }
)

BCSQ_TERMS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "synonymous": "synonymous_variant",
        "missense": "missense_variant",
        "stop_lost": "stop_lost",
        "stop_gained": "stop_gained",
        "inframe_deletion": "inframe_deletion",
        "inframe_insertion": "inframe_insertion",
        "frameshift": "frameshift_variant",
        "splice_acceptor": "splice_acceptor_variant",
        "splice_donor": "splice_donor_variant",
        "start_lost": "start_lost",
        "splice_region": "splice_region_variant",
        "stop_retained": "stop_retained_variant",
        "5_prime_utr": "5_prime_UTR_variant",
        "3_prime_utr": "3_prime_UTR_variant",
        "non_coding": "non_coding_transcript_variant",
        "intron": "intron_variant",
        "intergenic": "intergenic_variant",
        "inframe_altering": "protein_altering_variant",
        "coding_sequence": "coding_sequence_variant",
        "feature_elongation": "feature_elongation",
        "feature_truncation": "feature_truncation",
        "start_retained": "start_retained_variant",
    }
)
"""bcftools csq consequence names (``csq_strings`` in csq.c) → SO terms."""


def classify(terms: Sequence[str], protein: ProteinChange | None) -> VariantClass:
    """The variant class of one transcript consequence; its most severe SO term decides.

    ``protein_altering_variant`` (an in-frame change VEP cannot name) is decided from the
    protein change: a delins that removes residues is an in-frame deletion, one that adds
    residues an in-frame insertion, one of equal length a missense change.
    """
    term_class = class_of_terms(terms)
    return class_from_protein(protein) if term_class is None else term_class


def class_of_terms(terms: Sequence[str]) -> VariantClass | None:
    """The class the most severe of ``terms`` gives; None when the protein change decides
    (``protein_altering_variant``, see :func:`classify`)."""
    if not terms:
        return VariantClass.OTHER
    unranked = len(SEVERITY_ORDER)
    top = min(terms, key=lambda term: SEVERITY.get(term, unranked))
    if top == "protein_altering_variant":
        return None
    return TERM_CLASSES.get(top, VariantClass.OTHER)


def class_from_protein(protein: ProteinChange | None) -> VariantClass:
    """The variant class a protein change implies (delins by its net length; an insertion or
    delins whose new residues hold a stop is a nonsense change)."""
    if protein is None:
        return VariantClass.OTHER
    if protein.adds_stop:
        return VariantClass.NONSENSE
    if protein.kind is ChangeKind.DELINS:
        net = len(protein.alt) - len(protein.positions)
        if net < 0:
            return VariantClass.INFRAME_DELETION
        if net > 0:
            return VariantClass.INFRAME_INSERTION
        return VariantClass.MISSENSE
    return _PROTEIN_KIND_CLASSES.get(protein.kind, VariantClass.OTHER)


#: SO terms that make an allele count towards TMB: coding non-synonymous changes.
NONSYNONYMOUS_TERMS: Final[frozenset[str]] = frozenset(
    {
        "missense_variant",
        "stop_gained",
        "stop_lost",
        "start_lost",
        "frameshift_variant",
        "inframe_insertion",
        "inframe_deletion",
        "disruptive_inframe_insertion",
        "disruptive_inframe_deletion",
        "conservative_inframe_insertion",
        "conservative_inframe_deletion",
        "protein_altering_variant",
    }
)

#: Every name under which an annotation may write a consequence TMB counts: the SO terms
#: (VEP, SnpEff) and bcftools csq's own names for them (``missense``, ``frameshift``, ...).
#: What the text prefilter looks for in records outside the rule regions.
NONSYNONYMOUS_NAMES: Final[frozenset[str]] = NONSYNONYMOUS_TERMS | frozenset(
    name for name, term in BCSQ_TERMS.items() if term in NONSYNONYMOUS_TERMS
)
