"""Read fusion calls into fusion ``Alteration``s (``gene`` = ``5'GENE::3'GENE``).

The format is told from the header line (a leading ``#`` is ignored, columns are found by name,
so added or reordered columns do not matter):

- Arriba ``fusions.tsv`` (suhrig/arriba ``documentation/output-files.md``): ``gene1`` is the 5'
  gene and ``gene2`` the 3' gene when the transcribed strands could be predicted, i.e. the part
  after the slash of ``strand1(gene/fusion)`` / ``strand2(gene/fusion)`` is ``+`` or ``-``
  (``source/output_fusions.cpp`` swaps the columns so that the 5' gene comes first). When it is
  ``.``, the order is not predicted: 5'/3' is then worked out from the gene strands (before
  the slash) and ``direction1``/``direction2``, as for VCF breakends. An intergenic breakpoint
  has strand ``.`` and lists the closest genes upstream and downstream as ``GENE(distance)``
  joined by commas. Types ending in ``5'-5'`` / ``3'-3'`` (head-to-head, tail-to-tail) cannot
  give a chimeric protein. ``confidence`` is ``low``, ``medium`` or ``high``.
- STAR-Fusion ``star-fusion.fusion_predictions[.abridged].tsv`` (STAR-Fusion wiki, "Output
  from STAR-Fusion"): ``#FusionName`` is ``LEFT--RIGHT``; ``LeftGene``/``RightGene`` are
  ``SYMBOL^GENE_ID``; the left gene is the 5' partner and both are in sense orientation (the
  maintainer in STAR-Fusion issues #114 and #404). Breakpoints are ``chrom:pos:strand``.
- PCGR fusion TSV (sigven/pcgr ``examples/T001-BRCA.grch38.fusions.tsv``): ``FusionGene``
  (``5'--3'``), ``LeftBreakpoint``, ``RightBreakpoint``, ``SplitReads``.
- A simple TSV with a ``fusion`` column (``BCR::ABL1``, ``BCR--ABL1``, ``BCR-ABL1``,
  ``BCR/ABL1``) or ``gene1`` (5') and ``gene2`` (3') columns, names in any case; the other
  columns go to ``detail``.

The 5'→3' order is always the caller's (or the breakpoints'); names are never sorted. Calls are
not filtered on confidence or support: a low-confidence Arriba call is kept and ``detail`` says
so. A row that cannot give a sense 5'→3' fusion (head-to-head, antisense, order unknown, an
intergenic breakpoint between several genes) is skipped with a note in
``FusionCalls.skipped``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from annotator.errors import InputError
from annotator.models import Alteration, VariantClass
from annotator.readers.text import refuse_nul

ARRIBA = "arriba"
STAR_FUSION = "star-fusion"
PCGR = "pcgr"
FUSION_TSV = "fusion-tsv"

_ARRIBA_COLUMNS = (
    "gene1",
    "gene2",
    "strand1(gene/fusion)",
    "strand2(gene/fusion)",
    "breakpoint1",
    "breakpoint2",
)
_STAR_FUSION_COLUMNS = (
    "FusionName",
    "JunctionReadCount",
    "SpanningFragCount",
    "LeftGene",
    "LeftBreakpoint",
    "RightGene",
    "RightBreakpoint",
)
_PCGR_COLUMNS = ("FusionGene", "LeftBreakpoint", "RightBreakpoint")

_EXPECTED = (
    "Arriba (#gene1, gene2, strand1(gene/fusion), strand2(gene/fusion), breakpoint1, "
    "breakpoint2, ...), STAR-Fusion (#FusionName, JunctionReadCount, SpanningFragCount, "
    "LeftGene, LeftBreakpoint, RightGene, RightBreakpoint, ...), PCGR (FusionGene, "
    "LeftBreakpoint, RightBreakpoint[, SplitReads]) or a TSV with a 'fusion' column or "
    "'gene1' and 'gene2' columns"
)
_NAME_HINT = "write fusions as 5'GENE::3'GENE"

# One candidate gene of an Arriba intergenic breakpoint: NAME(distance).
_ARRIBA_CANDIDATE = re.compile(r"([^,()]+)\((-?[0-9]+)\)")
_STRANDS = ("+", "-", ".")
_DIRECTIONS = ("upstream", "downstream")


@dataclass(frozen=True, slots=True)
class FusionCalls:
    """What a fusion file gave: its format, the fusions, and the rows skipped and why."""

    path: str
    format: str
    alterations: tuple[Alteration, ...]
    skipped: tuple[str, ...] = ()


def read_fusions(path: Path) -> list[Alteration]:
    """One fusion ``Alteration`` per usable row of a fusion file, in file order."""
    return list(read_fusion_calls(path).alterations)


def read_fusion_calls(path: Path) -> FusionCalls:
    """Read a fusion file of any supported format; rows that give no fusion are noted.

    Raises InputError (with the path, and the line where there is one) for a missing or
    unreadable file, an unknown header, a row whose number of columns differs from the
    header's, or a fusion name or strand field that cannot be read.
    """
    lines = _read_lines(path)
    header_line, columns = _header(lines, path)
    kind = _detect_format(columns, path, header_line)
    row_reader = _ROW_READERS[kind]
    alterations: list[Alteration] = []
    skipped: list[str] = []
    for number, row in _rows(lines, header_line, columns, path):
        result = row_reader(row, _Where(path, number))
        if isinstance(result, Alteration):
            alterations.append(result)
        else:
            skipped.append(f"{path}, line {number}: {result}")
    return FusionCalls(str(path), kind, tuple(alterations), tuple(skipped))


def parse_fusion_name(text: str) -> tuple[str, str] | None:
    """The (5', 3') gene symbols of a fusion name, or None when it cannot be split.

    Separators tried in turn: ``::``, ``--``, ``/``, then a single ``-`` (only when the name
    has exactly one, since symbols such as ``NKX2-1`` contain hyphens). STAR-Fusion's
    ``SYMBOL^GENE_ID`` partners are cut at the ``^``.

    >>> parse_fusion_name("BCR--ABL1"), parse_fusion_name("BCR^ENSG00000186716.21::ABL1")
    (('BCR', 'ABL1'), ('BCR', 'ABL1'))
    """
    name = text.strip()
    for separator in ("::", "--", "/"):
        if separator in name:
            parts = name.split(separator)
            break
    else:
        parts = name.split("-")
    if len(parts) != 2:
        return None
    five, three = (_symbol(part) for part in parts)
    if not five or not three:
        return None
    return five, three


def _symbol(text: str) -> str:
    """``BCR^ENSG00000186716.21`` → ``BCR``; an empty string when nothing usable is left."""
    symbol = text.split("^", 1)[0].strip()
    return "" if symbol in ("", ".") or any(c.isspace() for c in symbol) else symbol


# ---------------------------------------------------------------------------------- file


@dataclass(frozen=True, slots=True)
class _Where:
    path: Path
    line: int

    def error(self, message: str, hint: str | None = None) -> InputError:
        return InputError(message, path=self.path, line=self.line, hint=hint)


def _read_lines(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise InputError("fusion file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a fusion file", path=path) from None
    except UnicodeDecodeError as error:
        raise InputError(
            f"not a text file (byte {error.start} is not UTF-8)",
            path=path,
            hint="give an uncompressed fusion TSV",
        ) from None
    except OSError as error:
        raise InputError(f"cannot read fusion file: {error.strerror}", path=path) from None
    refuse_nul(text, path, "fusion")
    return [line.rstrip("\r\n") for line in io.StringIO(text, newline="")]


def _header(lines: Sequence[str], path: Path) -> tuple[int, list[str]]:
    """The 1-based line number of the header and its column names (leading ``#`` removed)."""
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("##"):
            continue
        columns = [column.strip() for column in line.split("\t")]
        columns[0] = columns[0].lstrip("#").strip()
        return number, columns
    raise InputError("no header line", path=path, hint=f"expected the columns of {_EXPECTED}")


def _detect_format(columns: Sequence[str], path: Path, line: int) -> str:
    present = set(columns)
    lower = {column.lower() for column in columns}
    kind: str | None = None
    required: Sequence[str] = ()
    if "strand1(gene/fusion)" in present or "strand2(gene/fusion)" in present:
        kind, required = ARRIBA, _ARRIBA_COLUMNS
    elif "FusionName" in present and ("LeftGene" in present or "JunctionReadCount" in present):
        kind, required = STAR_FUSION, _STAR_FUSION_COLUMNS
    elif "FusionGene" in present:
        kind, required = PCGR, _PCGR_COLUMNS
    elif "fusion" in lower or {"gene1", "gene2"} <= lower:
        kind = FUSION_TSV
    if kind is None:
        raise InputError(
            f"unknown fusion file header (columns: {', '.join(columns)})",
            path=path,
            line=line,
            hint=f"expected the columns of {_EXPECTED}",
        )
    missing = [column for column in required if column not in present]
    if missing:
        raise InputError(
            f"{kind} header lacks column(s) {', '.join(missing)}",
            path=path,
            line=line,
            hint=f"{kind} needs {', '.join(required)}",
        )
    if len(present) != len(columns):
        twice = sorted({column for column in columns if columns.count(column) > 1})
        raise InputError(f"header names column(s) twice: {', '.join(twice)}", path=path, line=line)
    return kind


def _rows(
    lines: Sequence[str], header_line: int, columns: Sequence[str], path: Path
) -> Iterator[tuple[int, dict[str, str]]]:
    for number, line in enumerate(lines[header_line:], start=header_line + 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(columns):
            raise InputError(
                f"row has {len(fields)} columns, the header has {len(columns)}",
                path=path,
                line=number,
                hint="fields must be separated by single tabs",
            )
        yield number, {column: field.strip() for column, field in zip(columns, fields, strict=True)}


def _fusion(five: str, three: str, source: str, detail: Sequence[str]) -> Alteration:
    return Alteration(
        gene=f"{five}::{three}",
        variant_class=VariantClass.OTHER,
        event="fusion",
        source=source,
        detail="; ".join(part for part in detail if part),
    )


def _value(row: Mapping[str, str], column: str) -> str:
    """The field, or '' when the column is absent or the field is empty or ``.``."""
    value = row.get(column, "")
    return "" if value == "." else value


# --------------------------------------------------------------------------------- Arriba


@dataclass(frozen=True, slots=True)
class _ArribaPartner:
    field: str  # gene1 / gene2 as written
    gene_strand: str  # + - . (before the slash)
    transcribed: str  # + - . (after the slash)
    breakpoint: str
    site: str
    direction: str
    split_reads: str


def _arriba_partner(row: Mapping[str, str], index: int, where: _Where) -> _ArribaPartner:
    strands = row[f"strand{index}(gene/fusion)"]
    gene_strand, slash, transcribed = strands.partition("/")
    if not slash or gene_strand not in _STRANDS or transcribed not in _STRANDS:
        raise where.error(
            f"strand{index}(gene/fusion) '{strands}' is not gene/fusion strands",
            hint="expected e.g. '+/+', '-/.', './-'",
        )
    direction = _value(row, f"direction{index}")
    if direction and direction not in _DIRECTIONS:
        raise where.error(f"direction{index} '{direction}' is not upstream or downstream")
    return _ArribaPartner(
        field=row[f"gene{index}"],
        gene_strand=gene_strand,
        transcribed=transcribed,
        breakpoint=row[f"breakpoint{index}"],
        site=_value(row, f"site{index}"),
        direction=direction,
        split_reads=_value(row, f"split_reads{index}"),
    )


def _arriba_gene(partner: _ArribaPartner) -> tuple[str | None, str]:
    """The partner's gene and a note on what was dropped; None when it is not one gene."""
    field = partner.field
    candidates = _ARRIBA_CANDIDATE.findall(field)
    if not candidates:
        symbol = _symbol(field)
        return (symbol or None), ("" if symbol else f"no gene at {partner.breakpoint}")
    listed = ", ".join(f"{name} ({distance} bp)" for name, distance in candidates)
    if len(candidates) == 1:
        name, distance = candidates[0]
        return name.strip(), (
            f"{partner.breakpoint} intergenic, {distance} bp from {name.strip()}, the only "
            "gene Arriba lists"
        )
    return None, f"{partner.breakpoint} intergenic between {listed}"


def _arriba_role(partner: _ArribaPartner) -> str | None:
    """5' or 3' from the gene strand and the side the partner is fused on; None if unknown."""
    if partner.gene_strand == "." or not partner.direction:
        return None
    # "downstream": the partner is fused at higher coordinates, so the part of this gene kept
    # is the one below the breakpoint: the 5' part of a + strand gene.
    return "5'" if (partner.gene_strand == "+") == (partner.direction == "downstream") else "3'"


def _read_arriba(row: Mapping[str, str], where: _Where) -> Alteration | str:
    first, second = _arriba_partner(row, 1, where), _arriba_partner(row, 2, where)
    names = f"{first.field} / {second.field}"
    event_type = _value(row, "type")
    if "5'-5'" in event_type or "3'-3'" in event_type:
        return f"{names}: type {event_type}, head-to-head or tail-to-tail, no chimeric transcript"
    notes: list[str] = []
    if first.transcribed != "." and second.transcribed != ".":
        five, three = first, second
        for partner in (first, second):
            if partner.gene_strand not in (".", partner.transcribed):
                return (
                    f"{names}: {partner.field} transcribed antisense (gene strand "
                    f"{partner.gene_strand}, transcribed {partner.transcribed}), no sense fusion"
                )
    else:
        roles = (_arriba_role(first), _arriba_role(second))
        if None in roles:
            return f"{names}: 5'/3' order not predicted (transcribed strand '.')"
        if roles[0] == roles[1]:
            return f"{names}: both partners {roles[0]} by gene strand and direction, no fusion"
        five, three = (first, second) if roles[0] == "5'" else (second, first)
        notes.append("5'/3' from gene strands and directions (transcribed strand not predicted)")
    five_gene, five_note = _arriba_gene(five)
    three_gene, three_note = _arriba_gene(three)
    if five_gene is None or three_gene is None:
        return f"{names}: no single gene for a partner ({three_note if five_gene else five_note})"
    notes += [five_note, three_note]
    confidence = _value(row, "confidence")
    frame = _value(row, "reading_frame")
    detail = [
        f"Arriba {five.breakpoint}{_parenthesised(five.site)} -> "
        f"{three.breakpoint}{_parenthesised(three.site)}",
        event_type,
        _support(
            ("split reads", _joined(five.split_reads, three.split_reads)),
            ("discordant mates", _value(row, "discordant_mates")),
        ),
        f"confidence {confidence}" if confidence else "",
        "low-confidence call, kept unfiltered" if confidence == "low" else "",
        f"reading frame {frame}" if frame else "",
        *notes,
    ]
    return _fusion(five_gene, three_gene, ARRIBA, detail)


def _parenthesised(text: str) -> str:
    return f" ({text})" if text else ""


def _joined(first: str, second: str) -> str:
    return f"{first}+{second}" if first and second else first or second


def _support(*counts: tuple[str, str]) -> str:
    return ", ".join(f"{label} {value}" for label, value in counts if value)


# ---------------------------------------------------------------------------- STAR-Fusion


def _read_star_fusion(row: Mapping[str, str], where: _Where) -> Alteration | str:
    five, three = _symbol(row["LeftGene"]), _symbol(row["RightGene"])
    if not five or not three:
        name = parse_fusion_name(row["FusionName"])
        if name is None:
            raise where.error(
                f"no gene symbols in LeftGene '{row['LeftGene']}', RightGene "
                f"'{row['RightGene']}' or FusionName '{row['FusionName']}'"
            )
        five, three = name
    detail = [
        f"STAR-Fusion {row['LeftBreakpoint']} -> {row['RightBreakpoint']}",
        _support(
            ("junction reads", _value(row, "JunctionReadCount")),
            ("spanning fragments", _value(row, "SpanningFragCount")),
        ),
        f"FFPM {_value(row, 'FFPM')}" if _value(row, "FFPM") else "",
        _value(row, "SpliceType"),
        _value(row, "PROT_FUSION_TYPE"),
    ]
    return _fusion(five, three, STAR_FUSION, detail)


# ----------------------------------------------------------------------- PCGR, simple TSV


def _named_fusion(text: str, column: str, where: _Where) -> tuple[str, str]:
    name = parse_fusion_name(text)
    if name is None:
        raise where.error(
            f"{column} '{text}' is not two gene symbols joined by ::, --, / or -",
            hint=_NAME_HINT,
        )
    return name


def _read_pcgr(row: Mapping[str, str], where: _Where) -> Alteration | str:
    five, three = _named_fusion(row["FusionGene"], "FusionGene", where)
    detail = [
        f"PCGR fusion TSV {row['LeftBreakpoint']} -> {row['RightBreakpoint']}",
        _support(("split reads", _value(row, "SplitReads"))),
    ]
    return _fusion(five, three, PCGR, detail)


def _read_fusion_tsv(row: Mapping[str, str], where: _Where) -> Alteration | str:
    by_lower = {column.lower(): column for column in row}
    if "fusion" in by_lower:
        used = [by_lower["fusion"]]
        five, three = _named_fusion(row[used[0]], used[0], where)
    else:
        used = [by_lower["gene1"], by_lower["gene2"]]
        five, three = _symbol(row[used[0]]), _symbol(row[used[1]])
        if not five or not three:
            raise where.error(
                f"{used[0]} '{row[used[0]]}' / {used[1]} '{row[used[1]]}' are not two gene symbols",
                hint=_NAME_HINT,
            )
    others = [f"{column}={_value(row, column)}" for column in row if column not in used]
    detail = ["fusion TSV", *[text for text in others if not text.endswith("=")]]
    return _fusion(five, three, FUSION_TSV, detail)


_ROW_READERS: Mapping[str, Callable[[Mapping[str, str], _Where], Alteration | str]] = {
    ARRIBA: _read_arriba,
    STAR_FUSION: _read_star_fusion,
    PCGR: _read_pcgr,
    FUSION_TSV: _read_fusion_tsv,
}
