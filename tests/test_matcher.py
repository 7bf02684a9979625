"""Tests for annotator.matcher: selectors from tests/data/matcher_cases.tsv, codon changes from
tests/data/codon_cases.tsv, RuleMatcher over rules loaded from a temporary YAML file, and
find_unclassified."""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from annotator.matcher import RuleMatcher, Sample, SampleAllele
from annotator.models import (
    Alteration,
    CodonChange,
    Effect,
    EvidenceLevel,
    Finding,
    MatchType,
    TumorTypeMatch,
    Variant,
    VariantClass,
    allele_key,
)
from annotator.protein import parse_protein_change
from annotator.rules import RuleSet
from annotator.rules.loader import load_rules
from annotator.rules.schema import SELECTOR_KINDS, Condition, GeneSpec, Selector
from annotator.selector_match import SelectorMatcher
from annotator.tumor_types import load_oncotree
from annotator.unclassified import find_unclassified
from tests.factories import EGFR, KRAS, alteration, variant

DATA = Path(__file__).parent / "data"

# EGFR T790M: GRCh38 7:55181378 C>T, GRCh37 7:55249071 C>T.
T790M_GRCH38 = ("7", 55181378, "C", "T")
T790M_GRCH37 = ("7", 55249071, "C", "T")


# --- SelectorMatcher.match_alteration, table-driven -------------------------------------------


@dataclass(frozen=True)
class MatchCase:
    case: str
    selector: Selector
    alteration: Alteration
    build: str
    expected: MatchType | None
    xfail: str


def _variant_from(text: str) -> Variant:
    chrom, pos, ref, alt = (text or "7:100:C:T").split(":")
    return variant(chrom, int(pos), ref, alt)


def read_match_cases() -> list[MatchCase]:
    with (DATA / "matcher_cases.tsv").open(encoding="utf-8") as handle:
        rows = csv.DictReader(
            (line for line in handle if not line.startswith("#")),
            delimiter="\t",
            quoting=csv.QUOTE_NONE,
        )
        cases = []
        for row in rows:
            assert row["preferred"] in ("yes", "no"), row["case"]
            cases.append(
                MatchCase(
                    case=row["case"],
                    selector=Selector.model_validate(yaml.safe_load(row["selector"])),
                    alteration=alteration(
                        row["gene"],
                        row["protein"] or None,
                        VariantClass(row["variant_class"]),
                        preferred=row["preferred"] == "yes",
                        exon=int(row["exon"]) if row["exon"] else None,
                        on=_variant_from(row["variant"]),
                    ),
                    build=row["build"] or "GRCh38",
                    expected=None if row["expected"] == "none" else MatchType(row["expected"]),
                    xfail=row["xfail"],
                )
            )
        return cases


MATCH_CASES = read_match_cases()


def _as_param(case: MatchCase) -> Any:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=case.case, marks=marks)


def test_the_table_has_enough_distinct_cases() -> None:
    names = [case.case for case in MATCH_CASES]
    assert len(names) >= 35
    assert len(set(names)) == len(names)


def test_the_table_covers_every_selector_kind() -> None:
    kinds = {case.selector.kind for case in MATCH_CASES}
    assert kinds == set(SELECTOR_KINDS)


#: One matcher per build across all rows, so that its selector caches are exercised too; with
#: the bundled gene table (exon_skipping reads its splice sites).
SHARED_MATCHERS: dict[str, SelectorMatcher] = {}
BUNDLED_GENES = load_rules().genes


@pytest.mark.parametrize("case", [_as_param(case) for case in MATCH_CASES])
def test_match_alteration(case: MatchCase) -> None:
    matcher = SHARED_MATCHERS.setdefault(case.build, SelectorMatcher(case.build, BUNDLED_GENES))
    assert matcher.match_alteration(case.selector, case.alteration) == case.expected


# --- codon changes (unannotated SNVs on a known codon), table-driven ---------------------------


@dataclass(frozen=True)
class CodonCase:
    case: str
    selector: Selector
    alteration: Alteration
    expected: MatchType | None
    label: str


def codon_alteration(
    gene: str,
    change: CodonChange,
    *,
    exon: int | None = None,
    preferred: bool = True,
    on: Variant | None = None,
) -> Alteration:
    """What GenomicAnnotator gives for an SNV in a listed coding exon."""
    cds_position = 3 * (change.codon - 1) + change.position
    return Alteration(
        gene=gene,
        variant_class=VariantClass.OTHER,
        variant=on or variant(annotations={}),
        transcript="ENST00000311936" if preferred else "ENST00000000001",
        preferred=preferred,
        hgvsc=f"c.{cds_position}{change.ref}>{change.alt}",
        exon=exon,
        consequence_terms=("coding_sequence_variant",),
        source="genomic",
        codon_change=change,
    )


