"""The JSON writer's template for findings writes what ``json.dump(..., indent=2,
ensure_ascii=False)`` writes for their dicts: any text, numbers, variants, nesting level,
and a text of the rule part made once for the findings that share it."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.models import (
    Effect,
    EvidenceLevel,
    Finding,
    MatchType,
    TumorTypeMatch,
    Variant,
)
from annotator.writers import json as json_writer
from annotator.writers.json import _FindingItems, finding_to_dict
from tests.test_json_writer import indented, nested_texts
from tests.test_json_writer_unclassified import OtherVariant


def dumped(findings: list[Finding], nest: int = 0) -> tuple[str, str]:
    """(writer's text, json.dumps text) of the findings as an array ``nest`` objects deep."""
    return nested_texts(
        _FindingItems(findings), [finding_to_dict(finding) for finding in findings], nest
    )


TEXT = st.text(max_size=10)
OPTIONAL = st.none() | st.sampled_from(["EGFR", "p.Thr790Met", 'a "q" \\ ü\t']) | TEXT
VARIANTS = st.none() | st.builds(
    lambda cls, chrom, pos, ref, alt, filters, vaf, depth: cls(
        chrom, pos, ref, alt, record_index=1, filters=filters, vaf=vaf, depth=depth
    ),
    st.sampled_from([Variant, Variant, Variant, OtherVariant]),
    st.sampled_from(["chr7", "7"]) | TEXT,
    st.integers(0, 300_000_000) | st.booleans(),
    st.sampled_from(["C", "TCGCC"]) | TEXT,
    st.sampled_from(["T", "G"]) | TEXT,
    st.just(()) | st.lists(TEXT, max_size=2).map(tuple),
    st.none() | st.floats(allow_nan=True, allow_infinity=True),
    st.none() | st.integers(0, 10_000) | st.booleans(),
)
STRINGS = st.lists(st.sampled_from(["osimertinib", "erlotinib + bevacizumab"]) | TEXT, max_size=3)
FINDINGS = st.builds(
    Finding,
    rule_id=st.sampled_from(["EGFR-T790M-R", "KRAS-G12C-S"]) | TEXT,
    gene=st.sampled_from(["EGFR", "KRAS"]) | TEXT,
    alteration=st.sampled_from(["T790M", "G12C"]) | TEXT,
    hgvsp=OPTIONAL,
    variant=VARIANTS,
    effect=st.sampled_from(Effect),
    therapies=STRINGS.map(tuple),
    evidence_level=st.sampled_from(EvidenceLevel),
    tumor_type_match=st.sampled_from(TumorTypeMatch),
    match_type=st.sampled_from(MatchType),
    citations=STRINGS.map(tuple),
    transcript=OPTIONAL,
    hgvsc=OPTIONAL,
    rule_tumor_types=st.lists(st.sampled_from(["NSCLC", "LUAD", "ALL"]), max_size=2).map(tuple),
    rule_tumor_types_excluded=st.lists(st.sampled_from(["LYMPH"]) | TEXT, max_size=2).map(tuple),
    notes=OPTIONAL,
    detail=OPTIONAL,
    subclonal=st.booleans(),
    phase=st.none() | st.sampled_from(["cis", "trans"]),
    phase_source=st.none() | st.sampled_from(["vcf", "reads"]),
    therapies_via_class=st.lists(st.tuples(TEXT, TEXT), max_size=2).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(findings=st.lists(FINDINGS, max_size=6), nest=st.integers(0, 3))
def test_same_text_as_the_standard_library(findings: list[Finding], nest: int) -> None:
    written, expected = dumped(findings, nest)
    assert written == expected


BASE = Finding(
    rule_id="EGFR-T790M-R",
    gene="EGFR",
    alteration="T790M",
    hgvsp="p.Thr790Met",
    variant=Variant("chr7", 55181378, "C", "T", record_index=1, vaf=0.25, depth=100),
    effect=Effect.RESISTANCE,
    therapies=("gefitinib", "erlotinib"),
    evidence_level=EvidenceLevel.A,
    tumor_type_match=TumorTypeMatch.ON_LABEL,
    match_type=MatchType.PROTEIN,
    citations=("PMID:15737014",),
    transcript="ENST00000275493",
    hgvsc="c.2369C>T",
    rule_tumor_types=("NSCLC",),
    notes="Gatekeeper mutation.",
    detail=None,
    subclonal=False,
    phase=None,
    phase_source=None,
    therapies_via_class=(),
    rule_tumor_types_excluded=(),
)
#: A value of the same type as BASE's, and different, for each field.
OTHER_VALUES: dict[str, Any] = {
    "rule_id": "EGFR-T790M-S",
    "gene": "ERBB2",
    "alteration": "T790L",
    "hgvsp": "p.Thr790Leu",
    "variant": Variant("chr7", 55181379, "G", "A", record_index=2, vaf=0.5, depth=7),
    "effect": Effect.SENSITIVITY,
    "therapies": ("osimertinib",),
    "evidence_level": EvidenceLevel.B,
    "tumor_type_match": TumorTypeMatch.OFF_LABEL,
    "match_type": MatchType.CODON,
    "citations": ("PMID:15737014", "REVIEW:12"),
    "transcript": "ENST00000455089",
    "hgvsc": "c.2369C>G",
    "rule_tumor_types": ("LUAD",),
    "notes": "Another note.",
    "detail": "a detail",
    "subclonal": True,
    "phase": "cis",
    "phase_source": "vcf",
    "therapies_via_class": (("osimertinib", "EGFR TKI"),),
    "rule_tumor_types_excluded": ("LUSC",),
}


def test_every_field_is_in_the_cached_texts_key() -> None:
    """A finding that differs from the one before in one field only is written with that
    field's own value: a field the rule part's key left out would be written as the first
    finding's."""
    assert set(OTHER_VALUES) == {field.name for field in dataclasses.fields(Finding)}
    for name, value in OTHER_VALUES.items():
        assert getattr(BASE, name) != value
        changed = dataclasses.replace(BASE, **{name: value})
        written, expected = dumped([BASE, changed, BASE, changed])
        assert written == expected, name


def test_the_rule_part_is_made_once_per_key(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    real = json_writer._text

    def counting(value: Any, level: int) -> str:
        made.append(level)
        return real(value, level)

    monkeypatch.setattr(json_writer, "_text", counting)
    others = [dataclasses.replace(BASE, hgvsc=f"c.{n}C>T") for n in range(20)]
    written, expected = dumped([BASE, *others])
    assert written == expected
    # Once to check the first finding's text, once for the rule part: not per finding.
    assert len(made) == 2


def test_a_template_that_differs_from_the_dict_gives_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If the fields a template writes ever differ from ``finding_to_dict`` (a key added to
    the dict and not to the template), the findings are written from their dicts."""
    real = json_writer.finding_to_dict

    def with_more(finding: Finding) -> dict[str, Any]:
        return {**real(finding), "added": 1}

    monkeypatch.setattr(json_writer, "finding_to_dict", with_more)
    lazy = _FindingItems([BASE, BASE])
    expected = json.dumps([with_more(BASE), with_more(BASE)], indent=2, ensure_ascii=False)
    assert indented(lazy) == expected
