"""``run(config)``: the annotate steps in order, no click.

read (``annotator.inputs``) → resolve consequence → match rules → interpret → write.

Findings below ``--min-vaf``/``--min-depth`` are set aside, reported as filtered, and make no
therapy call. With ``--bam``, allele pairs that a phased rule condition reads and the VCF
leaves unphased are phased from the reads before matching (:mod:`annotator.phasing`); the
kept findings are flagged subclonal (:func:`annotator.interpret.flag_subclonal`) before the
therapy calls; ``--explain`` adds the near misses.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from annotator import __version__
from annotator.biomarkers import check_msi_options, check_tmb_options
from annotator.codon_neighbours import may_share_a_codon
from annotator.collector import collector_paused
from annotator.config import AnnotateConfig
from annotator.errors import UsageError
from annotator.events_input import read_events
from annotator.inputs import read_samples
from annotator.interpret import (
    CODON_REACH,
    call_therapies,
    flag_neighbouring_snvs,
    flag_subclonal,
)
from annotator.matcher import RuleMatcher
from annotator.models import EVENT_KINDS, Finding, Result, Summary, Variant
from annotator.near_misses import find_near_misses
from annotator.noted import UnclassifiedList
from annotator.phasing import apply_read_backed_phase, open_alignments
from annotator.readers.maf_format import is_maf
from annotator.rules.cache import load_rules_cached
from annotator.rules.ruleset import RuleSet
from annotator.small_variants import SmallVariants
from annotator.tumor_types import OncoTree, load_oncotree
from annotator.unclassified import find_unclassified
from annotator.writers.atomic import is_stream, staged_outputs
from annotator.writers.json import write_json
from annotator.writers.tsv import write_tsv


def run(config: AnnotateConfig) -> list[Result]:
    """Annotate every tumor sample of the input and write the requested outputs."""
    check_tmb_options(config.panel_size_mb, config.tmb_threshold)
    check_msi_options(config.msi_file, config.msi_threshold)
    check_vcf_output_name(config.out_vcf)
    if config.bam is not None:  # a bad --bam is an error even when no pair needs phasing
        open_alignments(config.bam, config.reference).close()
    oncotree = load_oncotree()
    tumor_type = oncotree.require(config.tumor_type).code
    rules = load_rules_cached(config.rule_paths, bundled=config.bundled_rules, oncotree=oncotree)
    # The cyclic collector stays paused from the reading (which pauses it itself) to the last
    # output: the alleles read (millions of objects on a large input) are young to it, and
    # matching and writing make enough objects (and no cycles) to set off collections that go
    # over all of them, one when the reading resumes it and two in full after it on a
    # 5M-record input (0.4 s, a third of the work after the reading).
    with collector_paused():
        samples = read_samples(
            config, rules, before_several=partial(refuse_one_file_outputs, config)
        )
        if len(samples) > 1:
            refuse_one_file_outputs(config, len(samples))
            refuse_colliding_file_names(config, [small.sample for small in samples])
        results = [annotate(config, rules, tumor_type, oncotree, small) for small in samples]
        write_outputs(config, results)
    return results


#: What ``--out-vcf`` writes by its name: plain VCF text, or BGZF with a tabix index.
VCF_OUTPUT_SUFFIXES = (".vcf", ".vcf.gz", ".vcf.bgz")


def check_vcf_output_name(path: Path | None) -> None:
    """A UsageError for an ``--out-vcf`` name that promises another format than the one
    written (``.bcf``, ``.vcf.zst``: it was plain text under that name); a device or pipe
    (``/dev/stdout``) gets plain text whatever its name."""
    if path is None or path.name.endswith(VCF_OUTPUT_SUFFIXES) or is_stream(path):
        return
    raise UsageError(
        f"--out-vcf {path}: the annotated VCF is written as plain VCF text (name ending .vcf) "
        "or bgzipped and indexed (.vcf.gz or .vcf.bgz)",
        hint="BCF and other formats are not written; convert with bcftools view -Ob",
    )


def refuse_one_file_outputs(config: AnnotateConfig, samples: int) -> None:
    """A UsageError when an output that holds one sample (a file path given, or the JSON on
    standard output) would get several: each sample would overwrite the one before."""
    named = [
        option
        for option, path in (
            ("--out-json", config.out_json),
            ("--out-tsv", config.out_tsv),
            ("--out-vcf", config.out_vcf),
            ("--out-html", config.out_html),
            ("--out-md", config.out_md),
        )
        if path is not None
    ]
    if config.single_sample_to_stdout:
        named.append("standard output")
    if named:
        raise UsageError(
            f"the input has {samples} samples, and {', '.join(named)} "
            f"{'takes' if len(named) == 1 else 'take'} one sample",
            hint="use --out-dir alone (one set of files per sample) or choose one with --sample",
        )


def refuse_colliding_file_names(config: AnnotateConfig, samples: Sequence[str | None]) -> None:
    """A UsageError when two samples' ``--out-dir`` files would have the same name (``PT1/T1``
    and ``PT1_T1`` both give ``PT1_T1.*``; names differing only in case collide on macOS and
    Windows file systems): the second sample's files would replace the first's."""
    if config.out_dir is None:
        return
    seen: dict[str, str | None] = {}
    for sample in samples:
        name = str(config.output_paths(sample).json)
        before = seen.setdefault(name.casefold(), sample)
        if before != sample:
            raise UsageError(
                f"samples '{before}' and '{sample}' would both be written as "
                f"{Path(name).name} in {config.out_dir}",
                hint="annotate them one at a time, each with --sample and its own --out-dir",
            )


def annotate(
    config: AnnotateConfig,
    rules: RuleSet,
    tumor_type: str,
    oncotree: OncoTree,
    small: SmallVariants,
) -> Result:
    """Match, interpret and summarize one tumor sample."""
    tmb = small.tmb(config)
    events, notes, structural_unclassified, structural_in_genes, msi = read_events(
        config, rules, small, tmb
    )
    matcher = RuleMatcher(rules, build=small.build, tumor_type=tumor_type, oncotree=oncotree)
    alleles = small.alleles
    if config.bam is not None:
        pairs = matcher.phased_pairs(alleles)
        alleles, phase_notes = apply_read_backed_phase(alleles, pairs, config.bam, config.reference)
        notes = [*notes, *phase_notes]
    findings, filtered = set_aside_low_support(matcher.match(alleles, events), config)
    findings = flag_subclonal(findings, config.subclonal_fraction)
    findings = flag_neighbouring_snvs(findings, _snvs_near(findings, small))
    fired = findings + [finding for finding, _reason in filtered]
    unclassified = find_unclassified(
        alleles,
        rules.genes,
        fired,
        lof_genes=rules.loss_of_function_genes,
        small_variant_genes=rules.small_variant_genes,
    )
    therapy_calls = call_therapies(findings)
    near_misses = (
        find_near_misses(
            matcher,
            alleles,
            events,
            findings,
            filtered_findings=filtered,
            filtered_alleles=list(
                heapq.merge(
                    small.filtered_alleles,
                    small.not_carried,
                    key=lambda allele: allele.variant.record_index,
                )
            ),
            unclassified=unclassified,
        )
        if config.explain
        else []
    )
    # The SV records in rule genes that gave no fusion go among them in record order.
    listed = list(
        heapq.merge(
            unclassified, structural_unclassified, key=lambda item: item.variant.record_index
        )
    )
    summary = Summary(
        records=small.records,
        alleles=small.alleles_seen,
        skipped_filtered=small.filtered_records,
        skipped_filtered_in_rule_genes=small.filtered_in_rule_genes,
        skipped_filtered_in_rule_genes_by_filter=tuple(
            sorted(
                small.filtered_in_rule_genes_filters.items(), key=lambda item: (-item[1], item[0])
            )
        ),
        alleles_annotated=small.alleles_annotated,
        alleles_in_rule_genes=(
            len(small.alleles)
            + len(small.noted)
            + small.uneventful
            + structural_in_genes
            + len(small.not_carried)
        ),
        # Of those that could change a result: reading does not read the GT of the others
        # (counted among the rule-gene alleles alone); --explain keeps some of those
        # (RuleMatcher.explains), which must not count here either.
        alleles_not_in_sample=sum(1 for allele in small.not_carried if matcher.matters(allele)),
        findings=len(findings),
        unclassified=len(listed) + len(small.noted),
        regions_only=small.regions_only,
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
        unclassified=UnclassifiedList(listed, small.noted) if len(small.noted) else tuple(listed),
        summary=summary,
        filtered_findings=tuple(filtered),
        events=tuple(events),
        notes=tuple(notes),
        tmb=tmb.as_dict() if tmb is not None else None,
        msi=msi.as_dict() if msi is not None else None,
        caller=small.caller,
        near_misses=tuple(near_misses),
        explained=config.explain,
        event_inputs=event_inputs_given(config, small, tmb is not None),
        tumor_type_name=oncotree.get(tumor_type).name,
        command_line=config.command_line,
        subclonal_fraction=config.subclonal_fraction,
    )


def event_inputs_given(
    config: AnnotateConfig, small: SmallVariants, tmb_computed: bool
) -> tuple[str, ...]:
    """The kinds of gene-level event (``EVENT_KINDS``) some input was given for."""
    given = {
        "fusion": config.fusions is not None or bool(small.breakends),
        "copy number": config.cnv is not None,
        "expression": config.expression is not None,
        "MSI": config.msi_status is not None or config.msi_file is not None,
        "TMB": tmb_computed,
    }
    return tuple(kind for kind in EVENT_KINDS if given[kind])


def _snvs_near(
    findings: Sequence[Finding], small: SmallVariants
) -> dict[tuple[str, int], list[Variant]]:
    """The sample's SNVs that may lie in a codon (:func:`may_share_a_codon`: kept alleles,
    noted ones and those kept by place only) within a codon's reach of an SNV finding, by
    chromosome and position, each place's in the order of their records (none but the
    findings' own when no other is)."""
    wanted = {
        (variant.chrom, variant.pos + step)
        for finding in findings
        if (variant := finding.variant) is not None and len(variant.ref) == len(variant.alt) == 1
        for step in range(-CODON_REACH, CODON_REACH + 1)
        if step
    }
    if not wanted:
        return {}
    found = [
        allele.variant
        for allele in small.alleles
        if (allele.variant.chrom, allele.variant.pos) in wanted and may_share_a_codon(allele)
    ]
    found += (
        variant
        for variant in small.noted.variants_at(wanted)
        if len(variant.ref) == len(variant.alt) == 1
    )
    found += small.codon_neighbours.variants_at(wanted)
    near: dict[tuple[str, int], list[Variant]] = {}
    for variant in sorted(found, key=lambda v: (v.record_index, v.alt_index)):
        near.setdefault((variant.chrom, variant.pos), []).append(variant)
    return near


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