def read_codon_cases() -> list[CodonCase]:
    with (DATA / "codon_cases.tsv").open(encoding="utf-8") as handle:
        rows = csv.DictReader(
            (line for line in handle if not line.startswith("#")),
            delimiter="\t",
            quoting=csv.QUOTE_NONE,
        )
        cases = []
        for row in rows:
            assert row["preferred"] in ("yes", "no"), row["case"]
            change = CodonChange(int(row["codon"]), int(row["position"]), row["ref"], row["alt"])
            cases.append(
                CodonCase(
                    case=row["case"],
                    selector=Selector.model_validate(yaml.safe_load(row["selector"])),
                    alteration=codon_alteration(
                        row["gene"],
                        change,
                        exon=int(row["exon"]) if row["exon"] else None,
                        preferred=row["preferred"] == "yes",
                        on=_variant_from(row["variant"]),
                    ),
                    expected=None if row["expected"] == "none" else MatchType(row["expected"]),
                    label=row["label"],
                )
            )
        return cases


CODON_CASES = read_codon_cases()


def test_the_codon_table_is_complete() -> None:
    names = [case.case for case in CODON_CASES]
    assert len(set(names)) == len(names) >= 40
    assert {case.selector.kind for case in CODON_CASES} == set(SELECTOR_KINDS)
    for case in CODON_CASES:
        assert bool(case.label) == (case.expected is not None), case.case


@pytest.mark.parametrize("case", CODON_CASES, ids=[case.case for case in CODON_CASES])
def test_match_codon_change(case: CodonCase) -> None:
    matcher = SHARED_MATCHERS.setdefault("GRCh38", SelectorMatcher("GRCh38", BUNDLED_GENES))
    assert matcher.match_alteration(case.selector, case.alteration) == case.expected
    if case.expected is not None:
        assert matcher.codon_change_label(case.selector, case.alteration) == case.label


def test_a_protein_change_wins_over_a_codon_change() -> None:
    """An alteration with both (not what the annotators write) is matched on its protein."""
    with_protein = replace(
        alteration("KRAS", "p.Gly12Asp", exon=2), codon_change=CodonChange(12, 3, "T", "C")
    )
    matcher = SelectorMatcher("GRCh38")
    assert matcher.match_alteration(Selector(codons=["G12"]), with_protein) is MatchType.CODON
    assert with_protein.protein is not None


def test_selector_cache_keyed_by_id_of_a_freed_selector() -> None:
    matcher = SelectorMatcher("GRCh38")
    wrong = []
    for position in range(1, 101):
        selector = Selector(protein_changes=[f"T{position}M"])
        found = matcher.match_alteration(selector, alteration("EGFR", f"p.Thr{position}Met"))
        if found is not MatchType.PROTEIN:
            wrong.append(position)
        del selector
    assert wrong == []


def test_genomic_selector_needs_the_alterations_variant() -> None:
    selector = Selector.model_validate(
        {"genomic": {"GRCh38": [{"chrom": "7", "pos": 55181378, "ref": "C", "alt": "T"}]}}
    )
    without_variant = Alteration(gene="EGFR", variant_class=VariantClass.MISSENSE, preferred=True)
    assert SelectorMatcher("GRCh38").match_alteration(selector, without_variant) is None


# --- SelectorMatcher.match_allele ---------------------------------------------------------------

BOTH_BUILDS = Selector.model_validate(
    {
        "genomic": {
            "GRCh37": [{"chrom": "7", "pos": 55249071, "ref": "C", "alt": "T"}],
            "GRCh38": [{"chrom": "chr7", "pos": 55181378, "ref": "C", "alt": "T"}],
        }
    }
)


@pytest.mark.parametrize(
    ("build", "chrom", "pos", "expected"),
    [
        ("GRCh38", "7", 55181378, MatchType.GENOMIC),
        ("GRCh38", "chr7", 55181378, MatchType.GENOMIC),
        ("GRCh37", "7", 55249071, MatchType.GENOMIC),
        ("GRCh37", "chr7", 55249071, MatchType.GENOMIC),
        ("GRCh37", "7", 55181378, None),
        ("GRCh38", "7", 55249071, None),
        ("GRCh38", "8", 55181378, None),
    ],
)
def test_match_allele(build: str, chrom: str, pos: int, expected: MatchType | None) -> None:
    assert SelectorMatcher(build).match_allele(BOTH_BUILDS, variant(chrom, pos, "C", "T")) == (
        expected
    )


def test_match_allele_ignores_other_selector_kinds() -> None:
    selector = Selector(protein_changes=["T790M"])
    assert SelectorMatcher("GRCh38").match_allele(selector, variant(*T790M_GRCH38)) is None


# --- RuleMatcher over rules loaded from YAML ----------------------------------------------------

