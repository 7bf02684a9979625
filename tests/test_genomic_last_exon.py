"""The last exon of a transcript on an unannotated VCF (gene table ``exon_count``): BRCA1 exon 23
and BRCA2 exon 27 of the real tables, both builds.

Coordinates are the table's (rules/genes.yaml, sources in rules/SOURCES.md): BRCA1 (- strand)
exon 23 coding part c.5468-5592 = GRCh38 17:43045802-43045678, GRCh37 17:41197819-41197695;
exon 22 ends at c.5467 = GRCh38 17:43047643 (GRCh37 41199660). BRCA2 (+ strand) exon 27
c.9649-10257 = GRCh38 13:32398162-32398770, GRCh37 13:32972299-32972907; exon 26 ends at
c.9648 = GRCh38 13:32397044. Without a FASTA only positions and lengths count, so the bases of
the alleles below are arbitrary.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.genomic import GenomicAnnotator, GenomicResult
from annotator.models import Variant, VariantClass
from annotator.rules import RuleSet, load_rules
from tests.runs import run_json
from tests.vcfgen import GRCH38_CONTIGS, GRCH38_RULE_CONTIGS, vcf_text, write_vcf

DONOR, ACCEPTOR = VariantClass.SPLICE_DONOR, VariantClass.SPLICE_ACCEPTOR

#: (gene, build): chromosome, the last exon's c. start and end as genomic positions, the
#: genomic direction of increasing c. (+1 or -1), the last exon's number, the position of the
#: coding end of the exon before it.
LAST_EXONS = {
    ("BRCA1", "GRCh38"): ("17", 43045802, 43045678, -1, 23, 43047643),
    ("BRCA1", "GRCh37"): ("17", 41197819, 41197695, -1, 23, 41199660),
    ("BRCA2", "GRCh38"): ("13", 32398162, 32398770, 1, 27, 32397044),
    ("BRCA2", "GRCh37"): ("13", 32972299, 32972907, 1, 27, 32971181),
}
CASES = sorted(LAST_EXONS)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def annotate(rules: RuleSet, build: str, chrom: str, pos: int, ref: str, alt: str) -> GenomicResult:
    annotator = GenomicAnnotator(rules.genes, build, rules.hotspot_index(build))
    return annotator.annotate(Variant(chrom, pos, ref, alt, record_index=1))


@pytest.mark.parametrize(("gene", "build"), CASES)
def test_the_tables_give_the_transcripts_exon_count(rules: RuleSet, gene: str, build: str) -> None:
    spec = rules.genes[gene]
    last = LAST_EXONS[gene, build][4]
    assert spec.exon_count == last
    assert max(exon.number for exon in spec.exons) == last


@pytest.mark.parametrize(("gene", "build"), CASES)
def test_a_frameshift_in_the_last_exon_carries_the_exon_count(
    rules: RuleSet, gene: str, build: str
) -> None:
    chrom, first, _last, step, number, _before_end = LAST_EXONS[gene, build]
    inside = first + 20 * step  # c.(start + 20), well inside the exon
    result = annotate(rules, build, chrom, inside, "GA", "G")
    (alteration,) = result.alterations
    assert alteration.variant_class is VariantClass.FRAMESHIFT
    assert (alteration.exon, alteration.exon_count) == (number, number)
    assert alteration.escapes_nmd
    # Its note (class and codon) gives way to the NMD reason in the unclassified list.
    ((noted_gene, reason),) = result.notes
    assert noted_gene == gene
    assert reason.startswith(f"frameshift in {gene} codon ")


@pytest.mark.parametrize(("gene", "build"), CASES)
def test_a_frameshift_in_the_exon_before_does_not_escape(
    rules: RuleSet, gene: str, build: str
) -> None:
    chrom, _first, _last, step, number, before_end = LAST_EXONS[gene, build]
    result = annotate(rules, build, chrom, before_end - 10 * step, "GA", "G")
    (alteration,) = result.alterations
    assert (alteration.exon, alteration.exon_count) == (number - 1, number)
    assert not alteration.escapes_nmd


@pytest.mark.parametrize(("gene", "build"), CASES)
def test_the_last_exons_acceptor_is_a_splice_site(rules: RuleSet, gene: str, build: str) -> None:
    chrom, first, _last, step, _number, _before_end = LAST_EXONS[gene, build]
    cds_start = rules.genes[gene].exons[-1].cds_start
    for offset in (1, 2):
        result = annotate(rules, build, chrom, first - offset * step, "A", "G")
        (alteration,) = result.alterations
        assert alteration.variant_class is ACCEPTOR
        assert alteration.hgvsc is not None
        assert alteration.hgvsc.startswith(f"c.{cds_start}-{offset}")


@pytest.mark.parametrize(("gene", "build"), CASES)
def test_no_splice_donor_after_the_stop_codon(rules: RuleSet, gene: str, build: str) -> None:
    """c.*1 and c.*2 are 3' UTR bases of the same exon: a note, not a splice donor (which
    would fire the loss-of-function rules)."""
    chrom, _first, last, step, number, _before_end = LAST_EXONS[gene, build]
    for offset in (1, 2):
        result = annotate(rules, build, chrom, last + offset * step, "A", "G")
        assert result.alterations == []
        ((noted_gene, reason),) = result.notes
        assert noted_gene == gene
        assert f"2-{number}" in reason
        assert "outside the coding exons" in reason
    # The exon before still has its donor.
    before_end = LAST_EXONS[gene, build][5]
    (alteration,) = annotate(rules, build, chrom, before_end + step, "A", "G").alterations
    assert alteration.variant_class is DONOR


CONTIGS = {**GRCH38_CONTIGS, "chr13": GRCH38_RULE_CONTIGS["chr13"]}


def test_end_to_end_a_last_exon_frameshift_is_unclassified_not_a_parp_call(
    tmp_path: Path,
) -> None:
    """An unannotated BRCA2 frameshift in exon 27 (of 27) fires no PARP-inhibitor rule and is
    listed as unclassified with the nonsense-mediated decay reason; one in exon 26 fires."""
    chrom, first, _last, _step, _number, before_end = LAST_EXONS["BRCA2", "GRCh38"]
    records = [
        f"chr{chrom}\t{pos}\t.\tGA\tG\t.\tPASS\t.\tGT:AD:AF:DP\t0/1:60,40:0.4:100"
        for pos in (before_end - 10, first + 20)
    ]
    path = write_vcf(tmp_path, vcf_text(records, contigs=CONTIGS, info_lines=()), "vcf")
    data = run_json(path, "HGSOC", genome="GRCh38")
    on_label = {
        (f["variant"]["pos"], f["rule_id"])
        for f in data["findings"]
        if f["tumor_type_match"] == "on_label"
    }
    assert on_label == {(before_end - 10, "BRCA2-LOF-PARPI-OV-S")}
    assert {f["variant"]["pos"] for f in data["findings"]} == {before_end - 10}
    (unclassified,) = data["unclassified"]
    assert unclassified["variant"]["pos"] == first + 20
    assert "last exon (27/27)" in unclassified["reason"]
    assert "nonsense-mediated decay" in unclassified["reason"]


def test_an_exon_beyond_the_exon_count_is_a_rules_error(rules: RuleSet) -> None:
    spec = rules.genes["BRCA2"]
    data = spec.model_dump()
    data["exon_count"] = 26
    with pytest.raises(ValueError, match="exon 27 is listed but the transcript has 26 exons"):
        type(spec).model_validate(data)
    assert type(spec).model_validate(data | {"exon_count": 27}).exon_count == 27
