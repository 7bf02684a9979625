"""``within_rule_allele``: a condition met only by an allele whose alteration begins at a residue
the rule's own alteration spans (or next to either end). The BRCA reversion rules use it: an
in-frame deletion fires them only when it takes in the site of the loss-of-function variant it
would revert (rules/brca.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.matcher import RuleMatcher, SampleAllele, residue_span
from annotator.models import Alteration, CodonChange, Variant, VariantClass
from annotator.near_misses import find_near_misses
from annotator.rules import load_rules
from annotator.rules.schema import Rule
from annotator.tumor_types import load_oncotree
from tests.factories import alteration, rule, variant
from tests.runs import run_json
from tests.test_maf import write_maf

REVERSION = "BRCA2-REVERSION-PARPI-PLATINUM-R"
DELETION = VariantClass.INFRAME_DELETION
FRAMESHIFT = VariantClass.FRAMESHIFT


@pytest.fixture(scope="module")
def matcher() -> RuleMatcher:
    oncotree = load_oncotree()
    rules = load_rules((), bundled=True, oncotree=oncotree)
    return RuleMatcher(rules, build="GRCh38", tumor_type="HGSOC", oncotree=oncotree)


def allele(pos: int, protein: str, variant_class: VariantClass) -> SampleAllele:
    on = variant("13", pos, "ACGT", "A")
    return SampleAllele(on, (alteration("BRCA2", protein, variant_class, on=on),), True)


def fired(matcher: RuleMatcher, *alleles: SampleAllele) -> set[tuple[str, int]]:
    return {(f.rule_id, f.variant.pos) for f in matcher.match(alleles) if f.variant is not None}


@pytest.mark.parametrize(
    ("frameshift", "fires"),
    [
        ("S1979Rfs*22", False),
        ("S1980Rfs*22", True),  # next to the deletion's first residue
        ("S1982Rfs*22", True),  # inside it
        ("S1986Rfs*22", True),  # next to its last
        ("S1987Rfs*22", False),
        ("E23Vfs*17", False),
    ],
)
def test_the_loss_of_function_site_must_lie_in_the_deletion(
    matcher: RuleMatcher, frameshift: str, fires: bool
) -> None:
    deletion = allele(100, "S1981_L1985del", DELETION)
    primary = allele(200, frameshift, FRAMESHIFT)
    found = fired(matcher, deletion, primary)
    assert ((REVERSION, 100) in found) is fires
    assert ("BRCA2-LOF-PARPI-OV-S", 200) in found  # the primary variant's own rule fires
    assert (REVERSION, 200) not in found  # a frameshift is no in-frame reversion


def test_an_allele_is_not_its_own_partner(matcher: RuleMatcher) -> None:
    """An in-frame deletion is no loss-of-function variant: alone it reverts nothing."""
    assert (REVERSION, 100) not in fired(matcher, allele(100, "S1982del", DELETION))


def test_many_deletions_and_frameshifts_in_one_sample(matcher: RuleMatcher) -> None:
    """Every deletion of a sample looks up its partners in the same per-sample index of the
    residues the frameshifts begin at: each fires exactly when one begins inside it or next
    to either end, as the definition says, however many alleles the gene has."""
    deletions = [(100 + at, 1000 + 37 * at, 1000 + 37 * at + 3) for at in range(12)]
    shifts = [2000 + at for at in range(0, 40)]
    starts = [995 + 11 * at for at in range(40)]
    sample = [allele(pos, f"S{first}_L{last}del", DELETION) for pos, first, last in deletions] + [
        allele(pos, f"S{start}Rfs*22", FRAMESHIFT)
        for pos, start in zip(shifts, starts, strict=True)
    ]
    found = fired(matcher, *sample)
    expected = {
        pos
        for pos, first, last in deletions
        if any(first - 1 <= start <= last + 1 for start in starts)
    }
    assert 0 < len(expected) < len(deletions)  # both outcomes occur
    assert {pos for rule_id, pos in found if rule_id == REVERSION} == expected


def test_partners_are_looked_up_not_searched(
    matcher: RuleMatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The alleles the condition could name are sorted once per sample: four times the
    deletions and frameshifts cost about four times the alteration matches, not sixteen (each
    deletion walking every allele of the gene did, which took seconds on the 5M-record bench
    input). Counted, not timed."""
    calls = 0
    match_alteration = matcher.selectors.match_alteration

    def counted(*args: object) -> object:
        nonlocal calls
        calls += 1
        return match_alteration(*args)

    monkeypatch.setattr(matcher.selectors, "match_alteration", counted)

    def matches_for(size: int) -> int:
        nonlocal calls
        calls = 0
        sample = [allele(100 + at, f"S{1000 + 9 * at}del", DELETION) for at in range(size)]
        sample += [allele(9000 + at, f"S{1000 + 9 * at}Rfs*22", FRAMESHIFT) for at in range(size)]
        assert (
            len({pos for rule_id, pos in fired(matcher, *sample) if rule_id == REVERSION}) == size
        )
        return calls

    small, large = matches_for(50), matches_for(200)
    assert large < 6 * small, (small, large)


def test_the_near_miss_says_where_the_partner_lies(matcher: RuleMatcher) -> None:
    deletion = allele(100, "S1982del", DELETION)
    primary = allele(200, "E23Vfs*17", FRAMESHIFT)
    findings = matcher.match((deletion, primary))
    misses = find_near_misses(matcher, (deletion, primary), (), findings)
    (miss,) = [m for m in misses if m.rule_id == REVERSION]
    assert "at a residue" in miss.detail
    assert "residues 1982-1982" in miss.detail
    assert "found elsewhere" in miss.detail


