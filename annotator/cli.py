"""Command line: click options → a config → ``run()``. The only module that exits.

Exit codes: 0 ok, 1 input or rules error, 2 usage error, 130 interrupted (SIGINT),
143 terminated (SIGTERM). Errors are one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import gc
import os

# numpy's OpenBLAS starts a thread per CPU when it is imported, and they spin a while: 0.08 s
# of CPU per run (numpy's import: 0.15 s of CPU against 0.07 s with one thread), taken from
# whatever else runs on the machine. The annotator does no linear algebra; a setting of the
# user's own stays.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Start-up builds some 200,000 long-lived objects (modules, classes, functions, pydantic
# schemas) and next to no garbage, yet the cyclic collector traverses them again and again
# while they are built, and once in full when the bundled OncoTree is read: about 60 ms of a
# demo run. So it is paused while this module's imports run, and what they built is frozen
# (``gc.freeze``: left out of every later collection); ``annotate`` does the same for the
# pipeline's imports (``paused_gc``). A bare ``if`` keeps the imports below "at the top" (E402).
if gc.isenabled():
    gc.disable()
    _RESUME_GC = True
else:
    _RESUME_GC = False

import contextlib
import json
import shlex
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from annotator import __version__
from annotator.config import DEFAULT_TMB_THRESHOLD, GENOME_CHOICES, AnnotateConfig
from annotator.errors import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    AnnotatorError,
    InputError,
    RulesError,
    UsageError,
)
from annotator.models import DEFAULT_SUBCLONAL_FRACTION, Result, Summary, TumorTypeMatch
from annotator.readers.cnv import CopyNumberThresholds
from annotator.readers.expression import ExpressionThresholds
from annotator.readers.htslib_messages import set_htslib_messages
from annotator.readers.vcf_header import CALLER_CHOICES

if _RESUME_GC:
    gc.freeze()
    gc.enable()

#: Whether the process ends when ``main`` returns (the command, :func:`console`).
_RUN_ENDS_PROCESS = False

# The modules of one command are imported inside it when it runs (the PLC0415 exemptions), so
# that start-up stays short: ``annotate`` never imports pandas (cohort), ``--version`` no rules.
if TYPE_CHECKING:
    from pydantic import BaseModel

    from annotator.cohort import CohortOutputs
    from annotator.rules.ruleset import RuleOrigin, RuleSet
    from annotator.rules.schema import Condition, Rule

PROG = "resistance-annotator"
F = TypeVar("F", bound=Callable[..., Any])


class Terminated(BaseException):
    """SIGTERM, raised so that staged outputs are discarded on the way out."""


def debug_option(function: F) -> F:
    return click.option("--debug", is_flag=True, help="Show the Python traceback of an error.")(
        function
    )


def rules_options(function: F) -> F:
    function = click.option(
        "--no-bundled-rules",
        is_flag=True,
        help="Use only the --rules files, not the rules shipped with the tool.",
    )(function)
    return click.option(
        "--rules",
        "rule_paths",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="PATH",
        help="Extra rules file or directory (repeatable); added to the bundled rules.",
    )(function)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name=PROG)
def cli() -> None:
    """Annotate tumor variants with cited drug resistance and sensitivity implications.

    Research use only: not for clinical decision making.
    """


PATH = click.Path(path_type=Path)


@cli.command(
    epilog="Environment: RESISTANCE_ANNOTATOR_CACHE_DIR is where the validated rules are kept "
    "between runs (default $XDG_CACHE_HOME/resistance-annotator or "
    "~/.cache/resistance-annotator); set it empty to read and validate them on every run."
)
@click.argument("input_path", metavar="INPUT", type=PATH)
@click.option(
    "--tumor-type", required=True, metavar="ONCOTREE_CODE", help="Tumor type (e.g. LUAD)."
)
@click.option("--sample", help="Tumor sample column (default: ##tumor_sample, else the only one).")
@click.option(
    "--genome",
    type=click.Choice(GENOME_CHOICES),
    default="auto",
    show_default=True,
    help="Genome build; auto reads the ##contig lengths.",
)
@click.option(
    "--caller",
    type=click.Choice(CALLER_CHOICES),
    default="auto",
    show_default=True,
    help="Variant caller whose FORMAT fields give VAF and depth; auto reads the header.",
)
@click.option(
    "--reference",
    type=PATH,
    help="Reference FASTA: left-normalize unannotated indels; with --gff, call consequences.",
)
@click.option("--gff", type=PATH, help="Ensembl GFF3: annotate the VCF with bcftools csq first.")
@rules_options
@click.option(
    "--include-filtered",
    is_flag=True,
    help="Also annotate records (and MAF rows) that fail FILTER.",
)
@click.option("--min-vaf", type=float, help="Set aside findings below this VAF (reported).")
@click.option("--min-depth", type=int, help="Set aside findings below this depth (reported).")
@click.option("--fusions", type=PATH, help="Arriba, STAR-Fusion or simple fusion TSV.")
@click.option("--cnv", type=PATH, help="CNVkit .cns, CNV VCF or gene copy-number TSV.")
@click.option(
    "--amplification-cn",
    type=float,
    help="Copy number called amplification [default: 2.5 x ploidy].",
)
@click.option(
    "--deletion-cn", type=float, default=0.0, show_default=True, help="Deep deletion at or below."
)
@click.option("--ploidy", type=float, default=2.0, show_default=True, help="For log2 to CN.")
@click.option("--purity", type=float, default=1.0, show_default=True, help="For log2 to CN.")
@click.option("--expression", type=PATH, help="Gene expression TSV (TPM, z-score or call).")
@click.option(
    "--expression-high-z", type=float, default=2.0, show_default=True, help="Overexpression z."
)
@click.option(
    "--expression-low-z", type=float, default=-2.0, show_default=True, help="Underexpression z."
)
@click.option("--expression-high-tpm", type=float, help="Overexpression at TPM at or above.")
@click.option("--expression-low-tpm", type=float, help="Underexpression at TPM at or below.")
@click.option("--msi-status", help="MSI-H, MSI-L or MSS.")
@click.option("--msi-file", type=PATH, help="MSIsensor(-pro/2) score file.")
@click.option("--msi-threshold", type=float, help="MSIsensor score (%) for MSI-H [default: 10].")
@click.option(
    "--panel-size-mb", type=float, help="Sequenced territory in Mb; computes TMB from the VCF."
)
@click.option(
    "--tmb-threshold",
    type=float,
    default=DEFAULT_TMB_THRESHOLD,
    show_default=True,
    help="TMB-high at or above this many mutations per Mb.",
)
@click.option(
    "--bam",
    type=PATH,
    help="Tumor BAM/CRAM (indexed; CRAM needs --reference): read-backed cis/trans phase for "
    "rules that need it when the VCF does not phase the pair.",
)
@click.option(
    "--subclonal-fraction",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=DEFAULT_SUBCLONAL_FRACTION,
    show_default=True,
    help="Flag findings whose VAF is below this fraction of the highest on-label sensitivity "
    "VAF as subclonal (flag only).",
)
@click.option(
    "--explain",
    is_flag=True,
    help="List near misses: rule-gene alterations that fired no rule on-label, and why.",
)
@click.option("--out-json", type=PATH, help="Write the JSON result here.")
@click.option("--out-tsv", type=PATH, help="Write findings as TSV here.")
@click.option("--out-vcf", type=PATH, help="Annotated VCF (bgzip + tabix index when .gz).")
@click.option("--out-html", type=PATH, help="Self-contained HTML report.")
@click.option("--out-md", type=PATH, help="The report as Markdown.")
@click.option(
    "--out-dir",
    type=PATH,
    help="Write DIR/<sample>.findings.json, .findings.tsv, .report.html, .report.md and, "
    "for a VCF, .annotated.vcf.gz.",
)
@click.option(
    "--index/--no-index",
    "use_index",
    default=None,
    help="Read only the rule regions of a VCF.gz/BCF through its .tbi/.csi index, or every "
    "record [default: the regions, for an indexed input over 1 MB when no TMB, annotated VCF "
    "or --explain needs every record].",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Processes reading the input: with 2 or more, a BGZF input of 16 MB or more is read "
    "in two parts side by side (Linux) [default: 2 when two CPUs are usable].",
)
@click.option("--quiet", is_flag=True, help="No progress line on stderr (the summary line stays).")
@debug_option
def annotate(input_path: Path, **options: Any) -> list[Result]:
    """Annotate INPUT (VCF, VCF.gz, BCF, or a MAF) for its tumor sample(s).

    Without any --out-* option the JSON result goes to standard output (a MAF with several
    samples then needs --sample or --out-dir).
    """
    with paused_gc("annotator.pipeline"):
        from annotator.pipeline import run  # noqa: PLC0415 - lazy: see the imports
        from annotator.writers.json import write_json  # noqa: PLC0415

    if _RUN_ENDS_PROCESS:
        # Nothing the run makes outlives it, and it makes no garbage cycles to speak of: the
        # collector's passes over the alleles read would only cost time (v5m: 60-130 ms for
        # the one the pipeline's own pause leaves, when it is over). Library callers of
        # ``main`` keep their collector.
        gc.disable()
    context = click.get_current_context()
    root = context.find_root()
    argv = root.obj.get("argv", ()) if isinstance(root.obj, dict) else ()
    refuse_repeated_options(context.command, argv)
    config = annotate_config(input_path, options, argv)
    if not config.output_paths(None).any:
        config = replace(config, single_sample_to_stdout=True)
    results = run(config)
    if config.single_sample_to_stdout:
        write_json(results[0], sys.stdout)
    for result in results:
        click.echo(summary_line(result), err=True)
    return results


def refuse_repeated_options(command: click.Command, argv: Sequence[str]) -> None:
    """A UsageError for an option of one value given more than once: click keeps the last,
    so ``--fusions arriba.tsv --fusions star-fusion.tsv`` read STAR-Fusion's file alone."""
    single = {
        opt: param
        for param in command.params
        if isinstance(param, click.Option) and not (param.multiple or param.is_flag or param.count)
        for opt in param.opts
    }
    seen: dict[str, str] = {}
    for argument in argv:
        if argument == "--":
            break
        opt = argument.split("=", 1)[0]
        param = single.get(opt)
        if param is None or param.name is None:
            continue
        if param.name in seen:
            raise UsageError(
                f"{seen[param.name]} is given more than once; it takes one value",
                hint="give it once: a later value would replace an earlier one",
            )
        seen[param.name] = opt


