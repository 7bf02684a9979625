"""The JSON result: the contract other tools and our own checks rely on (``schema_version``)."""

from __future__ import annotations

import json
from typing import IO, Any

from annotator.models import (
    Alteration,
    EvidenceLevel,
    Finding,
    NearMiss,
    Result,
    TherapyCall,
    Unclassified,
    Variant,
)

#: 1.1: finding ``subclonal``, ``phase``, ``phase_source``, ``therapies_via_class``; therapy
#: call ``sensitivity_level`` and ``resistance_level``; ``near_misses``.
SCHEMA_VERSION = "1.1"


def result_to_dict(result: Result) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool_version": result.tool_version,
        "rules": {"version": result.rules_version, "sha256": result.rules_sha256},
        "input": result.input,
        "sample": result.sample,
        "tumor_type": result.tumor_type,
        "genome": result.genome,
        "caller": result.caller,
        "research_use_only": True,
        "findings": [finding_to_dict(f) for f in result.findings],
        "therapy_calls": [therapy_call_to_dict(c) for c in result.therapy_calls],
        "unclassified": [unclassified_to_dict(u) for u in result.unclassified],
        "filtered_findings": [
            {**finding_to_dict(finding), "filter_reason": reason}
            for finding, reason in result.filtered_findings
        ],
        "events": [event_to_dict(e) for e in result.events],
        "near_misses": [near_miss_to_dict(m) for m in result.near_misses],
        "biomarkers": {"tmb": result.tmb},
        "input_notes": list(result.notes),
        "summary": {
            "records": result.summary.records,
            "alleles": result.summary.alleles,
            "skipped_filtered": result.summary.skipped_filtered,
            "alleles_annotated": result.summary.alleles_annotated,
            "alleles_filtered": result.summary.alleles_filtered,
            "alleles_in_rule_genes": result.summary.alleles_in_rule_genes,
            "alleles_outside_rule_genes": result.summary.alleles_outside_rule_genes,
            "findings": result.summary.findings,
            "unclassified": result.summary.unclassified,
            # Only when set: the indexed path read the rule regions, not every record.
            **({"regions_only": True} if result.summary.regions_only else {}),
        },
    }


def variant_to_dict(variant: Variant | None) -> dict[str, Any] | None:
    if variant is None:
        return None
    data: dict[str, Any] = variant.as_dict()
    if variant.filters:
        data["filters"] = list(variant.filters)
    return data


def round_vaf(vaf: float | None) -> float | None:
    return None if vaf is None else round(vaf, 4)


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    variant = finding.variant
    return {
        "rule_id": finding.rule_id,
        "gene": finding.gene,
        "alteration": finding.alteration,
        "detail": finding.detail,
        "hgvsp": finding.hgvsp,
        "hgvsc": finding.hgvsc,
        "transcript": finding.transcript,
        "variant": variant_to_dict(variant),
        "vaf": round_vaf(variant.vaf) if variant else None,
        "depth": variant.depth if variant else None,
        "effect": finding.effect.value,
        "therapies": list(finding.therapies),
        "therapies_via_class": [
            {"therapy": therapy, "class": name} for therapy, name in finding.therapies_via_class
        ],
        "evidence_level": finding.evidence_level.value,
        "tumor_type_match": finding.tumor_type_match.value,
        "rule_tumor_types": list(finding.rule_tumor_types),
        "match_type": finding.match_type.value,
        "citations": list(finding.citations),
        "notes": finding.notes,
        "subclonal": finding.subclonal,
        "phase": finding.phase,
        "phase_source": finding.phase_source,
    }


def event_to_dict(event: Alteration) -> dict[str, Any]:
    return {
        "gene": event.gene,
        "event": event.event,
        "source": event.source,
        "detail": event.detail,
    }


def therapy_call_to_dict(call: TherapyCall) -> dict[str, Any]:
    return {
        "therapy": call.therapy,
        "call": call.call.value,
        "evidence_level": call.evidence_level.value,
        "sensitivity_level": _level(call.sensitivity_level),
        "resistance_level": _level(call.resistance_level),
        "rule_ids": list(call.rule_ids),
        "rationale": call.rationale,
    }


def _level(level: EvidenceLevel | None) -> str | None:
    return None if level is None else level.value


def near_miss_to_dict(miss: NearMiss) -> dict[str, Any]:
    return {
        "rule_id": miss.rule_id,
        "gene": miss.gene,
        "alteration": miss.alteration,
        "variant": variant_to_dict(miss.variant),
        "reason": miss.reason.value,
        "detail": miss.detail,
    }


def unclassified_to_dict(item: Unclassified) -> dict[str, Any]:
    return {"gene": item.gene, "variant": variant_to_dict(item.variant), "reason": item.reason}


def write_json(result: Result, stream: IO[str]) -> None:
    json.dump(result_to_dict(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
