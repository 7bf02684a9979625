"""read_maf: GDC / TCGA / vcf2maf MAF files into per-sample alleles (annotator/readers/maf.py)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.errors import InputError
from annotator.matcher import SampleAllele
from annotator.models import Alteration, VariantClass
from annotator.readers.maf import MafCounts, MafData, read_maf, splice_class
from annotator.rules.schema import GeneSpec
from tests.runs import run_json

DATA = Path(__file__).parent / "data"
VCF2MAF = DATA / "vcf2maf.test_output.vep_isoforms.grch37.maf"
VCF2MAF_SOURCE_VCF = DATA / "vcf2maf.test.grch37.vcf"  # the VCF that MAF was made from
TCGA_LAML = DATA / "maftools.tcga_laml.grch37.maf.gz"

#: Transcripts as in rules/genes.yaml (MANE Select).
TRANSCRIPTS = {
    "EGFR": ("ENST00000275493", "NM_005228.5"),
    "KRAS": ("ENST00000311936", "NM_004985.5"),
    "NRAS": ("ENST00000369535", "NM_002524.5"),
    "FLT3": ("ENST00000241453", "NM_004119.3"),
    "PIK3CA": ("ENST00000263967", "NM_006218.4"),
    "MET": ("ENST00000397752", "NM_000245.4"),
}


def gene(symbol: str, ensembl: str, refseq: str | None = None) -> GeneSpec:
    return GeneSpec(
        symbol=symbol,
        hgnc_id="HGNC:1",  # not read by the reader
        ensembl_transcript=ensembl,
        refseq_transcript=refseq,
        strand="+",
        sources=["test"],
    )


GENES = {symbol: gene(symbol, *ids) for symbol, ids in TRANSCRIPTS.items()}


def alterations(data: MafData, gene_symbol: str) -> list[tuple[str, Alteration]]:
    return [
        (sample, alteration)
        for sample in data.samples
        for allele in data.alleles[sample]
        for alteration in allele.alterations
        if alteration.gene == gene_symbol
    ]


def short(alteration: Alteration) -> str | None:
    return alteration.protein.short if alteration.protein is not None else None


# -------------------------------------------------------------------- vcf2maf output (VEP)


@pytest.fixture(scope="module")
def vcf2maf() -> MafData:
    return read_maf(VCF2MAF, GENES)


def test_vcf2maf_file_samples_build_counts(vcf2maf: MafData) -> None:
    assert vcf2maf.build == "GRCh37"
    assert vcf2maf.samples == ("TUMOR",)
    # 20 rows; in the gene table: 2 PIK3CA, 1 MET, 1 FLT3. The 'Unknown' IGR row is outside.
    # What TMB counts: 5 Frame_Shift_Del, 1 Frame_Shift_Ins, 2 In_Frame_Ins and 2 of the 3
    # Missense_Mutation rows; the third and the In_Frame_Del row fail FILTER (common_variant);
    # neither Splice_Site nor Splice_Region rows count.
    assert vcf2maf.counts == {
        "TUMOR": MafCounts(
            records=20, outside_rule_genes=16, unpadded_indels=0, nonsynonymous=10, filtered=2
        )
    }
    assert vcf2maf.notes == {"TUMOR": ()}
    assert [a.variant.record_index for a in vcf2maf.alleles["TUMOR"]] == list(range(1, 21))


def test_vcf2maf_rows_convert_back_to_the_vcf_they_came_from(vcf2maf: MafData) -> None:
    """vcf2maf.pl made this MAF from tests/data/vcf2maf.test.grch37.vcf, one row per record in
    order: MAF positions and '-' alleles, with the base from flanking_bps, give the VCF's POS,
    REF and the tumour's ALT again (indels, the multi-allelic APC records, the FLT3 ITD)."""
    records = [
        line.split("\t")
        for line in VCF2MAF_SOURCE_VCF.read_text().splitlines()
        if not line.startswith("#")
    ]
    alleles = vcf2maf.alleles["TUMOR"]
    assert len(records) == len(alleles)
    for record, allele in zip(records, alleles, strict=True):
        variant = allele.variant
        assert (variant.chrom, variant.pos, variant.ref) == (record[0], int(record[1]), record[3])
        assert variant.alt in record[4].split(",")
    # The multi-allelic APC records: the tumour allele of each (GT 0/2, 1/2, 0/1, 0/2).
    assert [(a.variant.ref, a.variant.alt) for a in alleles[12:16]] == [
        ("GAAGA", "GGA"),
        ("GAAGA", "GCA"),
        ("GAAGA", "G"),
        ("GAAGA", "GGA"),
    ]


def test_vcf2maf_pik3ca_e545k(vcf2maf: MafData) -> None:
    found = {short(a): a for _, a in alterations(vcf2maf, "PIK3CA")}
    assert set(found) == {"E545K", "E469delinsDK"}
    e545k = found["E545K"]
    assert e545k.variant_class is VariantClass.MISSENSE
    assert e545k.preferred
    assert e545k.transcript == "ENST00000263967"
    assert e545k.hgvsp == "p.Glu545Lys"
    assert e545k.hgvsc == "c.1633G>A"
    assert e545k.exon == 10
    assert e545k.source == "maf"
    variant = e545k.variant
    assert variant is not None
    assert (variant.chrom, variant.pos, variant.ref, variant.alt) == ("3", 178936091, "G", "A")
    assert variant.depth == 43  # t_depth
    assert variant.vaf == pytest.approx(22 / 43)  # t_alt_count / t_depth
    assert variant.record_index == 9
    assert variant.passed
    # In_Frame_Ins although HGVSp is a delins: the class comes from Variant_Classification.
    assert found["E469delinsDK"].variant_class is VariantClass.INFRAME_INSERTION


def test_vcf2maf_met_on_another_isoform_is_not_preferred(vcf2maf: MafData) -> None:
    ((_, met),) = alterations(vcf2maf, "MET")
    assert met.transcript == "ENST00000318493"  # not MANE ENST00000397752: D1028H = D1010H
    assert not met.preferred
    assert short(met) == "D1028H"
    assert met.variant_class is VariantClass.MISSENSE
    assert met.exon == 14


