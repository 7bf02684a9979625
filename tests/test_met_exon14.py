"""MET exon 14 skipping: the ``exon_skipping`` selector and rule MET-EX14SKIP-METI-S.

MET (+ strand, NM_000245.4 / ENST00000397752) exon 14 is c.2888-3028 = GRCh38
7:116771849-116771989 and GRCh37 7:116411903-116412043 in the gene table (rules/genes.yaml,
sources there). Its canonical splice sites are the two intron bases on each side: acceptor
c.2888-2/-1 = GRCh38 116771847/116771848, donor c.3028+1/+2 = 116771990/116771991 (GRCh37
116411901/116411902 and 116412044/116412045; 116412044 is vcf2maf's MET:SS116412044). The
intron's GT...AG gives the reference bases of the alleles below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotator.models import Alteration, MatchType, Variant, VariantClass
from annotator.rules import RuleSet, load_rules
from annotator.rules.schema import Selector
from annotator.selector_match import SelectorMatcher
from tests.runs import run_json
from tests.test_maf import EGFR_L858R, write_maf
from tests.vcfgen import BCFTOOLS_BCSQ_LINE, SNPEFF_ANN_LINE, vcf_text, write_vcf

DONOR, ACCEPTOR = VariantClass.SPLICE_DONOR, VariantClass.SPLICE_ACCEPTOR
MET_TRANSCRIPT = "ENST00000397752"
RULE_ID = "MET-EX14SKIP-METI-S"
SKIPPING = Selector(exon_skipping=14)
#: (build) -> acceptor -2, -1, donor +1, +2.
SITES = {
    "GRCh38": (116771847, 116771848, 116771990, 116771991),
    "GRCh37": (116411901, 116411902, 116412044, 116412045),
}


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def alteration(
    pos: int,
    variant_class: VariantClass,
    ref: str = "G",
    alt: str = "T",
    *,
    chrom: str = "chr7",
    preferred: bool = True,
    gene: str = "MET",
) -> Alteration:
    return Alteration(
        gene,
        variant_class,
        Variant(chrom, pos, ref, alt, record_index=1),
        MET_TRANSCRIPT if preferred else "ENST00000318493",
        preferred=preferred,
    )


@pytest.mark.parametrize("build", sorted(SITES))
def test_each_splice_site_of_exon_14_matches(rules: RuleSet, build: str) -> None:
    matcher = SelectorMatcher(build, rules.genes)
    acceptor_2, acceptor_1, donor_1, donor_2 = SITES[build]
    for pos, variant_class in (
        (acceptor_2, ACCEPTOR),
        (acceptor_1, ACCEPTOR),
        (donor_1, DONOR),
        (donor_2, DONOR),
    ):
        found = matcher.match_alteration(SKIPPING, alteration(pos, variant_class))
        assert found is MatchType.EXON, (build, pos)
    # Chromosome names with or without chr.
    assert matcher.match_alteration(SKIPPING, alteration(donor_1, DONOR, chrom="7")) is not None


def test_a_deletion_across_the_exon_end_matches(rules: RuleSet) -> None:
    """A deletion whose REF covers the donor (as VEP annotates it: EXON 14/21 and a splice
    donor term) or the acceptor, and the whole exon with both."""
    matcher = SelectorMatcher("GRCh38", rules.genes)
    across_donor = alteration(116771985, DONOR, ref="A" * 9, alt="A")  # c.3025_3028+4del
    across_acceptor = alteration(116771840, ACCEPTOR, ref="A" * 12, alt="A")
    whole_exon = alteration(116771840, ACCEPTOR, ref="A" * 160, alt="A")
    for found in (across_donor, across_acceptor, whole_exon):
        assert matcher.match_alteration(SKIPPING, found) is MatchType.EXON


@pytest.mark.parametrize(
    ("pos", "variant_class", "preferred", "gene", "why"),
    [
        (116771992, DONOR, True, "MET", "c.3028+3: no canonical splice site"),
        (116771846, ACCEPTOR, True, "MET", "c.2888-3: no canonical splice site"),
        (116771989, VariantClass.MISSENSE, True, "MET", "c.3028 (D1010): a missense class"),
        (116771990, VariantClass.OTHER, True, "MET", "the class says no splice change"),
        (116771990, DONOR, False, "MET", "on another transcript"),
        (116782100, DONOR, True, "MET", "another exon's donor"),
        (116771990, DONOR, True, "EGFR", "another gene"),
    ],
)
def test_what_does_not_match(
    rules: RuleSet, pos: int, variant_class: VariantClass, preferred: bool, gene: str, why: str
) -> None:
    matcher = SelectorMatcher("GRCh38", rules.genes)
    found = alteration(pos, variant_class, preferred=preferred, gene=gene)
    assert matcher.match_alteration(SKIPPING, found) is None, why


def test_without_the_gene_table_nothing_matches() -> None:
    assert (
        SelectorMatcher("GRCh38").match_alteration(SKIPPING, alteration(116771990, DONOR)) is None
    )


# --- end to end ----------------------------------------------------------------------------

CONTIGS = {"chr7": 159345973}
CSQ_LINE = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl '
    'VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSc|HGVSp|EXON|INTRON">'
)
SAMPLE = "GT:AD:AF:DP\t0/1:60,40:0.4:100"


def record(pos: int, ref: str, alt: str, csq: str | None = None) -> str:
    info = f"CSQ={csq}" if csq else "."
    return f"chr7\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t{info}\t{SAMPLE}"


def met_findings(data: dict[str, Any]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for finding in data["findings"]:
        if finding["tumor_type_match"] == "on_label":
            found.setdefault(finding["variant"]["pos"], set()).add(finding["rule_id"])
    return found


def test_vep_annotated_intronic_and_exonic_splice_variants(tmp_path: Path) -> None:
    """VEP gives the intronic donor variant no EXON (INTRON 14/20): the place decides. The
    exon's last-base missense and a deeper intronic splice_region variant fire nothing."""
    records = [
        record(
            116771990,
            "G",
            "T",
            f"T|splice_donor_variant&intron_variant|HIGH|MET|{MET_TRANSCRIPT}.7|"
            f"{MET_TRANSCRIPT}.7:c.3028+1G>T|||14/20",
        ),
        record(
            116771985,
            "AGAAAGATA",
            "A",
            f"-|splice_donor_variant&coding_sequence_variant&intron_variant|HIGH|MET|"
            f"{MET_TRANSCRIPT}.7|{MET_TRANSCRIPT}.7:c.3025_3028+4del||14/21|14/20",
        ),
        record(
            116771989,
            "G",
            "A",
            f"A|missense_variant&splice_region_variant|MODERATE|MET|{MET_TRANSCRIPT}.7|"
            f"{MET_TRANSCRIPT}.7:c.3028G>A|ENSP00000380860.3:p.Asp1010Asn|14/21|",
        ),
        record(
            116771993,
            "A",
            "G",
            f"G|splice_region_variant&intron_variant|LOW|MET|{MET_TRANSCRIPT}.7|"
            f"{MET_TRANSCRIPT}.7:c.3028+4A>G|||14/20",
        ),
    ]
    text = vcf_text(records, contigs=CONTIGS, info_lines=(CSQ_LINE,))
    data = run_json(write_vcf(tmp_path, text, "vcf"), "LUAD", genome="GRCh38")
    assert met_findings(data) == {116771990: {RULE_ID}, 116771985: {RULE_ID}}
    (finding,) = [f for f in data["findings"] if f["variant"]["pos"] == 116771990]
    assert finding["therapies"] == ["capmatinib", "tepotinib"]
    assert finding["evidence_level"] == "A"
    assert finding["match_type"] == "exon"
    calls = {call["therapy"]: call for call in data["therapy_calls"]}
    assert {"capmatinib", "tepotinib"} <= set(calls)


