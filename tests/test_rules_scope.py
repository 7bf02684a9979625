"""The bundled rules' scope, end to end: which tumor types and co-alterations a rule's
therapy call reaches, and at which level (rules 0.5.0 and 0.9.0 corrections; sources in
rules/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.runs import run_json

MAF_HEADER = (
    "Hugo_Symbol\tChromosome\tStart_Position\tEnd_Position\tReference_Allele\t"
    "Tumor_Seq_Allele2\tVariant_Classification\tHGVSp_Short\tTumor_Sample_Barcode\tNCBI_Build\n"
)
# GRCh38 alleles of the rules' hotspot table (rules/hotspots.yaml)
EGFR_T790M = "EGFR\t7\t55181378\t55181378\tC\tT\tMissense_Mutation\tp.T790M\tS1\tGRCh38\n"
EGFR_L858R = "EGFR\t7\t55191822\t55191822\tT\tG\tMissense_Mutation\tp.L858R\tS1\tGRCh38\n"
BRAF_V600E = "BRAF\t7\t140753336\t140753336\tA\tT\tMissense_Mutation\tp.V600E\tS1\tGRCh38\n"
# BRCA2 c.5946del (p.S1982Rfs*22), as in the demo VCF
BRCA2_FS = "BRCA2\t13\t32340300\t32340300\tT\t-\tFrame_Shift_Del\tp.S1982Rfs*22\tS1\tGRCh38\n"
# ABL1 c.749G>A and c.1052T>C, placed by the gene table's exons 4 and 6 (NM_005157.6)
ABL1_G250E = "ABL1\t9\t130862962\t130862962\tG\tA\tMissense_Mutation\tp.G250E\tS1\tGRCh38\n"
ABL1_M351T = "ABL1\t9\t130873004\t130873004\tT\tC\tMissense_Mutation\tp.M351T\tS1\tGRCh38\n"


def maf(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "calls.maf"
    path.write_text(MAF_HEADER + "".join(rows), encoding="utf-8")
    return path


def calls(result: dict[str, Any]) -> dict[str, str]:
    return {call["therapy"]: call["call"] for call in result["therapy_calls"]}


def rule_ids(result: dict[str, Any], *, on_label: bool = True) -> set[str]:
    return {
        finding["rule_id"]
        for finding in result["findings"]
        if (finding["tumor_type_match"] != "off_label") == on_label
    }


def test_t790m_with_a_sensitizing_mutation_makes_afatinib_conflicting(tmp_path: Path) -> None:
    result = run_json(maf(tmp_path, EGFR_L858R, EGFR_T790M), tumor_type="LUAD")
    got = calls(result)
    assert got["afatinib"] == "conflicting"
    assert got["gefitinib"] == got["erlotinib"] == "resistance"
    assert got["osimertinib"] == "sensitivity"
    assert "EGFR-T790M-AFATINIB-R" in rule_ids(result)


def test_l858r_alone_keeps_afatinib_sensitivity(tmp_path: Path) -> None:
    assert calls(run_json(maf(tmp_path, EGFR_L858R), tumor_type="LUAD"))["afatinib"] == (
        "sensitivity"
    )


@pytest.mark.parametrize("code", ["SKCM", "MUP", "HNMUCM", "ARMM", "VMM", "ESMM", "URMM", "CM"])
def test_braf_v600e_melanoma_of_any_primary_site_is_on_label(tmp_path: Path, code: str) -> None:
    got = calls(run_json(maf(tmp_path, BRAF_V600E), tumor_type=code))
    assert got["dabrafenib + trametinib"] == "sensitivity"


def test_braf_v600e_outside_melanoma_stays_off_the_melanoma_rules(tmp_path: Path) -> None:
    result = run_json(maf(tmp_path, BRAF_V600E), tumor_type="LUAD")
    assert "BRAF-V600E-BRAFMEKI-S" in rule_ids(result, on_label=False)


@pytest.mark.parametrize(
    ("tumor_type", "on_label"),
    [("COAD", True), ("UCEC", True), ("AML", False), ("CLLSLL", False), ("DLBCLNOS", False)],
)
def test_msi_h_pembrolizumab_is_for_solid_tumours(
    tmp_path: Path, tumor_type: str, on_label: bool
) -> None:
    result = run_json(maf(tmp_path, EGFR_L858R), tumor_type=tumor_type, msi_status="MSI-H")
    assert ("MSI-H-PEMBROLIZUMAB-S" in rule_ids(result)) is on_label
    assert ("pembrolizumab" in calls(result)) is on_label


@pytest.mark.parametrize(("tumor_type", "on_label"), [("LUAD", True), ("AML", False)])
def test_tmb_high_pembrolizumab_is_for_solid_tumours(
    tmp_path: Path, tumor_type: str, on_label: bool
) -> None:
    # 12 coding non-synonymous rows on a 1 Mb panel: TMB 12/Mb, above the default 10
    rows = [
        f"GENE{i}\t1\t{1000 + i}\t{1000 + i}\tC\tT\tMissense_Mutation\tp.A{i}V\tS1\tGRCh38\n"
        for i in range(1, 13)
    ]
    result = run_json(maf(tmp_path, *rows), tumor_type=tumor_type, panel_size_mb=1.0)
    assert result["biomarkers"]["tmb"]["status"] == "TMB-high"
    assert ("TMB-HIGH-PEMBROLIZUMAB-S" in rule_ids(result)) is on_label


@pytest.mark.parametrize(("amplified", "expected"), [(False, "sensitivity"), (True, None)])
def test_parp_inhibitors_in_breast_cancer_need_her2_negative_disease(
    tmp_path: Path, amplified: bool, expected: str | None
) -> None:
    cnv = tmp_path / "genes.tsv"
    cnv.write_text(f"gene\tcopy_number\nERBB2\t{12 if amplified else 2}\n", encoding="utf-8")
    result = run_json(maf(tmp_path, BRCA2_FS), tumor_type="IDC", cnv=cnv)
    got = calls(result)
    assert got.get("olaparib") == expected
    assert got.get("talazoparib") == expected
    if amplified:  # the HER2 rule itself still fires
        assert got["trastuzumab"] == "sensitivity"


@pytest.mark.parametrize(
    ("transcript", "fires"),
    [
        ("ENST00000646891", True),  # MANE Select (GRCh38 releases only)
        ("ENST00000288602", True),  # the GRCh37 gene set's canonical: same protein, numbering
        ("ENST00000644969", False),  # MANE Plus Clinical: another numbering (V640)
    ],
)
def test_braf_v600e_on_the_grch37_canonical_transcript_fires(
    tmp_path: Path, transcript: str, fires: bool
) -> None:
    header = MAF_HEADER.replace("\tTumor_Sample_Barcode", "\tTranscript_ID\tTumor_Sample_Barcode")
    row = (
        f"BRAF\t7\t140453136\t140453136\tA\tT\tMissense_Mutation\tp.V600E\t{transcript}\t"
        "S1\tGRCh37\n"
    )
    path = tmp_path / "braf.maf"
    path.write_text(header + row, encoding="utf-8")
    result = run_json(path, tumor_type="SKCM")
    assert ("BRAF-V600E-BRAFMEKI-S" in rule_ids(result)) is fires
    assert bool(result["unclassified"]) is not fires


@pytest.mark.parametrize(
    ("row", "rule", "level"),
    [
        (ABL1_G250E, "ABL1-G250E-IMATINIB-R", "A"),  # NCCN CML, as OncoKB's R1 reports
        (ABL1_M351T, "ABL1-M351T-IMATINIB-R", "B"),  # Soverini 2006 only
    ],
)
def test_abl1_g250e_and_m351t_imatinib_resistance_levels(
    tmp_path: Path, row: str, rule: str, level: str
) -> None:
    result = run_json(maf(tmp_path, row), tumor_type="CML")
    (finding,) = result["findings"]
    assert (finding["rule_id"], finding["evidence_level"]) == (rule, level)
    assert calls(result) == {"imatinib": "resistance"}
