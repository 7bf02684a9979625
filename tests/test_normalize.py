"""Tests for annotator.normalize: trimming, left-alignment (Tan et al. 2015, vt normalize).

Equivalent representations of one change must normalize equal; normalization is idempotent
and sound (the normalized allele, applied to the reference, gives the same haplotype).
The FASTA files are small synthetic sequences written to a temporary directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pysam
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.errors import InputError
from annotator.normalize import normalize_allele

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- without a FASTA: trimming only -----------------------------------------------------------

TRIM_CASES = [
    # id, (pos, ref, alt), expected (pos, ref, alt)
    ("snv", (100, "C", "T"), (100, "C", "T")),
    ("lower-case", (100, "c", "t"), (100, "C", "T")),
    ("padded-snv", (99, "ACG", "ATG"), (100, "C", "T")),  # T790M written as an MNV
    ("padded-mnv", (99, "ACGTA", "ATCTA"), (100, "CG", "TC")),
    ("mnv-ends-differ", (100, "CG", "TA"), (100, "CG", "TA")),
    ("deletion", (100, "AG", "A"), (100, "AG", "A")),
    ("deletion-right-padded", (100, "AGT", "AT"), (100, "AG", "A")),
    ("deletion-both-padded", (99, "CAGT", "CAT"), (100, "AG", "A")),  # shared A is kept
    ("insertion-right-padded", (100, "AT", "AGT"), (100, "A", "AG")),
    ("complex", (100, "CAT", "G"), (100, "CAT", "G")),
    ("complex-padded", (99, "ACATT", "AGT"), (100, "CAT", "G")),
    # Without the base left of POS a deletion in a repeat stays where its record puts it.
    ("homopolymer-no-shift", (101, "AA", "A"), (101, "AA", "A")),
    ("symbolic", (100, "C", "<DEL>"), (100, "C", "<DEL>")),
    ("spanning-deletion", (100, "C", "*"), (100, "C", "*")),
    ("ref-equals-alt", (100, "CA", "CA"), (100, "CA", "CA")),
]


@pytest.mark.parametrize(
    ("start", "expected"), [c[1:] for c in TRIM_CASES], ids=[c[0] for c in TRIM_CASES]
)
def test_trim_without_fasta(start: tuple[int, str, str], expected: tuple[int, str, str]) -> None:
    assert normalize_allele("7", *start) == ("7", *expected)


def test_multi_allelic_record_normalizes_each_alt_against_ref() -> None:
    """REF CAAG, ALT C,CAG,TAAG: a 3-bp deletion, a 1-bp deletion, an SNV."""
    ref, alts = "CAAG", ("C", "CAG", "TAAG")
    assert [normalize_allele("1", 10, ref, alt) for alt in alts] == [
        ("1", 10, "CAAG", "C"),
        ("1", 10, "CA", "C"),  # suffix AG trimmed first: the C stays the padding base
        ("1", 10, "C", "T"),
    ]


BASES = st.sampled_from("ACGT")
DNA = st.text(BASES, min_size=0, max_size=6)


@st.composite
def substitutions(draw: st.DrawFn) -> tuple[str, str]:
    """REF and ALT of one length whose first bases differ and whose last bases differ."""
    length = draw(st.integers(1, 5))
    ref = draw(st.text(BASES, min_size=length, max_size=length))
    alt = draw(
        st.text(BASES, min_size=length, max_size=length).filter(
            lambda a: a[0] != ref[0] and a[-1] != ref[-1]
        )
    )
    return ref, alt


@BOUNDED
@given(change=substitutions(), prefix=DNA, suffix=DNA)
def test_padded_substitutions_normalize_equal(
    change: tuple[str, str], prefix: str, suffix: str
) -> None:
    """An SNV or MNV padded with shared bases on either side normalizes to the bare change."""
    ref, alt = change
    pos = 1000
    padded = normalize_allele("1", pos - len(prefix), prefix + ref + suffix, prefix + alt + suffix)
    assert padded == normalize_allele("1", pos, ref, alt) == ("1", pos, ref, alt)


@BOUNDED
@given(
    pos=st.integers(2, 10_000),
    ref=st.text(BASES, min_size=1, max_size=8),
    alt=st.text(BASES, min_size=1, max_size=8),
)
def test_trimming_is_idempotent_and_keeps_an_anchor(pos: int, ref: str, alt: str) -> None:
    once = normalize_allele("1", pos, ref, alt)
    assert normalize_allele(*once) == once
    _chrom, new_pos, new_ref, new_alt = once
    assert new_ref
    assert new_alt
    # Trimming only drops bases both alleles share at the same offsets.
    offset = new_pos - pos
    assert ref[offset : offset + len(new_ref)] == new_ref
    assert alt[offset : offset + len(new_alt)] == new_alt


# --- with a reference: left-alignment -------------------------------------------------------


@dataclass(frozen=True)
class SequenceReference:
    """An in-memory reference with the two members of ``pysam.FastaFile`` normalization uses."""

    sequences: dict[str, str]

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(self.sequences)

    def fetch(self, reference: str, start: int, end: int) -> str:
        return self.sequences[reference][start:end]


def apply(sequence: str, pos: int, ref: str, alt: str) -> str:
    """The haplotype an allele gives: ``sequence`` with REF at ``pos`` replaced by ALT."""
    assert sequence[pos - 1 : pos - 1 + len(ref)] == ref
    return sequence[: pos - 1] + alt + sequence[pos - 1 + len(ref) :]


def equivalent_edits(
    sequence: str, haplotype: str, deleted: int, inserted: int
) -> list[tuple[int, int, str]]:
    """Every (start, end, inserted bases) — 0-based, half-open — that turns ``sequence`` into
    ``haplotype`` by deleting ``deleted`` bases and inserting ``inserted`` at one place."""
    edits = []
    for start in range(len(sequence) - deleted + 1):
        bases = haplotype[start : start + inserted]
        if sequence[:start] + bases + sequence[start + deleted :] == haplotype:
            edits.append((start, start + deleted, bases))
    return edits


def vcf_form(
    sequence: str, edit: tuple[int, int, str], left: int, right: int
) -> tuple[int, str, str]:
    """The edit written with ``left``/``right`` shared reference bases around it (at least one
    base in each allele, as VCF needs)."""
    start, end, bases = edit
    left = min(left, start)
    right = min(right, len(sequence) - end)
    if (start == end or not bases) and left == 0 and right == 0:  # VCF pads a pure indel
        left, right = (1, 0) if start > 0 else (0, 1)
    ref = sequence[start - left : end + right]
    alt = sequence[start - left : start] + bases + sequence[end : end + right]
    return start - left + 1, ref, alt


REPEATS = st.lists(
    st.tuples(st.text(BASES, min_size=1, max_size=3), st.integers(1, 5)), min_size=1, max_size=6
).map(lambda units: "".join(unit * times for unit, times in units))


@BOUNDED
@given(
    body=REPEATS,
    data=st.data(),
)
def test_equivalent_indels_normalize_equal(body: str, data: st.DataObject) -> None:
    """All placements and paddings of one indel normalize to one left-aligned allele."""
    sequence = "G" + body + "T"  # the flanks keep every indel away from the contig ends
    reference = SequenceReference({"1": sequence})
    deleted = data.draw(st.integers(0, min(4, len(sequence) - 2)), label="deleted")
    inserted = data.draw(st.text(BASES, max_size=4), label="inserted")
    if deleted == 0 and not inserted:
        inserted = "A"
    start = data.draw(st.integers(1, len(sequence) - 1 - deleted), label="start")
    haplotype = sequence[:start] + inserted + sequence[start + deleted :]
    if haplotype == sequence:
        return
    edits = equivalent_edits(sequence, haplotype, deleted, len(inserted))
    assert edits
    results = set()
    for edit in edits:
        left = data.draw(st.integers(0, 3), label="left")
        right = data.draw(st.integers(0, 3), label="right")
        pos, ref, alt = vcf_form(sequence, edit, left, right)
        assert apply(sequence, pos, ref, alt) == haplotype
        results.add(normalize_allele("1", pos, ref, alt, reference))
    assert len(results) == 1
    (normalized,) = results
    _chrom, pos, ref, alt = normalized
    assert apply(sequence, pos, ref, alt) == haplotype  # sound
    assert normalize_allele(*normalized, reference) == normalized  # idempotent
    if deleted == 0 or not inserted:
        # Left-aligned: the padding base just before the leftmost placement (the 1-based
        # position of the base before 0-based start s is s), or position 1 at the contig
        # start, padded on the right.
        assert pos == max(1, min(edit[0] for edit in edits))


# --- with pysam on a FASTA file ---------------------------------------------------------------

HOMOPOLYMER = 150  # longer than the window normalize reads at a time
CONTIG = "GATTC" + "A" * HOMOPOLYMER + "GCACACACACAGT" + "CAGCAGCAGTTG" * 3


@pytest.fixture(scope="module")
def fasta(tmp_path_factory: pytest.TempPathFactory) -> pysam.FastaFile:
    path: Path = tmp_path_factory.mktemp("reference") / "tiny.fa"
    lines = [CONTIG[i : i + 60] for i in range(0, len(CONTIG), 60)]
    path.write_text(">chr1 synthetic\n" + "\n".join(lines) + "\n>chrM\nGATCACAGGT\n")
    pysam.faidx(str(path))
    return pysam.FastaFile(str(path))


FIRST_A = 6  # 1-based position of the first A of the homopolymer
CA_START = FIRST_A + HOMOPOLYMER + 1  # the C of the first CA


@pytest.mark.parametrize("shift", [0, 1, 2, 75, HOMOPOLYMER - 2])
def test_right_shifted_homopolymer_deletion_left_aligns(fasta: pysam.FastaFile, shift: int) -> None:
    pos = FIRST_A + shift  # anchor A, delete the next A
    assert normalize_allele("chr1", pos, "AA", "A", fasta) == ("chr1", FIRST_A - 1, "CA", "C")


def test_homopolymer_insertion_at_the_end_left_aligns(fasta: pysam.FastaFile) -> None:
    last_a = FIRST_A + HOMOPOLYMER - 1
    assert normalize_allele("chr1", last_a, "AG", "AAG", fasta) == ("chr1", FIRST_A - 1, "C", "CA")


def test_dinucleotide_repeat_deletion_left_aligns(fasta: pysam.FastaFile) -> None:
    # GCACACACACAGT: delete the last CA (anchor A at CA_START + 7) → before the first CA.
    expected = ("chr1", CA_START - 1, "GCA", "G")
    assert normalize_allele("chr1", CA_START + 7, "ACA", "A", fasta) == expected


def test_chromosome_name_with_or_without_chr(fasta: pysam.FastaFile) -> None:
    assert normalize_allele("1", FIRST_A + 3, "AA", "A", fasta)[1:] == (FIRST_A - 1, "CA", "C")
    assert normalize_allele("MT", 2, "A", "G", fasta) == ("MT", 2, "A", "G")


def test_deletion_at_contig_start_is_padded_with_the_next_base(fasta: pysam.FastaFile) -> None:
    # chrM GATCACAGGT: delete the G at position 1, written right-anchored.
    assert normalize_allele("chrM", 1, "GA", "A", fasta) == ("chrM", 1, "GA", "A")


def test_ref_that_does_not_match_the_fasta_is_an_error(fasta: pysam.FastaFile) -> None:
    with pytest.raises(InputError, match=r"REF CC at chr1:6 does not match .*\(AA\)"):
        normalize_allele("chr1", 6, "CC", "C", fasta)


def test_chromosome_missing_from_the_fasta_is_an_error(fasta: pysam.FastaFile) -> None:
    with pytest.raises(InputError, match="chromosome 7 is not in the reference FASTA"):
        normalize_allele("7", 6, "A", "C", fasta)


@BOUNDED
@given(data=st.data())
def test_pysam_and_in_memory_reference_agree(fasta: pysam.FastaFile, data: st.DataObject) -> None:
    """Random deletions and insertions on the FASTA file: every placement normalizes equal."""
    deleted = data.draw(st.integers(0, 3), label="deleted")
    inserted = data.draw(st.sampled_from(["", "A", "CA", "CAG", "G"]), label="inserted")
    if deleted == 0 and not inserted:
        inserted = "A"
    start = data.draw(st.integers(1, len(CONTIG) - 1 - deleted), label="start")
    haplotype = CONTIG[:start] + inserted + CONTIG[start + deleted :]
    if haplotype == CONTIG:
        return
    in_memory = SequenceReference({"chr1": CONTIG})
    results = set()
    for edit in equivalent_edits(CONTIG, haplotype, deleted, len(inserted)):
        pos, ref, alt = vcf_form(CONTIG, edit, 1, 0)
        results.add(normalize_allele("chr1", pos, ref, alt, fasta))
        results.add(normalize_allele("chr1", pos, ref, alt, in_memory))
    assert len(results) == 1