def test_vcf2maf_flt3_itd(vcf2maf: MafData) -> None:
    ((_, itd),) = alterations(vcf2maf, "FLT3")
    assert itd.variant_class is VariantClass.INFRAME_INSERTION
    assert itd.preferred
    assert short(itd) == "E604_F605insSPRGGNEYFYVDFREYEYDLKWE"
    assert itd.exon == 14
    variant = itd.variant
    assert variant is not None
    # MAF: 28608242-28608243, '-' > 69 bases; VCF: POS 28608242, REF A (from flanking_bps AAA).
    assert (variant.pos, variant.ref, len(variant.alt)) == (28608242, "A", 70)
    assert variant.alt.startswith("AACTCCCATTTGAG")


def test_vcf2maf_filter_column(vcf2maf: MafData) -> None:
    filtered = [a.variant.record_index for a in vcf2maf.alleles["TUMOR"] if not a.variant.passed]
    assert filtered == [12, 17]  # MAP3K1, CCND3: FILTER common_variant
    assert vcf2maf.alleles["TUMOR"][11].variant.filters == ("common_variant",)


def test_vcf2maf_splice_sites_from_hgvsc() -> None:
    genes = {
        "CHD1L": gene("CHD1L", "ENST00000369258"),
        "BAP1": gene("BAP1", "ENST00000460680"),
        "TP53": gene("TP53", "ENST00000269305"),
    }
    data = read_maf(VCF2MAF, genes)
    classes = {
        (a.gene, a.hgvsc): a.variant_class
        for allele in data.alleles["TUMOR"]
        for a in allele.alterations
    }
    assert classes[("CHD1L", "c.494+1G>A")] is VariantClass.SPLICE_DONOR
    assert classes[("BAP1", "c.1713_1729+5del")] is VariantClass.SPLICE_DONOR  # covers +1, +2
    assert classes[("BAP1", "c.1453_1459del")] is VariantClass.FRAMESHIFT
    assert classes[("BAP1", "c.37+8_38-30del")] is VariantClass.OTHER  # Splice_Region
    assert classes[("TP53", "c.375G>T")] is VariantClass.OTHER  # Splice_Region, p.T125=
    assert data.notes == {"TUMOR": ()}


# ---------------------------------------------------------------- older TCGA layout (maftools)


@pytest.fixture(scope="module")
def laml() -> MafData:
    return read_maf(TCGA_LAML, GENES)


def test_tcga_laml_samples_and_build(laml: MafData) -> None:
    assert laml.build == "GRCh37"  # NCBI_Build 37
    assert len(laml.samples) == 193
    assert laml.samples[:3] == ("TCGA-AB-2988", "TCGA-AB-2869", "TCGA-AB-3009")  # file order
    assert sum(c.records for c in laml.counts.values()) == 2207
    assert sum(len(alleles) for alleles in laml.alleles.values()) == 2207
    in_rule_genes = sum(c.records - c.outside_rule_genes for c in laml.counts.values())
    assert in_rule_genes == 2 + 52 + 8 + 15  # EGFR, FLT3, KRAS, NRAS (no PIK3CA, MET)
    assert laml.counts["TCGA-AB-2816"].records == len(laml.alleles["TCGA-AB-2816"])


def test_tcga_laml_flt3_d835y(laml: MafData) -> None:
    d835y = [(sample, a) for sample, a in alterations(laml, "FLT3") if short(a) == "D835Y"]
    assert len(d835y) == 10
    for _, alteration in d835y:
        assert alteration.variant_class is VariantClass.MISSENSE
        assert alteration.hgvsp == "p.Asp835Tyr"
        # No Transcript_ID column: assumed on the rules' transcript.
        assert alteration.preferred
        assert alteration.transcript is None
        assert alteration.source == "maf"
        variant = alteration.variant
        assert variant is not None
        assert (variant.chrom, variant.pos, variant.ref, variant.alt) == ("13", 28592642, "C", "A")
        assert variant.depth is None  # no t_depth / t_alt_count columns
    # The VAF from i_TumorVAF_WU, a percentage (TCGA-AB-2816: 27.21, TCGA-AB-2963: 13.8).
    vafs = {sample: a.variant.vaf for sample, a in d835y if a.variant is not None}
    assert vafs["TCGA-AB-2816"] == pytest.approx(0.2721)
    assert vafs["TCGA-AB-2963"] == pytest.approx(0.138)
    assert all(vaf is not None and 0.13 < vaf < 0.47 for vaf in vafs.values())


def test_tcga_laml_ras_hotspots(laml: MafData) -> None:
    nras = Counter(short(a) for _, a in alterations(laml, "NRAS"))
    assert nras == Counter(
        {"G13D": 5, "Q61H": 2, "Q61K": 2, "G12D": 3, "Q61R": 1, "Q61P": 1, "G12C": 1}
    )
    kras = Counter(short(a) for _, a in alterations(laml, "KRAS"))
    assert kras["G12D"] == 2
    assert kras["G12V"] == kras["G13D"] == kras["A146T"] == kras["Q61H"] == 1
    nras_g12d = {s for s, a in alterations(laml, "NRAS") if short(a) == "G12D"}
    assert nras_g12d == {"TCGA-AB-2887", "TCGA-AB-2952", "TCGA-AB-2984"}
    assert all(a.variant_class is VariantClass.MISSENSE for _, a in alterations(laml, "NRAS"))


def test_tcga_laml_idh1_is_outside_the_gene_table(laml: MafData) -> None:
    assert alterations(laml, "IDH1") == []
    allele = laml.alleles["TCGA-AB-2802"]
    idh1 = [a for a in allele if a.variant.pos == 209113112]
    assert len(idh1) == 1
    assert idh1[0].alterations == ()


