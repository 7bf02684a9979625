"""The HTML report in a real browser: headless Chromium loads it without errors, console
messages or blocked fetches, the sections are in the DOM and a screenshot renders.

Needs ``chromium`` on PATH (Debian: ``apt-get install chromium``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from annotator.config import AnnotateConfig
from annotator.pipeline import run
from annotator.writers.html import render_html
from annotator.writers.plots import VafPoint, vaf_plot_svg

DEMO = Path(__file__).resolve().parent.parent / "test_data" / "demo.grch38.vep.vcf.gz"
SKIP_REASON = "chromium not installed (apt-get install chromium); .ci/run installs it"
SECTIONS = (
    "header",
    "summary",
    "actionable",
    "off-label",
    "filtered",
    "unclassified",
    "near-misses",
    "plots",
    "methods",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(SKIP_REASON)
    return path


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """The demo report, with a hostile sample name and a script URL in a finding's detail."""
    fusions = tmp_path / "fusions.tsv"
    fusions.write_text("fusion\nBCR--ABL1\n")
    (result,) = run(AnnotateConfig(input=DEMO, tumor_type="CML", fusions=fusions))
    findings = (replace(result.findings[0], detail="javascript:alert(1)"), *result.findings[1:])
    result = replace(result, sample="<script>alert(1)</script>\"'&", findings=findings)
    path = tmp_path / "report.html"
    with path.open("w", encoding="utf-8") as stream:
        render_html(result, stream, generated="2024-01-02 03:04:05 UTC")
    return path


def run_chromium(chromium: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",  # console messages (and CSP violations) go to stderr
        "--v=0",
        *arguments,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed


def assert_no_console_errors(stderr: str) -> None:
    assert "Uncaught" not in stderr
    console = [line for line in stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console  # includes "violates the following Content Security Policy"


def test_report_dom_in_chromium(chromium: str, report: Path, tmp_path: Path) -> None:
    completed = run_chromium(chromium, tmp_path / "profile", "--dump-dom", report.as_uri())
    dom = completed.stdout
    for section in SECTIONS:
        assert f'id="{section}"' in dom, section
    assert "For research use only — not for clinical decision making" in dom
    assert "BCR::ABL1" in dom
    assert "imatinib" in dom
    assert dom.count("<svg") == 2
    assert "<script" not in dom.lower()  # the hostile sample name stayed text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert 'href="javascript:' not in dom.lower()
    assert_no_console_errors(completed.stderr)


def test_report_screenshot_in_chromium(chromium: str, report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    completed = run_chromium(
        chromium,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        report.as_uri(),
    )
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 20_000  # a rendered page, not a blank one (blank is about 9 kB)
    assert_no_console_errors(completed.stderr)


def test_vaf_plot_labels_are_not_clipped(chromium: str, tmp_path: Path) -> None:
    """Regression: long labels ("EGFR D770_N771insASVDNPHVCR…") ran past the plot's left
    edge. The page measures each text of the plot (getBBox) and writes the lowest x."""
    points = [
        VafPoint("EGFR D770_N771insASVDNPHVCRWWMM", 0.4, subclonal=False),
        VafPoint("WWWWWWWW MMMMMMMMMMMMMMMMMMMMMMMMMM", 0.3, subclonal=False),
        VafPoint("KRAS G12D", 0.05, subclonal=True),
    ]
    page = tmp_path / "plot.html"
    page.write_text(
        "<!DOCTYPE html><html><body>"
        + str(vaf_plot_svg(points, 0.1))
        + "<script>document.body.dataset.left = Math.min(...Array.from("
        "document.querySelectorAll('svg text'), t => t.getBBox().x));</script>"
        "</body></html>",
        encoding="utf-8",
    )
    completed = run_chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    left = float(completed.stdout.split('data-left="')[1].split('"')[0])
    assert left >= 0, left
