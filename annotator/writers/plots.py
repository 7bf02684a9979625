"""Small hand-written SVG plots for the HTML report: no JavaScript, no external resources.

Every piece of text placed in the SVG goes through ``Markup.format``, which escapes it, so a
gene or alteration name from the input cannot inject markup. The functions return ``Markup``
for the template to insert as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from markupsafe import Markup

from annotator.models import EvidenceLevel, Finding, TumorTypeMatch

CLONAL_COLOR = "#2f6690"
SUBCLONAL_COLOR = "#b45309"  # as the report's --subclonal: 5.0:1 on white
ON_LABEL_COLOR = "#2f6690"
AXIS_COLOR = "#555"
GRID_COLOR = "#ddd"
THRESHOLD_COLOR = "#b3261e"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif"


@dataclass(frozen=True, slots=True)
class VafPoint:
    """One variant of the findings: several rules firing on one allele give one point."""

    label: str
    vaf: float
    subclonal: bool


def vaf_points(findings: Iterable[Finding]) -> list[VafPoint]:
    """One point per distinct allele with a VAF, highest VAF first (ties by label)."""
    points: dict[tuple[str, str, int, str, str], VafPoint] = {}
    for finding in findings:
        variant = finding.variant
        if variant is None or variant.vaf is None:
            continue
        key = (finding.gene, variant.chrom, variant.pos, variant.ref, variant.alt)
        seen = points.get(key)
        subclonal = finding.subclonal or (seen is not None and seen.subclonal)
        points[key] = VafPoint(f"{finding.gene} {finding.alteration}", variant.vaf, subclonal)
    labels = [point.label for point in points.values()]
    # Two alleles giving one protein change (KRAS Q61H from T>G and T>A): name the bases.
    shown = [
        point
        if labels.count(point.label) == 1
        else replace(point, label=f"{point.label} ({ref}>{alt})")
        for (_gene, _chrom, _pos, ref, alt), point in points.items()
    ]
    return sorted(shown, key=lambda point: (-point.vaf, point.label))


def _number(value: float) -> str:
    """Coordinates with at most one decimal, so the SVG text is stable across platforms."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


#: Longest bar label shown (longer ones are cut with an ellipsis; the bar's tooltip has all).
LABEL_LIMIT = 28
LABEL_FONT_SIZE = 12.0
LABEL_GAP = 8.0  # between a label's end and its bar
MIN_LEFT_MARGIN = 100.0
VAF_PLOT_WIDTH = 420.0  # the plot area, without the margins
#: Character widths in em, at or above those of the widest usual sans-serif faces (DejaVu
#: Sans, Segoe UI, Roboto, Arial): for sizing the margin to the labels, not for typesetting.
_WIDE_CHARACTERS = {"M": 0.9, "W": 1.0, "m": 1.0, "w": 0.85, "…": 1.0, "@": 1.0, "%": 0.95}
_NARROW_CHARACTERS = frozenset(" .,:;'|!()[]ilIjft")


