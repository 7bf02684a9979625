"""Tests for annotator.genomic: consequences of unannotated records from the rules' tables.

EGFR cases use the real gene and hotspot tables (``load_rules()``), at positions whose c.
numbering is published (T790M c.2369 at GRCh38 7:55181378 / GRCh37 7:55249071, L858R c.2573
at GRCh38 7:55191822, E746_A750del c.2235_2249del at GRCh38 7:55174771). Edge cases use
SYNTHETIC gene tables (genes PLUS, MINUS, NOEXONS; invented coordinates). Without a FASTA
only positions and lengths count, so the bases of invented alleles are arbitrary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from annotator.errors import RulesError
from annotator.gene_regions import GeneLocator
from annotator.genetic_code import possible_residues
from annotator.genomic import (
    PROTEIN_CHANGE_HINT,
    UNKNOWN_WITHOUT_ANNOTATION,
    GenomicAnnotator,
    GenomicResult,
    codon_of,
    codon_position_of,
)
from annotator.matcher import RuleMatcher, SampleAllele
from annotator.models import (
    AlleleKey,
    CodonChange,
    Finding,
    MatchType,
    Unclassified,
    Variant,
    VariantClass,
    allele_key,
)
from annotator.protein import ChangeKind
from annotator.rules import RuleSet, load_rules
from annotator.rules.schema import GeneSpec, Hotspot, Selector
from annotator.selector_match import SelectorMatcher
from annotator.tumor_types import load_oncotree
from annotator.unclassified import find_unclassified

DONOR, ACCEPTOR = VariantClass.SPLICE_DONOR, VariantClass.SPLICE_ACCEPTOR
INFRAME_DEL, INFRAME_INS = VariantClass.INFRAME_DELETION, VariantClass.INFRAME_INSERTION
FRAMESHIFT = VariantClass.FRAMESHIFT

# E746_A750del (c.2235_2249del) as its hotspot row writes it, GRCh38; c.2250 is A.
EX19_DEL_REF = "AGGAATTAAGAGAAGC"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def variant(
    chrom: str, pos: int, ref: str, alt: str, alt_index: int = 0, alts: tuple[str, ...] = ()
) -> Variant:
    return Variant(chrom, pos, ref, alt, record_index=1, alt_index=alt_index, alts=alts)


@dataclass(frozen=True)
class Case:
    """One allele and what the tables say about it.

    ``alterations``: (gene, class, exon, hgvsc) of those without a codon change;
    ``codon_changes``: (gene, exon, hgvsc, CodonChange) of SNVs in a coding exon (see
    :func:`snv`); ``notes``: (gene, regular expression).
    """

    id: str
    allele: tuple[str, int, str, str]
    alterations: tuple[tuple[str, VariantClass, int | None, str | None], ...] = ()
    codon_changes: tuple[tuple[str, int, str, CodonChange], ...] = ()
    notes: tuple[tuple[str, str], ...] = ()
    codons: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    build: str = "GRCh38"


def snv(
    gene: str, exon: int, hgvsc: str, codon: int, position: int
) -> tuple[str, int, str, CodonChange]:
    """An expected codon change; ``hgvsc`` (``c.2369C>T``) gives the coding-strand bases."""
    return gene, exon, hgvsc, CodonChange(codon, position, hgvsc[-3], hgvsc[-1])


def codon_note(gene: str, codons: str) -> tuple[str, str]:
    return gene, re.escape(f"{gene} {codons} changed; {PROTEIN_CHANGE_HINT}")


def indel_note(gene: str, variant_class: VariantClass, codons: str) -> tuple[str, str]:
    """An indel inside a coding part: its class and codons (unclassified unless a rule fires)."""
    return gene, re.escape(f"{variant_class.value} in {gene} {codons}; {PROTEIN_CHANGE_HINT}")


def splice_note(gene: str, term: str, codons: str) -> tuple[str, str]:
    """A change of a splice site that changes coding bases too (unclassified unless a rule
    takes the splice site)."""
    return gene, re.escape(f"{term} that also changes {gene} {codons}; {PROTEIN_CHANGE_HINT}")


def outside_note(gene: str) -> tuple[str, str]:
    return gene, (
        rf"^outside the coding exons the gene table lists \({gene} [0-9, -]+\); "
        f"{re.escape(UNKNOWN_WITHOUT_ANNOTATION)}$"
    )


#: An EGFR intron variant (the table lists every coding exon: see test_pten_unannotated.py).
INTRONIC = ("EGFR", VariantClass.OTHER, None, None)
#: GRCh38 MET intron 1, before c.1 (in exon 2): outside the coding exons MET's table lists
#: (2-21), so a note. (Intron 14 was used while the table listed exon 14 alone.)
MET_INTRON = 116690000


def check(result: GenomicResult, case: Case) -> None:
    found = [
        (a.gene, a.variant_class, a.exon, a.hgvsc)
        for a in result.alterations
        if a.codon_change is None
    ]
    assert found == list(case.alterations)
    changes = [a for a in result.alterations if a.codon_change is not None]
    assert [(a.gene, a.exon, a.hgvsc, a.codon_change) for a in changes] == list(case.codon_changes)
    for alteration in changes:
        assert alteration.variant_class is VariantClass.OTHER
        assert alteration.consequence_terms == ("coding_sequence_variant",)
        # An SNV keeps its note: unclassified unless a rule fires.
        assert alteration.gene in {gene for gene, _ in result.notes}
    assert [gene for gene, _ in result.notes] == [gene for gene, _ in case.notes]
    for (_, text), (_, pattern) in zip(result.notes, case.notes, strict=True):
        assert re.search(pattern, text), text
    assert result.codons == dict(case.codons)
    for alteration in result.alterations:
        assert alteration.preferred
        assert alteration.protein is None
        assert alteration.source == "genomic"


# --- EGFR, real gene table, no hotspots: the arithmetic ---------------------------------------

EGFR_CASES = [
    Case(
        "T790-other-alt-grch38",
        ("7", 55181378, "C", "A"),
        codon_changes=(snv("EGFR", 20, "c.2369C>A", 790, 2),),
        notes=(codon_note("EGFR", "codon 790"),),
        codons={"EGFR": (790,)},
    ),
    Case(
        "T790M-grch37",
        ("7", 55249071, "C", "T"),
        codon_changes=(snv("EGFR", 20, "c.2369C>T", 790, 2),),
        notes=(codon_note("EGFR", "codon 790"),),
        codons={"EGFR": (790,)},
        build="GRCh37",
    ),
    Case(
        "T790M-chr-prefix",
        ("chr7", 55181378, "C", "T"),
        codon_changes=(snv("EGFR", 20, "c.2369C>T", 790, 2),),
        notes=(codon_note("EGFR", "codon 790"),),
        codons={"EGFR": (790,)},
    ),
    Case(
        "L858R-grch38",
        ("7", 55191822, "T", "G"),
        codon_changes=(snv("EGFR", 21, "c.2573T>G", 858, 2),),
        notes=(codon_note("EGFR", "codon 858"),),
        codons={"EGFR": (858,)},
    ),
    Case(
        "exon19-first-coding-base",
        ("7", 55174722, "G", "A"),  # c.2185
        codon_changes=(snv("EGFR", 19, "c.2185G>A", 729, 1),),
        notes=(codon_note("EGFR", "codon 729"),),
        codons={"EGFR": (729,)},
    ),
    Case(
        "exon19-last-coding-base",
        ("7", 55174820, "G", "A"),  # c.2283
        codon_changes=(snv("EGFR", 19, "c.2283G>A", 761, 3),),
        notes=(codon_note("EGFR", "codon 761"),),
        codons={"EGFR": (761,)},
    ),
    # c.2235_2249del: c.2235 is the last base of codon 745, c.2249 the second of codon 750.
    Case(
        "E746_A750del-grch38",
        ("7", 55174771, EX19_DEL_REF, "A"),
        alterations=(("EGFR", INFRAME_DEL, 19, None),),
        notes=(indel_note("EGFR", INFRAME_DEL, "codons 745-750"),),
        codons={"EGFR": (745, 746, 747, 748, 749, 750)},
    ),
    Case(
        "E746_A750del-grch37",
        ("7", 55242464, EX19_DEL_REF, "A"),
        alterations=(("EGFR", INFRAME_DEL, 19, None),),
        notes=(indel_note("EGFR", INFRAME_DEL, "codons 745-750"),),
        codons={"EGFR": (745, 746, 747, 748, 749, 750)},
        build="GRCh37",
    ),
    Case(
        "exon19-1bp-deletion",
        ("7", 55174771, "AG", "A"),  # c.2235del
        alterations=(("EGFR", FRAMESHIFT, 19, None),),
        notes=(indel_note("EGFR", FRAMESHIFT, "codon 745"),),
        codons={"EGFR": (745,)},
    ),
    Case(
        "exon20-9bp-insertion",
        ("7", 55181319, "C", "CGGGTTGACC"),  # after c.2310, the last base of codon 770
        alterations=(("EGFR", INFRAME_INS, 20, None),),
        notes=(indel_note("EGFR", INFRAME_INS, "codons 770-771"),),
        codons={"EGFR": (770, 771)},
    ),
    Case(
        "exon20-2bp-insertion",
        ("7", 55181319, "C", "CGG"),
        alterations=(("EGFR", FRAMESHIFT, 20, None),),
        notes=(indel_note("EGFR", FRAMESHIFT, "codons 770-771"),),
        codons={"EGFR": (770, 771)},
    ),
    Case(
        "exon19-acceptor-minus2",
        ("7", 55174720, "A", "G"),
        alterations=(("EGFR", ACCEPTOR, None, "c.2185-2A>G"),),
    ),
    Case(
        "exon19-acceptor-minus1",
        ("7", 55174721, "G", "A"),
        alterations=(("EGFR", ACCEPTOR, None, "c.2185-1G>A"),),
    ),
    # EGFR's table lists every coding exon: the other intron bases are intron variants.
    Case("exon19-minus3", ("7", 55174719, "G", "A"), alterations=(INTRONIC,)),
    Case(
        "exon19-donor-plus1",
        ("7", 55174821, "G", "A"),
        alterations=(("EGFR", DONOR, None, "c.2283+1G>A"),),
    ),
    Case(
        "exon19-donor-plus2",
        ("7", 55174822, "T", "C"),
        alterations=(("EGFR", DONOR, None, "c.2283+2T>C"),),
    ),
    Case("exon19-plus3", ("7", 55174823, "A", "G"), alterations=(INTRONIC,)),
    Case("intron19", ("7", 55178000, "A", "G"), alterations=(INTRONIC,)),
    Case("outside-every-gene", ("7", 1000, "A", "G")),
    Case("symbolic", ("7", 55174771, "A", "<DEL>")),
]


@pytest.mark.parametrize("case", EGFR_CASES, ids=[case.id for case in EGFR_CASES])
def test_egfr_from_the_gene_table(rules: RuleSet, case: Case) -> None:
    annotator = GenomicAnnotator(rules.genes, case.build, {})
    check(annotator.annotate(variant(*case.allele)), case)


# KRAS, minus strand. Exon 2's coding part (rules/genes.yaml) is GRCh38 12:25245274-25245384
# (GRCh37 12:25398208-25398318) = c.1-111: c = 1 + (25245384 - pos), so pos = 25245385 - c.
# Codon 12 (GGT) is c.34-36 = 25245351, 25245350, 25245349; codon 13 (GGC) starts at c.37 =
# 25245348. Genomic bases are the complement of the coding ones (C>G at 25245351 = c.34G>C).
KRAS_EXON2_GRCH38 = (25245274, 25245384)


def kras_grch38(cds_position: int) -> int:
    """The GRCh38 position of a c. position in KRAS exon 2 (c.1-111, minus strand)."""
    return KRAS_EXON2_GRCH38[1] + 1 - cds_position


KRAS_CASES = [
    Case(
        "kras-c34G>C-G12R",
        ("12", kras_grch38(34), "C", "G"),  # 25245351
        codon_changes=(snv("KRAS", 2, "c.34G>C", 12, 1),),
        notes=(codon_note("KRAS", "codon 12"),),
        codons={"KRAS": (12,)},
    ),
    Case(
        "kras-c34G>C-G12R-grch37",
        ("12", 25398285, "C", "G"),  # 25398318 - 33
        codon_changes=(snv("KRAS", 2, "c.34G>C", 12, 1),),
        notes=(codon_note("KRAS", "codon 12"),),
        codons={"KRAS": (12,)},
        build="GRCh37",
    ),
    Case(
        "kras-c36T>C-synonymous",
        ("12", kras_grch38(36), "A", "G"),  # 25245349
        codon_changes=(snv("KRAS", 2, "c.36T>C", 12, 3),),
        notes=(codon_note("KRAS", "codon 12"),),
        codons={"KRAS": (12,)},
    ),
    Case(
        "kras-c37G>A-G13",
        ("12", kras_grch38(37), "C", "T"),  # 25245348
        codon_changes=(snv("KRAS", 2, "c.37G>A", 13, 1),),
        notes=(codon_note("KRAS", "codon 13"),),
        codons={"KRAS": (13,)},
    ),
    Case(
        "kras-c111-last-coding-base-of-exon2",
        ("12", KRAS_EXON2_GRCH38[0], "A", "G"),  # 25245274
        codon_changes=(snv("KRAS", 2, "c.111T>C", 37, 3),),
        notes=(codon_note("KRAS", "codon 37"),),
        codons={"KRAS": (37,)},
    ),
]


@pytest.mark.parametrize("case", KRAS_CASES, ids=[case.id for case in KRAS_CASES])
def test_kras_codon_changes_from_the_gene_table(rules: RuleSet, case: Case) -> None:
    """Not hotspots: with the hotspot table too, the gene table decides."""
    annotator = GenomicAnnotator(rules.genes, case.build, rules.hotspot_index(case.build))
    result = annotator.annotate(variant(*case.allele))
    check(result, case)
    assert {a.transcript for a in result.alterations} == {"ENST00000311936"}


def test_kras_exon2_is_where_the_cases_assume(rules: RuleSet) -> None:
    kras = rules.genes["KRAS"]
    (exon2,) = [exon for exon in kras.exons if exon.number == 2]
    span = exon2.spans["GRCh38"]
    assert (kras.strand, exon2.cds_start, exon2.cds_end) == ("-", 1, 111)
    assert (span.start, span.end) == KRAS_EXON2_GRCH38


def test_outside_note_lists_the_table_exons(rules: RuleSet) -> None:
    """The note names the exons the table lists, runs joined (MET 2-21; 14 alone when this
    was written, EGFR's 18-21 before its table was completed)."""
    numbers = sorted(exon.number for exon in rules.genes["MET"].exons)
    assert 14 in numbers
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    listed = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs)
    annotator = GenomicAnnotator(rules.genes, "GRCh38", {})
    result = annotator.annotate(variant("7", MET_INTRON, "A", "G"))
    assert result.notes == [
        (
            "MET",
            f"outside the coding exons the gene table lists (MET {listed}); "
            f"{UNKNOWN_WITHOUT_ANNOTATION}",
        )
    ]


