"""read_copy_number: CNVkit segments, copy-number VCFs and gene tables into gene-level events."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.errors import InputError, UsageError
from annotator.models import Alteration, VariantClass
from annotator.readers.cnv import CopyNumberThresholds, read_copy_number_calls
from annotator.readers.text import format_region
from annotator.rules.schema import GeneSpec
from tests.golden_cases import TEST_DATA

DATA = Path(__file__).parent / "data"
CNS = DATA / "cnvkit.tr95t.grch37.cns"
CNV_VCF = DATA / "bcftools.annotate.olap.cnv_symbolic.vcf"


def read_copy_number(path: str | Path, **options: Any) -> list[Alteration]:
    """The events of a copy-number file, without its notes."""
    return list(read_copy_number_calls(path, **options).alterations)


DEFAULT = CopyNumberThresholds()


def gene(symbol: str, **spans: tuple[str, int, int]) -> GeneSpec:
    return GeneSpec.model_validate(
        {
            "symbol": symbol,
            "hgnc_id": "HGNC:1",  # not read by the reader
            "ensembl_transcript": "ENST00000000001",
            "strand": "+",
            "spans": {
                build: {"chrom": chrom, "start": start, "end": end}
                for build, (chrom, start, end) in spans.items()
            },
            "sources": ["test"],
        }
    )


def genes(*symbols: str) -> dict[str, GeneSpec]:
    return {symbol: gene(symbol) for symbol in symbols}


def events(alterations: list[Alteration]) -> dict[str, str]:
    """gene -> event, for alterations with one event per gene."""
    assert all(a.variant_class is VariantClass.OTHER and a.variant is None for a in alterations)
    return {a.gene: str(a.event) for a in alterations}


def write(tmp_path: Path, text: str, name: str = "cn.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- thresholds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "copy_number", "expected"),
    [
        # defaults: amplification at 2.5 x ploidy 2 = 5 copies, deep deletion at 0 copies
        ({}, 5, "amplification"),
        ({}, 4.51, "amplification"),  # rounds to 5
        ({}, 4.5, None),  # halves round to even, as numpy in CNVkit: 4
        ({}, 4, None),
        ({}, 3, None),
        ({}, 2, None),
        ({}, 1, None),
        ({}, 0.51, None),  # rounds to 1: one copy left is not a deep deletion
        ({}, 0.5, "deletion"),  # rounds to 0
        ({}, 0.06, "deletion"),
        ({}, 0, "deletion"),
        ({}, 120, "amplification"),
        # PCGR's default --n_copy_gain
        ({"amplification_cn": 6}, 5, None),
        ({"amplification_cn": 6}, 6, "amplification"),
        # the default amplification threshold follows the ploidy
        ({"ploidy": 4}, 9, None),
        ({"ploidy": 4}, 10, "amplification"),
        ({"ploidy": 3}, 7.4, None),
        ({"ploidy": 3}, 7.5, "amplification"),  # rounds to 8 >= 7.5
        ({"deletion_cn": 1}, 1, "deletion"),
        ({"deletion_cn": 1}, 2, None),
    ],
)
def test_thresholds_call(
    fields: dict[str, float], copy_number: float, expected: str | None
) -> None:
    assert CopyNumberThresholds(**fields).call(copy_number) == expected


@pytest.mark.parametrize(
    ("log2", "fields", "expected"),
    [
        (0.0, {}, 2.0),
        (1.0, {}, 4.0),
        (-1.0, {}, 1.0),
        (math.log2(2.5), {}, 5.0),
        (1.0, {"ploidy": 4}, 8.0),
        # CNVkit: n = (r * 2**v - x * (1 - p)) / p with r = x = ploidy
        (1.0, {"purity": 0.5}, 6.0),
        (0.0, {"purity": 0.3}, 2.0),  # neutral stays neutral at any purity
        (-1.0, {"purity": 0.5}, 0.0),  # a clonal one-copy ratio at 50% purity: both copies lost
        (-5.0, {"purity": 0.5}, 0.0),  # below zero is clipped
        (5000.0, {}, 2.0 * 2.0**1000),  # absurd ratios stay finite
    ],
)
def test_copy_number_from_log2(log2: float, fields: dict[str, float], expected: float) -> None:
    assert CopyNumberThresholds(**fields).copy_number_from_log2(log2) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"purity": 0}, "purity"),
        ({"purity": 1.5}, "purity"),
        ({"purity": math.nan}, "purity"),
        ({"ploidy": 0}, "ploidy"),
        ({"deletion_cn": -1}, "deletion"),
        ({"amplification_cn": 0}, "amplification copy number 0 must be above"),
        ({"amplification_cn": 1, "deletion_cn": 1}, "amplification"),
    ],
)
def test_thresholds_refuse_nonsense(fields: dict[str, float], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        CopyNumberThresholds(**fields)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (116_300_001, 116_500_000, "chr7:116.3-116.5 Mb"),
        (57_914_723, 58_520_144, "chr7:57.9-58.5 Mb"),
        (1_000_001, 1_040_000, "chr7:1.00-1.04 Mb"),
        (1_000_001, 1_004_000, "chr7:1.000-1.004 Mb"),
        (10, 19, "chr7:10-19"),
    ],
)
def test_format_region(start: int, end: int, expected: str) -> None:
    assert format_region("chr7", start, end) == expected


# -- CNVkit ------------------------------------------------------------------------------


def test_real_cnvkit_segments() -> None:
    """TR95T (CNVkit test data): the CDK4 and MDM2 amplicons of chr12q; EGFR, KIT neutral."""
    rule_genes = genes("CDK4", "MDM2", "TERT", "EGFR", "KIT", "PTEN", "EPHA6")
    found = read_copy_number(CNS, genes=rule_genes, build="GRCh37", thresholds=DEFAULT)
    assert events(found) == {
        "EPHA6": "amplification",
        "TERT": "amplification",
        "CDK4": "amplification",
        "MDM2": "amplification",
    }
    by_gene = {a.gene: a for a in found}
    assert by_gene["CDK4"].detail == "CNVkit log2 3.53, CN 23 (from log2), chr12:57.9-58.5 Mb"
    assert by_gene["MDM2"].detail == "CNVkit log2 2.82, CN 14 (from log2), chr12:69.0-69.7 Mb"
    # EPHA6 lies in three segments (log2 -0.40, 3.18, 2.23): the highest one is reported
    assert by_gene["EPHA6"].detail == "CNVkit log2 3.18, CN 18 (from log2), chr3:96.8-97.0 Mb"
    assert {a.source for a in found} == {"CNVkit"}


def test_real_cnvkit_segments_with_pcgr_threshold_and_purity() -> None:
    rule_genes = genes("CDK4", "TERT")
    stricter = CopyNumberThresholds(amplification_cn=6)
    assert events(read_copy_number(CNS, genes=rule_genes, build="GRCh37", thresholds=stricter)) == {
        "CDK4": "amplification"
    }  # TERT's log2 1.44 is 5.4 copies
    impure = CopyNumberThresholds(amplification_cn=6, purity=0.5)
    found = read_copy_number(CNS, genes=rule_genes, build="GRCh37", thresholds=impure)
    assert events(found) == {"TERT": "amplification", "CDK4": "amplification"}
    assert found[0].detail == ("CNVkit log2 1.44, CN 9 (from log2 at purity 0.5), chr5:0.0-1.3 Mb")


def test_real_cnvkit_segments_gzip(tmp_path: Path) -> None:
    compressed = tmp_path / "tr95t.cns.gz"
    compressed.write_bytes(gzip.compress(CNS.read_bytes()))
    rule_genes = genes("CDK4", "MDM2")
    assert read_copy_number(
        compressed, genes=rule_genes, build="GRCh37", thresholds=DEFAULT
    ) == read_copy_number(CNS, genes=rule_genes, build="GRCh37", thresholds=DEFAULT)


CALL_CNS = """chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight
chr10\t89600000\t89800000\tKLLN,PTEN\t-4.5\t0\t0.1\t20\t15.2
chr7\t55000000\t55300000\tEGFR,EGFR-AS1\t1.9\t8\t7.5\t40\t30.1
chr12\t25000000\t25500000\tKRAS\t0.1\t2\t1.1\t10\t8.0
chr9\t21900000\t22000000\t-\t-5.0\t0\t0.0\t5\t3.0
"""


def test_cnvkit_call_cns_uses_the_cn_column(tmp_path: Path) -> None:
    path = write(tmp_path, CALL_CNS, "sample.call.cns")
    found = read_copy_number(
        path, genes=genes("PTEN", "EGFR", "KRAS", "CDKN2A"), build="GRCh38", thresholds=DEFAULT
    )
    assert events(found) == {"PTEN": "deletion", "EGFR": "amplification"}
    assert found[1].detail == "CNVkit log2 1.9, CN 8, chr7:55.0-55.3 Mb"
    assert found[0].detail == "CNVkit log2 -4.5, CN 0, chr10:89.6-89.8 Mb"


def test_cnvkit_gene_with_amplified_and_deleted_segments_gets_both(tmp_path: Path) -> None:
    text = (
        "chromosome\tstart\tend\tgene\tlog2\n"
        "chr10\t100\t200\tPTEN\t-6\n"
        "chr10\t200\t300\tPTEN\t2\n"
        "chr10\t300\t400\tPTEN\t3\n"
    )
    found = read_copy_number(
        write(tmp_path, text), genes=genes("PTEN"), build="GRCh38", thresholds=DEFAULT
    )
    assert [(a.event, a.detail) for a in found] == [
        ("deletion", "CNVkit log2 -6, CN 0 (from log2), chr10:101-200"),
        ("amplification", "CNVkit log2 3, CN 16 (from log2), chr10:301-400"),
    ]


# Bins of a CNVkit .cnr (cnvkit.py fix): the middle one had no reads, and CNVkit writes log2 -20
# (cnvlib/params.py NULL_LOG2_COVERAGE) for it.
CNR = (
    "chromosome\tstart\tend\tgene\tdepth\tlog2\tweight\n"
    "chr13\t32315474\t32315667\tBRCA2\t512.3\t0.02\t0.95\n"
    "chr13\t32316421\t32316527\tBRCA2\t0\t-20\t0.01\n"
    "chr13\t32319076\t32319325\tBRCA2\t498.1\t-0.05\t0.96\n"
)


def test_cnvkit_bin_level_file_is_refused_not_read_as_segments(tmp_path: Path) -> None:
    """Regression: a .cnr was read as segments, and its one empty bin (log2 -20) became a
    BRCA2 deep deletion."""
    path = write(tmp_path, CNR, "sample.cnr")
    with pytest.raises(InputError) as caught:
        read_copy_number(path, genes=genes("BRCA2"), build="GRCh38", thresholds=DEFAULT)
    message = str(caught.value)
    assert message.startswith(f"{path}, line 1: a CNVkit bin-level file")
    assert ".cns" in message
    assert ".call.cns" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text",
    [
        "chromosome\tstart\tend\tgene\tlog2\tdepth\tprobes\tweight\n"
        "chr13\t32316421\t32316527\tBRCA2\t-20\t0\t3\t0.01\n",
        # cnvkit.py call derives cn 0 from the placeholder: still no measurement
        "chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight\n"
        "chr13\t32316421\t32316527\tBRCA2\t-20\t0\t0\t3\t0.01\n",
    ],
    ids=["cns", "call.cns"],
)
def test_cnvkit_no_coverage_log2_is_no_measurement(tmp_path: Path, text: str) -> None:
    """Regression: log2 -20, CNVkit's mark for no coverage, read as 0 copies."""
    path = write(tmp_path, text, "sample.cns")
    found = read_copy_number_calls(path, genes=genes("BRCA2"), build="GRCh38", thresholds=DEFAULT)
    assert found.alterations == ()
    assert found.notes == (
        f"{path}, line 2: log2 -20 at chr13:32.316-32.317 Mb is CNVkit's mark for no "
        "coverage, not a measurement; no copy number for BRCA2",
    )


