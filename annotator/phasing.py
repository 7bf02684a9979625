"""Read-backed phase of two small variants from the tumor's alignments (``--bam``).

When the VCF leaves the phase of two alleles unknown (no phased ``GT`` with a shared ``PS``, no
``PGT``/``PID``) and a phased rule condition needs it (EGFR C797S with T790M in cis or trans),
the tumor BAM or CRAM decides it from the fragments (read pairs, counted once) that cover both
positions:

- a read counts when it is mapped, primary, not a duplicate, not QC-failed, with mapping
  quality >= :data:`MIN_MAPPING_QUALITY`; a base counts at a position when its quality is >=
  :data:`MIN_BASE_QUALITY` and it is the REF or the ALT base (other bases, deletions and
  mates that disagree leave the position unobserved in that fragment);
- each fragment that shows both positions is ``both`` (ALT at both), ``first_only`` or
  ``second_only`` (ALT at one, REF at the other) or uninformative (REF at both);
- **cis** when at least :data:`MIN_READS` fragments carry both ALTs and, for one of the
  alleles, at least :data:`MIN_AGREEMENT` of the fragments carrying its ALT carry the other
  ALT too. Only one allele has to agree: in a tumor the later mutation often sits in cis in a
  subclone of the cells with the earlier one, whose ALT then also appears alone;
- **trans** when each allele's ALT is carried by at least :data:`MIN_READS` fragments and at
  most ``1 - MIN_AGREEMENT`` of them carry the other ALT;
- **unknown** otherwise: too few fragments, or a mix (cis in some cells, trans in others).

The defaults (3 fragments, 80 %, MAPQ 20, base quality 20) are conventions of this tool, not
published cut-offs. Only SNVs are phased from reads: an indel's or MNV's allele cannot be read
reliably from a base at one position without realigning the reads, so such pairs stay unknown
(unless the VCF phases them). A CRAM needs the reference it was written against
(``--reference``). The reads are trusted to be of the VCF's tumor sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.errors import InputError, UsageError
from annotator.matcher import READ_BACKED_PHASE_SET, SampleAllele
from annotator.models import AlleleKey, Phase, Variant, allele_key, phase_between

if TYPE_CHECKING:
    import pysam

MIN_READS = 3
MIN_AGREEMENT = 0.8
MIN_MAPPING_QUALITY = 20
MIN_BASE_QUALITY = 20


@dataclass(frozen=True, slots=True)
class PhaseEvidence:
    """What the reads say about two alleles: fragments with both ALTs (``cis_reads``) and with
    one ALT and the other REF (``trans_reads`` = ``first_only`` + ``second_only``)."""

    cis_reads: int
    trans_reads: int
    phase: Phase
    source: str = "reads"
    first_only: int = 0
    second_only: int = 0
    note: str | None = None  # why no reads were counted (indel, contig absent)

    def describe(self) -> str:
        if self.note is not None:
            return f"{self.phase.value} ({self.note})"
        return (
            f"{self.phase.value} ({self.cis_reads} fragments with both ALTs, "
            f"{self.first_only} with the first only, {self.second_only} with the second only)"
        )


def open_alignments(path: Path, reference: Path | None) -> pysam.AlignmentFile:
    """The indexed BAM or CRAM; a CRAM needs its reference FASTA."""
    if not path.is_file():
        raise InputError("BAM/CRAM not found", path=path)
    is_cram = path.name.lower().endswith(".cram")
    if is_cram and reference is None:
        raise UsageError(
            "--bam with a CRAM needs the reference it was written against",
            path=path,
            hint="give --reference FASTA",
        )
    import pysam  # noqa: PLC0415 (pysam only where it is used: 18 ms of every start)

    try:
        alignments = pysam.AlignmentFile(
            str(path),
            "rc" if is_cram else "rb",
            reference_filename=str(reference) if is_cram and reference else None,
        )
    except (OSError, ValueError) as error:
        raise InputError(f"cannot open the alignments: {error}", path=path) from None
    if not alignments.has_index():
        alignments.close()
        raise InputError(
            "the alignments have no index (.bai/.csi/.crai)",
            path=path,
            hint=f"index them with 'samtools index {path}'",
        )
    return alignments


def read_backed_phase(
    bam_path: Path,
    reference: Path | None,
    first: Variant,
    second: Variant,
    *,
    min_reads: int = MIN_READS,
    min_agreement: float = MIN_AGREEMENT,
) -> PhaseEvidence:
    """The phase of two alleles from the reads of ``bam_path`` (module docstring)."""
    alignments = open_alignments(bam_path, reference)
    try:
        return phase_from_alignments(
            alignments, first, second, min_reads=min_reads, min_agreement=min_agreement
        )
    finally:
        alignments.close()


def phase_from_alignments(
    alignments: pysam.AlignmentFile,
    first: Variant,
    second: Variant,
    *,
    min_reads: int = MIN_READS,
    min_agreement: float = MIN_AGREEMENT,
) -> PhaseEvidence:
    if not (_is_snv(first) and _is_snv(second)):
        return PhaseEvidence(0, 0, Phase.UNKNOWN, note="only SNVs are phased from reads")
    contig = _contig(alignments, first.chrom)
    if contig is None or contig != _contig(alignments, second.chrom):
        return PhaseEvidence(0, 0, Phase.UNKNOWN, note=f"{first.chrom} not in the alignments")
    both, first_only, second_only = count_fragments(alignments, contig, first, second)
    phase = decide_phase(
        both, first_only, second_only, min_reads=min_reads, min_agreement=min_agreement
    )
    return PhaseEvidence(
        both, first_only + second_only, phase, first_only=first_only, second_only=second_only
    )


def decide_phase(
    both: int,
    first_only: int,
    second_only: int,
    *,
    min_reads: int = MIN_READS,
    min_agreement: float = MIN_AGREEMENT,
) -> Phase:
    """Cis, trans or unknown from fragment counts (module docstring)."""
    agreement = [
        both / carrying for carrying in (both + first_only, both + second_only) if carrying
    ]
    if not agreement:
        return Phase.UNKNOWN
    if both >= min_reads and max(agreement) >= min_agreement:
        return Phase.CIS
    if (
        both + first_only >= min_reads
        and both + second_only >= min_reads
        and max(agreement) <= 1 - min_agreement
    ):
        return Phase.TRANS
    return Phase.UNKNOWN


def count_fragments(
    alignments: pysam.AlignmentFile, contig: str, first: Variant, second: Variant
) -> tuple[int, int, int]:
    """Fragments with both ALTs, with the first ALT only, with the second ALT only."""
    positions = {first.pos - 1: first, second.pos - 1: second}  # 0-based
    start, end = min(positions), max(positions) + 1
    seen: dict[str, dict[int, str | None]] = {}
    for read in alignments.fetch(contig, start, end):
        if (
            read.is_unmapped
            or read.is_secondary
            or read.is_supplementary
            or read.is_duplicate
            or read.is_qcfail
            or read.mapping_quality < MIN_MAPPING_QUALITY
            or read.query_sequence is None
        ):
            continue
        qualities = read.query_qualities
        fragment = seen.setdefault(read.query_name or "", {})
        for query_pos, ref_pos in read.get_aligned_pairs(matches_only=True):
            variant = positions.get(ref_pos)
            if variant is None:
                continue
            if qualities is not None and qualities[query_pos] < MIN_BASE_QUALITY:
                continue
            base = read.query_sequence[query_pos].upper()
            if base not in (variant.alt.upper(), variant.ref.upper()):
                continue
            allele = "alt" if base == variant.alt.upper() else "ref"
            if ref_pos in fragment and fragment[ref_pos] != allele:
                fragment[ref_pos] = None  # the mates disagree
            else:
                fragment.setdefault(ref_pos, allele)
    counts = {"both": 0, "first": 0, "second": 0}
    for fragment in seen.values():
        at_first, at_second = fragment.get(first.pos - 1), fragment.get(second.pos - 1)
        if at_first is None or at_second is None:
            continue
        if at_first == "alt" and at_second == "alt":
            counts["both"] += 1
        elif at_first == "alt":
            counts["first"] += 1
        elif at_second == "alt":
            counts["second"] += 1
    return counts["both"], counts["first"], counts["second"]


def apply_read_backed_phase(
    alleles: Sequence[SampleAllele],
    pairs: Sequence[tuple[Variant, Variant]],
    bam_path: Path,
    reference: Path | None,
) -> tuple[list[SampleAllele], list[str]]:
    """The alleles with read-backed phase sets for the pairs the VCF left unknown, and a note
    per pair read. A decided pair gets a phase set ``reads:<pos>-<pos>`` (haplotype 0 for
    both when cis, 0 and 1 when trans); an allele already phased from reads joins the other to
    its set. An allele the VCF phases (with other alleles) keeps its VCF phase set, and its
    pair stays unknown: a phase set is one source."""
    todo = [(a, b) for a, b in pairs if phase_between(a, b) is Phase.UNKNOWN]
    if not todo:
        return list(alleles), []
    updated: dict[AlleleKey, Variant] = {}
    notes: list[str] = []
    alignments = open_alignments(bam_path, reference)
    try:
        for pair in todo:
            first, second = (updated.get(allele_key(v), v) for v in pair)
            if phase_between(first, second) is not Phase.UNKNOWN:
                continue
            evidence = phase_from_alignments(alignments, first, second)
            notes.append(
                f"--bam: phase of {_shown(first)} and {_shown(second)}: {evidence.describe()}"
            )
            if evidence.phase is not Phase.UNKNOWN:
                for variant in _joined(first, second, evidence.phase):
                    updated[allele_key(variant)] = variant
    finally:
        alignments.close()
    phased = [
        replace(allele, variant=updated.get(allele_key(allele.variant), allele.variant))
        for allele in alleles
    ]
    return phased, notes


def _joined(first: Variant, second: Variant, phase: Phase) -> tuple[Variant, ...]:
    """The two alleles placed in one read-backed phase set, or () when that would overwrite a
    VCF phase set or split an earlier read-backed one."""

    def from_reads(variant: Variant) -> bool:
        return (variant.phase_set or "").startswith(READ_BACKED_PHASE_SET)

    if first.phase_set is None and second.phase_set is None:
        name = f"{READ_BACKED_PHASE_SET}{first.pos}-{second.pos}"
        other = 0 if phase is Phase.CIS else 1
        return (
            replace(first, phase_set=name, haplotype=0),
            replace(second, phase_set=name, haplotype=other),
        )
    for anchor, joining in ((first, second), (second, first)):
        if from_reads(anchor) and joining.phase_set is None and anchor.haplotype in (0, 1):
            assert anchor.haplotype is not None
            haplotype = anchor.haplotype if phase is Phase.CIS else 1 - anchor.haplotype
            return (replace(joining, phase_set=anchor.phase_set, haplotype=haplotype),)
    return ()


def _is_snv(variant: Variant) -> bool:
    return len(variant.ref) == 1 and len(variant.alt) == 1 and variant.alt.upper() in "ACGT"


def _contig(alignments: pysam.AlignmentFile, chrom: str) -> str | None:
    """The alignments' name for a chromosome, with or without ``chr``."""
    names = set(alignments.references)
    bare = chrom[3:] if chrom.lower().startswith("chr") else chrom
    for candidate in (chrom, bare, f"chr{bare}"):
        if candidate in names:
            return candidate
    return None


def _shown(variant: Variant) -> str:
    return f"{variant.chrom}:{variant.pos} {variant.ref}>{variant.alt}"