def test_tcga_laml_indels_keep_maf_form_without_a_reference_base(laml: MafData) -> None:
    itds = {sample: a for sample, a in alterations(laml, "FLT3") if sample == "TCGA-AB-2830"}
    itd = itds["TCGA-AB-2830"]
    assert itd.variant_class is VariantClass.INFRAME_INSERTION
    # The older TCGA form 'p.604_605ins...' names no flanking residue: X, the unknown one.
    assert short(itd) == "X604_X605insSPRGGNEYFYVDFREYEYDLKWE"
    assert itd.hgvsp is not None
    assert itd.hgvsp.startswith("p.Xaa604_Xaa605insSerProArgGlyGly")
    variant = itd.variant
    assert variant is not None
    # The same ITD as the vcf2maf row above, but no flanking_bps: MAF form kept.
    assert (variant.pos, variant.ref) == (28608242, "-")
    assert variant.alt.startswith("ACTCCCATTTGAG")
    assert laml.counts["TCGA-AB-2830"].unpadded_indels >= 1
    assert sum(c.unpadded_indels for c in laml.counts.values()) == 204
    # Each sample's note counts its own rows (the file's 204 were told to every sample).
    for sample, counts in laml.counts.items():
        told = [note for note in laml.notes[sample] if "kept in MAF form" in note]
        expected = f"{counts.unpadded_indels} indel row(s) of this sample kept in MAF form"
        assert [expected in note for note in told] == [True] * bool(counts.unpadded_indels)


def test_tcga_laml_notes(laml: MafData) -> None:
    """Each sample is told of its own rows only: TCGA-AB-2933, with none of the file's three
    FLT3 Splice_Site rows, was told of all three, and of the 77 rule-gene rows of the file."""
    in_rule_genes = {
        sample: sum(bool(allele.alterations) for allele in laml.alleles[sample])
        for sample in laml.samples
    }
    assert sum(in_rule_genes.values()) == 77
    for sample, count in in_rule_genes.items():
        assumed = [note for note in laml.notes[sample] if "no Transcript_ID column" in note]
        assert assumed == [
            f"{TCGA_LAML}: the file has no Transcript_ID column; the protein changes of this "
            f"sample's {count} row(s) in rule genes are assumed to be on the rules' "
            "(canonical) transcripts"
        ] * bool(count)
    splice = {
        sample: [note for note in notes if "Splice_Site" in note]
        for sample, notes in laml.notes.items()
    }
    assert sum(len(notes) for notes in splice.values()) == 3  # FLT3, no HGVSc
    assert splice["TCGA-AB-2933"] == []
    flt3_splice_rows = {
        sample
        for sample, alteration in alterations(laml, "FLT3")
        if (alteration.unusable or "").startswith("Splice_Site row")
    }
    assert {sample for sample, notes in splice.items() if notes} == flt3_splice_rows
    (first,) = [notes[0] for notes in splice.values() if any("line 714:" in n for n in notes)]
    assert first == (
        f"{TCGA_LAML}, line 714: FLT3 Splice_Site: no HGVSc to tell a splice donor from an "
        "acceptor change; class 'other'"
    )
    classes = {a.variant_class for s, a in alterations(laml, "FLT3") if s == "TCGA-AB-2825"}
    assert classes == {VariantClass.OTHER}


# ------------------------------------------------------------------------- small MAFs

#: What TMB counts from a MAF, spelled out here (not imported from the code under test): the
#: GDC/vcf2maf classifications of the VCF TMB's consequences.
TMB_CLASSIFICATIONS = frozenset(
    {
        "Missense_Mutation",
        "Nonsense_Mutation",
        "Nonstop_Mutation",
        "Translation_Start_Site",
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "In_Frame_Del",
        "In_Frame_Ins",
    }
)

HEADER = (
    "Hugo_Symbol",
    "NCBI_Build",
    "Chromosome",
    "Start_Position",
    "End_Position",
    "Variant_Classification",
    "Reference_Allele",
    "Tumor_Seq_Allele1",
    "Tumor_Seq_Allele2",
    "Tumor_Sample_Barcode",
    "HGVSp_Short",
    "HGVSc",
    "Transcript_ID",
    "Exon_Number",
    "t_depth",
    "t_ref_count",
    "t_alt_count",
)
EGFR_L858R = {
    "Hugo_Symbol": "EGFR",
    "NCBI_Build": "GRCh38",
    "Chromosome": "chr7",
    "Start_Position": "55191822",
    "End_Position": "55191822",
    "Variant_Classification": "Missense_Mutation",
    "Reference_Allele": "T",
    "Tumor_Seq_Allele1": "T",
    "Tumor_Seq_Allele2": "G",
    "Tumor_Sample_Barcode": "S1",
    "HGVSp_Short": "p.L858R",
    "HGVSc": "c.2573T>G",
    "Transcript_ID": "ENST00000275493.7",
    "Exon_Number": "21/28",
    "t_depth": "100",
    "t_ref_count": "75",
    "t_alt_count": "25",
}


def write_maf(
    tmp_path: Path,
    *rows: dict[str, str],
    columns: tuple[str, ...] = HEADER,
    name: str = "test.maf",
) -> Path:
    lines = ["#version 2.4", "\t".join(columns)]
    lines += ["\t".join(row.get(column, "") for column in columns) for row in rows]
    path = tmp_path / name
    text = "\n".join(lines) + "\n"
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def only_allele(data: MafData) -> SampleAllele:
    ((allele,),) = data.alleles.values()
    return allele


@pytest.mark.parametrize("name", ["test.maf", "test.maf.gz"])
def test_small_maf_plain_or_gzip(tmp_path: Path, name: str) -> None:
    data = read_maf(write_maf(tmp_path, EGFR_L858R, name=name), GENES)
    assert data.build == "GRCh38"
    allele = only_allele(data)
    (egfr,) = allele.alterations
    assert (egfr.gene, short(egfr), egfr.preferred, egfr.exon) == ("EGFR", "L858R", True, 21)
    assert egfr.transcript == "ENST00000275493.7"  # preferred: the version is not compared
    assert allele.variant.record_index == 1
    assert (allele.variant.vaf, allele.variant.depth) == (0.25, 100)


