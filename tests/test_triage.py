"""Reading keeps only the rule-gene alleles that can change a result (RuleMatcher.matters) and
counts the others: the findings, the unclassified variants and the summary are those of
keeping every allele."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import annotator.parts
from annotator.config import AnnotateConfig
from annotator.inputs import read_vcf_sample
from annotator.matcher import RuleMatcher, SampleAllele
from annotator.models import Alteration, Variant, VariantClass
from annotator.protein import parse_protein_change
from annotator.unclassified import find_unclassified
from tests.generated import make_vcf
from tests.runs import run_json
from tests.test_matcher_split_rules import ALTERATIONS, MATCHER, RULES

ROOT = Path(__file__).resolve().parents[1]
# Positions of the rules' genomic selectors and conditions, and others.
POSITIONS = sorted({pos for _chrom, pos, _ref, _alt in MATCHER._genomic_rules} | {1000, 2000, 3000})


def allele(number: int, pos: int, alterations: list[Alteration], gene: str) -> SampleAllele:
    variant = Variant("chr7", pos, "C", "T", record_index=number, alts=("T",))
    moved = tuple(replace(alteration, variant=variant) for alteration in alterations)
    return SampleAllele(variant, moved, annotated=True, genes=(gene,))


ALLELES = st.lists(
    st.tuples(
        st.sampled_from(POSITIONS),
        st.lists(ALTERATIONS, max_size=3),
        st.sampled_from(["EGFR", "KRAS", "ABL1"]),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(drawn=ALLELES)
def test_the_alleles_that_do_not_matter_change_no_finding_nor_unclassified_item(
    drawn: list[tuple[int, list[Alteration], str]],
) -> None:
    alleles = [allele(n, pos, alts, gene) for n, (pos, alts, gene) in enumerate(drawn, 1)]
    kept = [a for a in alleles if MATCHER.matters(a)]
    every, some = MATCHER.match(alleles), MATCHER.match(kept)
    assert some == every
    genes = RULES.small_variant_genes
    assert find_unclassified(kept, RULES.genes, some, small_variant_genes=genes) == (
        find_unclassified(alleles, RULES.genes, every, small_variant_genes=genes)
    )


def test_a_conditions_alteration_matters_without_a_rule_of_its_own() -> None:
    # EGFR T790M is a condition (C797S-in-cis rules and others) as well as a rule; an allele
    # that only a condition finds must be kept, whatever the rules of its own gene.
    conditions = [
        (rule.id, condition)
        for rule in RULES.rules
        for condition in (*rule.requires, *rule.excludes)
        if MATCHER.selectors.kind(condition) == "protein_changes"
    ]
    assert conditions
    _rule_id, condition = conditions[0]
    change = sorted(MATCHER.selectors.protein_changes(condition))[0]
    matcher = RuleMatcher(RULES, build="GRCh38", tumor_type="LUAD", oncotree=MATCHER.oncotree)
    matcher._small_rules[condition.gene] = ()  # as if the gene had no rule of its own
    matcher._split_rules.pop(condition.gene, None)
    variant = Variant("chr1", 5, "C", "T", record_index=1, alts=("T",))
    found = Alteration(
        condition.gene,
        VariantClass.MISSENSE,
        variant,
        preferred=True,
        protein=parse_protein_change(f"p.{change}"),
    )
    assert not matcher.candidates(SampleAllele(variant, (found,), True, genes=(condition.gene,)))
    assert matcher.matters(SampleAllele(variant, (found,), True, genes=(condition.gene,)))


# --- End to end: the same result with every allele kept ------------------------------------


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 synthetic records with VEP CSQ, 10% in cancer-gene spans."""
    out = tmp_path_factory.mktemp("annotated") / "g20k.csq.vcf.gz"
    return make_vcf(out, "--records", "20000", "--seed", "7")


def every_allele_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RuleMatcher, "matters", lambda _self, _allele: True)


