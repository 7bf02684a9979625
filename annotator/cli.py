"""Command line: click options → a config → ``run()``. The only module that exits.

Exit codes: 0 ok, 1 input or rules error, 2 usage error, 130 interrupted (SIGINT),
143 terminated (SIGTERM). Errors are one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click

from annotator import __version__
from annotator.config import GENOME_CHOICES, AnnotateConfig
from annotator.errors import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    AnnotatorError,
    RulesError,
)
from annotator.models import Result, TumorTypeMatch
from annotator.pipeline import run
from annotator.readers.vcf import set_htslib_messages
from annotator.rules import load_rules
from annotator.writers.json import write_json

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


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
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
@rules_options
@click.option("--include-filtered", is_flag=True, help="Also annotate records that fail FILTER.")
@click.option("--out-json", type=click.Path(path_type=Path), help="Write the JSON result here.")
@click.option("--out-tsv", type=click.Path(path_type=Path), help="Write findings as TSV here.")
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path),
    help="Write DIR/<sample>.findings.json and .findings.tsv.",
)
@debug_option
def annotate(
    input_path: Path,
    tumor_type: str,
    sample: str | None,
    genome: str,
    rule_paths: tuple[Path, ...],
    no_bundled_rules: bool,
    include_filtered: bool,
    out_json: Path | None,
    out_tsv: Path | None,
    out_dir: Path | None,
    debug: bool,
) -> Result:
    """Annotate INPUT (VCF, VCF.gz or BCF) for one tumor sample.

    Without --out-json, --out-tsv or --out-dir the JSON result goes to standard output.
    """

    del debug
    config = AnnotateConfig(
        input=input_path,
        tumor_type=tumor_type,
        sample=sample,
        genome=genome,
        rule_paths=rule_paths,
        bundled_rules=not no_bundled_rules,
        include_filtered=include_filtered,
        out_json=out_json,
        out_tsv=out_tsv,
        out_dir=out_dir,
    )
    result = run(config)
    if out_json is None and out_tsv is None and out_dir is None:
        write_json(result, sys.stdout)
    click.echo(summary_line(result), err=True)
    return result


def summary_line(result: Result) -> str:
    summary = result.summary
    on_label = sum(f.tumor_type_match is TumorTypeMatch.ON_LABEL for f in result.findings)
    return (
        f"{PROG}: sample {result.sample or '(sites only)'} ({result.tumor_type}, {result.genome}): "
        f"{summary.records} records, {summary.skipped_filtered} skipped by FILTER, "
        f"{summary.alleles_in_rule_genes} alleles in rule genes, {summary.findings} findings "
        f"({on_label} on-label), {len(result.therapy_calls)} therapy calls, "
        f"{summary.unclassified} unclassified; rules {result.rules_version} "
        f"sha256:{result.rules_sha256[:12]}"
    )


@cli.group()
def rules() -> None:
    """Check and list the rules."""


@rules.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--no-bundled-rules", is_flag=True, help="Validate only PATHs, without the bundled rules."
)
@debug_option
def rules_validate(paths: tuple[Path, ...], no_bundled_rules: bool, debug: bool) -> None:
    """Validate the bundled rules and any extra rules PATHs; report every error in one pass."""

    del debug
    ruleset = load_rules(paths, bundled=not no_bundled_rules)
    click.echo(
        f"ok: {len(ruleset.rules)} rules, {len(ruleset.genes)} genes in {len(ruleset.files)} "
        f"files; rules version {ruleset.version} sha256:{ruleset.sha256}"
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


@rules.command("list")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "tsv", "json"]),
    default="table",
    show_default=True,
)
@rules_options
@debug_option
def rules_list(
    output_format: str, rule_paths: tuple[Path, ...], no_bundled_rules: bool, debug: bool
) -> None:
    """List the loaded rules."""

    del debug
    ruleset = load_rules(rule_paths, bundled=not no_bundled_rules)
    if output_format == "json":
        payload = {
            "rules": {"version": ruleset.version, "sha256": ruleset.sha256},
            "items": [rule.model_dump(mode="json", exclude_none=True) for rule in ruleset.rules],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    rows = [
        [
            rule.id,
            rule.gene,
            rule.alteration.describe(),
            ",".join(rule.tumor_types.include)
            + (
                "" if not rule.tumor_types.exclude else " not " + ",".join(rule.tumor_types.exclude)
            ),
            rule.effect.value,
            "; ".join(rule.therapies),
            rule.evidence_level.value,
            "; ".join(rule.citations),
        ]
        for rule in ruleset.rules
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (tests call this in-process)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    set_htslib_messages(shown=debug)
    try:
        with sigterm_raises():
            cli.main(args=args, prog_name=PROG, standalone_mode=False)
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
