"""The JSON writer's template for unclassified variants writes what ``json.dump(...,
indent=2, ensure_ascii=False)`` writes for their dicts: any text, numbers, filters, nesting
level, items of other types, and a dict the template does not know."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.models import Unclassified, Variant
from annotator.writers import json as json_writer
from annotator.writers.json import (
    _UnclassifiedItems,
    unclassified_to_dict,
)
from tests.test_json_writer import indented, nested_texts


def dumped(items: list[Unclassified], nest: int) -> tuple[str, str]:
    """(writer's text, json.dumps text) of the items as an array ``nest`` objects deep."""
    return nested_texts(
        _UnclassifiedItems(items), [unclassified_to_dict(item) for item in items], nest
    )


@dataclass(frozen=True, slots=True)
class OtherVariant(Variant):
    """A Variant of another type: written from its dict."""


TEXT = st.text(max_size=12)
VARIANTS = st.builds(
    lambda cls, chrom, pos, ref, alt, filters: cls(
        chrom, pos, ref, alt, record_index=1, filters=filters
    ),
    st.sampled_from([Variant, Variant, Variant, OtherVariant]),
    st.sampled_from(["chr7", "7", "X"]) | TEXT,
    st.integers() | st.booleans(),
    st.sampled_from(["A", "C", "TCGCC"]) | TEXT,
    st.sampled_from(["G", "T"]) | TEXT,
    st.just(()) | st.lists(TEXT, max_size=3).map(tuple),
)
ITEMS = st.builds(
    Unclassified,
    st.sampled_from(["EGFR", "BRAF"]) | TEXT,
    VARIANTS,
    st.sampled_from(['outside the coding exons (EGFR 18-21); \u00fc "q" \\ \t']) | TEXT,
)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(ITEMS, max_size=6), nest=st.integers(0, 3))
def test_same_text_as_the_standard_library(items: list[Unclassified], nest: int) -> None:
    ours, theirs = dumped(items, nest)
    assert ours == theirs


def test_flushed_on_the_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_writer, "_FLUSH_PARTS", 3)
    items = [
        Unclassified("BRAF", Variant("chr7", n, "A", "T", record_index=n), "outside")
        for n in range(1, 60)
    ]
    items.insert(7, Unclassified("BRAF", OtherVariant("chr7", 5, "A", "T", record_index=5), "x"))
    ours, theirs = dumped(items, 1)
    assert ours == theirs


def test_a_field_the_template_does_not_know_gives_the_dicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def with_vaf(item: Unclassified) -> dict[str, Any]:
        return {**unclassified_to_dict(item), "vaf": item.variant.vaf}

    monkeypatch.setattr(json_writer, "unclassified_to_dict", with_vaf)
    items = [
        Unclassified("EGFR", Variant("7", n, "C", "T", record_index=n, vaf=0.5), "r")
        for n in range(1, 4)
    ]
    expected = json.dumps({"u": [with_vaf(item) for item in items]}, indent=2, ensure_ascii=False)
    assert indented({"u": _UnclassifiedItems(items)}) == expected


def test_no_items() -> None:
    assert indented({"u": _UnclassifiedItems([])}) == '{\n  "u": []\n}'
