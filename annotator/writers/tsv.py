"""Findings as TSV: one row per finding, stable column order (documented in the README).

Two ``##`` lines before the header record the tool and rules versions; read with
``pandas.read_csv(path, sep="\\t", comment="#")``.
"""

from __future__ import annotations

import csv
from typing import IO

from annotator.models import Finding, Result
from annotator.writers.json import round_vaf

COLUMNS = (
    "sample",
    "tumor_type",
    "rule_id",
    "gene",
    "alteration",
    "hgvsp",
    "hgvsc",
    "transcript",
    "chrom",
    "pos",
    "ref",
    "alt",
    "vaf",
    "depth",
    "effect",
    "therapies",
    "evidence_level",
    "tumor_type_match",
    "match_type",
    "citations",
)

#: Separator inside a list-valued cell (regimens contain " + ", so not a comma).
LIST_SEPARATOR = ";"


def finding_row(result: Result, finding: Finding) -> list[str]:
    variant = finding.variant
    vaf = round_vaf(variant.vaf) if variant else None
    values: list[object] = [
        result.sample or "",
        result.tumor_type,
        finding.rule_id,
        finding.gene,
        finding.alteration,
        finding.hgvsp,
        finding.hgvsc,
        finding.transcript,
        variant.chrom if variant else None,
        variant.pos if variant else None,
        variant.ref if variant else None,
        variant.alt if variant else None,
        vaf,
        variant.depth if variant else None,
        finding.effect.value,
        LIST_SEPARATOR.join(finding.therapies),
        finding.evidence_level.value,
        finding.tumor_type_match.value,
        finding.match_type.value,
        LIST_SEPARATOR.join(finding.citations),
    ]
    return ["" if value is None else _one_line(str(value)) for value in values]


def _one_line(text: str) -> str:
    # Three substring tests, not a generator over the characters: this runs for every cell.
    if "\t" in text or "\n" in text or "\r" in text:
        return " ".join(text.replace("\t", " ").split())
    return text


def write_tsv(result: Result, stream: IO[str]) -> None:
    stream.write(f"## resistance-annotator {result.tool_version}; genome {result.genome}\n")
    stream.write(f"## rules {result.rules_version} sha256:{result.rules_sha256}\n")
    writer = csv.writer(stream, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for finding in result.findings:
        writer.writerow(finding_row(result, finding))
