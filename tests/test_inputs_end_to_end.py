"""Every input form end to end through the CLI: fusion, copy-number and expression files, MSI,
TMB, and the VAF/depth filters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from tests.golden_cases import TEST_DATA

DATA = Path(__file__).parent / "data"
DEMO = TEST_DATA / "demo.grch38.vep.vcf.gz"
LUAD37 = TEST_DATA / "luad.grch37.vep.vcf"


def annotate(tmp_path: Path, *argv: str) -> dict[str, Any]:
    out = tmp_path / "out.json"
    code = main(["annotate", *argv, "--out-json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert isinstance(data, dict)
    return data


def calls(data: dict[str, Any]) -> dict[str, str]:
    return {c["therapy"]: c["call"] for c in data["therapy_calls"]}


def fired(data: dict[str, Any]) -> set[str]:
    return {f["rule_id"] for f in data["findings"]}


def test_arriba_file_gives_bcr_abl1(tmp_path: Path) -> None:
    """The real Arriba test file (suhrig/arriba, MIT): BCR::ABL1 e14a2, in CML."""
    data = annotate(
        tmp_path,
        str(LUAD37),
        "--tumor-type",
        "CMLBCRABL1",
        "--fusions",
        str(DATA / "arriba.test.fusions.grch37.tsv"),
    )
    fusion = next(f for f in data["findings"] if f["gene"] == "BCR::ABL1")
    assert fusion["match_type"] == "fusion"
    assert fusion["tumor_type_match"] == "on_label"
    assert fusion["variant"] is None
    assert "22:23632600" in fusion["detail"]
    assert calls(data)["imatinib"] == "sensitivity"
    assert [e["gene"] for e in data["events"]] == ["BCR::ABL1"]


def test_star_fusion_names_are_normalized(tmp_path: Path) -> None:
    fusions = tmp_path / "simple.tsv"
    fusions.write_text("fusion\nBCR--ABL1\nEML4--ALK\n")
    data = annotate(tmp_path, str(DEMO), "--tumor-type", "CML", "--fusions", str(fusions))
    assert [e["gene"] for e in data["events"]] == ["BCR::ABL1"]  # ALK is no rule gene
    assert "BCR-ABL1-FUSION-BCRABL1TKI-S" in fired(data)


def test_copy_number_table_amplification(tmp_path: Path) -> None:
    cnv = tmp_path / "cn.tsv"
    cnv.write_text("gene\tcopy_number\nERBB2\t12\nPTEN\t2\n")
    data = annotate(tmp_path, str(DEMO), "--tumor-type", "IDC", "--cnv", str(cnv))
    assert [(e["gene"], e["event"]) for e in data["events"]] == [("ERBB2", "amplification")]
    assert calls(data)["trastuzumab"] == "sensitivity"


def test_copy_number_deletion_with_amplification_gives_trastuzumab_resistance(
    tmp_path: Path,
) -> None:
    cnv = tmp_path / "cn.tsv"
    cnv.write_text("gene\tcopy_number\nERBB2\t12\nPTEN\t0\n")
    data = annotate(tmp_path, str(DEMO), "--tumor-type", "BRCA", "--cnv", str(cnv))
    assert {"ERBB2-AMP-ANTIHER2-S", "PTEN-DEL-TRASTUZUMAB-R"} <= fired(data)
    assert calls(data)["trastuzumab"] in {"resistance", "conflicting"}


def test_cnvkit_segments(tmp_path: Path) -> None:
    """The real CNVkit file (etal/cnvkit, Apache-2.0) reads; its amplified genes are no rule
    genes, so it gives no event and no error."""
    data = annotate(
        tmp_path,
        str(LUAD37),
        "--tumor-type",
        "LUAD",
        "--cnv",
        str(DATA / "cnvkit.tr95t.grch37.cns"),
    )
    assert all(e["event"] in {"amplification", "deletion"} for e in data["events"])


def test_expression_zscores(tmp_path: Path) -> None:
    expression = tmp_path / "expr.tsv"
    expression.write_text("gene\tzscore\nABCB1\t3.1\nERCC1\t0.2\nGAPDH\t5\n")
    data = annotate(tmp_path, str(DEMO), "--tumor-type", "LUAD", "--expression", str(expression))
    assert [(e["gene"], e["event"]) for e in data["events"]] == [("ABCB1", "overexpression")]
    assert calls(data)["paclitaxel"] == "resistance"
    assert "z-score 3.1" in data["events"][0]["detail"]


def test_msi_status(tmp_path: Path) -> None:
    data = annotate(tmp_path, str(DEMO), "--tumor-type", "COAD", "--msi-status", "MSI-H")
    assert {"MSI-H-PEMBROLIZUMAB-S", "MSI-H-PEMBROLIZUMAB-COADREAD-S"} <= fired(data)
    assert calls(data)["pembrolizumab"] == "sensitivity"


def test_msisensor_file(tmp_path: Path) -> None:
    score = tmp_path / "msi.txt"
    score.write_text("Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n640\t75\t11.72\n")
    data = annotate(tmp_path, str(DEMO), "--tumor-type", "COAD", "--msi-file", str(score))
    assert "MSI-H-PEMBROLIZUMAB-S" in fired(data)


def test_tmb_computed_in_the_same_pass(tmp_path: Path) -> None:
    low = annotate(tmp_path, str(DEMO), "--tumor-type", "LUAD", "--panel-size-mb", "30")
    tmb = low["biomarkers"]["tmb"]
    # PASS coding non-synonymous alleles of the demo: EGFR L858R, T790M, KRAS G12D, the two
    # KRAS Q61H alleles, BRCA2 S1982Rfs*22 (PIK3CA H1047R fails FILTER).
    assert tmb["mutations"] == 6
    assert tmb["status"] == "TMB-low"
    assert "TMB-HIGH-PEMBROLIZUMAB-S" not in fired(low)
    high = annotate(tmp_path, str(DEMO), "--tumor-type", "LUAD", "--panel-size-mb", "0.2")
    assert high["biomarkers"]["tmb"]["per_mb"] == 30.0
    assert "TMB-HIGH-PEMBROLIZUMAB-S" in fired(high)


def test_tmb_needs_annotation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vcf = DATA / "pcgr.T001-COAD.grch38.vcf.gz"
    code = main(
        [
            "annotate",
            str(vcf),
            "--tumor-type",
            "COAD",
            "--genome",
            "GRCh38",
            "--panel-size-mb",
            "30",
        ]
    )
    assert code == 1
    assert "TMB needs consequence annotation" in capsys.readouterr().err


def test_min_vaf_sets_findings_aside(tmp_path: Path) -> None:
    data = annotate(tmp_path, str(DEMO), "--tumor-type", "COAD", "--min-vaf", "0.1")
    kept = {f["alteration"] for f in data["findings"]}
    aside = {f["alteration"]: f["filter_reason"] for f in data["filtered_findings"]}
    assert "G12D" in aside  # VAF 0.05
    assert "below --min-vaf 0.1" in aside["G12D"]
    assert "G12D" not in kept
    # Every KRAS allele of the demo is below 0.1, so no anti-EGFR call is left ...
    assert "cetuximab" not in calls(data)
    # ... while without the filter KRAS makes cetuximab a resistance call in colorectal cancer.
    unfiltered = annotate(tmp_path, str(DEMO), "--tumor-type", "COAD")
    assert calls(unfiltered)["cetuximab"] == "resistance"
    assert unfiltered["filtered_findings"] == []


def test_breakend_pair_in_the_vcf_gives_bcr_abl1(tmp_path: Path) -> None:
    """A t(9;22) breakend pair (VCF 4.2 section 5.4 notation) inside the BCR and ABL1 spans of
    the gene table (GRCh38; both genes on the + strand): BCR up to the break, then ABL1 on."""
    from tests.vcfgen import INFO_LINES, vcf_text, write_vcf

    sv_info = tuple(line for line in INFO_LINES if "ID=SVTYPE" in line or "ID=MATEID" in line)
    contigs = {"chr9": 138394717, "chr22": 50818468}
    records = [
        "chr9\t130854064\tbnd_abl1\tA\t]chr22:23290555]A\t.\tPASS\tSVTYPE=BND;MATEID=bnd_bcr"
        "\tGT:AD\t0/1:30,12",
        "chr22\t23290555\tbnd_bcr\tG\tG[chr9:130854064[\t.\tPASS\tSVTYPE=BND;MATEID=bnd_abl1"
        "\tGT:AD\t0/1:28,14",
    ]
    vcf = write_vcf(tmp_path, vcf_text(records, contigs=contigs, info_lines=sv_info))
    data = annotate(tmp_path, str(vcf), "--tumor-type", "CML")
    assert [(e["gene"], e["event"], e["source"]) for e in data["events"]] == [
        ("BCR::ABL1", "fusion", "vcf-sv")
    ]
    assert calls(data)["imatinib"] == "sensitivity"
    assert data["summary"]["records"] == 2
