"""The samples of a MAF, each read as if from its own VCF (:class:`SmallVariants`).

The reader (:func:`annotator.readers.maf.read_maf`) checks every row and gives each sample's
rule-gene rows as alleles with their alterations; the rows outside the rule genes are only
counted, but for those at a genomic rule's allele. Here: the samples to annotate, the
genome build (``NCBI_Build`` against ``--genome``), and each sample's rows split as a VCF's
reading splits its records (passing, failing FILTER, set aside for ``--explain``).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from annotator.config import AnnotateConfig
from annotator.errors import InputError, UsageError
from annotator.genome import BUILDS
from annotator.matcher import SampleAllele
from annotator.models import AlleleKey, allele_key
from annotator.rules.ruleset import RuleSet
from annotator.small_variants import SmallVariants, genomic_rule_alleles

# The MAF reader is imported where used: a VCF, the usual input, is read without it.
if TYPE_CHECKING:
    from annotator.readers.maf import MafData


def read_maf_samples(config: AnnotateConfig, rules: RuleSet) -> list[SmallVariants]:
    """Each sample of a MAF (or the one ``--sample`` names) as if read from its own VCF. A
    MAF with no rows gives the sample ``--sample`` names, with no mutations (a patient with
    none passing): the other inputs' events still make their findings."""
    from annotator.readers.maf import read_maf  # noqa: PLC0415 - lazy: see the imports

    # Of the rows outside the rule genes only those at a genomic rule's allele are kept (in
    # either build: the build may be known only once the file is read); the others are
    # counted by the reader, not held.
    by_build: dict[str, frozenset[AlleleKey]] = {
        build: genomic_rule_alleles(rules, build) for build in BUILDS
    }
    anywhere = frozenset().union(*by_build.values())
    data = read_maf(
        config.input, rules.genes, keep_outside=lambda variant: allele_key(variant) in anywhere
    )
    samples = _maf_sample_names(config, data)
    build = _maf_build(config, data)
    if not data.samples:
        return [_maf_without_rows(config, build, sample) for sample in samples]
    return [_maf_sample(config, data, sample, build, by_build[build]) for sample in samples]


def _maf_sample_names(config: AnnotateConfig, data: MafData) -> tuple[str, ...]:
    """The samples to annotate: the one ``--sample`` names, else every sample of the MAF."""
    samples = data.samples
    if not samples and config.sample is None:
        build = " and its genome build with --genome" if config.genome == "auto" else ""
        raise UsageError(
            "the MAF has no rows (a header only), so no Tumor_Sample_Barcode to annotate",
            path=config.input,
            hint=f"name the sample with --sample NAME{build} to annotate it with no mutations",
        )
    if config.sample is None:
        return samples
    if samples and config.sample not in samples:
        raise UsageError(
            f"sample {config.sample!r} is not in the MAF",
            path=config.input,
            hint=f"its Tumor_Sample_Barcode values: {', '.join(samples[:10])}",
        )
    return (config.sample,)


def _maf_build(config: AnnotateConfig, data: MafData) -> str:
    """The MAF's genome build: its ``NCBI_Build``, which ``--genome`` must agree with, else
    ``--genome``."""
    if data.build is not None:
        if config.genome not in ("auto", data.build):
            raise InputError(
                f"the MAF's NCBI_Build is {data.build} but --genome {config.genome} was given",
                path=config.input,
            )
        return data.build
    if config.genome != "auto":
        return config.genome
    if not data.build_column:
        why = "the MAF has no NCBI_Build column"
    elif not data.samples:
        why = "the MAF's NCBI_Build column has no value (the file has no rows)"
    else:
        why = "the MAF's NCBI_Build column has no value in any row"
    raise InputError(
        f"{why} to tell the genome build",
        path=config.input,
        hint="pass --genome GRCh37 or --genome GRCh38",
    )


def _maf_without_rows(config: AnnotateConfig, build: str, sample: str) -> SmallVariants:
    """The sample ``--sample`` names of a MAF with no rows: no mutations, and a note."""
    note = (
        f"{config.input}: the MAF has no rows (a header only): no mutations for sample "
        f"{sample!r}, named by --sample"
    )
    return SmallVariants(build=build, sample=sample, caller="maf", notes=[note])


def _maf_sample(
    config: AnnotateConfig,
    data: MafData,
    sample: str,
    build: str,
    genomic_rules: frozenset[AlleleKey],
) -> SmallVariants:
    """One sample's rows of the MAF, as its VCF's records would be read."""
    counts = data.counts[sample]
    # As a VCF's records: a row failing FILTER is skipped and counted, unless
    # --include-filtered (then annotated, its FILTER shown) or --explain (set aside).
    alleles: list[SampleAllele] = []
    aside: list[SampleAllele] = []
    failed = 0 if config.include_filtered else counts.filtered  # the reader counted every row
    failed_in_genes = 0
    failed_filters: Counter[str] = Counter()
    for allele in data.alleles[sample]:
        passed = config.include_filtered or allele.variant.passed
        # The rows of rule genes (and at a genomic rule's allele), as a VCF's reading
        # keeps them: the others only count as outside the rule genes.
        if allele.alterations or allele_key(allele.variant) in genomic_rules:
            if passed:
                alleles.append(allele)
            else:
                failed_in_genes += 1
                failed_filters.update(allele.variant.filters)
                if config.explain:
                    aside.append(allele)
    return SmallVariants(
        build=build,
        sample=sample,
        caller="maf",
        alleles=alleles,
        records=counts.records,
        alleles_seen=counts.records,
        alleles_annotated=counts.records - failed,
        filtered_records=failed,
        filtered_in_rule_genes=failed_in_genes,
        filtered_in_rule_genes_filters=failed_filters,
        annotated_records=counts.records - failed,
        nonsynonymous=counts.nonsynonymous,
        notes=list(data.notes[sample]),
        filtered_alleles=aside,
    )
