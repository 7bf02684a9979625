"""Annotations that name no exon (bcftools csq's BCSQ, a MAF without ``Exon_Number``): the gene
table places a change on the rules' transcript by its first residue, so that exon rules (EGFR
exon 19 deletions) and the last-exon NMD rule (BRCA2 exon 27 of 27) apply as with VEP's EXON.

EGFR E746_A750del (c.2235_2249del) is GRCh38 7:55174771 AGGAATTAAGAGAAGC>A (its hotspot row);
bcftools csq writes an in-frame deletion keeping the residue before it (``745KELREA>745K``,
bcftools csq.c; tests/test_protein.py reads that form). BRCA2 codon 3326 lies in exon 27 of
27 (codons 3217-3419), codon 1982 in exon 11 (rules/genes.yaml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotator.consequence import exon_from_table
from annotator.protein import parse_protein_change
from annotator.readers.maf import read_maf
from annotator.rules import load_rules
from tests.runs import run_json
from tests.test_maf import EGFR_L858R, HEADER, write_maf
from tests.vcfgen import BCFTOOLS_BCSQ_LINE, GRCH38_RULE_CONTIGS, vcf_text, write_vcf

BCSQ_LINE = BCFTOOLS_BCSQ_LINE
SAMPLE = "GT:AD:DP\t0/1:60,40:100"
CONTIGS = {name: GRCH38_RULE_CONTIGS[name] for name in ("chr7", "chr13")}


@pytest.mark.parametrize(
    ("gene", "change", "expected"),
    [
        ("EGFR", "E746_A750del", (19, 28)),
        ("BRCA2", "K3326*", (27, 27)),
        ("BRCA2", "S1982*", (11, 27)),
        ("EGFR", "T790M", (20, 28)),
        ("EGFR", "G719S", (18, 28)),
        ("EGFR", "E1000K", (25, 28)),
        ("MET", "R988C", (14, 21)),
        ("MET", "Y1230H", (19, 21)),
        ("MET", "S1400L", (None, None)),  # beyond the table's 1390 codons and the stop
        ("KRAS", None, (None, None)),  # no protein change: an intronic splice variant
    ],
)
def test_exon_from_table(gene: str, change: str | None, expected: tuple[int | None, ...]) -> None:
    spec = load_rules().genes[gene]
    protein = parse_protein_change(change) if change else None
    assert exon_from_table(spec, protein) == expected


def bcsq_record(chrom: str, pos: int, ref: str, alt: str, entry: str) -> str:
    return f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\tBCSQ={entry}|{pos}{ref}>{alt}\t{SAMPLE}"


def run_bcsq(tmp_path: Path, tumor_type: str, *records: str) -> dict[str, Any]:
    text = vcf_text(list(records), contigs=CONTIGS, info_lines=(BCSQ_LINE,))
    return run_json(write_vcf(tmp_path, text, "vcf"), tumor_type, genome="GRCh38")


def on_label(data: dict[str, Any]) -> set[tuple[int, str]]:
    return {
        (f["variant"]["pos"], f["rule_id"])
        for f in data["findings"]
        if f["tumor_type_match"] == "on_label"
    }


def test_bcsq_egfr_exon_19_deletion_fires_the_exon_rule(tmp_path: Path) -> None:
    entry = "inframe_deletion|EGFR|ENST00000275493|protein_coding|+|745KELREA>745K"
    data = run_bcsq(tmp_path, "LUAD", bcsq_record("chr7", 55174771, "AGGAATTAAGAGAAGC", "A", entry))
    assert (55174771, "EGFR-EX19DEL-EGFRTKI-S") in on_label(data)
    # On another transcript it stays unplaced, as before (the rules read MANE Select only).
    other = entry.replace("ENST00000275493", "ENST00000455089")
    data = run_bcsq(tmp_path, "LUAD", bcsq_record("chr7", 55174771, "AGGAATTAAGAGAAGC", "A", other))
    assert on_label(data) == set()


def test_bcsq_brca2_nonsense_in_the_last_exon_escapes_nmd(tmp_path: Path) -> None:
    transcript = "BRCA2|ENST00000380152|protein_coding|+"
    data = run_bcsq(
        tmp_path,
        "HGSOC",
        bcsq_record("chr13", 32398489, "A", "T", f"stop_gained|{transcript}|3326K>3326*"),
        bcsq_record("chr13", 32340300, "C", "A", f"stop_gained|{transcript}|1982S>1982*"),
    )
    assert on_label(data) == {(32340300, "BRCA2-LOF-PARPI-OV-S")}
    (unclassified,) = data["unclassified"]
    assert unclassified["variant"]["pos"] == 32398489
    assert "in the last exon (27/27)" in unclassified["reason"]


def test_maf_without_exon_number(tmp_path: Path) -> None:
    row = EGFR_L858R | {
        "Start_Position": "55174772",
        "End_Position": "55174786",
        "Variant_Classification": "In_Frame_Del",
        "Reference_Allele": "GGAATTAAGAGAAGC",
        "Tumor_Seq_Allele1": "GGAATTAAGAGAAGC",
        "Tumor_Seq_Allele2": "-",
        "HGVSp_Short": "p.E746_A750del",
        "HGVSc": "c.2235_2249del",
    }
    columns = tuple(column for column in HEADER if column != "Exon_Number")
    data = read_maf(write_maf(tmp_path, row, columns=columns), load_rules().genes)
    ((allele,),) = data.alleles.values()
    (alteration,) = allele.alterations
    assert (alteration.exon, alteration.exon_count) == (19, 28)  # the table's count
    with_number = read_maf(write_maf(tmp_path, row | {"Exon_Number": "19/28"}), load_rules().genes)
    ((allele,),) = with_number.alleles.values()
    assert (allele.alterations[0].exon, allele.alterations[0].exon_count) == (19, 28)
