"""An SNV finding with another SNV of the sample in reach of its codon says so: callers that do
not merge adjacent changes (Strelka2, VarScan2) write BRAF V600K (c.1798_1799GT>AA) as two SNVs,
one of which alone reads as V600E."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runs import run_json

# Strelka2's somatic SNV form: no GT, tier-1/2 base counts
HEADER = (
    "##fileformat=VCFv4.1\n##source=strelka\n##contig=<ID=chr7,length=159345973>\n"
    + "".join(
        f'##FORMAT=<ID={base}U,Number=2,Type=Integer,Description="{base} alleles, tiers 1,2">\n'
        for base in "ACGT"
    )
    + '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
    + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR\n"
)
V600E = (
    "chr7\t140753336\t.\tA\tT\t.\tPASS\t.\tDP:AU:CU:GU:TU\t100:100,102:0,0:0,0:0,0\t"
    "150:100,103:0,0:0,0:49,50\n"
)


def snv(pos: int, ref: str, alt: str) -> str:
    counts = dict.fromkeys("ACGT", "0,0")
    counts[ref], counts[alt] = "100,103", "49,50"
    tumor = ":".join(counts[base] for base in "ACGT")
    return (
        f"chr7\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tDP:AU:CU:GU:TU\t100:0,0:100,102:0,0:0,0\t"
        f"150:{tumor}\n"
    )


def details(tmp_path: Path, *records: str) -> dict[str, str | None]:
    path = tmp_path / "calls.vcf"
    path.write_text(HEADER + "".join(records), encoding="utf-8")
    result = run_json(path, tumor_type="COAD", sample="TUMOR")
    return {finding["rule_id"]: finding["detail"] for finding in result["findings"]}


@pytest.mark.parametrize(
    ("other", "near"),
    [
        (snv(140753337, "C", "T"), "chr7:140753337 C>T"),  # V600K called as two SNVs
        (snv(140753338, "A", "G"), "chr7:140753338 A>G"),  # two bases away, same codon
        (snv(140753339, "C", "T"), None),  # three bases away: another codon
    ],
)
def test_an_snv_in_reach_of_the_codon_is_named(
    tmp_path: Path, other: str, near: str | None
) -> None:
    records = sorted([V600E, other], key=lambda line: int(line.split("\t")[1]))
    found = details(tmp_path, *records)
    detail = found["BRAF-V600E-CRC-ENCORAFENIBCETUXIMAB-S"]
    if near is None:
        assert detail is None
    else:
        assert detail is not None
        assert f"another SNV of the sample within 2 bases ({near})" in detail
        assert "check the reads" in detail


def test_a_lone_snv_has_no_caveat(tmp_path: Path) -> None:
    assert set(details(tmp_path, V600E).values()) == {None}
