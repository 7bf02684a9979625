"""The JSON writer writes exactly what ``json.dump(..., indent=2, ensure_ascii=False)`` would."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.config import AnnotateConfig
from annotator.pipeline import run
from annotator.writers import json as json_writer
from annotator.writers.json import _IndentedWriter, _Items, result_to_dict, write_json

ROOT = Path(__file__).resolve().parents[1]

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
KEYS = st.text() | st.integers() | st.floats() | st.booleans() | st.none()
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=25,
)


def indented(value: Any) -> str:
    stream = io.StringIO()
    writer = _IndentedWriter(stream)
    writer.value(value, 0)
    writer.flush()
    return stream.getvalue()


def nested_texts(lazy: Any, plain: Any, nest: int) -> tuple[str, str]:
    """(writer's text, json.dumps text) of an array given as the writer takes it (``lazy``)
    and as a list (``plain``), ``nest`` objects deep."""
    for depth in range(nest):
        lazy, plain = {f"k{depth}": lazy, "after": 1}, {f"k{depth}": plain, "after": 1}
    return indented(lazy), json.dumps(plain, indent=2, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_same_text_as_the_standard_library(value: Any) -> None:
    assert indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_items_are_written_as_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_writer, "_FLUSH_PARTS", 3)  # flushed many times on the way
    items = [{"gene": "EGFR", "variant": {"pos": n, "filters": ["a", "ü"]}} for n in range(50)]
    document = {"empty": [], "items": items, "after": {"x": 1.5}}
    lazy = {"empty": _Items(iter([])), "items": _Items(iter(items)), "after": {"x": 1.5}}
    assert indented(lazy) == json.dumps(document, indent=2, ensure_ascii=False)


def test_unserializable_values_are_refused_as_json_refuses_them() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        indented({"a": {1, 2}})
    with pytest.raises(TypeError, match="keys must be"):
        indented({(1, 2): "a"})


@pytest.mark.parametrize(
    ("source", "tumor_type", "options"),
    [
        ("test_data/demo.grch38.vep.vcf.gz", "LUAD", {"explain": True, "min_vaf": 0.3}),
        ("tests/data/pcgr.T001-COAD.grch38.vcf.gz", "COAD", {"include_filtered": True}),
    ],
)
def test_write_json_is_json_dump_of_the_result(
    source: str, tumor_type: str, options: dict[str, Any]
) -> None:
    config = AnnotateConfig(
        input=ROOT / source, tumor_type=tumor_type, out_json=Path(os.devnull), **options
    )
    (result,) = run(config)
    assert result.findings
    assert result.unclassified or (result.near_misses and result.filtered_findings)
    stream = io.StringIO()
    write_json(result, stream)
    assert stream.getvalue() == (
        json.dumps(result_to_dict(result), indent=2, ensure_ascii=False) + "\n"
    )