def annotate_config(
    input_path: Path, options: dict[str, Any], argv: Sequence[str] = ()
) -> AnnotateConfig:
    """The click options of ``annotate`` as a frozen configuration."""
    return AnnotateConfig(
        input=input_path,
        tumor_type=options["tumor_type"],
        sample=options["sample"],
        genome=options["genome"],
        caller=options["caller"],
        reference=options["reference"],
        gff=options["gff"],
        rule_paths=options["rule_paths"],
        bundled_rules=not options["no_bundled_rules"],
        include_filtered=options["include_filtered"],
        min_vaf=options["min_vaf"],
        min_depth=options["min_depth"],
        fusions=options["fusions"],
        cnv=options["cnv"],
        cnv_thresholds=CopyNumberThresholds(
            amplification_cn=options["amplification_cn"],
            deletion_cn=options["deletion_cn"],
            ploidy=options["ploidy"],
            purity=options["purity"],
        ),
        expression=options["expression"],
        expression_thresholds=ExpressionThresholds(
            high_zscore=options["expression_high_z"],
            low_zscore=options["expression_low_z"],
            high_tpm=options["expression_high_tpm"],
            low_tpm=options["expression_low_tpm"],
        ),
        msi_status=options["msi_status"],
        msi_file=options["msi_file"],
        msi_threshold=options["msi_threshold"],
        panel_size_mb=options["panel_size_mb"],
        tmb_threshold=options["tmb_threshold"],
        bam=options["bam"],
        subclonal_fraction=options["subclonal_fraction"],
        explain=options["explain"],
        out_json=options["out_json"],
        out_tsv=options["out_tsv"],
        out_dir=options["out_dir"],
        out_vcf=options["out_vcf"],
        out_html=options["out_html"],
        out_md=options["out_md"],
        command_line=shlex.join([PROG, *argv]),
        use_index=options["use_index"],
        show_progress=not options["quiet"],
        threads=options["threads"],
        # Only the reports show the VAF and depth of every unclassified variant.
        unclassified_evidence=any(
            options[key] is not None for key in ("out_dir", "out_html", "out_md")
        ),
    )