# ERBB2 and PTEN with their GRCh38 spans in rules/genes.yaml.
PLACED_GENES = {
    spec.symbol: spec
    for spec in (
        gene("ERBB2", GRCh38=("17", 39_687_914, 39_730_426)),
        gene("PTEN", GRCh38=("10", 87_862_638, 87_971_930)),
    )
}
SEGMENT_HEADER = "chromosome\tstart\tend\tgene\tlog2\tdepth\tprobes\tweight\n"


@pytest.mark.parametrize("no_gene", ["-", ".", "CGH", "Antitarget"])
def test_cnvkit_segments_without_gene_names_are_placed_by_position(
    tmp_path: Path, no_gene: str
) -> None:
    """Regression: segments without gene names were dropped however amplified or deleted;
    they are placed on the rule genes' spans, as copy-number VCF records are."""
    text = (
        SEGMENT_HEADER
        + f"chr17\t39600000\t39800000\t{no_gene}\t2.0\t10.5\t40\t30.1\n"
        + f"chr10\t87800000\t87970000\t{no_gene}\t-3.5\t0.05\t12\t10.2\n"
        + f"chr10\t87970000\t89000000\t{no_gene}\t0.0\t1.0\t50\t40.0\n"
    )
    found = read_copy_number_calls(
        write(tmp_path, text, "sample.cns"),
        genes=PLACED_GENES,
        build="GRCh38",
        thresholds=DEFAULT,
    )
    assert [(a.gene, a.event, a.detail) for a in found.alterations] == [
        ("ERBB2", "amplification", "CNVkit log2 2, CN 8 (from log2), chr17:39.6-39.8 Mb"),
        ("PTEN", "deletion", "CNVkit log2 -3.5, CN 0 (from log2), chr10:87.8-88.0 Mb"),
    ]
    assert found.notes == ()


