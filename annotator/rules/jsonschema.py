"""The JSON Schema of a rules file, generated from the pydantic models in ``schema.py``.

``python -m annotator.rules.jsonschema > docs/rules.schema.json`` (``make schema``) writes the
committed copy; a test checks that it is current. Editors can use it to check rules YAML.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from annotator.rules.schema import RulesFile

SCHEMA_ID = "urn:resistance-annotator:rules-file"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def rules_json_schema() -> dict[str, Any]:
    """The JSON Schema of a rules file (``RulesFile``) with its id, title and description."""
    schema = RulesFile.model_json_schema()
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = SCHEMA_ID
    schema["title"] = "resistance-annotator rules file"
    schema["description"] = (
        "A YAML rules file of resistance-annotator: an optional version (read from "
        "manifest.yaml only), a gene table (genes, with exons and domains), hotspots placed on "
        "the genome (hotspots), a drug table (drugs) and rules linking alterations of a gene to "
        "drug sensitivity or resistance, with tumor types (OncoTree codes), evidence level, "
        "citations and examples. Generated from annotator/rules/schema.py; do not edit by hand. "
        "The loader also cross-checks what a schema cannot, across all files: unique rule ids, "
        "genes, drugs and hotspots; genes, drugs and exons named by rules present in their "
        "tables; OncoTree codes; protein-change notation; hotspot alleles consistent between "
        "builds and inside the gene; example conflicts naming rule ids."
    )
    return schema


def render_schema() -> str:
    """The schema as committed: indent 2, sorted keys, a trailing newline."""
    return json.dumps(rules_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the schema to standard output."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments:
        sys.stderr.write("usage: python -m annotator.rules.jsonschema > docs/rules.schema.json\n")
        return 2
    sys.stdout.write(render_schema())
    return 0


if __name__ == "__main__":
    sys.exit(main())