def test_near_misses_do_not_list_every_partner(
    matcher: RuleMatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--explain`` says "found elsewhere" for each deletion without a partner at its
    residues: that the gene has another loss-of-function allele is told by the first one, so
    four times the alleles cost about four times the comparisons of alleles, not sixteen."""
    compared = 0
    equal = Variant.__eq__

    def counted(self: Variant, other: object) -> bool:
        nonlocal compared
        compared += 1
        return equal(self, other)

    monkeypatch.setattr(Variant, "__eq__", counted)

    def comparisons_for(size: int) -> int:
        nonlocal compared
        sample = [allele(100 + at, f"S{1000 + 9 * at}del", DELETION) for at in range(size)]
        sample += [allele(9000 + at, f"S{1004 + 9 * at}Rfs*22", FRAMESHIFT) for at in range(size)]
        findings = matcher.match(sample)
        compared = 0
        misses = find_near_misses(matcher, sample, (), findings)
        assert sum("found elsewhere" in miss.detail for miss in misses) == size
        return compared

    small, large = comparisons_for(50), comparisons_for(200)
    assert large < 6 * small, (small, large)


def test_residue_spans_of_every_kind_of_alteration() -> None:
    on = variant("13", 100, "A", "G")
    assert residue_span(alteration("BRCA2", "S1981_L1985del", DELETION, on=on)) == (1981, 1985)
    assert residue_span(alteration("BRCA2", "S1982Rfs*22", FRAMESHIFT, on=on)) == (1982, 1982)
    unannotated = Alteration("BRCA2", DELETION, on, codons=(882, 883))
    assert residue_span(unannotated) == (882, 883)
    snv = Alteration("BRCA2", VariantClass.OTHER, on, codon_change=CodonChange(884, 1, "A", "G"))
    assert residue_span(snv) == (884, 884)
    shifted = Alteration("BRCA2", FRAMESHIFT, on, frameshift_codon=884)
    assert residue_span(shifted) == (884, 884)
    assert residue_span(Alteration("BRCA2", VariantClass.SPLICE_DONOR, on)) is None


def test_the_condition_must_be_on_the_rules_gene() -> None:
    base = {
        "gene": "BRCA2",
        "alteration": {"protein_range": {"start": 1, "end": 3418}},
        "requires": [{"gene": "BRCA2", "gene_class": "loss_of_function"}],
    }
    assert isinstance(rule(**base), Rule)
    within = {"gene": "BRCA2", "gene_class": "loss_of_function", "within_rule_allele": True}
    assert rule(**base | {"requires": [within]}).requires[0].within_rule_allele
    with pytest.raises(ValueError, match="within_rule_allele condition must be on the rule's"):
        rule(**base | {"requires": [within | {"gene": "BRCA1"}]})


def test_a_variant_without_residues_never_meets_it(matcher: RuleMatcher) -> None:
    """The rule's allele must have residues: a splice-site loss of function has none, so it
    can be no partner of a deletion either (nothing says where its effect begins)."""
    deletion = allele(100, "S1982del", DELETION)
    on = Variant("13", 200, "G", "A", record_index=2)
    splice = SampleAllele(on, (Alteration("BRCA2", VariantClass.SPLICE_DONOR, on),), True)
    assert (REVERSION, 100) not in fired(matcher, deletion, splice)


def brca2_row(
    start: int, end: int, ref: str, kind: str, protein: str, hgvsc: str
) -> dict[str, str]:
    """A MAF row of BRCA2 exon 11 (GRCh38, + strand: c.1910 = chr13:32336265)."""
    return {
        "Hugo_Symbol": "BRCA2",
        "NCBI_Build": "GRCh38",
        "Chromosome": "chr13",
        "Start_Position": str(start),
        "End_Position": str(end),
        "Variant_Classification": kind,
        "Reference_Allele": ref,
        "Tumor_Seq_Allele1": ref,
        "Tumor_Seq_Allele2": "-",
        "Tumor_Sample_Barcode": "S1",
        "HGVSp_Short": protein,
        "HGVSc": hgvsc,
        "Transcript_ID": "ENST00000380152.8",
        "Exon_Number": "11/27",
        "t_depth": "100",
        "t_ref_count": "70",
        "t_alt_count": "30",
    }


@pytest.mark.parametrize(
    ("primary", "fires"),
    [
        (brca2_row(32340301, 32340301, "T", "Frame_Shift_Del", "p.S1982Rfs*22", "c.5946del"), True),
        (brca2_row(32338355, 32338355, "A", "Frame_Shift_Del", "p.K1330Nfs*6", "c.4000del"), False),
    ],
    ids=["site-removed", "elsewhere"],
)
def test_end_to_end_from_a_maf(tmp_path: Path, primary: dict[str, str], fires: bool) -> None:
    """A MAF of an ovarian carcinoma: the in-frame deletion p.S1982del fires the reversion
    rule with the frameshift p.S1982Rfs*22 (c.5946del, BRCA2 6174delT), not with one at
    residue 1330; the frameshift's own PARP-inhibitor sensitivity fires either way."""
    deletion = brca2_row(32340299, 32340301, "AGT", "In_Frame_Del", "p.S1982del", "c.5944_5946del")
    data = run_json(write_maf(tmp_path, deletion, primary), "HGSOC")
    fired = {(f["rule_id"], f["alteration"]) for f in data["findings"]}
    assert ((REVERSION, "S1982del") in fired) is fires
    assert ("BRCA2-LOF-PARPI-OV-S", primary["HGVSp_Short"][2:]) in fired