def test_codon_position_of() -> None:
    assert [codon_position_of(c) for c in (1, 2, 3, 4, 34, 35, 36, 2369)] == [
        1,
        2,
        3,
        1,
        1,
        2,
        3,
        2,
    ]


def test_codon_of() -> None:
    assert [codon_of(c) for c in (1, 2, 3, 4, 2235, 2236, 2369, 2573)] == [
        1,
        1,
        1,
        2,
        745,
        746,
        790,
        858,
    ]


def test_every_hotspot_snv_lands_on_its_codon(rules: RuleSet) -> None:
    """Cross-check of the exon table against the hotspot table, both strands: every hotspot
    SNV inside a listed exon gets the codon of its protein change, and its codon change (base
    place in the codon, coding-strand bases) can turn the hotspot's reference residue into its
    new one (KRAS, NRAS and BRAF are on the minus strand)."""
    checked = substitutions = 0
    for build in ("GRCh37", "GRCh38"):
        from_table = GenomicAnnotator(rules.genes, build, {})
        with_hotspots = GenomicAnnotator(rules.genes, build, rules.hotspot_index(build))
        for hotspot in rules.hotspots:
            allele = hotspot.alleles.get(build)
            if allele is None or len(allele.ref) != 1 or len(allele.alt) != 1:
                continue
            snv = variant(allele.chrom, allele.pos, allele.ref, allele.alt)
            codons = from_table.annotate(snv).codons.get(hotspot.gene)
            if codons is None:
                continue  # not in an exon the table lists
            (expected,) = with_hotspots.annotate(snv).alterations[:1]
            assert expected.protein is not None
            assert codons == (expected.protein.start,), (build, hotspot.protein_change)
            (change,) = [
                a.codon_change
                for a in from_table.annotate(snv).alterations
                if a.gene == hotspot.gene and a.codon_change is not None
            ]
            assert change.codon == expected.protein.start
            if expected.protein.kind in (ChangeKind.SUBSTITUTION, ChangeKind.NONSENSE):
                residues = possible_residues(
                    expected.protein.start_aa, change.position, change.ref, change.alt
                )
                assert expected.protein.alt in residues, (build, hotspot.protein_change, change)
                substitutions += 1
            checked += 1
    assert checked >= 20
    assert substitutions >= 20


