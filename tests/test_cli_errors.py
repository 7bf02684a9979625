"""Bad inputs give one line on stderr naming the file, a non-zero exit, no traceback and no
partial output; usage errors exit 2."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from annotator.cli import main
from tests.golden_cases import TEST_DATA
from tests.vcfgen import vcf_text, write_vcf

DEMO = TEST_DATA / "demo.grch38.vep.vcf.gz"


def run_cli(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capfd.readouterr().err


def assert_one_line_error(stderr: str, *needles: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr  # htslib's own [W::]/[E::] lines are hidden too
    assert lines[0].startswith("resistance-annotator: error: "), stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def truncated_copy(tmp_path: Path) -> Path:
    data = DEMO.read_bytes()
    path = tmp_path / "truncated.vcf.gz"
    path.write_bytes(data[: len(data) // 2])
    return path


def not_a_vcf(tmp_path: Path) -> Path:
    path = tmp_path / "notes.vcf"
    path.write_text("this is a clinical note, not a VCF\n")
    return path


def binary_vcf(tmp_path: Path) -> Path:
    path = tmp_path / "binary.vcf"
    path.write_bytes(bytes(range(256)) * 4)
    return path


def plain_gzip(tmp_path: Path) -> Path:
    """A gzip (not BGZF) file whose content is truncated mid-record."""
    path = tmp_path / "plain.vcf.gz"
    text = gzip.decompress(DEMO.read_bytes())
    path.write_bytes(gzip.compress(text)[:-40])
    return path


@pytest.mark.parametrize(
    ("make_input", "needle"),
    [
        (lambda tmp: tmp / "missing.vcf", "missing.vcf"),
        (truncated_copy, "truncated.vcf.gz"),
        (not_a_vcf, "notes.vcf"),
        (binary_vcf, "binary.vcf"),
        (plain_gzip, "plain.vcf.gz"),
    ],
    ids=["missing", "truncated-bgzf", "not-a-vcf", "binary", "truncated-gzip"],
)
def test_bad_input_files(make_input, needle, tmp_path, capfd) -> None:  # type: ignore[no-untyped-def]
    path = make_input(tmp_path)
    out_dir = tmp_path / "out"
    code, err = run_cli(
        ["annotate", str(path), "--tumor-type", "LUAD", "--out-dir", str(out_dir)], capfd
    )
    assert code == 1
    assert_one_line_error(err, needle)
    assert not out_dir.exists() or not any(out_dir.iterdir()), "partial output left behind"


def test_malformed_record_names_the_record(tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    text = vcf_text(
        [
            "chr7\t55191822\t.\tT\tG\t.\tPASS\t.\tGT:AD\t0/1:50,30",
            "chr7\tnot_a_position\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:50,30",
        ],
        info_lines=(),
    )
    path = write_vcf(tmp_path, text)
    code, err = run_cli(["annotate", str(path), "--tumor-type", "LUAD"], capfd)
    assert code == 1
    assert_one_line_error(err, "input.vcf", "record 2")


def test_unknown_tumor_type_suggests_codes(capfd) -> None:  # type: ignore[no-untyped-def]
    code, err = run_cli(["annotate", str(DEMO), "--tumor-type", "LUADX"], capfd)
    assert code == 1
    assert_one_line_error(err, "unknown OncoTree code 'LUADX'", "LUAD")


def test_several_samples_without_choice_is_a_usage_error(capfd) -> None:  # type: ignore[no-untyped-def]
    vcf = TEST_DATA / "tumor_normal_no_tag.vcf"
    code, err = run_cli(["annotate", str(vcf), "--tumor-type", "LUAD"], capfd)
    assert code == 2
    assert_one_line_error(err, "NORMAL", "TUMOR", "--sample")


def test_unknown_sample_is_a_usage_error(capfd) -> None:  # type: ignore[no-untyped-def]
    code, err = run_cli(["annotate", str(DEMO), "--tumor-type", "LUAD", "--sample", "X"], capfd)
    assert code == 2
    assert_one_line_error(err, "X")


def test_wrong_build_is_an_error(capfd) -> None:  # type: ignore[no-untyped-def]
    code, err = run_cli(
        ["annotate", str(DEMO), "--tumor-type", "LUAD", "--genome", "GRCh37"], capfd
    )
    assert code == 1
    assert_one_line_error(err, "GRCh38", "GRCh37")


def test_click_usage_errors_exit_2(capfd) -> None:  # type: ignore[no-untyped-def]
    code, err = run_cli(["annotate", str(DEMO)], capfd)  # --tumor-type missing
    assert code == 2
    assert "--tumor-type" in err
    code, _err = run_cli(["annotate", str(DEMO), "--tumor-type", "LUAD", "--genome", "hg19"], capfd)
    assert code == 2


def test_debug_shows_the_traceback(tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    code, err = run_cli(
        ["annotate", str(tmp_path / "missing.vcf"), "--tumor-type", "LUAD", "--debug"], capfd
    )
    assert code == 1
    assert "Traceback" in err
    assert err.rstrip().splitlines()[-1].startswith("resistance-annotator: error: ")


def test_invalid_rules_file_lists_every_problem(tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n"
        "  - id: EGFR-BAD-1\n"
        "    gene: EGFR\n"
        "    alteration: {protein_changes: [T790M]}\n"
        "    tumor_types: {include: [NSCLC]}\n"
        "    effect: resistance\n"
        "    therapies: [Gefitinib]\n"
        "    evidence_level: Z\n"
        "    citations: ['PMID:15737014']\n"
    )
    out = tmp_path / "out.json"
    code, err = run_cli(
        [
            "annotate",
            str(DEMO),
            "--tumor-type",
            "LUAD",
            "--rules",
            str(bad),
            "--out-json",
            str(out),
        ],
        capfd,
    )
    assert code == 1
    assert "bad.yaml" in err
    assert "evidence_level" in err
    assert "therapies" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_unwritable_output_is_an_error(tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, err = run_cli(
        ["annotate", str(DEMO), "--tumor-type", "LUAD", "--out-dir", str(blocker / "out")], capfd
    )
    assert code == 1
    assert_one_line_error(err, "cannot write output")


def test_failed_second_output_leaves_neither(tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    out_json = tmp_path / "ok.json"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _err = run_cli(
        [
            "annotate",
            str(DEMO),
            "--tumor-type",
            "LUAD",
            "--out-json",
            str(out_json),
            "--out-tsv",
            str(blocker / "x.tsv"),
        ],
        capfd,
    )
    assert code == 1
    assert not out_json.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_existing_output_is_replaced_only_on_success(tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    out_json = tmp_path / "result.json"
    out_json.write_text("previous run\n")
    bad = shutil.copy(TEST_DATA / "tumor_normal_no_tag.vcf", tmp_path / "two.vcf")
    code, _err = run_cli(
        ["annotate", str(bad), "--tumor-type", "LUAD", "--out-json", str(out_json)], capfd
    )
    assert code == 2
    assert out_json.read_text() == "previous run\n"