RULES_YAML = """\
genes:
  - symbol: EGFR
    hgnc_id: "HGNC:3236"
    ensembl_transcript: ENST00000275493
    refseq_transcript: NM_005228.5
    strand: "+"
    spans:
      GRCh37: {chrom: "7", start: 55086710, end: 55279321}
      GRCh38: {chrom: "7", start: 55019017, end: 55211628}
    sources: [test]
  - symbol: KRAS
    hgnc_id: "HGNC:6407"
    ensembl_transcript: ENST00000311936
    refseq_transcript: NM_004985.5
    strand: "-"
    spans:
      GRCh38: {chrom: "12", start: 25205246, end: 25250936}
    sources: [test]
drugs:
  - {name: gefitinib, classes: [test class], sources: [test]}
  - {name: erlotinib, classes: [test class], sources: [test]}
  - {name: afatinib, classes: [test class], sources: [test]}
  - {name: dacomitinib, classes: [test class], sources: [test]}
  - {name: osimertinib, classes: [test class], sources: [test]}
  - {name: cetuximab, classes: [test class], sources: [test]}
rules:
  - id: T790M-NSCLC
    gene: EGFR
    alteration: {protein_changes: [T790M]}
    tumor_types: {include: [NSCLC]}
    effect: resistance
    therapies: [gefitinib]
    evidence_level: A
    citations: ["PMID:15737014"]
    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]
  - id: T790M-ALL
    gene: EGFR
    alteration: {protein_changes: [p.Thr790Met]}
    tumor_types: {include: [ALL]}
    effect: resistance
    therapies: [erlotinib]
    evidence_level: B
    citations: ["PMID:15737014"]
    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]
  - id: T790M-NOT-LUAD
    gene: EGFR
    alteration: {protein_changes: [T790M]}
    tumor_types: {include: [NSCLC], exclude: [LUAD]}
    effect: resistance
    therapies: [afatinib]
    evidence_level: C
    citations: ["PMID:15737014"]
    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]
  - id: T790M-GENOMIC
    gene: EGFR
    alteration:
      genomic:
        GRCh37: [{chrom: "7", pos: 55249071, ref: C, alt: T}]
        GRCh38: [{chrom: chr7, pos: 55181378, ref: C, alt: T}]
    tumor_types: {include: [NSCLC]}
    effect: resistance
    therapies: [dacomitinib]
    evidence_level: D
    citations: ["PMID:15737014"]
    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]
  - id: C797S-WITH-T790M
    gene: EGFR
    alteration: {protein_changes: [C797S]}
    requires: [{gene: EGFR, protein_changes: [T790M]}]
    tumor_types: {include: [NSCLC]}
    effect: resistance
    therapies: [osimertinib]
    evidence_level: B
    citations: ["PMID:25939061"]
    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]
  - id: EX19-WITHOUT-KRAS-G12
    gene: EGFR
    alteration: {exon: 19, consequences: [inframe_deletion]}
    excludes: [{gene: KRAS, codons: [G12]}]
    tumor_types: {include: [NSCLC]}
    effect: sensitivity
    therapies: [osimertinib]
    evidence_level: A
    citations: ["PMID:29151359"]
    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]
  - id: KRAS-G12
    gene: KRAS
    alteration: {codons: [G12]}
    tumor_types: {include: [COADREAD]}
    effect: resistance
    therapies: [cetuximab]
    evidence_level: A
    citations: ["PMID:18316791"]
    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]
"""

T790M_RULE_IDS = ["T790M-ALL", "T790M-GENOMIC", "T790M-NOT-LUAD", "T790M-NSCLC"]


