"""The HTML report: one self-contained file for reading on screen and printing to PDF.

Rendered with Jinja2 from ``templates/report.html.j2`` with autoescape on and
``StrictUndefined``: every value from the input (sample names, INFO-derived text, rule notes)
is escaped, and a misspelt template variable is an error, not an empty cell. CSS and plots
(hand-written SVG, :mod:`annotator.writers.plots`) are inline; a Content-Security-Policy
``<meta>`` forbids the page from fetching anything, so opening it makes no network request.
Citation links are plain ``<a href>`` a reader may follow.

This module also holds the report *content* shared with the Markdown writer
(:func:`build_report`): the order of sections and rows and the formatting of values, so both
outputs say the same thing.

The report date is passed in by the caller (``generated``); :func:`report_timestamp` gives it
from ``SOURCE_DATE_EPOCH`` when that is set, so a rerun on the same inputs is byte-identical.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import IO, TYPE_CHECKING
from urllib.parse import quote

from annotator.errors import UsageError
from annotator.interpret import driver_vaf, failed_filters, subclonal_threshold
from annotator.matcher import variant_label
from annotator.models import (
    EVENT_KINDS,
    Alteration,
    Call,
    Effect,
    EvidenceLevel,
    Finding,
    NearMiss,
    Result,
    Summary,
    TherapyCall,
    TumorTypeMatch,
    Unclassified,
    Variant,
)
from annotator.tumor_types import describe_tumor_types
from annotator.writers.plots import (
    evidence_level_plot_svg,
    on_label_level_counts,
    vaf_plot_svg,
    vaf_points,
)

if TYPE_CHECKING:  # jinja2 is imported when a report is rendered, not on every run
    from jinja2 import Environment

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
RESEARCH_USE_ONLY = "For research use only — not for clinical decision making"

#: AMP/ASCO/CAP 2017 (Li et al., J Mol Diagn 2017) evidence levels, as the rules use them.
EVIDENCE_LEVEL_DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("A", "FDA-approved therapy or professional guideline for this tumor type."),
    ("B", "Well-powered studies with consensus from experts in the field."),
    ("C", "FDA-approved therapy for another tumor type, or multiple small published studies."),
    ("D", "Preclinical studies or case reports, without consensus."),
)

#: The README's wording ("Transcripts", "--tumor-type", "Therapy calls").
TRANSCRIPT_POLICY = (
    "Protein-, codon-, range- and exon-level rules fire only on the transcript the rules are "
    "numbered on: the gene's MANE Select transcript in the rules' gene table, recognized by "
    "its Ensembl id (version ignored), by VEP's MANE_SELECT RefSeq id, or by a RefSeq "
    "Feature. A protein change seen only on another transcript does not fire a rule; the "
    "variant is listed under unclassified with the transcripts it was seen on."
)
LABEL_POLICY = (
    "A rule applies on-label when the sample's type is one of the rule's types or below it "
    "in the OncoTree (LUAD is below NSCLC). Findings for other tumor types are kept and "
    "flagged off-label; they never make a therapy call."
)
THERAPY_CALL_POLICY = (
    "For each regimen named by an on-label finding: sensitivity only → sensitivity; "
    "resistance (or reduced sensitivity) only → resistance; both → resistance when the "
    "strongest resistance level is at least as strong as the strongest sensitivity level "
    "(A > B > C > D), otherwise conflicting. Regimens are compared as written: "
    "dabrafenib + trametinib is its own regimen."
)
#: What the findings cannot tell (the README's "What it does not do", in brief).
LIMITS_POLICY = (
    "A finding says that a curated rule names the alteration, with the rule's evidence; it is "
    "not a treatment recommendation. Only the genes of the rules' gene table are interpreted. "
    "Germline and somatic variants are not told apart: a germline BRCA2 variant fires the "
    "PARP-inhibitor rules as a somatic one does. Consequence annotations (VEP, SnpEff, "
    "bcftools csq) are taken as given. The subclonal flag compares raw VAFs, without purity "
    "or copy-number correction. Copy number, fusions and MSI come only from their own inputs."
)
#: What the unclassified list holds, and what it leaves out (both reports).
UNCLASSIFIED_SCOPE = (
    "Variants in rule genes whose effect could not be classified, and why. Small variants of "
    "a gene whose rules concern only its expression, copy number or fusions are not listed: "
    "no effect of theirs could fire a rule."
)
#: Off-label findings carry the level the rule has in its own tumor types.
OFF_LABEL_LEVEL_HEADER = "Level (in rule's tumor types)"
OFF_LABEL_LEVELS = (
    "Off-label findings are not counted: their level is the one the rule has in its own "
    "tumor types, not in this sample's."
)
TMB_NOT_COMPUTED = (
    "Not computed (needs --panel-size-mb and an annotated VCF). When computed: PASS alleles "
    "with a coding non-synonymous consequence on any transcript, per Mb of panel; TMB-high "
    "at --tmb-threshold (default 10/Mb)."
)
MSI_NOT_GIVEN = "Not given (--msi-status or --msi-file)."
#: How each kind of gene-level event is given, for the events a run did not assess.
EVENT_OPTIONS = {
    "fusion": "--fusions, or structural-variant records in the VCF",
    "copy number": "--cnv",
    "expression": "--expression",
    "MSI": "--msi-status or --msi-file",
    "TMB": "--panel-size-mb with an annotated VCF",
}
NO_NEAR_MISS = "None: no rule came close."
NEAR_MISSES_NOT_LISTED = "None listed: near misses are listed with --explain."

#: Therapy calls in the summary: resistance first, then conflicting, then sensitivity.
CALL_ORDER = {Call.RESISTANCE: 0, Call.CONFLICTING: 1, Call.SENSITIVITY: 2}
PHASE_SOURCES = {"vcf": "VCF phasing (GT|PS, PGT/PID)", "reads": "read-backed (--bam)"}
MAX_ALLELE_CHARS = 20

_PMID = re.compile(r"PMID:([1-9][0-9]*)")
_DOI = re.compile(r"DOI:(10\.[0-9]{4,9}/\S+)")
_REVIEW = re.compile(r"REVIEW:([1-9][0-9]*)")


@dataclass(frozen=True, slots=True)
class Citation:
    """A citation as shown: its text and, for PMID and DOI, the address it links to."""

    text: str
    url: str | None = None


def cite(citation: str) -> Citation:
    """``PMID:n`` → PubMed, ``DOI:x`` → doi.org, ``REVIEW:n`` → "review ref. n" (no link).

    Anything else is shown as text, never as a link, so no input can make an ``href``.
    """
    if match := _PMID.fullmatch(citation):
        return Citation(citation, f"https://pubmed.ncbi.nlm.nih.gov/{match.group(1)}/")
    if match := _DOI.fullmatch(citation):
        return Citation(citation, "https://doi.org/" + quote(match.group(1), safe="/:;._-"))
    if match := _REVIEW.fullmatch(citation):
        return Citation(f"review ref. {match.group(1)}")
    return Citation(citation)


def format_allele(allele: str) -> str:
    if len(allele) <= MAX_ALLELE_CHARS:
        return allele
    return f"{allele[:MAX_ALLELE_CHARS]}…({len(allele)} bp)"


def format_variant(variant: Variant | None) -> str:
    """``chr7:55181378 C>T``; long alleles shortened; empty for events."""
    if variant is None:
        return ""
    return (
        f"{variant.chrom}:{variant.pos} {format_allele(variant.ref)}>{format_allele(variant.alt)}"
    )


def format_failed_filters(variant: Variant | None) -> str:
    """``FILTER weak_evidence`` for a record that failed FILTER (annotated with
    --include-filtered); empty for PASS, ``.`` and events."""
    failed = failed_filters(variant)
    return f"FILTER {';'.join(failed)}" if failed else ""


def format_alteration(alteration: str, variant: Variant | None) -> str:
    """An alteration label; one that names its variant (``chr7:55181319C>CAAAG...``, for an
    unclassified variant or a genomic rule) written as :func:`format_variant` writes the
    variant, long alleles shortened."""
    if variant is not None and alteration == variant_label(variant):
        return format_variant(variant)
    return alteration


def format_near_miss_alteration(miss: NearMiss) -> str:
    return format_alteration(miss.alteration, miss.variant)


def format_vaf(variant: Variant | None) -> str:
    return "" if variant is None or variant.vaf is None else f"{variant.vaf:.3g}"


def format_depth(variant: Variant | None) -> str:
    return "" if variant is None or variant.depth is None else str(variant.depth)


def format_effect(effect: Effect) -> str:
    return effect.value.replace("_", " ")


def format_rule_tumor_types(finding: Finding) -> str:
    """``NSCLC``; ``all tumor types, not MYELOID, LYMPH`` for a tumor-agnostic rule."""
    return describe_tumor_types(finding.rule_tumor_types, finding.rule_tumor_types_excluded)


def format_tumor_type_match(finding: Finding) -> str:
    label = "on-label" if finding.tumor_type_match is TumorTypeMatch.ON_LABEL else "off-label"
    if finding.rule_tumor_types:
        return f"{label} (rule: {format_rule_tumor_types(finding)})"
    return label


def format_level(finding: Finding) -> str:
    """The rule's level; marked for an off-label finding, where it is the level in the rule's
    tumor types, not in this sample's."""
    if finding.tumor_type_match is TumorTypeMatch.ON_LABEL:
        return finding.evidence_level.value
    return f"{finding.evidence_level.value} (off-label)"


