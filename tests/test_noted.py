"""Noted alleles (annotator.noted): unannotated rule-gene alleles kept as rows of columns give
back the variants and unclassified items they were made from, in the order of the records, and
a result with them is written as the same result with those items listed."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import annotator.parts
from annotator import noted as noted_module
from annotator.inputs import _noted
from annotator.matcher import RuleMatcher, SampleAllele
from annotator.models import (
    Alteration,
    CodonChange,
    Result,
    Summary,
    Unclassified,
    Variant,
    VariantClass,
)
from annotator.noted import NotedAlleles, UnclassifiedList
from annotator.rules import load_rules
from annotator.tumor_types import load_oncotree
from annotator.unclassified import find_unclassified
from annotator.writers.json import write_json
from tests.generated import make_vcf
from tests.runs import run_json
from tests.test_matcher import RULES_YAML
from tests.vcfgen import vcf_text, write_vcf

ROOT = Path(__file__).resolve().parents[1]
GENES = load_rules((), bundled=True).genes
TRIAGE = RuleMatcher(load_rules(), build="GRCh38", tumor_type="CML", oncotree=load_oncotree())

VARIANTS = st.builds(
    lambda chrom, pos, ref, alt, alt_index, others, filters, vaf, depth, variant_id: Variant(
        chrom,
        pos,
        ref,
        alt,
        0,  # numbered below
        alt_index,
        (*others[:alt_index], alt, *others[alt_index:]),
        filters,
        vaf,
        depth,
        variant_id,
    ),
    st.sampled_from(["chr7", "chr9", "7", "chrUn_KI270302v1"]),
    st.integers(1, 2**40),
    st.sampled_from(["A", "C", "GT", "ACGTACGTAC"]),
    st.sampled_from(["T", "G", "A", "CCG"]),
    st.integers(0, 2),
    st.lists(st.sampled_from(["C", "TT"]), min_size=2, max_size=2),
    st.sampled_from([(), ("PASS",), ("weak_evidence",), ("weak_evidence", "germline")]),
    st.none() | st.floats(0.0, 1.0),
    st.none() | st.integers(0, 2**40),
    st.none() | st.sampled_from(["rs121434568", "COSV5"]),
)
NOTES = st.sampled_from(
    [
        ("ABL1", "the gene table lists no coding exons for ABL1"),
        ("EGFR", "outside the coding exons the gene table lists (EGFR 18-21)"),
    ]
)


def numbered(variants: list[Variant], start: int = 1) -> list[Variant]:
    """The variants as alleles of consecutive records (a record's alleles together)."""
    out = []
    record = start
    for variant in variants:
        out.append(_replace(variant, record_index=record))
        record += 1 + variant.alt_index  # leave room, as other alleles of a record would
    return out


def _replace(variant: Variant, **changes: Any) -> Variant:
    fields = {name: getattr(variant, name) for name in Variant.__dataclass_fields__}
    return Variant(**{**fields, **changes})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(VARIANTS, NOTES), max_size=30))
def test_rows_give_back_the_variants_and_notes(rows: list[tuple[Variant, tuple[str, str]]]) -> None:
    variants = numbered([variant for variant, _note in rows])
    noted = NotedAlleles()
    for variant, (_variant, note) in zip(variants, rows, strict=True):
        assert noted.takes(variant)
        noted.add(variant, note)
    assert len(noted) == len(rows)
    expected = [
        Unclassified(gene, variant, reason)
        for variant, (_variant, (gene, reason)) in zip(variants, rows, strict=True)
    ]
    made = list(noted.unclassified())
    assert made == expected
    # Equal field by field, the types too (the JSON writer checks them), and VAF to the bit.
    for item, want in zip(made, expected, strict=True):
        for name in Variant.__dataclass_fields__:
            got, wanted = getattr(item.variant, name), getattr(want.variant, name)
            if name != "annotations":
                assert type(got) is type(wanted), name
                assert got == wanted, name
        assert not item.variant.annotations
    back = pickle.loads(pickle.dumps(noted))
    assert back == noted
    assert list(back.unclassified()) == expected


@pytest.mark.parametrize(
    ("changes", "taken"),
    [
        ({}, True),
        ({"annotations": MappingProxyType({"CSQ": "x"})}, False),
        ({"end": 200}, False),
        ({"svtype": "DEL"}, False),
        ({"mate_id": "bnd_1"}, False),
        ({"phase_set": "100", "haplotype": 1}, False),
        ({"vaf": float("nan")}, False),
        ({"vaf": 1}, False),  # an int VAF would come back a float
        ({"depth": -1}, False),  # the missing depth's mark
        ({"depth": 12.0}, False),
    ],
)
def test_only_what_a_row_keeps_is_taken(changes: dict[str, Any], taken: bool) -> None:
    variant = Variant("chr7", 100, "A", "T", 1, alts=("T",), vaf=0.25, depth=40)
    assert NotedAlleles.takes(_replace(variant, **changes)) is taken