def test_cnvkit_segment_without_gene_names_leaves_named_genes_to_their_segments(
    tmp_path: Path,
) -> None:
    """An unnamed (antitarget) segment over ERBB2's span does not overrule the segment that
    names ERBB2; what it held is noted."""
    text = (
        SEGMENT_HEADER
        + "chr17\t39600000\t39700000\tERBB2,GRB7\t0.1\t10.5\t40\t30.1\n"
        + "chr17\t39700000\t39800000\tAntitarget\t2.0\t10.5\t4\t3.1\n"
    )
    path = write(tmp_path, text, "sample.cns")
    found = read_copy_number_calls(path, genes=PLACED_GENES, build="GRCh38", thresholds=DEFAULT)
    assert found.alterations == ()
    assert found.notes == (
        f"{path}, line 3: a segment without gene names (CNVkit log2 2, CN 8 (from log2), "
        "chr17:39.7-39.8 Mb) overlaps ERBB2, whose copy number is read from the segments that "
        "name it: no amplification from this one",
    )


def test_cnvkit_unnamed_segment_without_coverage_is_noted_for_the_genes_it_overlaps(
    tmp_path: Path,
) -> None:
    text = SEGMENT_HEADER + "chr10\t87900000\t87910000\t-\t-20\t0\t2\t0.01\n"
    path = write(tmp_path, text, "sample.cns")
    found = read_copy_number_calls(path, genes=PLACED_GENES, build="GRCh38", thresholds=DEFAULT)
    assert found.alterations == ()
    assert found.notes == (
        f"{path}, line 2: log2 -20 at chr10:87.90-87.91 Mb is CNVkit's mark for no coverage, "
        "not a measurement; no copy number for PTEN",
    )


