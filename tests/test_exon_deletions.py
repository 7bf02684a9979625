"""Deletions of a whole coding exon (or across an exon's end) in an unannotated VCF.

Such a deletion takes out a splice site and coding bases at once. The splice site makes it a
splice variant, which a loss-of-function rule takes (BRCA2 exon 3 in ovarian cancer). What it
does to the protein the gene table cannot tell, so where no rule takes it (KRAS exon 2, which
holds codons 1-37: no KRAS rule is about losing them) it is listed as unclassified with that
reason, not only counted as a rule-gene allele classified without a rule.

Exon coordinates are the gene table's (rules/genes.yaml, GRCh38, with their sources); the
deleted bases are arbitrary, as only positions and lengths count without ``--reference``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.runs import run_json
from tests.vcfgen import GRCH38_RULE_CONTIGS, vcf_text, write_vcf

#: KRAS exon 2's coding part (c.1-111, minus strand) is chr12:25245274-25245384; BRCA2 exon
#: 3's (plus strand) chr13:32319077-32319325.
KRAS_EXON_2 = (25245274, 25245384)
BRCA2_EXON_3 = (32319077, 32319325)


def deletion(chrom: str, first: int, last: int, name: str) -> str:
    """A deletion of ``first``..``last`` (with a padding base before it)."""
    ref = "G" + "A" * (last - first + 1)
    return f"{chrom}\t{first - 1}\t{name}\t{ref}\tG\t.\tPASS\t.\tGT:AF\t0/1:0.4"


def run(tmp_path: Path, tumor_type: str, record: str) -> dict[str, Any]:
    text = vcf_text(
        [record],
        contigs=GRCH38_RULE_CONTIGS,
        info_lines=(),
        format_lines=(
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
            '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">',
        ),
    )
    return run_json(write_vcf(tmp_path, text), tumor_type)


def test_a_whole_kras_exon_deleted_is_unclassified_with_its_codons(tmp_path: Path) -> None:
    start, end = KRAS_EXON_2
    data = run(tmp_path, "COAD", deletion("chr12", start - 20, end + 20, "kras_exon2"))
    assert data["findings"] == []
    assert data["summary"]["alleles_in_rule_genes"] == 1
    (entry,) = data["unclassified"]
    assert entry["gene"] == "KRAS"
    assert entry["reason"].startswith(
        "splice_donor_variant that also changes KRAS codons 1-37; the protein change needs"
    )


def test_a_deletion_from_an_exon_into_its_intron_is_unclassified(tmp_path: Path) -> None:
    """Codon 37 and the two donor bases after c.111 (minus strand: below the exon's start)."""
    start, _end = KRAS_EXON_2
    data = run(tmp_path, "COAD", deletion("chr12", start - 2, start + 1, "kras_c110_del"))
    (entry,) = data["unclassified"]
    assert entry["reason"].startswith("splice_donor_variant that also changes KRAS codon 37;")


def test_a_whole_brca2_exon_deleted_fires_the_loss_of_function_rule(tmp_path: Path) -> None:
    start, end = BRCA2_EXON_3
    data = run(tmp_path, "HGSOC", deletion("chr13", start - 20, end + 20, "brca2_exon3"))
    assert data["unclassified"] == []
    rules = {finding["rule_id"] for finding in data["findings"]}
    assert "BRCA2-LOF-PARPI-OV-S" in rules
    classes = {finding["alteration"] for finding in data["findings"]}
    assert classes == {"splice_acceptor"}
