"""Fusions from VCF breakends and symbolic SV alleles (annotator/structural.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.errors import UsageError
from annotator.models import VariantClass
from annotator.rules.schema import GeneSpec
from annotator.structural import (
    Breakend,
    find_breakend_fusions,
    fusions_from_breakends,
    pair_breakends,
)

DATA = Path(__file__).parent / "data"


def gene(symbol: str, strand: str, **spans: tuple[str, int, int]) -> GeneSpec:
    return GeneSpec.model_validate(
        {
            "symbol": symbol,
            "hgnc_id": "HGNC:1",
            "ensembl_transcript": "ENST00000000001",
            "strand": strand,
            "spans": {
                build: {"chrom": chrom, "start": start, "end": end}
                for build, (chrom, start, end) in spans.items()
            },
            "sources": ["test"],
        }
    )


# Made-up genes on chromosomes 1 and 2 of GRCh38, for every strand combination.
TOY_GENES = {
    spec.symbol: spec
    for spec in (
        gene("PLUSA", "+", GRCh38=("1", 1000, 2000)),
        gene("PLUSB", "+", GRCh38=("1", 5000, 6000)),
        gene("MINUSC", "-", GRCh38=("1", 10000, 11000)),
        gene("MINUSD", "-", GRCh38=("1", 15000, 16000)),
        gene("PLUSE", "+", GRCh38=("2", 1000, 2000)),
        gene("MINUSF", "-", GRCh38=("2", 5000, 6000)),
    )
}

# Spans and strands as in rules/genes.yaml (from /work/shared/data/reference/gene_spans.tsv):
# BCR and ABL1 are both on the + strand; ALK is on the - strand.
REAL_GENES = {
    spec.symbol: spec
    for spec in (
        gene("BCR", "+", GRCh37=("22", 23521891, 23660224), GRCh38=("22", 23179704, 23318037)),
        gene("ABL1", "+", GRCh37=("9", 133588403, 133763062), GRCh38=("9", 130713016, 130887675)),
        gene("ALK", "-", GRCh37=("2", 29415640, 30144452), GRCh38=("2", 29192774, 29921586)),
    )
}


def bnd(
    chrom: str,
    pos: int,
    alt: str,
    record_id: str | None = None,
    mate_id: str | None = None,
    index: int = 1,
    end: int | None = None,
) -> Breakend:
    return Breakend(chrom, pos, alt, record_id, mate_id, index, end)


def fusion_names(records: list[Breakend], genes: dict[str, GeneSpec] = TOY_GENES) -> list[str]:
    return [a.gene for a in fusions_from_breakends(records, genes, "GRCh38")]


# -------------------------------------------------------------- the four breakend ALT forms


@pytest.mark.parametrize(
    ("chrom", "pos", "alt", "expected"),
    [
        # t[p[ : this side's left part, then the mate's right part
        ("1", 1500, "N[2:1500[", ["PLUSA::PLUSE"]),
        ("1", 10500, "N[2:1500[", []),  # MINUSC keeps its 3' part, PLUSE too: tail-to-tail
        ("1", 10500, "N[2:5500[", ["MINUSF::MINUSC"]),
        # t]p] : this side's left part, then the mate's left part reverse-complemented
        ("1", 1500, "N]2:1500]", []),  # both keep their 5' part: head-to-head
        ("1", 1500, "N]2:5500]", ["PLUSA::MINUSF"]),
        ("1", 10500, "N]2:1500]", ["PLUSE::MINUSC"]),
        # ]p]t : the mate's left part, then this side's right part
        ("1", 1500, "]2:1500]N", ["PLUSE::PLUSA"]),
        ("1", 1500, "]2:5500]N", []),
        ("1", 10500, "]2:5500]N", ["MINUSC::MINUSF"]),
        # [p[t : the mate's right part reverse-complemented, then this side's right part
        ("1", 1500, "[2:1500[N", []),  # both keep their 3' part: tail-to-tail
        ("1", 1500, "[2:5500[N", ["MINUSF::PLUSA"]),
        ("1", 10500, "[2:1500[N", ["MINUSC::PLUSE"]),
        # chr prefix on either side, inserted bases
        ("chr1", 1500, "NACGT[chr2:1500[", ["PLUSA::PLUSE"]),
    ],
)
def test_breakend_alt_forms(chrom: str, pos: int, alt: str, expected: list[str]) -> None:
    assert fusion_names([bnd(chrom, pos, alt)]) == expected


def test_fusion_alteration_fields() -> None:
    (alteration,) = fusions_from_breakends(
        [bnd("1", 1500, "NACG[2:1500[", "b1", index=7)], TOY_GENES, "GRCh38"
    )
    assert alteration.gene == "PLUSA::PLUSE"
    assert alteration.variant_class is VariantClass.OTHER
    assert alteration.event == "fusion"
    assert alteration.source == "vcf-sv"
    assert alteration.variant is None
    assert alteration.detail == (
        "VCF breakend record 7 (b1) (3 inserted bases): PLUSA 1:1500 joined to PLUSE 2:1500"
    )


# ------------------------------------------------------------------- symbolic SV alleles


@pytest.mark.parametrize(
    ("pos", "alt", "end", "expected"),
    [
        # deletion: POS joined to END+1
        (1500, "<DEL>", 5499, ["PLUSA::PLUSB"]),  # upstream + gene to downstream + gene
        (10500, "<DEL>", 15499, ["MINUSD::MINUSC"]),  # on the - strand the later gene is 5'
        (1500, "<DEL>", 10499, []),  # PLUSA and MINUSC both keep their 5' part
        (1500, "<DEL:ME:ALU>", 5499, ["PLUSA::PLUSB"]),
        # tandem duplication: END joined to POS+1
        (1499, "<DUP>", 5500, ["PLUSB::PLUSA"]),
        (1499, "<DUP:TANDEM>", 5500, ["PLUSB::PLUSA"]),
        (10499, "<DUP>", 15500, ["MINUSC::MINUSD"]),
        # inversion: POS joined to END, POS+1 to END+1: genes on opposite strands, reciprocal
        (1500, "<INV>", 10500, ["PLUSA::MINUSC", "MINUSC::PLUSA"]),
        (1500, "<INV>", 5500, []),
        # other symbolic alleles join nothing
        (1500, "<INS>", 5500, []),
        (1500, "<CNV>", 5500, []),
    ],
)
def test_symbolic_alleles(pos: int, alt: str, end: int, expected: list[str]) -> None:
    assert fusion_names([bnd("1", pos, alt, end=end)]) == expected


def test_symbolic_allele_without_end_is_noted() -> None:
    result = find_breakend_fusions([bnd("1", 1500, "<DEL>", "del1", index=3)], TOY_GENES, "GRCh38")
    assert result.alterations == ()
    assert result.notes == ("record 3 (del1) 1:1500: <DEL> without a usable END (None), skipped",)


def test_without_record_numbers_a_record_is_named_by_its_id_or_position() -> None:
    """When only the rule regions were read, record_index is no number in the file."""
    records = [
        bnd("1", 1500, "<DEL>", "del1", index=8589934593),
        bnd("1", 1600, "<DEL>", index=8589934594),
    ]
    result = find_breakend_fusions(records, TOY_GENES, "GRCh38", numbered=False)
    assert result.notes == (
        "del1 1:1500: <DEL> without a usable END (None), skipped",
        "1:1600: <DEL> without a usable END (None), skipped",
    )
    numbered = find_breakend_fusions(records, TOY_GENES, "GRCh38").notes
    assert numbered[1] == "record 8589934594 1:1600: <DEL> without a usable END (None), skipped"


def test_fusion_labels_without_record_numbers() -> None:
    pair = [
        bnd("1", 1500, "N[2:1500[", "bnd_a", "bnd_b", index=5),
        bnd("2", 1500, "]1:1500]N", "bnd_b", "bnd_a", index=6),
    ]
    deletion = [bnd("1", 1500, "<DEL>", index=7, end=5499)]
    labels = [
        fusion.detail
        for records in (pair, deletion)
        for fusion in find_breakend_fusions(
            records, TOY_GENES, "GRCh38", numbered=False
        ).alterations
    ]
    assert labels
    assert all("record" not in label for label in labels), labels
    assert any("bnd_a" in label and "bnd_b" in label for label in labels), labels


# ------------------------------------------------------------------------ why no fusion


@pytest.mark.parametrize(
    ("record", "note"),
    [
        (bnd("1", 1500, "N]2:1500]"), "both keep their 5' part (head-to-head)"),
        (bnd("1", 1500, "[2:1500[N"), "both keep their 3' part (tail-to-tail)"),
        (bnd("1", 1500, "N[1:1800["), "both ends in PLUSA, intragenic"),
        (bnd("1", 1500, "N[2:900000["), "only one end in a gene table gene (PLUSA)"),
        (bnd("1", 1500, "N."), "single breakend in PLUSA"),
        (bnd("1", 1500, "N[2:1500]"), "malformed breakend ALT"),
        (bnd("1", 1500, "[2:1500[N[2:1[N"), "is not a breakend or a symbolic SV allele"),
        (bnd("1", 1500, "N[<ctg1>:1["), "joined to assembly contig <ctg1>"),
    ],
)
def test_notes_say_why(record: Breakend, note: str) -> None:
    result = find_breakend_fusions([record], TOY_GENES, "GRCh38")
    assert result.alterations == ()
    assert len(result.notes) == 1
    assert note in result.notes[0]
    assert result.notes[0].startswith("record 1 1:1500: ")


@pytest.mark.parametrize(
    "record",
    [
        bnd("1", 500000, "N[2:900000["),  # no gene at either end
        bnd("1", 500000, "N."),
        bnd("1", 500000, "NACGT"),  # an insertion written out
        bnd("1", 500000, "<DEL>", end=600000),
    ],
)
def test_joins_outside_the_gene_table_are_silent(record: Breakend) -> None:
    assert find_breakend_fusions([record], TOY_GENES, "GRCh38") == find_breakend_fusions(
        [], TOY_GENES, "GRCh38"
    )


def test_unknown_build_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown genome build 'hg38'"):
        fusions_from_breakends([], TOY_GENES, "hg38")


def test_build_is_case_insensitive_and_chooses_the_spans() -> None:
    record = bnd("chr22", 23290413, "N[chr9:130854064[")
    assert [a.gene for a in fusions_from_breakends([record], REAL_GENES, "grch38")] == ["BCR::ABL1"]
    # The same positions on GRCh37 are outside both genes.
    assert fusions_from_breakends([record], REAL_GENES, "GRCh37") == []


# ------------------------------------------- BCR::ABL1, t(9;22), GRCh38 (fusor breakpoints)

# BCR exon 14 ends at 22:23290413 and ABL1 exon 2 starts at 9:130854064 (GRCh38; e14a2
# junction of cancervariants/fusor tests, see /work/shared/data/reference/gene_spans.tsv).
BCR_ABL1 = [
    bnd("chr22", 23290413, "N[chr9:130854064[", "bnd_1", "bnd_2", 1),
    bnd("chr9", 130854064, "]chr22:23290413]N", "bnd_2", "bnd_1", 2),
]
# The reciprocal junction on der(9): ABL1 up to intron 1, then BCR from intron 14.
ABL1_BCR = [
    bnd("chr9", 130854063, "N[chr22:23290414[", "bnd_3", "bnd_4", 3),
    bnd("chr22", 23290414, "]chr9:130854063]N", "bnd_4", "bnd_3", 4),
]


def without_mate_ids(records: list[Breakend]) -> list[Breakend]:
    return [Breakend(r.chrom, r.pos, r.alt, r.id, None, r.record_index) for r in records]


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (BCR_ABL1, ["BCR::ABL1"]),
        (BCR_ABL1[::-1], ["BCR::ABL1"]),  # the mate first
        (without_mate_ids(BCR_ABL1[:1]), ["BCR::ABL1"]),  # one record: the whole adjacency
        (without_mate_ids(BCR_ABL1[1:]), ["BCR::ABL1"]),
        (without_mate_ids(BCR_ABL1), ["BCR::ABL1"]),  # paired by position
        (ABL1_BCR, ["ABL1::BCR"]),
        (BCR_ABL1 + ABL1_BCR, ["BCR::ABL1", "ABL1::BCR"]),  # balanced translocation
        (without_mate_ids(ABL1_BCR + BCR_ABL1), ["ABL1::BCR", "BCR::ABL1"]),
    ],
    ids=[
        "mated",
        "mate-first",
        "chr22-only",
        "chr9-only",
        "no-mateid",
        "reciprocal",
        "balanced",
        "balanced-no-mateid",
    ],
)
def test_bcr_abl1(records: list[Breakend], expected: list[str]) -> None:
    result = find_breakend_fusions(records, REAL_GENES, "GRCh38")
    assert [a.gene for a in result.alterations] == expected
    assert result.notes == ()


def test_bcr_abl1_detail_names_both_records() -> None:
    (alteration,) = fusions_from_breakends(BCR_ABL1, REAL_GENES, "GRCh38")
    assert alteration.detail == (
        "VCF breakend record 1 (bnd_1)/record 2 (bnd_2): BCR 22:23290413 joined to ABL1 9:130854064"
    )


def test_bcr_abl1_grch37_arriba_breakpoints() -> None:
    # suhrig/arriba test/fusions.tsv: BCR 22:23632600 -> ABL1 9:133729451 (GRCh37).
    records = [bnd("22", 23632600, "G[9:133729451[", "a", "b", 1)]
    assert fusion_names(records, REAL_GENES) == []  # GRCh38 spans: no gene there
    assert [a.gene for a in fusions_from_breakends(records, REAL_GENES, "GRCh37")] == ["BCR::ABL1"]


def test_missing_mate_is_noted_and_the_alt_used() -> None:
    result = find_breakend_fusions(without_mate_ids(BCR_ABL1[:1]), REAL_GENES, "GRCh38")
    assert [a.gene for a in result.alterations] == ["BCR::ABL1"]
    assert result.notes == ()  # a lone record without MATEID is normal (DELLY): no note
    lone = [bnd("chr22", 23290413, "N[chr9:130854064[", "bnd_1", "bnd_9", 1)]
    result = find_breakend_fusions(lone, REAL_GENES, "GRCh38")
    assert [a.gene for a in result.alterations] == ["BCR::ABL1"]
    assert result.notes == (
        "record 1 (bnd_1) chr22:23290413: mate bnd_9 not in the input; "
        "the ALT's mate position used",
    )


def test_mate_that_does_not_join_back_is_not_paired() -> None:
    records = [BCR_ABL1[0], bnd("chr9", 130854064, "N]chr22:23290413]", "bnd_2", "bnd_1", 2)]
    assert pair_breakends(records) == [(records[0], None), (records[1], None)]
    result = find_breakend_fusions(records, REAL_GENES, "GRCh38")
    assert "mate bnd_2 does not join back" in result.notes[0]


def test_eml4_alk_style_inversion_with_a_minus_strand_gene() -> None:
    # ALK is on the - strand: an inversion putting a + strand gene's 5' part before ALK's
    # 3' part (as in EML4::ALK) joins the two left sides.
    genes = dict(REAL_GENES) | {"PARTNER": gene("PARTNER", "+", GRCh38=("2", 42000000, 42400000))}
    records = [bnd("2", 29223528, "N]2:42295516]", "x1", "x2", 1)]
    assert [a.gene for a in fusions_from_breakends(records, genes, "GRCh38")] == ["PARTNER::ALK"]


# ------------------------------------------------------------------------ real VCF files


def read_breakends(path: Path) -> list[Breakend]:
    """A tiny VCF text reader: one Breakend per ALT of each data record."""
    breakends: list[Breakend] = []
    index = 0
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        index += 1
        chrom, pos, record_id, _ref, alts, _qual, _filter, info = line.split("\t")[:8]
        fields = dict(item.partition("=")[::2] for item in info.split(";"))
        end = fields.get("END")
        for alt in alts.split(","):
            breakends.append(
                Breakend(
                    chrom,
                    int(pos),
                    alt,
                    None if record_id == "." else record_id,
                    fields.get("MATEID"),
                    index,
                    int(end) if end else None,
                )
            )
    return breakends


def test_bcftools_mated_breakends_with_inserted_sequence() -> None:
    records = read_breakends(DATA / "bcftools.norm.breakend.1.vcf")
    assert [(r.id, r.mate_id) for r in records] == [("bnd_V", "bnd_U"), ("bnd_U", "bnd_V")]
    assert pair_breakends(records) == [(records[0], records[1])]
    unnamed = without_mate_ids(records)
    assert pair_breakends(unnamed) == [(unnamed[0], unnamed[1])]
    # Contigs chrA/chrB are in no gene table.
    assert find_breakend_fusions(records, REAL_GENES, "GRCh38").alterations == ()


def test_delly_unmated_breakends_and_symbolic_alleles() -> None:
    records = read_breakends(DATA / "vcf2maf.test_delly.grch37.vcf")
    assert len(records) == 15
    # DELLY writes one record per translocation, without MATEID: each stands alone.
    pairs = pair_breakends(records)
    assert [(first.id, mate) for first, mate in pairs] == [
        ("BND00000094", None),
        ("BND00000083", None),
        ("BND00000075", None),
    ]
    for build in ("GRCh37", "GRCh38"):
        result = find_breakend_fusions(records, REAL_GENES, build)
        assert result.alterations == ()
        assert result.notes == ()
