"""The annotated VCF (``annotator.writers.vcf``): every input line kept, tags added, atomic."""

from __future__ import annotations

import dataclasses
import gzip
import random
from pathlib import Path

import cyvcf2
import pysam
import pysam.bcftools
import pytest

import annotator.writers.vcf as vcf_writer
import annotator.writers.vcf_copy as vcf_copy
from annotator import bgzf
from annotator.cli import main
from annotator.config import AnnotateConfig
from annotator.errors import InputError, UsageError
from annotator.models import (
    Effect,
    EvidenceLevel,
    Finding,
    MatchType,
    Result,
    Summary,
    TumorTypeMatch,
    Variant,
)
from annotator.pipeline import run
from annotator.writers.vcf import (
    INFO_TAGS,
    decode_therapies,
    decode_value,
    encode_therapies,
    encode_value,
    write_annotated_vcf,
)
from tests.golden_cases import TEST_DATA
from tests.test_tabix import assert_index_is_htslibs

DATA = Path(__file__).parent / "data"
TAG_IDS = [tag.id for tag in INFO_TAGS]
COMMAND = "resistance-annotator annotate in.vcf --tumor-type LUAD --out-vcf out.vcf"
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


@dataclasses.dataclass(frozen=True)
class Case:
    input: Path
    tumor_type: str
    sample: str | None = None
    genome: str = "auto"
    findings_on_variants: bool = True  # at least one finding with a record to annotate

    @property
    def id(self) -> str:
        return self.input.name


CASES = (
    Case(TEST_DATA / "demo.grch38.vep.vcf.gz", "LUAD"),
    Case(TEST_DATA / "luad.grch37.vep.vcf", "LUAD"),
    Case(TEST_DATA / "luad.grch37.vep.bcf", "LUAD"),
    Case(DATA / "pcgr.T001-COAD.grch38.vcf.gz", "COAD"),
    Case(DATA / "htslib.tabix_vcf_file.vcf", "COAD", "A", "GRCh37", findings_on_variants=False),
    Case(DATA / "vcf2maf.test.grch37.vcf", "COAD", "TUMOR", "GRCh37"),
)


def annotate(case: Case, tmp_path: Path) -> Result:
    config = AnnotateConfig(
        input=case.input,
        tumor_type=case.tumor_type,
        sample=case.sample,
        genome=case.genome,
        out_json=tmp_path / "result.json",
    )
    [result] = run(config)
    return result


def bcftools_view(path: Path) -> list[bytes]:
    """The file as ``bcftools view`` writes it (htslib's VCF text); raises if it cannot."""
    text = pysam.bcftools.view("--no-version", str(path))
    assert isinstance(text, str)
    return text.encode().splitlines(keepends=True)


def input_lines(path: Path) -> list[bytes]:
    """The input as VCF text; a BCF as ``bcftools view`` writes it."""
    if path.suffix == ".bcf":
        return bcftools_view(path)
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as compressed:
            return compressed.readlines()
    return path.read_bytes().splitlines(keepends=True)


def output_lines(path: Path) -> list[bytes]:
    return input_lines(path) if path.suffix == ".gz" else path.read_bytes().splitlines(True)


def records(lines: list[bytes]) -> list[bytes]:
    return [line for line in lines if not line.startswith(b"#")]


def info_entries(line: bytes) -> dict[str, str]:
    info = line.rstrip(b"\r\n").split(b"\t")[7].decode()
    return dict(entry.split("=", 1) for entry in info.split(";") if entry.startswith("RA_"))


def finding(
    variant: Variant | None,
    rule_id: str = "EGFR-T790M-1GTKI-R",
    *,
    therapies: tuple[str, ...] = ("gefitinib",),
    alteration: str = "T790M",
) -> Finding:
    return Finding(
        rule_id=rule_id,
        gene="EGFR",
        alteration=alteration,
        hgvsp=None,
        variant=variant,
        effect=Effect.RESISTANCE,
        therapies=therapies,
        evidence_level=EvidenceLevel.A,
        tumor_type_match=TumorTypeMatch.ON_LABEL,
        match_type=MatchType.PROTEIN,
        citations=("PMID:1",),
    )


def result_of(*findings: Finding, **fields: object) -> Result:
    base = Result(
        tool_version="9.9.9",
        rules_version="2.0.0",
        rules_sha256="ab" * 32,
        input="test.vcf",
        sample="TUMOR",
        tumor_type="LUAD",
        genome="GRCh38",
        findings=findings,
        therapy_calls=(),
        unclassified=(),
        summary=Summary(),
    )
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


HEADER = (
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=chr7,length=159345973>\n"
    "##contig=<ID=chr12,length=133275309>\n"
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\n"
)
#: The INFO tags of ``finding()`` alone.
ONE_FINDING = (
    b"RA_ALLELE=1;RA_GENE=EGFR;RA_ALTERATION=T790M;RA_EFFECT=resistance;RA_THERAPIES=gefitinib;"
    b"RA_LEVEL=A;RA_TUMOR_TYPE_MATCH=on_label;RA_RULES=EGFR-T790M-1GTKI-R"
)
SMALL_RECORDS = (
    "chr7\t100\t.\tC\tT\t.\tPASS\tDP=10\tGT\t0/1\n",
    "chr7\t200\trs1\tG\tA,T\t50\tPASS\t.\tGT\t1/2\n",
    "chr12\t300\t.\tA\tG\t.\tq10\tDP=5\tGT\t0/1\n",
)


