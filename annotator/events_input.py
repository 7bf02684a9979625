"""The gene-level events of one tumor: fusions (from the VCF's breakends or a fusion caller's
file), copy number, expression, MSI and TMB, with notes on what gave none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from annotator.biomarkers import (
    DEFAULT_MSI_THRESHOLD,
    MsiResult,
    TmbResult,
    msi_alteration,
    msi_result,
    tmb_event,
)
from annotator.config import AnnotateConfig
from annotator.models import Alteration, Unclassified
from annotator.readers.cnv import read_copy_number_calls
from annotator.readers.expression import read_expression
from annotator.rules.ruleset import RuleSet
from annotator.small_variants import SmallVariants


class InputEvents(NamedTuple):
    """Gene-level events from every input, notes on what gave none, the structural-variant
    records in rule genes that gave none (unclassified), and how many SV alleles lie in rule
    genes (fused or not)."""

    events: list[Alteration]
    notes: list[str]
    unclassified: Sequence[Unclassified] = ()
    structural_in_genes: int = 0
    msi: MsiResult | None = None  # what --msi-status / --msi-file said, MSI-H or not


def read_events(
    config: AnnotateConfig, rules: RuleSet, small: SmallVariants, tmb: TmbResult | None
) -> InputEvents:
    """Gene-level events from every input, and notes on what gave none (:class:`InputEvents`)."""
    events: list[Alteration] = []
    notes: list[str] = list(small.notes)
    known = rules.gene_symbols
    unclassified: Sequence[Unclassified] = ()
    structural_in_genes = 0
    if small.breakends:
        from annotator.structural import find_breakend_fusions  # noqa: PLC0415 - lazy

        found = find_breakend_fusions(
            small.breakends, rules.genes, small.build, numbered=not small.regions_only
        )
        events.extend(found.alterations)
        notes.extend(found.notes)
        unclassified, structural_in_genes = found.unclassified, found.in_genes
    if config.fusions is not None:
        from annotator.readers.fusions import read_fusion_calls  # noqa: PLC0415 - lazy

        calls = read_fusion_calls(config.fusions)
        notes.extend(calls.skipped)
        events.extend(
            fusion for fusion in calls.alterations if not known.isdisjoint(fusion.gene.split("::"))
        )
    if config.cnv is not None:
        copy_number = read_copy_number_calls(
            config.cnv,
            genes=rules.genes,
            build=small.build,
            thresholds=config.cnv_thresholds,
            sample=small.sample if config.cnv.suffix != ".cns" else None,
            include_filtered=config.include_filtered,
            copy_number_genes=rules.copy_number_genes,
        )
        events.extend(copy_number.alterations)
        notes.extend(copy_number.notes)
    if config.expression is not None:
        events.extend(
            event
            for event in read_expression(config.expression, thresholds=config.expression_thresholds)
            if event.gene in known
        )
    threshold = DEFAULT_MSI_THRESHOLD if config.msi_threshold is None else config.msi_threshold
    msi = msi_result(config.msi_status, config.msi_file, threshold=threshold)
    if (msi_high := msi_alteration(msi)) is not None:
        events.append(msi_high)
    if tmb is not None and (event := tmb_event(tmb)) is not None:
        events.append(event)
    return InputEvents(_deduplicated(events), notes, unclassified, structural_in_genes, msi)


def _deduplicated(events: Sequence[Alteration]) -> list[Alteration]:
    """One event per (gene, event): the first one seen, as the files list them."""
    seen: set[tuple[str, str | None]] = set()
    kept = []
    for event in events:
        key = (event.gene, event.event)
        if key not in seen:
            seen.add(key)
            kept.append(event)
    return kept