def format_phase(finding: Finding) -> str:
    """``cis (VCF phasing ...)``; empty when the rule has no phase condition."""
    if finding.phase is None:
        return ""
    if finding.phase_source is None:
        return finding.phase
    return f"{finding.phase} ({PHASE_SOURCES.get(finding.phase_source, finding.phase_source)})"


def format_protein(finding: Finding) -> str:
    """The alteration, with the HGVS protein change when it says more."""
    alteration = format_alteration(finding.alteration, finding.variant)
    if finding.hgvsp and finding.hgvsp != finding.alteration:
        return f"{alteration} ({finding.hgvsp})"
    return alteration


def format_number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True, slots=True)
class LevelGroup:
    level: EvidenceLevel
    definition: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Report:
    """What both report writers show, in order. Built by :func:`build_report`."""

    result: Result
    generated: str
    tumor_type: str  # code, with the OncoTree name when known
    calls: tuple[TherapyCall, ...]  # resistance, conflicting, sensitivity; then level, name
    actionable: tuple[LevelGroup, ...]  # on-label findings by level A→D (levels with findings)
    off_label: tuple[Finding, ...]
    filtered: tuple[tuple[Finding, str], ...]
    unclassified: Sequence[Unclassified]
    near_misses: tuple[NearMiss, ...]
    events: tuple[Alteration, ...]
    notes: tuple[str, ...]
    tmb: tuple[tuple[str, str], ...]  # label, value
    tmb_definition: str
    msi: tuple[tuple[str, str], ...]  # label, value; empty when no MSI input was given
    #: The flag's threshold, fraction x driver VAF (None without a driver VAF): the VAF plot's
    #: dashed line.
    subclonal_threshold: float | None
    subclonal_fraction: float  # the --subclonal-fraction the findings were flagged with
    driver_vaf: float | None  # highest VAF among on-label sensitivity findings
    summary: tuple[tuple[str, int], ...]
    #: Each evidence level with its definition and the on-label findings at it (off-label
    #: findings carry the rule's level in its own tumor types and are not counted).
    levels: tuple[tuple[str, str, int], ...]
    #: What was set aside in the rule genes (records failing FILTER, alleles the sample
    #: does not hold), said where the filtered findings are.
    set_aside: tuple[str, ...] = ()


