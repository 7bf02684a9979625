"""Start-up stays short: the command line imports a command's modules only when it runs.

``annotate`` on a VCF never imports pandas (the cohort command's) or jinja2 (the HTML report's),
and ``--version`` imports neither the rules (pydantic, PyYAML) nor the pipeline. Each case runs
in a fresh interpreter with ``-X importtime``, which lists every module imported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runs import run_python

ROOT = Path(__file__).resolve().parents[1]
DEMO_VCF = ROOT / "test_data" / "demo.grch38.vep.vcf.gz"


def imported_modules(*args: str, cwd: Path) -> set[str]:
    """The modules a fresh ``python -X importtime ARGS`` imports (it must exit 0)."""
    done = run_python("-X", "importtime", *args, cwd=cwd)
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "annotator.cli" in modules
    return modules


def packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def annotate_demo(out: Path, cwd: Path) -> set[str]:
    """The modules a fresh ``annotate`` of the demo VCF to the JSON ``out`` imports."""
    return imported_modules(
        "-m",
        "annotator",
        "annotate",
        str(DEMO_VCF),
        "--tumor-type",
        "LUAD",
        "--out-json",
        str(out),
        "--quiet",
        cwd=cwd,
    )


def test_annotate_a_vcf_imports_neither_pandas_nor_jinja2(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    modules = annotate_demo(out, tmp_path)
    assert out.stat().st_size > 0
    assert "annotator.pipeline" in modules, "the run itself must be seen"
    assert not packages(modules) & {"pandas", "jinja2"}
    assert "annotator.cohort" not in modules


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["annotate", "--help"]])
def test_version_and_help_import_no_rules_pipeline_or_pandas(
    tmp_path: Path, args: list[str]
) -> None:
    modules = imported_modules("-m", "annotator", *args, cwd=tmp_path)
    assert not packages(modules) & {"pandas", "jinja2", "pydantic", "yaml"}
    assert not {"annotator.pipeline", "annotator.rules", "annotator.cohort"} & modules


def test_the_cohort_command_still_finds_pandas(tmp_path: Path) -> None:
    modules = imported_modules("-m", "annotator", "cohort", "--help", cwd=tmp_path)
    assert "pandas" not in modules  # --help runs no command
    code = (
        "import sys; from annotator.cli import main; "
        "sys.exit(main(['cohort', '--out-dir', sys.argv[1], sys.argv[2]]))"
    )
    missing = tmp_path / "missing.findings.json"
    # Reading the (missing) JSON is reached, so the command's lazy imports resolved.
    done = run_python("-c", code, str(tmp_path / "out"), str(missing), cwd=tmp_path, exit_code=1)
    assert "internal error" not in done.stderr
    assert "missing.findings.json" in done.stderr


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
@pytest.mark.parametrize(("setting", "expected"), [(None, "1"), ("3", "3")])
def test_numpy_starts_no_blas_threads_unless_asked(
    tmp_path: Path, setting: str | None, expected: str
) -> None:
    """numpy's OpenBLAS would start a spinning thread per CPU; the user's own setting stays."""
    code = (
        "import os, sys\n"
        "if len(sys.argv) > 1: os.environ['OPENBLAS_NUM_THREADS'] = sys.argv[1]\n"
        "import annotator.cli, numpy\n"
        "print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))\n"
    )
    done = run_python("-c", code, *([setting] if setting else []), cwd=tmp_path)
    value, threads = done.stdout.split()
    assert value == expected
    if setting is None:
        assert threads == "1"