@pytest.mark.parametrize(
    "options",
    [
        {"use_index": False},
        {"prefilter": True, "threads": 2},  # two processes: each keeps its own
        {"prefilter": True, "threads": 1, "include_filtered": True},
        {"use_index": False, "min_vaf": 0.2},
        {"use_index": False, "panel_size_mb": 30.0},
    ],
    ids=["full", "two-parts", "filtered", "min-vaf", "tmb"],
)
def test_a_generated_vcf_gives_the_result_of_every_allele_kept(
    annotated: Path, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    triaged = run_json(annotated, "LUAD", **options)
    assert triaged["findings"]
    assert triaged["summary"]["alleles_in_rule_genes"] > 5 * len(triaged["findings"])
    every_allele_kept(monkeypatch)
    assert run_json(annotated, "LUAD", **options) == triaged


CASES = [
    ("test_data/demo.grch38.vep.vcf.gz", "LUAD"),
    ("test_data/luad.grch37.vep.vcf", "LUAD"),
    ("test_data/luad.grch38.snpeff.vcf", "NSCLC"),
    ("test_data/crc.grch38.bcsq.vcf", "COAD"),
    ("tests/data/pcgr.T001-COAD.grch38.vcf.gz", "COAD"),
]


@pytest.mark.parametrize(("source", "tumor_type"), CASES, ids=[case[0] for case in CASES])
def test_bundled_inputs_give_the_result_of_every_allele_kept(
    source: str, tumor_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    triaged = run_json(ROOT / source, tumor_type)
    every_allele_kept(monkeypatch)
    assert run_json(ROOT / source, tumor_type) == triaged


def test_most_rule_gene_alleles_of_a_generated_vcf_are_only_counted(annotated: Path) -> None:
    small = read_vcf_sample(AnnotateConfig(input=annotated, tumor_type="LUAD"), RULES)
    assert small.uneventful > 5 * len(small.alleles) > 0
    explained = read_vcf_sample(
        AnnotateConfig(input=annotated, tumor_type="LUAD", explain=True), RULES
    )
    # --explain notes none (a near miss names each unclassified one) and keeps those a near
    # miss may name: those of a run without it (here no more), far fewer than all.
    assert len(explained.noted) == 0
    assert len(small.alleles) <= len(explained.alleles) < explained.uneventful
    everything = small.uneventful + len(small.alleles) + len(small.noted)
    assert explained.uneventful + len(explained.alleles) == everything


@pytest.mark.parametrize(
    "options",
    [
        {"use_index": False},
        {"prefilter": True, "threads": 2},  # two processes: each keeps its own
        {"prefilter": True, "threads": 1, "include_filtered": True},
    ],
    ids=["full", "two-parts", "filtered"],
)
def test_explain_gives_the_near_misses_of_every_allele_kept(
    annotated: Path, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--explain kept every rule-gene allele (354 MB on v5m.csq with TMB); it keeps those
    RuleMatcher.explains takes, and the result, near misses included, is the same."""
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    explained = run_json(annotated, "LUAD", explain=True, **options)
    assert len(explained["near_misses"]) > 20
    assert {miss["reason"] for miss in explained["near_misses"]} >= {"off_label", "requires_unmet"}
    monkeypatch.setattr(RuleMatcher, "explains", lambda _self, _allele: True)
    assert run_json(annotated, "LUAD", explain=True, **options) == explained


def naive_condition_finds(allele: SampleAllele) -> bool:
    """Every requires/excludes condition of the rules matched in turn (no index)."""
    selectors = MATCHER.selectors
    for rule in RULES.rules:
        for condition in (*rule.requires, *rule.excludes):
            if selectors.kind(condition) == "genomic" and selectors.match_allele(
                condition, allele.variant
            ):
                return True
            for alteration in allele.alterations:
                if alteration.gene == condition.gene and selectors.match_alteration(
                    condition, alteration
                ):
                    return True
    return False


@settings(max_examples=400, deadline=None)
@given(
    pos=st.sampled_from(POSITIONS),
    alterations=st.lists(ALTERATIONS, min_size=1, max_size=3),
    gene=st.sampled_from(["EGFR", "BRAF", "BRCA1", "ERBB2"]),
)
def test_conditions_are_looked_up_as_matching_each_would_find_them(
    pos: int, alterations: list[Alteration], gene: str
) -> None:
    drawn = allele(1, pos, alterations, gene)
    assert MATCHER._a_condition_finds(drawn) == naive_condition_finds(drawn)


@pytest.mark.parametrize(
    ("change", "found"),
    [
        ("p.Val600Glu", True),
        ("p.Val600Lys", True),
        ("p.Gly596_Val600del", True),
        ("p.Lys601Glu", False),
        ("p.Gly469Ala", False),
    ],
)
def test_a_codons_condition_finds_changes_at_its_codon(change: str, found: bool) -> None:
    # BRAF V600 (codons) is a requires condition of the BRAF-inhibitor resistance rules.
    variant = Variant("chr7", 140753336, "A", "T", record_index=1, alts=("T",))
    braf = Alteration(
        "BRAF",
        VariantClass.MISSENSE if "del" not in change else VariantClass.INFRAME_DELETION,
        variant,
        preferred=True,
        protein=parse_protein_change(change),
    )
    drawn = SampleAllele(variant, (braf,), True, genes=("BRAF",))
    assert MATCHER._a_condition_finds(drawn) is found
    assert naive_condition_finds(drawn) is found