def build_report(result: Result, *, generated: str) -> Report:
    """Sort and group a result for the report writers."""
    on_label = [f for f in result.findings if f.tumor_type_match is TumorTypeMatch.ON_LABEL]
    definitions = dict(EVIDENCE_LEVEL_DEFINITIONS)
    actionable = tuple(
        LevelGroup(level, definitions[level.value], group)
        for level in EvidenceLevel
        if (group := tuple(f for f in on_label if f.evidence_level is level))
    )
    calls = tuple(
        sorted(
            result.therapy_calls,
            key=lambda c: (CALL_ORDER[c.call], c.evidence_level.rank, c.therapy),
        )
    )
    tumor_type = result.tumor_type
    if result.tumor_type_name:
        tumor_type = f"{result.tumor_type} ({result.tumor_type_name})"
    summary = result.summary
    return Report(
        result=result,
        generated=generated,
        tumor_type=tumor_type,
        calls=calls,
        actionable=actionable,
        off_label=tuple(
            f for f in result.findings if f.tumor_type_match is not TumorTypeMatch.ON_LABEL
        ),
        filtered=result.filtered_findings,
        unclassified=result.unclassified,
        near_misses=result.near_misses,
        events=result.events,
        notes=result.notes,
        tmb=_tmb_rows(result.tmb),
        tmb_definition=_tmb_definition(result.tmb),
        msi=_msi_rows(result.msi),
        subclonal_threshold=subclonal_threshold(result.findings, result.subclonal_fraction),
        subclonal_fraction=result.subclonal_fraction,
        driver_vaf=driver_vaf(result.findings),
        summary=(
            ("data records read", summary.records),
            ("ALT alleles seen", summary.alleles),
            ("records skipped by FILTER", summary.skipped_filtered),
            ("… of them in rule genes or hotspots", summary.skipped_filtered_in_rule_genes),
            ("alleles annotated", summary.alleles_annotated),
            ("alleles in rule genes or hotspots", summary.alleles_in_rule_genes),
            ("… of them not in the sample's GT or reads (AD)", summary.alleles_not_in_sample),
            ("findings", summary.findings),
            ("findings set aside (--min-vaf/--min-depth)", len(result.filtered_findings)),
            ("unclassified variants", summary.unclassified),
        ),
        set_aside=_set_aside(summary),
        levels=_level_rows(result.findings),
    )


