"""Reliability and safety: deterministic outputs, interrupted runs leave nothing, no unsafe
constructs in the code."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.cli import main
from tests.generated import MAKE_VCF
from tests.golden_cases import ROOT, TEST_DATA

DEMO = TEST_DATA / "demo.grch38.vep.vcf.gz"


def run_all_outputs(out: Path) -> dict[str, bytes]:
    """Run into ``out`` (the same path each time: the VCF header records the command line),
    read every output, and remove them."""
    code = main(["annotate", str(DEMO), "--tumor-type", "LUAD", "--out-dir", str(out)])
    assert code == 0
    outputs = {path.name: path.read_bytes() for path in sorted(out.iterdir())}
    for path in out.iterdir():
        path.unlink()
    return outputs


def test_same_inputs_give_byte_identical_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON, TSV, VCF (and its index), HTML and Markdown; SOURCE_DATE_EPOCH pins the one date
    (the reports' 'generated' field)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764201600")
    first = run_all_outputs(tmp_path / "out")
    second = run_all_outputs(tmp_path / "out")
    assert first.keys() == second.keys()
    assert len(first) == 6
    for name in first:
        assert first[name] == second[name], f"{name} differs between two identical runs"
    assert b"2025-11-27" in first["TUMOR.report.html"]


def test_without_source_date_epoch_only_the_report_date_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = run_all_outputs(tmp_path / "out")
    second = run_all_outputs(tmp_path / "out")
    for name in ("TUMOR.findings.json", "TUMOR.findings.tsv", "TUMOR.annotated.vcf.gz"):
        assert first[name] == second[name], name


def big_vcf(tmp_path: Path) -> Path:
    """A generated VCF large enough that annotation takes a few seconds (no truth set)."""
    if not MAKE_VCF.is_file():
        pytest.skip(f"the shared generator {MAKE_VCF} is not beside the project")
    path = tmp_path / "big.vcf"
    result = subprocess.run(
        [sys.executable, str(MAKE_VCF), "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    result = subprocess.run(
        [sys.executable, str(MAKE_VCF), "--records", "400000", "--out", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"make_vcf.py failed: {result.stderr.strip()}")
    return path


def wait_until_read(process: subprocess.Popen[str], size: int) -> None:
    """Wait until ``process`` has read ``size`` bytes (its ``rchar`` in /proc), so that a
    signal sent next comes inside its pass over an input larger than that on a machine of
    any speed; fail if it ends first."""
    io = Path(f"/proc/{process.pid}/io")
    if not io.is_file():
        process.kill()
        process.communicate()
        pytest.skip("no /proc/PID/io on this system: cannot tell when the pass began")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be interrupted"
        try:
            fields = dict(line.split(": ") for line in io.read_text().splitlines())
        except OSError:  # the process ended meanwhile: the assertion above tells
            continue
        if int(fields["rchar"]) >= size:
            return
        time.sleep(0.01)
    process.kill()
    pytest.fail(f"the run read fewer than {size} bytes in 60 s")


@pytest.mark.parametrize(
    ("sent", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
def test_interrupted_run_exits_and_leaves_nothing(
    tmp_path: Path, sent: signal.Signals, expected: int
) -> None:
    vcf = big_vcf(tmp_path)
    out = tmp_path / "out"
    # A suite run as a background job of a non-interactive shell (`make test &`) has SIGINT
    # ignored, and an ignored signal stays ignored across exec: the run would rightly ignore
    # Ctrl-C too. It starts with the default action here, as from a terminal.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "annotator",
                "annotate",
                str(vcf),
                "--tumor-type",
                "LUAD",
                "--genome",
                "GRCh38",
                "--out-dir",
                str(out),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    wait_until_read(process, vcf.stat().st_size // 4)  # inside the pass over the records
    process.send_signal(sent)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == expected, stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())


INTERRUPT_IN_EXEC = """
import runpy

import annotator.cli


class Interrupted:
    def main(self, **options):
        exec("raise KeyboardInterrupt")  # as if Ctrl-C came while dataclasses made a method


annotator.cli.cli = Interrupted()
runpy.run_module("annotator", run_name="__main__", alter_sys=True)
"""


def test_python_dash_m_exits_130_when_the_interrupt_came_inside_an_exec(tmp_path: Path) -> None:
    """CPython run with ``-m`` ends its process by SIGINT, whatever the program then returns,
    when a KeyboardInterrupt last left an ``exec`` of a string (dataclasses and namedtuple
    make their methods that way while a module is imported). ``python -m annotator`` must
    still exit 130 with its one line, as the installed command does."""
    (tmp_path / "interrupt_in_exec.py").write_text(INTERRUPT_IN_EXEC)
    result = subprocess.run(
        [sys.executable, "-m", "interrupt_in_exec", "annotate", "x.vcf"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 130, result.stderr
    assert result.stderr == "resistance-annotator: interrupted\n"


SOURCE = ROOT / "annotator"


def python_files() -> list[Path]:
    return sorted(SOURCE.rglob("*.py"))


def test_no_unsafe_constructs_in_the_code() -> None:
    """YAML only through safe_load, no eval/exec, no shell=True, no os.system."""
    problems = []
    for path in python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in {"eval", "exec", "os.system", "os.popen"}:
                    problems.append(f"{path}:{node.lineno}: {name}()")
                if name in {"yaml.load", "yaml.full_load", "yaml.unsafe_load"}:
                    problems.append(f"{path}:{node.lineno}: {name}() (use yaml.safe_load)")
                for keyword in node.keywords:
                    if keyword.arg == "shell" and ast.unparse(keyword.value) != "False":
                        problems.append(f"{path}:{node.lineno}: shell={ast.unparse(keyword.value)}")
    assert problems == []


def test_the_safety_check_can_fail(tmp_path: Path) -> None:
    """The scanner above finds what it looks for (so its empty result means something)."""
    bad = "import os, yaml\nyaml.load(open('x'))\neval('1')\nos.system('ls')\n"
    tree = ast.parse(bad)
    names = [ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert {"yaml.load", "eval", "os.system"} <= set(names)


def test_package_has_no_network_calls() -> None:
    """No module of the package imports a network client (the tool runs offline)."""
    clients = {"urllib.request", "http.client", "requests", "socket", "httpx", "aiohttp"}
    hits = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {node.module or ""}
            else:
                continue
            hits.extend(f"{path}:{node.lineno}: {name}" for name in names & clients)
    assert hits == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigterm_handler_is_restored_after_main() -> None:
    before = signal.getsignal(signal.SIGTERM)
    main(["rules", "validate"])
    assert signal.getsignal(signal.SIGTERM) is before