def write_outputs(config: AnnotateConfig, results: Sequence[Result]) -> None:
    """All files of all samples appear together, or none does.

    The annotated VCF is written first: an unsorted input leaves an implicit (``--out-dir``)
    ``.vcf.gz`` without index, and the note saying so belongs in the other outputs.
    """
    generated: str | None = None  # the reports' date, once for all of them
    vcf_input = not is_maf(config.input)
    with staged_outputs() as stage:
        for result in results:
            paths = config.output_paths(result.sample, vcf_input=vcf_input)
            if paths.vcf is not None:
                # Lazy (PLC0415): only --out-vcf needs it.
                from annotator.writers.vcf import write_annotated_vcf  # noqa: PLC0415

                note = write_annotated_vcf(
                    result,
                    config.input,
                    paths.vcf,
                    command_line=result.command_line or "",
                    register=stage.add_written,
                    require_sorted=config.out_vcf is not None,
                )
                if note is not None:
                    result = replace(result, notes=(*result.notes, note))  # noqa: PLW2901
            if paths.json is not None:
                stage.add_text(paths.json, partial(write_json, result))
            if paths.tsv is not None:
                stage.add_text(paths.tsv, partial(write_tsv, result))
            if paths.html is None and paths.markdown is None:
                continue
            # Lazy (PLC0415): only the reports need them (and SOURCE_DATE_EPOCH).
            from annotator.writers.html import render_html, report_timestamp  # noqa: PLC0415
            from annotator.writers.markdown import render_markdown  # noqa: PLC0415

            if generated is None:
                generated = report_timestamp()
            if paths.html is not None:
                stage.add_text(paths.html, partial(render_html, result, generated=generated))
            if paths.markdown is not None:
                stage.add_text(
                    paths.markdown, partial(render_markdown, result, generated=generated)
                )