# --- EGFR, real hotspot table: normalized lookup ---------------------------------------------

HOTSPOT_CASES = [
    ("T790M", ("7", 55181378, "C", "T"), "GRCh38", "T790M"),
    ("T790M-grch37", ("7", 55249071, "C", "T"), "GRCh37", "T790M"),
    ("T790M-chr-prefix", ("chr7", 55181378, "C", "T"), "GRCh38", "T790M"),
    ("T790M-padded-mnv", ("7", 55181377, "ACG", "ATG"), "GRCh38", "T790M"),  # c.2368-2370
    ("L858R", ("7", 55191822, "T", "G"), "GRCh38", "L858R"),
    ("E746_A750del", ("7", 55174771, EX19_DEL_REF, "A"), "GRCh38", "E746_A750del"),
    (
        "E746_A750del-right-padded",
        ("7", 55174771, EX19_DEL_REF + "A", "AA"),
        "GRCh38",
        "E746_A750del",
    ),
]


@pytest.mark.parametrize(
    ("allele", "build", "protein"),
    [case[1:] for case in HOTSPOT_CASES],
    ids=[case[0] for case in HOTSPOT_CASES],
)
def test_hotspot_table_first(
    rules: RuleSet, allele: tuple[str, int, str, str], build: str, protein: str
) -> None:
    annotator = GenomicAnnotator(rules.genes, build, rules.hotspot_index(build))
    given = variant(*allele)
    result = annotator.annotate(given)
    ((alteration,),) = [result.alterations]
    assert alteration.protein is not None
    assert alteration.protein.short == protein
    assert alteration.source == "hotspot"
    assert alteration.variant is given  # the input record, not its normalized form
    assert result.notes == []


