"""An SNV finding names the sample's SNVs within a codon's reach in every mode, though reading
keeps only the alleles that can change a result (annotator/codon_neighbours.py).

EGFR T790M is c.2369C>T in codon ACG (c.2368-2370, GRCh38 7:55181377-55181379); with the
synonymous c.2370G>A beside it (p.Thr790=, a change no rule names, so only counted) the two
make ATA, T790I, not T790M. Before the neighbours were kept by place, the caveat appeared with
``--explain`` (which keeps every allele) and not without it.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pysam
import pytest

import annotator.parts
from annotator.codon_neighbours import CodonNeighbours, may_share_a_codon
from annotator.config import AnnotateConfig
from annotator.matcher import SampleAllele
from annotator.models import Alteration, CodonChange, Result, Variant, VariantClass
from annotator.pipeline import run
from tests.test_deferred_evidence import CSQ_LINE, PATHS
from tests.vcfgen import vcf_text, write_vcf

SAMPLE = "GT:AD:DP\t0/1:60,40:100"


def csq_record(pos: int, ref: str, alt: str, consequence: str, hgvsp: str) -> str:
    return (
        f"chr7\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\tCSQ={alt}|{consequence}|LOW|EGFR|"
        f"ENST00000275493.7|{hgvsp}\t{SAMPLE}"
    )


T790M = csq_record(55181378, "C", "T", "missense_variant", "ENSP00000275493.2:p.Thr790Met")
SYNONYMOUS = csq_record(55181379, "G", "A", "synonymous_variant", "ENSP00000275493.2:p.Thr790%3D")
#: Annotated without a protein change: in no codon, whatever its place.
NO_PROTEIN = csq_record(55181380, "G", "A", "intron_variant", "")
#: An EGFR missense no rule names, far from T790M (kept by place, named by none).
FAR = csq_record(55181390, "G", "A", "missense_variant", "ENSP00000275493.2:p.Val794Ile")


@pytest.fixture(autouse=True)
def _small_files_in_two_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two-process path splits even these small files."""
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)


def annotated(
    tmp_path: Path, records: list[str], info_lines: tuple[str, ...] = (CSQ_LINE,), **options: Any
) -> Result:
    """The LUAD result of these records, bgzipped (and indexed for ``use_index``)."""
    path = write_vcf(tmp_path, vcf_text(records, info_lines=info_lines), "vcf.gz")
    if options.get("use_index"):
        pysam.tabix_index(str(path), preset="vcf", force=True)
    (result,) = run(AnnotateConfig(input=path, tumor_type="LUAD", **options))
    return result


def details(tmp_path: Path, records: list[str], **options: Any) -> dict[str, str | None]:
    result = annotated(tmp_path, records, **options)
    return {finding.rule_id: finding.detail for finding in result.findings}


def t790m_detail(result: Result) -> str | None:
    (detail,) = {f.detail for f in result.findings if f.rule_id == "EGFR-T790M-1GTKI-R"}
    return detail


@pytest.mark.parametrize("explain", [False, True], ids=["findings", "explain"])
@pytest.mark.parametrize("options", PATHS)
def test_a_synonymous_snv_in_the_codon_is_named_in_every_mode(
    tmp_path: Path, options: dict[str, Any], explain: bool
) -> None:
    found = details(tmp_path, [T790M, SYNONYMOUS, FAR], explain=explain, **options)
    detail = found["EGFR-T790M-1GTKI-R"]
    assert detail is not None
    assert "another SNV of the sample within 2 bases (chr7:55181379 G>A)" in detail
    assert "chr7:55181390" not in detail


@pytest.mark.parametrize("explain", [False, True], ids=["findings", "explain"])
@pytest.mark.parametrize("options", PATHS)
def test_an_snv_without_a_protein_change_is_named_in_no_mode(
    tmp_path: Path, options: dict[str, Any], explain: bool
) -> None:
    found = details(tmp_path, [T790M, NO_PROTEIN], explain=explain, **options)
    assert found["EGFR-T790M-1GTKI-R"] is None


def allele(
    ref: str,
    alt: str,
    *,
    annotated: bool,
    hgvsp: str | None = None,
    codon: CodonChange | None = None,
    placed: bool = True,
) -> SampleAllele:
    variant = Variant("chr7", 55181379, ref, alt, record_index=2)
    alteration = Alteration(
        "EGFR", VariantClass.OTHER, variant, "ENST00000275493", hgvsp=hgvsp, codon_change=codon
    )
    return SampleAllele(variant, (alteration,) if placed else (), annotated)


