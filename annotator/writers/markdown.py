"""The report as Markdown (GitHub-flavoured tables and lists), for pasting into a tumor-board
document. Same content and order as the HTML report (:func:`annotator.writers.html.build_report`),
without the plots.

Every value from the input goes through :func:`escape_markdown`: ``|`` cannot split a table
cell, ``*``/``_``/``[``/`````` ` `````` cannot start emphasis, links or code, ``<`` cannot open
raw HTML (written ``&lt;``), and line breaks cannot end a table row. The only links are the
citation links, built from validated PMID and DOI citations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import IO

from annotator.models import Finding, Result
from annotator.writers.html import (
    LABEL_POLICY,
    LIMITS_POLICY,
    MSI_NOT_GIVEN,
    OFF_LABEL_LEVEL_HEADER,
    OFF_LABEL_LEVELS,
    RESEARCH_USE_ONLY,
    THERAPY_CALL_POLICY,
    TRANSCRIPT_POLICY,
    UNCLASSIFIED_SCOPE,
    Report,
    build_report,
    cite,
    events_text,
    format_depth,
    format_effect,
    format_failed_filters,
    format_level,
    format_near_miss_alteration,
    format_phase,
    format_protein,
    format_rule_tumor_types,
    format_tumor_type_match,
    format_vaf,
    format_variant,
    no_near_miss_text,
    subclonality_text,
)

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape_markdown(value: object) -> str:
    """Text that Markdown shows as written, on one line, safe inside a table cell."""
    text = " ".join(str(value).split())
    return _SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")


def format_citations(citations: Iterable[str]) -> str:
    parts = []
    for citation in citations:
        shown = cite(citation)
        text = escape_markdown(shown.text)
        parts.append(f"[{text}]({shown.url})" if shown.url is not None else text)
    return ", ".join(parts)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GFM table; cells must already be escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return [*lines, ""]


def _finding_row(finding: Finding, *, off_label_table: bool = False) -> list[str]:
    """A finding's cells; ``off_label_table``: a table of off-label findings only, whose
    Level header says whose level it is (elsewhere an off-label row's level is marked)."""
    vaf = escape_markdown(format_vaf(finding.variant))
    if finding.subclonal:
        vaf += " (subclonal)"
    alteration = escape_markdown(format_protein(finding))
    if finding.detail:
        alteration += f"; {escape_markdown(finding.detail)}"
    if finding.phase is not None:
        alteration += f"; phase: {escape_markdown(format_phase(finding))}"
    shown = format_variant(finding.variant)
    if failed := format_failed_filters(finding.variant):
        shown += f"; {failed}"
    return [
        f"**{escape_markdown(finding.gene)}**",
        alteration,
        escape_markdown(shown),
        vaf,
        escape_markdown(format_depth(finding.variant)),
        escape_markdown(format_effect(finding.effect)),
        escape_markdown(", ".join(finding.therapies)),
        finding.evidence_level.value if off_label_table else escape_markdown(format_level(finding)),
        escape_markdown(format_rule_tumor_types(finding)),
        escape_markdown(finding.rule_id),
        format_citations(finding.citations),
    ]


def _finding_columns(level_header: str = "Level") -> tuple[str, ...]:
    return (
        "Gene",
        "Alteration",
        "Variant",
        "VAF",
        "Depth",
        "Effect",
        "Therapies",
        escape_markdown(level_header),
        "Rule tumor types",
        "Rule",
        "Citations",
    )


def _finding_item(finding: Finding) -> list[str]:
    """One on-label finding as a list item with its fields as sub-items."""
    title = (
        f"- **{escape_markdown(finding.gene)} {escape_markdown(format_protein(finding))}**: "
        f"{escape_markdown(format_effect(finding.effect))}, "
        f"level {finding.evidence_level.value}"
    )
    failed = format_failed_filters(finding.variant)
    marks = [mark for mark in ("subclonal" if finding.subclonal else "", failed) if mark]
    if marks:
        title += f" ({escape_markdown(', '.join(marks))})"
    fields: list[tuple[str, str]] = [("Therapies", escape_markdown(", ".join(finding.therapies)))]
    if finding.variant is not None:
        vaf = format_vaf(finding.variant) or "n/a"
        depth = format_depth(finding.variant) or "n/a"
        fields.append(("Variant", escape_markdown(format_variant(finding.variant))))
        if failed:
            names = ";".join(finding.variant.filters)
            said = f"{names}: the record failed FILTER (annotated with --include-filtered)"
            fields.append(("FILTER", escape_markdown(said)))
        subclonal = " (subclonal)" if finding.subclonal else ""
        fields.append(("VAF / depth", escape_markdown(f"{vaf} / {depth}{subclonal}")))
    if finding.transcript or finding.hgvsc:
        transcript = " ".join(t for t in (finding.transcript, finding.hgvsc) if t)
        fields.append(("Transcript", escape_markdown(transcript)))
    if finding.detail:
        fields.append(("Detail", escape_markdown(finding.detail)))
    fields.append(("Tumor type", escape_markdown(format_tumor_type_match(finding))))
    if finding.phase is not None:
        fields.append(("Phase", escape_markdown(format_phase(finding))))
    rule = f"{finding.rule_id} ({finding.match_type.value} match)"
    fields.append(("Rule", escape_markdown(rule)))
    if finding.notes:
        fields.append(("Rationale", escape_markdown(finding.notes)))
    fields.append(("Citations", format_citations(finding.citations)))
    return [title, *(f"  - {name}: {value}" for name, value in fields)]


def _header(report: Report) -> list[str]:
    result = report.result
    rows = [
        ("Sample", result.sample or "(not named)"),
        ("Tumor type", report.tumor_type),
        ("Genome", result.genome),
        ("Input", result.input),
        ("Caller", result.caller or "n/a"),
        ("Generated", report.generated),
        ("Tool", f"resistance-annotator {result.tool_version}"),
        ("Rules", f"version {result.rules_version}, sha256 {result.rules_sha256}"),
    ]
    return [
        f"# Drug resistance and sensitivity report: {escape_markdown(result.sample or 'sample')}",
        "",
        f"> **{RESEARCH_USE_ONLY}.**",
        "",
        *_table(["Field", "Value"], [[name, escape_markdown(value)] for name, value in rows]),
    ]


def _summary(report: Report) -> list[str]:
    lines = ["## Summary: therapy calls", ""]
    if report.calls:
        lines += [
            "From on-label findings only; resistance first, then conflicting, then sensitivity.",
            "",
        ]
        lines += _table(
            ["Therapy", "Call", "Level", "Rationale", "Rules"],
            [
                [
                    f"**{escape_markdown(call.therapy)}**",
                    call.call.value,
                    call.evidence_level.value,
                    escape_markdown(call.rationale),
                    escape_markdown(", ".join(call.rule_ids)),
                ]
                for call in report.calls
            ],
        )
    else:
        lines += ["No therapy call: no on-label finding.", ""]
    lines += ["### Run summary", ""]
    lines += _table(
        ["Count", "Value"],
        [[escape_markdown(label), str(count)] for label, count in report.summary],
    )
    return lines


def _findings(report: Report) -> list[str]:
    lines = ["## On-label findings", ""]
    for group in report.actionable:
        lines += [f"### Level {group.level.value}", "", f"_{group.definition}_", ""]
        for finding in group.findings:
            lines += _finding_item(finding)
        lines.append("")
    if not report.actionable:
        lines += [f"No on-label finding for {escape_markdown(report.tumor_type)}.", ""]

    lines += ["## Off-label findings", ""]
    if report.off_label:
        lines += [
            f"Rules that fired for another tumor type than "
            f"{escape_markdown(report.result.tumor_type)}: kept for context; they make no "
            "therapy call.",
            "",
        ]
        lines += _table(
            _finding_columns(OFF_LABEL_LEVEL_HEADER),
            [_finding_row(f, off_label_table=True) for f in report.off_label],
        )
    else:
        lines += ["None.", ""]

    lines += ["## Filtered findings", ""]
    for said in report.set_aside:
        lines += [f"**{escape_markdown(said)}**", ""]
    if report.filtered:
        lines += _table(
            [*_finding_columns(), "Why set aside"],
            [[*_finding_row(f), escape_markdown(reason)] for f, reason in report.filtered],
        )
    else:
        lines += ["None.", ""]

    lines += ["## Unclassified variants", ""]
    if report.unclassified:
        lines += [escape_markdown(UNCLASSIFIED_SCOPE), ""]
        lines += _table(
            ["Gene", "Variant", "VAF", "Depth", "Reason"],
            [
                [
                    f"**{escape_markdown(item.gene)}**",
                    escape_markdown(format_variant(item.variant)),
                    escape_markdown(format_vaf(item.variant)),
                    escape_markdown(format_depth(item.variant)),
                    escape_markdown(item.reason),
                ]
                for item in report.unclassified
            ],
        )
    else:
        lines += ["None.", ""]

    lines += ["## Near misses", ""]
    if report.near_misses:
        lines += _table(
            ["Rule", "Gene", "Alteration", "Variant", "Reason", "Detail"],
            [
                [
                    escape_markdown(miss.rule_id),
                    f"**{escape_markdown(miss.gene)}**",
                    escape_markdown(format_near_miss_alteration(miss)),
                    escape_markdown(format_variant(miss.variant)),
                    escape_markdown(miss.reason.value),
                    escape_markdown(miss.detail),
                ]
                for miss in report.near_misses
            ],
        )
    else:
        lines += [escape_markdown(no_near_miss_text(report.result)), ""]
    return lines


def _methods(report: Report) -> list[str]:
    result = report.result
    lines = ["## Methods", "", "### Inputs", ""]
    lines += [
        f"- Input: {escape_markdown(result.input)}",
        f"- Caller: {escape_markdown(result.caller or 'n/a')} (VAF and depth from its fields)",
        f"- Genome: {escape_markdown(result.genome)}",
        f"- Tumor type: {escape_markdown(report.tumor_type)} (OncoTree)",
    ]
    if result.command_line:
        lines.append(f"- Command: {escape_markdown(result.command_line)}")
    lines += [
        "- Filters: only records with FILTER PASS or “.” are annotated unless "
        f"`--include-filtered` (skipped by FILTER: {result.summary.skipped_filtered}). "
        "Findings below `--min-vaf` or `--min-depth`, when given, are set aside under "
        f"“Filtered findings” (set aside: {len(report.filtered)}).",
        "",
        "### Rule matching",
        "",
        f"- **Transcripts.** {escape_markdown(TRANSCRIPT_POLICY)}",
        f"- **On- and off-label.** {escape_markdown(LABEL_POLICY)}",
        f"- **Therapy calls.** {escape_markdown(THERAPY_CALL_POLICY)}",
        f"- **Limits.** {escape_markdown(LIMITS_POLICY)}",
        "",
        "### Evidence levels (AMP/ASCO/CAP 2017)",
        "",
    ]
    lines += _table(
        ["Level", "Definition", "On-label findings"],
        [
            [level, escape_markdown(definition), str(count)]
            for level, definition, count in report.levels
        ],
    )
    lines += [escape_markdown(OFF_LABEL_LEVELS), ""]
    lines += ["### Biomarkers", ""]
    if report.tmb:
        lines += _table(
            ["Measure", "Value"],
            [[escape_markdown(label), escape_markdown(value)] for label, value in report.tmb],
        )
    lines += [f"**TMB.** {escape_markdown(report.tmb_definition)}", ""]
    if report.msi:
        lines += _table(
            ["Measure", "Value"],
            [[escape_markdown(label), escape_markdown(value)] for label, value in report.msi],
        )
    else:
        lines += [f"**MSI.** {escape_markdown(MSI_NOT_GIVEN)}", ""]
    lines += ["### Subclonality", "", escape_markdown(subclonality_text(report)), ""]
    lines += ["### Events", ""]
    if report.events:
        lines += _table(
            ["Gene", "Event", "Source", "Detail"],
            [
                [
                    f"**{escape_markdown(event.gene)}**",
                    escape_markdown(event.event or ""),
                    escape_markdown(event.source),
                    escape_markdown(event.detail or ""),
                ]
                for event in report.events
            ],
        )
    for said in events_text(result):
        lines += [escape_markdown(said), ""]
    lines += ["### Input notes", ""]
    if report.notes:
        lines += [f"- {escape_markdown(note)}" for note in report.notes]
        lines.append("")
    else:
        lines += ["None.", ""]
    return lines


def render_markdown(result: Result, stream: IO[str], *, generated: str) -> None:
    """Write the Markdown report of one sample (arguments as :func:`render_html`)."""
    report = build_report(result, generated=generated)
    lines = [*_header(report), *_summary(report), *_findings(report), *_methods(report)]
    lines += [
        "---",
        "",
        f"**{RESEARCH_USE_ONLY}.** resistance-annotator {escape_markdown(result.tool_version)}, "
        f"rules {escape_markdown(result.rules_version)} "
        f"(sha256 {escape_markdown(result.rules_sha256)}). "
        f"Generated {escape_markdown(report.generated)}.",
    ]
    stream.write("\n".join(lines) + "\n")