def test_multi_allelic_record(rules: RuleSet) -> None:
    """One record, three ALTs: the hotspot deletion, a 1-bp deletion (c.2249del), an SNV."""
    alts = ("A", EX19_DEL_REF[:-1], EX19_DEL_REF[:-1] + "T")
    annotator = GenomicAnnotator(rules.genes, "GRCh38", rules.hotspot_index("GRCh38"))
    results = [
        annotator.annotate(variant("7", 55174771, EX19_DEL_REF, alt, alt_index=i, alts=alts))
        for i, alt in enumerate(alts)
    ]
    assert [a.label for a in results[0].alterations] == ["E746_A750del"]
    check(
        results[1],
        Case(
            "",
            ("", 0, "", ""),
            (("EGFR", FRAMESHIFT, 19, None),),
            notes=(indel_note("EGFR", FRAMESHIFT, "codon 750"),),
            codons={"EGFR": (750,)},
        ),
    )
    check(
        results[2],
        Case(
            "",
            ("", 0, "", ""),
            # ...GAAGC>...GAAGT: the last REF base, 55174771 + 15 = c.2185 + 64 = c.2249
            codon_changes=(snv("EGFR", 19, "c.2249C>T", 750, 2),),
            notes=(codon_note("EGFR", "codon 750"),),
            codons={"EGFR": (750,)},
        ),
    )


# --- the matcher takes these alterations ------------------------------------------------------


@pytest.mark.parametrize(
    ("allele", "rule_ids"),
    [
        # An 18-bp deletion inside exon 19 that is not a hotspot (bases arbitrary).
        (("7", 55174774, "C" + "T" * 18, "C"), {"EGFR-EX19DEL-EGFRTKI-S"}),
        (
            ("7", 55181319, "C", "CGGGTTGACC"),
            {"EGFR-EX20INS-1G2GTKI-R", "EGFR-EX20INS-AMIVANTAMAB-S"},
        ),
    ],
    ids=["exon19-deletion", "exon20-insertion"],
)
def test_exon_rules_fire(
    rules: RuleSet, allele: tuple[str, int, str, str], rule_ids: set[str]
) -> None:
    given = variant(*allele)
    alterations = GenomicAnnotator(rules.genes, "GRCh38", {}).annotate(given).alterations
    matcher = RuleMatcher(rules, build="GRCh38", tumor_type="LUAD", oncotree=load_oncotree())
    findings = matcher.match([SampleAllele(given, tuple(alterations), annotated=False)])
    assert rule_ids <= {finding.rule_id for finding in findings}


def annotate_and_match(
    rules: RuleSet, allele: tuple[str, int, str, str], tumor_type: str = "COADREAD"
) -> tuple[list[Finding], list[Unclassified], Variant]:
    """An unannotated record through the tables, the bundled rules and find_unclassified, as
    the pipeline runs them (hotspot table first, gene spans from the gene table)."""
    given = variant(*allele)
    result = GenomicAnnotator(rules.genes, "GRCh38", rules.hotspot_index("GRCh38")).annotate(given)
    sample = SampleAllele(given, tuple(result.alterations), False, tuple(result.notes))
    matcher = RuleMatcher(rules, build="GRCh38", tumor_type=tumor_type, oncotree=load_oncotree())
    findings = matcher.match([sample])
    genes_at = {
        allele_key(given): GeneLocator(rules.genes, "GRCh38").genes_at(given.chrom, given.pos)
    }
    return findings, find_unclassified([sample], rules.genes, findings, genes_at), given


