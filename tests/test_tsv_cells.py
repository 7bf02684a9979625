"""TSV cells are one line: tabs, carriage returns and newlines (any mix) become single spaces,
as ``" ".join(text.replace("\\t", " ").split())`` gives whenever the text has any of them."""

from __future__ import annotations

import itertools

import pytest

from annotator.writers.tsv import _one_line


def straightforward(text: str) -> str:
    if any(character in text for character in "\t\r\n"):
        return " ".join(text.replace("\t", " ").split())
    return text


PIECES = ["", "a", " ", "\t", "\r", "\n", "  b ", "\u00a0", "é"]


@pytest.mark.parametrize("length", [1, 2, 3])
def test_one_line_as_the_straightforward_rule(length: int) -> None:
    for pieces in itertools.product(PIECES, repeat=length):
        text = "".join(pieces)
        assert _one_line(text) == straightforward(text), repr(text)


def test_text_without_breaks_is_kept_as_it_is() -> None:
    text = "EGFR  T790M \u00a0 (A)"
    assert _one_line(text) is text
