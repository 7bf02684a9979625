"""read_expression: gene tables of z-scores, TPM or calls into over/underexpression events."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from annotator.errors import InputError, UsageError
from annotator.models import VariantClass
from annotator.readers.expression import ExpressionThresholds, read_expression

DEFAULT = ExpressionThresholds()


def write(tmp_path: Path, text: str, name: str = "expression.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def calls(path: Path, thresholds: ExpressionThresholds = DEFAULT) -> list[tuple[str, str, str]]:
    found = read_expression(path, thresholds=thresholds)
    assert all(a.variant_class is VariantClass.OTHER and a.variant is None for a in found)
    assert {a.source for a in found} <= {"expression table"}
    return [(a.gene, str(a.event), str(a.detail)) for a in found]


@pytest.mark.parametrize(
    ("zscore", "fields", "expected"),
    [
        # defaults: cBioPortal's EXP >= 2 / EXP <= -2
        ("2.7", {}, "overexpression"),
        ("2", {}, "overexpression"),
        ("1.99", {}, None),
        ("0", {}, None),
        ("-1.99", {}, None),
        ("-2", {}, "underexpression"),
        ("-3.4", {}, "underexpression"),
        ("1e1", {}, "overexpression"),
        ("NA", {}, None),
        ("", {}, None),
        ("1.6", {"high_zscore": 1.5}, "overexpression"),
        ("2.5", {"high_zscore": 3.0}, None),
        ("-1.6", {"low_zscore": -1.5}, "underexpression"),
    ],
)
def test_zscore_thresholds(
    tmp_path: Path, zscore: str, fields: dict[str, float], expected: str | None
) -> None:
    path = write(tmp_path, f"gene\tzscore\nERCC1\t{zscore}\n")
    found = calls(path, ExpressionThresholds(**fields))
    assert [event for _gene, event, _detail in found] == ([expected] if expected else [])


@pytest.mark.parametrize("column", ["zscore", "z_score", "Z-Score", "ZSCORE"])
def test_zscore_column_spellings_and_detail(tmp_path: Path, column: str) -> None:
    path = write(tmp_path, f"Gene\t{column}\nERCC1\t2.7\nTYMS\t-2.25\nKRAS\t0.3\n")
    assert calls(path) == [
        ("ERCC1", "overexpression", "z-score 2.7"),
        ("TYMS", "underexpression", "z-score -2.25"),
    ]


@pytest.mark.parametrize(
    ("tpm", "fields", "expected"),
    [
        ("154", {"high_tpm": 100}, "overexpression"),
        ("100", {"high_tpm": 100}, "overexpression"),
        ("99.9", {"high_tpm": 100}, None),
        ("0.5", {"high_tpm": 100}, None),  # no low threshold: underexpression is not called
        ("0.5", {"low_tpm": 1}, "underexpression"),
        ("1", {"low_tpm": 1, "high_tpm": 50}, "underexpression"),
        ("20", {"low_tpm": 1, "high_tpm": 50}, None),
        ("0", {"low_tpm": 0}, "underexpression"),
    ],
)
def test_tpm_thresholds(
    tmp_path: Path, tpm: str, fields: dict[str, float], expected: str | None
) -> None:
    path = write(tmp_path, f"gene\ttpm\nERBB2\t{tpm}\n")
    found = calls(path, ExpressionThresholds(**fields))
    assert [event for _gene, event, _detail in found] == ([expected] if expected else [])


def test_tpm_detail(tmp_path: Path) -> None:
    path = write(tmp_path, "gene\tTPM\nERBB2\t154\nMET\t3.25\n")
    assert calls(path, ExpressionThresholds(high_tpm=100, low_tpm=5)) == [
        ("ERBB2", "overexpression", "TPM 154"),
        ("MET", "underexpression", "TPM 3.2"),  # one decimal, halves to even
    ]


def test_tpm_without_thresholds_says_which_option_to_set(tmp_path: Path) -> None:
    path = write(tmp_path, "gene\ttpm\nERBB2\t154\n")
    with pytest.raises(UsageError) as caught:
        read_expression(path, thresholds=DEFAULT)
    message = str(caught.value)
    assert "--expression-high-tpm" in message
    assert "--expression-low-tpm" in message
    assert str(path) in message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("high", "overexpression"),
        ("HIGH", "overexpression"),
        ("over", "overexpression"),
        ("Overexpressed", "overexpression"),
        ("up", "overexpression"),
        ("up-regulated", "overexpression"),
        ("low", "underexpression"),
        ("under", "underexpression"),
        ("underexpression", "underexpression"),
        ("Down", "underexpression"),
        ("downregulated", "underexpression"),
        ("Down regulated", "underexpression"),
        ("normal", None),
        ("neutral", None),
        ("none", None),
        ("not significant", None),
        ("NA", None),
        ("", None),
    ],
)
def test_calls(tmp_path: Path, call: str, expected: str | None) -> None:
    path = write(tmp_path, f"gene\tcall\nERCC1\t{call}\n")
    found = calls(path)
    assert found == ([("ERCC1", expected, f"call {call}")] if expected else [])


@pytest.mark.parametrize(
    ("header", "row", "fields", "detail"),
    [
        # call first, then z-score, then TPM ...
        ("gene\ttpm\tzscore\tcall", "ERCC1\t500\t1.0\thigh", {}, "call high"),
        ("gene\ttpm\tzscore", "ERCC1\t500\t2.5", {}, "z-score 2.5"),
        # ... except that TPM thresholds select the TPM column
        ("gene\ttpm\tzscore\tcall", "ERCC1\t500\t1.0\tnormal", {"high_tpm": 100}, "TPM 500"),
        # TPM thresholds without a TPM column: the z-score is used
        ("gene\tzscore", "ERCC1\t2.5", {"high_tpm": 100}, "z-score 2.5"),
    ],
)
def test_value_column_choice(
    tmp_path: Path, header: str, row: str, fields: dict[str, float], detail: str
) -> None:
    path = write(tmp_path, f"{header}\n{row}\n")
    assert calls(path, ExpressionThresholds(**fields)) == [("ERCC1", "overexpression", detail)]


@pytest.mark.parametrize("empty", ["", ".", "NA"])
def test_empty_call_falls_back_to_the_zscore(tmp_path: Path, empty: str) -> None:
    """Regression: an empty call cell hid the row's z-score (no event, no note)."""
    path = write(tmp_path, f"gene\tzscore\tcall\nABCB1\t3.4\t{empty}\nERCC1\t-2.5\thigh\n")
    assert calls(path) == [
        ("ABCB1", "overexpression", "z-score 3.4"),
        ("ERCC1", "overexpression", "call high"),
    ]


