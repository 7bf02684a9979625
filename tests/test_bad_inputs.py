"""The bad-input corpus: every file of ``tests/data/bad/`` through ``annotate`` in-process.

The files are written by ``tests/data/bad/make_bad.py`` (regenerate with
``.venv/bin/python tests/data/bad/make_bad.py``); each is a small GRCh38 VCF with one EGFR
L858R record, changed in one way, or a rules file with one problem. What the annotator does
with each, and why:

| input (tests/data/bad/) | exit | decision, and why |
| --- | --- | --- |
| `truncated.vcf.gz` | 1 | BGZF end-of-file block missing: records would be lost silently |
| `truncated_gzip.vcf.gz` | 1 | plain gzip whose stream ends early |
| `binary.vcf` | 1 | not a VCF; its first bytes are shown escaped |
| `empty.vcf` | 1 | nothing read is not a clean result |
| `no_chrom_line.vcf` | 1 | line named; no records without the column line |
| `too_few_columns.vcf` | 1 | line and record named |
| `non_numeric_pos.vcf` | 1 | line and record named |
| `invalid_ref.vcf`, `invalid_alt.vcf` | 1 | htslib keeps any text (`C!`, `T?`): not alleles |
| `contig_not_in_header.vcf` | 0 | htslib and bcftools accept it (warning); the build comes |
| | | from the declared contigs and the position is unambiguous |
| `info_type_mismatch.vcf` | 0 | htslib reads `DP=many` (Integer) as missing: an INFO field |
| | | the annotator reads gives an unknown VAF/depth, never a wrong one |
| `format_type_mismatch.vcf` | 1 | htslib refuses the record; field, sample, value named |
| `csq_without_format.vcf` | 1 | CSQ fields cannot be told apart without `Format:` |
| `crlf.vcf` | 0 | htslib strips the CR; VAF and depth are read right |
| `non_utf8_info.vcf` | 0 | Latin-1 byte in a free-text INFO value: read as U+FFFD |
| `huge_info.vcf.gz` | 0 | a 1 MiB INFO value on a TP53 record (no rule gene) is fine |
| `duplicate_samples.vcf` | 1 | which TUMOR column is the tumor would be a guess |
| `unknown_build.vcf` | 1 | `--genome auto`: chr7 length fits neither GRCh37 nor GRCh38 |
| `reads_without_index.bam` | 1 | `--bam`: reads cannot be fetched (checked up front) |
| `rules_syntax_error.yaml` | 1 | line and column, and where the open `[` began |
| `rules_wrong_type.yaml` | 1 | one problem line each, with its line, under a count |
| `rules_unknown_key.yaml` | 1 | (same; suggests the close key) |
| `rules_duplicate_id.yaml` | 1 | (same; names the first one's line) |
| `rules_missing_citation.yaml` | 1 | (same) |
| `rules_control_character.yaml` | 1 | form feed in a note: line and column |
| `rules_not_utf8.yaml` | 1 | Latin-1 byte in a note: line |
| `sites_only.vcf`, `alt_dot.vcf` | 0 | valid VCF: no samples; ALT `.` |
| `symbolic_alleles.vcf` | 0 | valid: `<DEL>`, `<*>`, breakends, `*`, lower case |
| `mixed_ploidy.vcf` | 0 | valid: haploid chrX GT beside diploid |

Usage errors (exit 2) are in ``tests/test_cli_errors.py``; every error here is a bad file.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from annotator.cli import main
from annotator.errors import InputError, RulesError, one_line
from annotator.readers.vcf import VcfReader
from annotator.rules import load_rules

BAD = Path(__file__).parent / "data" / "bad"
L858R_RULE = "EGFR-L858R-EGFRTKI-S"
PROG = "resistance-annotator"


def load_make_bad() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_bad", BAD / "make_bad.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Refused:
    """A bad input: ``file`` given as the VCF, or with ``option`` beside ``vcf``."""

    file: str
    needles: tuple[str, ...]
    option: str | None = None
    vcf: str = "sites_only.vcf"


REFUSED = [
    Refused("truncated.vcf.gz", ("BGZF end-of-file block is missing",)),
    Refused("truncated_gzip.vcf.gz", ("gzip data is truncated or corrupt",)),
    Refused("binary.vcf", ("not a VCF or BCF file", r"'\x00\x01\x02")),
    Refused("empty.vcf", ("the file is empty",)),
    Refused("no_chrom_line.vcf", ("line 16:", "no '#CHROM POS ID REF ALT QUAL FILTER INFO' line")),
    Refused("too_few_columns.vcf", ("line 18, record 2:", "4 tab-separated columns")),
    Refused("non_numeric_pos.vcf", ("line 18, record 2:", "POS '55l91900' is not a number")),
    Refused("invalid_ref.vcf", ("line 18, record 2:", "REF 'C!' is not a valid allele")),
    Refused("invalid_alt.vcf", ("line 18, record 2:", "ALT 'T?' is not a valid allele")),
    Refused(
        "format_type_mismatch.vcf",
        ("line 17, record 1:", "FORMAT/DP of sample TUMOR is 'lots', not an Integer"),
    ),
    Refused("csq_without_format.vcf", ("INFO/CSQ header has no 'Format:'",)),
    Refused("duplicate_samples.vcf", ("line 17:", "sample name 'TUMOR' appears twice")),
    Refused("unknown_build.vcf", ("cannot tell the genome build", "chr7", "--genome GRCh38")),
    Refused(
        "reads_without_index.bam",
        ("no index", "samtools index"),
        option="--bam",
        vcf="egfr_t790m_c797s_unphased.vcf",
    ),
    # Checked up front too, when no pair needs reads.
    Refused("reads_without_index.bam", ("no index",), option="--bam", vcf="mixed_ploidy.vcf"),
]

RULES_REFUSED = {
    "rules_syntax_error.yaml": (
        "line 6, column 16: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence that begins at line 5, column 24)"
    ),
    "rules_wrong_type.yaml": "line 9: rule EGFR-L858R-TEST-S: therapies: expected a list",
    "rules_unknown_key.yaml": "line 8: rule EGFR-L858R-TEST-S: efect_typo: unknown key; "
    "did you mean effect?",
    "rules_duplicate_id.yaml": "line 14: rule EGFR-L858R-TEST-S: id: duplicate rule id, first at",
    "rules_missing_citation.yaml": "line 2: rule EGFR-L858R-TEST-S: citations: required but "
    "missing",
    "rules_control_character.yaml": "line 12, column 14: YAML syntax error: character U+000C is "
    "not allowed",
    "rules_not_utf8.yaml": "line 12: not UTF-8 text",
}


@dataclass(frozen=True)
class Accepted:
    """A valid but unusual VCF: annotates, with the L858R finding's VAF and depth."""

    file: str
    records: int
    vaf: float | None = 0.4102
    depth: int | None = 412