@pytest.fixture(scope="module")
def rule_set(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    path = tmp_path_factory.mktemp("rules") / "test_rules.yaml"
    path.write_text(RULES_YAML, encoding="utf-8")
    return load_rules([path], bundled=False)


def make_matcher(rules: RuleSet, tumor_type: str = "LUAD", build: str = "GRCh38") -> RuleMatcher:
    return RuleMatcher(rules, build=build, tumor_type=tumor_type, oncotree=load_oncotree())


def allele_of(
    on: Variant,
    *changes: tuple[str, str | None, VariantClass],
    annotated: bool = True,
    exon: int | None = None,
) -> SampleAllele:
    """A sample allele with preferred alterations (gene, protein, class) on ``on``."""
    return SampleAllele(
        on,
        tuple(
            alteration(gene, protein, variant_class, exon=exon, on=on)
            for gene, protein, variant_class in changes
        ),
        annotated,
    )


def t790m_allele(chrom: str = "7", pos: int = 55181378) -> SampleAllele:
    return allele_of(
        variant(chrom, pos, "C", "T"), ("EGFR", "p.Thr790Met", VariantClass.MISSENSE), exon=20
    )


def c797s_allele() -> SampleAllele:
    return allele_of(
        variant("7", 55181398, "T", "A"), ("EGFR", "p.Cys797Ser", VariantClass.MISSENSE), exon=20
    )


def ex19_allele() -> SampleAllele:
    return allele_of(
        variant("7", 55174772, "GGAATTAAGAGAAGCA", "G"),
        ("EGFR", "p.Glu746_Ala750del", VariantClass.INFRAME_DELETION),
        exon=19,
    )


def kras_allele(protein: str = "p.Gly12Asp") -> SampleAllele:
    return allele_of(
        variant("12", 25245350, "C", "T"), ("KRAS", protein, VariantClass.MISSENSE), exon=2
    )


def labels(findings: list[Finding]) -> dict[str, TumorTypeMatch]:
    return {finding.rule_id: finding.tumor_type_match for finding in findings}


@pytest.mark.parametrize(
    ("tumor_type", "expected"),
    [
        (
            "LUAD",
            {
                "T790M-ALL": TumorTypeMatch.ON_LABEL,
                "T790M-GENOMIC": TumorTypeMatch.ON_LABEL,
                "T790M-NOT-LUAD": TumorTypeMatch.OFF_LABEL,
                "T790M-NSCLC": TumorTypeMatch.ON_LABEL,
            },
        ),
        (
            "LUSC",
            {
                "T790M-ALL": TumorTypeMatch.ON_LABEL,
                "T790M-GENOMIC": TumorTypeMatch.ON_LABEL,
                "T790M-NOT-LUAD": TumorTypeMatch.ON_LABEL,
                "T790M-NSCLC": TumorTypeMatch.ON_LABEL,
            },
        ),
        (
            "NSCLC",
            {
                "T790M-ALL": TumorTypeMatch.ON_LABEL,
                "T790M-GENOMIC": TumorTypeMatch.ON_LABEL,
                "T790M-NOT-LUAD": TumorTypeMatch.ON_LABEL,
                "T790M-NSCLC": TumorTypeMatch.ON_LABEL,
            },
        ),
        (
            "COAD",
            {
                "T790M-ALL": TumorTypeMatch.ON_LABEL,
                "T790M-GENOMIC": TumorTypeMatch.OFF_LABEL,
                "T790M-NOT-LUAD": TumorTypeMatch.OFF_LABEL,
                "T790M-NSCLC": TumorTypeMatch.OFF_LABEL,
            },
        ),
    ],
)
def test_tumor_type_decides_the_label_not_whether_a_rule_fires(
    rule_set: RuleSet, tumor_type: str, expected: dict[str, TumorTypeMatch]
) -> None:
    findings = make_matcher(rule_set, tumor_type).match([t790m_allele()])
    assert labels(findings) == expected


def test_finding_carries_the_rule_and_the_alteration(rule_set: RuleSet) -> None:
    allele = t790m_allele()
    findings = make_matcher(rule_set).match([allele])
    finding = next(f for f in findings if f.rule_id == "T790M-NSCLC")
    assert finding.gene == "EGFR"
    assert finding.alteration == "T790M"
    assert finding.hgvsp == "p.Thr790Met"
    assert finding.transcript == "ENST00000275493.7"
    assert finding.variant == allele.variant
    assert finding.effect is Effect.RESISTANCE
    assert finding.therapies == ("gefitinib",)
    assert finding.evidence_level is EvidenceLevel.A
    assert finding.match_type is MatchType.PROTEIN
    assert finding.citations == ("PMID:15737014",)
    assert finding.rule_tumor_types == ("NSCLC",)


def test_requires_met_by_another_allele(rule_set: RuleSet) -> None:
    findings = make_matcher(rule_set).match([c797s_allele(), t790m_allele()])
    assert [f.rule_id for f in findings] == ["C797S-WITH-T790M", *T790M_RULE_IDS]


def test_requires_unmet(rule_set: RuleSet) -> None:
    assert make_matcher(rule_set).match([c797s_allele()]) == []


def test_requires_unmet_when_the_condition_is_only_on_another_transcript(
    rule_set: RuleSet,
) -> None:
    on = variant(*T790M_GRCH38)
    other_transcript = SampleAllele(
        on, (alteration("EGFR", "p.Thr790Met", preferred=False, on=on),), True
    )
    findings = make_matcher(rule_set).match([c797s_allele(), other_transcript])
    # Only the genomic rule fires on the T790M allele; C797S needs T790M on the rules' transcript.
    assert [f.rule_id for f in findings] == ["T790M-GENOMIC"]


def test_excludes_absent_fires(rule_set: RuleSet) -> None:
    findings = make_matcher(rule_set).match([ex19_allele(), kras_allele("p.Gly13Asp")])
    assert [f.rule_id for f in findings] == ["EX19-WITHOUT-KRAS-G12"]
    assert findings[0].match_type is MatchType.EXON


def test_excludes_present_blocks(rule_set: RuleSet) -> None:
    findings = make_matcher(rule_set, "COAD").match([ex19_allele(), kras_allele("p.Gly12Asp")])
    assert [f.rule_id for f in findings] == ["KRAS-G12"]
    assert findings[0].match_type is MatchType.CODON


def _scanned_condition_alleles(
    matcher: RuleMatcher, condition: Condition, alleles: list[SampleAllele]
) -> list[Variant]:
    """What condition_alleles gives, by looking at every allele of the sample in turn."""
    selectors = matcher.selectors
    return [
        allele.variant
        for allele in alleles
        if selectors.match_allele(condition, allele.variant) is not None
        or any(
            alteration.gene == condition.gene and selectors.match_alteration(condition, alteration)
            for alteration in allele.alterations
        )
    ]


CONDITIONS = [
    {"gene": "EGFR", "protein_changes": ["T790M"]},
    {"gene": "KRAS", "codons": ["G12"]},
    {"gene": "EGFR", "exon": 19},
    {
        "gene": "EGFR",
        "genomic": {"GRCh38": [{"chrom": "chr7", "pos": 55181378, "ref": "C", "alt": "T"}]},
    },
    {"gene": "BRAF", "protein_changes": ["V600E"]},
]


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: f"{c['gene']}-{sorted(c)[-1]}")
def test_condition_alleles_are_those_a_scan_of_every_allele_finds(
    rule_set: RuleSet, condition: dict[str, Any]
) -> None:
    wanted = Condition.model_validate(condition)
    unannotated_t790m = SampleAllele(variant("chr7", 55181378, "C", "T", annotations={}), (), False)
    alleles = [
        kras_allele("p.Gly12Asp"),
        t790m_allele(),
        ex19_allele(),
        unannotated_t790m,  # only a genomic condition finds it: no alteration
        c797s_allele(),
        kras_allele("p.Gly12Val"),
        t790m_allele(pos=55181379),  # T790M by its annotation, at another position
    ]
    matcher = make_matcher(rule_set)
    sample = Sample(tuple(alleles))
    expected = _scanned_condition_alleles(matcher, wanted, alleles)
    assert list(matcher.condition_alleles(wanted, sample)) == expected
    assert list(matcher.condition_alleles(wanted, sample)) == expected  # asked again
    # Another sample has its own alleles.
    fewer = alleles[3:5]
    found = matcher.condition_alleles(wanted, Sample(tuple(fewer)))
    assert list(found) == _scanned_condition_alleles(matcher, wanted, fewer)