def test_refseq_transcript_id_is_preferred(tmp_path: Path) -> None:
    row = EGFR_L858R | {"Transcript_ID": "NM_005228.4"}
    (egfr,) = only_allele(read_maf(write_maf(tmp_path, row), GENES)).alterations
    assert egfr.preferred


def test_empty_transcript_id_is_assumed_canonical_as_without_the_column(tmp_path: Path) -> None:
    """An empty Transcript_ID cell was read as another transcript (not preferred), listed as
    'annotated only on other transcripts (?)'; it is read as a file without the column is."""
    row = EGFR_L858R | {"Transcript_ID": "", "Exon_Number": ""}
    data = read_maf(write_maf(tmp_path, row), GENES)
    (egfr,) = only_allele(data).alterations
    assert (egfr.preferred, egfr.transcript) == (True, None)
    assert data.notes == {
        "S1": (
            f"{tmp_path / 'test.maf'}, line 3: EGFR: Transcript_ID is empty; its protein "
            "change is assumed to be on the rules' (canonical) transcript",
        )
    }


def test_depth_from_ref_and_alt_counts(tmp_path: Path) -> None:
    columns = tuple(c for c in HEADER if c != "t_depth")
    allele = only_allele(read_maf(write_maf(tmp_path, EGFR_L858R, columns=columns), GENES))
    assert (allele.variant.depth, allele.variant.vaf) == (100, 0.25)


@pytest.mark.parametrize("missing", ["NA", ".", ""])
def test_missing_counts_give_no_vaf(tmp_path: Path, missing: str) -> None:
    row = EGFR_L858R | {"t_depth": missing, "t_alt_count": missing}
    allele = only_allele(read_maf(write_maf(tmp_path, row), GENES))
    assert (allele.variant.depth, allele.variant.vaf) == (None, None)


@pytest.mark.parametrize(
    ("cell", "vaf"), [("19.83", 0.1983), ("100", 1.0), ("0", 0.0), ("NA", None)]
)
def test_vaf_from_the_washu_percentage_without_counts(
    tmp_path: Path, cell: str, vaf: float | None
) -> None:
    columns = (*HEADER[:10], "HGVSp_Short", "i_TumorVAF_WU")
    row = EGFR_L858R | {"i_TumorVAF_WU": cell}
    variant = only_allele(read_maf(write_maf(tmp_path, row, columns=columns), GENES)).variant
    assert variant.vaf == (None if vaf is None else pytest.approx(vaf))
    assert variant.depth is None


def test_counts_win_over_the_washu_percentage(tmp_path: Path) -> None:
    row = EGFR_L858R | {"i_TumorVAF_WU": "90"}  # t_alt_count 25 of t_depth 100
    path = write_maf(tmp_path, row, columns=(*HEADER, "i_TumorVAF_WU"))
    assert only_allele(read_maf(path, GENES)).variant.vaf == pytest.approx(0.25)


@pytest.mark.parametrize("cell", ["150", "-1", "high", "inf"])
def test_washu_percentage_out_of_range_names_the_line(tmp_path: Path, cell: str) -> None:
    columns = (*HEADER[:10], "HGVSp_Short", "i_TumorVAF_WU")
    path = write_maf(tmp_path, EGFR_L858R | {"i_TumorVAF_WU": cell}, columns=columns)
    with pytest.raises(InputError) as caught:
        read_maf(path, GENES)
    assert str(caught.value) == (
        f"{path}, line 3: i_TumorVAF_WU {cell!r} is not a percentage (0-100)"
    )


def test_alt_count_above_depth_gives_no_vaf_and_a_note(tmp_path: Path) -> None:
    data = read_maf(write_maf(tmp_path, EGFR_L858R | {"t_alt_count": "120"}), GENES)
    assert only_allele(data).variant.vaf is None
    assert data.notes == {
        "S1": (f"{tmp_path / 'test.maf'}, line 3: t_alt_count 120 exceeds the depth 100; no VAF",)
    }


def test_tumor_allele1_when_allele2_is_the_reference(tmp_path: Path) -> None:
    row = EGFR_L858R | {"Tumor_Seq_Allele1": "G", "Tumor_Seq_Allele2": "T"}
    assert only_allele(read_maf(write_maf(tmp_path, row), GENES)).variant.alt == "G"


def test_rows_outside_the_rule_genes_are_counted_not_kept_unless_asked(tmp_path: Path) -> None:
    """The annotator keeps no allele of a row outside the rule genes but those its predicate
    takes (the genomic rules' alleles): each row is still read, checked and counted, the one
    failing FILTER included, so a project MAF's millions of other rows are not held."""
    outside = EGFR_L858R | {"Hugo_Symbol": "Unknown", "Variant_Classification": "IGR"}
    failing = outside | {"FILTER": "common_variant", "Start_Position": "55191823"}
    failing["End_Position"] = "55191823"
    path = write_maf(tmp_path, outside, failing, EGFR_L858R, columns=(*HEADER, "FILTER"))
    every = read_maf(path, GENES)
    none = read_maf(path, GENES, keep_outside=lambda _variant: False)
    some = read_maf(path, GENES, keep_outside=lambda variant: variant.filters == ())
    assert every.counts == none.counts == some.counts
    assert every.counts["S1"] == MafCounts(
        records=3, outside_rule_genes=2, nonsynonymous=1, filtered=1
    )
    assert [a.variant.record_index for a in every.alleles["S1"]] == [1, 2, 3]
    assert [a.variant.record_index for a in none.alleles["S1"]] == [3]
    assert [a.variant.record_index for a in some.alleles["S1"]] == [1, 3]
    bad = outside | {"Start_Position": "five"}
    with pytest.raises(InputError, match=r"line 4: Start_Position 'five'"):
        read_maf(write_maf(tmp_path, EGFR_L858R, bad), GENES, keep_outside=lambda _v: False)