def small_vcf(tmp_path: Path, records: tuple[str, ...] = SMALL_RECORDS) -> Path:
    path = tmp_path / "small.vcf"
    path.write_text(HEADER + "".join(records))
    return path


def on_record(number: int, chrom: str, pos: int, ref: str, alts: str, alt_index: int) -> Variant:
    alleles = tuple(alts.split(","))
    return Variant(
        chrom=chrom,
        pos=pos,
        ref=ref,
        alt=alleles[alt_index],
        record_index=number,
        alt_index=alt_index,
        alts=alleles,
    )


# --- (1) every record kept, in order, byte for byte except the INFO of matched records ---


@pytest.mark.parametrize("suffix", ["vcf", "vcf.gz"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_every_line_is_kept_and_only_matched_info_changes(
    case: Case, suffix: str, tmp_path: Path
) -> None:
    result = annotate(case, tmp_path)
    output = tmp_path / f"annotated.{suffix}"
    write_annotated_vcf(result, case.input, output, command_line=COMMAND)

    before, after = input_lines(case.input), output_lines(output)
    chrom_line = next(i for i, line in enumerate(before) if line.startswith(b"#CHROM"))
    added = after[chrom_line : chrom_line + len(INFO_TAGS) + 3]
    assert after[:chrom_line] == before[:chrom_line]
    assert [line.split(b",")[0] for line in added[: len(INFO_TAGS)]] == [
        f"##INFO=<ID={tag}".encode() for tag in TAG_IDS
    ]
    assert added[-3:] == [
        f"##resistance-annotator_version={result.tool_version}\n".encode(),
        f"##resistance-annotator_rules=<Version={result.rules_version},"
        f"SHA256={result.rules_sha256}>\n".encode(),
        f"##resistance-annotator_command={COMMAND}\n".encode(),
    ]
    assert after[chrom_line + len(added) :][:1] == before[chrom_line:][:1]  # #CHROM line

    matched = {f.variant.record_index: f for f in result.findings if f.variant is not None}
    assert bool(matched) == case.findings_on_variants
    old_records, new_records = records(before), records(after)
    assert len(new_records) == len(old_records)
    for number, (old, new) in enumerate(zip(old_records, new_records, strict=True), start=1):
        if number not in matched:
            assert new == old, f"record {number} changed"
            continue
        old_columns, new_columns = old.split(b"\t"), new.split(b"\t")
        assert new_columns[:7] == old_columns[:7]
        assert new_columns[8:] == old_columns[8:]
        kept_info = old_columns[7].rstrip(b"\n")
        prefix = b"" if kept_info == b"." else kept_info + b";"
        assert new_columns[7].startswith(prefix + b"RA_ALLELE=")
        tags = info_entries(new)
        tagged = zip(tags["RA_ALLELE"].split(","), tags["RA_RULES"].split(","), strict=True)
        wanted = {
            (str(f.variant.alt_index + 1), f.rule_id)
            for f in result.findings
            if f.variant is not None and f.variant.record_index == number
        }
        assert sorted(tagged) == sorted(wanted)


def test_tags_follow_the_findings(tmp_path: Path) -> None:
    case = CASES[0]
    result = annotate(case, tmp_path)
    output = tmp_path / "annotated.vcf"
    write_annotated_vcf(result, case.input, output, command_line=COMMAND)
    t790m = next(line for line in records(output_lines(output)) if b"\t55181378\t" in line)
    tags = info_entries(t790m)
    assert tags["RA_ALLELE"] == "1,1,1"
    assert tags["RA_GENE"] == "EGFR,EGFR,EGFR"
    assert tags["RA_ALTERATION"] == "T790M,T790M,T790M"
    assert tags["RA_RULES"] == "EGFR-T790M-1GTKI-R,EGFR-T790M-AFATINIB-R,EGFR-T790M-OSIMERTINIB-S"
    assert tags["RA_EFFECT"] == "resistance,resistance,sensitivity"
    assert tags["RA_LEVEL"] == "A,C,A"
    assert tags["RA_TUMOR_TYPE_MATCH"] == "on_label,on_label,on_label"
    regimens = [decode_therapies(value) for value in tags["RA_THERAPIES"].split(",")]
    assert regimens == [("gefitinib", "erlotinib"), ("afatinib",), ("osimertinib",)]


def test_multiallelic_record_tags_each_allele(tmp_path: Path) -> None:
    vcf = small_vcf(tmp_path)
    second = on_record(2, "chr7", 200, "G", "A,T", 1)
    first = on_record(2, "chr7", 200, "G", "A,T", 0)
    result = result_of(finding(second, "R-ON-T"), finding(first, "R-ON-A"))
    output = tmp_path / "out.vcf"
    write_annotated_vcf(result, vcf, output, command_line=COMMAND)
    line = records(output_lines(output))[1]
    assert line.split(b"\t")[7] == (
        b"RA_ALLELE=1,2;RA_GENE=EGFR,EGFR;RA_ALTERATION=T790M,T790M;"
        b"RA_EFFECT=resistance,resistance;RA_THERAPIES=gefitinib,gefitinib;RA_LEVEL=A,A;"
        b"RA_TUMOR_TYPE_MATCH=on_label,on_label;RA_RULES=R-ON-A,R-ON-T"
    )  # INFO was '.'


def test_events_and_filtered_findings_add_no_tags(tmp_path: Path) -> None:
    vcf = small_vcf(tmp_path)
    low_vaf = finding(on_record(1, "chr7", 100, "C", "T", 0))
    result = result_of(
        finding(None, "BCR-ABL1-IMATINIB-S"), filtered_findings=((low_vaf, "VAF below"),)
    )
    output = tmp_path / "out.vcf"
    write_annotated_vcf(result, vcf, output, command_line=COMMAND)
    assert records(output_lines(output)) == records(input_lines(vcf))


def test_line_endings_and_a_missing_final_newline_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "crlf.vcf"
    text = (HEADER + "".join(SMALL_RECORDS)).replace("\n", "\r\n").removesuffix("\r\n")
    path.write_bytes(text.encode())
    last = on_record(3, "chr12", 300, "A", "G", 0)
    output = tmp_path / "out.vcf"
    write_annotated_vcf(result_of(finding(last)), path, output, command_line=COMMAND)
    lines = output_lines(output)
    assert all(line.endswith(b"\r\n") for line in lines[:-1])
    assert lines[-1] == b"chr12\t300\t.\tA\tG\t.\tq10\tDP=5;" + ONE_FINDING + b"\tGT\t0/1"


def test_sites_only_record_keeps_its_line_ending(tmp_path: Path) -> None:
    path = tmp_path / "sites.vcf"
    path.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "7\t100\t.\tC\tT\t.\tPASS\t.\n"
    )
    output = tmp_path / "out.vcf"
    variant = on_record(1, "7", 100, "C", "T", 0)
    write_annotated_vcf(result_of(finding(variant)), path, output, command_line=COMMAND)
    assert output_lines(output)[-1] == b"7\t100\t.\tC\tT\t.\tPASS\t" + ONE_FINDING + b"\n"


def test_annotating_an_annotated_vcf_again_gives_the_same_file(tmp_path: Path) -> None:
    case = CASES[0]
    result = annotate(case, tmp_path)
    first, second = tmp_path / "first.vcf", tmp_path / "second.vcf"
    write_annotated_vcf(result, case.input, first, command_line=COMMAND)
    write_annotated_vcf(result, first, second, command_line=COMMAND)
    assert second.read_bytes() == first.read_bytes()
    # A later run with fewer findings leaves no stale tags behind.
    third = tmp_path / "third.vcf"
    write_annotated_vcf(result_of(), first, third, command_line="again")
    lines = output_lines(third)
    assert not any(b"RA_" in line for line in records(lines))
    assert records(lines) == records(input_lines(case.input))
    text = b"".join(lines)
    assert text.count(b"##INFO=<ID=RA_RULES,") == 1
    assert text.count(b"##resistance-annotator_version=") == 1
    assert b"##resistance-annotator_command=again\n" in text


# --- (2) the output parses with cyvcf2, pysam and bcftools; the header declares each tag ---


@pytest.mark.parametrize("suffix", ["vcf", "vcf.gz"])
@pytest.mark.parametrize("case", CASES[:4], ids=lambda case: case.id)
def test_output_parses_with_htslib_readers(case: Case, suffix: str, tmp_path: Path) -> None:
    result = annotate(case, tmp_path)
    output = tmp_path / f"annotated.{suffix}"
    write_annotated_vcf(result, case.input, output, command_line=COMMAND)

    with pysam.VariantFile(str(output)) as variants:
        declared = variants.header.info
        for tag in INFO_TAGS:
            assert declared[tag.id].number == "."
            assert declared[tag.id].type == tag.type
        annotated = {
            (record.chrom, record.pos): record.info["RA_RULES"]
            for record in variants
            if "RA_RULES" in record.info
        }
    expected = {(f.variant.chrom, f.variant.pos) for f in result.findings if f.variant is not None}
    assert set(annotated) == expected

    reader = cyvcf2.VCF(str(output))
    try:
        for tag_id in TAG_IDS:
            assert reader.get_header_type(tag_id)["Number"] == "."
        seen = {(v.CHROM, v.POS) for v in reader if v.INFO.get("RA_RULES") is not None}
    finally:
        reader.close()
    assert seen == expected

    assert len(records(bcftools_view(output))) == len(records(input_lines(case.input)))


# --- (3) .gz output: BGZF with a working tabix index ---


def test_compressed_output_is_bgzf_with_a_tabix_index(tmp_path: Path) -> None:
    case = CASES[3]  # PCGR, 3313 records
    result = annotate(case, tmp_path)
    output = tmp_path / "annotated.vcf.gz"
    write_annotated_vcf(result, case.input, output, command_line=COMMAND)
    data = output.read_bytes()
    assert data[:4] == b"\x1f\x8b\x08\x04"
    assert data[12:14] == b"BC"
    assert data.endswith(BGZF_EOF)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "annotated.vcf.gz",
        "annotated.vcf.gz.tbi",
        "result.json",
    ]
    braf = next(f.variant for f in result.findings if f.variant is not None)
    tabix = pysam.TabixFile(str(output))
    try:
        lines = list(tabix.fetch(braf.chrom, braf.pos - 1, braf.pos))
    finally:
        tabix.close()
    assert len(lines) == 1
    assert "RA_RULES=" in lines[0]
    with pysam.VariantFile(str(output)) as variants:
        assert len(list(variants.fetch(braf.chrom, braf.pos - 1, braf.pos))) == 1