def test_vep_and_snpeff_alterations_of_one_allele_report_each_rule_once(
    rule_set: RuleSet,
) -> None:
    on = variant(*T790M_GRCH38)
    vep = alteration("EGFR", "p.Thr790Met", exon=20, on=on)
    snpeff = Alteration(
        gene="EGFR",
        variant_class=VariantClass.MISSENSE,
        variant=on,
        transcript="ENST00000275493.8",
        preferred=True,
        hgvsp="p.Thr790Met",
        protein=parse_protein_change("p.Thr790Met"),
        exon=20,
        source="SnpEff",
    )
    findings = make_matcher(rule_set).match([SampleAllele(on, (vep, snpeff), True)])
    assert [f.rule_id for f in findings] == T790M_RULE_IDS
    # The first matching alteration is the one reported.
    assert {f.transcript for f in findings} == {"ENST00000275493.7"}


def test_same_allele_listed_twice_reports_each_rule_once(rule_set: RuleSet) -> None:
    findings = make_matcher(rule_set).match([t790m_allele("7"), t790m_allele("chr7")])
    assert [f.rule_id for f in findings] == T790M_RULE_IDS


def test_findings_in_input_order_then_rule_id(rule_set: RuleSet) -> None:
    alleles = [kras_allele(), t790m_allele(), ex19_allele()]
    findings = make_matcher(rule_set, "COAD").match(alleles)
    assert [(f.variant.pos if f.variant else 0, f.rule_id) for f in findings] == [
        (25245350, "KRAS-G12"),
        *[(55181378, rule_id) for rule_id in T790M_RULE_IDS],
    ]
    findings = make_matcher(rule_set).match(list(reversed(alleles)))
    assert [f.rule_id for f in findings] == [*T790M_RULE_IDS, "KRAS-G12"]


# KRAS c.35G>A at GRCh38 12:25245350 C>T (minus strand); c.34 at 25245351, c.36 at 25245349.
KRAS_NOTE = ("KRAS", "KRAS codon 12 changed; the protein change needs the reference sequence")


def kras_codon_allele(position: int, ref: str, alt: str, pos: int) -> SampleAllele:
    """An unannotated KRAS codon-12 SNV as GenomicAnnotator leaves it: alteration and note.
    ``ref``/``alt`` are coding-strand bases; the record's are their complements."""
    complement = str.maketrans("ACGT", "TGCA")
    on = variant("12", pos, ref.translate(complement), alt.translate(complement), annotations={})
    change = codon_alteration("KRAS", CodonChange(12, position, ref, alt), exon=2, on=on)
    return SampleAllele(on, (change,), False, (KRAS_NOTE,))


