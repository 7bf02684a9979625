"""A stop codon in an exon before the transcript's last (gene table ``coding_length``): NRAS,
whose MANE transcript has 7 exons and its stop codon in exon 5 (exons 6 and 7 untranslated).

Coordinates are the table's (rules/genes.yaml, sources in rules/SOURCES.md), NRAS on the ``-``
strand: exon 5 coding part c.451-570 = GRCh38 1:114708654-114708535 (GRCh37 115251275-115251156),
exon 4 ends at c.450 = GRCh38 114709569 (GRCh37 115252190). Without a FASTA only positions and
lengths count, so the bases of the alleles below are arbitrary.
"""

from __future__ import annotations

import pytest

from annotator.genomic import GenomicAnnotator, GenomicResult
from annotator.models import Variant, VariantClass
from annotator.rules import RuleSet, load_rules
from annotator.rules.schema import GeneSpec

#: build: c.451 and c.570 (exon 5's coding ends) and c.450 (exon 4's) as genomic positions.
NRAS = {
    "GRCh38": (114708654, 114708535, 114709569),
    "GRCh37": (115251275, 115251156, 115252190),
}
BUILDS = sorted(NRAS)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def annotate(rules: RuleSet, build: str, pos: int, ref: str, alt: str) -> GenomicResult:
    annotator = GenomicAnnotator(rules.genes, build, rules.hotspot_index(build))
    return annotator.annotate(Variant("1", pos, ref, alt, record_index=1))


def test_the_table_places_the_stop_codon_in_exon_5_of_7(rules: RuleSet) -> None:
    spec = rules.genes["NRAS"]
    assert (spec.exon_count, spec.coding_length) == (7, 570)
    holding = [exon.number for exon in spec.exons if spec.holds_stop(exon)]
    assert holding == [5]


@pytest.mark.parametrize("build", BUILDS)
def test_no_splice_donor_after_the_stop_codon(rules: RuleSet, build: str) -> None:
    """c.*1 and c.*2 follow the stop codon in exon 5 itself (its 3' UTR): a note, where
    exon_count alone would have made them exon 5's splice donor."""
    _c451, c570, _c450 = NRAS[build]
    for offset in (1, 2):
        result = annotate(rules, build, c570 - offset, "A", "G")
        assert result.alterations == []
        ((gene, reason),) = result.notes
        assert gene == "NRAS"
        assert "outside the coding exons" in reason


@pytest.mark.parametrize("build", BUILDS)
def test_exon_5_has_its_acceptor_and_exon_4_its_donor(rules: RuleSet, build: str) -> None:
    c451, _c570, c450 = NRAS[build]
    for offset in (1, 2):
        (acceptor,) = annotate(rules, build, c451 + offset, "A", "G").alterations
        assert acceptor.variant_class is VariantClass.SPLICE_ACCEPTOR
        assert acceptor.hgvsc is not None
        assert acceptor.hgvsc.startswith(f"c.451-{offset}")
        (donor,) = annotate(rules, build, c450 - offset, "A", "G").alterations
        assert donor.variant_class is VariantClass.SPLICE_DONOR
        assert donor.hgvsc is not None
        assert donor.hgvsc.startswith(f"c.450+{offset}")


@pytest.mark.parametrize("build", BUILDS)
def test_exon_5_codons_and_intron_4_are_classified(rules: RuleSet, build: str) -> None:
    c451, c570, c450 = NRAS[build]
    (snv,) = annotate(rules, build, c451 - 30, "C", "T").alterations  # c.481: codon 161
    assert snv.exon == 5
    assert snv.codon_change is not None
    assert snv.codon_change.codon == 161
    # The table is complete (c.1 to the stop): an intron base is an intron_variant.
    (intronic,) = annotate(rules, build, (c451 + c450) // 2, "A", "G").alterations
    assert intronic.consequence_terms == ("intron_variant",)
    # A frameshift in exon 5 is not in the last exon: nonsense-mediated decay is expected.
    (frameshift,) = annotate(rules, build, c570 + 30, "GA", "G").alterations
    assert frameshift.variant_class is VariantClass.FRAMESHIFT
    assert (frameshift.exon, frameshift.exon_count) == (5, 7)
    assert not frameshift.escapes_nmd


def test_coding_length_is_checked(rules: RuleSet) -> None:
    data = rules.genes["NRAS"].model_dump()
    with pytest.raises(ValueError, match="coding_length 571 is not a whole number of codons"):
        GeneSpec.model_validate(data | {"coding_length": 571})
    with pytest.raises(ValueError, match="exon 5 has coding bases past the stop codon"):
        GeneSpec.model_validate(data | {"coding_length": 567})
    # Without coding_length, the transcript's last exon (7, not listed) would hold the stop.
    spec = GeneSpec.model_validate(data | {"coding_length": None})
    assert not any(spec.holds_stop(exon) for exon in spec.exons)