@pytest.mark.parametrize(
    ("rows", "noted"),
    [
        # a segment without gene names is placed by position: CCNE1 cannot be
        (["chr19\t30200000\t30400000\t-\t2.5\t10.5\t40\t30.1"], True),
        # ... unless the file names CCNE1 in a segment of its own
        (
            [
                "chr19\t29800000\t29900000\tCCNE1\t2.5\t10.5\t40\t30.1",
                "chr19\t30200000\t30400000\t-\t0.1\t1.5\t40\t30.1",
            ],
            False,
        ),
        # every segment named: nothing is read by position
        (["chr17\t37800000\t37900000\tERBB2\t2.0\t10.5\t40\t30.1"], False),
    ],
    ids=["unnamed", "named-elsewhere", "all-named"],
)
def test_cnvkit_notes_the_genes_no_position_can_place(
    tmp_path: Path, rows: list[str], noted: bool
) -> None:
    # as in rules/genes.yaml: ERBB2 has a GRCh37 span, CCNE1 only a GRCh38 one
    rule_genes = {
        "ERBB2": gene("ERBB2", GRCh37=("17", 37_844_167, 37_886_679)),
        "CCNE1": gene("CCNE1", GRCh38=("19", 29_811_991, 29_824_312)),
    }
    path = write(tmp_path, SEGMENT_HEADER + "\n".join(rows) + "\n", "sample.cns")
    found = read_copy_number_calls(path, genes=rule_genes, build="GRCh37", thresholds=DEFAULT)
    note = (
        f"{path}: no copy number read for CCNE1: the gene table gives no GRCh37 span to place "
        "it by position (a copy-number table row or a CNVkit segment naming the gene still "
        "gives it)"
    )
    assert found.notes == ((note,) if noted else ())


# -- gene table --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("amplification", "amplification"),
        ("AMP", "amplification"),
        ("Amplified", "amplification"),
        ("high-level amplification", "amplification"),
        ("2", "amplification"),
        ("deletion", "deletion"),
        ("deep_deletion", "deletion"),
        ("Deep deletion", "deletion"),
        ("HOMDEL", "deletion"),
        ("homozygous-deletion", "deletion"),
        ("-2", "deletion"),
        ("gain", None),
        ("GAIN", None),
        ("loss", None),
        ("hetloss", None),
        ("shallow_deletion", None),
        ("neutral", None),
        ("1", None),
        ("0", None),
        ("-1", None),
        ("NA", None),
        ("", None),
    ],
)
def test_gene_table_calls(tmp_path: Path, call: str, expected: str | None) -> None:
    path = write(tmp_path, f"gene\tcall\nERBB2\t{call}\n")
    found = read_copy_number(path, genes=genes("ERBB2"), build="GRCh38", thresholds=DEFAULT)
    assert events(found) == ({"ERBB2": expected} if expected else {})


