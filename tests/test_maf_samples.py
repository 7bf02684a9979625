"""A MAF as the annotate command reads it: its samples, what each is told, how it is known.

Regression tests of the MAF audit: a MAF with a header and no rows, notes of one sample's rows
given to every sample, cBioPortal's ``data_mutations.txt`` not known as a MAF, a UTF-8
byte-order mark, an empty ``Transcript_ID`` cell and the TMB event's source.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.readers.maf_format import is_maf
from tests.runs import run_json
from tests.test_maf import EGFR_L858R, HEADER, write_maf


def test_tmb_event_of_a_maf_says_maf(tmp_path: Path) -> None:
    """The TMB-high event of a MAF's rows was said to come from a VCF."""
    maf = write_maf(tmp_path, EGFR_L858R)
    data = run_json(maf, "LUAD", panel_size_mb=0.1)  # 1 mutation over 0.1 Mb: 10/Mb
    (tmb,) = [event for event in data["events"] if event["gene"] == "TMB"]
    assert tmb["event"] == "TMB-high"
    assert tmb["source"] == "maf"


#: A BRCA1 Splice_Site row with no HGVSc (a note says it cannot be told donor or acceptor).
BRCA1_SPLICE = EGFR_L858R | {
    "Hugo_Symbol": "BRCA1",
    "Chromosome": "chr17",
    "Start_Position": "43124015",
    "End_Position": "43124015",
    "Variant_Classification": "Splice_Site",
    "Reference_Allele": "C",
    "Tumor_Seq_Allele1": "C",
    "Tumor_Seq_Allele2": "T",
    "Tumor_Sample_Barcode": "TUMOR_B",
    "HGVSp_Short": "",
    "HGVSc": "",
    "Transcript_ID": "ENST00000357654",
    "Exon_Number": "",
}


def annotate_json(maf: Path, out: Path, *options: str) -> dict[str, dict[str, Any]]:
    """Each sample's JSON result of ``annotate MAF --out-dir OUT OPTIONS``, by sample."""
    argv = ["annotate", str(maf), "--tumor-type", "LUAD", "--out-dir", str(out), *options]
    assert main([*argv, "--quiet"]) == 0
    results = [json.loads(path.read_text()) for path in sorted(out.glob("*.findings.json"))]
    return {result["sample"]: result for result in results}


def test_each_sample_is_told_of_its_own_rows_only(tmp_path: Path) -> None:
    """TUMOR_A's notes listed TUMOR_B's BRCA1 Splice_Site row, with --sample TUMOR_A too."""
    maf = write_maf(tmp_path, EGFR_L858R | {"Tumor_Sample_Barcode": "TUMOR_A"}, BRCA1_SPLICE)
    splice_note = f"{maf}, line 4: BRCA1 Splice_Site: no HGVSc"
    both = annotate_json(maf, tmp_path / "both")
    assert set(both) == {"TUMOR_A", "TUMOR_B"}
    assert both["TUMOR_A"]["input_notes"] == []
    assert [note[: len(splice_note)] for note in both["TUMOR_B"]["input_notes"]] == [splice_note]
    alone = annotate_json(maf, tmp_path / "alone", "--sample", "TUMOR_A")
    assert alone["TUMOR_A"]["input_notes"] == []


def test_empty_transcript_id_fires_the_rules_as_without_the_column(tmp_path: Path) -> None:
    """EGFR L858R with an empty Transcript_ID cell fired nothing and was listed as unclassified:
    'annotated only on other transcripts (?)'. As with no Transcript_ID column, it is assumed
    to be on the rules' transcript, and a note says so."""
    row = EGFR_L858R | {"Transcript_ID": "", "Exon_Number": ""}
    data = run_json(write_maf(tmp_path, row), "LUAD")
    assert data["unclassified"] == []
    assert {finding["alteration"] for finding in data["findings"]} == {"L858R"}
    (note,) = data["input_notes"]
    assert note.endswith(
        "line 3: EGFR: Transcript_ID is empty; its protein change is assumed "
        "to be on the rules' (canonical) transcript"
    )


# --------------------------------------------------------------- a MAF with a header only


