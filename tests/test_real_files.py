"""The real public files (copies in tests/data, see SOURCES.md there): each annotates or fails
with a one-line message; the PCGR GRCh37/GRCh38 pair gives the same findings; MAF inputs;
consequence calling with --reference/--gff end to end."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.rules import load_rules
from tests.golden_cases import TEST_DATA
from tests.test_maf import TMB_CLASSIFICATIONS

DATA = Path(__file__).parent / "data"
DEMO = TEST_DATA / "demo.grch38.vep.vcf.gz"
LUAD37 = TEST_DATA / "luad.grch37.vep.vcf"

# Every variant, MAF and fusion file of ../shared/data/public, with the arguments a user would
# give, and whether it annotates (0) or fails cleanly (1: input error, 2: usage error).
REAL_FILES = [
    ("vcf2maf.test.grch37.vcf", ["--genome", "GRCh37", "--sample", "TUMOR"], 0),
    ("vcf2maf.test_strelka.grch37.vcf", ["--genome", "GRCh37", "--sample", "TUMOR"], 0),
    ("vcf2maf.test_mutect.grch37.vcf", ["--genome", "GRCh37", "--sample", "TUMOR"], 0),
    ("vcf2maf.test_delly.grch37.vcf", ["--genome", "GRCh37", "--sample", "TUMOR"], 0),
    ("pcgr.T001-COAD.grch37.vcf.gz", [], 0),
    ("pcgr.T001-COAD.grch38.vcf.gz", [], 0),
    ("bcftools.split-vep.2.vep_csq.vcf", [], 0),
    ("bcftools.split-vep.4.bcsq.vcf", [], 0),
    ("bcftools.norm.breakend.1.vcf", ["--genome", "GRCh38"], 0),
    ("bcftools.annotate.olap.cnv_symbolic.vcf", [], 0),
    ("cnvkit.nosample.vcf", ["--genome", "GRCh37"], 0),
    ("htslib.tabix_vcf_file.vcf", ["--genome", "GRCh37", "--sample", "A"], 0),
    ("htslib.vcf44_1.vcf", ["--genome", "GRCh38", "--sample", "HG00096"], 1),  # record 2
    ("vcf2maf.test.grch37.vcf", ["--genome", "GRCh37"], 2),  # two samples, none chosen
    ("vcf2maf.test_output.vep_isoforms.grch37.maf", [], 0),
    ("maftools.tcga_laml.grch37.maf.gz", ["--sample", "TCGA-AB-2802"], 0),
]
FUSION_FILES = [
    "arriba.test.fusions.grch37.tsv",
    "fusor.star_fusion_test.grch38.tsv",
    "pcgr.T001-BRCA.grch38.fusions.tsv",
]


def run(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capfd.readouterr().err


@pytest.mark.parametrize(
    ("name", "args", "expected"), REAL_FILES, ids=[f"{n}-{e}" for n, _a, e in REAL_FILES]
)
def test_real_file_annotates_or_fails_cleanly(
    name: str, args: list[str], expected: int, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, err = run(
        ["annotate", str(DATA / name), "--tumor-type", "LUAD", "--out-dir", str(out), *args],
        capfd,
    )
    assert code == expected, err
    if expected:
        assert len(err.splitlines()) == 1, err
        assert name in err
        assert "Traceback" not in err
        assert not out.exists()
    else:
        names = {p.name for p in out.iterdir()}
        assert any(n.endswith(".findings.json") for n in names)
        assert any(n.endswith(".report.html") for n in names)
        if not name.endswith((".maf", ".maf.gz")):
            assert any(n.endswith(".annotated.vcf.gz") for n in names), names


@pytest.mark.parametrize("name", FUSION_FILES)
def test_real_fusion_files_read(
    name: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    code, err = run(
        [
            "annotate",
            str(DEMO),
            "--tumor-type",
            "LUAD",
            "--fusions",
            str(DATA / name),
            "--out-json",
            str(out),
        ],
        capfd,
    )
    assert code == 0, err
    data = json.loads(out.read_text())
    # Only fusions with a rule gene partner are kept (ALK, RET, NTRK1 are no rule genes yet).
    known = load_rules().gene_symbols
    assert all(not known.isdisjoint(e["gene"].split("::")) for e in data["events"])


def test_pcgr_pair_gives_the_same_findings_on_both_builds(tmp_path: Path) -> None:
    """The same TCGA colorectal tumor, GRCh37 and GRCh38 (sigven/pcgr examples, MIT)."""
    results: dict[str, dict[str, Any]] = {}
    for build in ("37", "38"):
        out = tmp_path / f"{build}.json"
        vcf = DATA / f"pcgr.T001-COAD.grch{build}.vcf.gz"
        assert main(["annotate", str(vcf), "--tumor-type", "COAD", "--out-json", str(out)]) == 0
        results[build] = json.loads(out.read_text())
    assert results["37"]["genome"] == "GRCh37"
    assert results["38"]["genome"] == "GRCh38"

    def findings(data: dict[str, Any]) -> list[tuple[str, str, float]]:
        return [(f["rule_id"], f["alteration"], f["vaf"]) for f in data["findings"]]

    assert findings(results["37"]) == findings(results["38"])
    assert ("BRAF-V600E-CRC-ENCORAFENIBCETUXIMAB-S", "V600E", 0.3148) in findings(results["38"])
    assert results["37"]["therapy_calls"] == results["38"]["therapy_calls"]
    # Unclassified rule-gene variants differ only where the gene table has no GRCh37 span.
    genes = load_rules().genes
    no_grch37 = {g for g, spec in genes.items() if "GRCh37" not in spec.spans}
    only38 = {u["gene"] for u in results["38"]["unclassified"]} - {
        u["gene"] for u in results["37"]["unclassified"]
    }
    assert only38 <= no_grch37
    # Its TYMS, ERCC1 and BCR indels are counted, not listed: those genes' rules are about
    # expression or a fusion, so no effect of theirs could fire one. Its MAP2K1 deletion
    # (GRCh38 15:66490452 GT>G, 49 bases before exon 11) is an intron variant by the gene
    # table's exons (rules 0.8.0; unclassified before).
    assert {u["gene"] for u in results["38"]["unclassified"]} == {"PTEN"}
    assert results["38"]["summary"]["alleles_in_rule_genes"] == 6


def test_maf_with_transcripts(tmp_path: Path) -> None:
    """vcf2maf's test MAF (mskcc/vcf2maf, Apache-2.0): PIK3CA E545K in breast cancer."""
    out = tmp_path / "out.json"
    maf = DATA / "vcf2maf.test_output.vep_isoforms.grch37.maf"
    assert main(["annotate", str(maf), "--tumor-type", "BRCA", "--out-json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["genome"] == "GRCh37"
    assert data["caller"] == "maf"
    pik3ca = [f for f in data["findings"] if f["gene"] == "PIK3CA"]
    assert {f["alteration"] for f in pik3ca} == {"E545K"}
    assert "PIK3CA-HOTSPOT-ALPELISIB-S" in {f["rule_id"] for f in pik3ca}
    # Its rows failing FILTER (common_variant) are skipped and counted, as a VCF's records.
    rows = [line.split("\t") for line in maf.read_text().splitlines() if line[:1] != "#"]
    at = rows[0].index("FILTER")
    failed = sum(row[at] not in ("PASS", ".", "") for row in rows[1:])
    assert failed == 2
    summary = data["summary"]
    assert (summary["records"], summary["skipped_filtered"]) == (len(rows) - 1, failed)
    assert summary["alleles_annotated"] == len(rows) - 1 - failed


def test_multi_sample_maf_writes_one_set_per_sample(tmp_path: Path) -> None:
    """TCGA LAML (maftools, MIT): one result per sample; FLT3 D835Y fires the TKD rule, and
    each FLT3-ITD the ITD rule: its In_Frame_Ins rows in the older TCGA forms
    (``p.599_600insDFREYEY``, ``p.604_604E>EYDLKWE``), counted here from the text, but those
    whose protein change puts a stop among the new residues (``p.601_602insQRI*I*F``): they
    contradict their class and are listed as unclassified, as are its FLT3 Splice_Site rows,
    which carry no HGVSc."""
    maf = DATA / "maftools.tcga_laml.grch37.maf.gz"
    rule_genes = set(load_rules().genes)
    itd_rows = stop_rows = splice_rows = 0
    in_rule_genes: dict[str, int] = {}
    with gzip.open(maf, "rt") as handle:
        columns = next(handle).rstrip("\n").split("\t")
        gene, kind, change, barcode = (
            columns.index(name)
            for name in (
                "Hugo_Symbol",
                "Variant_Classification",
                "Protein_Change",
                "Tumor_Sample_Barcode",
            )
        )
        for line in handle:
            cells = line.rstrip("\n").split("\t")
            in_rule_genes.setdefault(cells[barcode], 0)
            in_rule_genes[cells[barcode]] += cells[gene] in rule_genes
            if cells[gene] == "FLT3" and cells[kind] == "In_Frame_Ins":
                itd_rows += "*" not in cells[change]
                stop_rows += "*" in cells[change]
            splice_rows += cells[gene] == "FLT3" and cells[kind] == "Splice_Site"
    out = tmp_path / "out"
    assert main(["annotate", str(maf), "--tumor-type", "AML", "--out-dir", str(out)]) == 0
    files = sorted(out.glob("*.findings.json"))
    assert len(files) == 193
    assert len(list(out.glob("*.findings.tsv"))) == 193
    d835 = itds = disagreeing = splice = 0
    for path in files:
        data = json.loads(path.read_text())
        assert path.name == f"{data['sample']}.findings.json"
        # Rows of other genes count as outside the rule genes (TCGA-AB-2988: all 15).
        summary = data["summary"]
        assert summary["alleles_in_rule_genes"] == in_rule_genes[data["sample"]]
        assert (
            summary["alleles_outside_rule_genes"]
            == summary["records"] - in_rule_genes[data["sample"]]
        )
        d835 += any(
            f["alteration"] == "D835Y" and f["rule_id"] == "FLT3-TKD-D835-I836-FLT3I-S"
            for f in data["findings"]
        )
        itds += sum(f["rule_id"] == "FLT3-ITD-FLT3I-S" for f in data["findings"])
        disagreeing += sum(
            u["gene"] == "FLT3" and u["reason"].startswith("Variant_Classification In_Frame_Ins")
            for u in data["unclassified"]
        )
        splice += sum(
            u["gene"] == "FLT3" and u["reason"].startswith("Splice_Site row: no HGVSc")
            for u in data["unclassified"]
        )
    assert d835 == 10
    assert itds == itd_rows == 27
    assert disagreeing == stop_rows == 6
    assert splice == splice_rows == 3  # insertions the file calls Splice_Site, with no HGVSc
    assert in_rule_genes["TCGA-AB-2988"] == 0
    assert (
        0
        < sum(in_rule_genes.values())
        < sum(json.loads(p.read_text())["summary"]["records"] for p in files)
    )


def test_tmb_of_each_sample_of_a_maf(tmp_path: Path) -> None:
    """TCGA LAML: each sample's TMB counts its rows of the coding non-synonymous
    classifications (the file has no FILTER column: every row passes), counted here from the
    text; Splice_Site rows are not counted."""
    maf = DATA / "maftools.tcga_laml.grch37.maf.gz"
    counted = TMB_CLASSIFICATIONS
    expected: dict[str, int] = {}
    splice = 0
    with gzip.open(maf, "rt") as handle:
        header = next(line for line in handle if not line.startswith("#")).rstrip("\n")
        columns = header.split("\t")
        sample_at = columns.index("Tumor_Sample_Barcode")
        class_at = columns.index("Variant_Classification")
        for line in handle:
            cells = line.rstrip("\n").split("\t")
            expected.setdefault(cells[sample_at], 0)
            expected[cells[sample_at]] += cells[class_at] in counted
            splice += cells[class_at] == "Splice_Site"
    assert splice > 0
    out = tmp_path / "out"
    argv = ["annotate", str(maf), "--tumor-type", "AML", "--out-dir", str(out)]
    assert main([*argv, "--panel-size-mb", "38"]) == 0
    found = {}
    for path in out.glob("*.findings.json"):
        data = json.loads(path.read_text())
        tmb = data["biomarkers"]["tmb"]
        found[data["sample"]] = tmb["mutations"]
        assert tmb["per_mb"] == round(tmb["mutations"] / 38, 2)
        assert tmb["definition"].startswith("MAF rows passing FILTER")
    assert found == expected
    assert max(found.values()) > 0


@pytest.mark.parametrize(
    "option", ["--out-json", "--out-tsv", "--out-html", "--out-md", "--out-vcf"]
)
def test_multi_sample_maf_needs_out_dir_or_sample(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], option: str
) -> None:
    """A path for one file would be written once per sample, each over the one before (the
    HTML report of TCGA LAML's last sample was all --out-html left)."""
    maf = DATA / "maftools.tcga_laml.grch37.maf.gz"
    out = tmp_path / "x.vcf"  # a name every option takes
    code, err = run(["annotate", str(maf), "--tumor-type", "AML", option, str(out)], capfd)
    assert code == 2
    assert f"the input has 193 samples, and {option} takes one sample" in err
    assert "--out-dir" in err
    assert not out.exists()
    # Beside --out-dir too: the explicit path wins over the directory's.
    code, err = run(
        ["annotate", str(maf), "--tumor-type", "AML", "--out-dir", str(tmp_path), option, str(out)],
        capfd,
    )
    assert code == 2
    assert not out.exists()


def test_multi_sample_maf_refuses_an_input_of_one_tumor(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    maf = DATA / "maftools.tcga_laml.grch37.maf.gz"
    args = ["annotate", str(maf), "--tumor-type", "AML", "--out-dir", str(tmp_path / "out")]
    code, err = run([*args, "--msi-status", "MSS"], capfd)
    assert code == 2
    assert "the MAF has 193 tumor samples; fusion, copy-number, expression, MSI and BAM" in err
    assert not (tmp_path / "out").exists()


SYNTHETIC_RULES = """
# Test fixture for the synthetic genes of tests/data/csq (not curated knowledge).
genes:
  - symbol: GENE1
    hgnc_id: "HGNC:999999"
    ensembl_transcript: ENST00000000001
    strand: "+"
    sources: [synthetic test gene, tests/data/csq/README.md]
rules:
  - id: GENE1-LOF-TEST-S
    gene: GENE1
    alteration: {gene_class: loss_of_function}
    tumor_types: {include: [ALL]}
    effect: sensitivity
    therapies: [olaparib]
    evidence_level: D
    citations: ["PMID:15829966"]
    examples: [{alteration: GENE1 frameshift, tumor_type: LUAD}]
"""


def test_reference_and_gff_call_consequences_end_to_end(tmp_path: Path) -> None:
    rules = tmp_path / "synthetic.yaml"
    rules.write_text(SYNTHETIC_RULES)
    out = tmp_path / "out.json"
    csq = DATA / "csq"
    code = main(
        [
            "annotate",
            str(csq / "variants.vcf"),
            "--tumor-type",
            "LUAD",
            "--sample",
            "TUMOR",
            "--genome",
            "GRCh38",
            "--reference",
            str(csq / "synthetic.fa"),
            "--gff",
            str(csq / "synthetic.gff3"),
            "--rules",
            str(rules),
            "--out-json",
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    lof = [f for f in data["findings"] if f["rule_id"] == "GENE1-LOF-TEST-S"]
    assert lof, data["findings"]
    assert all(f["match_type"] == "gene_class" for f in lof)
    assert data["input"].endswith("variants.vcf")  # the user's file, not the intermediate


def test_gff_needs_reference(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, err = run(
        [
            "annotate",
            str(DEMO),
            "--tumor-type",
            "LUAD",
            "--gff",
            str(DATA / "csq" / "synthetic.gff3"),
        ],
        capfd,
    )
    assert code == 2
    assert "--gff needs --reference" in err


def test_reference_must_be_indexed(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text((DATA / "csq" / "synthetic.fa").read_text())
    code, err = run(
        ["annotate", str(DEMO), "--tumor-type", "LUAD", "--reference", str(fasta)], capfd
    )
    assert code == 1
    assert "has no index (.fai)" in err
    assert "samtools faidx" in err
    assert list(tmp_path.iterdir()) == [fasta]  # nothing written beside the user's file
