"""The fast VEP path of ConsequenceResolver.resolve against a plain reading of each entry.

resolve() reads a VEP entry's fields with one itemgetter (a field the Format lacks reads an
appended ""), remembers the terms of each Consequence text, the class of each term tuple and
the exon of each EXON text, and strips HGVS references without a regex. These properties
check it against the slow path (``_vep_entries``, which reads each field on its own) and the
definitions it stands for, over random Formats (fields in any order, optional ones missing)
and entries sharing their values across records, so that the remembered values are reused.
"""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.consequence import (
    ConsequenceResolver,
    _is_preferred,
    _our_transcripts,
    _rank,
    _vep_allele,
    _vep_entries,
    _without_reference,
    read_annotation_format,
    vep_alleles,
)
from annotator.consequence_terms import classify
from annotator.models import Variant
from annotator.protein import try_parse_protein_change
from annotator.rules.schema import GeneSpec


def gene(symbol: str, ensembl: str, refseq: str | None) -> GeneSpec:
    return GeneSpec.model_validate(
        {
            "symbol": symbol,
            "hgnc_id": "HGNC:1",
            "ensembl_transcript": ensembl,
            "refseq_transcript": refseq,
            "strand": "+",
            "sources": ["MANE Select v1.3"],
        }
    )


GENES = {
    spec.symbol: spec
    for spec in (
        gene("EGFR", "ENST00000275493", "NM_005228.5"),
        gene("KRAS", "ENST00000311936", "NM_004985.5"),
        gene("NOTX", "ENST00000000001", None),
    )
}
REQUIRED = ["Allele", "Consequence", "SYMBOL", "Feature"]
OPTIONAL = [
    "IMPACT",
    "Feature_type",
    "EXON",
    "HGVSc",
    "HGVSp",
    "CANONICAL",
    "MANE_SELECT",
    "MANE",
]
VALUES = {
    "IMPACT": ["MODERATE", "HIGH", ""],
    "Feature_type": ["Transcript", "", "RegulatoryFeature"],
    "SYMBOL": ["EGFR", "KRAS", "NOTX", "BRAF", "egfr", ""],
    "Feature": ["ENST00000275493.7", "ENST00000311936", "ENST00000999999.1", "NM_005228.5", ""],
    "Consequence": [
        "missense_variant",
        "intron_variant",
        "splice_region_variant&synonymous_variant",
        "protein_altering_variant",
        "frameshift_variant&stop_gained",
        "&missense_variant&",
        "made_up_term",
        "",
    ],
    "EXON": ["20/28", "18-19/28", "3", " 7/9 ", "x/2", "", "١/٢"],
    "HGVSc": [
        "ENST00000275493.7:c.2369C>T",
        "NM_005228.5:c.35G>A",
        "c.35G>A",
        ":c.1A>T",
        "A:B:c.1A>T",
        "ENST1:x.1",
        "ENST1:c",
        "ENST1%3Ac.1A>T",
        "",
    ],
    "HGVSp": [
        "ENSP00000275493.2:p.Thr790Met",
        "ENSP00000275493.2:p.Ser768%3D",
        "ENSP1:p.Glu746_Ala750del",
        "ENSP1:p.Lys3_Ala4delinsTrpGlyCys",
        "ENSP1:p.Lys3_Ala4delinsTrp",
        "p.G12D",
        "ENSP1:p.?",
        "garbage",
        "",
    ],
    "CANONICAL": ["YES", "", "NO"],
    "MANE_SELECT": ["NM_005228.5", "ENST00000311936.8", ""],
    "MANE": ["NM_004985.5", ""],
}


def _fields(key: str, fields: list[str]) -> dict[str, str]:
    return {key: "Consequence annotations from Ensembl VEP. Format: " + "|".join(fields)}


@st.composite
def formats(draw: st.DrawFn) -> list[str]:
    optional = draw(st.lists(st.sampled_from(OPTIONAL), unique=True))
    return draw(st.permutations(REQUIRED + optional))


@st.composite
def records(draw: st.DrawFn, fields: list[str]) -> tuple[Variant, str]:
    ref, alt = draw(st.sampled_from([("C", "T"), ("CA", "C"), ("G", "GTT"), ("ag", "AC")]))
    entries = []
    for _ in range(draw(st.integers(1, 4))):
        values = {name: draw(st.sampled_from(VALUES.get(name, [""]))) for name in fields}
        if "Allele" in values:
            values["Allele"] = draw(st.sampled_from([vep_alleles(ref, (alt,))[0], "G", "-"]))
        entries.append("|".join(values[name] for name in fields))
    variant = Variant(
        chrom="7", pos=100, ref=ref, alt=alt, record_index=1, alts=(alt,), annotations={}
    )
    return variant, ",".join(entries)