def part(records: list[int], gene: str = "ABL1") -> NotedAlleles:
    noted = NotedAlleles()
    for record in records:
        variant = Variant("chr9", 1000 + record, "A", "G", record, alts=("G",))
        noted.add(variant, (gene, f"note on {gene}"))
    return noted


def test_merged_parts_come_in_the_order_of_their_records() -> None:
    # Dealt in blocks by turns, as the two processes get the candidates.
    mine, theirs, third = part([1, 2, 7, 8]), part([3, 4, 5, 9], "EGFR"), part([6])
    mine.merge(theirs)
    mine.merge(NotedAlleles())  # nothing
    mine.merge(third)
    assert len(mine) == 9
    assert [item.variant.record_index for item in mine.unclassified()] == list(range(1, 10))
    assert [row[0] for row in mine.rows()] == list(range(1, 10))
    assert [item.gene for item in mine.unclassified()][2:5] == ["EGFR"] * 3
    assert pickle.loads(pickle.dumps(mine)) == mine


def listed(record: int, alt_index: int = 0, gene: str = "KRAS") -> Unclassified:
    variant = Variant("chr12", 500 + record, "C", "T", record, alt_index, alts=("T", "A"))
    return Unclassified(gene, variant, "no protein change (HGVSp)")


def test_unclassified_list_merges_listed_and_noted_items() -> None:
    items = [listed(2), listed(2, 1), listed(2, 1, "NRAS"), listed(6)]
    noted = part([1, 3, 4, 5, 7])
    both = UnclassifiedList(items, noted)
    assert len(both) == 9
    order = [(item.variant.record_index, item.variant.alt_index, item.gene) for item in both]
    assert order == [
        (1, 0, "ABL1"),
        (2, 0, "KRAS"),
        (2, 1, "KRAS"),
        (2, 1, "NRAS"),
        (3, 0, "ABL1"),
        (4, 0, "ABL1"),
        (5, 0, "ABL1"),
        (6, 0, "KRAS"),
        (7, 0, "ABL1"),
    ]
    assert both == tuple(both)
    assert both == list(both)
    assert both != tuple(both)[1:]
    assert both[1] is items[0]
    assert both[-1] == both[8]
    assert [UnclassifiedList.item(row) for row in both.rows()] == list(both)
    assert UnclassifiedList([], noted) == list(noted.unclassified())


def result_with(unclassified: Any) -> Result:
    return Result(
        tool_version="0",
        rules_version="0",
        rules_sha256="0",
        input="in.vcf",
        sample="TUMOR",
        tumor_type="LUAD",
        genome="GRCh38",
        findings=(),
        therapy_calls=(),
        unclassified=unclassified,
        summary=Summary(unclassified=len(unclassified)),
    )


def json_text(result: Result) -> str:
    stream = io.StringIO()
    write_json(result, stream)
    return stream.getvalue()


