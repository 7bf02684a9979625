"""No input format may miss what another finds: every hotspot of the bundled rules, written as
VEP (CSQ), SnpEff (ANN), bcftools csq (BCSQ) and a MAF write it on the rules' transcript, fires
the same on-label rules as the unannotated record does through the hotspot table, in every
tumor type the rules' examples name. (A BCSQ entry of a frameshift or deletion needs residues
the hotspot table does not give, so BCSQ covers the substitutions and nonsense changes.)

The annotations are written from the hotspot table and the gene table (exon of the first
residue, the exon count where the table gives it); they are SYNTHETIC in that sense, not any
tool's output, but in each tool's documented field layout (as tests/test_consequence.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from annotator.consequence import vep_alleles
from annotator.consequence_terms import class_from_protein
from annotator.models import VariantClass
from annotator.protein import ChangeKind, ProteinChange, parse_protein_change
from annotator.rules import RuleSet, load_rules
from annotator.rules.schema import GeneSpec
from tests.runs import run_json
from tests.test_maf import HEADER, write_maf
from tests.vcfgen import (
    BCFTOOLS_BCSQ_LINE,
    GRCH38_RULE_CONTIGS,
    SNPEFF_ANN_LINE,
    vcf_text,
    write_vcf,
)

SAMPLE = "GT:AD:AF:DP\t0/1:60,40:0.4:100"
CSQ_LINE = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl '
    'VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSc|HGVSp|EXON">'
)
ANN_LINE = SNPEFF_ANN_LINE
BCSQ_LINE = BCFTOOLS_BCSQ_LINE
CONTIGS = GRCH38_RULE_CONTIGS
#: Per class: the SO term (VEP, SnpEff), bcftools csq's term and the MAF classification.
TERMS = {
    VariantClass.MISSENSE: ("missense_variant", "missense", "Missense_Mutation"),
    VariantClass.NONSENSE: ("stop_gained", "stop_gained", "Nonsense_Mutation"),
    VariantClass.FRAMESHIFT: ("frameshift_variant", "frameshift", None),
    VariantClass.INFRAME_DELETION: ("inframe_deletion", "inframe_deletion", "In_Frame_Del"),
}


@dataclass(frozen=True)
class Hot:
    """One hotspot allele (GRCh38) with what the annotations say about it."""

    chrom: str
    pos: int
    ref: str
    alt: str
    spec: GeneSpec
    protein: ProteinChange
    variant_class: VariantClass
    hgvsc: str

    @property
    def exon(self) -> str:
        number = self.spec.exon_of_codon(self.protein.start)
        if number is None:
            return ""
        count = self.spec.exon_count
        return f"{number}/{count}" if count else str(number)

    def vcf_line(self, info: str) -> str:
        return f"chr{self.chrom}\t{self.pos}\t.\t{self.ref}\t{self.alt}\t.\tPASS\t{info}\t{SAMPLE}"


def hotspots(rules: RuleSet) -> list[Hot]:
    found = []
    for hotspot in rules.hotspots:
        allele = hotspot.alleles.get("GRCh38")
        if allele is None:
            continue
        protein = parse_protein_change(hotspot.protein_change)
        found.append(
            Hot(
                allele.chrom,
                allele.pos,
                allele.ref,
                allele.alt,
                rules.genes[hotspot.gene],
                protein,
                class_from_protein(protein),
                hotspot.hgvsc or "",
            )
        )
    return found


def csq(hot: Hot) -> str | None:
    (allele,) = vep_alleles(hot.ref, [hot.alt])
    term = TERMS[hot.variant_class][0]
    transcript = f"{hot.spec.ensembl_transcript}.1"
    return (
        f"CSQ={allele}|{term}|HIGH|{hot.spec.symbol}|{transcript}|{transcript}:{hot.hgvsc}|"
        f"p.{hot.protein.hgvs.removeprefix('p.')}|{hot.exon}"
    )


def ann(hot: Hot) -> str | None:
    term = TERMS[hot.variant_class][0]
    gene = hot.spec.symbol
    return (
        f"ANN={hot.alt}|{term}|HIGH|{gene}|{gene}|transcript|{hot.spec.ensembl_transcript}.1|"
        f"protein_coding|{hot.exon}|{hot.hgvsc}|{hot.protein.hgvs}|||||"
    )


#: bcftools csq's amino-acid field of a deletion keeps the residue before it: the one deletion
#: hotspot in the form tests/data/protein_notation.tsv reads (EGFR exon 19, K745 kept).
BCSQ_DELETIONS = {"E746_A750del": "745KELREA>745K"}


def bcsq(hot: Hot) -> str | None:
    protein = hot.protein
    if protein.short in BCSQ_DELETIONS:
        change = BCSQ_DELETIONS[protein.short]
    elif protein.kind in (ChangeKind.SUBSTITUTION, ChangeKind.NONSENSE):
        change = f"{protein.start}{protein.start_aa}>{protein.start}{protein.alt}"
    else:
        return None  # bcftools csq writes the neighbouring residues: not in the tables
    term = TERMS[hot.variant_class][1]
    return (
        f"BCSQ={term}|{hot.spec.symbol}|{hot.spec.ensembl_transcript}|protein_coding|"
        f"{hot.spec.strand}|{change}|{hot.pos}{hot.ref}>{hot.alt}"
    )


def maf_row(hot: Hot) -> dict[str, str] | None:
    classification = TERMS[hot.variant_class][2]
    ref, alt, start, end = hot.ref, hot.alt, hot.pos, hot.pos + len(hot.ref) - 1
    if len(ref) != len(alt):  # vcf2maf: the shared first base dropped, '-' for none
        ref, alt, start = ref[1:] or "-", alt[1:] or "-", start + 1
        if ref == "-":  # an insertion lies between the base before and after it
            start, end = hot.pos, hot.pos + 1
            classification = "Frame_Shift_Ins"
        else:
            end = start + len(ref) - 1
            classification = classification or "Frame_Shift_Del"
    assert classification is not None
    return {
        "Hugo_Symbol": hot.spec.symbol,
        "NCBI_Build": "GRCh38",
        "Chromosome": f"chr{hot.chrom}",
        "Start_Position": str(start),
        "End_Position": str(end),
        "Variant_Classification": classification,
        "Reference_Allele": ref,
        "Tumor_Seq_Allele1": ref,
        "Tumor_Seq_Allele2": alt,
        "Tumor_Sample_Barcode": "TUMOR",
        "HGVSp_Short": f"p.{hot.protein.short}",
        "HGVSc": hot.hgvsc,
        "Transcript_ID": f"{hot.spec.ensembl_transcript}.1",
        "Exon_Number": hot.exon,
        "t_depth": "100",
        "t_ref_count": "60",
        "t_alt_count": "40",
    }


def fired(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (f["rule_id"], f["alteration"])
        for f in data["findings"]
        if f["tumor_type_match"] == "on_label"
    }


def run_vcf(
    tmp_path: Path, lines: Sequence[str], info: str, tumor_type: str
) -> set[tuple[str, str]]:
    text = vcf_text(lines, contigs=CONTIGS, info_lines=(info,) if info else ())
    return fired(run_json(write_vcf(tmp_path, text, "vcf"), tumor_type, genome="GRCh38"))


FORMATS: dict[str, tuple[Callable[[Hot], str | None], str]] = {
    "CSQ": (csq, CSQ_LINE),
    "ANN": (ann, ANN_LINE),
    "BCSQ": (bcsq, BCSQ_LINE),
}
RULES = load_rules()
TUMOR_TYPES = sorted({example.tumor_type for rule in RULES.rules for example in rule.examples})
HOTSPOTS = hotspots(RULES)


def test_the_hotspots_are_many_and_fire_rules(tmp_path: Path) -> None:
    assert len(HOTSPOTS) >= 25
    lines = [hot.vcf_line(".") for hot in HOTSPOTS]
    assert len(run_vcf(tmp_path, lines, "", "NSCLC")) >= 5


@pytest.mark.parametrize("tumor_type", TUMOR_TYPES)
@pytest.mark.parametrize("form", sorted(FORMATS))
def test_each_vcf_annotation_fires_what_the_hotspot_table_fires(
    tmp_path: Path, form: str, tumor_type: str
) -> None:
    write, line = FORMATS[form]
    written = [(hot, write(hot)) for hot in HOTSPOTS]
    covered = [(hot, info) for hot, info in written if info is not None]
    assert len(covered) >= 20
    expected = run_vcf(tmp_path, [hot.vcf_line(".") for hot, _ in covered], "", tumor_type)
    found = run_vcf(tmp_path, [hot.vcf_line(info) for hot, info in covered], line, tumor_type)
    assert found == expected, (form, tumor_type)


@pytest.mark.parametrize("exon_number", [True, False], ids=["Exon_Number", "no-Exon_Number"])
@pytest.mark.parametrize("tumor_type", TUMOR_TYPES)
def test_a_maf_fires_what_the_hotspot_table_fires(
    tmp_path: Path, tumor_type: str, exon_number: bool
) -> None:
    expected = run_vcf(tmp_path, [hot.vcf_line(".") for hot in HOTSPOTS], "", tumor_type)
    rows = [row for hot in HOTSPOTS if (row := maf_row(hot)) is not None]
    columns = HEADER if exon_number else tuple(c for c in HEADER if c != "Exon_Number")
    data = run_json(write_maf(tmp_path, *rows, columns=columns), tumor_type)
    assert fired(data) == expected
