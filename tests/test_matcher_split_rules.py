"""RuleMatcher's candidates: a preferred alteration looks its protein_changes rules up by its
protein change, and its codons, protein_range and exon rules by its positions and exon, instead
of matching each; the hits are those of matching every rule of the gene in turn, in the same
order (bundled rules, random alterations)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.matcher import RuleMatcher, SampleAllele
from annotator.models import Alteration, CodonChange, MatchType, Variant, VariantClass
from annotator.protein import parse_protein_change
from annotator.rules import load_rules
from annotator.rules.schema import Rule
from annotator.tumor_types import load_oncotree

RULES = load_rules()
MATCHER = RuleMatcher(RULES, build="GRCh38", tumor_type="LUAD", oncotree=load_oncotree())
GENES = sorted({rule.gene for rule in RULES.rules})
# Changes the rules name (as they write them) and some they do not.
NAMED = sorted(
    {text for rule in RULES.rules for text in rule.alteration.protein_changes or []}
    | {"p.Thr790Met", "p.Val600Glu", "p.Gly12Cys", "p.Gly12Asp", "p.Leu858Arg", "p.Ser768Ile"}
    | {"p.Glu746_Ala750del", "p.Gln61Ter", "p.Thr790=", "p.Cys797Ser", "p.Leu747ProfsTer13"}
)


def reference(matcher: RuleMatcher, allele: SampleAllele) -> list[tuple[Rule, object, MatchType]]:
    """Every rule of the alteration's gene matched in turn (no lookup), then by rule id."""
    hits: list[tuple[Rule, object, MatchType]] = []
    variant = allele.variant
    assert variant.pos not in matcher._genomic_positions  # no genomic rule to take first
    for alteration in allele.alterations:
        if not alteration.preferred and alteration.event is None:
            continue
        for rule in matcher._gene_rules(alteration.gene):
            match_type = matcher.selectors.match_alteration(rule.alteration, alteration)
            if match_type is not None:
                hits.append((rule, alteration, match_type))
    if len(hits) > 1:
        hits.sort(key=lambda hit: hit[0].id)
    return hits


VARIANT = Variant("chr1", 1, "A", "T", record_index=1)  # no genomic rule there
ALTERATIONS = st.builds(
    lambda gene, preferred, protein, codon, variant_class, exon, event: Alteration(
        gene=gene,
        variant_class=variant_class,
        variant=VARIANT,
        transcript="ENST00000000001",
        preferred=preferred,
        protein=None if protein is None else parse_protein_change(protein),
        exon=exon,
        codon_change=codon,
        event=event,
    ),
    st.sampled_from(["EGFR", "PIK3CA", "ABL1"]) | st.sampled_from(GENES),
    st.booleans(),
    st.none()
    | st.sampled_from(NAMED)
    # anywhere in a protein: inside and outside the codons, ranges and exons the rules name
    | st.builds(
        lambda position, residue, alt: f"p.{residue}{position}{alt}",
        st.integers(1, 1300),
        st.sampled_from(["Gly", "Val", "Glu", "Thr", "Leu", "His"]),
        st.sampled_from(["Ala", "Asp", "Ter", "Met", "Lys"]),
    ),
    st.none()
    # changes the genetic code makes certain: EGFR C797S and S768I, PIK3CA E545K, ABL1 T315A
    | st.sampled_from(
        [
            CodonChange(797, 1, "T", "A"),
            CodonChange(768, 2, "G", "T"),
            CodonChange(545, 1, "G", "A"),
            CodonChange(315, 1, "A", "G"),
        ]
    )
    | st.builds(
        CodonChange,
        st.sampled_from([12, 13, 61, 600, 790, 797, 858]),
        st.integers(1, 3),
        st.sampled_from("ACGT"),
        st.sampled_from("ACGT"),
    ),
    st.sampled_from(list(VariantClass)),
    st.none() | st.integers(17, 22),
    st.none() | st.sampled_from(["deletion", "amplification"]),
)


@settings(max_examples=400, deadline=None)
@given(alterations=st.lists(ALTERATIONS, min_size=1, max_size=4))
def test_candidates_are_every_rule_matched_in_turn(alterations: list[Alteration]) -> None:
    allele = SampleAllele(VARIANT, tuple(alterations), annotated=True)
    assert list(MATCHER.candidates(allele)) == reference(MATCHER, allele)


def test_a_named_change_is_found() -> None:
    egfr = Alteration(
        gene="EGFR",
        variant_class=VariantClass.MISSENSE,
        variant=VARIANT,
        preferred=True,
        protein=parse_protein_change("p.Thr790Met"),
    )
    hits = list(MATCHER.candidates(SampleAllele(VARIANT, (egfr,), annotated=True)))
    assert hits
    assert hits == reference(MATCHER, SampleAllele(VARIANT, (egfr,), annotated=True))
    assert {match_type for _rule, _alteration, match_type in hits} == {MatchType.PROTEIN}


def candidate_rules(alteration: Alteration) -> list[str]:
    allele = SampleAllele(VARIANT, (alteration,), annotated=True)
    found = [rule.id for rule, _alteration, _match in MATCHER.candidates(allele)]
    assert found == [rule.id for rule, _alteration, _match in reference(MATCHER, allele)]
    return found


def test_exon_rules_are_tried_in_their_exon() -> None:
    def deletion(exon: int) -> Alteration:
        return Alteration(
            gene="EGFR",
            variant_class=VariantClass.INFRAME_DELETION,
            variant=VARIANT,
            preferred=True,
            protein=parse_protein_change("p.Glu746_Ala750del"),
            exon=exon,
        )

    assert "EGFR-EX19DEL-EGFRTKI-S" in candidate_rules(deletion(19))
    assert "EGFR-EX19DEL-EGFRTKI-S" not in candidate_rules(deletion(18))


def test_protein_range_rules_are_tried_up_to_both_ends() -> None:
    # FLT3-ITD-FLT3I-S names residues 572-630 (juxtamembrane domain), for in-frame insertions.
    def insertion(after: int) -> Alteration:
        change = f"p.Glu{after}_Tyr{after + 1}insGlyGlu"
        return Alteration(
            gene="FLT3",
            variant_class=VariantClass.INFRAME_INSERTION,
            variant=VARIANT,
            preferred=True,
            protein=parse_protein_change(change),
        )

    assert "FLT3-ITD-FLT3I-S" in candidate_rules(insertion(630))  # positions 630-631
    assert "FLT3-ITD-FLT3I-S" in candidate_rules(insertion(571))  # positions 571-572
    assert "FLT3-ITD-FLT3I-S" not in candidate_rules(insertion(631))
    assert "FLT3-ITD-FLT3I-S" not in candidate_rules(insertion(569))
