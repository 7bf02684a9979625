"""``run(config)``: the annotate steps in order, no click.

read → resolve consequence → match rules → interpret → write.

One pass over the VCF reads the small variants of the tumor sample, resolves their
consequences in rule genes, collects structural-variant breakends and counts what TMB needs.
The other inputs (fusion, copy-number and expression files, MSI) give gene-level events. The
matcher sees both; findings below ``--min-vaf``/``--min-depth`` are set aside, reported as
filtered, and make no therapy call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from annotator import __version__
from annotator.biomarkers import (
    DEFAULT_MSI_THRESHOLD,
    TmbResult,
    check_tmb_options,
    msi_event,
    tmb_event,
)
from annotator.config import AnnotateConfig
from annotator.consequence import ConsequenceResolver, read_annotation_format
from annotator.errors import InputError
from annotator.gene_regions import GeneLocator
from annotator.genome import resolve_build
from annotator.hotspots import HotspotResolver
from annotator.interpret import call_therapies
from annotator.matcher import (
    AlleleKey,
    RuleMatcher,
    SampleAllele,
    SelectorMatcher,
    allele_key,
    find_unclassified,
)
from annotator.models import Alteration, Finding, Result, Summary, Variant
from annotator.readers.cnv import read_copy_number
from annotator.readers.expression import read_expression
from annotator.readers.fusions import read_fusion_calls
from annotator.readers.vcf import VcfReader
from annotator.rules import RuleSet, load_rules
from annotator.structural import Breakend, find_breakend_fusions
from annotator.tumor_types import OncoTree, load_oncotree
from annotator.writers.atomic import staged_outputs
from annotator.writers.json import write_json
from annotator.writers.tsv import write_tsv


def run(config: AnnotateConfig) -> Result:
    """Annotate one tumor sample and write the requested outputs."""
    check_tmb_options(config.panel_size_mb, config.tmb_threshold)
    oncotree = load_oncotree()
    tumor_type = oncotree.require(config.tumor_type).code
    rules = load_rules(config.rule_paths, bundled=config.bundled_rules, oncotree=oncotree)
    result = annotate(config, rules, tumor_type, oncotree)
    write_outputs(config, result)
    return result


def annotate(config: AnnotateConfig, rules: RuleSet, tumor_type: str, oncotree: OncoTree) -> Result:
    small = read_small_variants(config, rules)
    tmb = small.tmb(config)
    events, notes = read_events(config, rules, small, tmb)
    matcher = RuleMatcher(rules, build=small.build, tumor_type=tumor_type, oncotree=oncotree)
    findings, filtered = set_aside_low_support(matcher.match(small.alleles, events), config)
    fired = findings + [finding for finding, _reason in filtered]
    unclassified = find_unclassified(small.alleles, rules.genes, fired, small.genes_at)
    therapy_calls = call_therapies(findings)
    summary = Summary(
        records=small.records,
        alleles=small.alleles_seen,
        skipped_filtered=len(small.filtered_records),
        alleles_annotated=small.alleles_annotated,
        alleles_in_rule_genes=len(small.alleles),
        findings=len(findings),
        unclassified=len(unclassified),
    )
    return Result(
        tool_version=__version__,
        rules_version=rules.version,
        rules_sha256=rules.sha256,
        input=str(config.input),
        sample=small.sample,
        tumor_type=tumor_type,
        genome=small.build,
        findings=tuple(findings),
        therapy_calls=tuple(therapy_calls),
        unclassified=tuple(unclassified),
        summary=summary,
        filtered_findings=tuple(filtered),
        events=tuple(events),
        notes=tuple(notes),
        tmb=tmb.as_dict() if tmb is not None else None,
        caller=small.caller,
    )


@dataclass
class SmallVariants:
    """What the pass over the VCF gives."""

    build: str
    sample: str | None
    caller: str | None
    alleles: list[SampleAllele] = field(default_factory=list)
    genes_at: dict[AlleleKey, tuple[str, ...]] = field(default_factory=dict)
    breakends: list[Breakend] = field(default_factory=list)
    records: int = 0
    alleles_seen: int = 0
    alleles_annotated: int = 0
    filtered_records: set[int] = field(default_factory=set)
    nonsynonymous: int = 0
    annotated_records: int = 0

    def tmb(self, config: AnnotateConfig) -> TmbResult | None:
        if config.panel_size_mb is None:
            return None
        if self.alleles_annotated and not self.annotated_records:
            raise InputError(
                "TMB needs consequence annotation (CSQ, ANN or BCSQ) to tell coding "
                "non-synonymous variants; the VCF has none",
                path=config.input,
                hint="annotate with VEP, SnpEff or bcftools csq, or leave out --panel-size-mb",
            )
        return TmbResult(self.nonsynonymous, config.panel_size_mb, config.tmb_threshold)


def read_small_variants(config: AnnotateConfig, rules: RuleSet) -> SmallVariants:
    path = str(config.input)
    with VcfReader(config.input, sample=config.sample, caller=config.caller) as reader:
        header = reader.header
        build = resolve_build(config.genome, header.contigs, header.lines, path)
        resolver = ConsequenceResolver(
            read_annotation_format(header.info_descriptions, path), rules.genes
        )
        hotspots = HotspotResolver(rules.hotspot_index(build), rules.genes)
        locator = GeneLocator(rules.genes, build)
        selectors = SelectorMatcher(build)
        genomic_rules = frozenset(
            key
            for rule in rules.rules
            if rule.alteration.kind == "genomic"
            for key in selectors.genomic_alleles(rule.alteration)
        )
        result = SmallVariants(build=build, sample=header.sample, caller=reader.caller)
        for variant in reader:
            result.alleles_seen += 1
            if not variant.passed and not config.include_filtered:
                result.filtered_records.add(variant.record_index)
                continue
            result.alleles_annotated += 1
            if _is_structural(variant):
                result.breakends.append(_breakend(variant))
                continue
            try:
                if variant.annotations:
                    result.annotated_records += 1
                    alterations = tuple(resolver.resolve(variant))
                    if variant.passed and resolver.changes_protein(variant):
                        result.nonsynonymous += 1
                else:
                    alterations = tuple(hotspots.resolve(variant))
            except InputError as error:
                error.path = error.path or path
                raise
            end = variant.pos + max(len(variant.ref), 1) - 1
            in_genes = locator.genes_at(variant.chrom, variant.pos, end)
            key = allele_key(variant)
            if alterations or in_genes or key in genomic_rules:
                result.alleles.append(SampleAllele(variant, alterations, bool(variant.annotations)))
                result.genes_at[key] = in_genes
        result.records = reader.records_read
    return result


def read_events(
    config: AnnotateConfig, rules: RuleSet, small: SmallVariants, tmb: TmbResult | None
) -> tuple[list[Alteration], list[str]]:
    """Gene-level events from every input, and notes on what gave none."""
    events: list[Alteration] = []
    notes: list[str] = []
    known = rules.gene_symbols
    if small.breakends:
        found = find_breakend_fusions(small.breakends, rules.genes, small.build)
        events.extend(found.alterations)
        notes.extend(found.notes)
    if config.fusions is not None:
        calls = read_fusion_calls(config.fusions)
        notes.extend(calls.skipped)
        events.extend(
            fusion for fusion in calls.alterations if not known.isdisjoint(fusion.gene.split("::"))
        )
    if config.cnv is not None:
        events.extend(
            read_copy_number(
                config.cnv,
                genes=rules.genes,
                build=small.build,
                thresholds=config.cnv_thresholds,
                sample=small.sample if config.cnv.suffix != ".cns" else None,
                include_filtered=config.include_filtered,
            )
        )
    if config.expression is not None:
        events.extend(
            event
            for event in read_expression(config.expression, thresholds=config.expression_thresholds)
            if event.gene in known
        )
    if config.msi_status is not None or config.msi_file is not None:
        threshold = config.msi_threshold or DEFAULT_MSI_THRESHOLD
        msi = msi_event(config.msi_status, config.msi_file, threshold=threshold)
        if msi is not None:
            events.append(msi)
    if tmb is not None and (event := tmb_event(tmb)) is not None:
        events.append(event)
    return _deduplicated(events), notes


def set_aside_low_support(
    findings: Sequence[Finding], config: AnnotateConfig
) -> tuple[list[Finding], list[tuple[Finding, str]]]:
    """Findings below --min-vaf or --min-depth, with why, apart from the others."""
    kept: list[Finding] = []
    filtered: list[tuple[Finding, str]] = []
    for finding in findings:
        reason = _low_support(finding.variant, config)
        if reason is None:
            kept.append(finding)
        else:
            filtered.append((finding, reason))
    return kept, filtered


def _low_support(variant: Variant | None, config: AnnotateConfig) -> str | None:
    if variant is None:
        return None
    reasons = []
    if config.min_vaf is not None and (variant.vaf is None or variant.vaf < config.min_vaf):
        shown = "unknown" if variant.vaf is None else f"{variant.vaf:.3g}"
        reasons.append(f"VAF {shown} below --min-vaf {config.min_vaf:g}")
    if config.min_depth is not None and (variant.depth is None or variant.depth < config.min_depth):
        shown = "unknown" if variant.depth is None else str(variant.depth)
        reasons.append(f"depth {shown} below --min-depth {config.min_depth}")
    return "; ".join(reasons) or None


def _is_structural(variant: Variant) -> bool:
    alt = variant.alt
    return variant.svtype == "BND" or alt.startswith("<") or "[" in alt or "]" in alt


def _breakend(variant: Variant) -> Breakend:
    return Breakend(
        chrom=variant.chrom,
        pos=variant.pos,
        alt=variant.alt,
        id=variant.variant_id,
        mate_id=variant.mate_id,
        record_index=variant.record_index,
        end=variant.end,
    )


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


def write_outputs(config: AnnotateConfig, result: Result) -> None:
    json_path, tsv_path = config.output_paths(result.sample)
    with staged_outputs() as stage:
        if json_path is not None:
            stage.add_text(json_path, lambda stream: write_json(result, stream))
        if tsv_path is not None:
            stage.add_text(tsv_path, lambda stream: write_tsv(result, stream))
