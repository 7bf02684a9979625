# resistance-annotator workflow: annotate every sample of a sample sheet, then build the cohort.
#
#   snakemake -s path/to/Snakefile --directory DIR --cores N \
#       --config samples=samples.tsv outdir=results
#
# Config keys (--config, --configfile, or a config.yaml next to this Snakefile or in the working
# directory; config/config.yaml documents each one):
#   samples  TSV with columns sample, tumor_type, vcf or maf (one per row) and optional
#            fusions, cnv, bam, expression, msi (a status or an MSIsensor file), genome,
#            vcf_sample (the VCF's or MAF's sample to annotate: --sample); relative paths in
#            it are relative to the sheet's directory
#   outdir   where results go (default "results")
#   rules    extra rules files or directories (a path or a list), passed as --rules
#   extra    extra options for `resistance-annotator annotate` (a string, or a list of words)
#
# Uses the `resistance-annotator` on PATH; its version and the rules' version and sha256 (asked
# once per run) are recorded with each sample, so that a change reruns it. Research use only.
# See README, "Pipeline (Snakemake) and cohorts", for SLURM, Kubernetes and use as a module.

import csv
import functools
import os
import re
import shlex
import subprocess
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

min_version("8.0")


for _candidate in (Path(workflow.basedir) / "config.yaml", Path("config.yaml")):
    if _candidate.is_file():

        configfile: str(_candidate)


REQUIRED_COLUMNS = ("sample", "tumor_type")
INPUT_COLUMNS = ("vcf", "maf")  # one of them per row: the variants to annotate
#: Columns naming a file of the tumor, as the input of that name and the option passing it.
FILE_OPTIONS = {
    "fusions": "--fusions",
    "cnv": "--cnv",
    "bam": "--bam",
    "expression": "--expression",
    "msi_file": "--msi-file",  # from the msi column
}
OPTIONAL_COLUMNS = ("fusions", "cnv", "bam", "expression", "msi", "genome", "vcf_sample")
COLUMNS = (*REQUIRED_COLUMNS, *INPUT_COLUMNS, *OPTIONAL_COLUMNS)
MSI_STATUSES = ("MSI-H", "MSI-L", "MSS")  # an msi cell that is not one of them is a file
MAF_SUFFIXES = (".maf", ".maf.gz")
RESERVED_NAMES = ("cohort", "logs")  # directories of OUTDIR that are not samples
INDEX_SUFFIXES = (".bai", ".crai", ".csi")


def as_list(value):
    """A config value given as one item, a list, or nothing."""
    if value is None or value == "":
        return []
    return [str(item) for item in value] if isinstance(value, (list, tuple)) else [str(value)]


def canonical_path(path):
    """One spelling per file, however the sheet or path was given (`x`, `./x`, `/work/x`):
    relative to the working directory inside it (as a storage plugin maps paths), absolute
    outside it; normalized, symbolic links kept. A URL is left as it is."""
    if "://" in path:
        return path
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if relative == ".." or relative.startswith("../") else relative


def sheet_path(sheet, value):
    """A path from the sample sheet: relative ones are relative to the sheet's directory."""
    if "://" in value:
        return value
    return canonical_path(os.path.join(os.path.dirname(sheet), value))


def read_sample_sheet(sheet):
    """The sample sheet as {sample: {column: value}}; every problem is one WorkflowError naming
    the sheet and the line (as an editor numbers it: comment and blank lines count)."""
    lines = sheet_lines(sheet)
    if not lines:
        raise WorkflowError(f"{sheet}: no header line (columns sample, tumor_type, vcf or maf)")
    (_, columns), *rows = lines
    check_columns(sheet, columns)
    samples = {}
    for number, cells in rows:
        where = f"{sheet}, line {number}"
        extra = [cell for cell in cells[len(columns) :] if cell.strip()]
        if extra:
            raise WorkflowError(
                f"{where}: {len(cells)} cells, the header has {len(columns)} columns"
                f" (extra cell {extra[0]!r}; a tab too many?)"
            )
        row = {column: cell.strip() for column, cell in zip(columns, cells)}
        row = {column: row.get(column, "") for column in columns}  # a short row: empty cells
        if row["sample"] in samples:
            raise WorkflowError(f"{where}: sample {row['sample']!r} is listed twice")
        same = [name for name in samples if name.casefold() == row["sample"].casefold()]
        if same:
            raise WorkflowError(
                f"{where}: sample {row['sample']!r} differs from {same[0]!r} only in case: "
                "their directories would be one on a case-insensitive file system (macOS, Windows)"
            )
        samples[row["sample"]] = sample_row(sheet, where, row)
    if not samples:
        raise WorkflowError(f"{sheet}: no samples listed")
    return samples