def test_codon_change_fires_a_codon_rule(rule_set: RuleSet) -> None:
    allele = kras_codon_allele(2, "G", "A", 25245350)
    findings = make_matcher(rule_set, "COAD").match([allele])
    assert [(f.rule_id, f.match_type) for f in findings] == [("KRAS-G12", MatchType.CODON)]
    (finding,) = findings
    assert finding.alteration == "G12 (c.35G>A; D or E)"
    assert finding.hgvsc == "c.35G>A"
    assert finding.hgvsp is None
    assert finding.transcript == "ENST00000311936"


def test_synonymous_codon_change_fires_nothing(rule_set: RuleSet) -> None:
    assert make_matcher(rule_set, "COAD").match([kras_codon_allele(3, "T", "C", 25245349)]) == []


@pytest.mark.parametrize(
    ("kras", "expected"),
    [
        (kras_codon_allele(1, "G", "C", 25245351), ["KRAS-G12"]),  # G12R: excludes met
        (kras_codon_allele(3, "T", "C", 25245349), ["EX19-WITHOUT-KRAS-G12"]),  # synonymous
    ],
    ids=["certain-g12-change-excludes", "synonymous-does-not-exclude"],
)
def test_codon_change_in_a_condition(
    rule_set: RuleSet, kras: SampleAllele, expected: list[str]
) -> None:
    findings = make_matcher(rule_set).match([ex19_allele(), kras])
    assert sorted(f.rule_id for f in findings) == expected


def test_genomic_rule_on_an_unannotated_record(rule_set: RuleSet) -> None:
    on = variant("chr7", 55181378, "C", "T", annotations={})
    findings = make_matcher(rule_set).match([SampleAllele(on, (), False)])
    assert len(findings) == 1
    finding = findings[0]
    assert finding.rule_id == "T790M-GENOMIC"
    assert finding.match_type is MatchType.GENOMIC
    assert finding.alteration == "chr7:55181378C>T"
    assert finding.hgvsp is None
    assert finding.transcript is None


def test_genomic_rule_reports_the_preferred_alteration(rule_set: RuleSet) -> None:
    findings = make_matcher(rule_set).match([t790m_allele()])
    finding = next(f for f in findings if f.rule_id == "T790M-GENOMIC")
    assert finding.match_type is MatchType.GENOMIC
    assert finding.alteration == "T790M"
    assert finding.hgvsp == "p.Thr790Met"


def test_genomic_rule_uses_the_runs_build(rule_set: RuleSet) -> None:
    grch37 = make_matcher(rule_set, build="GRCh37")
    on38 = variant(*T790M_GRCH38, annotations={})
    on37 = variant(*T790M_GRCH37, annotations={})
    assert grch37.match([SampleAllele(on38, (), False)]) == []
    assert [f.rule_id for f in grch37.match([SampleAllele(on37, (), False)])] == ["T790M-GENOMIC"]


@pytest.mark.parametrize(
    ("build", "key", "expected"),
    [
        ("GRCh38", T790M_GRCH38, True),
        ("GRCh38", allele_key(variant("chr7", 55181378, "c", "t")), True),
        ("GRCh38", T790M_GRCH37, False),
        ("GRCh37", T790M_GRCH37, True),
        ("GRCh37", T790M_GRCH38, False),
        ("GRCh38", ("7", 55181378, "C", "A"), False),
    ],
)
def test_has_genomic_rule(
    rule_set: RuleSet, build: str, key: tuple[str, int, str, str], expected: bool
) -> None:
    assert make_matcher(rule_set, build=build).has_genomic_rule(key) is expected


def test_non_preferred_alteration_fires_only_genomic_rules(rule_set: RuleSet) -> None:
    on = variant(*T790M_GRCH38)
    allele = SampleAllele(on, (alteration("EGFR", "p.Thr790Met", preferred=False, on=on),), True)
    findings = make_matcher(rule_set).match([allele])
    assert [f.rule_id for f in findings] == ["T790M-GENOMIC"]
    # No preferred EGFR alteration: the genomic finding falls back to the allele.
    assert findings[0].alteration == "7:55181378C>T"


# --- find_unclassified --------------------------------------------------------------------------

GENES: dict[str, GeneSpec] = {"EGFR": EGFR, "KRAS": KRAS}


def unclassified_of(
    allele: SampleAllele,
    genes_at: tuple[str, ...] = (),
    findings: tuple[Finding, ...] = (),
) -> list[tuple[str, str]]:
    found = find_unclassified(
        [allele], GENES, list(findings), {allele_key(allele.variant): genes_at}
    )
    assert all(u.variant == allele.variant for u in found)
    # The same from the genes the allele carries itself (how the VCF path gives them).
    own = find_unclassified([replace(allele, genes=genes_at)], GENES, list(findings))
    assert own == found
    return [(u.gene, u.reason) for u in found]