@pytest.mark.parametrize(
    ("copy_number", "fields", "expected"),
    [
        ("12", {}, "amplification"),
        ("5", {}, "amplification"),
        ("4", {}, None),
        ("0.3", {}, "deletion"),
        ("5", {"amplification_cn": 6}, None),
        ("NA", {}, None),
    ],
)
def test_gene_table_copy_numbers(
    tmp_path: Path, copy_number: str, fields: dict[str, float], expected: str | None
) -> None:
    path = write(tmp_path, f"Gene\tCopy_Number\nERBB2\t{copy_number}\n")
    found = read_copy_number(
        path, genes=genes("ERBB2"), build="GRCh38", thresholds=CopyNumberThresholds(**fields)
    )
    assert events(found) == ({"ERBB2": expected} if expected else {})


def test_gene_table_call_wins_over_copy_number_and_unknown_genes_are_ignored(
    tmp_path: Path,
) -> None:
    text = (
        "# made by hand\n"
        "gene\tcopy_number\tcall\n"
        "ERBB2\t4\tamp\n"
        "MET\t9\t\n"
        "CDKN2A\t0\thomdel\n"
        "NOT_A_RULE_GENE\t40\tamp\n"
    )
    found = read_copy_number(
        write(tmp_path, text),
        genes=genes("ERBB2", "MET", "CDKN2A"),
        build="GRCh38",
        thresholds=DEFAULT,
    )
    assert [(a.gene, a.event, a.detail) for a in found] == [
        ("ERBB2", "amplification", "call amp, copy number 4"),
        ("MET", "amplification", "copy number 9"),
        ("CDKN2A", "deletion", "call homdel, copy number 0"),
    ]
    assert {a.source for a in found} == {"copy-number table"}


def test_gene_table_keeps_the_highest_amplification(tmp_path: Path) -> None:
    text = "gene\tcopy_number\nMET\t6\nMET\t11\nMET\t7\n"
    found = read_copy_number(
        write(tmp_path, text), genes=genes("MET"), build="GRCh38", thresholds=DEFAULT
    )
    assert [a.detail for a in found] == ["copy number 11"]


# -- VCF ---------------------------------------------------------------------------------

# On chromosome 1 of GRCh37, next to the two <CNV> records of the bcftools test file
# (1:10-19 and 1:20-30): LEFT overlaps the first, RIGHT the second, FAR neither.
VCF_GENES = {
    spec.symbol: spec
    for spec in (
        gene("LEFT", GRCh37=("1", 12, 15)),
        gene("RIGHT", GRCh37=("1", 28, 40)),
        gene("FAR", GRCh37=("1", 100, 200)),
        gene("NOSPAN"),
    )
}


def test_real_cnv_vcf_without_copy_numbers_is_an_error() -> None:
    with pytest.raises(InputError, match="no CN in FORMAT or INFO") as caught:
        read_copy_number(CNV_VCF, genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT)
    assert caught.value.line == 8


def with_info_copy_numbers(tmp_path: Path) -> Path:
    """The bcftools file with INFO/CN added: 0 copies at 1:10-19, 9 copies at 1:20-30."""
    text = CNV_VCF.read_text(encoding="utf-8")
    text = text.replace("END=19", "END=19;CN=0").replace("END=30", "END=30;CN=9")
    return write(tmp_path, text, "cnv.vcf")


def test_real_cnv_vcf_with_info_copy_numbers(tmp_path: Path) -> None:
    found = read_copy_number(
        with_info_copy_numbers(tmp_path), genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT
    )
    assert [(a.gene, a.event, a.detail, a.source) for a in found] == [
        ("LEFT", "deletion", "VCF CNV CN 0, 1:10-19", "CNV VCF"),
        ("RIGHT", "amplification", "VCF CNV CN 9, 1:20-30", "CNV VCF"),
    ]


def test_vcf_notes_the_genes_no_position_can_place(tmp_path: Path) -> None:
    """Regression: rule genes without a span on the build (NOSPAN here; CCNE1 on GRCh37 in
    rules/genes.yaml) were skipped without a word when records are placed by position."""
    path = with_info_copy_numbers(tmp_path)
    found = read_copy_number_calls(path, genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT)
    assert events(list(found.alterations)) == {"LEFT": "deletion", "RIGHT": "amplification"}
    assert found.notes == (
        f"{path}: no copy number read for NOSPAN: the gene table gives no GRCh37 span to place "
        "it by position (a copy-number table row or a CNVkit segment naming the gene still "
        "gives it)",
    )
    # only genes with copy-number rules are named
    found = read_copy_number_calls(
        path,
        genes=VCF_GENES,
        build="GRCh37",
        thresholds=DEFAULT,
        copy_number_genes={"LEFT", "RIGHT"},
    )
    assert found.notes == ()


def test_vcf_header_of_the_other_build_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="GRCh37 but --genome GRCh38"):
        read_copy_number(
            with_info_copy_numbers(tmp_path), genes=VCF_GENES, build="GRCh38", thresholds=DEFAULT
        )