def test_kras_g12r_fires_the_ras_codon_rule(rules: RuleSet) -> None:
    """c.34G>C: Gly GGN with its first base G>C is always CGN, Arg; G12R is no hotspot."""
    findings, unclassified, given = annotate_and_match(rules, ("12", kras_grch38(34), "C", "G"))
    assert [(f.rule_id, f.match_type) for f in findings] == [
        ("KRAS-EX2TO4-ANTIEGFR-R", MatchType.CODON)
    ]
    (finding,) = findings
    assert finding.alteration == "G12 (c.34G>C; R)"
    assert finding.hgvsc == "c.34G>C"
    assert finding.hgvsp is None
    assert finding.transcript == "ENST00000311936"
    assert finding.variant == given
    assert finding.tumor_type_match.value == "on_label"
    assert unclassified == []


def test_kras_g13_of_two_possible_residues_fires_the_codon_rule(rules: RuleSet) -> None:
    """c.37G>A: Gly GGN -> AGN, Ser or Arg; either way not Gly, so the codon rule fires, and no
    residue-specific rule could."""
    findings, unclassified, _ = annotate_and_match(rules, ("12", kras_grch38(37), "C", "T"))
    assert [(f.rule_id, f.alteration) for f in findings] == [
        ("KRAS-EX2TO4-ANTIEGFR-R", "G13 (c.37G>A; R or S)")
    ]
    assert unclassified == []


def test_kras_synonymous_third_base_is_unclassified_with_its_note(rules: RuleSet) -> None:
    """c.36T>C: any third-base change of Gly keeps Gly; no rule fires and the note stays."""
    findings, unclassified, given = annotate_and_match(rules, ("12", kras_grch38(36), "A", "G"))
    assert findings == []
    assert unclassified == [
        Unclassified("KRAS", given, f"KRAS codon 12 changed; {PROTEIN_CHANGE_HINT}")
    ]


def test_kras_g12c_without_its_hotspot_row_is_not_certainly_g12c(rules: RuleSet) -> None:
    """c.34G>T could be Cys, Trp or a stop from a Gly codon: the RAS codon rule fires (G12 is
    certainly changed), the G12C rules need the reference codon and do not."""
    given = variant("12", kras_grch38(34), "C", "A")
    (alteration,) = GenomicAnnotator(rules.genes, "GRCh38", {}).annotate(given).alterations
    matcher = RuleMatcher(rules, build="GRCh38", tumor_type="COADREAD", oncotree=load_oncotree())
    findings = matcher.match([SampleAllele(given, (alteration,), False)])
    assert [(f.rule_id, f.alteration) for f in findings] == [
        ("KRAS-EX2TO4-ANTIEGFR-R", "G12 (c.34G>T; C, W or *)")
    ]


# --- synthetic gene tables: strands, codons split by an intron, exon boundaries ----------------


def synthetic_gene(
    symbol: str,
    strand: str,
    chrom: str,
    span: tuple[int, int],
    exons: Sequence[tuple[int, int, int, int]],
) -> GeneSpec:
    """A SYNTHETIC gene: ``exons`` as (number, cds_start, cds_end, genomic start)."""
    return GeneSpec.model_validate(
        {
            "symbol": symbol,
            "hgnc_id": "HGNC:1",
            "ensembl_transcript": "ENST00000000001",
            "strand": strand,
            "spans": {"GRCh38": {"chrom": chrom, "start": span[0], "end": span[1]}},
            "exons": [
                {
                    "number": number,
                    "cds_start": cds_start,
                    "cds_end": cds_end,
                    "spans": {
                        "GRCh38": {
                            "chrom": chrom,
                            "start": start,
                            "end": start + cds_end - cds_start,
                        }
                    },
                    "sources": ["synthetic"],
                }
                for number, cds_start, cds_end, start in exons
            ],
            "sources": ["synthetic"],
        }
    )


# PLUS (+, chromosome 1): exon 1 c.1-10 at 1001-1010, exon 2 c.11-30 at 2001-2020, exon 3
# c.31-45 at 3001-3015. Codon 4 (c.10-12) is split: c.10 at 1010, c.11-12 at 2001-2002.
# MINUS (-, chromosome 2): exon 1 c.1-10 at 5991-6000 (c.1 at 6000), exon 2 c.11-30 at
# 4981-5000 (c.11 at 5000), exon 3 c.31-45 at 3986-4000.
# NOEXONS (chromosome 3): a span and no exons.
SYNTHETIC = {
    gene.symbol: gene
    for gene in (
        synthetic_gene(
            "PLUS", "+", "1", (900, 3500), [(1, 1, 10, 1001), (2, 11, 30, 2001), (3, 31, 45, 3001)]
        ),
        synthetic_gene(
            "MINUS",
            "-",
            "2",
            (3500, 6500),
            [(1, 1, 10, 5991), (2, 11, 30, 4981), (3, 31, 45, 3986)],
        ),
        synthetic_gene("NOEXONS", "+", "3", (100, 900), []),
    )
}


def edge_note(gene: str, exon: int, inserted: bool = False) -> tuple[str, str]:
    where = "inserted at the edge of" if inserted else "extends beyond"
    return gene, re.escape(f"{where} the coding part of {gene} exon {exon}; protein effect")


