"""Cohort outputs from per-sample JSON results: one findings table, one therapy-call matrix,
one self-contained HTML report.

read_sample (one JSON) → build_cohort (the tables) → write_cohort (three files, written under
temporary names and renamed together). The Snakefile's ``cohort`` rule calls this through
``resistance-annotator cohort``; it works on any set of ``annotate`` JSON files.

A sample's name is its JSON file name without ``.findings.json`` (how ``annotate --out-dir``
and the Snakefile name them), not the VCF column recorded inside, which is often ``TUMOR``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import jinja2
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from annotator import __version__
from annotator.errors import InputError
from annotator.writers.atomic import staged_outputs
from annotator.writers.tsv import COLUMNS as TSV_COLUMNS

JSON_SUFFIX = ".findings.json"
REPORT_SUFFIX = ".report.html"
FINDINGS_FILE = "cohort.findings.tsv"
THERAPY_CALLS_FILE = "cohort.therapy_calls.tsv"
REPORT_FILE = "cohort.report.html"
COHORT_FILES = (FINDINGS_FILE, THERAPY_CALLS_FILE, REPORT_FILE)
SUPPORTED_SCHEMA = "1"  # major version of the per-sample JSON this module reads

#: What each row says of its sample; ``sample`` is the cohort name (from the file name).
SAMPLE_COLUMNS = (
    *TSV_COLUMNS[:2],
    "genome",
    "tool_version",
    "rules_version",
    "rules_sha256",
)
#: One row per finding: its sample's columns, then the per-sample TSV's from ``rule_id``.
FINDING_COLUMNS = (*SAMPLE_COLUMNS, *TSV_COLUMNS[2:])
VARIANT_COLUMNS = ("chrom", "pos", "ref", "alt")
LIST_SEPARATOR = ";"
#: Verdicts of a therapy call, strongest concern first (the legend's order).
CALLS = ("resistance", "conflicting", "sensitivity")
RESISTANCE_EFFECTS = frozenset({"resistance", "reduced_sensitivity"})


@dataclass(frozen=True)
class TherapyVerdict:
    therapy: str
    call: str
    evidence_level: str
    rationale: str


@dataclass(frozen=True)
class SampleResult:
    """The parts of one ``annotate`` JSON result the cohort uses."""

    name: str
    path: Path
    tumor_type: str
    genome: str
    tool_version: str
    rules_version: str
    rules_sha256: str
    findings: tuple[dict[str, Any], ...]
    therapy_calls: tuple[TherapyVerdict, ...]
    report: Path | None  # the sample's HTML report, when it sits next to the JSON


@dataclass(frozen=True)
class Cohort:
    samples: tuple[SampleResult, ...]
    findings: pd.DataFrame  # FINDING_COLUMNS, one row per finding
    therapy_calls: pd.DataFrame  # index: sample; columns: therapies; cells: call or ""
    markers: pd.DataFrame  # resistance markers, most frequent first


@dataclass(frozen=True)
class CohortOutputs:
    findings: Path
    therapy_calls: Path
    report: Path


def sample_name(path: Path) -> str:
    """``results/S1/S1.findings.json`` → ``S1``; any other ``X.json`` → ``X``."""
    name = path.name
    for suffix in (JSON_SUFFIX, ".json"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def read_sample(path: Path) -> SampleResult:
    """Read one per-sample JSON result; every problem is an ``InputError`` naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError("no such file", path=path) from error
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path=path) from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(
            f"not a JSON result: {error}", path=path, hint="give the .findings.json of annotate"
        ) from error
    if not isinstance(data, dict) or "findings" not in data:
        raise InputError(
            "not a resistance-annotator result (no 'findings')",
            path=path,
            hint="give the .findings.json of annotate",
        )
    schema = str(data.get("schema_version", ""))
    if schema.split(".", maxsplit=1)[0] != SUPPORTED_SCHEMA:
        raise InputError(
            f"schema_version {schema!r} is not supported",
            path=path,
            hint=f"this version reads {SUPPORTED_SCHEMA}.x; re-annotate with it",
        )
    findings = _list_of_objects(data, "findings", path)
    calls = tuple(
        TherapyVerdict(
            therapy=str(call.get("therapy", "")),
            call=str(call.get("call", "")),
            evidence_level=str(call.get("evidence_level") or ""),
            rationale=str(call.get("rationale") or ""),
        )
        for call in _list_of_objects(data, "therapy_calls", path)
    )
    for verdict in calls:
        if not verdict.therapy or verdict.call not in CALLS:
            raise InputError(
                f"therapy call {verdict.therapy!r}: call {verdict.call!r} is not one of "
                f"{', '.join(CALLS)}",
                path=path,
            )
    tool_version = _text(data, "tool_version", path)
    rules = _object(data, "rules")
    rules_version = _text(rules, "version", path, where="rules")
    rules_sha256 = _text(rules, "sha256", path, where="rules")
    tumor_type = _text(data, "tumor_type", path)
    for index, finding in enumerate(findings, start=1):
        _check_finding(finding, index, path)
    name = sample_name(path)
    report = path.with_name(f"{name}{REPORT_SUFFIX}")
    return SampleResult(
        name=name,
        path=path,
        tumor_type=tumor_type,
        genome=str(data.get("genome") or ""),
        tool_version=tool_version,
        rules_version=rules_version,
        rules_sha256=rules_sha256,
        findings=findings,
        therapy_calls=calls,
        report=report if report.is_file() else None,
    )


