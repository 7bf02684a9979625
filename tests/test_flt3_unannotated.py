"""FLT3 in an unannotated VCF, from the gene table's exons 14, 15 and 20 (NM_004119.3; sources
in rules/genes.yaml): internal tandem duplications (ITDs) of the juxtamembrane domain are
in-frame insertions at codons 572-630, which the ITD rule (FLT3-ITD-FLT3I-S, a protein_range
rule) takes from their place and class alone; D835/I836 SNVs are decided by the genetic code.

The ITDs are TCGA LAML's (maftools' tcga_laml.maf.gz, MIT): each FLT3 insertion or deletion
row written as an unannotated VCF record (the bases around it are unknown without the
reference; only positions and lengths count), on GRCh37 as the MAF gives them and moved to
GRCh38 by the FLT3 build offset (GRCh37 - 574137, verified at every exon of the gene table).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Any

import pytest

from tests.runs import run_json
from tests.vcfgen import vcf_text, write_vcf

DATA = Path(__file__).parent / "data"
OFFSET = {"GRCh37": 0, "GRCh38": -574137}
CHROM = {"GRCh37": "13", "GRCh38": "chr13"}
LENGTH = {"GRCh37": 115169878, "GRCh38": 114364328}


def laml_flt3_indels() -> list[dict[str, str]]:
    with gzip.open(DATA / "maftools.tcga_laml.grch37.maf.gz", "rt") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [
        row
        for row in csv.DictReader(lines, delimiter="\t")
        if row["Hugo_Symbol"] == "FLT3" and row["Variant_Type"] in ("INS", "DEL")
    ]


def run(tmp_path: Path, build: str, records: list[tuple[int, str, str, str]]) -> dict[str, Any]:
    lines = [
        f"{CHROM[build]}\t{pos + OFFSET[build]}\t{name}\t{ref}\t{alt}\t.\tPASS\t.\tGT\t0/1"
        for pos, name, ref, alt in sorted(records)
    ]
    text = vcf_text(
        lines,
        contigs={CHROM[build]: LENGTH[build]},
        info_lines=(),
        format_lines=('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',),
    )
    return run_json(write_vcf(tmp_path, text, "vcf"), "AML", genome=build)


def as_records(rows: list[dict[str, str]]) -> list[tuple[int, str, str, str]]:
    """MAF rows as VCF records: an insertion after Start_Position, a deletion from it (the
    padding base arbitrary)."""
    records = []
    for row in rows:
        start, name = int(row["Start_Position"]), row["Tumor_Sample_Barcode"]
        if row["Variant_Type"] == "INS":
            records.append((start, name, "A", "A" + row["Tumor_Seq_Allele2"]))
        else:
            records.append((start - 1, name, "A" + row["Reference_Allele"], "A"))
    return records


@pytest.mark.parametrize("build", ["GRCh37", "GRCh38"])
def test_tcga_laml_itds_fire_the_itd_rule(tmp_path: Path, build: str) -> None:
    rows = laml_flt3_indels()
    assert len(rows) == 37
    data = run(tmp_path, build, as_records(rows))
    itd = {f["variant"]["pos"] - OFFSET[build] for f in data["findings"]}
    assert {f["rule_id"] for f in data["findings"]} == {"FLT3-ITD-FLT3I-S"}
    assert all(f["tumor_type_match"] == "on_label" for f in data["findings"])
    unclassified = {u["variant"]["pos"] - OFFSET[build]: u["reason"] for u in data["unclassified"]}
    by_class: dict[str, set[int]] = {}
    for row in rows:
        by_class.setdefault(row["Variant_Classification"], set()).add(int(row["Start_Position"]))
    # Every in-frame insertion of the MAF inside exon 14 (codons 569-613) is an ITD finding,
    # its codons the table's: TCGA-AB-2812's p.D600delins... lies at codon 600.
    assert by_class["In_Frame_Ins"] <= itd
    labels = {f["variant"]["pos"] - OFFSET[build]: f["alteration"] for f in data["findings"]}
    assert labels[28608256] == "inframe_insertion (codon 600)"
    assert labels[28608338] == "inframe_insertion (codon 573)"  # TCGA-AB-2965, p.573_574ins
    # An insertion between the exon's first coding base and the next: in the exon, an ITD.
    assert 28608219 in itd  # TCGA-AB-2931 (Splice_Site in the MAF), codons 612-613
    # In-frame deletion (TCGA-AB-2870): the ITD rule takes insertions only; listed.
    assert unclassified[28608257].startswith("inframe_deletion in FLT3 codons 594-600")
    # Inserted exactly at the exon's edge (TCGA-AB-2895): the table cannot tell; listed.
    assert unclassified[28608218].startswith("inserted at the edge of the coding part of FLT3")
    # Between intron 14's +1 and +2 (TCGA-AB-2825): a splice donor change, no FLT3 rule.
    assert 28608217 not in itd
    assert 28608217 not in unclassified
    assert data["summary"]["alleles_in_rule_genes"] == 37


@pytest.mark.parametrize(("build", "pos"), [("GRCh37", 28592642), ("GRCh38", 28592642 - 574137)])
def test_d835_substitutions_are_decided_by_the_genetic_code(
    tmp_path: Path, build: str, pos: int
) -> None:
    """D835 c.2503 (exon 20): genomic C>G is c.2503G>C, GAT/GAC -> CAT/CAC (D835H), which the
    hotspot table does not list; C>T is c.2503G>A (D835N). Both fire the D835/I836 rules."""
    data = run(tmp_path, build, [(pos - OFFSET[build], "d835h", "C", "G")])
    fired = {(f["rule_id"], f["alteration"]) for f in data["findings"]}
    assert ("FLT3-TKD-D835-I836-FLT3I-S", "D835 (c.2503G>C; H)") in fired
    assert ("FLT3-D835-QUIZARTINIB-R", "D835 (c.2503G>C; H)") in fired


def test_vcf2maf_test_vcfs_itd_is_placed_where_vep_places_it() -> None:
    """vcf2maf's unannotated test VCF holds a real 69-base FLT3 ITD (13:28608242); the test
    MAF vcf2maf made from it with VEP names it c.1813_1814ins... (p.E604_F605ins...): the
    gene table puts it at codon 605, where c.1813-1814 lie, and it fires the ITD rule."""
    data = run_json(DATA / "vcf2maf.test.grch37.vcf", "AML", sample="TUMOR", genome="GRCh37")
    (itd,) = [f for f in data["findings"] if f["gene"] == "FLT3"]
    assert itd["variant"]["pos"] == 28608242
    assert (itd["rule_id"], itd["alteration"]) == (
        "FLT3-ITD-FLT3I-S",
        "inframe_insertion (codon 605)",
    )
    maf = (DATA / "vcf2maf.test_output.vep_isoforms.grch37.maf").read_text()
    assert "c.1813_1814insCCCCCCGAGGGGGTAATGAGTAC" in maf
