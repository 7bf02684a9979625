"""Self-testing knowledge: run each rule's ``examples`` through the real matcher.

An example names an alteration in one of these forms, and a tumor type:

=============================  ==========================================================
``EGFR p.T790M``, ``EGFR T790M``  a protein change on the gene's MANE transcript (exon from
                                   the gene table's exons)
``BRCA1 splice_donor``             a variant class without a protein change
``chr7:55181378:C:T@GRCh38``       a genomic allele, resolved like an unannotated VCF record:
                                   through the hotspot table, then the gene table's exons
                                   (:class:`~annotator.genomic.GenomicAnnotator`)
``BCR::ABL1``                      a fusion
``ERBB2 amplification``            a copy-number state (``amplification``, ``deletion``)
``ABCB1 overexpression``           an expression state (``overexpression``, ``underexpression``)
``MSI-H``, ``TMB-high``            a genome-wide biomarker
=============================  ==========================================================

``with`` lists other alterations present in the same sample. An example passes when its rule
fires on-label, and no rule with the opposite effect on a shared therapy fires on-label unless
the example lists it under ``conflicts``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from annotator.consequence_terms import class_from_protein
from annotator.errors import ProteinNotationError
from annotator.genomic import GenomicAnnotator
from annotator.matcher import RuleMatcher, SampleAllele
from annotator.models import Alteration, Effect, Finding, TumorTypeMatch, Variant, VariantClass
from annotator.protein import parse_protein_change
from annotator.rules.ruleset import RuleSet
from annotator.rules.schema import Example, Rule
from annotator.tumor_types import OncoTree

DEFAULT_BUILD = "GRCh38"
COPY_NUMBER_STATES = frozenset({"amplification", "deletion"})
EXPRESSION_STATES = frozenset({"overexpression", "underexpression"})
BIOMARKERS = {"MSI-H": "MSI", "TMB-high": "TMB"}
_GENOMIC = re.compile(
    r"^(?P<chrom>[^:@\s]+):(?P<pos>[0-9]+):(?P<ref>[ACGTN]+):(?P<alt>[ACGTN]+)"
    r"@(?P<build>GRCh37|GRCh38)$"
)


class ExampleError(ValueError):
    """An example text that cannot be read."""


@dataclass(frozen=True)
class ExampleSample:
    build: str
    alleles: tuple[SampleAllele, ...]
    events: tuple[Alteration, ...]


def build_sample(texts: Sequence[str], ruleset: RuleSet) -> ExampleSample:
    """The sample an example describes: its alteration plus the ``with`` ones.

    A text after the first may end in ``cis`` or ``trans``: that allele is then phased with
    the first one (one phase set; the same haplotype for cis, the other for trans).
    """
    parsed = [_split_phase(text) for text in texts]
    phased = any(phase is not None for _text, phase in parsed)
    builds = {m["build"] for m in (_GENOMIC.match(t) for t, _p in parsed) if m}
    if len(builds) > 1:
        raise ExampleError(f"mixes builds {sorted(builds)}")
    build = builds.pop() if builds else DEFAULT_BUILD
    tables = GenomicAnnotator(ruleset.genes, build, ruleset.hotspot_index(build))
    alleles: list[SampleAllele] = []
    events: list[Alteration] = []
    for number, (text, phase) in enumerate(parsed, start=1):
        haplotype = 1 if phase == "trans" else 0
        genomic = _GENOMIC.match(text)
        if genomic:
            variant = Variant(
                genomic["chrom"], int(genomic["pos"]), genomic["ref"], genomic["alt"], number
            )
            variant = _phased(variant, haplotype) if phased else variant
            found = tables.annotate(variant)
            if not found.alterations:
                raise ExampleError(
                    f"{text!r} is neither in the hotspot table for {build} nor placed by the "
                    "gene table's exons"
                )
            alleles.append(
                SampleAllele(
                    variant, tuple(found.alterations), annotated=False, notes=tuple(found.notes)
                )
            )
            continue
        alteration = parse_alteration(text, ruleset, number)
        if alteration.event is not None:
            if phase is not None:
                raise ExampleError(f"{text!r}: only small variants can be phased")
            events.append(alteration)
            continue
        assert alteration.variant is not None
        if phased:
            alteration = replace(alteration, variant=_phased(alteration.variant, haplotype))
        assert alteration.variant is not None
        alleles.append(SampleAllele(alteration.variant, (alteration,), annotated=True))
    return ExampleSample(build, tuple(alleles), tuple(events))


def _split_phase(text: str) -> tuple[str, str | None]:
    head, _, last = text.rpartition(" ")
    if head and last in ("cis", "trans"):
        return head, last
    return text, None


def _phased(variant: Variant, haplotype: int) -> Variant:
    return replace(variant, phase_set="example", haplotype=haplotype)


def parse_alteration(text: str, ruleset: RuleSet, number: int = 1) -> Alteration:
    """One non-genomic example alteration; small variants get a placeholder variant."""
    if text in BIOMARKERS:
        return Alteration(BIOMARKERS[text], VariantClass.OTHER, event=text, source="example")
    if "::" in text and " " not in text:
        return Alteration(text, VariantClass.OTHER, event="fusion", source="example")
    gene, _, change = text.partition(" ")
    if not change:
        raise ExampleError(f"{text!r}: expected 'GENE CHANGE', a fusion, MSI-H or TMB-high")
    if change in COPY_NUMBER_STATES or change in EXPRESSION_STATES:
        return Alteration(gene, VariantClass.OTHER, event=change, source="example")
    spec = ruleset.genes.get(gene)
    # A placeholder allele, unique per example alteration, so the matcher can key findings.
    variant = Variant(f"example-{gene}", number, "N", "N", number)
    transcript = spec.ensembl_transcript if spec else None
    if change in {c.value for c in VariantClass}:
        return Alteration(
            gene, VariantClass(change), variant, transcript, preferred=True, source="example"
        )
    try:
        protein = parse_protein_change(change)
    except ProteinNotationError as error:
        raise ExampleError(str(error)) from None
    return Alteration(
        gene,
        class_from_protein(protein),
        variant,
        transcript,
        preferred=True,
        hgvsp=protein.hgvs,
        protein=protein,
        exon=spec.exon_of_codon(protein.start) if spec else None,
        source="example",
    )


def check_example(rule: Rule, example: Example, ruleset: RuleSet, oncotree: OncoTree) -> list[str]:
    """Problems with one example of a rule (empty when it behaves as the rule says)."""
    where = f"rule {rule.id}: example {example.alteration!r} in {example.tumor_type}"
    try:
        sample = build_sample([example.alteration, *example.with_], ruleset)
    except ExampleError as error:
        return [f"{where}: cannot read the example: {error}"]
    matcher = RuleMatcher(
        ruleset, build=sample.build, tumor_type=example.tumor_type, oncotree=oncotree
    )
    findings = matcher.match(sample.alleles, sample.events)
    fired = [f for f in findings if f.rule_id == rule.id]
    problems = []
    if not fired:
        problems.append(f"{where}: the rule does not fire")
    elif not any(f.tumor_type_match is TumorTypeMatch.ON_LABEL for f in fired):
        problems.append(f"{where}: the rule fires only off-label")
    for finding in _opposing(rule, findings):
        if finding.rule_id not in example.conflicts:
            shared = sorted(set(rule.therapies) & set(finding.therapies))
            problems.append(
                f"{where}: {finding.rule_id} ({finding.effect.value}) also fires for "
                f"{', '.join(shared)}; list it under conflicts if that is intended"
            )
    return problems


def check_all_examples(ruleset: RuleSet, oncotree: OncoTree) -> Iterator[str]:
    for rule in ruleset.rules:
        for example in rule.examples:
            yield from check_example(rule, example, ruleset, oncotree)


def _opposing(rule: Rule, findings: Sequence[Finding]) -> Iterator[Finding]:
    rule_sensitive = rule.effect is Effect.SENSITIVITY
    for finding in findings:
        if finding.tumor_type_match is not TumorTypeMatch.ON_LABEL:
            continue
        if (finding.effect is Effect.SENSITIVITY) == rule_sensitive:
            continue
        if set(rule.therapies) & set(finding.therapies):
            yield finding