SYNTHETIC_CASES = [
    # plus strand: codons, the split codon 4
    Case(
        "plus-c1",
        ("1", 1001, "A", "G"),
        codon_changes=(snv("PLUS", 1, "c.1A>G", 1, 1),),
        notes=(codon_note("PLUS", "codon 1"),),
        codons={"PLUS": (1,)},
    ),
    Case(
        "plus-c10-split-codon",
        ("1", 1010, "A", "G"),
        codon_changes=(snv("PLUS", 1, "c.10A>G", 4, 1),),
        notes=(codon_note("PLUS", "codon 4"),),
        codons={"PLUS": (4,)},
    ),
    Case(
        "plus-c11-split-codon",
        ("1", 2001, "A", "G"),
        codon_changes=(snv("PLUS", 2, "c.11A>G", 4, 2),),
        notes=(codon_note("PLUS", "codon 4"),),
        codons={"PLUS": (4,)},
    ),
    Case(
        "plus-c13",
        ("1", 2003, "A", "G"),
        codon_changes=(snv("PLUS", 2, "c.13A>G", 5, 1),),
        notes=(codon_note("PLUS", "codon 5"),),
        codons={"PLUS": (5,)},
    ),
    Case(
        "plus-mnv-c12-13",
        ("1", 2002, "AC", "GT"),
        notes=(codon_note("PLUS", "codons 4-5"),),
        codons={"PLUS": (4, 5)},
    ),
    Case(
        "plus-padded-snv",
        ("1", 2001, "AAC", "AGC"),
        codon_changes=(snv("PLUS", 2, "c.12A>G", 4, 3),),
        notes=(codon_note("PLUS", "codon 4"),),
        codons={"PLUS": (4,)},
    ),
    # plus strand: boundaries of exon 1 (its c.1 side borders the 5' UTR, not an intron)
    Case("plus-before-c1", ("1", 1000, "A", "G"), notes=(outside_note("PLUS"),)),
    Case("plus-c10+1", ("1", 1011, "G", "A"), alterations=(("PLUS", DONOR, None, "c.10+1G>A"),)),
    Case("plus-c10+2", ("1", 1012, "T", "C"), alterations=(("PLUS", DONOR, None, "c.10+2T>C"),)),
    Case("plus-c10+3", ("1", 1013, "A", "G"), notes=(outside_note("PLUS"),)),
    # plus strand: boundaries of exon 2
    Case("plus-c11-3", ("1", 1998, "A", "G"), notes=(outside_note("PLUS"),)),
    Case("plus-c11-2", ("1", 1999, "A", "G"), alterations=(("PLUS", ACCEPTOR, None, "c.11-2A>G"),)),
    Case("plus-c11-1", ("1", 2000, "G", "C"), alterations=(("PLUS", ACCEPTOR, None, "c.11-1G>C"),)),
    Case("plus-c30+1", ("1", 2021, "G", "A"), alterations=(("PLUS", DONOR, None, "c.30+1G>A"),)),
    Case("plus-c30+2", ("1", 2022, "T", "A"), alterations=(("PLUS", DONOR, None, "c.30+2T>A"),)),
    Case("plus-c30+3", ("1", 2023, "A", "G"), notes=(outside_note("PLUS"),)),
    # plus strand: indels
    Case(
        "plus-del-c11-13",
        ("1", 2000, "GACG", "G"),
        alterations=(("PLUS", INFRAME_DEL, 2, None),),
        notes=(indel_note("PLUS", INFRAME_DEL, "codons 4-5"),),
        codons={"PLUS": (4, 5)},
    ),
    Case(
        "plus-del-c15",
        ("1", 2004, "GA", "G"),
        alterations=(("PLUS", FRAMESHIFT, 2, None),),
        notes=(indel_note("PLUS", FRAMESHIFT, "codon 5"),),
        codons={"PLUS": (5,)},
    ),
    Case(
        "plus-del-c11-1-and-c11",
        ("1", 1999, "GAC", "G"),
        alterations=(("PLUS", ACCEPTOR, None, None),),
        notes=(splice_note("PLUS", "splice_acceptor_variant", "codon 4"),),
        codons={"PLUS": (4,)},
    ),
    Case(
        "plus-del-c30-and-c30+1",
        ("1", 2019, "GAC", "G"),
        alterations=(("PLUS", DONOR, None, None),),
        notes=(splice_note("PLUS", "splice_donor_variant", "codon 10"),),
        codons={"PLUS": (10,)},
    ),
    Case(
        "plus-del-c9-to-c10+5",
        ("1", 1008, "GACGTACG", "G"),
        alterations=(("PLUS", DONOR, None, None),),
        notes=(splice_note("PLUS", "splice_donor_variant", "codons 3-4"),),
        codons={"PLUS": (3, 4)},
    ),
    # a whole exon deleted (c.11-3 to c.30+3): the acceptor comes first in transcript order
    Case(
        "plus-del-whole-exon-2",
        ("1", 1996, "G" + "A" * 27, "G"),
        alterations=(("PLUS", ACCEPTOR, None, None),),
        notes=(splice_note("PLUS", "splice_acceptor_variant", "codons 4-10"),),
        codons={"PLUS": (4, 5, 6, 7, 8, 9, 10)},
    ),
    # from inside exon 1 to inside exon 2: the codons of both exons' coding bases touched
    Case(
        "plus-del-exon-1-to-2",
        ("1", 1005, "G" + "A" * 1000, "G"),
        alterations=(("PLUS", DONOR, None, None),),
        notes=(splice_note("PLUS", "splice_donor_variant", "codons 2-5"),),
        codons={"PLUS": (2, 3, 4, 5)},
    ),
    Case("plus-del-across-c1", ("1", 998, "GACGT", "G"), notes=(edge_note("PLUS", 1),)),
    Case(
        "plus-ins-c15-c16",
        ("1", 2005, "C", "CAAA"),
        alterations=(("PLUS", INFRAME_INS, 2, None),),
        notes=(indel_note("PLUS", INFRAME_INS, "codons 5-6"),),
        codons={"PLUS": (5, 6)},
    ),
    Case(
        "plus-ins-2bp",
        ("1", 2005, "C", "CAA"),
        alterations=(("PLUS", FRAMESHIFT, 2, None),),
        notes=(indel_note("PLUS", FRAMESHIFT, "codons 5-6"),),
        codons={"PLUS": (5, 6)},
    ),
    Case(
        "plus-ins-c10+1-c10+2", ("1", 1011, "G", "GA"), alterations=(("PLUS", DONOR, None, None),)
    ),
    Case("plus-ins-c10+2-c10+3", ("1", 1012, "T", "TA"), notes=(outside_note("PLUS"),)),
    Case(
        "plus-ins-c10-c10+1", ("1", 1010, "G", "GAAA"), notes=(edge_note("PLUS", 1, inserted=True),)
    ),
    Case(
        "plus-ins-before-c1", ("1", 1000, "G", "GAAA"), notes=(edge_note("PLUS", 1, inserted=True),)
    ),
    Case(
        "plus-delins-net-2",
        ("1", 2005, "CAT", "G"),
        alterations=(("PLUS", FRAMESHIFT, 2, None),),
        notes=(indel_note("PLUS", FRAMESHIFT, "codons 5-6"),),
        codons={"PLUS": (5, 6)},
    ),
    # REF CATG ALT G: the G is a padding base at the end; c.15-17 deleted
    Case(
        "plus-del-padded-at-end",
        ("1", 2005, "CATG", "G"),
        alterations=(("PLUS", INFRAME_DEL, 2, None),),
        notes=(indel_note("PLUS", INFRAME_DEL, "codons 5-6"),),
        codons={"PLUS": (5, 6)},
    ),
    # minus strand: c. numbering runs down the genome; alleles complemented in c. notation
    Case(
        "minus-c1",
        ("2", 6000, "T", "C"),
        codon_changes=(snv("MINUS", 1, "c.1A>G", 1, 1),),
        notes=(codon_note("MINUS", "codon 1"),),
        codons={"MINUS": (1,)},
    ),
    Case(
        "minus-c10-split-codon",
        ("2", 5991, "A", "G"),
        codon_changes=(snv("MINUS", 1, "c.10T>C", 4, 1),),
        notes=(codon_note("MINUS", "codon 4"),),
        codons={"MINUS": (4,)},
    ),
    Case(
        "minus-c11-split-codon",
        ("2", 5000, "A", "G"),
        codon_changes=(snv("MINUS", 2, "c.11T>C", 4, 2),),
        notes=(codon_note("MINUS", "codon 4"),),
        codons={"MINUS": (4,)},
    ),
    Case(
        "minus-c30",
        ("2", 4981, "A", "G"),
        codon_changes=(snv("MINUS", 2, "c.30T>C", 10, 3),),
        notes=(codon_note("MINUS", "codon 10"),),
        codons={"MINUS": (10,)},
    ),
    Case(
        "minus-c31",
        ("2", 4000, "A", "G"),
        codon_changes=(snv("MINUS", 3, "c.31T>C", 11, 1),),
        notes=(codon_note("MINUS", "codon 11"),),
        codons={"MINUS": (11,)},
    ),
    Case("minus-after-c1", ("2", 6001, "A", "G"), notes=(outside_note("MINUS"),)),
    Case("minus-c10+1", ("2", 5990, "C", "T"), alterations=(("MINUS", DONOR, None, "c.10+1G>A"),)),
    Case("minus-c10+2", ("2", 5989, "A", "G"), alterations=(("MINUS", DONOR, None, "c.10+2T>C"),)),
    Case("minus-c10+3", ("2", 5988, "A", "G"), notes=(outside_note("MINUS"),)),
    Case(
        "minus-c11-1", ("2", 5001, "C", "T"), alterations=(("MINUS", ACCEPTOR, None, "c.11-1G>A"),)
    ),
    Case(
        "minus-c11-2", ("2", 5002, "T", "C"), alterations=(("MINUS", ACCEPTOR, None, "c.11-2A>G"),)
    ),
    Case("minus-c11-3", ("2", 5003, "A", "G"), notes=(outside_note("MINUS"),)),
    Case("minus-c30+1", ("2", 4980, "C", "A"), alterations=(("MINUS", DONOR, None, "c.30+1G>T"),)),
    Case("minus-c30+2", ("2", 4979, "A", "C"), alterations=(("MINUS", DONOR, None, "c.30+2T>G"),)),
    Case("minus-c30+3", ("2", 4978, "A", "G"), notes=(outside_note("MINUS"),)),
    # 4991-4993 = c.20-18
    Case(
        "minus-del-c18-20",
        ("2", 4990, "GACG", "G"),
        alterations=(("MINUS", INFRAME_DEL, 2, None),),
        notes=(indel_note("MINUS", INFRAME_DEL, "codons 6-7"),),
        codons={"MINUS": (6, 7)},
    ),
    Case(
        "minus-del-c20",
        ("2", 4990, "GA", "G"),
        alterations=(("MINUS", FRAMESHIFT, 2, None),),
        notes=(indel_note("MINUS", FRAMESHIFT, "codon 7"),),
        codons={"MINUS": (7,)},
    ),
    Case(
        "minus-ins-c11-1-c11-2",
        ("2", 5001, "C", "CA"),
        alterations=(("MINUS", ACCEPTOR, None, None),),
    ),
    Case(
        "minus-mnv-c11-and-c11-1",
        ("2", 5000, "AC", "GT"),
        alterations=(("MINUS", ACCEPTOR, None, None),),
        notes=(splice_note("MINUS", "splice_acceptor_variant", "codon 4"),),
        codons={"MINUS": (4,)},
    ),
    # the whole of exon 2 (c.11-30 at 4981-5000) with both splice sites, on the minus strand
    Case(
        "minus-del-whole-exon-2",
        ("2", 4975, "G" + "A" * 30, "G"),
        alterations=(("MINUS", ACCEPTOR, None, None),),
        notes=(splice_note("MINUS", "splice_acceptor_variant", "codons 4-10"),),
        codons={"MINUS": (4, 5, 6, 7, 8, 9, 10)},
    ),
    # genes without exons, places without genes
    Case(
        "no-exons",
        ("3", 500, "A", "G"),
        notes=(
            (
                "NOEXONS",
                "^the gene table lists no coding exons for NOEXONS; protein effect unknown",
            ),
        ),
    ),
    Case("no-gene", ("1", 100, "A", "G")),
    Case("no-gene-other-chrom", ("9", 2001, "A", "G")),
]


