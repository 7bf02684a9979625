"""Read per-gene expression into ``overexpression`` / ``underexpression`` events.

Input: a tab-separated table (plain or gzip-compressed; ``#`` lines are comments) with a
``gene`` column and at least one value column, header names case-insensitive:

* ``call``: the caller's own verdict (case-insensitive; ``-``, space and ``_`` alike).
  ``high``, ``over``, ``overexpression``, ``overexpressed``, ``up``, ``upregulated`` are
  overexpression; ``low``, ``under``, ``underexpression``, ``underexpressed``, ``down``,
  ``downregulated`` underexpression;
  ``normal``, ``neutral``, ``none``, ``not_significant``, empty, ``.`` and ``NA`` no event.
  Other values are an error naming these lists.
* ``zscore`` (or ``z_score``, ``z-score``): expression relative to a reference population.
  Overexpression at z >= ``high_zscore`` (default 2), underexpression at z <= ``low_zscore``
  (default -2): cBioPortal's default mRNA query is ``EXP >= 2 EXP <= -2``, i.e. two standard
  deviations from the mean (docs.cbioportal.org/user-guide/oql). The z-score is only as good
  as its reference distribution; cBioPortal warns that non-normal data gives more false calls
  (docs.cbioportal.org, "Z-Score normalization script").
* ``tpm``: an absolute level, which means nothing without a reference distribution, so there
  is no default: ``high_tpm`` (``--expression-high-tpm``) and/or ``low_tpm``
  (``--expression-low-tpm``) must be given, else a UsageError says which. Overexpression at
  TPM >= ``high_tpm``, underexpression at TPM <= ``low_tpm``; with only one given, only that
  direction is called.

When several value columns are present, a row is read by the first of them it fills: ``call``,
then the z-score, except that explicit TPM thresholds put ``tpm`` first when the file has it.
An empty, ``.`` or ``NA`` cell falls through to the next column, as the copy-number table reads
``copy_number`` when ``call`` is empty (a ``call`` of ``none`` is the caller's verdict, no
event, and does not); a row that fills none gives no event. A gene listed twice keeps its most
extreme value per direction.

Every gene of the file may yield an event (there is no gene filter here: the matcher only
looks at rule genes). ``detail`` is what the file said: ``z-score 2.7``, ``TPM 154``,
``call high``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from annotator.errors import InputError, UsageError
from annotator.models import Alteration, VariantClass
from annotator.readers.text import (
    MISSING_VALUES,
    describe_columns,
    format_number,
    parse_number,
    read_text_lines,
    split_row,
)

OVEREXPRESSION = "overexpression"
UNDEREXPRESSION = "underexpression"

ZSCORE_COLUMNS = ("zscore", "z_score", "z-score")

OVEREXPRESSION_CALLS = frozenset(
    {"high", "over", "overexpression", "overexpressed", "up", "upregulated", "up_regulated"}
)
UNDEREXPRESSION_CALLS = frozenset(
    {"low", "under", "underexpression", "underexpressed", "down", "downregulated", "down_regulated"}
)
NO_EVENT_CALLS = frozenset({"normal", "neutral", "none", "not_significant"}) | MISSING_VALUES

SOURCE = "expression table"


@dataclass(frozen=True)
class ExpressionThresholds:
    """When a gene is over- or underexpressed (see module doc for the defaults' sources)."""

    high_zscore: float = 2.0
    low_zscore: float = -2.0
    high_tpm: float | None = None
    low_tpm: float | None = None

    def __post_init__(self) -> None:
        for name in ("high_zscore", "low_zscore", "high_tpm", "low_tpm"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise UsageError(f"expression threshold {name} must be a number, got {value}")
        if self.low_zscore >= self.high_zscore:
            raise UsageError(
                f"low z-score threshold {self.low_zscore:g} must be below the high one "
                f"{self.high_zscore:g}"
            )
        for name, option in (("high_tpm", "high"), ("low_tpm", "low")):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise UsageError(
                    f"--expression-{option}-tpm must be 0 or more, got {value:g}",
                )
        high, low = self.high_tpm, self.low_tpm
        if high is not None and low is not None and low >= high:
            raise UsageError(
                f"--expression-low-tpm {low:g} must be below --expression-high-tpm {high:g}"
            )

    @property
    def has_tpm(self) -> bool:
        return self.high_tpm is not None or self.low_tpm is not None


@dataclass(frozen=True)
class _Column:
    """The value column a table is read by: its index, its kind and how ``detail`` names it."""

    index: int
    kind: str  # "call", "zscore" or "tpm"
    label: str


def read_expression(path: str | Path, *, thresholds: ExpressionThresholds) -> list[Alteration]:
    """One ``overexpression`` or ``underexpression`` event per gene the table calls so."""
    path = Path(path)
    lines = read_text_lines(path, "expression")
    header = next(
        (i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None
    )
    if header is None:
        raise InputError("expression file is empty", path=path)
    columns = [cell.strip().lower() for cell in lines[header].split("\t")]
    value_columns = _value_columns(columns, thresholds, path, header + 1)
    gene_at = columns.index("gene")
    # (gene, event) -> (value, detail); the value orders calls of one direction.
    events: dict[tuple[str, str], tuple[float, str]] = {}
    for number, row in enumerate(lines[header + 1 :], start=header + 2):
        if not row.strip() or row.startswith("#"):
            continue
        cells = split_row(row, len(columns), path=path, line=number)
        gene = cells[gene_at]
        if not gene:
            raise InputError("gene is empty", path=path, line=number)
        found = _row_event(cells, value_columns, thresholds, path, number)
        if found is None:
            continue
        event, value, detail = found
        key = (gene, event)
        known = events.get(key)
        more_extreme = known is not None and (
            value > known[0] if event == OVEREXPRESSION else value < known[0]
        )
        if known is None or more_extreme:
            events[key] = (value, detail)
    return [
        Alteration(
            gene=gene, variant_class=VariantClass.OTHER, source=SOURCE, event=event, detail=detail
        )
        for (gene, event), (_value, detail) in events.items()
    ]


def _row_event(
    cells: Sequence[str],
    value_columns: Sequence[_Column],
    thresholds: ExpressionThresholds,
    path: Path,
    number: int,
) -> tuple[str, float, str] | None:
    """(event, value, detail) of a row, read from the first value column it fills; None when
    it calls no event or fills none."""
    column = next((c for c in value_columns if not _is_missing(cells[c.index], c.kind)), None)
    if column is None:
        return None
    text = cells[column.index]
    if column.kind == "call":
        event = _event_of_call(text, path, number)
        return None if event is None else (event, 0.0, f"call {text}")
    value = parse_number(text, column=column.label, path=path, line=number)
    event = _event_of_value(value, column.kind, thresholds, path, number, text)
    decimals = 2 if column.kind == "zscore" else 1
    return (
        None
        if event is None
        else (event, value, f"{column.label} {format_number(value, decimals)}")
    )


def _is_missing(text: str, kind: str) -> bool:
    """Whether a cell gives no value, so that the next value column is read: empty, ``.``,
    ``NA`` ... (a ``call`` of ``none`` is the caller's verdict, no event, and is kept)."""
    key = text.strip().lower()
    return key in MISSING_VALUES and not (kind == "call" and key == "none")


def _value_columns(
    columns: list[str], thresholds: ExpressionThresholds, path: Path, line: int
) -> tuple[_Column, ...]:
    """The value columns a row is read by, in order: TPM when thresholds are set for it, the
    call, the z-score."""
    zscore = next((name for name in ZSCORE_COLUMNS if name in columns), None)
    if "gene" not in columns or not ({"call", "tpm"} & set(columns) or zscore):
        raise InputError(
            f"unknown expression table: header columns are {describe_columns(columns)}",
            path=path,
            line=line,
            hint="expected a gene column and one of tpm, zscore (z_score) or call",
        )
    found: list[_Column] = []
    if thresholds.has_tpm and "tpm" in columns:
        found.append(_Column(columns.index("tpm"), "tpm", "TPM"))
    if "call" in columns:
        found.append(_Column(columns.index("call"), "call", "call"))
    if zscore is not None:
        found.append(_Column(columns.index(zscore), "zscore", "z-score"))
    if not found:
        raise UsageError(
            "expression table gives TPM values only, and a TPM means nothing without a "
            "reference: set --expression-high-tpm (overexpression at or above) and/or "
            "--expression-low-tpm (underexpression at or below)",
            path=path,
        )
    return tuple(found)


def _event_of_value(
    value: float,
    kind: str,
    thresholds: ExpressionThresholds,
    path: Path,
    line: int,
    text: str,
) -> str | None:
    if kind == "zscore":
        high: float | None = thresholds.high_zscore
        low: float | None = thresholds.low_zscore
    else:
        if value < 0:
            raise InputError(f"TPM '{text}' is negative", path=path, line=line)
        high, low = thresholds.high_tpm, thresholds.low_tpm
    if high is not None and value >= high:
        return OVEREXPRESSION
    if low is not None and value <= low:
        return UNDEREXPRESSION
    return None


def _event_of_call(text: str, path: Path, line: int) -> str | None:
    key = "_".join(text.strip().lower().replace("-", " ").split())
    if key in OVEREXPRESSION_CALLS:
        return OVEREXPRESSION
    if key in UNDEREXPRESSION_CALLS:
        return UNDEREXPRESSION
    if key in NO_EVENT_CALLS or text.strip().lower() in NO_EVENT_CALLS:
        return None
    raise InputError(
        f"expression call '{text}' is not one this reader knows",
        path=path,
        line=line,
        hint="overexpression: high, over, up, overexpression; underexpression: low, under, "
        "down, underexpression; no event: normal, neutral, none, NA",
    )