def _level_rows(findings: Sequence[Finding]) -> tuple[tuple[str, str, int], ...]:
    counts = {level.value: count for level, count in on_label_level_counts(findings).items()}
    return tuple(
        (code, definition, counts[code]) for code, definition in EVIDENCE_LEVEL_DEFINITIONS
    )


def _set_aside(summary: Summary) -> tuple[str, ...]:
    said = []
    if summary.skipped_filtered_in_rule_genes:
        said.append(_skipped_in_rule_genes(summary))
    count = summary.alleles_not_in_sample
    if count == 1:
        said.append(
            "1 allele in a rule gene is not the sample's (its GT does not hold it, or its AD "
            "has no read of it): another sample's variant, no finding of this one; --explain "
            "lists it under Near misses."
        )
    elif count:
        said.append(
            f"{count} alleles in rule genes are not the sample's (its GT does not hold them, or "
            "its AD has no read of them): other samples' variants, no findings of this one; "
            "--explain lists them under Near misses."
        )
    return tuple(said)


def _skipped_in_rule_genes(summary: Summary) -> str:
    count = summary.skipped_filtered_in_rule_genes
    which = (
        "records in rule genes or hotspots failed FILTER and were"
        if count != 1
        else "record in a rule gene or hotspot failed FILTER and was"
    )
    them = "them" if count != 1 else "it"
    named = summary.skipped_filtered_in_rule_genes_by_filter
    filters = f" (FILTER {', '.join(f'{name} {times}' for name, times in named)})" if named else ""
    return (
        f"{count} {which} not annotated{filters}: --include-filtered annotates {them}, and "
        "--explain lists under Near misses any a rule would have taken."
    )


def _tmb_rows(tmb: Mapping[str, object] | None) -> tuple[tuple[str, str], ...]:
    if tmb is None:
        return ()
    labels = (
        ("status", "TMB status"),
        ("per_mb", "TMB (mutations per Mb)"),
        ("mutations", "mutations counted"),
        ("panel_size_mb", "panel size (Mb)"),
        ("threshold", "TMB-high threshold (per Mb)"),
    )
    return tuple((label, format_number(tmb[key])) for key, label in labels if key in tmb)


def _msi_rows(msi: Mapping[str, object] | None) -> tuple[tuple[str, str], ...]:
    if msi is None:
        return ()
    labels = (
        ("status", "MSI status"),
        ("source", "from"),
        ("score_percent", "MSIsensor score (% unstable sites)"),
        ("unstable_sites", "unstable sites"),
        ("total_sites", "sites evaluated"),
        ("threshold", "MSI-H threshold (%)"),
    )
    return tuple(
        (label, value if isinstance(value, str) else format_number(value))
        for key, label in labels
        if (value := msi.get(key)) is not None
    )