def _in_rule_genes(summary: Summary) -> str:
    """' (N in rule genes: weak_evidence N, ...)' for records in rule genes skipped by
    FILTER, with their three most frequent FILTER names."""
    count = summary.skipped_filtered_in_rule_genes
    if not count:
        return ""
    named = summary.skipped_filtered_in_rule_genes_by_filter
    names = ", ".join(f"{name} {times}" for name, times in named[:3])
    more = ", ..." if len(named) > 3 else ""
    return f" ({count} in rule genes: {names}{more})" if names else f" ({count} in rule genes)"


def _not_in_sample(summary: Summary) -> str:
    """' (N not in the sample's GT or reads)' for rule-gene alleles the tumor sample lacks."""
    count = summary.alleles_not_in_sample
    return f" ({count} not in the sample's GT or reads)" if count else ""


def summary_line(result: Result) -> str:
    summary = result.summary
    on_label = sum(f.tumor_type_match is TumorTypeMatch.ON_LABEL for f in result.findings)
    return (
        f"{PROG}: sample {result.sample or '(sites only)'} ({result.tumor_type}, {result.genome}): "
        f"{summary.records} records{' in rule regions' if summary.regions_only else ''}, "
        f"{summary.skipped_filtered} skipped by FILTER{_in_rule_genes(summary)}, "
        f"{summary.alleles_in_rule_genes} alleles in rule genes{_not_in_sample(summary)}, "
        f"{summary.findings} findings "
        f"({on_label} on-label), {len(result.events)} gene-level events, "
        f"{len(result.therapy_calls)} therapy calls, "
        f"{summary.unclassified} unclassified; rules {result.rules_version} "
        f"sha256:{result.rules_sha256[:12]}"
    )