def test_only_other_transcripts_names_the_expected_transcript() -> None:
    on = variant(*T790M_GRCH38)
    allele = SampleAllele(on, (alteration("EGFR", "p.Thr790Met", preferred=False, on=on),), True)
    [(gene, reason)] = unclassified_of(allele, ("EGFR",))
    assert gene == "EGFR"
    assert "ENST00000275493" in reason  # the rules' transcript
    assert "ENST00000000001.1" in reason  # the one it was seen on
    assert reason == (
        "annotated only on other transcripts (ENST00000000001.1), "
        "not on the rules' transcript ENST00000275493"
    )


def test_only_other_transcripts_of_a_gene_without_a_gene_table_entry() -> None:
    on = variant("17", 7675088, "C", "T")
    allele = SampleAllele(on, (alteration("TP53", "p.Arg175His", preferred=False, on=on),), True)
    [(gene, reason)] = unclassified_of(allele)
    assert gene == "TP53"
    assert "its MANE Select transcript" in reason


def test_preferred_missense_without_protein_change() -> None:
    allele = allele_of(variant(*T790M_GRCH38), ("EGFR", None, VariantClass.MISSENSE))
    assert unclassified_of(allele, ("EGFR",)) == [
        ("EGFR", "missense consequence without a protein change (HGVSp)")
    ]


def test_unparsable_protein_change_is_quoted() -> None:
    on = variant(*T790M_GRCH38)
    unreadable = Alteration(
        gene="EGFR",
        variant_class=VariantClass.MISSENSE,
        variant=on,
        transcript="ENST00000275493.7",
        preferred=True,
        hgvsp="p.Thr790Xyz",
        protein=None,
    )
    [(gene, reason)] = unclassified_of(SampleAllele(on, (unreadable,), True), ("EGFR",))
    assert gene == "EGFR"
    assert "'p.Thr790Xyz'" in reason
    assert "could not be read" in reason


@pytest.mark.parametrize(
    ("protein", "variant_class"),
    [
        ("p.Thr790Met", VariantClass.MISSENSE),
        ("p.Thr790=", VariantClass.SYNONYMOUS),
        (None, VariantClass.SPLICE_DONOR),
        (None, VariantClass.OTHER),
    ],
)
def test_classified_alterations_give_no_reason(
    protein: str | None, variant_class: VariantClass
) -> None:
    allele = allele_of(variant(*T790M_GRCH38), ("EGFR", protein, variant_class))
    assert unclassified_of(allele, ("EGFR",)) == []


def test_unannotated_record_in_a_rule_gene_span() -> None:
    allele = SampleAllele(variant(*T790M_GRCH38, annotations={}), (), False)
    [(gene, reason)] = unclassified_of(allele, ("EGFR",))
    assert gene == "EGFR"
    assert "no consequence annotation" in reason
    assert "annotate the VCF" in reason


def test_unannotated_record_in_two_spans_is_listed_per_gene() -> None:
    allele = SampleAllele(variant(*T790M_GRCH38, annotations={}), (), False)
    assert [gene for gene, _ in unclassified_of(allele, ("EGFR", "KRAS"))] == ["EGFR", "KRAS"]


@pytest.mark.parametrize("fired", [False, True], ids=["no-finding", "finding"])
def test_unannotated_record_with_a_note_on_its_gene(rule_set: RuleSet, fired: bool) -> None:
    on = variant("chr7", 55181378, "C", "T", annotations={})
    allele = SampleAllele(on, (), False, (("EGFR", "EGFR codon 790 changed"),))
    findings = tuple(make_matcher(rule_set).match([allele])) if fired else ()
    assert bool(findings) is fired
    expected = [] if fired else [("EGFR", "EGFR codon 790 changed")]
    assert unclassified_of(allele, ("EGFR",), findings) == expected


def test_unannotated_record_that_fired_a_rule_is_classified(rule_set: RuleSet) -> None:
    allele = SampleAllele(variant("chr7", 55181378, "C", "T", annotations={}), (), False)
    findings = make_matcher(rule_set).match([allele])
    assert [f.rule_id for f in findings] == ["T790M-GENOMIC"]
    # The finding's variant is the same allele written without the chr prefix.
    refound = tuple(replace(f, variant=variant(*T790M_GRCH38, annotations={})) for f in findings)
    assert unclassified_of(allele, ("EGFR",), tuple(findings)) == []
    assert unclassified_of(allele, ("EGFR",), refound) == []
    # A finding for another gene does not classify it in EGFR.
    other_gene = tuple(replace(f, gene="KRAS") for f in findings)
    assert [gene for gene, _ in unclassified_of(allele, ("EGFR",), other_gene)] == ["EGFR"]


