"""Rule-gene variants that could not be classified, each with the reason.

Nothing in a rule gene is dropped silently: an allele of a rule gene that no rule classified
and whose effect cannot be read (no annotation and not in the gene tables, a protein change
that cannot be read, annotated only on another transcript, a truncation in the last exon that
may escape nonsense-mediated decay) is reported with why (:func:`find_unclassified`).
:meth:`annotator.matcher.RuleMatcher.matters` asks :func:`unclassified_of` whether an allele
has such a reason, to keep it.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from annotator.models import (
    AlleleKey,
    Alteration,
    Finding,
    Unclassified,
    VariantClass,
    allele_key,
)

if TYPE_CHECKING:
    from annotator.matcher import SampleAllele
    from annotator.rules.schema import GeneSpec

#: Classes whose protein change a rule needs to read.
PROTEIN_CHANGING = frozenset(
    {
        VariantClass.MISSENSE,
        VariantClass.NONSENSE,
        VariantClass.FRAMESHIFT,
        VariantClass.INFRAME_DELETION,
        VariantClass.INFRAME_INSERTION,
    }
)

#: SO terms that say the coding sequence changed without saying how (a whole exon or
#: transcript lost, a feature shortened or lengthened, a coding change VEP cannot name), most
#: severe first: the class of such an entry is ``other``, and without a protein change its
#: effect on the protein is not decided.
UNDECIDED_CODING_TERMS = (
    "transcript_ablation",
    "exon_loss_variant",
    "feature_elongation",
    "feature_truncation",
    "protein_altering_variant",
    "coding_sequence_variant",
)


def find_unclassified(
    alleles: Sequence[SampleAllele],
    genes: Mapping[str, GeneSpec],
    findings: Sequence[Finding],
    genes_at: Mapping[AlleleKey, tuple[str, ...]] | None = None,
    *,
    lof_genes: Container[str] = frozenset(),
    small_variant_genes: frozenset[str] | None = None,
) -> list[Unclassified]:
    """Rule-gene variants that could not be classified, each with the reason.

    ``genes_at`` maps an allele to the rule genes whose span it lies in; without it, each
    allele's own :attr:`SampleAllele.genes` say. An allele that fired a rule for a gene is
    classified there. In ``lof_genes`` (those with a ``loss_of_function`` rule or condition),
    a nonsense or frameshift change in the transcript's last exon is reported: it may escape
    nonsense-mediated decay, so no loss-of-function rule took it
    (:attr:`~annotator.models.Alteration.escapes_nmd`). Only the genes of
    ``small_variant_genes`` (:attr:`RuleSet.small_variant_genes`; None: every gene) are
    reported: in the others no rule can take a small variant, whatever its effect.
    """
    fired = {(f.gene, allele_key(f.variant)) for f in findings if f.variant is not None}
    fired_positions = {key[1] for _gene, key in fired}
    unclassified: list[Unclassified] = []
    for allele in alleles:
        variant = allele.variant
        key: AlleleKey | None
        if genes_at is not None:
            key = allele_key(variant)
            in_genes = genes_at.get(key, ())
        else:  # the key only where a finding may have it
            key = allele_key(variant) if variant.pos in fired_positions else None
            in_genes = allele.genes
        unclassified.extend(
            unclassified_of(allele, in_genes, key, fired, genes, lof_genes, small_variant_genes)
        )
    return unclassified


def unclassified_of(
    allele: SampleAllele,
    in_genes: Sequence[str],
    key: AlleleKey | None,
    fired: Container[tuple[str, AlleleKey | None]],
    genes: Mapping[str, GeneSpec],
    lof_genes: Container[str],
    small_variant_genes: frozenset[str] | None = None,
) -> Iterator[Unclassified]:
    """The unclassified variants of one allele (see :func:`find_unclassified`), in the rule
    genes ``in_genes`` it lies in (of ``small_variant_genes``, when given): those where no
    (gene, ``key``) is in ``fired``; ``key`` is the allele's key, or None when no finding has
    its position. Made as they are asked for: a caller that only asks whether there is one
    (:meth:`RuleMatcher.matters`) stops at it."""
    variant = allele.variant
    if small_variant_genes is not None and not small_variant_genes.issuperset(in_genes):
        in_genes = tuple(gene for gene in in_genes if gene in small_variant_genes)
    if not allele.annotated:
        note = _only_note(allele, in_genes)
        if note is None:
            yield from _unannotated_unclassified(
                allele, in_genes, key, fired, lof_genes, small_variant_genes
            )
        elif key is None or (note[0], key) not in fired:
            yield Unclassified(note[0], variant, note[1])
        return
    by_gene: dict[str, list[Alteration]] = {}
    for alteration in allele.alterations:
        by_gene.setdefault(alteration.gene, []).append(alteration)
    for gene in in_genes:
        if gene not in by_gene and (gene, key) not in fired:
            yield Unclassified(
                gene,
                variant,
                f"the record lies in {gene} but its annotation names no {gene} transcript",
            )
    for gene, alterations in by_gene.items():
        if (gene, key) in fired or (
            small_variant_genes is not None and gene not in small_variant_genes
        ):
            continue
        reason = _unclassified_reason(gene, alterations, genes.get(gene), gene in lof_genes)
        if reason is not None:
            yield Unclassified(gene, variant, reason)


#: No finding classified anything (what :meth:`RuleMatcher.matters` asks of one allele).
NOTHING_FIRED: frozenset[tuple[str, AlleleKey | None]] = frozenset()


UNANNOTATED_REASON = (
    "no consequence annotation (CSQ, ANN or BCSQ) on this record and not a hotspot of the "
    "rules' hotspot table (annotate the VCF with VEP, SnpEff or bcftools csq, or give "
    "--reference and --gff)"
)


def _only_note(allele: SampleAllele, genes: Sequence[str]) -> tuple[str, str] | None:
    """The usual unannotated allele (most of a large unannotated input): one rule gene, the
    annotator's note on it and no alteration; its (gene, reason), which is what
    :func:`_unannotated_unclassified` gives it unless a finding classified it. None for the
    others."""
    notes = allele.notes
    if len(notes) == 1 and len(genes) == 1 and not allele.alterations:
        note = notes[0]
        if genes[0] == note[0]:
            return note
    return None


def _unannotated_unclassified(
    allele: SampleAllele,
    genes: Sequence[str],
    key: AlleleKey | None,
    fired: Container[tuple[str, AlleleKey | None]],
    lof_genes: Container[str] = frozenset(),
    small_variant_genes: frozenset[str] | None = None,
) -> list[Unclassified]:
    """Rule genes of an unannotated record that no rule classified: the annotator's note for
    the gene when it left one, else the general reason (unless the tables resolved it; in
    ``lof_genes``, a truncation the tables place in the transcript's last exon is reported
    as with an annotation: :func:`_nmd_escape_reason`). ``key`` is the allele's key, None
    when no finding has its position. Notes on genes outside ``small_variant_genes`` (when
    given) are not reported."""
    variant = allele.variant
    notes = allele.notes
    reasons = {
        gene: reason
        for gene, reason in notes
        if small_variant_genes is None or gene in small_variant_genes
    }
    resolved = {a.gene for a in allele.alterations if a.codon_change is None}
    escaping = {a.gene: a for a in allele.alterations if a.escapes_nmd and a.gene in lof_genes}
    found = []
    for gene in dict.fromkeys([*genes, *reasons]):
        if key is not None and (gene, key) in fired:
            continue
        if gene in escaping:  # more than its note (an indel's) says
            found.append(Unclassified(gene, variant, _nmd_escape_reason(escaping[gene])))
            continue
        if gene in resolved and gene not in reasons:
            continue
        found.append(Unclassified(gene, variant, reasons.get(gene, UNANNOTATED_REASON)))
    return found


def _unclassified_reason(
    gene: str, alterations: Sequence[Alteration], spec: GeneSpec | None, lof_gene: bool = False
) -> str | None:
    preferred = [a for a in alterations if a.preferred]
    if not preferred:
        expected = spec.ensembl_transcript if spec else "its MANE Select transcript"
        seen = ", ".join(sorted({a.transcript or "?" for a in alterations}))
        return (
            f"annotated only on other transcripts ({seen}), not on the rules' transcript {expected}"
        )
    alteration = preferred[0]
    if alteration.unusable is not None:
        return alteration.unusable
    if alteration.variant_class in PROTEIN_CHANGING and alteration.protein is None:
        if alteration.hgvsp:
            return f"protein change {alteration.hgvsp!r} could not be read"
        return f"{alteration.variant_class.value} consequence without a protein change (HGVSp)"
    if alteration.variant_class is VariantClass.OTHER and alteration.protein is None:
        terms = alteration.consequence_terms
        term = next((term for term in UNDECIDED_CODING_TERMS if term in terms), None)
        if term is not None:
            return (
                f"{term} without a protein change (HGVSp): what it does to the protein is not "
                "decided, so no rule can take it"
            )
    if lof_gene and alteration.escapes_nmd:
        return _nmd_escape_reason(alteration)
    return None


def _nmd_escape_reason(alteration: Alteration) -> str:
    """Why a truncation in the transcript's last exon is not taken as a loss of function."""
    return (
        f"{alteration.variant_class.value} in the last exon ({alteration.exon}/"
        f"{alteration.exon_count}): the mRNA may escape nonsense-mediated decay, so it is "
        "not taken as a loss of function (ClinGen SVI PVS1 recommendations, "
        "DOI:10.1002/humu.23626)"
    )