HEADER = (
    "##fileformat=VCFv4.2\n"
    '##FORMAT=<ID=CN,Number=1,Type=Integer,Description="Copy number">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"
)


def vcf(tmp_path: Path, samples: list[str], records: list[str]) -> Path:
    header = "\t".join([HEADER, *samples])
    return write(tmp_path, "\n".join([header, *records]) + "\n", "calls.vcf")


def test_vcf_format_copy_numbers_and_record_kinds(tmp_path: Path) -> None:
    records = [
        "chr1\t11\t.\tN\t<DEL>\t.\tPASS\tEND=14\tGT:CN\t1/1:0",  # ALT only, no SVTYPE
        "chr1\t25\t.\tN\t<DEL>,<DUP>\t.\tPASS\tEND=50\tGT:CN\t2:7",  # GATK gCNV style
        "chr1\t150\t.\tN\t<CNV>\t.\tLowQual\tSVTYPE=CNV;END=160\tGT:CN\t./.:12",  # filtered
        "chr1\t12\t.\tC\tT\t.\tPASS\t.\tGT:CN\t0/1:.",  # an SNV: skipped, no CN needed
        "chr1\t100\t.\tN\t<INV>\t.\tPASS\tSVTYPE=INV;END=300\tGT\t0/1",  # not copy number
        "chr1\t90\t.\tN\t<DUP>\t.\tPASS\tSVTYPE=DUP;SVLEN=20\tGT:CN\t0/1:3",  # a gain only
    ]
    path = vcf(tmp_path, ["TUMOR"], records)
    found = read_copy_number(path, genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT)
    assert [(a.gene, a.event, a.detail) for a in found] == [
        ("LEFT", "deletion", "VCF DEL CN 0, chr1:11-14"),
        ("RIGHT", "amplification", "VCF DUP CN 7, chr1:25-50"),
    ]
    with_filtered = read_copy_number(
        path, genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT, include_filtered=True
    )
    assert events(with_filtered) == {
        "LEFT": "deletion",
        "RIGHT": "amplification",
        "FAR": "amplification",
    }


@pytest.mark.parametrize(
    ("genotype", "copy_number", "expected"),
    [
        ("2", "8", "amplification VCF DUP CN 8"),
        ("1", "0", "deletion VCF DEL CN 0"),
        ("0/2", "6", "amplification VCF DUP CN 6"),
        (".", "8", "amplification VCF CNV CN 8"),  # no allele called: the copy number tells
        ("1/2", "9", "amplification VCF CNV CN 9"),
    ],
)
def test_vcf_gcnv_record_is_named_after_its_called_allele(
    tmp_path: Path, genotype: str, copy_number: str, expected: str
) -> None:
    """Regression: a GATK gCNV record, ALT <DEL>,<DUP>, GT 2 and CN 8, was an amplification
    described as 'VCF DEL CN 8' (the first ALT, not the called one)."""
    record = f"chr1\t25\t.\tN\t<DEL>,<DUP>\t.\t.\tEND=50\tGT:CN:NP\t{genotype}:{copy_number}:40"
    path = vcf(tmp_path, ["TUMOR"], [record])
    found = read_copy_number(path, genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT)
    assert [f"{a.event} {a.detail}" for a in found] == [f"{expected}, chr1:25-50"]


def test_vcf_info_copy_number_is_read_when_format_cn_is_missing(tmp_path: Path) -> None:
    """Regression: FORMAT/CN '.' with INFO/CN=8 was 'no CN in FORMAT or INFO'."""
    records = [
        "chr1\t25\t.\tN\t<DUP>\t.\t.\tSVTYPE=DUP;END=50;CN=8\tGT:CN\t0/1:.",
        "chr1\t11\t.\tN\t<DEL>\t.\t.\tSVTYPE=DEL;END=14;CN=0\tGT\t1/1",
    ]
    found = read_copy_number(
        vcf(tmp_path, ["TUMOR"], records), genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT
    )
    assert [(a.gene, a.event, a.detail) for a in found] == [
        ("RIGHT", "amplification", "VCF DUP CN 8, chr1:25-50"),
        ("LEFT", "deletion", "VCF DEL CN 0, chr1:11-14"),
    ]


def test_vcf_missing_format_cn_without_info_cn_is_an_error(tmp_path: Path) -> None:
    record = "chr1\t25\t.\tN\t<DUP>\t.\t.\tSVTYPE=DUP;END=50;CN=.\tGT:CN\t0/1:."
    with pytest.raises(InputError, match="no CN in FORMAT or INFO") as caught:
        read_copy_number(
            vcf(tmp_path, ["TUMOR"], [record]), genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT
        )
    assert caught.value.line == 4