def test_unannotated_vcf_through_the_gene_table(tmp_path: Path) -> None:
    acceptor_2, acceptor_1, donor_1, _donor_2 = SITES["GRCh38"]
    records = [
        record(donor_1, "G", "T"),  # c.3028+1G>T
        record(acceptor_2, "A", "G"),  # c.2888-2A>G
        record(acceptor_1 - 3, "T", "C"),  # c.2888-4: intronic, a note
    ]
    text = vcf_text(records, contigs=CONTIGS, info_lines=())
    data = run_json(write_vcf(tmp_path, text, "vcf"), "NSCLC", genome="GRCh38")
    assert met_findings(data) == {donor_1: {RULE_ID}, acceptor_2: {RULE_ID}}
    off_label = run_json(write_vcf(tmp_path, text, "vcf"), "COAD", genome="GRCh38")
    assert met_findings(off_label) == {}


ANN_LINE = SNPEFF_ANN_LINE
BCSQ_LINE = BCFTOOLS_BCSQ_LINE


@pytest.mark.parametrize(
    ("line", "info"),
    [
        (
            ANN_LINE,
            f"ANN=T|splice_donor_variant&intron_variant|HIGH|MET|MET|transcript|{MET_TRANSCRIPT}.7|"
            "protein_coding|14/20|c.3028+1G>T||||||",
        ),
        (BCSQ_LINE, f"BCSQ=splice_donor|MET|{MET_TRANSCRIPT}|protein_coding|+||116771990G>T"),
    ],
    ids=["SnpEff", "bcftools-csq"],
)
def test_snpeff_and_bcftools_csq_splice_donor(tmp_path: Path, line: str, info: str) -> None:
    text = vcf_text(
        [record(116771990, "G", "T").replace("\t.\tGT", f"\t{info}\tGT")],
        contigs=CONTIGS,
        info_lines=(line,),
    )
    data = run_json(write_vcf(tmp_path, text, "vcf"), "LUAD", genome="GRCh38")
    assert met_findings(data) == {116771990: {RULE_ID}}


def test_maf_splice_site(tmp_path: Path) -> None:
    row = EGFR_L858R | {
        "Hugo_Symbol": "MET",
        "Start_Position": "116771990",
        "End_Position": "116771990",
        "Variant_Classification": "Splice_Site",
        "Reference_Allele": "G",
        "Tumor_Seq_Allele1": "G",
        "Tumor_Seq_Allele2": "T",
        "HGVSp_Short": "",
        "HGVSc": "c.3028+1G>T",
        "Transcript_ID": f"{MET_TRANSCRIPT}.7",
        "Exon_Number": "",
        "Tumor_Sample_Barcode": "S1",
    }
    data = run_json(write_maf(tmp_path, row), "LUAD")
    assert met_findings(data) == {116771990: {RULE_ID}}
