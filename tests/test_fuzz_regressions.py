"""Regressions found by fuzzing the command line with broken inputs, one test per bug.

Each input was a valid test file changed in one way (cut, bytes flipped, recompressed, a
column dropped, ...); the rule for all of them: one line naming the file and a non-zero exit,
no traceback and no partial output, or a correct result.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pysam
import pytest
from pysam import libcutils

from annotator.cli import main
from annotator.csq_calling import call_consequences
from annotator.errors import InputError
from tests.runs import run_json

PROG = "resistance-annotator"
TEST_DATA = Path(__file__).parent.parent / "test_data"
BCF = TEST_DATA / "luad.grch37.vep.bcf"


def bgzf(path: Path, data: bytes) -> Path:
    handle = pysam.BGZFile(str(path), "wb")
    handle.write(data)
    handle.close()
    return path


def test_bug_rules_nested_a_thousand_deep_were_an_internal_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # PyYAML's composer recursed once per level: 'internal error: RecursionError: ...'.
    depth = 1000
    path = tmp_path / "deep.yaml"
    path.write_text("rules:\n  - " + "{a: " * depth + "1" + "}" * depth + "\n", encoding="utf-8")
    assert main(["rules", "validate", "--no-bundled-rules", str(path)]) == 1
    err = capfd.readouterr().err
    assert err.splitlines() == [
        f"{PROG}: error: found 1 problem in the rules",
        f"  {path}: lists or mappings nested too deeply to read",
    ]


def test_bug_bcf_compressed_with_plain_gzip_was_an_internal_error_with_out_vcf(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # cyvcf2 reads it, but pysam, which gives the annotated VCF its text, cannot seek in it:
    # 'internal error: NotImplementedError: seek not implemented in files compressed by
    # method 1'.
    path = tmp_path / "plain_gzip.bcf"
    path.write_bytes(gzip.compress(gzip.decompress(BCF.read_bytes())))
    out = tmp_path / "out.vcf"
    code = main(["annotate", str(path), "--tumor-type", "LUAD", "--out-vcf", str(out)])
    (line,) = capfd.readouterr().err.splitlines()
    assert code == 1, line
    assert line == (
        f"{PROG}: error: {path}: cannot read the BCF: it is compressed with gzip, not BGZF "
        "(recompress it with 'bcftools view -Ob')"
    )
    assert list(tmp_path.iterdir()) == [path]


def test_bug_bcf_with_a_latin1_byte_was_an_internal_error_with_out_vcf(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # pysam decodes the header strictly: 'internal error: UnicodeDecodeError: 'utf-8' codec
    # can't decode byte 0xee'. The annotated VCF keeps the byte, as from a VCF input.
    text = gzip.decompress(BCF.read_bytes())
    assert text.count(b"references/GRCh37/") == 1
    path = bgzf(tmp_path / "latin1.bcf", text.replace(b"/GRCh37/", b"/GR\xeeh37/"))
    out = tmp_path / "out.vcf"
    code = main(["annotate", str(path), "--tumor-type", "LUAD", "--out-vcf", str(out)])
    err = capfd.readouterr().err
    assert code == 0, err
    assert b"references/GR\xeeh37/" in out.read_bytes()
    assert libcutils.get_encoding_error_handler() == "strict"  # pysam's default, restored


@pytest.mark.parametrize("dropped", [2, 3, 4, 5, 6], ids=["ID", "REF", "ALT", "QUAL", "FILTER"])
def test_bug_prefilter_dropped_a_rule_gene_record_missing_a_column(
    dropped: int, tmp_path: Path
) -> None:
    # On an input of 1 MB or more (the text prefilter), BRAF V600E with one of its first seven
    # columns missing read INFO as its FILTER, failed it and was only counted: exit 0 and no
    # BRAF finding, where a full pass reports the record.
    lines = (TEST_DATA / "crc.grch38.bcsq.vcf").read_text(encoding="utf-8").splitlines(True)
    (index,) = (i for i, line in enumerate(lines) if line.startswith("chr7\t140753336\t"))
    columns = lines[index].split("\t")
    del columns[dropped]
    lines[index] = "\t".join(columns)
    path = tmp_path / "dropped.vcf"
    path.write_text("".join(lines), encoding="utf-8")
    expected = f"{path}, line {index + 1}, record 2: cannot read the record: 9 columns, but"
    for prefilter in (False, True):
        with pytest.raises(InputError) as caught:
            run_json(path, "COAD", prefilter=prefilter)
        assert str(caught.value).startswith(expected), (prefilter, str(caught.value))


@pytest.mark.parametrize(
    ("option", "text", "what"),
    [
        ("--cnv", "gene\tcopy_number\nBR\0\0CA2\t0\nERBB2\t12\n", "copy-number"),
        ("--expression", "gene\tzscore\nERC\0C1\t2.5\n", "expression"),
        (
            "--msi-file",
            "Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n640\t75\t1\0\n",
            "MSIsensor",
        ),
        (
            "--fusions",
            "FusionGene\tLeftBreakpoint\tRightBreakpoint\tSplitReads\n"
            "BCR--ABL1\t22:23240712\t9:130713881\t5\0\n",
            "fusion",
        ),
    ],
    ids=["cnv", "expression", "msi", "fusions"],
)
def test_bug_nul_bytes_in_a_table_were_read_as_text(
    option: str, text: str, what: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # A deep deletion of 'BR\0\0CA2' (a damaged copy) was no rule gene: exit 0, no event.
    path = tmp_path / "table.tsv"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out.json"
    vcf = TEST_DATA / "luad.grch38.snpeff.vcf"
    code = main(
        ["annotate", str(vcf), "--tumor-type", "LUAD", option, str(path), "--out-json", str(out)]
    )
    (line,) = capfd.readouterr().err.splitlines()
    assert code == 1, line
    assert line == (
        f"{PROG}: error: {path}, line 2: {what} file holds a NUL "
        "byte, which no text table does (is it a binary file, or a damaged copy?)"
    )
    assert not out.exists()


def test_bug_vcf_cut_short_inside_its_last_record_was_read_to_exit_0(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # htslib reads a last line 'chr... PASS . GT:' (no newline, sample columns cut off) as a
    # record without samples: the run gave a full result for a file cut short.
    data = (TEST_DATA / "luad.grch37.vep.vcf").read_bytes()
    path = tmp_path / "cut.vcf"
    path.write_bytes(data[: data.rindex(b"\tGT:") + 4])
    out = tmp_path / "out.json"
    code = main(["annotate", str(path), "--tumor-type", "LUAD", "--out-json", str(out)])
    (line,) = capfd.readouterr().err.splitlines()
    assert code == 1, line
    assert line == (
        f"{PROG}: error: {path}: the file ends inside a record: its last line has no newline "
        "and 9 of the 11 columns the #CHROM line names (is the file cut short? copy or write "
        "it again)"
    )
    assert not out.exists()
    # A last line without a newline is no error by itself, however long it is.
    path.write_bytes(data.rstrip(b"\n"))
    assert main(["annotate", str(path), "--tumor-type", "LUAD", "--out-json", str(out)]) == 0
    records = data.rstrip(b"\n").split(b"\n")
    last = records[-1].split(b"\t")
    last[7] = b"LONG=" + b"x" * 200_000
    path.write_bytes(b"\n".join([*records[:-1], b"\t".join(last)]))
    assert main(["annotate", str(path), "--tumor-type", "LUAD", "--out-json", str(out)]) == 0


def test_bug_a_rules_file_linked_to_a_moved_file_was_left_out_silently(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # Only regular files were listed: a link whose target moved (or a directory named
    # x.yaml) was skipped, and the run went on without those rules, exit 0.
    rules = tmp_path / "rules"
    rules.mkdir()
    valid = Path(__file__).parent / "data" / "bad" / "rules_valid.yaml"
    (rules / "valid.yaml").write_bytes(valid.read_bytes())
    (rules / "moved.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    assert main(["rules", "validate", str(rules)]) == 1
    assert capfd.readouterr().err.splitlines() == [
        f"{PROG}: error: found 1 problem in the rules",
        f"  {rules / 'moved.yaml'}: cannot read: No such file or directory",
    ]


def test_bug_a_cell_of_a_mebibyte_was_quoted_whole_in_the_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # 'copy_number 'AAAA...' is not a number' was one line of a MiB on the terminal.
    path = tmp_path / "cn.tsv"
    path.write_text("gene\tcopy_number\nERBB2\t" + "A" * (1 << 20) + "\n", encoding="utf-8")
    vcf = TEST_DATA / "luad.grch38.snpeff.vcf"
    assert main(["annotate", str(vcf), "--tumor-type", "LUAD", "--cnv", str(path)]) == 1
    (line,) = capfd.readouterr().err.splitlines()
    assert len(line) < 1200, len(line)
    assert line.startswith(f"{PROG}: error: {path}, line 2: copy_number 'AAAA"), line
    assert line.endswith("...[1047690 characters]..." + "A" * 233 + "' is not a number"), line


@pytest.mark.parametrize("dropped", ["##contig", "##FORMAT"])
def test_bug_csq_calling_a_vcf_without_contig_or_format_lines_was_an_internal_error(
    dropped: str, tmp_path: Path
) -> None:
    # bcftools norm writes records naming an undeclared contig or FORMAT field into a BCF
    # that bcftools csq cannot read; reading it back to name its chromosomes raised
    # 'internal error: OSError: unable to parse next record'.
    csq = Path(__file__).parent / "data" / "csq"
    lines = (csq / "variants.vcf").read_text(encoding="utf-8").splitlines(keepends=True)
    vcf = tmp_path / "variants.vcf"
    vcf.write_text("".join(line for line in lines if not line.startswith(dropped)))
    with pytest.raises(InputError) as caught:
        call_consequences(vcf, csq / "synthetic.fa", csq / "synthetic.gff3", tmp_path / "work")
    message = str(caught.value)
    assert message.startswith(f"{vcf}: bcftools csq cannot read the records bcftools norm wrote: ")
    assert "does the header declare every contig (##contig) and FORMAT field" in message


def test_bug_nul_bytes_in_a_maf_were_read_as_text(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # 'KR\0AS' named no rule gene: its row was an allele outside the rule genes, exit 0.
    maf = Path(__file__).parent / "data" / "vcf2maf.test_output.vep_isoforms.grch37.maf"
    lines = maf.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("PIK3CA\t"))
    lines[index] = "PIK\0" + lines[index][3:]
    path = tmp_path / "nul.maf"
    path.write_text("".join(lines), encoding="utf-8")
    code = main(["annotate", str(path), "--tumor-type", "LUAD", "--out-dir", str(tmp_path / "out")])
    (line,) = capfd.readouterr().err.splitlines()
    assert code == 1, line
    assert line == (
        f"{PROG}: error: {path}, line {index + 1}: MAF file holds a NUL byte, which no text "
        "table does (is it a binary file, or a damaged copy?)"
    )
    assert not (tmp_path / "out").exists()


def test_bug_a_sample_name_not_utf8_was_an_internal_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # cyvcf2 decodes the sample names strictly: 'internal error: UnicodeDecodeError'.
    data = (TEST_DATA / "tumor_normal_no_tag.vcf").read_bytes()
    path = tmp_path / "latin1.vcf"
    path.write_bytes(data.replace(b"\tNORMAL\t", b"\tN\xffORMAL\t"))
    args = ["annotate", str(path), "--tumor-type", "LUAD", "--sample", "TUMOR"]
    assert main([*args, "--out-json", str(tmp_path / "out.json")]) == 1
    (line,) = capfd.readouterr().err.splitlines()
    assert line == (
        f"{PROG}: error: {path}: a sample name of the #CHROM line is not UTF-8 text (invalid "
        "start byte b'\\xff') (rename the samples with 'bcftools reheader --samples')"
    )
    assert not (tmp_path / "out.json").exists()