def _list_of_objects(data: dict[str, Any], key: str, path: Path) -> tuple[dict[str, Any], ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InputError(f"'{key}' is not a list of objects", path=path)
    return tuple(value)


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _text(data: dict[str, Any], key: str, path: Path, where: str = "") -> str:
    """A required, non-empty string: a result without it cannot be placed in the cohort."""
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        name = f"{where}.{key}" if where else key
        raise InputError(
            f"no '{name}'" if value is None else f"'{name}' is {value!r}, not a non-empty string",
            path=path,
            hint="give the .findings.json of annotate, unedited",
        )
    return value


#: Fields every finding has, and the type the cohort tables need them to be.
FINDING_TEXT_FIELDS = ("rule_id", "gene", "alteration", "effect", "evidence_level")
FINDING_LIST_FIELDS = ("therapies", "citations")


def _check_finding(finding: dict[str, Any], index: int, path: Path) -> None:
    """The finding's fields the cohort reads are of the type annotate writes."""
    for key in FINDING_TEXT_FIELDS:
        value = finding.get(key)
        if not isinstance(value, str) or not value:
            problem = "missing" if value is None else f"{value!r}, not a non-empty string"
            raise InputError(f"finding {index}: '{key}' is {problem}", path=path)
    for key in FINDING_LIST_FIELDS:
        value = finding.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InputError(
                f"finding {index}: '{key}' is {value!r}, not a list of strings", path=path
            )


def build_cohort(paths: Sequence[Path]) -> Cohort:
    """Read every JSON (in the order given) and build the cohort tables."""
    samples = tuple(read_sample(path) for path in paths)
    seen: dict[str, Path] = {}
    for sample in samples:
        if sample.name in seen:
            raise InputError(
                f"sample name {sample.name!r} also comes from {seen[sample.name]}",
                path=sample.path,
                hint="a sample is named after its file; give each sample its own file name",
            )
        seen[sample.name] = sample.path
    return Cohort(
        samples=samples,
        findings=findings_table(samples),
        therapy_calls=therapy_call_matrix(samples),
        markers=resistance_markers(samples),
    )


def findings_table(samples: Sequence[SampleResult]) -> pd.DataFrame:
    rows = [finding_row(sample, finding) for sample in samples for finding in sample.findings]
    table = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    for column in ("pos", "depth"):
        table[column] = pd.array(table[column], dtype="Int64")
    table["vaf"] = pd.array(table["vaf"], dtype="Float64")
    return table


def finding_row(sample: SampleResult, finding: dict[str, Any]) -> dict[str, Any]:
    variant = _object(finding, "variant")
    row: dict[str, Any] = {
        "sample": sample.name,
        "tumor_type": sample.tumor_type,
        "genome": sample.genome,
        "tool_version": sample.tool_version,
        "rules_version": sample.rules_version,
        "rules_sha256": sample.rules_sha256,
    }
    for column in FINDING_COLUMNS[len(SAMPLE_COLUMNS) :]:
        value = variant.get(column) if column in VARIANT_COLUMNS else finding.get(column)
        if isinstance(value, list):
            value = LIST_SEPARATOR.join(str(item) for item in value)
        elif isinstance(value, str):
            value = " ".join(value.split())  # one line per row, whatever the JSON held
        row[column] = value
    return row


def therapy_call_matrix(samples: Sequence[SampleResult]) -> pd.DataFrame:
    """Samples (rows, in input order) by therapies (columns, sorted); a cell is the call or ""."""
    therapies = sorted({call.therapy for sample in samples for call in sample.therapy_calls})
    return pd.DataFrame(
        [
            [{c.therapy: c.call for c in sample.therapy_calls}.get(t, "") for t in therapies]
            for sample in samples
        ],
        index=pd.Index([sample.name for sample in samples], name="sample"),
        columns=therapies,
        dtype="object",
    )


def resistance_markers(samples: Sequence[SampleResult]) -> pd.DataFrame:
    """Alterations with a resistance or reduced-sensitivity finding, by number of samples."""
    columns = ["gene", "alteration", "samples", "on_label_samples", "therapies", "sample_names"]
    markers: dict[tuple[str, str], dict[str, Any]] = {}
    for sample in samples:
        for finding in sample.findings:
            if finding.get("effect") not in RESISTANCE_EFFECTS:
                continue
            key = (str(finding.get("gene", "")), str(finding.get("alteration", "")))
            entry = markers.setdefault(key, {"samples": {}, "on_label": set(), "therapies": {}})
            entry["samples"][sample.name] = None
            if finding.get("tumor_type_match") == "on_label":
                entry["on_label"].add(sample.name)
            for therapy in finding.get("therapies") or []:
                entry["therapies"][str(therapy)] = None
    rows = [
        {
            "gene": gene,
            "alteration": alteration,
            "samples": len(entry["samples"]),
            "on_label_samples": len(entry["on_label"]),
            "therapies": LIST_SEPARATOR.join(sorted(entry["therapies"])),
            "sample_names": LIST_SEPARATOR.join(entry["samples"]),
        }
        for (gene, alteration), entry in markers.items()
    ]
    table = pd.DataFrame(rows, columns=columns)
    if table.empty:
        return table
    return table.sort_values(
        ["samples", "on_label_samples", "gene", "alteration"],
        ascending=[False, False, True, True],
        kind="stable",
    ).reset_index(drop=True)


def write_cohort(cohort: Cohort, out_dir: Path) -> CohortOutputs:
    """Write the three cohort files into ``out_dir``: all of them, or none."""
    outputs = CohortOutputs(
        findings=out_dir / FINDINGS_FILE,
        therapy_calls=out_dir / THERAPY_CALLS_FILE,
        report=out_dir / REPORT_FILE,
    )
    header = _version_lines(cohort.samples)

    def write_findings(stream: IO[str]) -> None:
        stream.write(header)
        cohort.findings.to_csv(stream, sep="\t", index=False, lineterminator="\n", na_rep="")

    def write_calls(stream: IO[str]) -> None:
        stream.write(header)
        cohort.therapy_calls.to_csv(stream, sep="\t", lineterminator="\n")

    def write_report(stream: IO[str]) -> None:
        stream.write(render_report(cohort, out_dir))

    with staged_outputs() as stage:
        stage.add_text(outputs.findings, write_findings)
        stage.add_text(outputs.therapy_calls, write_calls)
        stage.add_text(outputs.report, write_report)
    return outputs


def _version_lines(samples: Sequence[SampleResult]) -> str:
    """The two ``##`` lines of every TSV: tool and rules versions (several when they differ)."""
    tools = ", ".join(dict.fromkeys(s.tool_version for s in samples)) or "unknown"
    rules = ", ".join(dict.fromkeys(f"{s.rules_version} sha256:{s.rules_sha256}" for s in samples))
    return (
        f"## resistance-annotator {__version__} cohort of {len(samples)} samples; "
        f"annotated with {tools}\n## rules {rules or 'unknown'}\n"
    )


def _report_link(sample: SampleResult, out_dir: Path) -> str | None:
    """A relative URL from the cohort report to the sample's report (``../S/S.report.html``)."""
    if sample.report is None:
        return None
    relative = os.path.relpath(sample.report.absolute(), out_dir.absolute())
    return quote(Path(relative).as_posix())


def render_report(cohort: Cohort, out_dir: Path) -> str:
    """The cohort report: one self-contained HTML page, no scripts, no network requests."""
    therapies = list(cohort.therapy_calls.columns)
    rows = []
    for sample in cohort.samples:
        verdicts = {call.therapy: call for call in sample.therapy_calls}
        on_label = sum(f.get("tumor_type_match") == "on_label" for f in sample.findings)
        rows.append(
            {
                "name": sample.name,
                "link": _report_link(sample, out_dir),
                "tumor_type": sample.tumor_type,
                "genome": sample.genome,
                "findings": len(sample.findings),
                "on_label": on_label,
                "tool_version": sample.tool_version,
                "rules_version": sample.rules_version,
                "rules_sha256": sample.rules_sha256,
                "cells": [verdicts.get(therapy) for therapy in therapies],
            }
        )
    count = len(cohort.samples)
    markers = [
        {**record, "fraction": record["samples"] / count if count else 0.0}
        for record in cohort.markers.to_dict("records")
    ]
    rules = sorted({(s.rules_version, s.rules_sha256) for s in cohort.samples})
    tool_versions = list(dict.fromkeys(s.tool_version for s in cohort.samples))
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(REPORT_TEMPLATE)
    return template.render(
        tool_version=__version__,
        samples=rows,
        therapies=therapies,
        markers=markers,
        calls=CALLS,
        rules=rules,
        tool_versions=tool_versions,
        findings=len(cohort.findings),
    )


REPORT_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; \
form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>resistance-annotator cohort report ({{ samples|length }} samples)</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
.ruo { background: #fff4ce; border: 1px solid #c9a400; padding: .5rem .8rem; }
table { border-collapse: collapse; margin: .8rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .45rem; text-align: left; font-size: .9rem; }
th.therapy { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
td.cell { text-align: center; font-weight: 600; min-width: 1.8rem; }
td.cell small { font-weight: 400; margin-left: 1px; }
td.bar { white-space: nowrap; }
.resistance { background: #d73027; color: #fff; }
.conflicting { background: #fdae61; color: #1b1b1b; }
.sensitivity { background: #1a9850; color: #fff; }
.none { background: #f2f2f2; color: #999; }
.legend span { display: inline-block; padding: .1rem .5rem; margin-right: .4rem; }
.muted { color: #666; }
</style>
</head>
<body>
<h1>Cohort report</h1>
<p class="ruo"><strong>Research use only.</strong> resistance-annotator output is not a diagnosis
and must not be used on its own for clinical decisions.</p>
<p>{{ samples|length }} samples, {{ findings }} findings, {{ therapies|length }} therapies with
a call. Cohort by resistance-annotator {{ tool_version }}; samples annotated with
{{ tool_versions|join(", ") }}{% if tool_versions|length > 1 %}
<strong>(the samples were annotated with different tool versions)</strong>{% endif %} and
rules {% for version, sha256 in rules %}{{ version }} (sha256 {{ sha256[:12] }}){% if not loop.last
%}, {% endif %}{% endfor %}{% if rules|length > 1 %}
<strong>(the samples were annotated with different rules)</strong>{% endif %}.</p>

<h2>Therapy calls</h2>
<p class="legend">{% for call in calls %}<span class="{{ call }}">{{ call[0]|upper }} =
{{ call }}</span>{% endfor %}<span class="none">&middot; = no call</span>
The small letter: the evidence level of the call (AMP/ASCO/CAP, A strongest); hover a cell
for its rationale.
Only on-label findings make calls.</p>
{% if therapies %}
<table class="heatmap">
<thead><tr><th>sample</th>{% for therapy in therapies %}<th class="therapy" scope="col">{{ therapy
}}</th>{% endfor %}</tr></thead>
<tbody>
{% for sample in samples %}<tr><th scope="row">{% if sample.link %}<a href="{{ sample.link }}">{{
sample.name }}</a>{% else %}{{ sample.name }}{% endif %}</th>{% for cell in sample.cells %}{%
if cell %}<td class="cell {{ cell.call }}" title="{{ cell.rationale }}">{{
cell.call[0]|upper }}<small>{{ cell.evidence_level }}</small></td>{% else
%}<td class="cell none" title="no call">&middot;</td>{% endif %}{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% else %}<p class="muted">No sample has a therapy call.</p>{% endif %}

<h2>Resistance markers by frequency</h2>
{% if markers %}
<table class="markers">
<thead><tr><th>gene</th><th>alteration</th><th>samples</th><th>frequency</th>
<th>on-label in</th><th>therapies</th><th>sample names</th></tr></thead>
<tbody>
{% for marker in markers %}<tr><td>{{ marker.gene }}</td><td>{{ marker.alteration }}</td>
<td>{{ marker.samples }}</td><td class="bar"><svg width="104" height="12" role="img"
 aria-label="{{ '%.0f'|format(marker.fraction * 100) }}%"><rect width="100" height="12"
 fill="#eee"/><rect width="{{ '%.1f'|format(marker.fraction * 100) }}" height="12"
 fill="#d73027"/></svg> {{ '%.0f'|format(marker.fraction * 100) }}%</td>
<td>{{ marker.on_label_samples }}</td><td>{{ marker.therapies|replace(";", ", ") }}</td>
<td>{{ marker.sample_names|replace(";", ", ") }}</td></tr>
{% endfor %}</tbody>
</table>
{% else %}<p class="muted">No resistance or reduced-sensitivity finding.</p>{% endif %}

<h2>Samples</h2>
<table class="samples">
<thead><tr><th>sample</th><th>tumor type</th><th>genome</th><th>findings</th>
<th>on-label</th><th>tool version</th><th>rules</th><th>report</th></tr></thead>
<tbody>
{% for sample in samples %}<tr><td>{{ sample.name }}</td><td>{{ sample.tumor_type }}</td>
<td>{{ sample.genome }}</td><td>{{ sample.findings }}</td><td>{{ sample.on_label }}</td>
<td>{{ sample.tool_version }}</td><td title="sha256 {{ sample.rules_sha256 }}">{{
sample.rules_version }} (sha256 {{ sample.rules_sha256[:12] }})</td>
<td>{% if sample.link %}<a href="{{ sample.link }}">{{ sample.name }} report</a>{% else
%}<span class="muted">no report next to the JSON</span>{% endif %}</td></tr>
{% endfor %}</tbody>
</table>
</body>
</html>
"""