GENOMIC_RULE = """
rules:
  - id: EGFR-T790M-GENOMIC-TEST
    gene: EGFR
    alteration:
      genomic:
        GRCh37: [{chrom: "7", pos: 55249071, ref: C, alt: T}]
        GRCh38: [{chrom: chr7, pos: 55181378, ref: C, alt: T}]
    tumor_types: {include: [NSCLC]}
    effect: resistance
    therapies: [gefitinib]
    evidence_level: D
    citations: ["PMID:15737014"]
    examples: [{alteration: "chr7:55181378:C:T@GRCh38", tumor_type: LUAD}]
"""


@pytest.mark.parametrize(
    ("build", "chrom", "position"), [("GRCh38", "chr7", "55181378"), ("GRCh37", "7", "55249071")]
)
def test_a_row_outside_the_rule_genes_at_a_genomic_rule_allele_is_kept(
    tmp_path: Path, build: str, chrom: str, position: str
) -> None:
    """A row whose Hugo_Symbol is not in the gene table is kept when it lies at a genomic
    rule's allele (of either build: the MAF's build is known only once it is read), and the
    rule fires on it."""
    rules = tmp_path / "genomic.yaml"
    rules.write_text(GENOMIC_RULE, encoding="utf-8")
    row = EGFR_L858R | {
        "Hugo_Symbol": "Unknown",
        "Variant_Classification": "IGR",
        "NCBI_Build": build,
        "Chromosome": chrom,
        "Start_Position": position,
        "End_Position": position,
        "Reference_Allele": "C",
        "Tumor_Seq_Allele1": "C",
        "Tumor_Seq_Allele2": "T",
    }
    elsewhere = row | {"Start_Position": "1000", "End_Position": "1000"}
    data = run_json(write_maf(tmp_path, elsewhere, row), rule_paths=(rules,))
    assert [f["rule_id"] for f in data["findings"]] == ["EGFR-T790M-GENOMIC-TEST"]
    assert data["summary"]["records"] == 2


def test_unknown_symbol_is_outside_rule_genes(tmp_path: Path) -> None:
    row = EGFR_L858R | {"Hugo_Symbol": "Unknown", "Variant_Classification": "IGR"}
    data = read_maf(write_maf(tmp_path, row, EGFR_L858R), GENES)
    assert data.counts == {"S1": MafCounts(records=2, outside_rule_genes=1, nonsynonymous=1)}
    assert [len(a.alterations) for a in data.alleles["S1"]] == [0, 1]


def test_samples_in_file_order(tmp_path: Path) -> None:
    rows = [EGFR_L858R | {"Tumor_Sample_Barcode": name} for name in ("B", "A", "B", "C")]
    data = read_maf(write_maf(tmp_path, *rows), GENES)
    assert data.samples == ("B", "A", "C")
    assert [a.variant.record_index for a in data.alleles["B"]] == [1, 3]
    assert data.counts["B"].records == 2


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("37", "GRCh37"),
        ("GRCh37", "GRCh37"),
        ("hg19", "GRCh37"),
        ("38", "GRCh38"),
        ("GRCh38", "GRCh38"),
        ("hg38", "GRCh38"),
        ("", None),
    ],
)
def test_build_names(tmp_path: Path, name: str, build: str | None) -> None:
    data = read_maf(write_maf(tmp_path, EGFR_L858R | {"NCBI_Build": name}), GENES)
    assert data.build == build


def test_no_build_column(tmp_path: Path) -> None:
    columns = tuple(c for c in HEADER if c != "NCBI_Build")
    assert read_maf(write_maf(tmp_path, EGFR_L858R, columns=columns), GENES).build is None


@pytest.mark.parametrize(
    ("classification", "expected"),
    [
        ("Missense_Mutation", VariantClass.MISSENSE),
        ("Nonsense_Mutation", VariantClass.NONSENSE),
        ("Frame_Shift_Del", VariantClass.FRAMESHIFT),
        ("Frame_Shift_Ins", VariantClass.FRAMESHIFT),
        ("In_Frame_Del", VariantClass.INFRAME_DELETION),
        ("In_Frame_Ins", VariantClass.INFRAME_INSERTION),
        ("Translation_Start_Site", VariantClass.START_LOST),
        ("Silent", VariantClass.SYNONYMOUS),
        ("Nonstop_Mutation", VariantClass.OTHER),
        ("Splice_Region", VariantClass.OTHER),
        ("3'UTR", VariantClass.OTHER),
    ],
)
def test_variant_classification(
    tmp_path: Path, classification: str, expected: VariantClass
) -> None:
    row = EGFR_L858R | {"Variant_Classification": classification}
    (egfr,) = only_allele(read_maf(write_maf(tmp_path, row), GENES)).alterations
    assert egfr.variant_class is expected


@pytest.mark.parametrize(
    ("hgvsc", "expected"),
    [
        ("c.494+1G>A", VariantClass.SPLICE_DONOR),
        ("c.494+2T>C", VariantClass.SPLICE_DONOR),
        ("ENST00000275493.7:c.494+1G>A", VariantClass.SPLICE_DONOR),
        ("c.1713_1729+5del", VariantClass.SPLICE_DONOR),
        ("c.1729+1_1729+10del", VariantClass.SPLICE_DONOR),
        ("c.1730-2A>G", VariantClass.SPLICE_ACCEPTOR),
        ("c.1730-1G>T", VariantClass.SPLICE_ACCEPTOR),
        ("c.1730-5_1730del", VariantClass.SPLICE_ACCEPTOR),
        ("c.1730-1_1730+1del", VariantClass.OTHER),  # a one-base exon: both sites
        ("c.1729+3A>G", VariantClass.OTHER),
        ("c.1730-3C>G", VariantClass.OTHER),
        ("c.1729G>A", VariantClass.OTHER),  # last exon base: splice region, no intron change
        ("c.95_105del", VariantClass.OTHER),
        ("n.100+1G>A", VariantClass.OTHER),
        (None, VariantClass.OTHER),
    ],
)
def test_splice_class(hgvsc: str | None, expected: VariantClass) -> None:
    variant_class, reason = splice_class(hgvsc)
    assert variant_class is expected
    assert (reason is None) == (expected is not VariantClass.OTHER)