def _strip_reference(hgvs: str | None) -> str | None:
    return None if hgvs is None else re.sub(r"^[^:]+:(?=[cgmnpr]\.)", "", hgvs, count=1)


@settings(max_examples=300, deadline=None)
@given(st.data(), formats(), st.sampled_from(["CSQ", "ANN"]))
def test_vep_resolve_matches_the_plain_reading_of_each_entry(
    data: st.DataObject, fields: list[str], key: str
) -> None:
    fmt = read_annotation_format(_fields(key, fields), "tumor.vcf")
    resolver = ConsequenceResolver(fmt, GENES)
    layout = resolver._csq if key == "CSQ" else resolver._ann_vep
    assert layout is not None
    for _ in range(3):  # the same resolver: values remembered from earlier records are reused
        variant, raw = data.draw(records(fields))
        variant = replace(variant, annotations={key: raw})
        got = resolver.resolve(variant)
        expected = [entry for entry in _vep_entries(raw, layout, variant) if entry.gene in GENES]
        assert len(got) == len(expected)
        for alteration, entry in zip(got, expected, strict=True):
            protein = try_parse_protein_change(entry.hgvsp)
            ours = _our_transcripts(GENES[entry.gene])
            assert alteration.source == "VEP"
            assert alteration.gene == entry.gene
            assert alteration.transcript == entry.transcript
            assert alteration.consequence_terms == entry.terms
            assert alteration.variant_class is classify(entry.terms, protein)
            assert alteration.exon == entry.exon
            assert alteration.protein == protein
            assert alteration.hgvsp == (
                protein.hgvs if protein is not None else _strip_reference(entry.hgvsp)
            )
            assert alteration.hgvsc == _strip_reference(entry.hgvsc)
            assert alteration.preferred is _is_preferred(
                ours, entry.transcript, entry.mane_select, entry.canonical
            )
            if protein is None and entry.hgvsp is not None:
                assert alteration.hgvsp == _strip_reference(entry.hgvsp)


def test_missing_optional_fields_read_empty_not_the_last_field() -> None:
    # EXON, HGVSp, CANONICAL are absent; the last field (HGVSc) must not stand in for them.
    fields = ["Allele", "Consequence", "SYMBOL", "Feature", "HGVSc"]
    fmt = read_annotation_format(_fields("CSQ", fields), "tumor.vcf")
    variant = Variant(
        chrom="7",
        pos=100,
        ref="C",
        alt="T",
        record_index=1,
        alts=("T",),
        annotations={"CSQ": "T|missense_variant|EGFR|ENST00000275493.7|p.T790M"},
    )
    (alteration,) = ConsequenceResolver(fmt, GENES).resolve(variant)
    assert alteration.protein is None
    assert alteration.hgvsp is None
    assert alteration.exon is None
    assert alteration.hgvsc == "p.T790M"


@given(st.text(alphabet=":cgmnprx.ABC1\n", max_size=12))
def test_without_reference_is_the_regex_substitution(text: str) -> None:
    assert _without_reference(text) == _strip_reference(text)


@given(st.text(alphabet="0123456789-/ x١\n", max_size=8))
def test_rank_of_repeated_texts_is_remembered_faithfully(text: str) -> None:
    match = re.fullmatch(r"([0-9]+)(?:-[0-9]+)?(?:/[0-9]+)?", text.strip())
    assert _rank(text) == (int(match[1]) if match else None)


@given(
    st.sampled_from(["A", "AC", "ACG", "a", "N"]),
    st.lists(st.sampled_from(["A", "C", "AC", "ACG", "T", "*", "c", "TG", "<DEL>"]), min_size=1),
    st.data(),
)
def test_vep_allele_fast_path_matches_vep_alleles(
    ref: str, alts: list[str], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(alts) - 1))
    variant = Variant(
        chrom="7", pos=1, ref=ref, alt=alts[index], record_index=1, alt_index=index, alts=()
    )
    assert _vep_allele(variant) == vep_alleles(ref, (alts[index],))[0].upper()
    variant = replace(variant, alts=tuple(alts))
    assert _vep_allele(variant) == vep_alleles(ref, tuple(alts))[index].upper()
