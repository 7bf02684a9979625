"""Regressions found by fuzzing the command line with broken inputs, one test per bug.

Each input was a valid test file changed in one way (cut, bytes flipped, recompressed, a
column dropped, ...); the rule for all of them: one line naming the file and a non-zero exit,
no traceback and no partial output, or a correct result.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import main

PROG = "resistance-annotator"


def test_bug_rules_nested_a_thousand_deep_were_an_internal_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # PyYAML's composer recursed once per level: 'internal error: RecursionError: ...'.
    depth = 1000
    path = tmp_path / "deep.yaml"
    path.write_text("rules:\n  - " + "{a: " * depth + "1" + "}" * depth + "\n", encoding="utf-8")
    assert main(["rules", "validate", "--no-bundled-rules", str(path)]) == 1
    err = capfd.readouterr().err
    assert err.splitlines() == [
        f"{PROG}: error: found 1 problem in the rules",
        f"  {path}: lists or mappings nested too deeply to read",
    ]
