"""Nonsense and frameshift changes in a transcript's last exon may escape nonsense-mediated decay
(ClinGen SVI PVS1 recommendations, DOI:10.1002/humu.23626): no ``loss_of_function`` rule takes
them, and in a gene with such a rule they are reported as unclassified with that reason."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

from annotator.consequence import exon_rank_and_count
from annotator.models import Alteration, VariantClass
from annotator.readers.maf import read_maf
from annotator.rules import load_rules
from tests.runs import run_json
from tests.test_maf import EGFR_L858R, write_maf

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "test_data" / "demo.grch38.vep.vcf.gz"
# EXON 27/27 is BRCA2's last exon on ENST00000380152 (27 exons, as the demo's own BRCA2 record
# says: EXON 11/27); BRCA1's ENST00000357654 has 23.
LAST = "27/27"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("19/28", (19, 28)), ("18-19/28", (18, 28)), ("19", (19, None)), ("", (None, None))],
)
def test_exon_rank_and_count(text: str, expected: tuple[int | None, int | None]) -> None:
    assert exon_rank_and_count(text) == expected


@pytest.mark.parametrize(
    ("variant_class", "exon", "count", "escapes"),
    [
        (VariantClass.NONSENSE, 27, 27, True),
        (VariantClass.FRAMESHIFT, 27, 27, True),
        (VariantClass.NONSENSE, 26, 27, False),
        (VariantClass.NONSENSE, 27, None, False),  # the annotation gave no exon count
        (VariantClass.SPLICE_DONOR, 27, 27, False),
        (VariantClass.MISSENSE, 27, 27, False),
    ],
)
def test_escapes_nmd(
    variant_class: VariantClass, exon: int, count: int | None, escapes: bool
) -> None:
    alteration = Alteration("BRCA2", variant_class, exon=exon, exon_count=count)
    assert alteration.escapes_nmd is escapes


def csq(consequence: str, exon: str, hgvsp: str) -> str:
    """A VEP CSQ entry of BRCA2's MANE transcript, in the demo's CSQ format."""
    return (
        f"T|{consequence}|HIGH|BRCA2|ENSG00000139618|Transcript|ENST00000380152|protein_coding|"
        f"{exon}||ENST00000380152.8:c.1A>T|ENSP00000369497.3:{hgvsp}|||||||1|YES|"
        "NM_000059.4|ENSP00000369497"
    )


def vcf_with(tmp_path: Path, *records: tuple[int, str]) -> Path:
    """The demo's header with synthetic BRCA2 records (positions only need to lie in its span;
    the annotation is what the engine reads)."""
    with gzip.open(DEMO, "rt") as demo:  # its CSQ format, contigs and samples (NORMAL, TUMOR)
        header = [line for line in demo if line.startswith("#")]
    body = [
        f"chr13\t{pos}\t.\tA\tT\t.\tPASS\tCSQ={entry}\tGT:AD:AF:DP\t0/0:80,0:0:80\t0/1:60,40:0.4:100\n"
        for pos, entry in records
    ]
    path = tmp_path / "brca2.vcf"
    path.write_text("".join(header + body))
    return path


def brca2_findings(data: dict[str, Any]) -> set[str]:
    return {f["alteration"] for f in data["findings"] if f["gene"] == "BRCA2"}


def test_a_truncation_in_the_last_exon_is_unclassified_not_a_loss_of_function(
    tmp_path: Path,
) -> None:
    vcf = vcf_with(
        tmp_path,
        (32398489, csq("stop_gained", LAST, "p.Lys3326Ter")),
        (32398500, csq("frameshift_variant", LAST, "p.Leu3330PhefsTer5")),
        (32340300, csq("stop_gained", "11/27", "p.Ser1982Ter")),
    )
    data = run_json(vcf, "HGSOC")
    assert brca2_findings(data) == {"S1982*"}  # exon 11 of 27: a loss of function
    reasons = {u["variant"]["pos"]: u["reason"] for u in data["unclassified"]}
    assert set(reasons) == {32398489, 32398500}
    for reason in reasons.values():
        assert "last exon (27/27)" in reason
        assert "nonsense-mediated decay" in reason
        assert "DOI:10.1002/humu.23626" in reason
    only_last = run_json(
        vcf_with(tmp_path, (32398489, csq("stop_gained", LAST, "p.Lys3326Ter"))), "HGSOC"
    )
    assert only_last["findings"] == []
    assert only_last["therapy_calls"] == []  # no PARP-inhibitor call from it


def test_without_the_exon_count_a_truncation_is_still_a_loss_of_function(tmp_path: Path) -> None:
    """An annotation that gives the exon but not the count (EXON 27) cannot tell the last exon:
    as before, the rule fires."""
    vcf = vcf_with(tmp_path, (32398489, csq("stop_gained", "27", "p.Lys3326Ter")))
    data = run_json(vcf, "HGSOC")
    assert brca2_findings(data) == {"K3326*"}
    assert data["unclassified"] == []


def test_a_maf_exon_number_names_the_last_exon(tmp_path: Path) -> None:
    brca2_stop = EGFR_L858R | {
        "Hugo_Symbol": "BRCA2",
        "Chromosome": "chr13",
        "Start_Position": "32398489",
        "End_Position": "32398489",
        "Variant_Classification": "Nonsense_Mutation",
        "Reference_Allele": "A",
        "Tumor_Seq_Allele1": "A",
        "Tumor_Seq_Allele2": "T",
        "HGVSp_Short": "p.K3326*",
        "HGVSc": "",
        "Transcript_ID": "ENST00000380152.8",
    }
    rows = [brca2_stop | {"Exon_Number": exon} for exon in (LAST, "11/27")]
    data = read_maf(write_maf(tmp_path, *rows), load_rules().genes)
    last, earlier = (allele.alterations[0] for allele in data.alleles["S1"])
    assert (last.exon, last.exon_count, last.escapes_nmd) == (27, 27, True)
    assert (earlier.exon, earlier.exon_count, earlier.escapes_nmd) == (11, 27, False)