@cli.group()
def rules() -> None:
    """Check, list, show and compare the rules."""


@rules.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--no-bundled-rules", is_flag=True, help="Validate only PATHs, without the bundled rules."
)
@debug_option
def rules_validate(paths: tuple[Path, ...], no_bundled_rules: bool, debug: bool) -> None:
    """Validate the bundled rules and any extra rules PATHs; report every error in one pass."""

    from annotator.rules import load_rules  # noqa: PLC0415 - lazy: see the imports

    del debug
    ruleset = load_rules(paths, bundled=not no_bundled_rules)
    click.echo(
        f"ok: {len(ruleset.rules)} rules, {len(ruleset.genes)} genes, {len(ruleset.drugs)} "
        f"drugs, {len(ruleset.hotspots)} hotspots in {len(ruleset.files)} files; "
        f"rules version {ruleset.version} sha256:{ruleset.sha256}"
    )


RULE_COLUMNS = (
    "id",
    "gene",
    "alteration",
    "tumor_types",
    "effect",
    "therapies",
    "evidence_level",
    "citations",
)
#: The version of the JSON written by ``rules list`` and ``rules diff``.
RULES_JSON_SCHEMA_VERSION = "1.0"


@rules.command("list")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "tsv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--gene", help="Only rules of this gene or with it as a fusion partner.")
@click.option(
    "--drug", help="Only rules naming this drug: generic or brand name, synonym or drug class."
)
@click.option(
    "--tumor-type",
    metavar="ONCOTREE_CODE",
    help="Only rules on-label for this tumor type (e.g. LUAD).",
)
@rules_options
@debug_option
def rules_list(
    output_format: str,
    gene: str | None,
    drug: str | None,
    tumor_type: str | None,
    rule_paths: tuple[Path, ...],
    no_bundled_rules: bool,
    debug: bool,
) -> None:
    """List the loaded rules, optionally only those matching every filter given."""
    from annotator.rules import load_rules  # noqa: PLC0415 - lazy: see the imports

    del debug
    ruleset = load_rules(rule_paths, bundled=not no_bundled_rules)
    selected = select_listed_rules(ruleset, gene=gene, drug=drug, tumor_type=tumor_type)
    if output_format == "json":
        payload = {
            "schema_version": RULES_JSON_SCHEMA_VERSION,
            "tool_version": __version__,
            "rules": {"version": ruleset.version, "sha256": ruleset.sha256},
            "items": [rule_to_dict(rule) for rule in selected],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    rows = [
        [
            rule.id,
            rule.gene,
            rule.alteration.describe(),
            describe_tumor_types(rule),
            rule.effect.value,
            "; ".join(rule.therapies),
            rule.evidence_level.value,
            "; ".join(rule.citations),
        ]
        for rule in selected
    ]
    if output_format == "tsv":
        click.echo("\t".join(RULE_COLUMNS))
        for row in rows:
            click.echo("\t".join(row))
        return
    widths = [max(len(str(v)) for v in column) for column in zip(RULE_COLUMNS, *rows, strict=True)]
    for row in [list(RULE_COLUMNS), *rows]:
        click.echo(
            "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        )


def select_listed_rules(
    ruleset: RuleSet, *, gene: str | None, drug: str | None, tumor_type: str | None
) -> tuple[Rule, ...]:
    """The rules ``rules list`` shows; a filter that names nothing known is a usage error."""
    from annotator.rules import query  # noqa: PLC0415 - lazy: see the imports
    from annotator.tumor_types import load_oncotree  # noqa: PLC0415

    if gene is not None and not query.names_known_gene(gene, ruleset):
        raise UsageError(
            f"--gene {gene!r} is not a gene of the rules",
            hint=_did_you_mean(query.suggest(gene, query.known_genes(ruleset))),
        )
    if drug is not None and not query.drug_terms(drug, ruleset):
        raise UsageError(
            f"--drug {drug!r} is not a drug, brand name, synonym or drug class of the rules",
            hint=_did_you_mean(query.suggest(drug, query.known_drug_terms(ruleset))),
        )
    oncotree = load_oncotree()
    code = oncotree.require(tumor_type).code if tumor_type is not None else None
    return query.select_rules(ruleset, gene=gene, drug=drug, tumor_type=code, oncotree=oncotree)


def _did_you_mean(close: Sequence[str]) -> str | None:
    return f"did you mean {', '.join(close)}?" if close else None


def describe_tumor_types(rule: Rule) -> str:
    """``NSCLC`` or ``NSCLC not LUSC``."""
    text = ",".join(rule.tumor_types.include)
    if rule.tumor_types.exclude:
        text += " not " + ",".join(rule.tumor_types.exclude)
    return text


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """One item of ``rules list --format json`` (YAML names: ``with``, not ``with_``)."""

    def dump(model: BaseModel) -> Any:
        return model.model_dump(mode="json", by_alias=True, exclude_none=True)

    return {
        "id": rule.id,
        "gene": rule.gene,
        "alteration": dump(rule.alteration),
        "alteration_text": rule.alteration.describe(),
        "effect": rule.effect.value,
        "therapies": list(rule.therapies),
        "evidence_level": rule.evidence_level.value,
        "tumor_types": dump(rule.tumor_types),
        "citations": list(rule.citations),
        "notes": rule.notes,
        "examples": [dump(example) for example in rule.examples],
        "requires": [dump(condition) for condition in rule.requires],
        "excludes": [dump(condition) for condition in rule.excludes],
    }


@rules.command("show")
@click.argument("rule_id", metavar="ID")
@rules_options
@debug_option
def rules_show(
    rule_id: str, rule_paths: tuple[Path, ...], no_bundled_rules: bool, debug: bool
) -> None:
    """Show one rule: every field, its drugs' classes, where it was read from, its examples.

    An unknown ID is an error (exit 1) that suggests close ids.
    """
    from annotator.rules import load_rules, query  # noqa: PLC0415 - lazy: see the imports

    del debug
    ruleset = load_rules(rule_paths, bundled=not no_bundled_rules)
    rule = next((r for r in ruleset.rules if r.id == rule_id), None)
    if rule is None:
        close = query.suggest(rule_id, [r.id for r in ruleset.rules], limit=5)
        raise InputError(f"no rule with id {rule_id!r}", hint=_did_you_mean(close))
    for line in format_rule(rule, ruleset):
        click.echo(line)


def format_rule(rule: Rule, ruleset: RuleSet) -> list[str]:
    """The readable view of ``rules show``: ``label: value`` lines, lists one item a line."""
    from annotator.rules.ruleset import split_regimen  # noqa: PLC0415 - lazy: see the imports

    origin = ruleset.origin(rule.id)
    drugs = dict.fromkeys(d for t in rule.therapies for d in split_regimen(t))
    classes = []
    for name in drugs:
        drug = ruleset.drug_lookup(name)
        text = f"{name}: {', '.join(drug.classes)}" if drug else f"{name}: (not in the drug table)"
        if drug and drug.brand_names:
            text += f" (brand names: {', '.join(drug.brand_names)})"
        classes.append(text)
    examples = []
    for example in rule.examples:
        text = f"{example.alteration} in {example.tumor_type}"
        if example.with_:
            text += f", with {', '.join(example.with_)}"
        if example.conflicts:
            text += f"; conflicts: {', '.join(example.conflicts)}"
        examples.append(text)
    fields: list[tuple[str, str | list[str]]] = [
        ("gene", rule.gene),
        ("alteration", f"{rule.alteration.describe()} [{rule.alteration.kind}]"),
        ("requires", [_describe_condition(c) for c in rule.requires] or "(none)"),
        ("excludes", [_describe_condition(c) for c in rule.excludes] or "(none)"),
        ("tumor types", _describe_on_label(rule)),
        ("effect", rule.effect.value),
        ("therapies", list(rule.therapies)),
        ("drug classes", classes),
        ("evidence level", f"{rule.evidence_level.value} (AMP/ASCO/CAP 2017)"),
        ("citations", list(rule.citations)),
        ("notes", " ".join((rule.notes or "(none)").split())),
        ("examples", examples),
        ("loaded from", _shown_origin(origin) if origin else "(not recorded)"),
    ]
    width = max(len(label) for label, _ in fields) + 2
    lines = [f"rule {rule.id}"]
    for label, value in fields:
        values = value if isinstance(value, list) else [value]
        for index, text in enumerate(values):
            head = f"{label}:" if index == 0 else ""
            lines.append(f"  {head.ljust(width)}{text}")
    return lines


def _describe_condition(condition: Condition) -> str:
    """``BRCA2 loss_of_function, at a residue of the rule's allele``: what the rule's
    condition asks for, with its phase and place."""
    text = f"{condition.gene} {condition.describe()}"
    if condition.phase is not None:
        text += f", in {condition.phase} with the rule's allele"
    if condition.within_rule_allele:
        text += ", at a residue of the rule's allele (or next to one)"
    return text


def _describe_on_label(rule: Rule) -> str:
    include = ", ".join(rule.tumor_types.include)
    text = (
        "any tumor type (ALL)"
        if include == "ALL"
        else f"{include} (and the types below them in OncoTree)"
    )
    if rule.tumor_types.exclude:
        text += f", except {', '.join(rule.tumor_types.exclude)}"
    return text


def _shown_origin(origin: RuleOrigin) -> str:
    path = origin.path
    with contextlib.suppress(ValueError):
        path = path.absolute().relative_to(Path.cwd())
    return f"{path}:{origin.line}"


@rules.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@debug_option
def rules_diff(old: Path, new: Path, output_format: str, debug: bool) -> None:
    """Compare two rules files or directories, OLD and NEW, each loaded on its own.

    Lists rules, genes, drugs and hotspots added (+), removed (-) and changed (~, one line per
    field), then a summary. The bundled rules are not added to either side. The exit code is 0
    whether or not there are differences, 1 when either side does not load.
    """
    from annotator.rules import load_rules  # noqa: PLC0415 - lazy: see the imports
    from annotator.rules.diff import (  # noqa: PLC0415
        diff_rule_sets,
        diff_to_dict,
        format_diff,
    )

    del debug
    loaded: list[RuleSet] = []
    problems: list[str] = []
    for path in (old, new):
        try:
            loaded.append(load_rules([path], bundled=False))
        except RulesError as error:
            problems.extend(error.problems or [str(error)])
    if problems:
        count = len(problems)
        raise RulesError(
            f"found {count} problem{'s' if count != 1 else ''} in the rules to compare",
            problems=problems,
        )
    difference = diff_rule_sets(*loaded)
    if output_format == "json":
        payload = {
            "schema_version": RULES_JSON_SCHEMA_VERSION,
            "tool_version": __version__,
            **diff_to_dict(difference, str(old), str(new)),
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for line in format_diff(difference, str(old), str(new)):
        click.echo(line)


@cli.command("cohort")
@click.argument("json_paths", metavar="JSON...", nargs=-1, required=True, type=PATH)
@click.option(
    "--out-dir",
    required=True,
    type=PATH,
    help="Write cohort.findings.tsv, cohort.therapy_calls.tsv and cohort.report.html here.",
)
@debug_option
def cohort(json_paths: tuple[Path, ...], out_dir: Path, debug: bool) -> CohortOutputs:
    """Build the cohort outputs from the per-sample JSON results of annotate.

    A sample is named after its file (S1.findings.json is S1). The report links to each
    sample's S.report.html when it sits next to the JSON.
    """
    from annotator.cohort import build_cohort, write_cohort  # noqa: PLC0415 - lazy: pandas

    del debug
    result = build_cohort(json_paths)
    outputs = write_cohort(result, out_dir)
    click.echo(
        f"{PROG}: cohort of {len(result.samples)} samples: {len(result.findings)} findings, "
        f"{len(result.therapy_calls.columns)} therapies with a call, "
        f"{len(result.markers)} resistance markers; wrote {out_dir}",
        err=True,
    )
    return outputs


@contextlib.contextmanager
def paused_gc(module: str) -> Iterator[None]:
    """Import ``module`` (the block's imports) with the cyclic collector paused, then freeze.

    Only the first time, in a process whose collector is on: see the comment on the imports.
    """
    if module in sys.modules or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into an exception so that cleanup runs, then restore the handler."""

    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. called from a test thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def console() -> NoReturn:
    """The installed command and ``python -m annotator``: :func:`main`, then a quick exit.

    Every output is complete and closed when ``main`` returns (staged files are renamed into
    place inside it), so the interpreter's teardown, which frees the objects of a large input
    one by one (0.2 s after a 1M-record VEP-annotated VCF), is skipped once the standard
    streams are flushed. Should flushing fail (a closed pipe), the usual exit runs instead.
    For the same reason ``annotate`` runs without the cyclic garbage collector here.
    """
    global _RUN_ENDS_PROCESS  # noqa: PLW0603 (set once, by the command only)
    _RUN_ENDS_PROCESS = True
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (tests call this in-process)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    set_htslib_messages(shown=debug)
    try:
        with sigterm_raises():
            cli.main(args=args, prog_name=PROG, standalone_mode=False, obj={"argv": args})
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE if isinstance(error, click.UsageError) else error.exit_code
    except click.Abort:
        click.echo(f"{PROG}: interrupted", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo(f"{PROG}: interrupted", err=True)
        return EXIT_INTERRUPTED
    except Terminated:
        click.echo(f"{PROG}: terminated", err=True)
        return EXIT_TERMINATED
    except RulesError as error:
        if debug:
            traceback.print_exc()
        click.echo(f"{PROG}: error: {error}", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        return error.exit_code
    except AnnotatorError as error:
        if debug:
            traceback.print_exc()
        click.echo(f"{PROG}: error: {error}", err=True)
        return error.exit_code
    except Exception as error:  # an unforeseen failure: one line, traceback with --debug
        if debug:
            traceback.print_exc()
        message = " ".join(str(error).split()) or type(error).__name__
        click.echo(
            f"{PROG}: internal error: {type(error).__name__}: {message} "
            "(rerun with --debug for the traceback and report it)",
            err=True,
        )
        return EXIT_INPUT
    return EXIT_OK