def run_cli(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capfd.readouterr().err


def test_maf_without_rows_gives_the_named_sample_the_other_inputs_events(
    tmp_path: Path,
) -> None:
    """A patient with no passing mutation: the MAF of his sample has a header and no rows. It
    exited 0 and wrote nothing (the MSI-H event was lost); now the sample --sample names is
    annotated with no mutations, and MSI-H still makes its finding and call."""
    maf = write_maf(tmp_path)
    out = tmp_path / "out"
    argv = ["--genome", "GRCh38", "--msi-status", "MSI-H", "--sample", "P1"]
    results = annotate_json(maf, out, *argv)
    assert sorted(path.name for path in out.iterdir()) == [
        "P1.findings.json",
        "P1.findings.tsv",
        "P1.report.html",
        "P1.report.md",
    ]
    result = results["P1"]
    assert (result["genome"], result["summary"]["records"]) == ("GRCh38", 0)
    assert [event["event"] for event in result["events"]] == ["MSI-H"]
    assert any(finding["gene"] == "MSI" for finding in result["findings"])
    assert "pembrolizumab" in {call["therapy"] for call in result["therapy_calls"]}
    assert result["input_notes"] == [
        f"{maf}: the MAF has no rows (a header only): no mutations for sample 'P1', "
        "named by --sample"
    ]


@pytest.mark.parametrize(
    ("options", "hint"),
    [
        (["--genome", "GRCh38"], "--sample NAME to annotate"),
        ([], "--sample NAME and its genome build with --genome to annotate"),
    ],
)
def test_maf_without_rows_needs_the_sample_named(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], options: list[str], hint: str
) -> None:
    """Without --sample (and without any --out-* option) it crashed: 'internal error:
    IndexError: list index out of range'; with --out-dir it wrote nothing and exited 0."""
    maf = write_maf(tmp_path)
    out = tmp_path / "out"
    for outputs in ([], ["--out-dir", str(out)]):
        code, err = run_cli(
            ["annotate", str(maf), "--tumor-type", "BRCA", *options, *outputs], capfd
        )
        assert code == 2
        (line,) = err.splitlines()
        assert line.startswith(f"resistance-annotator: error: {maf}: the MAF has no rows")
        assert hint in line
        assert "internal error" not in line
        assert not out.exists()


def test_maf_build_message_tells_an_empty_column_from_none(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A header-only MAF said 'the MAF has no NCBI_Build column' although the column is there."""
    argv = ["--tumor-type", "BRCA", "--sample", "S1", "--out-dir", str(tmp_path / "out")]
    cases = [
        (
            write_maf(tmp_path, name="empty.maf"),
            "NCBI_Build column has no value (the file has no rows)",
        ),
        (
            write_maf(tmp_path, EGFR_L858R | {"NCBI_Build": ""}, name="blank.maf"),
            "NCBI_Build column has no value in any row",
        ),
        (
            write_maf(
                tmp_path,
                EGFR_L858R,
                columns=tuple(name for name in HEADER if name != "NCBI_Build"),
                name="none.maf",
            ),
            "the MAF has no NCBI_Build column",
        ),
    ]
    for maf, message in cases:
        code, err = run_cli(["annotate", str(maf), *argv], capfd)
        assert code == 1
        assert f"{maf}: " in err
        assert message in err
        assert "pass --genome GRCh37 or --genome GRCh38" in err


# ------------------------------------------------------------- a MAF known by its content

ROOT = Path(__file__).resolve().parents[1]
VCF_INPUTS = ("luad.grch37.vep.vcf", "luad.grch37.vep.vcf.gz", "luad.grch37.vep.bcf")


def maf_text(tmp_path: Path, *rows: dict[str, str]) -> bytes:
    return write_maf(tmp_path, *rows, name="source.maf").read_bytes()


@pytest.mark.parametrize("name", ["data_mutations.txt", "data_mutations_extended.txt"])
@pytest.mark.parametrize("compressed", [False, True])
def test_cbioportal_mutation_files_are_read_as_mafs(
    tmp_path: Path, name: str, compressed: bool
) -> None:
    """cBioPortal's MAF names were read as VCFs: 'not a VCF or BCF file: it begins with
    '#version ...''. A MAF is known by its header line whatever its name."""
    text = maf_text(tmp_path, EGFR_L858R)
    path = tmp_path / name
    path.write_bytes(gzip.compress(text) if compressed else text)
    data = run_json(path, "LUAD")
    assert (data["sample"], data["caller"]) == ("S1", "maf")
    assert "L858R" in {finding["alteration"] for finding in data["findings"]}


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda text: text, id="with #version"),
        pytest.param(lambda text: text.split(b"\n", 1)[1], id="header first"),
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.split(b"\n", 1)[1], id="BOM"),
        pytest.param(lambda text: b"\n" + text.replace(b"\n", b"\r\n"), id="CRLF"),
        pytest.param(lambda text: gzip.compress(b"\xef\xbb\xbf" + text), id="BOM gzip"),
    ],
)
def test_a_maf_header_is_known_by_its_content(
    tmp_path: Path, content: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "mutations.tsv"
    path.write_bytes(content(maf_text(tmp_path, EGFR_L858R)))
    assert is_maf(path)


@pytest.mark.parametrize("name", VCF_INPUTS)
def test_a_vcf_or_bcf_stays_one_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / "tumor.txt"
    path.write_bytes((ROOT / "test_data" / name).read_bytes())
    assert not is_maf(path)


def test_what_is_no_maf_header(tmp_path: Path) -> None:
    """A header lacking a column the reader needs, a table of another kind, or a path that
    cannot be read here (the VCF reader says why): no MAF. A pipe is not opened (it would
    wait for a writer)."""
    text = maf_text(tmp_path, EGFR_L858R).decode()
    lacking = tmp_path / "lacking.txt"
    lacking.write_text(text.replace("End_Position", "End"))
    other = tmp_path / "genes.txt"
    other.write_text("Hugo_Symbol\tEntrez_Gene_Id\tS1\nEGFR\t1956\t2\n")
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    paths = [lacking, other, pipe, tmp_path / "absent.txt", tmp_path]
    assert [is_maf(path) for path in paths] == [False] * len(paths)
    assert is_maf(tmp_path / "absent.maf")  # by its name: the MAF reader says it is missing
