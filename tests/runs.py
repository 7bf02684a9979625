"""In-process runs of the annotator for end-to-end tests, without the command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from annotator.config import AnnotateConfig
from annotator.pipeline import run
from annotator.writers.json import write_json


def run_json(path: Path, tumor_type: str = "LUAD", **options: Any) -> dict[str, Any]:
    """The JSON result of one input's run (its command line left out)."""
    config = AnnotateConfig(input=path, tumor_type=tumor_type, out_json=Path(os.devnull), **options)
    (result,) = run(config)
    buffer = io.StringIO()
    write_json(result, buffer)
    data: dict[str, Any] = json.loads(buffer.getvalue())
    data.pop("command_line", None)
    return data


def run_python(*args: str, cwd: Path, exit_code: int = 0) -> subprocess.CompletedProcess[str]:
    """A fresh ``python ARGS`` (this interpreter) that must exit with ``exit_code``, its output
    captured."""
    done = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )
    assert done.returncode == exit_code, done.stderr
    return done
