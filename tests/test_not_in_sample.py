"""A rule-gene allele the chosen tumor sample's GT does not hold (0/0, or another ALT only) is
no finding of that sample: in a VCF of several samples it is another sample's variant. It used
to fire its rules for every sample (EGFR T790M made resistance calls for a sample with GT 0/0
and no ALT read). It is counted (``alleles_not_in_sample``) and listed by --explain; a GT
that calls no allele ('./.') says nothing and the allele is kept. Every path agrees.

Mutect2 writes GT 0/1 for every tumor of a multi-sample call, whichever tumor the allele was
seen in: in a VCF of several samples an allele the sample's AD gives no read (where the site
has reads) is not the sample's either. In a VCF of one sample the call stands."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pysam
import pytest

from annotator.cli import main
from tests.runs import run_json
from tests.test_fast_paths import comparable
from tests.test_fast_paths_agree import unnumbered
from tests.test_parts import blocked
from tests.vcfgen import vcf_text

FORMAT = "GT:AD:DP"


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = [
        # EGFR T790M: the other sample's only.
        f"chr7\t55181378\tt790m\tC\tT\t.\tPASS\t.\t{FORMAT}\t0/0:100,0:100\t0/1:50,50:100",
        # EGFR C797S: TUMOR's GT calls no allele ('./.') but its AD has reads of it: kept.
        f"chr7\t55181398\tc797s\tT\tA\t.\tPASS\t.\t{FORMAT}\t./.:60,40:100\t0/1:50,50:100",
        # EGFR L858R: both.
        f"chr7\t55191822\tl858r\tT\tG\t.\tPASS\t.\t{FORMAT}\t0/1:60,40:100\t0/1:50,50:100",
        # In MET intron 1 (before c.1: outside the coding exons MET's table lists), unannotated:
        # the other sample's only (else listed unclassified).
        f"chr7\t116690000\tintron\tA\tG\t.\tPASS\t.\t{FORMAT}\t0/0:100,0:100\t0/1:50,50:100",
        # KRAS G12S/G12C (c.34G>A, c.34G>T): TUMOR holds the second ALT only, OTHER the first.
        f"chr12\t25245351\tg12\tC\tT,A\t.\tPASS\t.\t{FORMAT}\t0/2:60,0,40:100\t0/1:50,50,0:100",
    ]
    text = vcf_text(records, samples=("TUMOR", "OTHER"), info_lines=()).encode()
    found = blocked(
        tmp_path_factory.mktemp("gt") / "in.vcf.gz", text, list(range(300, len(text), 300))
    )
    pysam.tabix_index(str(found), preset="vcf", force=True)
    return found


def changes(result: dict[str, Any]) -> set[str]:
    return {f"{f['gene']} {f['alteration']}" for f in result["findings"]}


def test_alleles_the_sample_does_not_hold_are_no_findings(path: Path) -> None:
    tumor = run_json(path, "LUAD", sample="TUMOR", use_index=False)
    found = changes(tumor)
    assert {"EGFR L858R", "KRAS G12C"} <= found
    assert not {change for change in found if "T790M" in change or "c.34G>A" in change}
    assert any(change.startswith("EGFR C797") for change in found)  # './.': kept
    assert tumor["summary"]["alleles_not_in_sample"] == 3  # the intron's, T790M, G12S
    assert tumor["summary"]["alleles_in_rule_genes"] == 6
    assert 116690000 not in {u["variant"]["pos"] for u in tumor["unclassified"]}
    calls = {call["therapy"]: call["call"] for call in tumor["therapy_calls"]}
    assert calls["gefitinib"] == calls["erlotinib"] == "sensitivity"  # no T790M resistance
    other = run_json(path, "LUAD", sample="OTHER", use_index=False)
    assert {"EGFR T790M", "EGFR L858R"} <= changes(other)
    assert "KRAS G12C" not in changes(other)
    assert other["summary"]["alleles_not_in_sample"] == 1
    assert 116690000 in {u["variant"]["pos"] for u in other["unclassified"]}
    calls = {call["therapy"]: call["call"] for call in other["therapy_calls"]}
    assert calls["gefitinib"] == "resistance"


def test_the_noted_path_reads_the_gt_without_a_report(path: Path) -> None:
    """The command line reads no evidence of unannotated, noted alleles unless a report shows
    it; in a VCF of several samples it reads their GT all the same."""
    quick = run_json(path, "LUAD", sample="TUMOR", use_index=False, unclassified_evidence=False)
    assert quick["summary"]["alleles_not_in_sample"] == 3
    assert 116690000 not in {u["variant"]["pos"] for u in quick["unclassified"]}


def test_explain_lists_them(path: Path) -> None:
    result = run_json(path, "LUAD", sample="TUMOR", use_index=False, explain=True)
    details = {
        miss["variant"]["pos"]: miss["detail"]
        for miss in result["near_misses"]
        if miss["reason"] == "filtered"
    }
    assert details[55181378].startswith("not in the tumor sample's GT or reads (record 1)")


def test_every_path_agrees(path: Path) -> None:
    full = run_json(path, "LUAD", sample="TUMOR", use_index=False)
    assert run_json(path, "LUAD", sample="TUMOR", prefilter=True) == full
    indexed = run_json(path, "LUAD", sample="TUMOR", use_index=True)
    assert indexed["summary"]["regions_only"] is True
    assert unnumbered(comparable(indexed)) == unnumbered(comparable(full))


def test_the_reports_say_so(path: Path, tmp_path: Path) -> None:
    assert (
        main(
            [
                "annotate",
                str(path),
                "--tumor-type",
                "LUAD",
                "--sample",
                "TUMOR",
                "--out-html",
                str(tmp_path / "r.html"),
                "--out-md",
                str(tmp_path / "r.md"),
            ]
        )
        == 0
    )
    said = (
        "3 alleles in rule genes are not the sample's (its GT does not hold them, or its AD has "
        "no read of them): other samples' variants"
    )
    assert said in html.unescape((tmp_path / "r.html").read_text())
    assert said in (tmp_path / "r.md").read_text().replace("\\", "")


def mutect2_tumors(
    tmp_path: Path,
    samples: tuple[str, ...],
    normal: str | None = "NORMAL",
    tumors: tuple[str, ...] = (),
) -> Path:
    """A Mutect2-like multi-sample call: GT 0/1 for every tumor, the reads tell which has
    what; ``##normal_sample`` names ``normal``, a ``##tumor_sample`` line each of ``tumors``.
    With ``samples`` a subset, only those columns are written."""
    columns = {
        "NORMAL": ("0/0:80,0:80", "0/0:70,0:70", "0/0:90,0:90", "0/0:50,0:50"),
        "TUMOR1": ("0/1:100,0:100", "0/1:60,40:100", "0/1:90,0:90", "0/1:0,0:0"),
        "TUMOR2": ("0/1:60,40:100", "0/1:50,50:100", "0/1:50,50:100", "0/1:50,50:100"),
    }
    sites = (
        "chr7\t55181378\tt790m\tC\tT",  # EGFR T790M: TUMOR2's only
        "chr7\t55191822\tl858r\tT\tG",  # EGFR L858R: both tumors
        "chr7\t116690000\tintron\tA\tG",  # MET intron 1, unannotated: TUMOR2's only
        "chr12\t25245351\tg12c\tC\tA",  # KRAS G12C: TUMOR1 has no reads there: kept
    )
    records = [
        "\t".join((site, ".", "PASS", ".", FORMAT, *(columns[name][row] for name in samples)))
        for row, site in enumerate(sites)
    ]
    path = tmp_path / f"{'_'.join(samples)}.vcf"
    header = [f"##normal_sample={normal}"] if normal is not None else []
    header += [f"##tumor_sample={name}" for name in tumors]
    path.write_text(vcf_text(records, samples=samples, info_lines=(), extra_header=header))
    return path


@pytest.mark.parametrize("normal", ["NORMAL", None])
def test_with_other_tumors_an_allele_without_reads_is_not_the_samples(
    tmp_path: Path, normal: str | None
) -> None:
    path = mutect2_tumors(tmp_path, ("NORMAL", "TUMOR1", "TUMOR2"), normal)
    first = run_json(path, "LUAD", sample="TUMOR1", use_index=False)
    assert {"EGFR L858R", "KRAS G12C"} <= changes(first)
    assert not {change for change in changes(first) if "T790M" in change}
    assert first["summary"]["alleles_not_in_sample"] == 2  # T790M and the intron's
    assert 116690000 not in {u["variant"]["pos"] for u in first["unclassified"]}
    calls = {call["therapy"]: call["call"] for call in first["therapy_calls"]}
    assert calls["gefitinib"] == "sensitivity"
    # Without a report the noted intron allele's AD is read all the same.
    quick = run_json(path, "LUAD", sample="TUMOR1", use_index=False, unclassified_evidence=False)
    assert quick["summary"]["alleles_not_in_sample"] == 2
    assert run_json(path, "LUAD", sample="TUMOR1", prefilter=True) == first
    second = run_json(path, "LUAD", sample="TUMOR2", use_index=False)
    assert {"EGFR T790M", "EGFR L858R", "KRAS G12C"} <= changes(second)
    assert second["summary"]["alleles_not_in_sample"] == 0
    assert 116690000 in {u["variant"]["pos"] for u in second["unclassified"]}


@pytest.mark.parametrize("samples", [("TUMOR1",), ("TUMOR1", "NORMAL")])
def test_without_other_tumors_the_call_stands_whatever_ad_says(
    tmp_path: Path, samples: tuple[str, ...]
) -> None:
    """One sample, or a tumor and the normal ##normal_sample names: every allele was called
    as the tumor's."""
    path = mutect2_tumors(tmp_path, samples)
    alone = run_json(path, "LUAD", sample="TUMOR1", use_index=False)
    assert "EGFR T790M" in changes(alone)
    assert alone["summary"]["alleles_not_in_sample"] == 0