def test_may_share_a_codon() -> None:
    # Annotated: with a protein change (synonymous too), not without one.
    assert may_share_a_codon(allele("G", "A", annotated=True, hgvsp="p.Thr790="))
    assert not may_share_a_codon(allele("G", "A", annotated=True))
    # Unannotated: a codon the table gives, or nothing known; not an intron variant.
    assert may_share_a_codon(allele("G", "A", annotated=False, codon=CodonChange(790, 3, "G", "A")))
    assert may_share_a_codon(allele("G", "A", annotated=False, placed=False))
    assert not may_share_a_codon(allele("G", "A", annotated=False))
    # Not SNVs.
    assert not may_share_a_codon(allele("GA", "G", annotated=False, placed=False))
    assert not may_share_a_codon(allele("G", "AT", annotated=True, hgvsp="p.X"))


def test_rows_give_back_their_variants_after_merging_and_pickling() -> None:
    first, second = CodonNeighbours(), CodonNeighbours()
    first.add(Variant("chr7", 55181379, "G", "A", record_index=2))
    first.add(Variant("chr12", 25245350, "C", "T", record_index=5, alt_index=1))
    second.add(Variant("chr7", 55181380, "G", "C", record_index=9))
    first.merge(second)
    kept = pickle.loads(pickle.dumps(first))
    assert kept == first
    assert len(kept) == 3
    found = list(kept.variants_at({("chr7", 55181380), ("chr12", 25245350), ("chr1", 55181379)}))
    assert [(v.chrom, v.pos, v.ref, v.alt, v.record_index, v.alt_index) for v in found] == [
        ("chr12", 25245350, "C", "T", 5, 1),
        ("chr7", 55181380, "G", "C", 9, 0),
    ]


@pytest.mark.parametrize("explain", [False, True], ids=["findings", "explain"])
@pytest.mark.parametrize("options", PATHS)
def test_unannotated_the_table_places_the_neighbour_in_the_codon(
    tmp_path: Path, options: dict[str, Any], explain: bool
) -> None:
    """Without annotation T790M is the hotspot table's, and c.2370G>A a change of codon 790
    whose effect needs the reference sequence: listed as unclassified, and named."""
    records = [
        f"chr7\t55181378\t.\tC\tT\t.\tPASS\t.\t{SAMPLE}",
        f"chr7\t55181379\t.\tG\tA\t.\tPASS\t.\t{SAMPLE}",
    ]
    result = annotated(tmp_path, records, (), explain=explain, **options)
    detail = t790m_detail(result)
    assert detail is not None
    assert "(chr7:55181379 G>A)" in detail
    assert [item.variant.pos for item in result.unclassified] == [55181379]


@pytest.mark.parametrize("explain", [False, True], ids=["findings", "explain"])
@pytest.mark.parametrize("options", PATHS)
def test_two_snvs_at_one_neighbouring_place_are_both_named_in_record_order(
    tmp_path: Path, options: dict[str, Any], explain: bool
) -> None:
    """Two records at c.2370 (G>A and G>C, both synonymous): the caveat named one of them,
    the last kept, which --explain and a run without it chose differently."""
    other = csq_record(55181379, "G", "C", "synonymous_variant", "ENSP00000275493.2:p.Thr790%3D")
    found = details(tmp_path, [T790M, SYNONYMOUS, other], explain=explain, **options)
    detail = found["EGFR-T790M-1GTKI-R"]
    assert detail is not None
    assert "within 2 bases (chr7:55181379 G>A, chr7:55181379 G>C)" in detail


#: VEP without ``--hgvs``: the protein change only in Protein_position and Amino_acids.
CSQ_FIELDS_LINE = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
    "Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSp|Protein_position|"
    'Amino_acids">'
)


def csq_fields_record(pos: int, ref: str, alt: str, consequence: str, amino_acids: str) -> str:
    return (
        f"chr7\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\tCSQ={alt}|{consequence}|LOW|EGFR|"
        f"ENST00000275493.7||790|{amino_acids}\t{SAMPLE}"
    )


@pytest.mark.parametrize("explain", [False, True], ids=["findings", "explain"])
@pytest.mark.parametrize("options", PATHS)
def test_a_synonymous_snv_named_by_vep_fields_alone_is_named_in_every_mode(
    tmp_path: Path, options: dict[str, Any], explain: bool
) -> None:
    """Its protein change read from Protein_position and Amino_acids (no HGVSp): the text
    triage of the prefilter, which takes such a candidate without parsing it, must leave it to
    the parse, which keeps its place."""
    records = [
        csq_fields_record(55181378, "C", "T", "missense_variant", "T/M"),
        csq_fields_record(55181379, "G", "A", "synonymous_variant", "T"),
    ]
    result = annotated(tmp_path, records, (CSQ_FIELDS_LINE,), explain=explain, **options)
    detail = t790m_detail(result)
    assert detail is not None
    assert "another SNV of the sample within 2 bases (chr7:55181379 G>A)" in detail