@pytest.mark.parametrize("verdict", ["none", "normal"])
def test_a_no_event_call_is_a_verdict_not_a_missing_value(tmp_path: Path, verdict: str) -> None:
    path = write(tmp_path, f"gene\tzscore\tcall\nABCB1\t3.4\t{verdict}\n")
    assert calls(path) == []


def test_empty_tpm_falls_back_to_the_call_then_the_zscore(tmp_path: Path) -> None:
    text = "gene\ttpm\tcall\tzscore\nABCB1\t\thigh\t0.1\nERCC1\tNA\t\t2.5\nTYMS\t\t\t\n"
    assert calls(write(tmp_path, text), ExpressionThresholds(high_tpm=100)) == [
        ("ABCB1", "overexpression", "call high"),
        ("ERCC1", "overexpression", "z-score 2.5"),
    ]


def test_gene_listed_twice_keeps_the_most_extreme_value(tmp_path: Path) -> None:
    text = "# comment\ngene\tzscore\nERCC1\t2.1\nERCC1\t3.4\nERCC1\t2.2\nERCC1\t-2.5\n"
    assert calls(write(tmp_path, text)) == [
        ("ERCC1", "overexpression", "z-score 3.4"),
        ("ERCC1", "underexpression", "z-score -2.5"),
    ]


def test_gzip_input(tmp_path: Path) -> None:
    path = tmp_path / "expression.tsv.gz"
    path.write_bytes(gzip.compress(b"gene\tzscore\nERCC1\t2.7\n"))
    assert calls(path) == [("ERCC1", "overexpression", "z-score 2.7")]


# -- errors ------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expression file not found"):
        read_expression(tmp_path / "nope.tsv", thresholds=DEFAULT)


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expression file is empty"):
        read_expression(write(tmp_path, "\n# nothing\n"), thresholds=DEFAULT)


@pytest.mark.parametrize(
    "header", ["gene\tfpkm", "symbol\tzscore", "Hugo_Symbol\tEntrez_Gene_Id\tTCGA-01"]
)
def test_unknown_header_names_the_expected_columns(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, f"{header}\nERCC1\t1\n")
    with pytest.raises(InputError) as caught:
        read_expression(path, thresholds=DEFAULT)
    message = str(caught.value)
    assert "line 1: unknown expression table: header columns are" in message
    assert "gene column and one of tpm, zscore (z_score) or call" in message


@pytest.mark.parametrize(
    ("text", "fields", "line", "message"),
    [
        ("gene\tzscore\nA\t1\nB\thigh\n", {}, 3, "z-score 'high' is not a number"),
        ("gene\tzscore\nA\tinf\n", {}, 2, "z-score 'inf' is not a number"),
        ("gene\ttpm\nA\t-4\n", {"high_tpm": 10}, 2, "TPM '-4' is negative"),
        ("gene\ttpm\nA\tx\n", {"high_tpm": 10}, 2, "TPM 'x' is not a number"),
        ("gene\tcall\nA\tmaybe\n", {}, 2, "expression call 'maybe' is not one this reader"),
        ("gene\tzscore\nA\n", {}, 2, "row has 1 tab-separated columns but the header has 2"),
        ("gene\tzscore\n\t2\n", {}, 2, "gene is empty"),
    ],
)
def test_row_errors_name_the_line(
    tmp_path: Path, text: str, fields: dict[str, float], line: int, message: str
) -> None:
    with pytest.raises(InputError, match=message) as caught:
        read_expression(write(tmp_path, text), thresholds=ExpressionThresholds(**fields))
    assert caught.value.line == line


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"low_zscore": 2.0, "high_zscore": 2.0}, "low z-score threshold 2 must be below"),
        ({"high_tpm": -1}, "--expression-high-tpm must be 0 or more"),
        ({"low_tpm": 10, "high_tpm": 5}, "--expression-low-tpm 10 must be below"),
        ({"high_zscore": float("nan")}, "must be a number"),
    ],
)
def test_thresholds_refuse_nonsense(fields: dict[str, float], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ExpressionThresholds(**fields)