def test_splice_site_row_without_hgvsc(tmp_path: Path) -> None:
    row = EGFR_L858R | {"Variant_Classification": "Splice_Site", "HGVSc": ""}
    data = read_maf(write_maf(tmp_path, row), GENES)
    (egfr,) = only_allele(data).alterations
    assert egfr.variant_class is VariantClass.OTHER
    assert data.notes == {
        "S1": (
            f"{tmp_path / 'test.maf'}, line 3: EGFR Splice_Site: no HGVSc to tell a splice "
            "donor from an acceptor change; class 'other'",
        )
    }
    # Reported as unclassified (a splice change may be a loss of function), not left out.
    assert egfr.unusable == (
        "Splice_Site row: no HGVSc to tell a splice donor from an acceptor change"
    )


def test_splice_site_row_with_hgvsc(tmp_path: Path) -> None:
    row = EGFR_L858R | {"Variant_Classification": "Splice_Site", "HGVSc": "c.2184+1G>T"}
    (egfr,) = only_allele(read_maf(write_maf(tmp_path, row), GENES)).alterations
    assert (egfr.variant_class, egfr.unusable) == (VariantClass.SPLICE_DONOR, None)
    row |= {"HGVSc": "c.2184+5G>T"}
    path = write_maf(tmp_path, row, name="deep.maf")
    (egfr,) = only_allele(read_maf(path, GENES)).alterations
    assert (egfr.variant_class, egfr.unusable) == (
        VariantClass.OTHER,
        "Splice_Site row: HGVSc 'c.2184+5G>T' is not on intron position +1/+2 or -1/-2",
    )


