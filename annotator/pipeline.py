"""``run(config)``: the annotate steps in order, no click.

read (``annotator.inputs``) → resolve consequence → match rules → interpret → write.

Findings below ``--min-vaf``/``--min-depth`` are set aside, reported as filtered, and make no
therapy call.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from annotator import __version__
from annotator.biomarkers import check_tmb_options
from annotator.config import AnnotateConfig
from annotator.errors import UsageError
from annotator.inputs import SmallVariants, read_events, read_samples
from annotator.interpret import call_therapies
from annotator.matcher import RuleMatcher, find_unclassified
from annotator.models import Finding, Result, Summary, Variant
from annotator.rules import RuleSet, load_rules
from annotator.tumor_types import OncoTree, load_oncotree
from annotator.writers.atomic import staged_outputs
from annotator.writers.json import write_json
from annotator.writers.tsv import write_tsv


def run(config: AnnotateConfig) -> list[Result]:
    """Annotate every tumor sample of the input and write the requested outputs."""
    check_tmb_options(config.panel_size_mb, config.tmb_threshold)
    oncotree = load_oncotree()
    tumor_type = oncotree.require(config.tumor_type).code
    rules = load_rules(config.rule_paths, bundled=config.bundled_rules, oncotree=oncotree)
    samples = read_samples(config, rules)
    one_file = config.out_json is not None or config.out_tsv is not None
    if len(samples) > 1 and (one_file or config.single_sample_to_stdout):
        raise UsageError(
            f"the input has {len(samples)} samples, and --out-json, --out-tsv and standard "
            "output take one",
            hint="use --out-dir (one set of files per sample) or choose one with --sample",
        )
    results = [annotate(config, rules, tumor_type, oncotree, small) for small in samples]
    write_outputs(config, results)
    return results


def annotate(
    config: AnnotateConfig,
    rules: RuleSet,
    tumor_type: str,
    oncotree: OncoTree,
    small: SmallVariants,
) -> Result:
    """Match, interpret and summarize one tumor sample."""
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
    """All files of all samples appear together, or none does."""
    with staged_outputs() as stage:
        for result in results:
            json_path, tsv_path = config.output_paths(result.sample)
            if json_path is not None:
                stage.add_text(json_path, partial(write_json, result))
            if tsv_path is not None:
                stage.add_text(tsv_path, partial(write_tsv, result))
