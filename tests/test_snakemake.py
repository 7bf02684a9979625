"""The Snakefile, run for real by Snakemake (from the dev extra) on small samples.

Each test runs Snakemake in a temporary directory, from a different working directory than the
one it was started in, with the `resistance-annotator` of this interpreter's environment.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pysam
import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEFILE = ROOT / "Snakefile"
TEST_DATA = ROOT / "test_data"

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="Snakemake 8 and later need Python 3.11"
)

#: sample name → (input file in test_data, OncoTree code); the sheet's order.
SAMPLES = {
    "demo_luad": ("demo.grch38.vep.vcf.gz", "LUAD"),
    "luad_grch37": ("luad.grch37.vep.vcf", "LUAD"),
    "crc_bcsq": ("crc.grch38.bcsq.vcf", "COAD"),
    "nsclc_snpeff": ("luad.grch38.snpeff.vcf", "NSCLC"),
}
PER_SAMPLE_SUFFIXES = (
    ".findings.json",
    ".findings.tsv",
    ".annotated.vcf.gz",
    ".annotated.vcf.gz.tbi",
    ".report.html",
)
COHORT_FILES = ("cohort.findings.tsv", "cohort.therapy_calls.tsv", "cohort.report.html")


def run_snakemake(
    *args: str, cwd: Path, check: bool = True, bin_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``snakemake ARGS`` with this environment's bin first on PATH (its resistance-annotator,
    running this checkout's code), after ``bin_dir`` if given."""
    env = dict(os.environ)
    path = [*([str(bin_dir)] if bin_dir else []), str(Path(sys.executable).parent)]
    env["PATH"] = os.pathsep.join([*path, env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    process = subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and process.returncode != 0:
        pytest.fail(
            f"snakemake {' '.join(args)} exited {process.returncode}:\n{process.stderr[-6000:]}"
        )
    return process


def write_sheet(directory: Path, samples: dict[str, tuple[str, str]]) -> Path:
    """Copy the inputs beside a sample sheet that names them by relative path."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["# test sheet", "sample\tvcf\ttumor_type"]
    for name, (file_name, tumor_type) in samples.items():
        for source in (TEST_DATA / file_name, TEST_DATA / f"{file_name}.tbi"):
            target = directory / source.name
            if source.exists() and not target.exists():  # keep mtimes: no spurious reruns
                shutil.copy(source, target)
        lines.append(f"{name}\t{file_name}\t{tumor_type}")
    sheet = directory / "samples.tsv"
    sheet.write_text("\n".join(lines) + "\n")
    return sheet


def workflow_args(workdir: Path, sheet: Path, *extra: str) -> list[str]:
    return [
        "-s",
        str(SNAKEFILE),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        "--config",
        f"samples={sheet}",
        "outdir=results",
        *extra,
    ]


def check_sample_outputs(results: Path, name: str) -> dict[str, object]:
    """Every per-sample output exists and is complete; returns the JSON result."""
    stem = results / name / name
    for suffix in PER_SAMPLE_SUFFIXES:
        path = Path(f"{stem}{suffix}")
        assert path.is_file(), f"missing {path}"
        assert path.stat().st_size > 0, f"empty {path}"
    data = json.loads(Path(f"{stem}.findings.json").read_text())
    assert data["schema_version"].startswith("1.")
    assert data["research_use_only"] is True
    table = pd.read_csv(f"{stem}.findings.tsv", sep="\t", comment="#")
    assert len(table) == len(data["findings"])
    with pysam.VariantFile(f"{stem}.annotated.vcf.gz") as vcf:
        contigs = [record.chrom for record in vcf]
        assert contigs, f"{stem}.annotated.vcf.gz has no records"
    with pysam.VariantFile(f"{stem}.annotated.vcf.gz") as vcf:  # the index answers a region
        assert list(vcf.fetch(contigs[0]))
    html = Path(f"{stem}.report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert html.rstrip().endswith("</html>")
    return dict(data)


def digests(results: Path, names: list[str]) -> dict[str, str]:
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for name in names
        for path in sorted((results / name).iterdir())
    }


@pytest.fixture(scope="module")
def cohort_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole workflow on four samples; returns its results directory."""
    base = tmp_path_factory.mktemp("snakemake")
    sheet = write_sheet(base / "inputs", SAMPLES)
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    run_snakemake(*workflow_args(base / "work", sheet), cwd=elsewhere)
    return base / "work" / "results"


def test_every_per_sample_output(cohort_run: Path) -> None:
    for name in SAMPLES:
        check_sample_outputs(cohort_run, name)
        log = cohort_run / "logs" / "annotate" / f"{name}.log"
        assert "resistance-annotator: sample" in log.read_text()


def test_cohort_findings_table(cohort_run: Path) -> None:
    table = pd.read_csv(
        cohort_run / "cohort" / "cohort.findings.tsv", sep="\t", comment="#", dtype=str
    )
    assert list(table.columns[:3]) == ["sample", "tumor_type", "genome"]
    for name in SAMPLES:
        data = json.loads((cohort_run / name / f"{name}.findings.json").read_text())
        rows = table[table["sample"] == name]
        assert len(rows) == len(data["findings"]) > 0
        assert list(rows["rule_id"]) == [f["rule_id"] for f in data["findings"]]
        assert set(rows["tumor_type"]) == {data["tumor_type"]}
    assert set(table["sample"]) == set(SAMPLES)


def test_cohort_therapy_call_matrix(cohort_run: Path) -> None:
    matrix = pd.read_csv(
        cohort_run / "cohort" / "cohort.therapy_calls.tsv",
        sep="\t",
        comment="#",
        index_col="sample",
        dtype=str,
        keep_default_na=False,
    )
    assert list(matrix.index) == list(SAMPLES)
    for name in SAMPLES:
        data = json.loads((cohort_run / name / f"{name}.findings.json").read_text())
        calls = {call["therapy"]: call["call"] for call in data["therapy_calls"]}
        assert calls
        assert {t: c for t, c in matrix.loc[name].items() if c} == calls


def test_cohort_report_links_each_sample_report(cohort_run: Path) -> None:
    report = cohort_run / "cohort" / "cohort.report.html"
    html = report.read_text()
    assert 'http-equiv="Content-Security-Policy"' in html
    assert "default-src 'none'" in html
    for name in SAMPLES:
        link = f"../{name}/{name}.report.html"
        assert f'href="{link}"' in html
        assert (report.parent / link).is_file()
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html.lower()


def readme_module_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("\n### As a module of another workflow\n", 1)[1].split("\n### ", 1)[0]


def fenced(section: str, language: str) -> str:
    """The text of the section's first ```LANGUAGE block."""
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_used_as_a_module_as_the_readme_writes_it(tmp_path: Path) -> None:
    """The README's host Snakefile and config.yaml, copied as written (the module's path put
    in), run with the README's command. Regression: without a `rule all` of its own the host ran
    only the module's default target; `grep -c` failed on a count of 0; and every run warned
    that `localrules` named a rule `all` that the module's prefix had renamed."""
    section = readme_module_section()
    host = tmp_path / "host"
    host.mkdir()
    snakefile = fenced(section, "python")
    assert "path/to/resistance-annotator/Snakefile" in snakefile
    (host / "Snakefile").write_text(
        snakefile.replace("path/to/resistance-annotator/Snakefile", str(SNAKEFILE))
    )
    (host / "config.yaml").write_text(fenced(section, "yaml"))
    shutil.copy(TEST_DATA / "crc.grch38.bcsq.vcf", host)
    shutil.copy(ROOT / "tests" / "data" / "vcf2maf.test_output.vep_isoforms.grch37.maf", host)
    (host / "samples.tsv").write_text(
        "sample\tvcf\tmaf\ttumor_type\n"
        "crc_bcsq\tcrc.grch38.bcsq.vcf\t\tCOAD\n"
        "no_resistance\t\tvcf2maf.test_output.vep_isoforms.grch37.maf\tLUAD\n"
    )
    command = "snakemake --cores 2"
    assert f"`{command}`" in section
    process = run_snakemake(*command.split()[1:], cwd=host)
    output = process.stdout + process.stderr
    assert "resistance_annotate" in output
    assert "localrules directive" not in output
    results = host / "annotation"
    check_sample_outputs(results, "crc_bcsq")
    for file_name in COHORT_FILES:
        assert (results / "cohort" / file_name).is_file()
    assert (host / "resistant_samples.txt").read_text() == "crc_bcsq\n"


def test_module_without_a_rule_all_of_the_host_does_not_warn(tmp_path: Path) -> None:
    """Regression: the module's `localrules: all` named a rule the host may not have (the
    prefix renames it `resistance_all`): Snakemake warned on every run."""
    snakefile = fenced(readme_module_section(), "python").split("\nrule all:", 1)[0]
    (tmp_path / "Snakefile").write_text(
        snakefile.replace("path/to/resistance-annotator/Snakefile", str(SNAKEFILE))
    )
    sheet = write_sheet(tmp_path / "inputs", {"crc_bcsq": SAMPLES["crc_bcsq"]})
    (tmp_path / "config.yaml").write_text(f"resistance:\n  samples: {json.dumps(str(sheet))}\n")
    process = run_snakemake("--cores", "1", "--dry-run", cwd=tmp_path)
    output = process.stdout + process.stderr
    assert planned(output) == {"resistance_annotate": 1, "resistance_cohort": 1}
    assert "localrules directive" not in output


def test_failed_sample_has_a_clear_log_and_leaves_others_intact(
    cohort_run: Path, tmp_path: Path
) -> None:
    """A copy of the finished run gets a broken sample: only it runs, fails, and says why."""
    work = tmp_path / "work"
    shutil.copytree(cohort_run.parent, work, symlinks=True)  # keeps mtimes and .snakemake
    results = work / "results"
    before = digests(results, [*SAMPLES, "cohort"])
    broken = tmp_path / "broken.vcf"
    broken.write_text("##fileformat=VCFv4.2\nthis is not a VCF record\n")
    inputs = cohort_run.parent.parent / "inputs"
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(
        "sample\tvcf\ttumor_type\n"
        + "".join(f"{name}\t{inputs / file}\t{code}\n" for name, (file, code) in SAMPLES.items())
        + f"broken\t{broken}\tLUAD\n"
    )
    process = run_snakemake(*workflow_args(work, sheet, "--keep-going"), cwd=tmp_path, check=False)
    output = process.stdout + process.stderr

    assert process.returncode != 0
    planned = [line.split() for line in output.splitlines()]
    assert ["annotate", "1"] in planned  # the other samples are not run again
    log = (results / "logs" / "annotate" / "broken.log").read_text()
    error_lines = [line for line in log.splitlines() if line.startswith("resistance-annotator:")]
    assert len(error_lines) == 1, log
    assert error_lines[0].startswith(f"resistance-annotator: error: {broken}")
    assert "Traceback" not in log
    assert "broken.log" in output  # Snakemake points to the log
    broken_dir = results / "broken"
    assert not broken_dir.exists() or not any(broken_dir.iterdir())  # no partial outputs
    # The other samples and the previous cohort (which waits for every sample) are untouched.
    assert digests(results, [*SAMPLES, "cohort"]) == before
    for name in SAMPLES:
        check_sample_outputs(results, name)


def copy_finished_run(cohort_run: Path, target: Path) -> Path:
    """A copy of the finished run's working directory (mtimes and .snakemake metadata kept)."""
    shutil.copytree(cohort_run.parent, target, symlinks=True)
    return target


def absolute_sheet(cohort_run: Path, path: Path, samples: dict[str, tuple[str, str]]) -> Path:
    """A sheet naming the finished run's inputs by absolute path, from anywhere."""
    inputs = cohort_run.parent.parent / "inputs"
    path.write_text(
        "sample\tvcf\ttumor_type\n"
        + "".join(f"{name}\t{inputs / file}\t{code}\n" for name, (file, code) in samples.items())
    )
    return path


def planned(output: str) -> dict[str, int]:
    """The work rules' job counts of a (dry) run's statistics table (not `all`, any prefix)."""
    lines = output.splitlines()
    start = lines.index("Job stats:") if "Job stats:" in lines else len(lines)
    counts = {}
    for line in lines[start + 3 :]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return {rule: count for rule, count in counts.items() if rule.split("_")[-1] != "all"}


def test_changed_sheet_row_reruns_that_sample(cohort_run: Path, tmp_path: Path) -> None:
    """Regression: the options were derived from `input`, so never recorded; a new tumor type
    said "Nothing to be done" and left the old result."""
    work = copy_finished_run(cohort_run, tmp_path / "work")
    same = absolute_sheet(cohort_run, tmp_path / "same.tsv", SAMPLES)
    process = run_snakemake(*workflow_args(work, same, "--dry-run"), cwd=tmp_path)
    assert "Nothing to be done" in process.stdout + process.stderr

    changed = dict(SAMPLES, crc_bcsq=(SAMPLES["crc_bcsq"][0], "LUAD"))
    sheet = absolute_sheet(cohort_run, tmp_path / "changed.tsv", changed)
    process = run_snakemake(*workflow_args(work, sheet, "--dry-run"), cwd=tmp_path)
    output = process.stdout + process.stderr
    assert planned(output) == {"annotate": 1, "cohort": 1}
    assert "Params have changed since last execution" in output
    assert "crc_bcsq.findings.json" in output


def test_changed_extra_options_rerun_every_sample(cohort_run: Path, tmp_path: Path) -> None:
    work = copy_finished_run(cohort_run, tmp_path / "work")
    sheet = absolute_sheet(cohort_run, tmp_path / "samples.tsv", SAMPLES)
    process = run_snakemake(
        *workflow_args(work, sheet, "extra=--min-vaf 0.05", "--dry-run"), cwd=tmp_path
    )
    output = process.stdout + process.stderr
    assert planned(output) == {"annotate": len(SAMPLES), "cohort": 1}
    assert "Params have changed since last execution" in output


def test_same_sheet_by_relative_path_reruns_nothing(cohort_run: Path, tmp_path: Path) -> None:
    """Regression: the sheet named by a relative path (paths joined as strings, never made
    absolute) made every sample's input look new, and everything ran again."""
    work = copy_finished_run(cohort_run, tmp_path / "work")
    sheet = cohort_run.parent.parent / "inputs" / "samples.tsv"  # the run's sheet, by absolute path
    relative = os.path.relpath(sheet, work)
    assert not os.path.isabs(relative)
    args = workflow_args(work, sheet, "--dry-run")
    args[args.index(f"samples={sheet}")] = f"samples={relative}"
    process = run_snakemake(*args, cwd=tmp_path)
    assert planned(process.stdout + process.stderr) == {}


def logging_annotator(bin_dir: Path, version: str) -> Path:
    """A `resistance-annotator` that logs its arguments and says it is VERSION; the log's path."""
    bin_dir.mkdir()
    log = bin_dir / "calls.log"
    script = bin_dir / "resistance-annotator"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'if [ "$1" = --version ]; then\n'
        f'  echo "resistance-annotator, version {version}"; exit 0\n'
        "fi\n"
        f'exec "{sys.executable}" -m annotator "$@"\n'
    )
    script.chmod(0o755)
    return log


def test_tool_upgrade_reruns_every_sample(cohort_run: Path, tmp_path: Path) -> None:
    """Regression: a new tool version reran nothing. The version is asked once per run."""
    work = copy_finished_run(cohort_run, tmp_path / "work")
    sheet = absolute_sheet(cohort_run, tmp_path / "samples.tsv", SAMPLES)
    log = logging_annotator(tmp_path / "bin", "9.9.9")
    process = run_snakemake(
        *workflow_args(work, sheet, "--dry-run"), cwd=tmp_path, bin_dir=log.parent
    )
    output = process.stdout + process.stderr
    assert planned(output) == {"annotate": len(SAMPLES), "cohort": 1}
    assert "Params have changed since last execution" in output
    assert "9.9.9" in output
    assert log.read_text().splitlines() == ["--version", "rules validate"]


def test_rules_given_in_extra_are_the_ones_validated(cohort_run: Path, tmp_path: Path) -> None:
    """The recorded rules are those `annotate` reads: `rules` and any --rules in `extra`."""
    work = copy_finished_run(cohort_run, tmp_path / "work")
    sheet = absolute_sheet(cohort_run, tmp_path / "samples.tsv", SAMPLES)
    site = tmp_path / "site.yaml"
    site.write_text(SITE_RULES)
    log = logging_annotator(tmp_path / "bin", "0.1.0")
    extra = f"extra=--min-vaf 0.01 --rules={site}"
    process = run_snakemake(
        *workflow_args(work, sheet, extra, "--dry-run"), cwd=tmp_path, bin_dir=log.parent
    )
    assert planned(process.stdout + process.stderr)["annotate"] == len(SAMPLES)
    assert log.read_text().splitlines() == ["--version", f"rules validate {site}"]


def test_edited_file_in_a_rules_directory_reruns(tmp_path: Path) -> None:
    """Regression: rules changed without a new path (an edited file of a `rules` directory:
    the directory's mtime stays) reran nothing, and the cohort mixed two rules sha256."""
    sheet = write_sheet(tmp_path / "inputs", {"crc_bcsq": SAMPLES["crc_bcsq"]})
    site = tmp_path / "site_rules"
    site.mkdir()
    local = site / "local.yaml"
    local.write_text(SITE_RULES)
    args = workflow_args(tmp_path / "work", sheet, f"rules={site}")
    run_snakemake(*args, "--cores", "1", "--until", "annotate", cwd=tmp_path)
    unchanged = run_snakemake(*args, "--dry-run", "--until", "annotate", cwd=tmp_path)
    assert planned(unchanged.stdout) == {}
    mtime = site.stat().st_mtime_ns
    local.write_text(SITE_RULES.replace("evidence_level: B", "evidence_level: C"))
    os.utime(site, ns=(mtime, mtime))
    process = run_snakemake(*args, "--dry-run", "--until", "annotate", cwd=tmp_path)
    output = process.stdout + process.stderr
    assert planned(output) == {"annotate": 1}
    assert "Params have changed since last execution" in output


#: A valid extra rules file (a fixture, not curated knowledge).
SITE_RULES = """\
rules:
  - id: LOCAL-EGFR-G719S-S
    gene: EGFR
    alteration: {protein_changes: [G719S]}
    tumor_types: {include: [NSCLC]}
    effect: sensitivity
    therapies: [gefitinib]
    evidence_level: B
    citations: ['PMID:26051236']
    examples: [{alteration: EGFR p.G719S, tumor_type: LUAD}]
"""


def test_maf_row_and_msi_columns(tmp_path: Path) -> None:
    """Regression: a MAF went through the VCF rule, whose --out-vcf the tool refuses for a MAF.
    A maf row has no annotated VCF; msi is a status (--msi-status) or a score file (--msi-file)."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "vcf2maf.test_output.vep_isoforms.grch37.maf", inputs)
    shutil.copy(TEST_DATA / "crc.grch38.bcsq.vcf", inputs)
    (inputs / "tumor.msisensor").write_text(
        "Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n1000\t150\t15.00\n"
    )
    sheet = inputs / "samples.tsv"
    sheet.write_text(
        "sample\tmaf\tvcf\ttumor_type\tmsi\n"
        "from_maf\tvcf2maf.test_output.vep_isoforms.grch37.maf\t\tLUAD\ttumor.msisensor\n"
        "from_vcf\t\tcrc.grch38.bcsq.vcf\tCOAD\tmss\n"
    )
    args = workflow_args(tmp_path / "work", sheet)
    dry = run_snakemake(*args, "--dry-run", "--printshellcmds", cwd=tmp_path).stdout
    commands = [line for line in dry.splitlines() if "resistance-annotator annotate" in line]
    vcf_command = next(line for line in commands if "from_vcf.findings.json" in line)
    assert "--msi-status MSS" in vcf_command
    assert "--out-vcf" in vcf_command

    run_snakemake(*args, "--until", "annotate_maf", cwd=tmp_path)
    results = tmp_path / "work" / "results"
    assert sorted(path.name for path in (results / "from_maf").iterdir()) == [
        "from_maf.findings.json",
        "from_maf.findings.tsv",
        "from_maf.report.html",
    ]
    data = json.loads((results / "from_maf" / "from_maf.findings.json").read_text())
    assert data["biomarkers"]["msi"]["score_percent"] == 15.0
    log = (results / "logs" / "annotate" / "from_maf.log").read_text()
    assert "resistance-annotator: sample TUMOR (LUAD, GRCh37)" in log
    assert not (results / "from_vcf").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "sample\ttumor_type\tfusions\nS1\tLUAD\tf.tsv\n",
            "samples.tsv: missing column(s) vcf or maf",
            id="no-vcf-or-maf-column",
        ),
        pytest.param(
            "sample\tvcf\tmaf\ttumor_type\nS1\ta.vcf\ta.maf\tLUAD\n",
            "samples.tsv, line 2: sample 'S1' has both a vcf and a maf",
            id="vcf-and-maf",
        ),
        pytest.param(
            "sample\tvcf\tmaf\ttumor_type\nS1\t\t\tLUAD\n",
            "samples.tsv, line 2: sample 'S1' has no vcf or maf",
            id="neither",
        ),
        pytest.param(
            "sample\tvcf\ttumor_type\nS1\tx.maf.gz\tLUAD\n",
            "samples.tsv, line 2: sample 'S1': x.maf.gz is a MAF: give it as maf",
            id="maf-in-vcf-column",
        ),
        pytest.param(
            "sample\tvcf\ttumor_type\nS#1\ta.vcf\tLUAD\n",
            "samples.tsv, line 2: sample name 'S#1' is not allowed: no slash, '#' or space",
            id="hash-in-sample-name",
        ),
        pytest.param(  # regression: counted without the comment and blank lines ("row 4")
            "# comment 1\n# comment 2\n\nsample\tvcf\ttumor_type\n# a note\n"
            "A\ta.vcf\tCOAD\n\nB\tb.vcf\tCOAD\nbad name\tc.vcf\tCOAD\n",
            "samples.tsv, line 9: sample name 'bad name' is not allowed",
            id="physical-line-number",
        ),
        pytest.param(  # regression: the extra cell was dropped without a word
            "sample\tvcf\ttumor_type\nA\ta.vcf\tCOAD\textra\n",
            "samples.tsv, line 2: 4 cells, the header has 3 columns (extra cell 'extra'",
            id="more-cells-than-columns",
        ),
        pytest.param(
            "sample\tvcf\ttumor_type\tvcf\nA\ta.vcf\tCOAD\tb.vcf\n",
            "samples.tsv: column(s) vcf given twice",
            id="column-twice",
        ),
        pytest.param(  # regression: read as the name of a score file, missing at run time
            "sample\tvcf\ttumor_type\tmsi\nA\ta.vcf\tCOAD\tMSI-High\n",
            "samples.tsv, line 2: sample 'A': msi 'MSI-High' is none of MSI-H, MSI-L, MSS",
            id="msi-status-spelt-otherwise",
        ),
        pytest.param(  # their directories would be one on macOS or Windows
            "sample\tvcf\ttumor_type\nPT1\ta.vcf\tCOAD\npt1\tb.vcf\tCOAD\n",
            "samples.tsv, line 3: sample 'pt1' differs from 'PT1' only in case",
            id="names-differing-in-case",
        ),
    ],
)
def test_sample_sheet_errors(tmp_path: Path, text: str, message: str) -> None:
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(text)
    process = run_snakemake(*workflow_args(tmp_path / "work", sheet), cwd=tmp_path, check=False)
    assert process.returncode != 0
    assert f"{tmp_path}/{message}" in process.stdout + process.stderr


def test_sheet_with_byte_order_mark_and_crlf(tmp_path: Path) -> None:
    """Regression: a spreadsheet's UTF-8 BOM made the first column '\\ufeffsample' (missing
    column sample); trailing empty cells and CRLF line ends are fine."""
    sheet = write_sheet(tmp_path / "inputs", {"crc_bcsq": SAMPLES["crc_bcsq"]})
    text = "sample\tvcf\ttumor_type\r\ncrc_bcsq\tcrc.grch38.bcsq.vcf\tCOAD\t\t\r\n"
    sheet.write_bytes(b"\xef\xbb\xbf" + text.encode())
    process = run_snakemake(*workflow_args(tmp_path / "work", sheet, "--dry-run"), cwd=tmp_path)
    assert planned(process.stdout + process.stderr) == {"annotate": 1, "cohort": 1}


def test_bad_sample_sheet_is_one_clear_error(tmp_path: Path) -> None:
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tvcf\ttumour_type\nS1\ta.vcf\tLUAD\n")
    process = run_snakemake(*workflow_args(tmp_path / "work", sheet), cwd=tmp_path, check=False)
    assert process.returncode != 0
    output = process.stdout + process.stderr
    assert "missing column(s) tumor_type" in output
    assert "unknown column(s) tumour_type" in output


@pytest.mark.skipif(
    importlib.util.find_spec("snakemake_executor_plugin_slurm") is None,
    reason="snakemake-executor-plugin-slurm is not installed",
)
def test_slurm_profile_dry_run(tmp_path: Path) -> None:
    """The SLURM profile and the example config and sheet, planned without a cluster."""
    process = run_snakemake(
        "-s",
        str(SNAKEFILE),
        "--profile",
        str(ROOT / "config" / "profiles" / "slurm"),
        "--directory",
        str(tmp_path / "work"),
        "--configfile",
        str(ROOT / "config" / "config.yaml"),
        "--config",
        f"samples={ROOT / 'config' / 'samples.tsv'}",
        "--dry-run",
        cwd=tmp_path,
    )
    output = process.stdout + process.stderr
    assert "Using profile" in output
    assert "This was a dry-run" in output
    counts = {
        parts[0]: int(parts[1])
        for parts in (line.split() for line in output.splitlines())
        if len(parts) == 2 and parts[1].isdigit()
    }
    assert counts["annotate"] == 4
    assert counts["cohort"] == 1
    assert "mem_mb=4096" in output  # the profile's per-rule resources
    assert not (tmp_path / "work" / "results").exists()


@pytest.mark.parametrize(
    ("alignment", "index"),
    [
        ("tumor.bam", "tumor.bam.bai"),
        ("tumor.bam", "tumor.bai"),  # regression: Picard's name was not declared
        ("tumor.cram", "tumor.crai"),
    ],
)
def test_alignment_index_is_an_input(tmp_path: Path, alignment: str, index: str) -> None:
    sheet = write_sheet(tmp_path / "inputs", {"crc_bcsq": SAMPLES["crc_bcsq"]})
    text = sheet.read_text().replace("sample\tvcf\ttumor_type", "sample\tvcf\ttumor_type\tbam")
    sheet.write_text(text.replace("\tCOAD", f"\tCOAD\t{alignment}"))
    for name in (alignment, index):
        (sheet.parent / name).write_bytes(b"")  # a dry run reads neither
    process = run_snakemake(*workflow_args(tmp_path / "work", sheet, "--dry-run"), cwd=tmp_path)
    inputs = next(line for line in process.stdout.splitlines() if line.strip().startswith("input:"))
    assert f"{sheet.parent / alignment}," in inputs
    assert str(sheet.parent / index) in inputs


def test_vcf_sample_column_chooses_the_vcfs_sample(tmp_path: Path) -> None:
    """One row per tumor of a multi-sample VCF: each annotates its column (--sample)."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(TEST_DATA / "tumor_normal_no_tag.vcf", inputs / "pair.vcf")
    sheet = inputs / "samples.tsv"
    sheet.write_text(
        "sample\tvcf\ttumor_type\tvcf_sample\n"
        "pair_tumor\tpair.vcf\tLUAD\tTUMOR\n"
        "pair_normal\tpair.vcf\tLUAD\t\n"
    )
    process = run_snakemake(
        *workflow_args(tmp_path / "work", sheet), "--dry-run", "--printshellcmds", cwd=tmp_path
    )
    commands = [
        line for line in process.stdout.splitlines() if "resistance-annotator annotate" in line
    ]
    assert len(commands) == 2
    tumor = next(line for line in commands if "pair_tumor.findings.json" in line)
    assert "--sample TUMOR" in tumor
    other = next(line for line in commands if "pair_normal.findings.json" in line)
    assert "--sample" not in other  # an empty cell is absent