def _tmb_definition(tmb: Mapping[str, object] | None) -> str:
    if tmb is not None and isinstance(tmb.get("definition"), str):
        return str(tmb["definition"])
    return TMB_NOT_COMPUTED


def report_timestamp(environ: Mapping[str, str] | None = None) -> str:
    """The report date: ``SOURCE_DATE_EPOCH`` (seconds, UTC) when set, else now, in UTC."""
    environ = os.environ if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or not epoch.strip():
        moment = datetime.now(timezone.utc)
    else:
        try:
            moment = datetime.fromtimestamp(int(epoch), timezone.utc)
        except (ValueError, OverflowError, OSError) as error:
            raise UsageError(
                f"SOURCE_DATE_EPOCH {epoch!r} is not a number of seconds since 1970",
                hint="unset it or give an integer such as 1700000000",
            ) from error
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined  # noqa: PLC0415 - lazy

    environment = Environment(
        loader=PackageLoader("annotator.writers", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        cite=cite,
        variant=format_variant,
        failed_filters=format_failed_filters,
        vaf=format_vaf,
        depth=format_depth,
        effect=format_effect,
        tumor_type_match=format_tumor_type_match,
        rule_tumor_types=format_rule_tumor_types,
        phase=format_phase,
        level=format_level,
        protein=format_protein,
        near_miss_alteration=format_near_miss_alteration,
    )
    return environment


def render_html(result: Result, stream: IO[str], *, generated: str) -> None:
    """Write the report of one sample.

    ``generated`` is the date shown (see :func:`report_timestamp`). Whether a finding is
    marked subclonal comes from ``Finding.subclonal``, set by the pipeline; the VAF plot's
    dashed line is that flag's threshold, from ``Result.subclonal_fraction``.
    """
    report = build_report(result, generated=generated)
    template = _environment().get_template("report.html.j2")
    stream.write(
        template.render(
            report=report,
            result=result,
            csp=CONTENT_SECURITY_POLICY,
            research_use_only=RESEARCH_USE_ONLY,
            off_label_level_header=OFF_LABEL_LEVEL_HEADER,
            off_label_levels=OFF_LABEL_LEVELS,
            transcript_policy=TRANSCRIPT_POLICY,
            label_policy=LABEL_POLICY,
            therapy_call_policy=THERAPY_CALL_POLICY,
            limits_policy=LIMITS_POLICY,
            unclassified_scope=UNCLASSIFIED_SCOPE,
            msi_not_given=MSI_NOT_GIVEN,
            subclonality=subclonality_text(report),
            no_near_miss=no_near_miss_text(result),
            events_said=events_text(result),
            vaf_plot=vaf_plot_svg(vaf_points(result.findings), report.subclonal_threshold),
            level_plot=evidence_level_plot_svg(result.findings),
        )
    )


def events_text(result: Result) -> tuple[str, ...]:
    """What the Events section says besides its table: which kinds of event were looked
    for and found none in rule genes, and which had no input."""
    given = [kind for kind in EVENT_KINDS if kind in result.event_inputs]
    missing = [kind for kind in EVENT_KINDS if kind not in result.event_inputs]
    said = []
    if not result.events and given:
        said.append(
            f"No gene-level event in rule genes from the inputs given ({', '.join(given)})."
        )
    if missing:
        options = "; ".join(f"{kind} ({EVENT_OPTIONS[kind]})" for kind in missing)
        said.append(f"Not assessed, no input given: {options}.")
    return tuple(said)


def no_near_miss_text(result: Result) -> str:
    """What an empty Near misses section says: whether --explain looked for them."""
    return NO_NEAR_MISS if result.explained else NEAR_MISSES_NOT_LISTED


def subclonality_text(report: Report) -> str:
    """How findings are marked subclonal, and where the VAF plot draws its line."""
    text = (
        "A finding is marked subclonal when its VAF is below "
        f"{report.subclonal_fraction:g} (--subclonal-fraction) × the driver VAF, the highest "
        "VAF among the on-label sensitivity findings."
    )
    if report.subclonal_threshold is None or report.driver_vaf is None:
        return text + " No on-label sensitivity finding has a VAF: no finding is marked."
    return (
        f"{text} Driver VAF {report.driver_vaf:.3g}, so the threshold is VAF "
        f"{report.subclonal_threshold:.3g}: the VAF plot's dashed line."
    )