def test_brca2_splice_site_row_without_hgvsc_is_listed_unclassified(tmp_path: Path) -> None:
    """End to end: a BRCA2 Splice_Site row of an older MAF (no HGVSc) cannot be told a donor
    or acceptor change, so no PARP-inhibitor rule takes it, and it is listed as unclassified
    with the reason (before, only an input note said so)."""
    row = EGFR_L858R | {
        "Hugo_Symbol": "BRCA2",
        "NCBI_Build": "GRCh38",
        "Chromosome": "chr13",
        "Start_Position": "32316527",
        "End_Position": "32316527",
        "Variant_Classification": "Splice_Site",
        "Reference_Allele": "G",
        "Tumor_Seq_Allele1": "G",
        "Tumor_Seq_Allele2": "A",
        "HGVSp_Short": "",
    }
    out = tmp_path / "out.json"
    maf = write_maf(tmp_path, row, columns=(*HEADER[:10], "HGVSp_Short"))  # the older layout
    assert main(["annotate", str(maf), "--tumor-type", "OVT", "--out-json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["findings"] == []
    assert [(u["gene"], u["reason"]) for u in data["unclassified"]] == [
        ("BRCA2", "Splice_Site row: no HGVSc to tell a splice donor from an acceptor change")
    ]


def test_protein_change_column_of_old_tcga_mafs(tmp_path: Path) -> None:
    columns = (*HEADER[:10], "Protein_Change")
    row = EGFR_L858R | {"Protein_Change": "p.L858R"}
    data = read_maf(write_maf(tmp_path, row, columns=columns), GENES)
    (egfr,) = only_allele(data).alterations
    assert (short(egfr), egfr.preferred, egfr.transcript) == ("L858R", True, None)
    assert "no Transcript_ID column" in data.notes["S1"][0]


def test_older_tcga_forms_are_read_in_protein_change_only(tmp_path: Path) -> None:
    """The older TCGA forms (here the TCGA LAML MAF's FLT3-ITD row at 13:28608255) are read
    from Protein_Change; the same text in HGVSp_Short is not HGVS and is left unread."""
    itd = EGFR_L858R | {
        "Hugo_Symbol": "FLT3",
        "Chromosome": "13",
        "Start_Position": "28608255",
        "End_Position": "28608256",
        "Variant_Classification": "In_Frame_Ins",
        "Reference_Allele": "-",
        "Tumor_Seq_Allele1": "-",
        "Tumor_Seq_Allele2": "ATCATATTCATATTCTCTGAA",
        "HGVSp_Short": "",
        "Protein_Change": "p.599_600insDFREYEY",
    }
    columns = (*HEADER[:10], "HGVSp_Short", "Protein_Change")
    (flt3,) = only_allele(read_maf(write_maf(tmp_path, itd, columns=columns), GENES)).alterations
    assert (short(flt3), flt3.variant_class) == (
        "X599_X600insDFREYEY",
        VariantClass.INFRAME_INSERTION,
    )
    as_hgvsp = itd | {"HGVSp_Short": "p.599_600insDFREYEY", "Protein_Change": ""}
    path = write_maf(tmp_path, as_hgvsp, columns=columns, name="hgvsp.maf")
    (flt3,) = only_allele(read_maf(path, GENES)).alterations
    assert flt3.protein is None
    assert flt3.hgvsp == "p.599_600insDFREYEY"


@pytest.mark.parametrize(
    ("classification", "change"),
    [
        ("In_Frame_Ins", "p.601_602insQRI*I*F"),  # TCGA LAML, FLT3 13:28608254
        ("In_Frame_Ins", "p.Y601_D602insQRI*"),
        ("Missense_Mutation", "p.D600delinsR*"),
    ],
)
def test_class_and_protein_change_that_disagree_are_unusable(
    tmp_path: Path, classification: str, change: str
) -> None:
    """An in-frame class whose protein change puts a stop among the new residues: the two
    contradict each other, so neither is taken (an FLT3-ITD rule must not fire on it, nor is
    it a truncation); the reason is kept for the unclassified list."""
    row = EGFR_L858R | {
        "Hugo_Symbol": "FLT3",
        "Variant_Classification": classification,
        "HGVSp_Short": "",
        "Protein_Change": change,
    }
    columns = (*HEADER[:10], "HGVSp_Short", "Protein_Change")
    (flt3,) = only_allele(read_maf(write_maf(tmp_path, row, columns=columns), GENES)).alterations
    assert (flt3.variant_class, flt3.protein, flt3.hgvsp) == (VariantClass.OTHER, None, change)
    assert flt3.unusable == (
        f"Variant_Classification {classification} and protein change {change!r} disagree: "
        "its new residues hold a stop; check the annotation"
    )
    consistent = row | {"Variant_Classification": "Nonsense_Mutation"}
    path = write_maf(tmp_path, consistent, columns=columns, name="nonsense.maf")
    (flt3,) = only_allele(read_maf(path, GENES)).alterations
    assert (flt3.variant_class, flt3.unusable) == (VariantClass.NONSENSE, None)
    assert flt3.protein is not None


def test_hgvsp_when_hgvsp_short_is_empty(tmp_path: Path) -> None:
    columns = (*HEADER, "HGVSp")
    row = EGFR_L858R | {"HGVSp_Short": "", "HGVSp": "p.Leu858Arg"}
    (egfr,) = only_allele(read_maf(write_maf(tmp_path, row, columns=columns), GENES)).alterations
    assert short(egfr) == "L858R"


@pytest.mark.parametrize(
    ("start", "ref", "alt", "flanking", "expected", "padded"),
    [
        # deletion of A at 101: the base before it (100) is flanking[1]
        ("101", "A", "-", "CTAG", (100, "TA", "T"), True),
        # insertion after 100: Start_Position 100 is the base before it
        ("100", "-", "GG", "CTA", (100, "T", "TGG"), True),
        # complex, lengths and first bases differ: padded as maf2vcf.pl does
        ("101", "AAGA", "GA", "CGAAGAG", (100, "GAAGA", "GGA"), True),
        # no flanking_bps: MAF form kept for indels, a complex change is valid VCF as it is
        ("101", "A", "-", "", (101, "A", "-"), False),
        ("100", "-", "GG", "", (100, "-", "GG"), False),
        ("101", "AAGA", "GA", "", (101, "AAGA", "GA"), True),
        # flanking_bps that does not hold Reference_Allele at its place is not used
        ("101", "A", "-", "CTCG", (101, "A", "-"), False),
        # SNV and MNV are VCF form already
        ("101", "A", "G", "", (101, "A", "G"), True),
        ("101", "AG", "CT", "", (101, "AG", "CT"), True),
    ],
)
def test_maf_to_vcf_alleles(
    tmp_path: Path,
    start: str,
    ref: str,
    alt: str,
    flanking: str,
    expected: tuple[int, str, str],
    padded: bool,
) -> None:
    row = EGFR_L858R | {
        "Start_Position": start,
        "End_Position": start,
        "Reference_Allele": ref,
        "Tumor_Seq_Allele1": ref,
        "Tumor_Seq_Allele2": alt,
        "flanking_bps": flanking,
    }
    data = read_maf(write_maf(tmp_path, row, columns=(*HEADER, "flanking_bps")), GENES)
    variant = only_allele(data).variant
    assert (variant.pos, variant.ref, variant.alt) == expected
    assert data.counts["S1"].unpadded_indels == (0 if padded else 1)


# ------------------------------------------------------------------------------ errors


def test_missing_columns_are_named(tmp_path: Path) -> None:
    columns = tuple(c for c in HEADER if c not in ("Reference_Allele", "Tumor_Sample_Barcode"))
    with pytest.raises(InputError) as caught:
        read_maf(write_maf(tmp_path, EGFR_L858R, columns=columns), GENES)
    message = str(caught.value)
    assert "line 2" in message
    assert "lacks column(s) Reference_Allele, Tumor_Sample_Barcode" in message


def test_missing_both_tumor_allele_columns(tmp_path: Path) -> None:
    columns = tuple(c for c in HEADER if not c.startswith("Tumor_Seq_Allele"))
    with pytest.raises(InputError, match="Tumor_Seq_Allele1 or Tumor_Seq_Allele2"):
        read_maf(write_maf(tmp_path, EGFR_L858R, columns=columns), GENES)


def test_lower_case_column_names_are_read(tmp_path: Path) -> None:
    """Older TCGA MAFs write End_position (maftools' tcga_laml.maf.gz does)."""
    columns = tuple(c.lower() for c in HEADER)
    row = {c.lower(): v for c, v in EGFR_L858R.items()}
    assert read_maf(write_maf(tmp_path, row, columns=columns), GENES).samples == ("S1",)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("Start_Position", "55,191,822", "Start_Position '55,191,822' is not a position"),
        ("Start_Position", "0", "Start_Position '0' is not a position"),
        ("End_Position", "NA", "End_Position 'NA' is not a position"),
        ("t_alt_count", "many", "t_alt_count 'many' is not a read count"),
        ("t_depth", "12.5", "t_depth '12.5' is not a read count"),
        ("t_depth", "-3", "t_depth '-3' is not a read count"),
        ("Reference_Allele", "T/C", "Reference_Allele 'T/C' is not a DNA sequence"),
        ("Tumor_Seq_Allele2", "T", "no tumor allele differs from Reference_Allele 'T'"),
        ("Tumor_Sample_Barcode", "", "Tumor_Sample_Barcode is empty"),
        ("NCBI_Build", "36", "NCBI_Build '36' is not GRCh37 or GRCh38"),
    ],
)
def test_bad_values_name_path_and_line(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    path = write_maf(tmp_path, EGFR_L858R, EGFR_L858R | {field: value})
    with pytest.raises(InputError) as caught:
        read_maf(path, GENES)
    assert str(caught.value).startswith(f"{path}, line 4: {message}")


def test_two_builds_in_one_file(tmp_path: Path) -> None:
    path = write_maf(tmp_path, EGFR_L858R, EGFR_L858R | {"NCBI_Build": "37"})
    with pytest.raises(InputError) as caught:
        read_maf(path, GENES)
    assert str(caught.value).startswith(
        f"{path}, line 4: NCBI_Build '37' (GRCh37) differs from GRCh38 on line 3"
    )


def test_row_with_another_number_of_cells(tmp_path: Path) -> None:
    path = write_maf(tmp_path, EGFR_L858R)
    path.write_text(path.read_text() + "EGFR\t38\n")
    with pytest.raises(InputError, match="line 4: row has 2 tab-separated cells"):
        read_maf(path, GENES)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="MAF file not found"):
        read_maf(tmp_path / "absent.maf", GENES)