def test_vcf_picks_the_named_sample(tmp_path: Path) -> None:
    record = "1\t10\t.\tN\t<CNV>\t.\t.\tSVTYPE=CNV;END=20\tGT:CN\t0/0:2\t1/1:0"
    path = vcf(tmp_path, ["NORMAL", "TUMOR"], [record])
    found = read_copy_number(
        path, genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT, sample="TUMOR"
    )
    assert events(found) == {"LEFT": "deletion"}
    with pytest.raises(InputError, match=r"2 samples \(NORMAL, TUMOR\)"):
        read_copy_number(path, genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT)
    with pytest.raises(InputError, match=r"sample 'T' is not in the VCF, which has 2 samples "):
        read_copy_number(path, genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT, sample="T")


def test_vcf_with_one_sample_is_read_whatever_the_sample_is_called(tmp_path: Path) -> None:
    """Regression: cnvkit.py export vcf names its one sample after the file, and the reader
    refused it for not being called as the main input's tumor."""
    header = HEADER.replace("##fileformat=VCFv4.2", "##fileformat=VCFv4.2\n##source=CNVkit v0.9.10")
    record = (
        "chr17\t39600001\t.\tN\t<DUP>\t.\t.\tIMPRECISE;SVTYPE=DUP;END=39800000;SVLEN=200000"
        "\tGT:GQ:CN\t0/1:.:8"
    )
    path = write(tmp_path, f"{header}\ttumor_sample1\n{record}\n", "tumor_sample1.vcf")
    found = read_copy_number(
        path, genes=PLACED_GENES, build="GRCh38", thresholds=DEFAULT, sample="TUMOR"
    )
    assert [(a.gene, a.event, a.detail) for a in found] == [
        ("ERBB2", "amplification", "VCF DUP CN 8, chr17:39.6-39.8 Mb")
    ]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("1\t10\t.\tN\t<CNV>\t.\t.\tSVTYPE=CNV;END=20;CN=many", "CN 'many' is not a number"),
        ("1\t10\t.\tN\t<CNV>\t.\t.\tSVTYPE=CNV;END=20;CN=-1", "CN '-1' is negative"),
        ("1\t10\t.\tN\t<CNV>\t.\t.\tSVTYPE=CNV;END=5;CN=0", "END 5 is before POS 10"),
        ("1\tten\t.\tN\t<CNV>\t.\t.\tSVTYPE=CNV;END=20;CN=0", "POS 'ten' is not a whole number"),
        ("1\t10\t.\tN\t<CNV>", "5 tab-separated columns, but the #CHROM line names 8"),
    ],
)
def test_vcf_record_errors(tmp_path: Path, record: str, message: str) -> None:
    path = write(
        tmp_path,
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + record + "\n",
        "bad.vcf",
    )
    with pytest.raises(InputError, match=message) as caught:
        read_copy_number(path, genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT)
    assert caught.value.line == 3


@pytest.mark.parametrize(
    ("header", "record", "message", "line"),
    [
        # FILTER missing from one record: its INFO was read as a FILTER and the record skipped
        (
            HEADER + "\tTUMOR",
            "chr1\t11\t.\tN\t<DEL>\t.\tEND=14\tGT:CN\t1/1:0",
            "VCF record has 9 tab-separated columns, but the #CHROM line names 10",
            4,
        ),
        # ... and from the #CHROM line too
        (
            HEADER.replace("FILTER\t", "") + "\tTUMOR",
            "chr1\t11\t.\tN\t<DEL>\t.\tEND=14\tGT:CN\t1/1:0",
            "the #CHROM line does not begin with the tab-separated columns #CHROM POS ID REF ALT "
            "QUAL FILTER INFO FORMAT: it has #CHROM, POS, ID, REF, ALT, QUAL, INFO, FORMAT, TUMOR",
            3,
        ),
    ],
    ids=["record", "header"],
)
def test_bug_vcf_with_a_column_missing_gave_no_event_and_no_error(
    tmp_path: Path, header: str, record: str, message: str, line: int
) -> None:
    # Found by fuzzing: a deep deletion whose FILTER column was missing gave exit 0 and no
    # event (INFO 'END=14' read as a FILTER failing): nothing said the file was broken.
    path = write(tmp_path, f"{header}\n{record}\n", "calls.vcf")
    with pytest.raises(InputError) as caught:
        read_copy_number(path, genes=VCF_GENES, build="GRCh37", thresholds=DEFAULT)
    assert str(caught.value) == f"{path}, line {line}: {message}"


