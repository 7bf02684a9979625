"""The unclassified template's remembered texts (gene and chromosome, reason, alleles) give
what ``json.dumps`` gives for runs of items that repeat values, change them, or hold values
of other types than str (a str subclass equal to a str seen before, numbers, None)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.models import Unclassified, Variant
from tests.test_json_writer_unclassified import dumped


class Name(str):
    """A str subclass: json writes its text."""


def odd(value: str) -> Any:
    return value


# Few distinct values, so that items repeat them back to back and after others.
STRINGS = st.sampled_from(["EGFR", "chr7", "A", "TG", 'r "1"', "é\t"])
VALUES = STRINGS | STRINGS.map(Name) | st.sampled_from([7, None, 1.5, True])
ITEMS = st.builds(
    lambda gene, chrom, pos, ref, alt, filters, reason: Unclassified(
        odd(gene),
        Variant(odd(chrom), pos, odd(ref), odd(alt), record_index=1, filters=filters),
        odd(reason),
    ),
    VALUES,
    VALUES,
    st.integers(1, 3) | st.booleans(),
    VALUES,
    VALUES,
    st.just(()) | st.lists(VALUES, max_size=2).map(tuple),
    VALUES,
)
PLAIN = st.builds(
    lambda gene, chrom, ref, reason: Unclassified(
        gene, Variant(chrom, 5, ref, "T", record_index=1), reason
    ),
    STRINGS,
    STRINGS,
    STRINGS,
    STRINGS,
)


@settings(max_examples=400, deadline=None)
@given(items=st.lists(PLAIN | ITEMS, max_size=8), nest=st.integers(0, 2))
def test_remembered_texts_as_the_standard_library(items: list[Unclassified], nest: int) -> None:
    ours, theirs = dumped(items, nest)
    assert ours == theirs


def test_a_value_of_another_type_after_an_equal_str() -> None:
    items = [
        Unclassified("EGFR", Variant("7", 1, "A", "T", record_index=1), "r"),
        Unclassified(Name("EGFR"), Variant(Name("7"), 2, Name("A"), "T", record_index=2), "r"),
        Unclassified(odd(7), Variant(odd(7), 3, "A", "T", record_index=3), "r"),
        Unclassified("EGFR", Variant("7", 4, odd(1.5), odd(None), record_index=4), odd(None)),
    ]
    ours, theirs = dumped(items, 1)
    assert ours == theirs