def _shorten(text: str, limit: int = LABEL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _character_width(character: str) -> float:
    if character in _WIDE_CHARACTERS:
        return _WIDE_CHARACTERS[character]
    if character in _NARROW_CHARACTERS:
        return 0.4
    return 0.8 if character.isupper() else 0.65


def label_width(text: str, size: float = LABEL_FONT_SIZE) -> float:
    """A width in px that the text, at ``size`` px, does not exceed in the usual faces."""
    return size * sum(_character_width(character) for character in text)


def label_margin(labels: Iterable[str]) -> float:
    """The left margin that holds the widest of the (shortened) labels, right-aligned
    ``LABEL_GAP`` before the bars."""
    widest = max((label_width(_shorten(label)) for label in labels), default=0.0)
    return max(MIN_LEFT_MARGIN, 2 * LABEL_GAP + widest)


def vaf_plot_svg(points: Sequence[VafPoint], threshold: float | None) -> Markup:
    """Horizontal bars of VAF (0-1), a dashed line at ``threshold`` (skipped when None)."""
    if not points:
        return Markup("")
    right, top, row, bottom = 70.0, 34.0, 22.0, 40.0
    left = label_margin(point.label for point in points)
    plot_width = VAF_PLOT_WIDTH
    width = left + plot_width + right
    height = top + row * len(points) + bottom
    axis_y = top + row * len(points)

    def x_of(vaf: float) -> float:
        return left + plot_width * min(max(vaf, 0.0), 1.0)

    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="plot" role="img" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" style="{font}" '
            'aria-labelledby="vaf-plot-title">'
            '<title id="vaf-plot-title">Variant allele fraction of each finding</title>'
        ).format(w=_number(width), h=_number(height), font=FONT)
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = _number(x_of(tick))
        parts.append(
            Markup(
                '<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{grid}"/>'
                '<text x="{x}" y="{ty}" font-size="11" text-anchor="middle" fill="{axis}">'
                "{label}</text>"
            ).format(
                x=x,
                y1=_number(top - 4),
                y2=_number(axis_y),
                ty=_number(axis_y + 14),
                label=f"{tick:g}",
                grid=GRID_COLOR,
                axis=AXIS_COLOR,
            )
        )
    parts.append(
        Markup(
            '<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{axis}"/>'
            '<text x="{cx}" y="{ty}" font-size="12" text-anchor="middle" fill="{axis}">'
            "VAF</text>"
        ).format(
            x1=_number(left),
            x2=_number(left + plot_width),
            y=_number(axis_y),
            cx=_number(left + plot_width / 2),
            ty=_number(axis_y + 32),
            axis=AXIS_COLOR,
        )
    )
    if threshold is not None:
        x = _number(x_of(threshold))
        parts.append(
            Markup(
                '<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{color}" '
                'stroke-width="1.5" stroke-dasharray="5 4"/>'
                '<text x="{x}" y="{ty}" font-size="11" text-anchor="middle" fill="{color}">'
                "subclonal threshold {value}</text>"
            ).format(
                x=x,
                y1=_number(top - 10),
                y2=_number(axis_y),
                ty=_number(top - 14),
                color=THRESHOLD_COLOR,
                value=f"{threshold:.3g}",
            )
        )
    for index, point in enumerate(points):
        y = top + row * index
        color = SUBCLONAL_COLOR if point.subclonal else CLONAL_COLOR
        bar = max(x_of(point.vaf) - left, 1.0)
        suffix = " (subclonal)" if point.subclonal else ""
        parts.append(
            Markup(
                '<text x="{lx}" y="{ty}" font-size="12" text-anchor="end">{label}</text>'
                '<rect x="{x}" y="{by}" width="{bw}" height="14" fill="{color}">'
                "<title>{full}: VAF {vaf}{suffix}</title></rect>"
                '<text x="{vx}" y="{ty}" font-size="11" fill="{axis}" stroke="#fff" '
                'stroke-width="3" paint-order="stroke">{vaf}</text>'
            ).format(
                lx=_number(left - LABEL_GAP),
                ty=_number(y + 12),
                label=_shorten(point.label),
                full=point.label,
                x=_number(left),
                by=_number(y + 1),
                bw=_number(bar),
                color=color,
                vaf=f"{point.vaf:.3g}",
                suffix=suffix,
                vx=_number(left + bar + 4),
                axis=AXIS_COLOR,
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def evidence_level_plot_svg(findings: Sequence[Finding]) -> Markup:
    """On-label findings per evidence level A-D. Off-label findings are left out: their level
    is the rule's in its own tumor types, not one for this sample."""
    counts = on_label_level_counts(findings)
    most = max([*counts.values(), 1])
    step = -(-most // 4)  # about four gridlines, at whole numbers
    highest = step * -(-most // step)
    left, top, bottom, width, height = 40.0, 40.0, 40.0, 360.0, 240.0
    plot_height = height - top - bottom
    slot = (width - left - 10) / len(counts)
    axis_y = top + plot_height

    def y_of(count: float) -> float:
        return axis_y - plot_height * count / highest

    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="plot" role="img" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" style="{font}" '
            'aria-labelledby="level-plot-title">'
            '<title id="level-plot-title">On-label findings per evidence level</title>'
        ).format(w=_number(width), h=_number(height), font=FONT)
    ]
    for tick in range(0, highest + 1, step):
        y = _number(y_of(tick))
        parts.append(
            Markup(
                '<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{grid}"/>'
                '<text x="{tx}" y="{ty}" font-size="11" text-anchor="end" fill="{axis}">'
                "{tick}</text>"
            ).format(
                x1=_number(left),
                x2=_number(width - 10),
                y=y,
                tx=_number(left - 6),
                ty=_number(y_of(tick) + 4),
                tick=str(tick),
                grid=GRID_COLOR,
                axis=AXIS_COLOR,
            )
        )
    for index, (level, count) in enumerate(counts.items()):
        x = left + slot * index + slot * 0.2
        bar_width = slot * 0.6
        if count:
            parts.append(
                Markup(
                    '<rect x="{x}" y="{y}" width="{bw}" height="{bh}" fill="{color}">'
                    "<title>level {level}: {count} on-label</title></rect>"
                ).format(
                    x=_number(x),
                    y=_number(y_of(count)),
                    bw=_number(bar_width),
                    bh=_number(y_of(0) - y_of(count)),
                    color=ON_LABEL_COLOR,
                    level=level.value,
                    count=str(count),
                )
            )
        parts.append(
            Markup(
                '<text x="{cx}" y="{ty}" font-size="12" text-anchor="middle">{level}</text>'
                '<text x="{cx}" y="{vy}" font-size="11" text-anchor="middle" fill="{axis}">'
                "{total}</text>"
            ).format(
                cx=_number(x + bar_width / 2),
                ty=_number(axis_y + 16),
                level=level.value,
                vy=_number(y_of(count) - 4),
                total=str(count),
                axis=AXIS_COLOR,
            )
        )
    parts.append(
        Markup(
            '<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{axis}"/>'
            '<text x="{cx}" y="{ty}" font-size="12" text-anchor="middle" fill="{axis}">'
            "evidence level (AMP/ASCO/CAP)</text>"
            '<text x="{lx}" y="17" font-size="11">on-label findings</text>'
        ).format(
            x1=_number(left),
            x2=_number(width - 10),
            y=_number(axis_y),
            cx=_number(left + (width - left - 10) / 2),
            ty=_number(axis_y + 34),
            axis=AXIS_COLOR,
            lx=_number(left),
        )
    )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def on_label_level_counts(findings: Iterable[Finding]) -> dict[EvidenceLevel, int]:
    """On-label findings per evidence level, A to D (levels without findings give 0)."""
    counts = dict.fromkeys(EvidenceLevel, 0)
    for finding in findings:
        if finding.tumor_type_match is TumorTypeMatch.ON_LABEL:
            counts[finding.evidence_level] += 1
    return counts