# -- errors ------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="copy-number file not found"):
        read_copy_number(tmp_path / "nope.cns", genes={}, build="GRCh38", thresholds=DEFAULT)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the copy-number file"):
        read_copy_number(tmp_path, genes={}, build="GRCh38", thresholds=DEFAULT)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError, match=r"empty|only comment"):
        read_copy_number(write(tmp_path, text), genes={}, build="GRCh38", thresholds=DEFAULT)


def test_unknown_header_names_the_expected_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "Hugo_Symbol\tTCGA-01\nERBB2\t2\n")
    with pytest.raises(InputError) as caught:
        read_copy_number(path, genes={}, build="GRCh38", thresholds=DEFAULT)
    message = str(caught.value)
    assert "line 1: unknown copy-number format: header columns are hugo_symbol, tcga-01" in message
    assert "chromosome, start, end, gene, log2" in message
    assert "gene plus copy_number or call" in message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "chromosome\tstart\tend\tgene\tlog2\nchr1\t1\t100\tA\t0.1\nchr1\t100\t200\tA\thigh\n",
            3,
            "log2 'high' is not a number",
        ),
        ("chromosome\tstart\tend\tgene\tlog2\nchr1\t1\t100\tA\tnan\n", 2, "log2 'nan'"),
        ("chromosome\tstart\tend\tgene\tlog2\nchr1\t1.5\t100\tA\t0\n", 2, "start '1.5'"),
        ("chromosome\tstart\tend\tgene\tlog2\nchr1\t100\t50\tA\t0\n", 2, "end 50 is before"),
        ("chromosome\tstart\tend\tgene\tlog2\nchr1\t1\t100\tA\n", 2, "has 4 tab-separated"),
        ("chromosome\tstart\tend\tgene\tlog2\tcn\nchr1\t1\t100\tA\t0\t-2\n", 2, "cn '-2'"),
        ("gene\tcopy_number\n\nERBB2\tlots\n", 3, "copy_number 'lots' is not a number"),
        ("gene\tcopy_number\nERBB2\t-3\n", 2, "copy_number '-3' is negative"),
        ("gene\tcall\nERBB2\tdel\n", 2, "copy-number call 'del' is not one this reader knows"),
        ("gene\tcall\n\tamp\n", 2, "gene is empty"),
    ],
)
def test_table_errors_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        read_copy_number(
            write(tmp_path, text), genes=genes("A", "ERBB2"), build="GRCh38", thresholds=DEFAULT
        )
    assert caught.value.line == line
    assert f"line {line}" in str(caught.value)


def test_binary_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "x.cns"
    path.write_bytes(b"chromosome\tstart\n\xff\xfe\x00")
    with pytest.raises(InputError, match="not UTF-8 text") as caught:
        read_copy_number(path, genes={}, build="GRCh38", thresholds=DEFAULT)
    assert caught.value.line == 2


def test_broken_gzip_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "x.cns.gz"
    path.write_bytes(gzip.compress(b"chromosome\tstart\tend\tgene\tlog2\n")[:-6])
    with pytest.raises(InputError, match="not valid gzip"):
        read_copy_number(path, genes={}, build="GRCh38", thresholds=DEFAULT)


# -- through the CLI ---------------------------------------------------------------------


def annotate(tmp_path: Path, *argv: str) -> dict[str, Any]:
    out = tmp_path / "out.json"
    assert main(["annotate", *argv, "--out-json", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_cli_notes_the_copy_number_rule_genes_without_a_span_on_the_build(tmp_path: Path) -> None:
    """Regression: on GRCh37, a CCNE1 gain in a CNV VCF gave no event and no note (the gene
    table has no GRCh37 span for CCNE1; no coordinates are made up for it). Only genes with
    copy-number rules are named: ABCB1, ERCC1, TYMS, ABCC1, ABCG2 lack spans too."""
    cnv = write(
        tmp_path,
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\n"
        "19\t30200001\t.\tN\t<DUP>\t.\t.\tSVTYPE=DUP;END=30400000\tGT:CN\t0/1:12\n"
        "17\t37800001\t.\tN\t<DUP>\t.\t.\tSVTYPE=DUP;END=37900000\tGT:CN\t0/1:12\n",
        "cnv37.vcf",
    )
    data = annotate(
        tmp_path, str(TEST_DATA / "luad.grch37.vep.vcf"), "--tumor-type", "HGSOC", "--cnv", str(cnv)
    )
    assert [(e["gene"], e["event"]) for e in data["events"]] == [("ERBB2", "amplification")]
    assert [note for note in data["input_notes"] if note.startswith(str(cnv))] == [
        f"{cnv}: no copy number read for CCNE1: the gene table gives no GRCh37 span to place it "
        "by position (a copy-number table row or a CNVkit segment naming the gene still gives it)"
    ]
