"""Near misses (``--explain``): rule-gene variants and events that fired no rule on-label, with
the reason code and detail, over the bundled rules; then end to end through the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.matcher import RuleMatcher, SampleAllele
from annotator.models import (
    Alteration,
    NearMiss,
    NearMissReason,
    Unclassified,
    Variant,
    VariantClass,
)
from annotator.near_misses import find_near_misses
from annotator.rules import RuleSet, load_rules
from annotator.tumor_types import load_oncotree
from annotator.unclassified import UNANNOTATED_REASON
from tests.factories import alteration, variant
from tests.runs import run_json
from tests.vcfgen import vcf_text, write_vcf

T790M = variant("chr7", 55181378, "C", "T", record_index=1)
C797S = variant("chr7", 55181399, "G", "C", record_index=2)
L858R = variant("chr7", 55191822, "T", "G", record_index=3)
CIS_RULE = "EGFR-C797S-T790M-CIS-EGFRTKI-R"
TRANS_RULE = "EGFR-C797S-T790M-TRANS-1GTKIOSIMERTINIB-S"


@pytest.fixture(scope="module")
def bundled() -> RuleSet:
    return load_rules()


def near_misses(
    rules: RuleSet,
    alleles: Sequence[SampleAllele],
    tumor_type: str = "LUAD",
    events: Sequence[Alteration] = (),
    **kwargs: Any,
) -> list[NearMiss]:
    matcher = RuleMatcher(rules, build="GRCh38", tumor_type=tumor_type, oncotree=load_oncotree())
    findings = matcher.match(alleles, events)
    return find_near_misses(matcher, alleles, events, findings, **kwargs)


def allele(on: Variant, protein: str, **kwargs: Any) -> SampleAllele:
    gene = kwargs.pop("gene", "EGFR")
    return SampleAllele(on, (alteration(gene, protein, on=on, **kwargs),), True)


def reasons(misses: Sequence[NearMiss]) -> dict[str, tuple[NearMissReason, str]]:
    return {m.rule_id: (m.reason, m.detail) for m in misses}


def test_off_label_names_the_tumor_types_the_rule_needs(bundled: RuleSet) -> None:
    found = reasons(near_misses(bundled, [allele(L858R, "L858R")], tumor_type="COAD"))
    assert found == {
        "EGFR-L858R-EGFRTKI-S": (NearMissReason.OFF_LABEL, "rule needs NSCLC (sample COAD)")
    }


def test_on_label_findings_are_no_near_misses(bundled: RuleSet) -> None:
    assert near_misses(bundled, [allele(L858R, "L858R")]) == []


def test_transcript_differs(bundled: RuleSet) -> None:
    found = reasons(near_misses(bundled, [allele(T790M, "T790M", preferred=False)]))
    assert set(found) == {
        "EGFR-T790M-1GTKI-R",
        "EGFR-T790M-AFATINIB-R",
        "EGFR-T790M-OSIMERTINIB-S",
    }
    reason, detail = found["EGFR-T790M-1GTKI-R"]
    assert reason is NearMissReason.TRANSCRIPT
    assert detail == (
        "protein change T790M on ENST00000000001.1 only; the rule reads ENST00000275493"
    )


def test_requires_not_present(bundled: RuleSet) -> None:
    found = reasons(near_misses(bundled, [allele(C797S, "C797S")]))
    assert found[CIS_RULE] == (NearMissReason.REQUIRES_UNMET, "requires EGFR T790M not present")
    assert found[TRANS_RULE][0] is NearMissReason.REQUIRES_UNMET
    assert "EGFR-C797S-OSIMERTINIB-R" not in found  # fired on-label


def test_requires_another_gene(bundled: RuleSet) -> None:
    nras = variant("chr1", 114713908, "T", "G")
    found = reasons(near_misses(bundled, [allele(nras, "Q61P", gene="NRAS")], tumor_type="MEL"))
    assert found["NRAS-Q61-BRAFI-R"] == (
        NearMissReason.REQUIRES_UNMET,
        "requires BRAF codon V600 not present",
    )


@pytest.mark.parametrize(
    ("t790m_phase", "cis_reason", "trans_reason"),
    [
        ((None, None), NearMissReason.PHASE_UNKNOWN, NearMissReason.PHASE_UNKNOWN),
        (("1", 0), None, NearMissReason.REQUIRES_UNMET),  # cis: the trans rule misses
        (("1", 1), NearMissReason.REQUIRES_UNMET, None),  # trans: the cis rule misses
    ],
)
def test_phase(
    bundled: RuleSet,
    t790m_phase: tuple[str | None, int | None],
    cis_reason: NearMissReason | None,
    trans_reason: NearMissReason | None,
) -> None:
    phase_set, haplotype = t790m_phase
    c797s = replace(C797S, phase_set=phase_set, haplotype=0 if phase_set else None)
    t790m = replace(T790M, phase_set=phase_set, haplotype=haplotype)
    found = reasons(near_misses(bundled, [allele(t790m, "T790M"), allele(c797s, "C797S")]))
    assert found.get(CIS_RULE, (None, ""))[0] is cis_reason
    assert found.get(TRANS_RULE, (None, ""))[0] is trans_reason
    if phase_set is None:
        assert found[CIS_RULE][1] == (
            "phase of EGFR T790M to EGFR C797S unknown (rule needs cis; give a phased VCF or --bam)"
        )
    elif haplotype == 0:
        assert found[TRANS_RULE][1] == (
            "requires EGFR T790M in trans with EGFR C797S; found in cis"
        )


def test_excluded(bundled: RuleSet) -> None:
    insertion = variant("chr7", 55181320, "C", "CTTCCAGGAAGCC")
    fqea = allele(
        insertion, "A763_Y764insFQEA", variant_class=VariantClass.INFRAME_INSERTION, exon=20
    )
    found = reasons(near_misses(bundled, [fqea]))
    assert found["EGFR-EX20INS-1G2GTKI-R"] == (
        NearMissReason.EXCLUDED,
        "excluded by EGFR A763_Y764insFQEA present",
    )


def test_filtered_by_vaf_or_depth(bundled: RuleSet) -> None:
    matcher = RuleMatcher(bundled, build="GRCh38", tumor_type="LUAD", oncotree=load_oncotree())
    (finding,) = matcher.match([allele(L858R, "L858R")])
    misses = find_near_misses(
        matcher, [], [], [], filtered_findings=[(finding, "VAF 0.02 below --min-vaf 0.05")]
    )
    assert reasons(misses) == {
        "EGFR-L858R-EGFRTKI-S": (NearMissReason.FILTERED, "VAF 0.02 below --min-vaf 0.05")
    }


def test_filtered_by_vaf_is_not_transcript_differs(bundled: RuleSet) -> None:
    """Regression: a finding set aside by --min-vaf whose change is also annotated on another
    transcript was listed as ``transcript_differs`` (the set-aside rule counted as not fired)."""
    on_both = SampleAllele(
        T790M,
        (
            alteration("EGFR", "T790M", on=T790M),
            alteration("EGFR", "T790M", on=T790M, preferred=False),
        ),
        True,
    )
    matcher = RuleMatcher(bundled, build="GRCh38", tumor_type="LUAD", oncotree=load_oncotree())
    set_aside = [(f, "VAF 0.05 below --min-vaf 0.06") for f in matcher.match([on_both])]
    misses = find_near_misses(matcher, [on_both], [], [], filtered_findings=set_aside)
    assert reasons(misses) == {
        f.rule_id: (NearMissReason.FILTERED, "VAF 0.05 below --min-vaf 0.06") for f, _ in set_aside
    }
    assert len(set_aside) == 3


def test_filtered_by_filter(bundled: RuleSet) -> None:
    failed = replace(L858R, filters=("weak_evidence",))
    misses = near_misses(bundled, [], filtered_alleles=[allele(failed, "L858R")])
    assert reasons(misses) == {
        "EGFR-L858R-EGFRTKI-S": (NearMissReason.FILTERED, "FILTER weak_evidence (record 3)")
    }


def test_unclassified_lists_the_rules_whose_exons_hold_the_variant(bundled: RuleSet) -> None:
    in_exon_20 = variant("chr7", 55181310, "G", "GA", annotations={})
    item = Unclassified("EGFR", in_exon_20, UNANNOTATED_REASON)
    found = reasons(near_misses(bundled, [], unclassified=[item]))
    assert {reason for reason, _detail in found.values()} == {NearMissReason.UNCLASSIFIED}
    assert {
        "EGFR-T790M-1GTKI-R",
        "EGFR-C797S-OSIMERTINIB-R",
        "EGFR-EX20INS-1G2GTKI-R",
        "EGFR-G719X_L861Q_S768I-EGFRTKI-S",  # S768I is in exon 20
    } <= set(found)
    assert "EGFR-L858R-EGFRTKI-S" not in found  # exon 21
    assert "EGFR-EX19DEL-EGFRTKI-S" not in found


def test_event_off_label(bundled: RuleSet) -> None:
    amplification = Alteration(
        gene="ERBB2",
        variant_class=VariantClass.OTHER,
        event="amplification",
        detail="CN 9",
        source="test",
    )
    (miss,) = near_misses(bundled, [], tumor_type="LUAD", events=[amplification])
    assert (miss.rule_id, miss.alteration, miss.variant) == (
        "ERBB2-AMP-ANTIHER2-S",
        "amplification",
        None,
    )
    assert (miss.reason, miss.detail) == (
        NearMissReason.OFF_LABEL,
        "rule needs BRCA (sample LUAD)",
    )


def test_requires_an_event(bundled: RuleSet) -> None:
    pten = variant("chr10", 87933147, "C", "T")
    stop = allele(pten, "R130*", gene="PTEN", variant_class=VariantClass.NONSENSE)
    found = reasons(near_misses(bundled, [stop], tumor_type="BRCA"))
    assert found["PTEN-LOF-TRASTUZUMAB-R"] == (
        NearMissReason.REQUIRES_UNMET,
        "requires ERBB2 amplification not present",
    )


# --- end to end ---------------------------------------------------------------------------------


def annotate(tmp_path: Path, vcf: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "out.json"
    assert main(["annotate", str(vcf), "--out-json", str(out), *extra]) == 0
    data = json.loads(out.read_text())
    assert isinstance(data, dict)
    return data


def sample_vcf(tmp_path: Path) -> Path:
    """Unannotated (the hotspot table places them): T790M and C797S unphased, L858R, and an
    L861Q that failed FILTER; AD gives VAF and depth."""
    records = [
        "chr7\t55181378\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:60,40",
        "chr7\t55181399\t.\tG\tC\t.\tPASS\t.\tGT:AD\t0/1:90,10",
        "chr7\t55191822\t.\tT\tG\t.\tPASS\t.\tGT:AD\t0/1:8,7",
        "chr7\t55191831\t.\tT\tA\t.\tweak_evidence\t.\tGT:AD\t0/1:90,10",
    ]
    return write_vcf(tmp_path, vcf_text(records, info_lines=()))


def by_rule(data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {m["rule_id"]: (m["reason"], m["detail"]) for m in data["near_misses"]}


def test_cli_explain_luad(tmp_path: Path) -> None:
    data = annotate(
        tmp_path, sample_vcf(tmp_path), "--tumor-type", "LUAD", "--min-depth", "20", "--explain"
    )
    found = by_rule(data)
    assert found[CIS_RULE][0] == "phase_unknown"
    assert found[TRANS_RULE][0] == "phase_unknown"
    assert found["EGFR-L858R-EGFRTKI-S"] == ("filtered", "depth 15 below --min-depth 20")
    assert found["EGFR-G719X_L861Q_S768I-EGFRTKI-S"] == (
        "filtered",
        "FILTER weak_evidence (record 4)",
    )
    miss = next(m for m in data["near_misses"] if m["rule_id"] == CIS_RULE)
    assert miss["variant"] == {"chrom": "chr7", "pos": 55181399, "ref": "G", "alt": "C"}
    assert miss["alteration"] == "C797S"
    # L858R is set aside, so the driver VAF is T790M's (osimertinib sensitivity), 0.4.
    flags = {f["rule_id"]: f["subclonal"] for f in data["findings"]}
    assert flags["EGFR-C797S-OSIMERTINIB-R"] is False  # 0.1 is not below 0.25 x 0.4
    assert flags["EGFR-T790M-OSIMERTINIB-S"] is False


def test_cli_explain_off_label(tmp_path: Path) -> None:
    data = annotate(tmp_path, sample_vcf(tmp_path), "--tumor-type", "COAD", "--explain")
    found = by_rule(data)
    assert found["EGFR-L858R-EGFRTKI-S"] == ("off_label", "rule needs NSCLC (sample COAD)")
    assert found["EGFR-T790M-1GTKI-R"] == ("off_label", "rule needs NSCLC (sample COAD)")
    assert data["therapy_calls"] == []


def test_cli_without_explain_has_an_empty_list(tmp_path: Path) -> None:
    data = annotate(tmp_path, sample_vcf(tmp_path), "--tumor-type", "COAD")
    assert data["near_misses"] == []


def test_cli_subclonal_fraction(tmp_path: Path) -> None:
    vcf = sample_vcf(tmp_path)
    data = annotate(tmp_path, vcf, "--tumor-type", "LUAD", "--subclonal-fraction", "0.5")
    flags = {f["rule_id"]: f["subclonal"] for f in data["findings"]}
    assert flags["EGFR-C797S-OSIMERTINIB-R"] is True  # 0.1 < 0.5 x 0.47 (L858R)
    calls = {c["therapy"]: c for c in data["therapy_calls"]}
    assert "EGFR C797S (C, subclonal)" in calls["osimertinib"]["rationale"]
    assert calls["osimertinib"]["sensitivity_level"] == "A"
    assert calls["osimertinib"]["resistance_level"] == "C"


@pytest.mark.parametrize(
    "options", [{"use_index": False}, {"prefilter": True, "threads": 1}], ids=["full", "prefilter"]
)
def test_a_change_only_another_transcript_names_is_kept_for_its_near_miss(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    """A record whose rules' transcript gives a missense no rule names (so it changes no
    result and a run lets it go) and another transcript T790M: --explain keeps it
    (RuleMatcher.explains) for its transcript_differs near misses."""
    csq_line = (
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
        'Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSp">'
    )
    record = (
        "chr7\t55181378\t.\tC\tT\t.\tPASS\tCSQ="
        "T|missense_variant|MODERATE|EGFR|ENST00000275493.7|ENSP00000275493.2:p.Ala767Val,"
        "T|missense_variant|MODERATE|EGFR|ENST00000455089.5|ENSP00000415559.1:p.Thr790Met"
        "\tGT:AD:DP\t0/1:60,40:100"
    )
    vcf = write_vcf(tmp_path, vcf_text([record], info_lines=(csq_line,)), "vcf.gz")
    data = run_json(vcf, "LUAD", explain=True, **options)
    assert data["unclassified"] == []
    assert {
        miss["rule_id"] for miss in data["near_misses"] if miss["reason"] == "transcript_differs"
    } == {"EGFR-T790M-1GTKI-R", "EGFR-T790M-AFATINIB-R", "EGFR-T790M-OSIMERTINIB-S"}