ACCEPTED = [
    Accepted("contig_not_in_header.vcf", records=2),
    Accepted("info_type_mismatch.vcf", records=1),
    Accepted("crlf.vcf", records=1),
    Accepted("non_utf8_info.vcf", records=1),
    Accepted("huge_info.vcf.gz", records=2),
    Accepted("sites_only.vcf", records=1, vaf=None, depth=None),
    Accepted("alt_dot.vcf", records=2),
    Accepted("symbolic_alleles.vcf", records=6),
    Accepted("mixed_ploidy.vcf", records=2),
]


def annotate(
    argv: list[str], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    code = main(["annotate", *argv, "--tumor-type", "LUAD", "--out-dir", str(out)])
    return code, capfd.readouterr().err, out


def assert_no_output(out: Path) -> None:
    assert not out.exists() or not any(out.iterdir()), "output left behind"


@pytest.mark.parametrize(
    "case",
    REFUSED,
    ids=[case.file if case.option is None else f"{case.file}-{case.vcf}" for case in REFUSED],
)
def test_refused(case: Refused, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = BAD / case.file
    argv = [str(path)] if case.option is None else [str(BAD / case.vcf), case.option, str(path)]
    code, err, out = annotate(argv, tmp_path, capfd)
    assert code == 1, err
    lines = err.splitlines()
    assert len(lines) == 1, err  # htslib's own lines are hidden, and there is no traceback
    assert lines[0].startswith(f"{PROG}: error: {path}"), lines[0]
    assert lines[0].isprintable(), lines[0]
    for needle in case.needles:
        assert needle in lines[0], lines[0]
    assert_no_output(out)


@pytest.mark.parametrize("name", sorted(RULES_REFUSED))
def test_rules_refused(name: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = BAD / name
    code, err, out = annotate([str(BAD / "sites_only.vcf"), "--rules", str(path)], tmp_path, capfd)
    assert code == 1, err
    # Every rules problem is reported in one pass: a count, then one line per problem.
    lines = err.splitlines()
    assert lines[0] == f"{PROG}: error: found 1 problem in the rules", err
    assert len(lines) == 2, err
    assert lines[1].startswith(f"  {path}: {RULES_REFUSED[name]}"), err
    assert "Traceback" not in err
    assert_no_output(out)


def test_rules_corpus_differs_from_a_valid_file_only_in_its_problem(
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert main(["rules", "validate", str(BAD / "rules_valid.yaml")]) == 0
    assert capfd.readouterr().out.startswith("ok: ")


@pytest.mark.parametrize("case", ACCEPTED, ids=[case.file for case in ACCEPTED])
def test_accepted(case: Accepted, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, err, out = annotate([str(BAD / case.file)], tmp_path, capfd)
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 1, err  # the summary; htslib's warnings stay hidden
    assert lines[0].startswith(f"{PROG}: sample ")
    (result_path,) = out.glob("*.findings.json")
    result = json.loads(result_path.read_text())
    assert result["summary"]["records"] == case.records
    (finding,) = (f for f in result["findings"] if f["rule_id"] == L858R_RULE)
    assert (finding["vaf"], finding["depth"]) == (case.vaf, case.depth)
    assert finding["variant"] == {"chrom": "chr7", "pos": 55191822, "ref": "T", "alt": "G"}


def test_huge_info_value_is_a_mebibyte() -> None:
    make_bad = load_make_bad()
    text = gzip.decompress((BAD / "huge_info.vcf.gz").read_bytes()).decode()
    (record,) = (line for line in text.splitlines() if line.startswith("chr17\t"))
    assert len(record.split("\t")[7]) > make_bad.HUGE


# --- regressions, one per bug ---------------------------------------------------------------


def test_bug_control_bytes_of_a_binary_file_reached_the_terminal(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # 'not a VCF' showed the file's first bytes raw: NUL, BEL and backspace went to stderr.
    assert main(["annotate", str(BAD / "binary.vcf"), "--tumor-type", "LUAD"]) == 1
    err = capfd.readouterr().err
    assert r"\x00\x01\x02\x03\x04\x05\x06\x07\x08" in err
    assert err.rstrip("\n").isprintable()
    assert one_line("a\x00b\u200bc\td\ne") == r"a\x00b\u200bc d e"


@pytest.mark.parametrize(
    ("ref", "alt", "message"),
    [
        ("T!", "G", "REF 'T!' is not a valid allele"),
        ("T", "G?", "ALT 'G?' is not a valid allele"),
        ("T", "G,<DEL", "ALT '<DEL' is not a valid allele"),
        ("TX", "T", "REF 'TX' is not a valid allele"),
    ],
)
def test_bug_ref_and_alt_with_invalid_characters_were_read_as_alleles(
    ref: str, alt: str, message: str, tmp_path: Path
) -> None:
    # htslib keeps any text in REF and ALT; REF 'T!' gave an EGFR L858R finding from its CSQ.
    text = (BAD / "mixed_ploidy.vcf").read_text().replace("\tT\tG\t", f"\t{ref}\t{alt}\t")
    path = tmp_path / "alleles.vcf"
    path.write_text(text)
    with VcfReader(path) as reader, pytest.raises(InputError) as caught:
        list(reader)
    assert str(caught.value).startswith(f"{path}, line 17, record 1: {message}")


@pytest.mark.parametrize(
    ("ref", "alts"),
    [
        ("t", "g"),
        ("TG", "T,*"),
        ("C", "<DUP:TANDEM>"),
        ("C", "<*>"),
        ("G", "G]chr17:7000000]"),
        ("G", "[HLA-A*01:01:01:01:100[G"),
        ("G", ".G"),
        ("G", "G."),
        ("R", "G"),  # IUPAC code in REF: some references hold them
    ],
)
def test_valid_unusual_alleles_are_read(ref: str, alts: str, tmp_path: Path) -> None:
    text = (BAD / "mixed_ploidy.vcf").read_text().replace("\tT\tG\t", f"\t{ref}\t{alts}\t")
    path = tmp_path / "alleles.vcf"
    path.write_text(text)
    with VcfReader(path) as reader:
        variants = list(reader)
    assert [v.alt for v in variants if v.record_index == 1] == alts.split(",")


def test_bug_control_character_in_a_rules_file_was_an_internal_error(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # PyYAML's ReaderError escaped from the loader: 'internal error: ReaderError: ...'.
    path = BAD / "rules_control_character.yaml"
    assert main(["rules", "validate", "--no-bundled-rules", str(path)]) == 1
    err = capfd.readouterr().err
    assert "internal error" not in err
    assert f"{path}: line 12, column 14: YAML syntax error" in err
    with pytest.raises(RulesError, match="1 problem"):
        load_rules([path], bundled=False)


# --- the corpus is what make_bad.py writes ---------------------------------------------------


def _inflated(data: bytes) -> bytes:
    return gzip.decompress(data)


def test_corpus_is_what_make_bad_writes() -> None:
    corpus = load_make_bad().build_corpus()
    on_disk = {p.name for p in BAD.iterdir() if p.name != "make_bad.py" and p.is_file()}
    assert on_disk == set(corpus), "regenerate with: .venv/bin/python tests/data/bad/make_bad.py"
    for name, content in corpus.items():
        stored = (BAD / name).read_bytes()
        if name.startswith("truncated"):
            # Cut compressed streams: the deflate bytes depend on the zlib build.
            continue
        if name.endswith((".gz", ".bam")):
            # Complete compressed files: the same content, whatever zlib compressed it.
            assert _inflated(stored) == _inflated(content), name
        else:
            assert stored == content, name
    with pytest.raises((EOFError, zlib.error, gzip.BadGzipFile)):
        _inflated((BAD / "truncated_gzip.vcf.gz").read_bytes())


@pytest.mark.parametrize("name", ["in.vcf", "in.maf"])
def test_a_pipe_is_refused_before_it_is_read(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], name: str
) -> None:
    """The input is read more than once (its header, the scan, the candidates): a FIFO (or
    /dev/stdin) is refused by name, before anything opens it, which would wait for a writer.
    A MAF too (opening it waited for a writer)."""
    fifo = tmp_path / name
    os.mkfifo(fifo)
    code, err, out = annotate([str(fifo)], tmp_path, capfd)
    assert code == 1, err
    (line,) = err.splitlines()
    assert line.startswith(f"{PROG}: error: {fifo}: is a pipe or a device, not a file"), line
    assert "write it to a file first" in line
    assert_no_output(out)


@pytest.mark.parametrize(
    ("tail", "line"),
    [("\n\nchr7\t55191822\t.\tT\tG\t.\tPASS\t.\tGT\t0/1\n", 7), ("\n\n", 7)],
)
def test_two_empty_lines_in_a_row_are_named(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], tail: str, line: int
) -> None:
    """htslib reads across one empty line between records but fails at a second: the message
    says so, with the line, rather than suggesting a corrupt file."""
    header = "##fileformat=VCFv4.2\n##contig=<ID=chr7,length=159345973>\n"
    columns = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\n"
    first = "chr7\t55181378\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\n"
    vcf = tmp_path / "blank.vcf"
    vcf.write_text(
        header.replace(
            "##contig", '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n##contig'
        )
        + columns
        + first
        + tail,
        encoding="utf-8",
    )
    code, err, out = annotate([str(vcf)], tmp_path, capfd)
    assert code == 1, err
    (message,) = err.splitlines()
    assert f"blank.vcf, line {line}, record 2: " in message  # the second empty line
    assert "a second empty line in a row" in message
    assert_no_output(out)