def test_each_tumor_a_mutect2_header_names_is_annotated(tmp_path: Path) -> None:
    """Mutect2 writes a ##tumor_sample line per tumor of a multi-sample call: --out-dir gives
    each its own results (the first alone was annotated, the others silently left out); an
    output that holds one sample is refused, as for a MAF of several samples."""
    path = mutect2_tumors(tmp_path, ("NORMAL", "TUMOR1", "TUMOR2"), tumors=("TUMOR1", "TUMOR2"))
    out = tmp_path / "out"
    args = ["annotate", str(path), "--tumor-type", "LUAD", "--genome", "GRCh38"]
    assert main([*args, "--out-dir", str(out)]) == 0
    found = {
        name: json.loads((out / f"{name}.findings.json").read_text())
        for name in ("TUMOR1", "TUMOR2")
    }
    assert [data["sample"] for data in found.values()] == ["TUMOR1", "TUMOR2"]
    assert "EGFR T790M" not in changes(found["TUMOR1"])
    assert "EGFR T790M" in changes(found["TUMOR2"])
    assert (out / "TUMOR2.annotated.vcf.gz").exists()
    assert main([*args, "--out-json", str(tmp_path / "one.json")]) == 2
    assert not (tmp_path / "one.json").exists()
    # An input of one tumor (MSI, fusions, copy number, expression, a BAM) needs --sample.
    assert main([*args, "--msi-status", "MSI-H", "--out-dir", str(tmp_path / "msi")]) == 2
    assert not (tmp_path / "msi").exists()
    assert main([*args, "--sample", "TUMOR2", "--out-json", str(tmp_path / "one.json")]) == 0
    assert "EGFR T790M" in changes(json.loads((tmp_path / "one.json").read_text()))


