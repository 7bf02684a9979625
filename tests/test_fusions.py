"""Fusion caller outputs → fusion Alterations (annotator/readers/fusions.py)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from annotator.errors import InputError
from annotator.models import VariantClass
from annotator.readers.fusions import parse_fusion_name, read_fusion_calls, read_fusions

DATA = Path(__file__).parent / "data"
ARRIBA = DATA / "arriba.test.fusions.grch37.tsv"
STAR_FUSION = DATA / "fusor.star_fusion_test.grch38.tsv"
PCGR = DATA / "pcgr.T001-BRCA.grch38.fusions.tsv"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BCR::ABL1", ("BCR", "ABL1")),
        ("BCR--ABL1", ("BCR", "ABL1")),
        ("BCR-ABL1", ("BCR", "ABL1")),
        ("BCR/ABL1", ("BCR", "ABL1")),
        (" BCR::ABL1 ", ("BCR", "ABL1")),
        ("BCR^ENSG00000186716.21--ABL1^ENSG00000097007.19", ("BCR", "ABL1")),
        ("BCR^ENSG00000186716.21", None),
        ("STX16-NPEPL1--RAE1", ("STX16-NPEPL1", "RAE1")),  # hyphenated symbol, STAR-Fusion
        ("AC090627.1::THRA", ("AC090627.1", "THRA")),
        ("ABL1::BCR", ("ABL1", "BCR")),  # order as given, never sorted
        ("BCR", None),
        ("BCR-ABL1-FOO", None),  # which hyphen?
        ("BCR--ABL1--FOO", None),
        ("::ABL1", None),
        ("BCR--", None),
        ("BCR::.", None),
        ("BC R::ABL1", None),
    ],
)
def test_parse_fusion_name(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_fusion_name(text) == expected


# -------------------------------------------------------------------- real caller outputs


def test_arriba_real_file() -> None:
    calls = read_fusion_calls(ARRIBA)
    assert calls.format == "arriba"
    assert calls.skipped == ()
    (fusion,) = calls.alterations
    assert fusion.gene == "BCR::ABL1"
    assert fusion.variant_class is VariantClass.OTHER
    assert fusion.event == "fusion"
    assert fusion.source == "arriba"
    assert fusion.variant is None
    assert fusion.detail == (
        "Arriba 22:23632600 (CDS/splice-site) -> 9:133729451 (CDS/splice-site); translocation; "
        "split reads 4+7, discordant mates 0; confidence high; reading frame in-frame"
    )


def test_star_fusion_real_file() -> None:
    calls = read_fusion_calls(STAR_FUSION)
    assert calls.format == "star-fusion"
    assert [a.gene for a in calls.alterations] == ["KIF5B::RET", "EML4::ALK", "UBE2R2::WNK1"]
    assert {a.source for a in calls.alterations} == {"star-fusion"}
    assert calls.alterations[1].detail == (
        "STAR-Fusion chr2:42295516:+ -> chr2:29223528:-; junction reads 219, "
        "spanning fragments 39; FFPM 2.6581; ONLY_REF_SPLICE"
    )


def test_pcgr_real_file() -> None:
    calls = read_fusion_calls(PCGR)
    assert calls.format == "pcgr"
    # Names exactly as the file orders them (NTRK1--TPM3 stays NTRK1::TPM3).
    assert [a.gene for a in calls.alterations] == [
        "NTRK1::TPM3",
        "EML4::ALK",
        "PAX3::FOXO1",
        "FGFR3::TACC3",
        "KIAA1549::BRAF",
        "CCDC6::RET",
        "TMPRSS2::ERG",
        "BCR::ABL1",
        "EWSR1::FLI1",
    ]
    assert (
        calls.alterations[1].detail == "PCGR fusion TSV 2:42295554 -> 2:29223528; split reads 100"
    )


def test_read_fusions_returns_the_alterations() -> None:
    assert read_fusions(ARRIBA) == list(read_fusion_calls(ARRIBA).alterations)


# ------------------------------------------------------------------ Arriba, row by row

ARRIBA_HEADER, ARRIBA_ROW = ARRIBA.read_text().splitlines()[:2]


def arriba_file(tmp_path: Path, *changes: dict[str, str]) -> Path:
    """The real Arriba file, its row repeated with each set of column changes."""
    columns = ARRIBA_HEADER.lstrip("#").split("\t")
    rows = []
    for change in changes:
        fields = dict(zip(columns, ARRIBA_ROW.split("\t"), strict=True)) | change
        rows.append("\t".join(fields[column] for column in columns))
    path = tmp_path / "fusions.tsv"
    path.write_text("\n".join([ARRIBA_HEADER, *rows]) + "\n")
    return path


# Swapping gene1 and gene2 (with their columns) as Arriba writes a call whose order it could
# not predict: ABL1 first, fused upstream; BCR second, fused downstream.
SWAPPED = {
    "gene1": "ABL1",
    "gene2": "BCR",
    "breakpoint1": "9:133729451",
    "breakpoint2": "22:23632600",
    "direction1": "upstream",
    "direction2": "downstream",
}


@pytest.mark.parametrize(
    ("change", "gene", "in_detail"),
    [
        ({}, "BCR::ABL1", "confidence high"),
        ({"confidence": "low"}, "BCR::ABL1", "confidence low; low-confidence call, kept"),
        ({"confidence": "medium"}, "BCR::ABL1", "confidence medium; reading frame"),
        ({"reading_frame": "."}, "BCR::ABL1", "confidence high"),
        (
            {"strand1(gene/fusion)": "+/.", "strand2(gene/fusion)": "+/."},
            "BCR::ABL1",
            "5'/3' from gene strands and directions",
        ),
        (
            SWAPPED | {"strand1(gene/fusion)": "+/.", "strand2(gene/fusion)": "+/."},
            "BCR::ABL1",
            "Arriba 22:23632600 (CDS/splice-site) -> 9:133729451",
        ),
        (
            {"gene2": "ABL1(1234)", "strand2(gene/fusion)": "./+", "site2": "intergenic"},
            "BCR::ABL1",
            "9:133729451 intergenic, 1234 bp from ABL1, the only gene Arriba lists",
        ),
    ],
    ids=[
        "as-is",
        "low-confidence",
        "medium",
        "no-frame",
        "strands-dot",
        "order-inferred",
        "intergenic-one",
    ],
)
def test_arriba_rows(tmp_path: Path, change: dict[str, str], gene: str, in_detail: str) -> None:
    calls = read_fusion_calls(arriba_file(tmp_path, change))
    assert calls.skipped == ()
    (fusion,) = calls.alterations
    assert fusion.gene == gene
    assert fusion.detail is not None
    assert in_detail in fusion.detail


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"type": "translocation/5'-5'"}, "head-to-head or tail-to-tail"),
        ({"type": "deletion/read-through/3'-3'"}, "head-to-head or tail-to-tail"),
        ({"strand2(gene/fusion)": "+/-"}, "ABL1 transcribed antisense"),
        (
            {
                "strand1(gene/fusion)": "+/.",
                "strand2(gene/fusion)": "+/.",
                "direction2": "downstream",
            },
            "both partners 5' by gene strand and direction",
        ),
        (
            {"gene2": "ABL1(1234)", "strand1(gene/fusion)": "+/.", "strand2(gene/fusion)": "./."},
            "5'/3' order not predicted",
        ),
        (
            {"gene2": "GENEX(100),ABL1(2000)", "strand2(gene/fusion)": "./+"},
            "intergenic between GENEX (100 bp), ABL1 (2000 bp)",
        ),
        ({"gene2": ".", "strand2(gene/fusion)": "./+"}, "no gene at 9:133729451"),
    ],
    ids=[
        "head-to-head",
        "tail-to-tail",
        "antisense",
        "both-5prime",
        "order-unknown",
        "intergenic-two",
        "no-gene",
    ],
)
def test_arriba_rows_skipped(tmp_path: Path, change: dict[str, str], reason: str) -> None:
    path = arriba_file(tmp_path, {}, change)
    calls = read_fusion_calls(path)
    assert [a.gene for a in calls.alterations] == ["BCR::ABL1"]
    (skipped,) = calls.skipped
    assert skipped.startswith(f"{path}, line 3: ")
    assert reason in skipped


def test_arriba_bad_strand_field(tmp_path: Path) -> None:
    path = arriba_file(tmp_path, {}, {"strand1(gene/fusion)": "+"})
    with pytest.raises(InputError) as caught:
        read_fusion_calls(path)
    assert str(caught.value) == (
        f"{path}, line 3: strand1(gene/fusion) '+' is not gene/fusion strands "
        "(expected e.g. '+/+', '-/.', './-')"
    )


def test_arriba_columns_found_by_name(tmp_path: Path) -> None:
    """Older Arriba versions order the columns differently and lack some (e.g. v1.1)."""
    path = tmp_path / "fusions.tsv"
    path.write_text(
        "#gene1\tgene2\tstrand1(gene/fusion)\tstrand2(gene/fusion)\tbreakpoint1\tbreakpoint2"
        "\tsite1\tsite2\ttype\tdirection1\tdirection2\tsplit_reads1\tsplit_reads2"
        "\tdiscordant_mates\tconfidence\n"
        "BCR\tABL1\t+/+\t+/+\t22:23632600\t9:133729451\tsplice-site\tsplice-site"
        "\ttranslocation\tdownstream\tupstream\t4\t7\t0\tlow\n"
    )
    (fusion,) = read_fusions(path)
    assert fusion.gene == "BCR::ABL1"
    assert fusion.detail == (
        "Arriba 22:23632600 (splice-site) -> 9:133729451 (splice-site); translocation; "
        "split reads 4+7, discordant mates 0; confidence low; low-confidence call, kept "
        "unfiltered"
    )


# ----------------------------------------------------------------------------- simple TSV


@pytest.mark.parametrize(
    ("text", "genes", "details"),
    [
        ("fusion\nBCR::ABL1\nBCR--ABL1\nBCR-ABL1\nBCR/ABL1\n", ["BCR::ABL1"] * 4, None),
        ("Fusion\tsample\nEML4-ALK\tT1\n", ["EML4::ALK"], ["fusion TSV; sample=T1"]),
        ("gene1\tgene2\nBCR\tABL1\nABL1\tBCR\n", ["BCR::ABL1", "ABL1::BCR"], None),
        (
            "Gene1\tGene2\tbreakpoint1\tbreakpoint2\treads\n"
            "TMPRSS2\tERG\tchr21:41464551\tchr21:38366039\t.\n",
            ["TMPRSS2::ERG"],
            ["fusion TSV; breakpoint1=chr21:41464551; breakpoint2=chr21:38366039"],
        ),
        ("\n\nfusion\n\nBCR::ABL1\n\n", ["BCR::ABL1"], None),  # blank lines
        ("fusion\r\nBCR::ABL1\r\n", ["BCR::ABL1"], None),  # CRLF
        ("fusion\n", [], None),  # header only
    ],
    ids=[
        "spellings",
        "extra-column",
        "gene-columns",
        "breakpoints",
        "blank-lines",
        "crlf",
        "empty",
    ],
)
def test_simple_tsv(tmp_path: Path, text: str, genes: list[str], details: list[str] | None) -> None:
    path = tmp_path / "fusions.tsv"
    path.write_text(text)
    calls = read_fusion_calls(path)
    assert calls.format == "fusion-tsv"
    assert [a.gene for a in calls.alterations] == genes
    assert {a.source for a in calls.alterations} <= {"fusion-tsv"}
    if details is not None:
        assert [a.detail for a in calls.alterations] == details


# --------------------------------------------------------------------------------- errors


def input_error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        read_fusions(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.tsv"
    assert input_error(path) == f"{path}: fusion file not found"


def test_directory(tmp_path: Path) -> None:
    assert input_error(tmp_path) == f"{tmp_path}: is a directory, not a fusion file"


def test_compressed_file(tmp_path: Path) -> None:
    path = tmp_path / "fusions.tsv.gz"
    path.write_bytes(gzip.compress(b"fusion\nBCR::ABL1\n"))
    assert input_error(path).startswith(f"{path}: not a text file (byte 1 is not UTF-8)")


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "##comment only\n"],
    ids=["empty", "blank", "comments"],
)
def test_no_header(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fusions.tsv"
    path.write_text(text)
    assert input_error(path).startswith(f"{path}: no header line (expected the columns of")


def test_unknown_header_names_the_expected_columns(tmp_path: Path) -> None:
    path = tmp_path / "fusions.tsv"
    path.write_text("##source=somecaller\n#name\tleft\tright\nBCR::ABL1\tx\ty\n")
    message = input_error(path)
    assert message.startswith(
        f"{path}, line 2: unknown fusion file header (columns: name, left, right) "
        "(expected the columns of Arriba (#gene1, gene2, strand1(gene/fusion), "
    )
    for column in ("#FusionName", "LeftBreakpoint", "FusionGene", "'fusion'", "'gene1'"):
        assert column in message


def test_star_fusion_missing_column(tmp_path: Path) -> None:
    header, row = STAR_FUSION.read_text().splitlines()[:2]
    path = tmp_path / "star.tsv"
    keep = [i for i, column in enumerate(header.split("\t")) if column != "RightBreakpoint"]
    path.write_text(
        "\n".join("\t".join(line.split("\t")[i] for i in keep) for line in (header, row)) + "\n"
    )
    assert input_error(path).startswith(
        f"{path}, line 1: star-fusion header lacks column(s) RightBreakpoint (star-fusion needs "
    )


@pytest.mark.parametrize(
    ("source", "bad_row"),
    [
        (ARRIBA, "BCR\tABL1\t+/+"),
        (STAR_FUSION, "BCR--ABL1\t3\t4\textra" + "\tx" * 20),
        (PCGR, "BCR--ABL1\t22:23240712"),
    ],
    ids=["arriba", "star-fusion", "pcgr"],
)
def test_row_with_wrong_number_of_columns(tmp_path: Path, source: Path, bad_row: str) -> None:
    lines = source.read_text().splitlines()
    path = tmp_path / source.name
    path.write_text("\n".join([*lines[:2], bad_row, *lines[2:]]) + "\n")
    header_columns = len(lines[0].split("\t"))
    assert input_error(path) == (
        f"{path}, line 3: row has {len(bad_row.split(chr(9)))} columns, the header has "
        f"{header_columns} (fields must be separated by single tabs)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "fusion\nBCR-ABL1-X\n",
            "line 2: fusion 'BCR-ABL1-X' is not two gene symbols joined by ::, --, / or - "
            "(write fusions as 5'GENE::3'GENE)",
        ),
        (
            "FusionGene\tLeftBreakpoint\tRightBreakpoint\nBCR\t1:1\t2:2\n",
            "line 2: FusionGene 'BCR' is not two gene symbols",
        ),
        ("gene1\tgene2\nBCR\t.\n", "line 2: gene1 'BCR' / gene2 '.' are not two gene symbols"),
        ("fusion\tfusion\nBCR::ABL1\tX\n", "line 1: header names column(s) twice: fusion"),
    ],
    ids=["ambiguous-hyphens", "pcgr-one-gene", "gene-missing", "duplicate-column"],
)
def test_unreadable_values(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "fusions.tsv"
    path.write_text(text)
    assert input_error(path).startswith(f"{path}, {message}")
