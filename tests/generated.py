"""Synthetic VCFs from the shared benchmark generator (``../shared/bench/make_vcf.py``, beside the
project) for end-to-end tests; a test that needs one is skipped where the generator is not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MAKE_VCF = Path(__file__).resolve().parents[2] / "shared" / "bench" / "make_vcf.py"


def make_vcf(out: Path, *options: str) -> Path:
    """Write ``out`` (``.vcf`` or BGZF ``.vcf.gz``) with make_vcf.py's ``options``."""
    if not MAKE_VCF.is_file():
        pytest.skip(f"{MAKE_VCF} not found")
    command = [sys.executable, str(MAKE_VCF), *options, "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    return out