def test_header_only_and_empty_files(tmp_path: Path) -> None:
    data = read_maf(write_maf(tmp_path), GENES)
    assert (data.samples, data.build, data.notes) == ((), None, {})
    empty = tmp_path / "empty.maf"
    empty.write_text("#version 2.4\n")
    with pytest.raises(InputError, match="no MAF header line"):
        read_maf(empty, GENES)


@pytest.mark.parametrize("name", ["test.maf", "test.maf.gz"])
def test_byte_order_mark_is_dropped(tmp_path: Path, name: str) -> None:
    """A MAF saved from Excel starts with a UTF-8 byte-order mark: its first column was read
    as '\ufeffHugo_Symbol' ('MAF header lacks column(s) Hugo_Symbol')."""
    path = write_maf(tmp_path, EGFR_L858R, name=name)
    text = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    for start in (b"", b"#version 2.4\n"):  # before the header, or before a comment line
        body = start + text.split(b"\n", 1)[1]
        content = b"\xef\xbb\xbf" + body
        path.write_bytes(gzip.compress(content) if name.endswith(".gz") else content)
        (egfr,) = only_allele(read_maf(path, GENES)).alterations
        assert (egfr.gene, short(egfr)) == ("EGFR", "L858R")


def test_truncated_gzip(tmp_path: Path) -> None:
    path = write_maf(tmp_path, *[EGFR_L858R] * 50, name="test.maf.gz")
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(InputError, match="cannot read the gzip-compressed MAF file"):
        read_maf(path, GENES)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.maf"
    path.write_bytes(b"Hugo_Symbol\t\xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_maf(path, GENES)


def test_tmb_counts_passing_rows_of_the_coding_non_synonymous_classifications(
    tmp_path: Path,
) -> None:
    counted = sorted(TMB_CLASSIFICATIONS)
    left_out = ["Silent", "Splice_Site", "Splice_Region", "Intron", "3'UTR", "RNA", "IGR"]
    columns = (*HEADER, "FILTER")
    rows = [EGFR_L858R | {"Variant_Classification": name} for name in counted + left_out]
    rows += [
        EGFR_L858R | {"Tumor_Sample_Barcode": "S2", "FILTER": value}
        for value in ("PASS", ".", "", "common_variant", "PASS;panel_of_normals")
    ]
    data = read_maf(write_maf(tmp_path, *rows, columns=columns), GENES)
    assert data.counts["S1"].nonsynonymous == len(counted)
    assert data.counts["S2"].nonsynonymous == 3  # PASS, '.' and no FILTER pass


def test_rows_failing_filter_are_skipped_as_vcf_records_are(tmp_path: Path) -> None:
    """A MAF row failing FILTER is read as a VCF record failing it: skipped and counted by
    default (it used to fire rules and make therapy calls), annotated with its FILTER shown
    under --include-filtered, and listed as a near miss under --explain."""
    columns = (*HEADER, "FILTER")
    kras_g12c = EGFR_L858R | {
        "Hugo_Symbol": "KRAS",
        "Chromosome": "chr12",
        "Start_Position": "25245351",
        "End_Position": "25245351",
        "Reference_Allele": "C",
        "Tumor_Seq_Allele1": "C",
        "Tumor_Seq_Allele2": "A",
        "HGVSp_Short": "p.G12C",
        "HGVSc": "c.34G>T",
        "Transcript_ID": "ENST00000311936.8",
        "Exon_Number": "2/6",
    }
    rows = [
        EGFR_L858R | {"FILTER": "PASS"},
        kras_g12c | {"FILTER": "panel_of_normals"},
        EGFR_L858R | {"Hugo_Symbol": "NOTAGENE", "FILTER": "common_variant"},
    ]
    maf = write_maf(tmp_path, *rows, columns=columns)

    default = run_json(maf, "LUAD")
    assert [finding["gene"] for finding in default["findings"]] == ["EGFR"]
    assert {call["therapy"] for call in default["therapy_calls"]}.isdisjoint(
        {"sotorasib", "adagrasib"}
    )
    summary = default["summary"]
    assert (summary["records"], summary["skipped_filtered"]) == (3, 2)
    assert (summary["alleles_annotated"], summary["alleles_in_rule_genes"]) == (1, 1)
    assert summary["skipped_filtered_in_rule_genes"] == 1  # KRAS; NOTAGENE is no rule gene
    assert summary["skipped_filtered_in_rule_genes_by_filter"] == {"panel_of_normals": 1}

    kept = run_json(maf, "LUAD", include_filtered=True)
    kras = [finding for finding in kept["findings"] if finding["gene"] == "KRAS"]
    assert kras
    assert all(f["variant"]["filters"] == ["panel_of_normals"] for f in kras)
    assert kept["summary"]["skipped_filtered"] == 0
    assert {"sotorasib", "adagrasib"} <= {call["therapy"] for call in kept["therapy_calls"]}

    explained = run_json(maf, "LUAD", explain=True)
    assert [finding["gene"] for finding in explained["findings"]] == ["EGFR"]
    aside = [miss for miss in explained["near_misses"] if miss["reason"] == "filtered"]
    assert {miss["gene"] for miss in aside} == {"KRAS"}
    assert all("FILTER panel_of_normals" in miss["detail"] for miss in aside)
