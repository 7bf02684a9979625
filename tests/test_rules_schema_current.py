"""The committed docs/rules.schema.json is the one generated from annotator/rules/schema.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from annotator.rules.jsonschema import SCHEMA_ID, render_schema, rules_json_schema

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "rules.schema.json"
STALE = "docs/rules.schema.json is out of date with annotator/rules/schema.py: run `make schema`"


def test_committed_schema_is_current() -> None:
    assert COMMITTED.is_file(), STALE
    committed = COMMITTED.read_text(encoding="utf-8")
    assert json.loads(committed) == rules_json_schema(), STALE
    assert committed == render_schema(), STALE


def test_schema_has_id_title_and_description() -> None:
    schema = rules_json_schema()
    assert schema["$id"] == SCHEMA_ID
    assert schema["title"]
    assert schema["description"]
    assert set(schema["properties"]) == {"version", "genes", "hotspots", "drugs", "rules"}


def test_module_writes_the_schema_to_stdout() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "annotator.rules.jsonschema"],
        capture_output=True,
        check=True,
        text=True,
    )
    assert result.stdout == render_schema()
