"""Rewrite the golden files from the current code and rules: ``make golden``.

Run it only after an intended change, then read ``git diff tests/golden`` before committing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.golden_cases import CASES, GOLDEN, run_case


def regenerate() -> int:
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for case in CASES:
            json_text, tsv_text = run_case(case, Path(scratch))
            (GOLDEN / f"{case.name}.findings.json").write_text(json_text, encoding="utf-8")
            (GOLDEN / f"{case.name}.findings.tsv").write_text(tsv_text, encoding="utf-8")
            print(f"wrote {case.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(regenerate())