# --- (4) values with special characters round-trip ---


SPECIAL = (
    "a, b; c=d 100% e|f:g",
    "tab\there",
    "line\nbreak\r",
    ".",
    "ümlaut + x",
    "%2C",
)


@pytest.mark.parametrize("text", SPECIAL)
def test_encoding_round_trips(text: str) -> None:
    encoded = encode_value(text)
    assert not set(encoded) & set(";=, \t\r\n|:")
    assert encoded != "."
    assert decode_value(encoded) == text


def test_therapies_round_trip() -> None:
    regimens = ("dabrafenib + trametinib", "ado-trastuzumab emtansine", "a|b, c")
    assert encode_therapies(regimens).count("|") == 2
    assert decode_therapies(encode_therapies(regimens)) == regimens
    assert encode_therapies(()) == "."
    assert decode_therapies(".") == ()


@pytest.mark.parametrize("suffix", ["vcf", "vcf.gz"])
def test_special_characters_survive_htslib(suffix: str, tmp_path: Path) -> None:
    vcf = small_vcf(tmp_path)
    variant = on_record(1, "chr7", 100, "C", "T", 0)
    weird = finding(
        variant,
        "RULE;1=x",
        therapies=("drug A, 5% solution", "x + y|z", "n=1;m"),
        alteration="p.(T790M); odd",
    )
    plain = finding(variant, "RULE-2", therapies=())
    output = tmp_path / f"out.{suffix}"
    write_annotated_vcf(result_of(weird, plain), vcf, output, command_line="a\nb")

    reader = cyvcf2.VCF(str(output))
    try:
        record = next(iter(reader))
        rules = str(record.INFO["RA_RULES"]).split(",")
        therapies = str(record.INFO["RA_THERAPIES"]).split(",")
        alterations = str(record.INFO["RA_ALTERATION"]).split(",")
        assert "##resistance-annotator_command=a b" in reader.raw_header
    finally:
        reader.close()
    assert [decode_value(rule) for rule in rules] == ["RULE;1=x", "RULE-2"]
    assert [decode_therapies(value) for value in therapies] == [weird.therapies, ()]
    assert decode_value(alterations[0]) == weird.alteration
    with pysam.VariantFile(str(output)) as variants:
        values = next(iter(variants)).info["RA_RULES"]
    assert [decode_value(value) for value in values] == ["RULE;1=x", "RULE-2"]