def test_json_of_noted_items_is_that_of_the_same_items_listed() -> None:
    odd = Unclassified("KRAS", _replace(listed(4).variant, ref='A"\\'), 'quote " and \\')
    # The writer checks its template against the first item's dict: a listed item or a row.
    for first in (1, 3):
        noted = part([first, 3, 5][first // 3 :])
        noted.merge(part([6, 7], "EGFR"))
        for items in ([], [listed(2)], [odd, listed(8)], [listed(2), odd]):
            both = UnclassifiedList(items, noted)
            assert json_text(result_with(both)) == json_text(result_with(tuple(both)))


# --- End to end: the result is the one every allele listed gives --------------------------


def test_an_unannotated_vcf_gives_the_result_of_its_alleles_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = ROOT / "tests/data/pcgr.T001-COAD.grch38.vcf.gz"
    with_rows = run_json(source, "COAD", use_index=False)
    assert with_rows["unclassified"]
    monkeypatch.setattr(noted_module.NotedAlleles, "takes", staticmethod(lambda _variant: False))
    listed_only = run_json(source, "COAD", use_index=False)
    assert with_rows == listed_only


@pytest.fixture(scope="module")
def unannotated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 synthetic records without CSQ, 10% in cancer-gene spans: noted alleles
    (outside the exon tables) among listed ones (codon changes in the exons, hotspots)."""
    out = tmp_path_factory.mktemp("unannotated") / "g20k.vcf.gz"
    return make_vcf(out, "--records", "20000", "--seed", "5", "--no-csq")


@pytest.mark.parametrize(
    "options",
    [
        {"use_index": False},
        {"prefilter": True, "threads": 2},  # two processes: the worker's rows merged in
        {"prefilter": True, "threads": 1, "include_filtered": True},
    ],
    ids=["full", "two-parts", "filtered"],
)
def test_a_generated_vcf_gives_the_result_of_its_alleles_listed(
    unannotated: Path, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    with_rows = run_json(unannotated, "LUAD", **options)
    kinds = {item["reason"].split(";")[0] for item in with_rows["unclassified"]}
    # Noted: UTRs, genes without an exon table and hotspot-less codons; 236 with the tables
    # of rules 0.6.0, 150 with those of 0.8.0 (MAP2K1's and MET's complete).
    assert len(with_rows["unclassified"]) > 100
    assert len(kinds) > 3
    monkeypatch.setattr(noted_module.NotedAlleles, "takes", staticmethod(lambda _variant: False))
    assert run_json(unannotated, "LUAD", **options) == with_rows


def test_an_allele_at_a_genomic_rules_position_is_matched_not_noted(tmp_path: Path) -> None:
    """The test rules' genes have no exon tables: every unannotated EGFR allele gets one note,
    and the one at T790M-GENOMIC's position must still reach the matcher."""

    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML, encoding="utf-8")
    records = [
        "chr7\t55181370\t.\tG\tA\t.\tPASS\t.\tGT:AD\t0/1:60,40",
        "chr7\t55181378\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:60,40",
        "chr7\t55181390\t.\tG\tA\t.\tPASS\t.\tGT:AD\t0/1:60,40",
    ]
    vcf = write_vcf(tmp_path, vcf_text(records, info_lines=()), "vcf")
    result = run_json(vcf, "LUAD", rule_paths=(rules,), bundled_rules=False, use_index=False)
    assert [f["rule_id"] for f in result["findings"]] == ["T790M-GENOMIC"]
    assert [u["variant"]["pos"] for u in result["unclassified"]] == [55181370, 55181390]
    assert result["summary"]["alleles_in_rule_genes"] == 3


#: ABL1 codon 315's first base A>G, which makes Thr (ACN) Ala (GCN) whatever the codon's last
#: base: T315A, a rule's; and a change of codon 400, no rule's.
CODON_CHANGES = {
    "none": (),
    "missense": (VariantClass.MISSENSE, None),
    "codon 315": (VariantClass.OTHER, CodonChange(315, 1, "A", "G")),
    "codon 400": (VariantClass.OTHER, CodonChange(400, 2, "C", "T")),
}


@settings(max_examples=300, deadline=None)
@given(
    notes=st.lists(st.tuples(st.sampled_from(["ABL1", "EGFR", "BCR"]), st.just("why")), max_size=2),
    in_genes=st.lists(st.sampled_from(["ABL1", "EGFR", "BCR"]), max_size=2, unique=True),
    alteration=st.sampled_from(sorted(CODON_CHANGES)),
)
def test_what_is_noted_is_what_find_unclassified_reports_of_the_allele(
    notes: list[tuple[str, str]], in_genes: list[str], alteration: str
) -> None:
    """A noted allele is reported as the one unclassified item find_unclassified gives the
    same allele, and could fire no rule: it has no alteration, or only a codon change no rule
    or condition takes (ABL1 codon 400, not T315A)."""

    variant = Variant("chr9", 130800000, "A", "G", 1, alts=("G",))
    kind = CODON_CHANGES[alteration]
    alterations = (
        (Alteration("ABL1", kind[0], variant, preferred=True, codon_change=kind[1]),)
        if kind
        else ()
    )
    rows = NotedAlleles()
    small_variant_genes = frozenset({"ABL1", "EGFR"})  # as the bundled rules: BCR's are fusions
    allele = SampleAllele(variant, alterations, False, tuple(notes), tuple(in_genes))
    taken = _noted(rows, allele, small_variant_genes, TRIAGE)
    assert len(rows) == int(taken)
    reported = find_unclassified([allele], GENES, [], small_variant_genes=small_variant_genes)
    if taken:
        assert reported == list(rows.unclassified())
        assert alteration in ("none", "codon 400")
        assert not TRIAGE.match([allele])
    elif alteration == "codon 400" and notes == [("ABL1", "why")] and in_genes == ["ABL1"]:
        raise AssertionError("a codon change no rule takes, with its one note, is noted")
    assert all(item.gene != "BCR" for item in reported)