def sheet_lines(sheet):
    """(line number, cells) of the sheet's lines that are neither blank nor comments; a UTF-8
    byte order mark (spreadsheet exports) is dropped."""
    if not os.path.isfile(sheet):
        raise WorkflowError(
            f"samples: {sheet}: no such file (relative to the working directory {os.getcwd()})"
        )
    with open(sheet, newline="", encoding="utf-8-sig") as handle:
        return [
            (number, next(csv.reader([line.rstrip("\r\n")], delimiter="\t")))
            for number, line in enumerate(handle, start=1)
            if line.strip() and not line.startswith("#")
        ]


def check_columns(sheet, columns):
    """Every required column and a vcf or maf column; no unknown one."""
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if not any(c in columns for c in INPUT_COLUMNS):
        missing.append(" or ".join(INPUT_COLUMNS))
    unknown = [c for c in columns if c not in COLUMNS]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise WorkflowError(f"{sheet}: column(s) {', '.join(repeated)} given twice")
    if missing or unknown:
        raise WorkflowError(
            f"{sheet}: "
            + "; ".join(
                ([f"missing column(s) {', '.join(missing)}"] if missing else [])
                + ([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
            )
            + f" (columns: {', '.join(REQUIRED_COLUMNS)}, vcf or maf, optional"
            f" {', '.join(OPTIONAL_COLUMNS)}; tab-separated)"
        )


def sample_row(sheet, where, row):
    """One checked row: paths made relative to the sheet, `msi` split into msi_status or
    msi_file."""
    name = row["sample"]
    if not name or name.startswith(".") or name in RESERVED_NAMES or re.search(r"[/#\s]", name):
        raise WorkflowError(
            f"{where}: sample name {name!r} is not allowed: no slash, '#' or space, not starting"
            " with a dot, not 'cohort' or 'logs' (it names a directory, and '#' starts a comment"
            " when the cohort tables are read)"
        )
    if not row["tumor_type"]:
        raise WorkflowError(f"{where}: sample {name!r} has no tumor_type")
    given = [column for column in INPUT_COLUMNS if row.get(column)]
    if len(given) != 1:
        problem = "both a vcf and a maf (give one)" if given else "no vcf or maf"
        raise WorkflowError(f"{where}: sample {name!r} has {problem}")
    if row.get("vcf", "").lower().endswith(MAF_SUFFIXES):
        raise WorkflowError(f"{where}: sample {name!r}: {row['vcf']} is a MAF: give it as maf")
    msi = row.pop("msi", "")
    if msi.upper() in MSI_STATUSES:
        row["msi_status"] = msi.upper()
    elif re.fullmatch(r"(?i)ms[is][\w -]*", msi) and not os.path.exists(sheet_path(sheet, msi)):
        # A status spelt another way (MSI-High, MSI_H, MSS stable), not a missing file's name.
        raise WorkflowError(
            f"{where}: sample {name!r}: msi {msi!r} is none of {', '.join(MSI_STATUSES)}"
            " (a status) and no file (an MSIsensor score file)"
        )
    elif msi:
        row["msi_file"] = msi
    for column in (*INPUT_COLUMNS, *FILE_OPTIONS):
        if row.get(column):
            row[column] = sheet_path(sheet, row[column])
    return row


if not config.get("samples"):
    raise WorkflowError(
        "no sample sheet: give --config samples=samples.tsv (or samples: in a config file);"
        " see config/config.yaml"
    )
SAMPLE_SHEET = str(config["samples"])
SAMPLES = read_sample_sheet(SAMPLE_SHEET)
OUTDIR = str(config.get("outdir") or "results").rstrip("/")
RULE_PATHS = [canonical_path(path) for path in as_list(config.get("rules"))]
_extra = config.get("extra") or ""
EXTRA = (
    " ".join(shlex.quote(word) for word in as_list(_extra))
    if isinstance(_extra, (list, tuple))
    else str(_extra)
)


def rules_arguments(rule_paths, extra):
    """The `rules validate` arguments naming the rules `annotate` uses: the config's rules and
    any --rules PATH or --no-bundled-rules among the extra options."""
    try:
        words = shlex.split(extra)
    except ValueError as error:
        raise WorkflowError(f"extra: {extra!r}: {error}")
    arguments = [*rule_paths]
    for index, word in enumerate(words):
        if word == "--rules" and index + 1 < len(words):
            arguments.append(words[index + 1])
        elif word.startswith("--rules="):
            arguments.append(word.split("=", 1)[1])
        elif word == "--no-bundled-rules":
            arguments.append(word)
    return tuple(arguments)


def run_annotator(*words):
    """The standard output of `resistance-annotator WORDS` (the one on PATH, as the jobs run)."""
    command = ["resistance-annotator", *words]
    try:
        process = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise WorkflowError("resistance-annotator is not on PATH (pip install resistance-annotator)")
    if process.returncode != 0:
        raise WorkflowError(
            f"`{shlex.join(command)}` exited {process.returncode}:\n{process.stderr.strip()}"
        )
    return process.stdout


@functools.cache
def annotator_identity(rule_arguments):
    """`resistance-annotator, version V; rules version R sha256:H` for these rules: what decides
    an annotation besides its inputs and options. Computed once per workflow run and rules set."""
    version = run_annotator("--version").strip()
    validation = run_annotator("rules", "validate", *rule_arguments)
    rules = re.search(r"rules version \S+ sha256:[0-9a-f]+", validation)
    if not rules:
        raise WorkflowError(f"resistance-annotator rules validate: unexpected output {validation!r}")
    return f"{version}; {rules.group(0)}"


RULE_ARGUMENTS = rules_arguments(RULE_PATHS, EXTRA)

MAF_SAMPLE_SUFFIXES = (".findings.json", ".findings.tsv", ".report.html")
VCF_SAMPLE_SUFFIXES = (
    ".findings.json",
    ".findings.tsv",
    ".annotated.vcf.gz",
    ".annotated.vcf.gz.tbi",
    ".report.html",
)
COHORT_FILES = ("cohort.findings.tsv", "cohort.therapy_calls.tsv", "cohort.report.html")
VCF_SAMPLES = [name for name, row in SAMPLES.items() if row.get("vcf")]
MAF_SAMPLES = [name for name, row in SAMPLES.items() if row.get("maf")]


def one_of(names):
    """A wildcard constraint matching exactly these names (nothing when there are none)."""
    return "|".join(re.escape(name) for name in names) if names else "(?!)"


def sample_outputs(name):
    """A sample's files: a VCF's include the annotated VCF and its index, a MAF's do not."""
    suffixes = VCF_SAMPLE_SUFFIXES if name in VCF_SAMPLES else MAF_SAMPLE_SUFFIXES
    return [f"{OUTDIR}/{name}/{name}{suffix}" for suffix in suffixes]


wildcard_constraints:
    sample=one_of(SAMPLES),


rule all:
    input:
        [path for name in SAMPLES for path in sample_outputs(name)],
        expand(f"{OUTDIR}/cohort/{{file}}", file=COHORT_FILES),
    default_target: True
    localrule: True  # not `localrules: all`, which names no rule once a module prefixes it


def annotate_inputs(wildcards):
    """The sample's files, named: vcf or maf, rules, and fusions, cnv, bam (+ bam_index),
    expression, msi_file if given."""
    row = SAMPLES[wildcards.sample]
    column = "vcf" if row.get("vcf") else "maf"
    inputs = {column: row[column], "rules": RULE_PATHS}
    for name in FILE_OPTIONS:
        if row.get(name):
            inputs[name] = row[name]
    indexes = alignment_indexes(row["bam"]) if row.get("bam") else []
    if indexes:
        inputs["bam_index"] = indexes
    return inputs


def alignment_indexes(path):
    """The index files next to a BAM or CRAM that exist: `x.bam.bai` or Picard's `x.bai`,
    `x.cram.crai` or `x.crai`, `x.bam.csi`."""
    stem = os.path.splitext(path)[0]
    candidates = [path + suffix for suffix in INDEX_SUFFIXES]
    candidates += [stem + suffix for suffix in INDEX_SUFFIXES[:2]] if stem != path else []
    return [index for index in candidates if os.path.exists(index)]


def annotate_options(wildcards):
    """The options of `annotate` that name no sample file, from the sheet's row and the config
    (`extra` last). A function of the wildcards only: Snakemake records it with the outputs and
    reruns a sample whose options changed ("Params have changed")."""
    row = SAMPLES[wildcards.sample]
    words = ["--tumor-type", row["tumor_type"]]
    if row.get("genome"):
        words += ["--genome", row["genome"]]
    if row.get("vcf_sample"):  # a multi-sample VCF or MAF: one row per tumor
        words += ["--sample", row["vcf_sample"]]
    if row.get("msi_status"):
        words += ["--msi-status", row["msi_status"]]
    for path in RULE_PATHS:
        words += ["--rules", path]
    return " ".join([shlex.quote(word) for word in words] + ([EXTRA] if EXTRA else []))


def annotate_file_options(wildcards, input):
    """--fusions, --cnv, --bam, --expression, --msi-file with the paths of the job's input (a
    storage plugin's local copies). Derived from the input, so not recorded: a changed file or
    path is an input change, which reruns the sample by itself."""
    words = []
    for name, option in FILE_OPTIONS.items():
        if name in input.keys():
            words += [option, input[name]]
    return " ".join(shlex.quote(word) for word in words)


def annotate_identity(wildcards):
    """The tool version and the version and sha256 of the rules the sample is annotated with:
    recorded, so that upgrading the tool or changing any rules file (one inside a `rules`
    directory too) reruns the samples. Only the main Snakemake process records it: a cluster
    job's own Snakemake (which runs one job) skips the two calls."""
    if not getattr(workflow, "is_main_process", True):
        return "recorded by the main process"
    return annotator_identity(RULE_ARGUMENTS)


def annotate_command(variants, vcf_output):
    """The shell command of an annotate rule: its input `variants`, the annotated VCF or not."""
    return (
        f"resistance-annotator annotate {{input.{variants}:q}} {{params.options}} {{params.files}}"
        " --threads {threads} --out-json {output.json:q} --out-tsv {output.tsv:q}"
        + (" --out-vcf {output.vcf:q}" if vcf_output else "")
        + " --out-html {output.html:q} > {log:q} 2>&1"
    )


rule annotate:
    """One VCF sample: findings (JSON, TSV), the annotated VCF with its index, the HTML report."""
    input:
        unpack(annotate_inputs),
    output:
        json=f"{OUTDIR}/{{sample}}/{{sample}}.findings.json",
        tsv=f"{OUTDIR}/{{sample}}/{{sample}}.findings.tsv",
        vcf=f"{OUTDIR}/{{sample}}/{{sample}}.annotated.vcf.gz",
        vcf_index=f"{OUTDIR}/{{sample}}/{{sample}}.annotated.vcf.gz.tbi",
        html=f"{OUTDIR}/{{sample}}/{{sample}}.report.html",
    log:
        f"{OUTDIR}/logs/annotate/{{sample}}.log",
    wildcard_constraints:
        sample=one_of(VCF_SAMPLES),
    params:
        options=annotate_options,
        files=annotate_file_options,
        identity=annotate_identity,
    threads: 1
    resources:
        mem_mb=2048,
        runtime=30,
    shell:
        annotate_command("vcf", vcf_output=True)


rule annotate_maf:
    """One MAF sample: findings (JSON, TSV) and the HTML report (no annotated VCF from a MAF)."""
    input:
        unpack(annotate_inputs),
    output:
        json=f"{OUTDIR}/{{sample}}/{{sample}}.findings.json",
        tsv=f"{OUTDIR}/{{sample}}/{{sample}}.findings.tsv",
        html=f"{OUTDIR}/{{sample}}/{{sample}}.report.html",
    log:
        f"{OUTDIR}/logs/annotate/{{sample}}.log",
    wildcard_constraints:
        sample=one_of(MAF_SAMPLES),
    params:
        options=annotate_options,
        files=annotate_file_options,
        identity=annotate_identity,
    threads: 1
    resources:
        mem_mb=2048,
        runtime=30,
    shell:
        annotate_command("maf", vcf_output=False)


rule cohort:
    """All samples: the findings table, the sample x therapy call matrix, the cohort report."""
    input:
        json=expand(f"{OUTDIR}/{{sample}}/{{sample}}.findings.json", sample=SAMPLES),
        html=expand(f"{OUTDIR}/{{sample}}/{{sample}}.report.html", sample=SAMPLES),
    output:
        findings=f"{OUTDIR}/cohort/cohort.findings.tsv",
        therapy_calls=f"{OUTDIR}/cohort/cohort.therapy_calls.tsv",
        html=f"{OUTDIR}/cohort/cohort.report.html",
    log:
        f"{OUTDIR}/logs/cohort.log",
    params:
        out_dir=lambda wildcards, output: os.path.dirname(output.findings),
    threads: 1
    resources:
        mem_mb=2048,
        runtime=15,
    shell:
        "resistance-annotator cohort {input.json:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"
