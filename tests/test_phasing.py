"""Phase of two variants: read-backed from a small BAM/CRAM built here (annotator.phasing), and
end to end through the CLI with EGFR T790M + C797S phased in the VCF or from the reads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pysam
import pytest

from annotator.cli import main
from annotator.errors import InputError, UsageError
from annotator.matcher import SampleAllele
from annotator.models import Phase, Variant
from annotator.phasing import (
    apply_read_backed_phase,
    decide_phase,
    read_backed_phase,
)
from tests.factories import variant
from tests.vcfgen import FORMAT_LINES, PHASE_FORMAT_LINES, vcf_text, write_vcf

# A tiny contig: two SNVs 21 bp apart, as EGFR T790M (c.2369) and C797S (c.2390) are.
CONTIG = "chrT"
REFERENCE = "ACGTTGCAAC" * 12  # 120 bp
FIRST_POS, SECOND_POS = 40, 61  # 1-based
READ_START, READ_LENGTH = 20, 60  # 0-based start: the reads cover both positions


def alt_of(base: str) -> str:
    return {"A": "C", "C": "T", "G": "C", "T": "A"}[base]


FIRST = variant(CONTIG, FIRST_POS, REFERENCE[FIRST_POS - 1], alt_of(REFERENCE[FIRST_POS - 1]))
SECOND = variant(CONTIG, SECOND_POS, REFERENCE[SECOND_POS - 1], alt_of(REFERENCE[SECOND_POS - 1]))

Read = tuple[str, int, str, int, int]  # name, 0-based start, sequence, flag, mapping quality


def fragment_reads(
    name: str,
    carried: Sequence[Variant],
    *,
    reference: str = REFERENCE,
    start: int = READ_START,
    length: int = READ_LENGTH,
    flag: int = 0,
    mapping_quality: int = 60,
) -> Read:
    """One read over ``reference[start:start+length]`` with the ALT of each carried variant."""
    bases = list(reference[start : start + length])
    for item in carried:
        bases[item.pos - 1 - start] = item.alt
    return (name, start, "".join(bases), flag, mapping_quality)


def reads_of(counts: dict[str, int]) -> list[Read]:
    """Fragments by kind: ``both``, ``first``, ``second``, ``none`` (REF at both)."""
    kinds = {"both": (FIRST, SECOND), "first": (FIRST,), "second": (SECOND,), "none": ()}
    reads = []
    for kind, count in counts.items():
        for index in range(count):
            reads.append(fragment_reads(f"{kind}{index}", kinds[kind]))
    return reads


def write_alignments(
    directory: Path,
    reads: Sequence[Read],
    *,
    contig: str = CONTIG,
    length: int = len(REFERENCE),
    cram_reference: Path | None = None,
    index: bool = True,
) -> Path:
    """Reads as a sorted, indexed BAM (or CRAM against ``cram_reference``)."""
    header = {"HD": {"VN": "1.6", "SO": "unsorted"}, "SQ": [{"SN": contig, "LN": length}]}
    unsorted = directory / "unsorted.bam"
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as sink:
        for name, start, sequence, flag, mapping_quality in reads:
            segment = pysam.AlignedSegment(sink.header)
            segment.query_name = name
            segment.query_sequence = sequence
            segment.flag = flag
            segment.reference_id = 0
            segment.reference_start = start
            segment.mapping_quality = mapping_quality
            segment.cigartuples = [(0, len(sequence))]
            segment.query_qualities = pysam.qualitystring_to_array("I" * len(sequence))
            sink.write(segment)
    if cram_reference is None:
        path = directory / "tumor.bam"
        pysam.sort("-o", str(path), str(unsorted))
    else:
        path = directory / "tumor.cram"
        pysam.sort("-O", "cram", "--reference", str(cram_reference), "-o", str(path), str(unsorted))
    unsorted.unlink()
    if index:
        pysam.index(str(path))
    return path


def write_reference(directory: Path) -> Path:
    fasta = directory / "tiny.fa"
    fasta.write_text(f">{CONTIG}\n{REFERENCE}\n")
    pysam.faidx(str(fasta))
    return fasta


# --- decide_phase, table-driven ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("both", "first_only", "second_only", "expected"),
    [
        (5, 0, 0, Phase.CIS),
        (3, 0, 0, Phase.CIS),  # the minimum
        (2, 0, 0, Phase.UNKNOWN),  # too few
        (4, 10, 0, Phase.CIS),  # the second ALT always with the first: cis in a subclone
        (4, 1, 1, Phase.CIS),  # 80 % of each allele's fragments agree
        (5, 5, 5, Phase.UNKNOWN),  # a mix of cis and trans
        (0, 4, 4, Phase.TRANS),
        (0, 3, 3, Phase.TRANS),
        (0, 10, 2, Phase.UNKNOWN),  # the second allele seen in too few fragments
        (1, 9, 9, Phase.TRANS),  # 10 % with both: noise
        (3, 9, 9, Phase.UNKNOWN),  # 25 % with both: neither
        (0, 0, 0, Phase.UNKNOWN),
    ],
)
def test_decide_phase(both: int, first_only: int, second_only: int, expected: Phase) -> None:
    assert decide_phase(both, first_only, second_only) is expected


# --- read_backed_phase on a BAM built here -----------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "expected", "cis_reads", "trans_reads"),
    [
        ({"both": 6, "none": 6}, Phase.CIS, 6, 0),
        ({"first": 5, "second": 4, "none": 3}, Phase.TRANS, 0, 9),
        ({"both": 4, "first": 8, "none": 8}, Phase.CIS, 4, 8),
        ({"both": 2, "none": 10}, Phase.UNKNOWN, 2, 0),
        ({"both": 4, "first": 4, "second": 4}, Phase.UNKNOWN, 4, 8),
    ],
)
def test_read_backed_phase(
    tmp_path: Path, counts: dict[str, int], expected: Phase, cis_reads: int, trans_reads: int
) -> None:
    bam = write_alignments(tmp_path, reads_of(counts))
    evidence = read_backed_phase(bam, None, FIRST, SECOND)
    assert evidence.phase is expected
    assert (evidence.cis_reads, evidence.trans_reads) == (cis_reads, trans_reads)
    assert evidence.source == "reads"


def test_read_order_of_the_variants_does_not_matter(tmp_path: Path) -> None:
    bam = write_alignments(tmp_path, reads_of({"both": 4}))
    assert read_backed_phase(bam, None, SECOND, FIRST).phase is Phase.CIS


def test_mates_count_once_and_may_cover_one_position_each(tmp_path: Path) -> None:
    reads: list[Read] = []
    for index in range(3):
        # Mate 1 covers only the first position, mate 2 only the second; both carry the ALT.
        left = fragment_reads(f"pair{index}", (FIRST,), start=10, length=40, flag=0x1 | 0x40)
        right = fragment_reads(f"pair{index}", (SECOND,), start=50, length=40, flag=0x1 | 0x80)
        reads.extend([left, right])
    for index in range(3):
        # Overlapping mates that both cover both positions: one fragment, not two.
        for flag in (0x1 | 0x40, 0x1 | 0x80):
            reads.append(fragment_reads(f"overlap{index}", (FIRST, SECOND), flag=flag))
    evidence = read_backed_phase(write_alignments(tmp_path, reads), None, FIRST, SECOND)
    assert (evidence.cis_reads, evidence.phase) == (6, Phase.CIS)


def test_duplicates_secondary_and_low_mapping_quality_reads_are_ignored(tmp_path: Path) -> None:
    reads = reads_of({"both": 2})
    reads += [fragment_reads("dup", (FIRST, SECOND), flag=0x400)]
    reads += [fragment_reads("secondary", (FIRST, SECOND), flag=0x100)]
    reads += [fragment_reads("mapq", (FIRST, SECOND), mapping_quality=5)]
    evidence = read_backed_phase(write_alignments(tmp_path, reads), None, FIRST, SECOND)
    assert (evidence.cis_reads, evidence.phase) == (2, Phase.UNKNOWN)


def test_indels_are_not_phased_from_reads(tmp_path: Path) -> None:
    bam = write_alignments(tmp_path, reads_of({"both": 6}))
    deletion = variant(CONTIG, SECOND_POS, REFERENCE[SECOND_POS - 1 : SECOND_POS + 1], "G")
    evidence = read_backed_phase(bam, None, FIRST, deletion)
    assert evidence.phase is Phase.UNKNOWN
    assert evidence.note == "only SNVs are phased from reads"


def test_chromosome_names_with_or_without_chr(tmp_path: Path) -> None:
    bam = write_alignments(tmp_path, reads_of({"both": 4}), contig="T")
    assert read_backed_phase(bam, None, FIRST, SECOND).phase is Phase.CIS


def test_cram_needs_and_uses_the_reference(tmp_path: Path) -> None:
    fasta = write_reference(tmp_path)
    cram = write_alignments(tmp_path, reads_of({"first": 4, "second": 4}), cram_reference=fasta)
    assert read_backed_phase(cram, fasta, FIRST, SECOND).phase is Phase.TRANS
    with pytest.raises(UsageError, match="needs the reference"):
        read_backed_phase(cram, None, FIRST, SECOND)


def test_missing_file_and_index_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_backed_phase(tmp_path / "absent.bam", None, FIRST, SECOND)
    bam = write_alignments(tmp_path, reads_of({"both": 4}), index=False)
    with pytest.raises(InputError, match="samtools index"):
        read_backed_phase(bam, None, FIRST, SECOND)


def test_apply_gives_a_read_backed_phase_set(tmp_path: Path) -> None:
    bam = write_alignments(tmp_path, reads_of({"first": 4, "second": 4}))
    alleles = [SampleAllele(FIRST, (), True), SampleAllele(SECOND, (), True)]
    phased, notes = apply_read_backed_phase(alleles, [(FIRST, SECOND)], bam, None)
    first, second = (allele.variant for allele in phased)
    assert first.phase_set == second.phase_set == f"reads:{FIRST_POS}-{SECOND_POS}"
    assert (first.haplotype, second.haplotype) == (0, 1)
    assert notes == [
        f"--bam: phase of {CONTIG}:{FIRST_POS} {FIRST.ref}>{FIRST.alt} and "
        f"{CONTIG}:{SECOND_POS} {SECOND.ref}>{SECOND.alt}: trans (0 fragments with both ALTs, "
        "4 with the first only, 4 with the second only)"
    ]


def test_apply_keeps_vcf_phase(tmp_path: Path) -> None:
    """Pairs the VCF phases are not read again; an allele in a VCF phase set keeps it."""
    bam = write_alignments(tmp_path, reads_of({"both": 4}))
    first = variant(CONTIG, FIRST_POS, FIRST.ref, FIRST.alt, phase_set="9", haplotype=0)
    second = variant(CONTIG, SECOND_POS, SECOND.ref, SECOND.alt, phase_set="9", haplotype=1)
    alleles = [SampleAllele(first, (), True), SampleAllele(second, (), True)]
    phased, notes = apply_read_backed_phase(alleles, [(first, second)], bam, None)
    assert [a.variant for a in phased] == [first, second]
    assert notes == []
    lone = variant(CONTIG, SECOND_POS, SECOND.ref, SECOND.alt)
    alleles = [SampleAllele(first, (), True), SampleAllele(lone, (), True)]
    phased, _notes = apply_read_backed_phase(alleles, [(first, lone)], bam, None)
    assert [a.variant for a in phased] == [first, lone]


# --- end to end: EGFR T790M + C797S ------------------------------------------------------------

T790M_GRCH38 = ("chr7", 55181378, "C", "T")  # rules/hotspots.yaml, c.2369C>T
C797S_GRCH38 = ("chr7", 55181399, "G", "C")  # rules/hotspots.yaml, c.2390G>C
CIS_RULE = "EGFR-C797S-T790M-CIS-EGFRTKI-R"
TRANS_RULE = "EGFR-C797S-T790M-TRANS-1GTKIOSIMERTINIB-S"


def egfr_vcf(directory: Path, t790m_sample: str, c797s_sample: str) -> Path:
    """An unannotated VCF (the hotspot table places both) with the given FORMAT values."""
    chrom, pos, ref, alt = T790M_GRCH38
    records = [
        f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT:AD:DP:PS\t{t790m_sample}",
        "\t".join(str(v) for v in C797S_GRCH38[:2])
        + f"\t.\t{C797S_GRCH38[2]}\t{C797S_GRCH38[3]}\t.\tPASS\t.\tGT:AD:DP:PS\t{c797s_sample}",
    ]
    text = vcf_text(records, format_lines=(*FORMAT_LINES, *PHASE_FORMAT_LINES), info_lines=())
    return write_vcf(directory, text)


def annotate(tmp_path: Path, vcf: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "out.json"
    code = main(["annotate", str(vcf), "--tumor-type", "LUAD", "--out-json", str(out), *extra])
    assert code == 0
    data = json.loads(out.read_text())
    assert isinstance(data, dict)
    return data


def phased_findings(data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {f["rule_id"]: (f["phase"], f["phase_source"]) for f in data["findings"] if f["phase"]}


@pytest.mark.parametrize(
    ("c797s_genotype", "rule", "phase"),
    [("0|1", CIS_RULE, "cis"), ("1|0", TRANS_RULE, "trans")],
)
def test_vcf_phase_decides_cis_or_trans(
    tmp_path: Path, c797s_genotype: str, rule: str, phase: str
) -> None:
    vcf = egfr_vcf(tmp_path, "0|1:60,40:100:55181378", f"{c797s_genotype}:70,30:100:55181378")
    data = annotate(tmp_path, vcf)
    assert phased_findings(data) == {rule: (phase, "vcf")}
    calls = {c["therapy"]: c for c in data["therapy_calls"]}
    if phase == "cis":
        assert calls["afatinib"]["call"] == "resistance"
        assert CIS_RULE in calls["afatinib"]["rule_ids"]
        assert "gefitinib + osimertinib" not in calls
    else:
        assert calls["gefitinib + osimertinib"]["call"] == "sensitivity"
        # afatinib: the T790M rule alone (EGFR-T790M-AFATINIB-R), not the cis rule
        assert calls["afatinib"]["rule_ids"] == ["EGFR-T790M-AFATINIB-R"]


def egfr_reads(counts: dict[str, int]) -> list[Read]:
    """Reads over T790M and C797S on chr7 (bases other than the two are placeholders)."""
    start = T790M_GRCH38[1] - 11
    length = 60
    placeholder = ["A"] * (start + length)
    placeholder[T790M_GRCH38[1] - 1] = T790M_GRCH38[2]
    placeholder[C797S_GRCH38[1] - 1] = C797S_GRCH38[2]
    reference = "".join(placeholder)
    t790m, c797s = variant(*T790M_GRCH38), variant(*C797S_GRCH38)
    kinds = {"both": (t790m, c797s), "first": (t790m,), "second": (c797s,), "none": ()}
    return [
        fragment_reads(f"{kind}{i}", kinds[kind], reference=reference, start=start, length=length)
        for kind, count in counts.items()
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("counts", "rule", "phase"),
    [
        ({"both": 8, "none": 8}, CIS_RULE, "cis"),
        ({"first": 6, "second": 5, "none": 5}, TRANS_RULE, "trans"),
    ],
)
def test_bam_phase_when_the_vcf_has_none(
    tmp_path: Path, counts: dict[str, int], rule: str, phase: str
) -> None:
    vcf = egfr_vcf(tmp_path, "0/1:60,40:100:.", "0/1:70,30:100:.")
    assert phased_findings(annotate(tmp_path, vcf)) == {}  # unknown: neither rule fires
    bam = write_alignments(tmp_path, egfr_reads(counts), contig="chr7", length=159345973)
    data = annotate(tmp_path, vcf, "--bam", str(bam))
    assert phased_findings(data) == {rule: (phase, "reads")}
    assert any(note.startswith("--bam: phase of chr7:55181378") for note in data["input_notes"])


def test_bam_with_too_few_reads_leaves_phase_unknown(tmp_path: Path) -> None:
    vcf = egfr_vcf(tmp_path, "0/1:60,40:100:.", "0/1:70,30:100:.")
    bam = write_alignments(tmp_path, egfr_reads({"both": 2}), contig="chr7", length=159345973)
    data = annotate(tmp_path, vcf, "--bam", str(bam), "--explain")
    assert phased_findings(data) == {}
    reasons = {(m["rule_id"], m["reason"]) for m in data["near_misses"]}
    assert {(CIS_RULE, "phase_unknown"), (TRANS_RULE, "phase_unknown")} <= reasons