def test_unusual_rules_version_is_quoted(tmp_path: Path) -> None:
    vcf = small_vcf(tmp_path)
    output = tmp_path / "out.vcf"
    write_annotated_vcf(result_of(rules_version='1.0, "beta"'), vcf, output, command_line="x")
    with pysam.VariantFile(str(output)) as variants:
        rules = next(r for r in variants.header.records if r.key == "resistance-annotator_rules")
        assert rules["Version"] == '"1.0, \\"beta\\""'


# --- (5) failure leaves nothing behind ---


def only_inputs(directory: Path, *names: str) -> None:
    assert sorted(path.name for path in directory.iterdir()) == sorted(names)


def test_unsorted_input_cannot_be_compressed_and_leaves_nothing(tmp_path: Path) -> None:
    vcf = small_vcf(tmp_path, (SMALL_RECORDS[1], SMALL_RECORDS[0], SMALL_RECORDS[2]))
    with pytest.raises(InputError, match=r"record 2.*not sorted.*position 100 on chr7"):
        write_annotated_vcf(result_of(), vcf, tmp_path / "out.vcf.gz", command_line="x")
    only_inputs(tmp_path, "small.vcf")
    # The plain form needs no order.
    write_annotated_vcf(result_of(), vcf, tmp_path / "out.vcf", command_line="x")


def test_chromosome_blocks_must_be_contiguous(tmp_path: Path) -> None:
    vcf = small_vcf(tmp_path, (SMALL_RECORDS[0], SMALL_RECORDS[2], SMALL_RECORDS[1]))
    with pytest.raises(InputError, match="chromosome chr7 appears again after chr12"):
        write_annotated_vcf(result_of(), vcf, tmp_path / "out.vcf.gz", command_line="x")
    only_inputs(tmp_path, "small.vcf")


@pytest.mark.parametrize("suffix", ["vcf", "vcf.gz"])
def test_findings_of_another_file_leave_the_old_output_untouched(
    suffix: str, tmp_path: Path
) -> None:
    vcf = small_vcf(tmp_path)
    output = tmp_path / f"out.{suffix}"
    output.write_bytes(b"old")
    elsewhere = on_record(2, "chr7", 999, "G", "A,T", 0)
    with pytest.raises(InputError, match="record 2: the findings were read from another record"):
        write_annotated_vcf(result_of(finding(elsewhere)), vcf, output, command_line="x")
    beyond = on_record(9, "chr7", 100, "C", "T", 0)
    with pytest.raises(InputError, match="findings name record 9 but the input has 3 records"):
        write_annotated_vcf(result_of(finding(beyond)), vcf, output, command_line="x")
    assert output.read_bytes() == b"old"
    only_inputs(tmp_path, "small.vcf", output.name)