@pytest.mark.parametrize("case", SYNTHETIC_CASES, ids=[case.id for case in SYNTHETIC_CASES])
def test_synthetic_tables(case: Case) -> None:
    check(GenomicAnnotator(SYNTHETIC, "GRCh38", {}).annotate(variant(*case.allele)), case)


def test_one_annotator_for_many_alleles_gives_each_its_own_result(rules: RuleSet) -> None:
    """An annotator remembers what it derived (notes, normalized names): the cases through
    one annotator, in both orders and twice, read as through a fresh one each."""
    synthetic = GenomicAnnotator(SYNTHETIC, "GRCh38", {})
    egfr = GenomicAnnotator(rules.genes, "GRCh38", {})
    egfr_cases = [case for case in EGFR_CASES if case.build == "GRCh38"]
    for annotator, cases in ((synthetic, SYNTHETIC_CASES), (egfr, egfr_cases)):
        for case in [*cases, *reversed(cases), *cases]:
            check(annotator.annotate(variant(*case.allele)), case)


def test_alleles_with_the_same_note_share_it(rules: RuleSet) -> None:
    annotator = GenomicAnnotator(rules.genes, "GRCh38", {})
    first = annotator.annotate(variant("7", MET_INTRON, "A", "G")).notes
    second = annotator.annotate(variant("chr7", MET_INTRON + 1, "C", "T")).notes
    assert first
    assert first == second
    assert first[0] is second[0]