def test_codon_change_that_fired_no_rule_reports_its_note(rule_set: RuleSet) -> None:
    allele = kras_codon_allele(3, "T", "C", 25245349)
    findings = tuple(make_matcher(rule_set, "COAD").match([allele]))
    assert findings == ()
    assert unclassified_of(allele, ("KRAS",), findings) == [KRAS_NOTE]


def test_codon_change_that_fired_a_rule_is_classified(rule_set: RuleSet) -> None:
    allele = kras_codon_allele(1, "G", "C", 25245351)
    findings = tuple(make_matcher(rule_set, "COAD").match([allele]))
    assert [f.rule_id for f in findings] == ["KRAS-G12"]
    assert unclassified_of(allele, ("KRAS",), findings) == []


def test_codon_change_without_a_note_gets_the_general_reason() -> None:
    """A codon change does not classify its gene by itself: without a note (not what the
    annotator writes) the unannotated-record reason stands."""
    allele = replace(kras_codon_allele(1, "G", "C", 25245351), notes=())
    [(gene, reason)] = unclassified_of(allele, ("KRAS",))
    assert gene == "KRAS"
    assert "no consequence annotation" in reason


def test_annotated_record_in_span_without_a_transcript_of_the_gene() -> None:
    on = variant(*T790M_GRCH38)
    allele = SampleAllele(on, (alteration("KRAS", "p.Gly12Asp", on=on),), True)
    assert unclassified_of(allele, ("EGFR",)) == [
        ("EGFR", "the record lies in EGFR but its annotation names no EGFR transcript")
    ]


def test_annotated_record_in_span_without_any_rule_gene_alteration() -> None:
    allele = SampleAllele(variant(*T790M_GRCH38), (), True)
    [(gene, reason)] = unclassified_of(allele, ("EGFR",))
    assert gene == "EGFR"
    assert "names no EGFR transcript" in reason


def test_non_preferred_allele_that_fired_a_genomic_rule_is_classified(
    rule_set: RuleSet,
) -> None:
    on = variant(*T790M_GRCH38)
    allele = SampleAllele(on, (alteration("EGFR", "p.Thr790Met", preferred=False, on=on),), True)
    findings = make_matcher(rule_set).match([allele])
    assert unclassified_of(allele, ("EGFR",), tuple(findings)) == []


# --- phase: conditions with cis/trans on the rule's own gene -------------------------------------

PHASE_RULES = """
genes:
  - symbol: EGFR
    hgnc_id: "HGNC:3236"
    ensembl_transcript: ENST00000275493
    refseq_transcript: NM_005228.5
    strand: "+"
    sources: [test]
drugs:
  - {name: osimertinib, classes: [test class], sources: [test]}
rules:
  - id: C797S-CIS
    gene: EGFR
    alteration: {protein_changes: [C797S]}
    requires: [{gene: EGFR, protein_changes: [T790M], phase: cis}]
    tumor_types: {include: [NSCLC]}
    effect: resistance
    therapies: [osimertinib]
    evidence_level: C
    citations: ["PMID:25939061"]
    examples: [{alteration: EGFR p.C797S, tumor_type: LUAD, with: [EGFR p.T790M cis]}]
  - id: C797S-TRANS
    gene: EGFR
    alteration: {protein_changes: [C797S]}
    requires: [{gene: EGFR, protein_changes: [T790M], phase: trans}]
    tumor_types: {include: [NSCLC]}
    effect: resistance
    therapies: [osimertinib]
    evidence_level: C
    citations: ["PMID:25939061"]
    examples: [{alteration: EGFR p.C797S, tumor_type: LUAD, with: [EGFR p.T790M trans]}]
"""


@pytest.mark.parametrize(
    ("t790m_phase", "expected"),
    [
        (("PS1", 0), ["C797S-CIS"]),
        (("PS1", 1), ["C797S-TRANS"]),
        (("PS2", 0), []),  # another phase set: unknown
        ((None, None), []),  # unphased: unknown, neither fires
    ],
)
def test_phased_conditions(
    tmp_path: Path, t790m_phase: tuple[str | None, int | None], expected: list[str]
) -> None:
    path = tmp_path / "phase.yaml"
    path.write_text(PHASE_RULES)
    ruleset = load_rules([path], bundled=False)
    c797s_variant = variant(pos=55181399, ref="G", alt="C", phase_set="PS1", haplotype=0)
    t790m_variant = variant(
        pos=55181378, phase_set=t790m_phase[0], haplotype=t790m_phase[1], record_index=2
    )
    alleles = [
        SampleAllele(t790m_variant, (alteration("EGFR", "T790M", on=t790m_variant),), True),
        SampleAllele(c797s_variant, (alteration("EGFR", "C797S", on=c797s_variant),), True),
    ]
    matcher = RuleMatcher(ruleset, build="GRCh38", tumor_type="LUAD", oncotree=load_oncotree())
    assert [f.rule_id for f in matcher.match(alleles)] == expected