def test_interruption_while_indexing_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vcf = small_vcf(tmp_path)
    line_by_line(monkeypatch)  # the line-by-line writer indexes with pysam.tabix_index

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pysam, "tabix_index", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_annotated_vcf(result_of(), vcf, tmp_path / "out.vcf.gz", command_line="x")
    only_inputs(tmp_path, "small.vcf")


def test_registered_files_are_left_to_the_caller(tmp_path: Path) -> None:
    vcf = small_vcf(tmp_path)
    output = tmp_path / "out.vcf.gz"
    staged: list[tuple[Path, Path]] = []
    write_annotated_vcf(
        result_of(), vcf, output, command_line="x", register=lambda *pair: staged.append(pair)
    )
    assert [final for _temporary, final in staged] == [output, tmp_path / "out.vcf.gz.tbi"]
    assert all(temporary.parent == tmp_path for temporary, _final in staged)
    assert not output.exists()
    for temporary, final in staged:
        temporary.replace(final)
    with pysam.VariantFile(str(output)) as variants:
        assert len(list(variants.fetch("chr7"))) == 2


def test_registered_files_are_deleted_on_error(tmp_path: Path) -> None:
    vcf = small_vcf(tmp_path, (SMALL_RECORDS[1], SMALL_RECORDS[0]))
    staged: list[tuple[Path, Path]] = []
    with pytest.raises(InputError):
        write_annotated_vcf(
            result_of(),
            vcf,
            tmp_path / "out.vcf.gz",
            command_line="x",
            register=lambda *pair: staged.append(pair),
        )
    assert len(staged) == 1
    only_inputs(tmp_path, "small.vcf")


def test_a_maf_input_gives_no_vcf(tmp_path: Path) -> None:
    maf = DATA / "vcf2maf.test_output.vep_isoforms.grch37.maf"
    with pytest.raises(UsageError, match="only from a VCF or BCF input"):
        write_annotated_vcf(result_of(), maf, tmp_path / "out.vcf", command_line="x")
    only_inputs(tmp_path)


def test_missing_directory_is_created(tmp_path: Path) -> None:
    vcf = small_vcf(tmp_path)
    output = tmp_path / "new" / "dir" / "out.vcf"
    write_annotated_vcf(result_of(), vcf, output, command_line="x")
    assert records(output_lines(output)) == records(input_lines(vcf))


def test_only_our_own_tags_are_replaced(tmp_path: Path) -> None:
    """Another tool's RA_ key stays; our earlier tags are dropped, as a re-run replaces them."""
    path = tmp_path / "again.vcf"
    header = HEADER.replace(
        "#CHROM",
        '##INFO=<ID=RA_OTHER,Number=1,Type=String,Description="not ours">\n'
        + INFO_TAGS[-1].header_line()
        + "\n##resistance-annotator_version=0.0.1\n#CHROM",
    )
    path.write_text(header + "chr7\t100\t.\tC\tT\t.\tPASS\tRA_OTHER=x;RA_RULES=OLD;DP=3\tGT\t0/1\n")
    output = tmp_path / "out.vcf"
    write_annotated_vcf(result_of(), path, output, command_line="x")
    lines = output_lines(output)
    assert lines[-1] == b"chr7\t100\t.\tC\tT\t.\tPASS\tRA_OTHER=x;DP=3\tGT\t0/1\n"
    assert any(line.startswith(b"##INFO=<ID=RA_OTHER,") for line in lines)
    assert b"##resistance-annotator_version=0.0.1\n" not in lines


def test_a_stale_csi_index_is_removed(tmp_path: Path) -> None:
    """htslib reads ``.csi`` before ``.tbi``: an old one would describe another file."""
    vcf = small_vcf(tmp_path)
    output = tmp_path / "out.vcf.gz"
    stale = tmp_path / "out.vcf.gz.csi"
    stale.write_bytes(b"old index")
    write_annotated_vcf(result_of(), vcf, output, command_line="x")
    assert not stale.exists()
    with pysam.VariantFile(str(output)) as variants:
        assert len(list(variants.fetch("chr12"))) == 1


# --- (6) the fast path: whole chunks of text, unchanged BGZF blocks copied ---
#
# The fast path must write exactly what the line-by-line writer writes (it is the reference:
# ``line_by_line`` forces it), and an index equal to the one htslib builds from the output.


def line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise vcf_copy.NotFast

    monkeypatch.setattr(vcf_writer, "write_fast", refuse)


def write_both(
    result: Result,
    source: Path,
    tmp_path: Path,
    suffix: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    fast_path: bool = True,
    **options: object,
) -> tuple[Path, Path, str | None, str | None]:
    """The output of the writer and of the line-by-line writer, with their notes. Unless
    ``fast_path`` is False, the writer must not fall back to the line-by-line one."""
    fast, slow = tmp_path / f"fast.{suffix}", tmp_path / f"slow.{suffix}"
    with monkeypatch.context() as patched:
        if fast_path:

            def unexpected(*_args: object) -> None:
                raise AssertionError("the fast path fell back to the line-by-line writer")

            patched.setattr(vcf_writer._RecordWriter, "write", unexpected)
        fast_note = write_annotated_vcf(result, source, fast, command_line=COMMAND, **options)  # type: ignore[arg-type]
    with monkeypatch.context() as patched:
        line_by_line(patched)
        slow_note = write_annotated_vcf(result, source, slow, command_line=COMMAND, **options)  # type: ignore[arg-type]
    return fast, slow, fast_note, slow_note


