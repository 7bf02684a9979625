"""Tests for annotator.consequence: SO terms → class from tests/data/consequence_cases.tsv,
realistic VEP CSQ, SnpEff ANN and bcftools BCSQ entries, and two public annotated VCFs read as
plain text (tests/data/SOURCES.md)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from annotator.consequence import (
    BCSQ_FIELDS,
    SNPEFF_ANN_FIELDS,
    AnnotationFormat,
    ConsequenceResolver,
    read_annotation_format,
    vep_alleles,
)
from annotator.consequence_terms import SEVERITY_ORDER, TERM_CLASSES, classify
from annotator.errors import InputError
from annotator.models import Alteration, Variant, VariantClass
from annotator.protein import try_parse_protein_change
from annotator.rules.schema import GeneSpec

DATA = Path(__file__).parent / "data"


def gene(symbol: str, ensembl: str, refseq: str | None, strand: str = "+") -> GeneSpec:
    return GeneSpec.model_validate(
        {
            "symbol": symbol,
            "hgnc_id": "HGNC:1",  # not read by the resolver
            "ensembl_transcript": ensembl,
            "refseq_transcript": refseq,
            "strand": strand,
            "sources": ["MANE Select v1.3"],
        }
    )


GENES = {
    spec.symbol: spec
    for spec in (
        gene("EGFR", "ENST00000275493", "NM_005228.5"),
        gene("KRAS", "ENST00000311936", "NM_004985.5", "-"),
        gene("BRCA2", "ENST00000380152", "NM_000059.4"),
        gene("MET", "ENST00000397752", "NM_000245.4"),
    )
}

CSQ_HEADER = (
    "Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|"
    "Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|Protein_position|Amino_acids|STRAND|"
    "CANONICAL|MANE_SELECT|ENSP"
)
CSQ_ALLELE_NUM_HEADER = (
    "Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|"
    "Feature_type|Feature|BIOTYPE|EXON|HGVSc|HGVSp|ALLELE_NUM|CANONICAL|MANE_SELECT"
)
ANN_HEADER = (
    "Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | "
    "Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | "
    "cDNA.pos / cDNA.length | CDS.pos / CDS.length | AA.pos / AA.length | Distance | "
    "ERRORS / WARNINGS / INFO' "
)
BCSQ_HEADER = (
    "Local consequence annotation from BCFtools/csq, see http://samtools.github.io/bcftools/"
    "howtos/csq-calling.html for details. Format: Consequence|gene|transcript|biotype|strand|"
    "amino_acid_change|dna_change"
)
FORMAT = read_annotation_format(
    {"CSQ": CSQ_HEADER, "ANN": ANN_HEADER, "BCSQ": BCSQ_HEADER}, "tumor.vcf"
)


def record(
    pos: int,
    ref: str,
    alts: str,
    alt_index: int = 0,
    *,
    chrom: str = "7",
    record_index: int = 1,
    **annotations: str,
) -> Variant:
    all_alts = tuple(alts.split(","))
    return Variant(
        chrom=chrom,
        pos=pos,
        ref=ref,
        alt=all_alts[alt_index],
        record_index=record_index,
        alt_index=alt_index,
        alts=all_alts,
        annotations=annotations,
    )


def resolve(
    variant: Variant, fmt: AnnotationFormat = FORMAT, genes: dict[str, GeneSpec] = GENES
) -> list[Alteration]:
    return ConsequenceResolver(fmt, genes).resolve(variant)


def summary(alterations: list[Alteration]) -> list[tuple[object, ...]]:
    return [
        (
            a.source,
            a.gene,
            a.transcript,
            a.preferred,
            a.variant_class.value,
            a.protein.short if a.protein else None,
            a.hgvsp,
            a.hgvsc,
            a.exon,
        )
        for a in alterations
    ]


# --- classify, table-driven ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    terms: tuple[str, ...]
    protein: str | None
    expected: VariantClass
    note: str


def read_cases() -> list[Case]:
    with (DATA / "consequence_cases.tsv").open(encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return [
            Case(
                terms=() if row["terms"] == "-" else tuple(row["terms"].split("&")),
                protein=None if row["protein"] == "-" else row["protein"],
                expected=VariantClass(row["expected"]),
                note=row["note"],
            )
            for row in rows
        ]


CASES = read_cases()


def test_the_table_has_enough_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=lambda c: "&".join(c.terms) + f" {c.protein}")
def test_classify(case: Case) -> None:
    protein = try_parse_protein_change(case.protein)
    assert case.protein is None or protein is not None, "the table's protein must parse"
    assert classify(case.terms, protein) is case.expected, case.note


def test_every_classified_term_is_ranked() -> None:
    assert set(TERM_CLASSES) <= set(SEVERITY_ORDER)
    assert len(set(SEVERITY_ORDER)) == len(SEVERITY_ORDER)


# --- header ----------------------------------------------------------------------------------


def test_read_annotation_format() -> None:
    assert FORMAT.csq_fields is not None
    assert FORMAT.csq_fields[:4] == ("Allele", "Consequence", "IMPACT", "SYMBOL")
    assert FORMAT.ann_fields == SNPEFF_ANN_FIELDS
    assert not FORMAT.ann_is_vep
    assert FORMAT.bcsq_fields == BCSQ_FIELDS
    assert FORMAT.present
    assert not read_annotation_format({"DP": "Read depth"}, "x.vcf").present


def test_csq_header_without_format_is_an_input_error() -> None:
    with pytest.raises(InputError) as error:
        read_annotation_format({"CSQ": "Consequence annotations from Ensembl VEP"}, "tumor.vcf")
    message = str(error.value)
    assert message.startswith("tumor.vcf: the INFO/CSQ header has no 'Format:'")
    assert "vep --vcf" in message
    assert error.value.path == "tumor.vcf"


def test_csq_format_without_symbol_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"lacks SYMBOL.*--symbol"):
        read_annotation_format(
            {"CSQ": "Consequence annotations from Ensembl VEP. Format: Allele|Consequence|Feature"},
            "tumor.vcf",
        )


def test_ann_header_with_another_field_count_is_an_input_error() -> None:
    with pytest.raises(InputError, match="lists 3 fields, not SnpEff's 16"):
        read_annotation_format({"ANN": "Functional annotations: 'Allele | Annotation | X'"}, "a")


def test_ann_written_by_vep_is_read_as_vep() -> None:
    fmt = read_annotation_format({"ANN": CSQ_HEADER}, "tumor.vcf")
    assert fmt.ann_is_vep
    variant = record(55181378, "C", "T", ANN=EGFR_T790M_CSQ)
    assert summary(resolve(variant, fmt))[0][:6] == (
        "VEP",
        "EGFR",
        "ENST00000275493",
        True,
        "missense",
        "T790M",
    )


def test_csq_values_without_a_csq_header_are_an_input_error() -> None:
    fmt = read_annotation_format({"BCSQ": BCSQ_HEADER}, "tumor.vcf")
    with pytest.raises(InputError, match="record 4: INFO/CSQ is present but the header"):
        resolve(record(55181378, "C", "T", record_index=4, CSQ=EGFR_T790M_CSQ), fmt)


# --- VEP CSQ ---------------------------------------------------------------------------------

EGFR_T790M_CSQ = ",".join(
    [
        "T|missense_variant|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000275493|"
        "protein_coding|20/28||ENST00000275493.7:c.2369C>T|ENSP00000275493.2:p.Thr790Met|790|T/M|"
        "1|YES|NM_005228.5|ENSP00000275493",
        "T|missense_variant|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000455089|"
        "protein_coding|19/26||ENST00000455089.5:c.2234C>T|ENSP00000415559.1:p.Thr745Met|745|T/M|"
        "1|||ENSP00000415559",
        "T|intron_variant&non_coding_transcript_variant|MODIFIER|EGFR-AS1|ENSG00000224057|"
        "Transcript|ENST00000442411|lncRNA||1/1|ENST00000442411.1:n.245-1203G>A||||-1|YES||",
        "T|regulatory_region_variant|MODIFIER|||RegulatoryFeature|ENSR00000212941|"
        "promoter_flanking_region||||||||||",
    ]
)


def test_vep_egfr_t790m() -> None:
    alterations = resolve(record(55181378, "C", "T", CSQ=EGFR_T790M_CSQ))
    assert summary(alterations) == [
        (
            "VEP",
            "EGFR",
            "ENST00000275493",
            True,
            "missense",
            "T790M",
            "p.Thr790Met",
            "c.2369C>T",
            20,
        ),
        (
            "VEP",
            "EGFR",
            "ENST00000455089",
            False,
            "missense",
            "T745M",
            "p.Thr745Met",
            "c.2234C>T",
            19,
        ),
    ]
    assert alterations[0].consequence_terms == ("missense_variant",)
    assert alterations[0].variant is not None
    assert alterations[0].variant.pos == 55181378


def test_vep_egfr_exon_19_deletion() -> None:
    csq = (
        "-|inframe_deletion|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000275493|"
        "protein_coding|19/28||ENST00000275493.7:c.2235_2249del|"
        "ENSP00000275493.2:p.Glu746_Ala750del|745-750|KELREA/K|1|YES|NM_005228.5|ENSP00000275493"
    )
    variant = record(55174771, "AGGAATTAAGAGAAGC", "A", CSQ=csq)
    assert summary(resolve(variant)) == [
        (
            "VEP",
            "EGFR",
            "ENST00000275493",
            True,
            "inframe_deletion",
            "E746_A750del",
            "p.Glu746_Ala750del",
            "c.2235_2249del",
            19,
        )
    ]


KRAS_G12D_CSQ = ",".join(
    [
        "T|missense_variant|MODERATE|KRAS|ENSG00000133703|Transcript|ENST00000256078|"
        "protein_coding|2/6||ENST00000256078.10:c.35G>A|ENSP00000256078.5:p.Gly12Asp|12|G/D|-1|||"
        "ENSP00000256078",
        "T|missense_variant|MODERATE|KRAS|ENSG00000133703|Transcript|ENST00000311936|"
        "protein_coding|2/5||ENST00000311936.8:c.35G>A|ENSP00000308495.3:p.Gly12Asp|12|G/D|-1|YES|"
        "NM_004985.5|ENSP00000308495",
    ]
)


def test_vep_kras_g12d_with_a_non_preferred_transcript() -> None:
    alterations = resolve(record(25245350, "C", "T", chrom="12", CSQ=KRAS_G12D_CSQ))
    assert [
        (a.transcript, a.preferred, a.protein.short if a.protein else None) for a in alterations
    ] == [
        ("ENST00000256078", False, "G12D"),
        ("ENST00000311936", True, "G12D"),
    ]


def test_protein_change_only_on_a_non_preferred_transcript_is_kept() -> None:
    only_other = KRAS_G12D_CSQ.split(",")[0]
    alterations = resolve(record(25245350, "C", "T", chrom="12", CSQ=only_other))
    assert summary(alterations) == [
        (
            "VEP",
            "KRAS",
            "ENST00000256078",
            False,
            "missense",
            "G12D",
            "p.Gly12Asp",
            "c.35G>A",
            2,
        )
    ]


def test_vep_brca2_frameshift() -> None:
    csq = (
        "-|frameshift_variant|HIGH|BRCA2|ENSG00000139618|Transcript|ENST00000380152|"
        "protein_coding|11/27||ENST00000380152.8:c.5946del|ENSP00000369497.3:p.Ser1982ArgfsTer22|"
        "1982|S/X|1|YES|NM_000059.4|ENSP00000369497"
    )
    [alteration] = resolve(record(32340300, "GT", "G", chrom="13", CSQ=csq))
    assert alteration.variant_class is VariantClass.FRAMESHIFT
    assert alteration.protein is not None
    assert alteration.protein.short == "S1982Rfs*22"
    assert alteration.preferred


def test_vep_splice_donor_without_hgvsp() -> None:
    csq = (
        "A|splice_donor_variant|HIGH|MET|ENSG00000105976|Transcript|ENST00000397752|"
        "protein_coding||14/20|ENST00000397752.8:c.3028+1G>A||||1|YES|NM_000245.4|"
        "ENSP00000380860"
    )
    assert summary(resolve(record(116771990, "G", "A", CSQ=csq))) == [
        ("VEP", "MET", "ENST00000397752", True, "splice_donor", None, None, "c.3028+1G>A", None)
    ]


def test_vep_percent_encoded_synonymous() -> None:
    csq = (
        "A|synonymous_variant|LOW|EGFR|ENSG00000146648|Transcript|ENST00000275493|protein_coding|"
        "20/28||ENST00000275493.7:c.2397G>A|ENSP00000275493.2:p.Pro799%3D|799|P|1|YES|"
        "NM_005228.5|ENSP00000275493"
    )
    [alteration] = resolve(record(55181406, "G", "A", CSQ=csq))
    assert alteration.variant_class is VariantClass.SYNONYMOUS
    assert alteration.hgvsp == "p.Pro799="


def test_vep_unreadable_hgvsp_is_kept_as_text() -> None:
    csq = (
        "T|missense_variant|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000275493|"
        "protein_coding|20/28||ENST00000275493.7:c.2369C>T|ENSP00000275493.2:p.Thr790Xyz|790|T/M|"
        "1|YES|NM_005228.5|ENSP00000275493"
    )
    [alteration] = resolve(record(55181378, "C", "T", CSQ=csq))
    assert (alteration.protein, alteration.hgvsp) == (None, "p.Thr790Xyz")
    assert alteration.variant_class is VariantClass.MISSENSE


BRCA2_MULTIALLELIC_CSQ = ",".join(
    [
        "-|frameshift_variant|HIGH|BRCA2|ENSG00000139618|Transcript|ENST00000380152|"
        "protein_coding|11/27||ENST00000380152.8:c.5946del|ENSP00000369497.3:p.Ser1982ArgfsTer22|"
        "1982|S/X|1|YES|NM_000059.4|ENSP00000369497",
        "TT|frameshift_variant|HIGH|BRCA2|ENSG00000139618|Transcript|ENST00000380152|"
        "protein_coding|11/27||ENST00000380152.8:c.5946_5947insTT|"
        "ENSP00000369497.3:p.Ser1982PhefsTer5|1982|S/FX|1|YES|NM_000059.4|ENSP00000369497",
    ]
)


@pytest.mark.parametrize(("alt_index", "expected"), [(0, "c.5946del"), (1, "c.5946_5947insTT")])
def test_vep_multiallelic_record_drops_the_shared_first_base(alt_index: int, expected: str) -> None:
    variant = record(32340300, "GT", "G,GTT", alt_index, chrom="13", CSQ=BRCA2_MULTIALLELIC_CSQ)
    assert [a.hgvsc for a in resolve(variant)] == [expected]


ALLELE_NUM_CSQ = ",".join(
    [
        # vep --minimal names both the insertion C>CT and the SNV C>T 'T'
        "T|frameshift_variant|HIGH|EGFR|Transcript|ENST00000275493|protein_coding|20/28|"
        "ENST00000275493.7:c.2369_2370insT|ENSP00000275493.2:p.Thr790AspfsTer2|1|YES|NM_005228.5",
        "T|missense_variant|MODERATE|EGFR|Transcript|ENST00000275493|protein_coding|20/28|"
        "ENST00000275493.7:c.2369C>T|ENSP00000275493.2:p.Thr790Met|2|YES|NM_005228.5",
    ]
)


@pytest.mark.parametrize(("alt_index", "expected"), [(0, "frameshift"), (1, "missense")])
def test_vep_allele_num_wins(alt_index: int, expected: str) -> None:
    fmt = read_annotation_format({"CSQ": CSQ_ALLELE_NUM_HEADER}, "tumor.vcf")
    variant = record(55181378, "C", "CT,T", alt_index, CSQ=ALLELE_NUM_CSQ)
    assert [a.variant_class.value for a in resolve(variant, fmt)] == [expected]


def test_vep_allele_num_that_is_not_a_number_is_an_input_error() -> None:
    fmt = read_annotation_format({"CSQ": CSQ_ALLELE_NUM_HEADER}, "tumor.vcf")
    csq = ALLELE_NUM_CSQ.split(",")[1].replace("|2|YES|", "|two|YES|")
    with pytest.raises(InputError, match="ALLELE_NUM 'two', not a number"):
        resolve(record(55181378, "C", "T", CSQ=csq), fmt)


@pytest.mark.parametrize(
    ("ref", "alts", "expected"),
    [
        ("C", ("T",), ("T",)),  # SNV: never trimmed
        ("CA", ("TG",), ("TG",)),  # MNV of equal length: never trimmed
        ("CTT", ("C",), ("-",)),  # deletion
        ("C", ("CTT",), ("TT",)),  # insertion
        ("CA", ("T",), ("T",)),  # complex: first bases differ
        ("GT", ("G", "GTT"), ("-", "TT")),  # all share G
        ("TAGAGAG", ("TAG", "T"), ("AG", "-")),
        ("C", ("T", "CA"), ("T", "CA")),  # first bases differ: nothing trimmed
        ("AT", ("*", "A"), ("*", "-")),  # '*' neither trimmed nor counted
        ("A", ("*", "C"), ("*", "C")),  # all of REF's length: not an indel record
    ],
)
def test_vep_alleles(ref: str, alts: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert vep_alleles(ref, alts) == expected


def test_vep_entries_in_genes_outside_the_table_and_lower_case_symbols_are_ignored() -> None:
    csq = EGFR_T790M_CSQ.replace("|EGFR|", "|egfr|")
    assert resolve(record(55181378, "C", "T", CSQ=csq)) == []


def test_vep_entry_with_wrong_field_count_is_an_input_error() -> None:
    csq = EGFR_T790M_CSQ + ",T|missense_variant|MODERATE|EGFR"
    with pytest.raises(InputError) as error:
        resolve(record(55181378, "C", "T", record_index=12, CSQ=csq))
    assert str(error.value).startswith(
        "record 12: INFO/CSQ entry 5 has 4 fields, expected 18: 'T|missense_variant|MODERATE|EGFR'"
    )
    assert error.value.record == 12


@pytest.mark.parametrize(
    "bad",
    [
        "T|missense_variant|MODERATE|TP53",  # too few fields
        "T|missense_variant|MODERATE|OTHER|" + "|" * 14,  # too many
    ],
)
def test_vep_entry_of_a_gene_outside_the_table_is_checked_too(bad: str) -> None:
    """Entries of other genes are not read further, but a malformed one is still an error."""
    with pytest.raises(InputError, match="INFO/CSQ entry 2 has"):
        resolve(record(55181378, "C", "T", CSQ=f"{EGFR_T790M_CSQ.split(',')[0]},{bad}"))


def test_vep_allele_num_of_a_gene_outside_the_table_is_checked_too() -> None:
    fmt = read_annotation_format({"CSQ": CSQ_ALLELE_NUM_HEADER}, "tumor.vcf")
    csq = ALLELE_NUM_CSQ.split(",")[1].replace("|EGFR|", "|OTHER|").replace("|2|YES|", "|x|YES|")
    with pytest.raises(InputError, match="ALLELE_NUM 'x', not a number"):
        resolve(record(55181378, "C", "T", CSQ=csq), fmt)


def test_resolving_many_records_with_one_resolver_gives_each_its_own() -> None:
    """A resolver remembers protein changes read before; each record still gets its own."""
    resolver = ConsequenceResolver(FORMAT, GENES)
    t790m = record(55181378, "C", "T", CSQ=EGFR_T790M_CSQ)
    first = resolver.resolve(t790m)
    assert resolver.resolve(t790m) == first
    assert resolver.resolve(record(55181378, "C", "T", CSQ=EGFR_T790M_CSQ)) == resolve(t790m)
    other = EGFR_T790M_CSQ.replace("p.Thr790Met", "p.Thr790Leu").replace("c.2369C>T", "c.2369C>A")
    changed = resolver.resolve(record(55181378, "C", "A", CSQ=other.replace("T|", "A|")))
    assert {a.hgvsp for a in changed if a.preferred} == {"p.Thr790Leu"}


@pytest.mark.parametrize(
    ("feature", "mane", "preferred"),
    [
        ("ENST00000275493", "", True),  # the table's ENST
        ("ENST00000275493.7", "", True),  # versioned
        ("NM_005228.5", "", True),  # VEP --refseq: the table's NM_
        ("NM_005228.4", "", True),  # version-insensitive
        ("NM_201282.2", "", False),
        ("ENST00000455089", "", False),
        ("NM_005228.5", "ENST00000275493.7", True),  # --refseq MANE_SELECT names the ENST
    ],
)
def test_vep_preferred_transcript(feature: str, mane: str, preferred: bool) -> None:
    csq = (
        f"T|missense_variant|MODERATE|EGFR|ENSG00000146648|Transcript|{feature}|protein_coding|"
        f"20/28||{feature}:c.2369C>T|NP_005219.2:p.Thr790Met|790|T/M|1||{mane}|"
    )
    [alteration] = resolve(record(55181378, "C", "T", CSQ=csq))
    assert alteration.preferred is preferred
    assert alteration.transcript == feature


def test_vep_mane_select_marks_preferred_when_the_table_has_another_ensembl_id() -> None:
    genes = {"EGFR": gene("EGFR", "ENST00000000001", "NM_005228.5")}
    [alteration] = resolve(
        record(55181378, "C", "T", CSQ=EGFR_T790M_CSQ.split(",")[0]), genes=genes
    )
    assert alteration.preferred


def test_vep_before_102_names_mane_select_mane() -> None:
    header = CSQ_HEADER.replace("MANE_SELECT", "MANE")
    fmt = read_annotation_format({"CSQ": header}, "tumor.vcf")
    genes = {"EGFR": gene("EGFR", "ENST00000000001", "NM_005228.5")}
    variant = record(55181378, "C", "T", CSQ=EGFR_T790M_CSQ.split(",")[0])
    assert [a.preferred for a in resolve(variant, fmt, genes)] == [True]


def test_canonical_decides_only_without_a_table_transcript() -> None:
    # The schema requires a transcript; model_construct builds the case it guards against.
    bare = GeneSpec.model_construct(symbol="EGFR", ensembl_transcript="", strand="+")
    first, second = EGFR_T790M_CSQ.split(",")[:2]
    swapped = ",".join([first.replace("|1|YES|", "|1||"), second.replace("|1|||", "|1|YES||")])
    variant = record(55181378, "C", "T", CSQ=swapped)
    assert [a.preferred for a in resolve(variant)] == [True, False]  # the table's transcript
    assert [a.preferred for a in resolve(variant, genes={"EGFR": bare})] == [False, True]


# --- SnpEff ANN ------------------------------------------------------------------------------


def ann(*entries: str) -> str:
    return ",".join(entries)


SNPEFF_T790M = (
    "T|missense_variant|MODERATE|EGFR|ENSG00000146648|transcript|ENST00000275493.7|"
    "protein_coding|20/28|c.2369C>T|p.Thr790Met|2546/9905|2369/3633|790/1210||"
)


def test_snpeff_egfr_t790m() -> None:
    intergenic = (
        "T|upstream_gene_variant|MODIFIER|EGFR-AS1|ENSG00000224057|transcript|ENST00000442411.1|"
        "lncRNA||n.-1203G>A|||||1203|"
    )
    alterations = resolve(record(55181378, "C", "T", ANN=ann(SNPEFF_T790M, intergenic)))
    assert summary(alterations) == [
        (
            "SnpEff",
            "EGFR",
            "ENST00000275493.7",
            True,
            "missense",
            "T790M",
            "p.Thr790Met",
            "c.2369C>T",
            20,
        )
    ]


def test_snpeff_egfr_exon_19_deletion() -> None:
    entry = (
        "A|disruptive_inframe_deletion|MODERATE|EGFR|ENSG00000146648|transcript|"
        "ENST00000275493.7|protein_coding|19/28|c.2235_2249delGGAATTAAGAGAAGC|p.Glu746_Ala750del|"
        "2411/9905|2235/3633|746/1210||INFO_REALIGN_3_PRIME"
    )
    [alteration] = resolve(record(55174771, "AGGAATTAAGAGAAGC", "A", ANN=entry))
    assert (
        alteration.variant_class,
        alteration.exon,
        alteration.protein and alteration.protein.short,
    ) == (
        VariantClass.INFRAME_DELETION,
        19,
        "E746_A750del",
    )
    assert alteration.consequence_terms == ("disruptive_inframe_deletion",)


def test_snpeff_kras_g12d_two_transcripts() -> None:
    entries = ann(
        "T|missense_variant|MODERATE|KRAS|ENSG00000133703|transcript|ENST00000256078.10|"
        "protein_coding|2/6|c.35G>A|p.Gly12Asp|225/5430|35/570|12/189||",
        "T|missense_variant|MODERATE|KRAS|ENSG00000133703|transcript|ENST00000311936.8|"
        "protein_coding|2/5|c.35G>A|p.Gly12Asp|225/5312|35/567|12/188||",
    )
    alterations = resolve(record(25245350, "C", "T", chrom="12", ANN=entries))
    assert [(a.transcript, a.preferred) for a in alterations] == [
        ("ENST00000256078.10", False),
        ("ENST00000311936.8", True),
    ]


def test_snpeff_brca2_frameshift_and_met_splice_donor() -> None:
    brca2 = (
        "G|frameshift_variant|HIGH|BRCA2|ENSG00000139618|transcript|ENST00000380152.8|"
        "protein_coding|11/27|c.5946delT|p.Ser1982fs|6173/11954|5946/10257|1982/3418||"
    )
    met = (
        "A|splice_donor_variant&intron_variant|HIGH|MET|ENSG00000105976|transcript|"
        "ENST00000397752.8|protein_coding|14/20|c.3028+1G>A||||||"
    )
    [frameshift] = resolve(record(32340300, "GT", "G", chrom="13", ANN=brca2))
    [donor] = resolve(record(116771990, "G", "A", ANN=met))
    assert (frameshift.variant_class, frameshift.protein and frameshift.protein.short) == (
        VariantClass.FRAMESHIFT,
        "S1982fs",
    )
    # The Rank of an intronic consequence counts introns: no exon.
    assert (donor.variant_class, donor.exon, donor.protein, donor.hgvsp) == (
        VariantClass.SPLICE_DONOR,
        None,
        None,
        None,
    )


def test_snpeff_refseq_database_matches_the_table_refseq() -> None:
    entry = SNPEFF_T790M.replace("ENST00000275493.7", "NM_005228.5")
    [alteration] = resolve(record(55181378, "C", "T", ANN=entry))
    assert alteration.preferred


@pytest.mark.parametrize(("alt_index", "expected"), [(0, ["G12D"]), (1, ["G12V"])])
def test_snpeff_picks_this_alt_and_skips_cancer_alt_ref_entries(
    alt_index: int, expected: list[str]
) -> None:
    entries = ann(
        "T|missense_variant|MODERATE|KRAS|ENSG00000133703|transcript|ENST00000311936.8|"
        "protein_coding|2/5|c.35G>A|p.Gly12Asp|225/5312|35/567|12/188||",
        "A|missense_variant|MODERATE|KRAS|ENSG00000133703|transcript|ENST00000311936.8|"
        "protein_coding|2/5|c.35G>T|p.Gly12Val|225/5312|35/567|12/188||",
        "A-T|missense_variant|MODERATE|KRAS|ENSG00000133703|transcript|ENST00000311936.8|"
        "protein_coding|2/5|c.35A>T|p.Asp12Val|225/5312|35/567|12/188||",
    )
    variant = record(25245350, "C", "T,A", alt_index, chrom="12", ANN=entries)
    assert [a.protein.short for a in resolve(variant) if a.protein] == expected


def test_snpeff_entry_with_wrong_field_count_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"record 3: INFO/ANN entry 1 has 11 fields, expected 16"):
        resolve(record(55181378, "C", "T", record_index=3, ANN=SNPEFF_T790M.rsplit("|", 5)[0]))


# --- bcftools csq BCSQ -----------------------------------------------------------------------


def test_bcsq_egfr_t790m_and_exon_19_deletion() -> None:
    t790m = record(
        55181378,
        "C",
        "T",
        BCSQ="missense|EGFR|ENST00000275493|protein_coding|+|790T>790M|55181378C>T,"
        "non_coding|EGFR-AS1||lncRNA",
    )
    deletion = record(
        55174771,
        "AGGAATTAAGAGAAGC",
        "A",
        BCSQ="inframe_deletion|EGFR|ENST00000275493|protein_coding|+|745KELREA>745K|"
        "55174771AGGAATTAAGAGAAGC>A",
    )
    assert summary(resolve(t790m)) == [
        ("BCSQ", "EGFR", "ENST00000275493", True, "missense", "T790M", "p.Thr790Met", None, None)
    ]
    assert summary(resolve(deletion)) == [
        (
            "BCSQ",
            "EGFR",
            "ENST00000275493",
            True,
            "inframe_deletion",
            "E746_A750del",
            "p.Glu746_Ala750del",
            None,
            None,
        )
    ]
    assert resolve(t790m)[0].consequence_terms == ("missense_variant",)


def test_bcsq_compound_and_back_reference() -> None:
    compound = "missense|EGFR|ENST00000275493|protein_coding|+|790T>790I|55181378C>T+55181379G>A"
    first = record(55181378, "C", "T", BCSQ=compound)
    second = record(55181379, "G", "A", BCSQ="@55181378")
    [alteration] = resolve(first)
    assert alteration.protein is not None
    assert alteration.protein.short == "T790I"
    assert resolve(second) == []  # its consequence is carried by record 55181378


def test_bcsq_downstream_of_a_stop() -> None:
    entry = "*missense|EGFR|ENST00000275493|protein_coding|+|858L>858R|55191822T>G"
    [alteration] = resolve(record(55191822, "T", "G", BCSQ=entry))
    assert alteration.consequence_terms == ("missense_variant",)
    assert alteration.variant_class is VariantClass.MISSENSE


@pytest.mark.parametrize(("alt_index", "expected"), [(0, "G12D"), (1, "G12V")])
def test_bcsq_matches_the_alt_by_its_dna_change(alt_index: int, expected: str) -> None:
    entries = (
        "missense|KRAS|ENST00000311936|protein_coding|-|12G>12D|25245350C>T,"
        "missense|KRAS|ENST00000311936|protein_coding|-|12G>12V|25245350C>A,"
        "splice_donor|MET|ENST00000397752|protein_coding"
    )
    variant = record(25245350, "C", "T,A", alt_index, chrom="12", BCSQ=entries)
    alterations = resolve(variant)
    assert [a.protein.short if a.protein else a.variant_class.value for a in alterations] == [
        expected,
        "splice_donor",  # no dna_change: cannot tell, kept for every ALT
    ]


def test_bcsq_synonymous_residue_alone_reads_as_synonymous_change() -> None:
    """bcftools writes a synonymous change as the residue alone: 787Q is p.Gln787=."""
    entry = "synonymous|EGFR|ENST00000275493|protein_coding|+|787Q|55181370G>A"
    [alteration] = resolve(record(55181370, "G", "A", BCSQ=entry))
    assert alteration.variant_class is VariantClass.SYNONYMOUS
    assert alteration.protein is not None
    assert (alteration.protein.short, alteration.hgvsp) == ("Q787=", "p.Gln787=")


def test_bcsq_entry_with_too_few_fields_is_an_input_error() -> None:
    with pytest.raises(InputError, match="INFO/BCSQ entry 1 has 2 fields, expected 4 to 7"):
        resolve(record(55181378, "C", "T", BCSQ="missense|EGFR"))


def test_all_three_annotations_of_one_record() -> None:
    variant = record(
        55181378,
        "C",
        "T",
        CSQ=EGFR_T790M_CSQ,
        ANN=SNPEFF_T790M,
        BCSQ="missense|EGFR|ENST00000275493|protein_coding|+|790T>790M|55181378C>T",
    )
    assert [(a.source, a.preferred) for a in resolve(variant)] == [
        ("VEP", True),
        ("VEP", False),
        ("SnpEff", True),
        ("BCSQ", True),
    ]


def test_missing_annotation_value_gives_nothing() -> None:
    assert resolve(record(55181378, "C", "T", CSQ=".", ANN="", BCSQ=".")) == []


# --- real files: bcftools test data, read as plain text --------------------------------------

_INFO_HEADER = re.compile(r'##INFO=<ID=(?P<id>[^,]+),.*Description="(?P<description>[^"]*)"')


def read_vcf(path: Path) -> tuple[dict[str, str], list[Variant]]:
    """INFO descriptions and one Variant per ALT, annotations as raw strings."""
    descriptions: dict[str, str] = {}
    variants: list[Variant] = []
    number = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("##INFO="):
            match = _INFO_HEADER.match(line)
            assert match is not None, line
            descriptions[match["id"]] = match["description"]
        if line.startswith("#"):
            continue
        number += 1
        chrom, pos, _id, ref, alt, _qual, _filter, info = line.split("\t")[:8]
        fields = dict(item.partition("=")[::2] for item in info.split(";") if item != ".")
        annotations = {key: fields[key] for key in ("CSQ", "ANN", "BCSQ") if key in fields}
        alts = tuple(alt.split(","))
        variants.extend(
            Variant(chrom, int(pos), ref, a, number, i, alts, annotations=annotations)
            for i, a in enumerate(alts)
        )
    return descriptions, variants


def table_of(symbols: set[str]) -> dict[str, GeneSpec]:
    # The schema's symbol pattern refuses clone names such as RP11-34P13.7; the table is
    # built unvalidated so that every entry of the files reaches the resolver.
    return {
        symbol: GeneSpec.model_construct(
            symbol=symbol, ensembl_transcript="ENST00000438504", strand="+", sources=["test"]
        )
        for symbol in symbols
    }


def test_real_vep_csq_file_parses() -> None:
    descriptions, variants = read_vcf(DATA / "bcftools.split-vep.2.vep_csq.vcf")
    fmt = read_annotation_format(descriptions, "bcftools.split-vep.2.vep_csq.vcf")
    assert fmt.csq_fields is not None
    assert fmt.bcsq_fields == BCSQ_FIELDS
    assert len(fmt.csq_fields) == 84
    symbol, feature_type, allele_num = (
        fmt.csq_fields.index(name) for name in ("SYMBOL", "Feature_type", "ALLELE_NUM")
    )
    resolver = ConsequenceResolver(fmt, table_of({"WASH7P", "DDX11L1"}))
    assert len(variants) == 3
    for variant in variants:
        entries = [e.split("|") for e in variant.annotations["CSQ"].split(",")]
        # VEP's Allele and ALLELE_NUM agree with the convention the resolver follows.
        for values in entries:
            assert values[0] == vep_alleles(variant.ref, variant.alts)[int(values[allele_num]) - 1]
        transcripts = [v for v in entries if v[feature_type] == "Transcript" and v[symbol]]
        alterations = resolver.resolve(variant)
        vep = [a for a in alterations if a.source == "VEP"]
        assert len(vep) == len(transcripts) == 6
        assert [a.source for a in alterations].count("BCSQ") == 1
        preferred = [a.transcript for a in vep if a.preferred]
        assert preferred == ["ENST00000438504"]  # the table's (and VEP's canonical) WASH7P
        assert {a.variant_class for a in alterations} == {VariantClass.OTHER}
    first = resolver.resolve(variants[0])
    assert (first[0].gene, first[0].exon, first[0].hgvsc) == ("WASH7P", 10, "n.1568T>A")


def test_real_bcsq_file_parses() -> None:
    descriptions, variants = read_vcf(DATA / "bcftools.split-vep.4.bcsq.vcf")
    fmt = read_annotation_format(descriptions, "bcftools.split-vep.4.bcsq.vcf")
    assert fmt.bcsq_fields == BCSQ_FIELDS
    entries_of = {
        id(v): [e.split("|") for e in v.annotations.get("BCSQ", "").split(",") if e]
        for v in variants
    }
    symbols = {values[1] for entries in entries_of.values() for values in entries}
    resolver = ConsequenceResolver(fmt, table_of(symbols))
    total = 0
    for variant in variants:
        entries = entries_of[id(variant)]
        for values in entries:
            if len(values) == len(BCSQ_FIELDS):  # dna_change is this record's POS REF>ALT
                assert values[6] == f"{variant.pos}{variant.ref}>{variant.alt}"
        alterations = resolver.resolve(variant)
        assert len(alterations) == len(entries)
        total += len(alterations)
    assert total == 136  # entries x ALTs, counted independently with awk

    def at(pos: int) -> Alteration:
        [alteration] = resolver.resolve(next(v for v in variants if v.pos == pos))
        return alteration

    stop = at(69719)
    assert (stop.gene, stop.variant_class, stop.protein and stop.protein.short) == (
        "OR4F5",
        VariantClass.NONSENSE,
        "S210*",
    )
    assert at(69428).protein is not None
    assert at(69270).variant_class is VariantClass.SYNONYMOUS
    assert at(137622).consequence_terms == ("splice_region_variant", "3_prime_UTR_variant")
    assert at(14464).transcript is None


# The BRAF record A>G,T annotated by vep --allele_number, then split by bcftools norm -m -any,
# which copies CSQ (Number=.) whole to both records.
BRAF_SPLIT_CSQ = ",".join(
    [
        "G|missense_variant|MODERATE|BRAF|Transcript|ENST00000646891|protein_coding|15/18|"
        "ENST00000646891.2:c.1799T>C|ENSP00000493543.1:p.Val600Ala|1|YES|NM_004333.6",
        "T|missense_variant|MODERATE|BRAF|Transcript|ENST00000646891|protein_coding|15/18|"
        "ENST00000646891.2:c.1799T>A|ENSP00000493543.1:p.Val600Glu|2|YES|NM_004333.6",
    ]
)


@pytest.mark.parametrize(("alt", "expected"), [("G", "p.Val600Ala"), ("T", "p.Val600Glu")])
def test_a_record_split_after_vep_is_told_its_entries_by_allele(alt: str, expected: str) -> None:
    fmt = read_annotation_format({"CSQ": CSQ_ALLELE_NUM_HEADER}, "tumor.vcf")
    variant = record(140753336, "A", alt, CSQ=BRAF_SPLIT_CSQ)
    genes = {**GENES, "BRAF": gene("BRAF", "ENST00000646891", "NM_004333.6", "-")}
    assert [a.hgvsp for a in resolve(variant, fmt, genes)] == [expected]


@pytest.mark.parametrize(("alt", "expected"), [("CT", "frameshift"), ("T", "missense")])
def test_a_split_record_named_whole_by_vep(alt: str, expected: str) -> None:
    # without --minimal VEP names C>CT,T 'CT' and 'T' (their first bases differ: no trimming)
    csq = ALLELE_NUM_CSQ.replace("T|frameshift_variant", "CT|frameshift_variant", 1)
    fmt = read_annotation_format({"CSQ": CSQ_ALLELE_NUM_HEADER}, "tumor.vcf")
    variant = record(55181378, "C", alt, CSQ=csq)
    assert [a.variant_class.value for a in resolve(variant, fmt)] == [expected]


@pytest.mark.parametrize("alt", ["CT", "T"])
def test_a_split_record_whose_name_two_alts_shared_gets_no_entry(alt: str) -> None:
    # vep --minimal named both ALTs of C>CT,T 'T': after the split neither can be told
    fmt = read_annotation_format({"CSQ": CSQ_ALLELE_NUM_HEADER}, "tumor.vcf")
    assert resolve(record(55181378, "C", alt, CSQ=ALLELE_NUM_CSQ), fmt) == []


def test_an_equivalent_transcript_is_the_rules_transcript() -> None:
    # VEP's GRCh37 cache names BRAF's canonical ENST00000288602; MANE ENST00000646891 is
    # only in GRCh38 releases (rules/genes.yaml lists the first as equivalent)
    braf = gene("BRAF", "ENST00000646891", "NM_004333.6", "-")
    csq = (
        BRAF_SPLIT_CSQ.split(",")[1]
        .replace("ENST00000646891", "ENST00000288602")
        .replace("|YES|NM_004333.6", "|YES|")  # no MANE_SELECT in a GRCh37 cache
    )
    fmt = read_annotation_format({"CSQ": CSQ_ALLELE_NUM_HEADER}, "tumor.vcf")
    variant = record(140453136, "A", "G,T", 1, CSQ=csq)
    plain = resolve(variant, fmt, {**GENES, "BRAF": braf})
    equivalent = braf.model_copy(update={"equivalent_transcripts": ["ENST00000288602"]})
    listed = resolve(variant, fmt, {**GENES, "BRAF": equivalent})
    assert [a.preferred for a in plain] == [False]
    assert [a.preferred for a in listed] == [True]


def test_bcsq_in_frame_insertion() -> None:
    # bcftools csq 1.16 (and pysam's copy, which --reference --gff runs) writes the residue
    # before the insertion only
    insertion = record(
        55181318,
        "A",
        "AGGG",
        BCSQ="inframe_insertion|EGFR|ENST00000275493|protein_coding|+|770D>770DG|55181318A>AGGG",
    )
    (alteration,) = resolve(insertion)
    assert (
        alteration.variant_class.value,
        alteration.protein.short if alteration.protein else "",
    ) == (
        "inframe_insertion",
        "D770_X771insG",
    )


# VEP's default fields, without --hgvs: HGVSc and HGVSp empty, Protein_position and
# Amino_acids given (ensembl-vep's default output columns)
VEP_DEFAULT_HEADER = (
    "Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|"
    "Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|cDNA_position|CDS_position|"
    "Protein_position|Amino_acids|Codons|Existing_variation|DISTANCE|STRAND|FLAGS|CANONICAL"
)


@pytest.mark.parametrize(
    ("pos", "ref", "alt", "consequence", "protein", "amino_acids", "expected"),
    [
        (55181378, "C", "T", "missense_variant", "790", "T/M", "T790M"),
        (55181378, "C", "A", "synonymous_variant", "790", "T", "T790="),
        (
            55174771,
            "AGGAATTAAGAGAAGC",
            "A",
            "inframe_deletion",
            "745-750",
            "KELREA/K",
            "E746_A750del",
        ),
        (55181370, "GA", "G", "frameshift_variant", "788", "E/X", "E788fs"),
        (55181318, "A", "AGGG", "inframe_insertion", "770-771", "-/G", None),
        (55181378, "C", "T", "missense_variant", "", "", None),
    ],
)
def test_vep_without_hgvs_reads_protein_position_and_amino_acids(
    pos: int,
    ref: str,
    alt: str,
    consequence: str,
    protein: str,
    amino_acids: str,
    expected: str | None,
) -> None:
    fmt = read_annotation_format({"CSQ": VEP_DEFAULT_HEADER}, "tumor.vcf")
    allele = _vep_like(ref, alt)
    csq = (
        f"{allele}|{consequence}|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000275493|"
        f"protein_coding|20/28||||1|1|{protein}|{amino_acids}||||1||YES"
    )
    (alteration,) = resolve(record(pos, ref, alt, CSQ=csq), fmt)
    assert (alteration.protein.short if alteration.protein else None) == expected


def _vep_like(ref: str, alt: str) -> str:
    return alt if len(ref) == len(alt) else (alt[1:] or "-")