def test_loss_of_function_selector_takes_frameshift_and_splice() -> None:
    annotator = GenomicAnnotator(SYNTHETIC, "GRCh38", {})
    selector = Selector(gene_class="loss_of_function")
    matcher = SelectorMatcher("GRCh38")
    for allele in (("1", 2004, "GA", "G"), ("1", 1011, "G", "A"), ("2", 5001, "C", "T")):
        (alteration,) = annotator.annotate(variant(*allele)).alterations
        assert matcher.match_alteration(selector, alteration) is MatchType.GENE_CLASS


def test_exon_without_a_span_for_the_build_is_not_used() -> None:
    gene = synthetic_gene("PLUS", "+", "1", (900, 3500), [(1, 1, 10, 1001)])
    moved = gene.model_copy(update={"exons": [gene.exons[0].model_copy(update={"spans": {}})]})
    result = GenomicAnnotator({"PLUS": moved}, "GRCh38", {}).annotate(variant("1", 1005, "A", "G"))
    assert result.notes == [("PLUS", result.notes[0][1])]
    assert "lists no coding exons" in result.notes[0][1]


def test_exon_span_and_cds_range_of_different_lengths_is_a_rules_error() -> None:
    gene = synthetic_gene("PLUS", "+", "1", (900, 3500), [(1, 1, 10, 1001)])
    exon = gene.exons[0]
    wrong = exon.model_copy(update={"cds_end": 12})
    with pytest.raises(
        RulesError,
        match=r"gene PLUS exon 1: the GRCh38 span 1:1001-1010 is 10 bases but c.1-12 is 12",
    ):
        GenomicAnnotator({"PLUS": gene.model_copy(update={"exons": [wrong]})}, "GRCh38", {})


# --- with a reference: left-aligned before the hotspot lookup ---------------------------------


@dataclass(frozen=True)
class SequenceReference:
    """An in-memory SYNTHETIC chromosome 1 for PLUS: ``ACGT`` repeated, with AAAA at
    2003-2006 (c.13-16)."""

    sequences: dict[str, str]

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(self.sequences)

    def fetch(self, reference: str, start: int, end: int) -> str:
        return self.sequences[reference][start:end]


def test_fasta_left_aligns_before_the_hotspot_lookup() -> None:
    bases = list(("ACGT" * 900)[:3500])
    bases[2002:2006] = "AAAA"  # 1-based 2003-2006
    reference = SequenceReference({"chr1": "".join(bases)})
    hotspot = Hotspot.model_validate(
        {
            "gene": "PLUS",
            "protein_change": "K5fs",
            "alleles": {"GRCh38": {"chrom": "1", "pos": 2002, "ref": "CA", "alt": "C"}},
            "sources": ["synthetic"],
        }
    )
    index: Mapping[AlleleKey, Sequence[Hotspot]] = {("1", 2002, "CA", "C"): (hotspot,)}
    right_shifted = variant("1", 2005, "AA", "A")
    without = GenomicAnnotator(SYNTHETIC, "GRCh38", index).annotate(right_shifted)
    assert [(a.variant_class, a.source) for a in without.alterations] == [(FRAMESHIFT, "genomic")]
    with_fasta = GenomicAnnotator(SYNTHETIC, "GRCh38", index, reference).annotate(right_shifted)
    assert [(a.label, a.source) for a in with_fasta.alterations] == [("K5fs", "hotspot")]