def text_of(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


SYNTHETIC_HEADER = (
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=chr7,length=159345973>\n"
    "##contig=<ID=chr12,length=133275309>\n"
    "##contig=<ID=chrX,length=156040895>\n"
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
    '##INFO=<ID=END,Number=1,Type=Integer,Description="End">\n'
    '##INFO=<ID=NOTE,Number=1,Type=String,Description="Padding">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\n"
)
#: INFO/END forms tabix reads in its own way (strtoll base 0, '.' and END before POS ignored).
ODD_ENDS = (
    "END={end}",
    "DP=3;END={end}",
    "XEND=5;END={end}",
    "END=0x{end:x}",
    "END=.",
    "AEND=9",
    "END=0{end:o}",
    "END=+{end}",
    "END=5",
    "DP=1;XEND={end}",
)


def synthetic_lines(records: int, seed: int = 3, *, odd: bool = True) -> list[str]:
    """Sorted records on three chromosomes: ties, gaps of a megabase (empty windows), long
    REFs and INFO/END reaching over 16 kb windows, lines of very different lengths."""
    rng = random.Random(seed)
    lines = []
    for chrom in ("chr7", "chr12", "chrX"):
        pos = rng.randrange(1, 50)
        for _ in range(records // 3):
            pos += rng.choice((0, 1, 7, 150, 3000, 40_000)) if rng.random() > 0.001 else 1_000_000
            ref = "ACGT"[rng.randrange(4)] * (
                1 if rng.random() > 0.01 else rng.randrange(2, 40_000)
            )
            info = [f"DP={rng.randrange(1, 500)}"]
            if odd and rng.random() < 0.02:
                form = rng.choice(ODD_ENDS)
                info = [form.format(end=pos + rng.randrange(1, 300_000))]
            if rng.random() < 0.1:
                info.append("NOTE=" + "x" * rng.randrange(1, 3000))
            alt = "T" if ref[0] != "T" else "G"
            lines.append(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t{';'.join(info)}\tGT\t0/1\n")
    return lines


def write_input(
    path: Path, lines: list[str], *, ending: str = "\n", header: str = SYNTHETIC_HEADER
) -> Path:
    text = (header + "".join(lines)).replace("\n", ending).encode()
    if path.name.endswith(".bgzf.vcf.gz"):
        handle = pysam.BGZFile(str(path), "wb")
        try:
            handle.write(text)
        finally:
            handle.close()
    elif path.suffix == ".gz":
        path.write_bytes(gzip.compress(text))
    else:
        path.write_bytes(text)
    return path


def findings_on(path: Path, numbers: list[int]) -> Result:
    """A result with one finding on each of these records (1-based), read from the file."""
    lines = text_of(path).splitlines()
    header_end = next(i for i, line in enumerate(lines) if line.startswith(b"#CHROM")) + 1
    records = [line for line in lines[header_end:] if line.strip()]
    findings = []
    for number in numbers:
        chrom, pos, _id, ref, alts = records[number - 1].decode().split("\t")[:5]
        findings.append(finding(on_record(number, chrom, int(pos), ref, alts, 0)))
    return result_of(*findings)


def spanning_records(path: Path) -> tuple[list[int], list[int]]:
    """The records whose line crosses a BGZF block boundary of ``path``, and those that lie
    inside one block (by record number)."""
    bounds, at = set(), 0
    for block in bgzf.blocks(path):
        at += len(block.data)
        bounds.add(at)
    text = text_of(path)
    crossing, inside, number, start = [], [], 0, 0
    for line in text.splitlines(keepends=True):
        end = start + len(line)
        if not line.startswith(b"#") and line.strip():
            number += 1
            (crossing if any(start < b < end for b in bounds) else inside).append(number)
        start = end
    return crossing, inside


@pytest.mark.parametrize("batch", [None, 1, 70_000])  # text looked at together (None: 4 MiB)
@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("suffix", ["vcf.gz", "vcf"])
def test_multi_block_bgzf_input_gives_the_line_by_line_output(
    batch: int | None,
    ending: str,
    suffix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if batch is not None:
        monkeypatch.setattr(vcf_copy, "_BATCH_TEXT", batch)
    source = write_input(tmp_path / "in.bgzf.vcf.gz", synthetic_lines(6000), ending=ending)
    crossing, inside = spanning_records(source)
    total = len(crossing) + len(inside)
    assert len(crossing) >= 5
    # The first record, one inside a middle block, lines crossing a block boundary, the last.
    numbers = sorted({1, inside[len(inside) // 2], crossing[1], crossing[-2], total})
    result = findings_on(source, numbers)
    fast, slow, _notes, _slow_notes = write_both(result, source, tmp_path, suffix, monkeypatch)
    assert text_of(fast) == text_of(slow)
    tagged = [line for line in text_of(fast).splitlines() if b"RA_RULES=" in line]
    assert len(tagged) == len(numbers)
    if suffix == "vcf.gz":
        assert_index_is_htslibs(fast, tmp_path)
        # Blocks no finding and no header line touches are copied as they are.
        output = fast.read_bytes()
        copied = [block for block in bgzf.blocks(source) if block.data and block.raw in output]
        assert len(copied) >= len(list(bgzf.blocks(source))) - 2 - 2 * len(numbers)


@pytest.mark.parametrize("name", ["in.vcf", "in.vcf.gz"])  # plain text, plain gzip (not BGZF)
def test_plain_and_gzip_inputs_give_the_line_by_line_output(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_input(tmp_path / name, synthetic_lines(3000, seed=5))
    result = findings_on(source, [2, 1500, 2999])
    monkeypatch.setattr(vcf_copy, "_BATCH_TEXT", 100_000)
    for suffix in ("vcf.gz", "vcf"):
        fast, slow, _note, _slow = write_both(result, source, tmp_path, suffix, monkeypatch)
        assert text_of(fast) == text_of(slow)
        if suffix == "vcf.gz":
            assert_index_is_htslibs(fast, tmp_path)


def test_every_record_is_found_through_the_index(tmp_path: Path) -> None:
    """Regions read back through our index (pysam's tabix reader and cyvcf2) give what a full
    scan gives, and what the same regions give through htslib's own index."""
    lines = synthetic_lines(3000, seed=11, odd=False)
    source = write_input(tmp_path / "in.bgzf.vcf.gz", lines)
    result = findings_on(source, [10, 1000, 2000])
    output = tmp_path / "out.vcf.gz"
    write_annotated_vcf(result, source, output, command_line=COMMAND)
    with pysam.VariantFile(str(output)) as variants:
        everything = [(r.chrom, r.pos, r.stop, str(r)) for r in variants]
    rng = random.Random(1)
    regions = [(chrom, pos - 1, stop) for chrom, pos, stop, _ in rng.sample(everything, 40)]
    regions += [
        (chrom, start, start + rng.randrange(1, 200_000))
        for chrom, _p, _s, _t in rng.sample(everything, 40)
        for start in [rng.randrange(0, 5_000_000)]
    ]
    tabix = pysam.TabixFile(str(output))
    reader = cyvcf2.VCF(str(output))
    try:
        for chrom, start, end in regions:
            expected = [
                text
                for c, pos, stop, text in everything
                if c == chrom and pos - 1 < end and stop > start
            ]
            fetched = list(tabix.fetch(chrom, start, end))
            assert [line + "\n" for line in fetched] == expected, (chrom, start, end)
            found = [str(v) for v in reader(f"{chrom}:{start + 1}-{end}")]
            assert found == expected
    finally:
        tabix.close()
        reader.close()


@pytest.mark.parametrize("last_newline", [True, False])
def test_edges_of_the_text_give_the_line_by_line_output(
    last_newline: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A last line without newline, an empty INFO; blank lines among and after the records
    (kept in a plain output; left out of a compressed one, which htslib's tabix would refuse
    to index)."""
    lines = synthetic_lines(2400, seed=2)
    columns = lines[5].split("\t")
    lines[5] = "\t".join([*columns[:7], ".", *columns[8:]])
    body = "".join(lines) if last_newline else "".join(lines).rstrip("\n")
    source = write_input(tmp_path / "in.bgzf.vcf.gz", [body])
    result = findings_on(source, [6, 101, 2000, len(lines)])
    fast, slow, _n, _s = write_both(result, source, tmp_path, "vcf.gz", monkeypatch)
    assert text_of(fast) == text_of(slow)
    assert text_of(fast).endswith(b"\n") == last_newline
    assert_index_is_htslibs(fast, tmp_path)

    lines[100] = "\n" + lines[100]
    lines[2000] = "\r\n\n" + lines[2000]
    body = "".join(lines) + "\n\n" if last_newline else "".join(lines).rstrip("\n")
    blank = write_input(tmp_path / "blank.bgzf.vcf.gz", [body])
    fast, slow, _n, _s = write_both(result, blank, tmp_path, "vcf", monkeypatch)
    assert text_of(fast) == text_of(slow)
    assert b"\n\r\n\n" in text_of(fast)
    plain = text_of(fast)
    compressed_dir = tmp_path / "compressed"
    compressed_dir.mkdir()
    # (blank lines send a compressed output to the line-by-line writer: they are rare)
    fast, slow, _n, _s = write_both(
        result, blank, compressed_dir, "vcf.gz", monkeypatch, fast_path=False
    )
    assert text_of(fast) == text_of(slow)
    kept = [line for line in plain.splitlines(keepends=True) if line not in (b"\n", b"\r\n")]
    assert text_of(fast) == b"".join(kept)
    assert_index_is_htslibs(fast, compressed_dir)


def test_a_header_only_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for ending in ("\n", ""):
        directory = tmp_path / f"ending{len(ending)}"
        directory.mkdir()
        source = directory / "in.bgzf.vcf.gz"
        write_input(source, [], header=SYNTHETIC_HEADER.rstrip("\n") + ending)
        fast, slow, _n, _s = write_both(result_of(), source, directory, "vcf.gz", monkeypatch)
        assert text_of(fast) == text_of(slow)
        assert_index_is_htslibs(fast, directory)


def test_annotating_again_on_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_input(tmp_path / "in.bgzf.vcf.gz", synthetic_lines(3000, seed=8))
    first = tmp_path / "first.vcf.gz"
    write_annotated_vcf(findings_on(source, [3, 700, 2500]), source, first, command_line="one")
    fast, slow, _n, _s = write_both(
        findings_on(source, [700, 1200]), first, tmp_path, "vcf.gz", monkeypatch
    )
    assert text_of(fast) == text_of(slow)
    assert text_of(fast).count(b"RA_RULES=") == 2
    assert_index_is_htslibs(fast, tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        ("chr12\t", "#chr12\t"),  # a '#' line among the records
        ("\tPASS\tDP=", "\tPASS|DP="),  # fewer than eight columns
        ("chr12\t", "chr12\t0"),  # POS with a leading zero: Python and tabix read it apart
    ],
    ids=["comment", "columns", "leading-zero"],
)
def test_unusual_records_go_line_by_line(
    change: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = synthetic_lines(1500, seed=4, odd=False)
    at = next(i for i, line in enumerate(lines) if line.startswith("chr12"))
    lines[at] = lines[at].replace(*change)
    source = write_input(tmp_path / "in.bgzf.vcf.gz", lines)
    fast, slow, _n, _s = write_both(
        findings_on(source, [5, 1400]), source, tmp_path, "vcf.gz", monkeypatch, fast_path=False
    )
    assert text_of(fast) == text_of(slow)
    assert Path(f"{fast}.tbi").exists()


# htslib 1.24's tabix (pysam 0.24) ends a record at the largest of END, POS + len(REF) - 1
# and, for symbolic ALTs, SVLEN: the fast path takes the larger of the first two, and leaves
# files with SVLEN to the line-by-line writer (htslib's own index).
@pytest.mark.parametrize(
    "record",
    [
        "chr7\t16300\t.\t" + "A" * 100 + "\tT\t.\tPASS\tEND=16310\tGT\t0/1\n",  # END inside REF
        "chr7\t16300\t.\tA\t<DEL>\t.\tPASS\tSVLEN=-100\tGT\t0/1\n",  # SVLEN without END
    ],
    ids=["end-inside-ref", "svlen"],
)
def test_end_inside_ref_and_svlen_give_htslibs_index(
    record: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = ["chr7\t100\t.\tA\tT\t.\tPASS\tDP=1\tGT\t0/1\n", record]
    source = write_input(tmp_path / "in.bgzf.vcf.gz", lines)
    fast, slow, _n, _s = write_both(
        result_of(), source, tmp_path, "vcf.gz", monkeypatch, fast_path="SVLEN" not in record
    )
    assert_index_is_htslibs(fast, tmp_path)
    assert text_of(fast) == text_of(slow)


def test_unsorted_bgzf_input_names_the_record(tmp_path: Path) -> None:
    lines = synthetic_lines(6000, seed=6, odd=False)
    lines[4000], lines[4001] = lines[4001], lines[4000]
    first, second = (int(line.split("\t")[1]) for line in lines[4000:4002])
    source = write_input(tmp_path / "in.bgzf.vcf.gz", lines)
    output = tmp_path / "out.vcf.gz"
    if first == second:
        pytest.skip("the swapped records share a position")
    with pytest.raises(
        InputError, match=rf"record 4002.*position {second} on chrX follows {first}"
    ):
        write_annotated_vcf(result_of(), source, output, command_line="x")
    only_inputs(tmp_path, "in.bgzf.vcf.gz")
    note = write_annotated_vcf(result_of(), source, output, command_line="x", require_sorted=False)
    assert note is not None
    assert "record 4002" in note
    assert text_of(output).count(b"\n") == SYNTHETIC_HEADER.count("\n") + len(INFO_TAGS) + 3 + 6000
    only_inputs(tmp_path, "in.bgzf.vcf.gz", "out.vcf.gz")


def test_findings_of_another_file_are_found_on_the_fast_path(tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.bgzf.vcf.gz", synthetic_lines(6000, seed=9))
    result = findings_on(source, [10, 5000])
    wrong = dataclasses.replace(
        result.findings[1],
        variant=dataclasses.replace(result.findings[1].variant, pos=1),  # type: ignore[arg-type]
    )
    with pytest.raises(InputError, match="record 5000: the findings were read from another"):
        write_annotated_vcf(
            result_of(result.findings[0], wrong), source, tmp_path / "o.vcf.gz", command_line="x"
        )
    only_inputs(tmp_path, "in.bgzf.vcf.gz")


def test_a_corrupt_bgzf_input_is_an_input_error(tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.bgzf.vcf.gz", synthetic_lines(6000, seed=1))
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0xFF
    source.write_bytes(bytes(data))
    with pytest.raises(InputError, match="cannot read the input"):
        write_annotated_vcf(result_of(), source, tmp_path / "o.vcf.gz", command_line="x")
    only_inputs(tmp_path, "in.bgzf.vcf.gz")


def test_interruption_while_writing_the_index_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vcf = small_vcf(tmp_path)

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bgzf, "write_bgzf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_annotated_vcf(result_of(), vcf, tmp_path / "out.vcf.gz", command_line="x")
    only_inputs(tmp_path, "small.vcf")


def test_a_bcf_without_index_leaves_no_htslib_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """pysam's own htslib (not cyvcf2's) said '[E::idx_find_and_load] Could not retrieve
    index file' on stderr for an unindexed BCF, which a log scanner takes for an error."""
    bcf = TEST_DATA / "luad.grch37.vep.bcf"
    out = tmp_path / "out.vcf.gz"
    code = main(["annotate", str(bcf), "--tumor-type", "LUAD", "--out-vcf", str(out), "--quiet"])
    err = capfd.readouterr().err
    assert code == 0, err
    assert [line for line in err.splitlines() if line.startswith("[")] == []