def test_a_merged_vcfs_no_call_is_another_samples_call(tmp_path: Path) -> None:
    """bcftools merge of two tumors' calls gives the tumor that did not call a record './.'
    and no AD: with other tumor samples that is not the sample's allele. In a VCF of one
    sample the same './.' says nothing (a caller that does not genotype the tumor)."""
    merged = [
        f"chr7\t55181378\tt790m\tC\tT\t.\tPASS\t.\t{FORMAT}\t./.:.:.\t0/1:60,40:100",
        f"chr7\t55191822\tl858r\tT\tG\t.\tPASS\t.\t{FORMAT}\t0/1:60,40:100\t./.:.:.",
    ]
    path = tmp_path / "merged.vcf"
    path.write_text(vcf_text(merged, samples=("TUMOR1", "TUMOR2"), info_lines=()))
    first = run_json(path, "LUAD", sample="TUMOR1", use_index=False)
    assert changes(first) >= {"EGFR L858R"}
    assert not {change for change in changes(first) if "T790M" in change}
    assert first["summary"]["alleles_not_in_sample"] == 1
    alone = tmp_path / "alone.vcf"
    alone.write_text(vcf_text([merged[0].rsplit("\t", 1)[0]], samples=("TUMOR1",), info_lines=()))
    assert "EGFR T790M" in changes(run_json(alone, "LUAD", use_index=False))


def test_a_tumor_sample_line_naming_no_sample_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = mutect2_tumors(tmp_path, ("NORMAL", "TUMOR1", "TUMOR2"), tumors=("TUMOR1", "TUMOR9"))
    out = tmp_path / "out"
    args = ["annotate", str(path), "--tumor-type", "LUAD", "--out-dir", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "##tumor_sample=TUMOR9 names no sample of the file (samples: NORMAL, TUMOR1" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_the_count_is_the_same_with_and_without_explain(tmp_path: Path) -> None:
    """A synonymous EGFR change the sample does not hold changes no result: reading does not
    read its GT (it is counted among the rule-gene alleles alone), and --explain, which keeps
    every allele, counts the same (it counted it as not in the sample before)."""
    csq_line = (
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
        'Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSp">'
    )
    records = [
        f"chr7\t55181378\t.\tC\tT\t.\tPASS\tCSQ=T|missense_variant|MODERATE|EGFR|"
        f"ENST00000275493.7|ENSP00000275493.2:p.Thr790Met\t{FORMAT}\t0/1:60,40:100\t"
        "0/1:60,40:100",
        f"chr7\t55181390\t.\tG\tA\t.\tPASS\tCSQ=A|synonymous_variant|LOW|EGFR|"
        f"ENST00000275493.7|ENSP00000275493.2:p.Val794%3D\t{FORMAT}\t0/1:60,40:100\t"
        "0/0:100,0:100",
    ]
    path = tmp_path / "two.vcf"
    path.write_text(
        vcf_text(records, samples=("OTHER", "TUMOR"), info_lines=(csq_line,)), encoding="utf-8"
    )
    summaries = [
        run_json(path, "LUAD", sample="TUMOR", explain=explain)["summary"]
        for explain in (False, True)
    ]
    assert summaries[0] == summaries[1]
    assert (summaries[0]["alleles_in_rule_genes"], summaries[0]["alleles_not_in_sample"]) == (2, 0)
