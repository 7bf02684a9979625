"""Nothing silently dropped: rule-gene variants that cannot be classified are reported, with why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.rules import load_rules
from tests.test_matcher import RULES_YAML
from tests.vcfgen import FORMAT_LINES, vcf_text, write_vcf

CSQ_HEADER = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
    "Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|"
    "HGVSc|HGVSp|cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|"
    'Existing_variation|STRAND|CANONICAL|MANE_SELECT|ENSP">'
)
# EGFR L858R as VEP writes it on the alternative transcript ENST00000455089 (p.Leu813Arg) only,
# e.g. after --pick with another order: the rules' transcript ENST00000275493 is absent.
ALTERNATIVE_ONLY = (
    "G|missense_variant|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000455089|protein_coding|"
    "||ENST00000455089.5:c.2438T>G|ENSP00000415559.1:p.Leu813Arg||2438|813|L/R|cTg/cGg||1|||"
    "ENSP00000415559"
)
# The same allele on the MANE transcript, but without HGVSp (VEP run without --hgvs).
# Neither HGVSp nor Protein_position/Amino_acids (which VEP writes without --hgvs)
NO_HGVSP = (
    "G|missense_variant|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000275493|protein_coding|"
    "21/28|||||2573|||cTg/cGg||1|YES|NM_005228.5|ENSP00000275493"
)


def annotate(tmp_path: Path, records: list[str]) -> dict[str, object]:
    text = vcf_text(records, info_lines=(CSQ_HEADER,), format_lines=FORMAT_LINES)
    path = write_vcf(tmp_path, text)
    out = tmp_path / "out.json"
    assert main(["annotate", str(path), "--tumor-type", "LUAD", "--out-json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert isinstance(data, dict)
    return data


#: GRCh38 EGFR exon 1 before c.1 (55019278): its 5' UTR.
EGFR_UTR = 55019100


@pytest.mark.parametrize(
    ("csq", "reason_part"),
    [
        (ALTERNATIVE_ONLY, "not on the rules' transcript ENST00000275493"),
        (NO_HGVSP, "without a protein change"),
        (None, "outside the coding exons the gene table lists (EGFR 1-28)"),
    ],
    ids=["other-transcript-only", "no-hgvsp", "unannotated"],
)
def test_rule_gene_variant_reported_unclassified(
    csq: str | None, reason_part: str, tmp_path: Path
) -> None:
    info = f"CSQ={csq}" if csq else "."
    # Without annotation, L858R itself is a hotspot; take an EGFR position that is none, in
    # its 5' UTR (an intron base is an intron variant: EGFR's table lists every coding exon).
    pos = 55191822 if csq else EGFR_UTR
    data = annotate(tmp_path, [f"chr7\t{pos}\t.\tT\tG\t.\tPASS\t{info}\tGT:AD\t0/1:243,169"])
    assert data["findings"] == []
    unclassified = data["unclassified"]
    assert isinstance(unclassified, list)
    assert len(unclassified) == 1
    item = unclassified[0]
    assert item["gene"] == "EGFR"
    assert item["variant"] == {"chrom": "chr7", "pos": pos, "ref": "T", "alt": "G"}
    assert reason_part in item["reason"]


def test_variant_outside_rule_genes_is_not_unclassified(tmp_path: Path) -> None:
    data = annotate(tmp_path, ["chr17\t7675088\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:50,50"])
    assert data["unclassified"] == []
    assert data["summary"]["alleles_in_rule_genes"] == 0  # type: ignore[index]


def test_unannotated_hotspot_fires_through_the_hotspot_table(tmp_path: Path) -> None:
    data = annotate(tmp_path, ["chr7\t55191822\t.\tT\tG\t.\tPASS\t.\tGT:AD\t0/1:243,169"])
    assert data["unclassified"] == []
    findings = data["findings"]
    assert isinstance(findings, list)
    assert {f["rule_id"] for f in findings} == {"EGFR-L858R-EGFRTKI-S"}
    assert findings[0]["hgvsp"] == "p.Leu858Arg"
    assert findings[0]["transcript"] == "ENST00000275493"


# A deletion of the whole of KRAS exon 2 (chr12:25245254-25245404, GRCh38) as VEP can annotate
# it on the MANE transcript: terms that say the coding sequence changed without a protein change.
def kras_exon_loss(consequence: str) -> str:
    return (
        f"-|{consequence}|HIGH|KRAS|ENSG00000133703|Transcript|ENST00000311936|protein_coding|"
        "2/6||||||||||-1|YES|NM_004985.5|ENSP00000308495"
    )


@pytest.mark.parametrize(
    "consequence",
    [
        "exon_loss_variant",
        "feature_truncation&coding_sequence_variant",
        "protein_altering_variant",
        "coding_sequence_variant",
    ],
)
def test_a_coding_change_without_a_protein_change_is_unclassified(
    consequence: str, tmp_path: Path
) -> None:
    ref = "G" + "A" * 150
    info = f"CSQ={kras_exon_loss(consequence)}"
    data = annotate(tmp_path, [f"chr12\t25245253\t.\t{ref}\tG\t.\tPASS\t{info}\tGT:AD\t0/1:50,50"])
    assert data["findings"] == []
    (item,) = data["unclassified"]  # type: ignore[misc]
    top = consequence.partition("&")[0]
    assert item["gene"] == "KRAS"
    assert item["reason"] == (
        f"{top} without a protein change (HGVSp): what it does to the protein is not decided, "
        "so no rule can take it"
    )


def test_a_splice_site_deletion_without_a_protein_change_stays_classified(
    tmp_path: Path,
) -> None:
    """The most severe term decides: a splice donor variant is classified (no KRAS rule takes
    one), though the deletion changes coding bases too."""
    ref = "G" + "A" * 150
    info = f"CSQ={kras_exon_loss('splice_donor_variant&coding_sequence_variant&intron_variant')}"
    data = annotate(tmp_path, [f"chr12\t25245253\t.\t{ref}\tG\t.\tPASS\t{info}\tGT:AD\t0/1:50,50"])
    assert data["findings"] == []
    assert data["unclassified"] == []
    assert data["summary"]["alleles_in_rule_genes"] == 1  # type: ignore[index]


def _middle(gene: str) -> tuple[str, int]:
    span = load_rules().genes[gene].spans["GRCh38"]
    return f"chr{span.chrom}", (span.start + span.end) // 2


@pytest.mark.parametrize("explain", [False, True], ids=["triaged", "explain"])
def test_no_small_variant_of_a_gene_without_small_variant_rules_is_unclassified(
    explain: bool, tmp_path: Path
) -> None:
    """TYMS and ERBB2 are rule genes for their expression and copy number only: no rule takes
    a small variant of theirs, whatever its effect, so none is unclassified (annotating it
    would change nothing). It is counted among the rule-gene alleles all the same. EGFR's
    rules take small variants: one outside its exon table is unclassified."""
    rules = load_rules()
    assert {"TYMS", "ERBB2", "BCR", "ERCC1"}.isdisjoint(rules.small_variant_genes)
    assert {"EGFR", "MAP2K1", "PTEN", "MET"} <= rules.small_variant_genes
    erbb2 = rules.genes["ERBB2"]
    # ERBB2 on its MANE transcript without HGVSp: a rule gene's entry like this is
    # unclassified (test_rule_gene_variant_reported_unclassified's no-hgvsp case).
    erbb2_csq = (
        f"A|missense_variant|MODERATE|ERBB2|ENSG00000141736|Transcript|{erbb2.ensembl_transcript}|"
        f"protein_coding|20/27|||||2264|||cTg/cAg||1|YES|{erbb2.refseq_transcript}|ENSP00000269571"
    )
    tyms, erbb2_middle = _middle("TYMS"), _middle("ERBB2")
    records = [
        f"{tyms[0]}\t{tyms[1]}\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:50,50",
        f"{erbb2_middle[0]}\t{erbb2_middle[1]}\t.\tGT\tG\t.\tPASS\t.\tGT:AD\t0/1:50,50",
        f"{erbb2_middle[0]}\t{erbb2_middle[1] + 10}\t.\tG\tA\t.\tPASS\tCSQ={erbb2_csq}\t"
        "GT:AD\t0/1:50,50",
        f"chr7\t{EGFR_UTR}\t.\tT\tG\t.\tPASS\t.\tGT:AD\t0/1:50,50",
    ]
    text = vcf_text(records, info_lines=(CSQ_HEADER,), format_lines=FORMAT_LINES)
    out = tmp_path / "out.json"
    args = ["annotate", str(write_vcf(tmp_path, text)), "--tumor-type", "LUAD"]
    assert main([*args, "--out-json", str(out), *(["--explain"] if explain else [])]) == 0
    data = json.loads(out.read_text())
    assert data["findings"] == []
    assert [(u["gene"], u["variant"]["pos"]) for u in data["unclassified"]] == [("EGFR", EGFR_UTR)]
    assert data["summary"]["alleles_in_rule_genes"] == 4


def test_a_condition_gives_its_gene_small_variant_rules(tmp_path: Path) -> None:
    """A gene named only in a requires/excludes condition that takes small variants is one of
    ``small_variant_genes``; one whose only rule is about its expression is not."""
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(CONDITION_ONLY_RULES, encoding="utf-8")
    rules = load_rules([rules_file], bundled=False)
    assert rules.small_variant_genes == {"KRAS"}
    assert rules.gene_symbols == {"EGFR", "KRAS"}


# The gene table of tests/test_matcher.py (EGFR, KRAS), with rules of its own.
CONDITION_ONLY_RULES = (
    RULES_YAML.partition("drugs:")[0]
    + """\
drugs:
  - {name: gefitinib, classes: [test class], sources: [test]}
rules:
  - id: EGFR-HIGH-WITHOUT-KRAS-G12
    gene: EGFR
    alteration: {expression: overexpression}
    excludes: [{gene: KRAS, codons: [G12]}]
    tumor_types: {include: [NSCLC]}
    effect: sensitivity
    therapies: [gefitinib]
    evidence_level: D
    citations: ["PMID:15737014"]
    examples: [{alteration: EGFR overexpression, tumor_type: LUAD}]
"""
)
