"""Reading a BGZF input in two parts (issue 7): every line in exactly one part, in order, and
the same results, counts and errors as one pass, wherever the file is split."""

from __future__ import annotations

import contextlib
import io
import itertools
import multiprocessing
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

import pysam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import annotator.inputs
import annotator.parts
import annotator.reference
from annotator import bgzf
from annotator.bgzf import Part, compress_block, decompressed_part, split_in_two
from annotator.config import AnnotateConfig
from annotator.errors import InputError
from annotator.inputs import _breakend, read_vcf_sample
from annotator.matcher import SampleAllele
from annotator.models import Alteration, Variant
from annotator.parts import Candidates
from annotator.pipeline import run
from annotator.prefilter import header_text
from annotator.progress import Progress
from annotator.protein import ProteinChange
from annotator.readers.vcf import VcfReader
from annotator.rules import load_rules
from annotator.small_variants import SmallVariants
from tests.runs import run_json
from tests.vcfgen import vcf_text


def blocked(path: Path, text: bytes, cuts: list[int]) -> Path:
    """``text`` as BGZF blocks cut at ``cuts`` (offsets in the text), then the EOF block."""
    edges = [0, *sorted(set(cuts)), len(text)]
    with path.open("wb") as handle:
        for start, end in itertools.pairwise(edges):
            handle.write(compress_block(text[start:end]))
        handle.write(bgzf.EOF_BLOCK)
    return path


def parts_at(path: Path, block: int) -> tuple[Part, Part]:
    """The two parts of a file split before its ``block``-th block (the text before it tells
    whether that block begins a line)."""
    found = list(bgzf.blocks(path))
    before = b"".join(item.data for item in found[:block])
    offset = found[block].offset
    return Part(0, offset, True), Part(offset, None, not before or before.endswith(b"\n"))


def part_text(path: Path, part: Part) -> bytes:
    return b"".join(decompressed_part(path, part))


# --- decompressed_part ---


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(
        st.binary(min_size=0, max_size=40).map(lambda b: b.replace(b"\n", b"x")), max_size=30
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
    last_newline=st.booleans(),
)
def test_two_parts_hold_every_line_once_at_every_block_boundary(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    cuts: list[int],
    last_newline: bool,
) -> None:
    text = b"\n".join(lines) + (b"\n" if last_newline and lines else b"")
    path = blocked(
        tmp_path_factory.mktemp("parts") / "f.gz", text, [c for c in cuts if c < len(text)]
    )
    count = len(list(bgzf.blocks(path))) - 1  # data blocks, the EOF block left out
    for block in range(1, count + 1):
        first, second = parts_at(path, block)
        head, tail = part_text(path, first), part_text(path, second)
        assert head + tail == text
        # Each part is whole lines: the first ends a line (or the text), the second starts one.
        assert not head or head.endswith(b"\n") or not tail
        assert not tail or not head or text[len(head) - 1 : len(head)] == b"\n"


def test_a_line_spanning_the_split_block_belongs_to_the_first_part(tmp_path: Path) -> None:
    text = b"a\nbbbbbbbbbbbbbbbbbbbb\nc\n"
    path = blocked(tmp_path / "f.gz", text, [4, 9, 14])  # 'b...' spans three blocks
    first, second = parts_at(path, 2)
    assert part_text(path, first) == b"a\nbbbbbbbbbbbbbbbbbbbb\n"
    assert part_text(path, second) == b"c\n"


def test_the_second_part_checks_the_eof_block(tmp_path: Path) -> None:
    text = b"".join(b"line %d\n" % n for n in range(100))
    path = blocked(tmp_path / "f.gz", text, [200, 400])
    first, second = parts_at(path, 1)
    path.write_bytes(path.read_bytes()[: -len(bgzf.EOF_BLOCK)])
    assert part_text(path, first) == text[: text.index(b"\n", 200) + 1]
    with pytest.raises(InputError, match="end-of-file block is missing"):
        part_text(path, second)


# --- split_in_two ---


CSQ_HEADER = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
    'Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSp">'
)


def records_text(records: int, *, seed: int = 3) -> bytes:
    """A VCF of ``records`` records, a share of them in EGFR and KRAS, some failing FILTER,
    multi-allelic or with a CSQ annotation; reproducible."""
    rng = random.Random(seed)
    rows = []
    position = {"chr7": 55_000_000, "chr12": 25_200_000}
    for number in range(records):
        chrom = "chr7" if number < records * 0.6 else "chr12"
        position[chrom] += rng.randrange(1, 120)
        ref = rng.choice("ACGT")
        alt = rng.choice([b for b in "ACGT" if b != ref])
        if rng.random() < 0.05:
            alt += "," + rng.choice([b for b in "ACGT" if b not in (ref, alt)])
        flt = rng.choice(["PASS", "PASS", "PASS", ".", "germline", "weak_evidence;germline"])
        info = "."
        if rng.random() < 0.1:
            gene = "EGFR" if chrom == "chr7" else "KRAS"
            info = f"CSQ={alt[0]}|missense_variant|MODERATE|{gene}|ENST0000000{len(gene)}|"
        depth = rng.randrange(10, 90)
        ad = ",".join(str(rng.randrange(1, depth)) for _ in range(alt.count(",") + 2))
        rows.append(
            f"{chrom}\t{position[chrom]}\t.\t{ref}\t{alt}\t.\t{flt}\t{info}\tGT:AD\t0/1:{ad}"
        )
    rows.append("chr7\t55181378\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:60,40")  # EGFR T790M
    rows.sort(key=lambda row: (row.split("\t")[0] != "chr7", int(row.split("\t")[1])))
    return vcf_text(rows, info_lines=(CSQ_HEADER,)).encode()


@pytest.fixture
def big_vcf(tmp_path: Path) -> Path:
    text = records_text(4000)
    return blocked(tmp_path / "big.vcf.gz", text, list(range(997, len(text), 4001)))


@pytest.mark.parametrize("share", [0.5, 0.45, 0.3])
def test_split_in_two_cuts_at_the_share_after_the_header(big_vcf: Path, share: float) -> None:
    halves = split_in_two(big_vcf, share)
    assert halves is not None
    first, second = halves
    size = big_vcf.stat().st_size
    assert first.stop == second.start
    assert size * share <= second.start < size * (share + 0.25)
    text = b"".join(item.data for item in bgzf.blocks(big_vcf))
    assert part_text(big_vcf, first) + part_text(big_vcf, second) == text


@pytest.fixture(scope="module")
def large_text() -> bytes:
    """Records enough for a BGZF file of a few hundred KB: split_in_two finds the blocks
    around its middle from their headers (more than 64 KiB in)."""
    return records_text(20000)


def walked(path: Path, share: float) -> tuple[Part, Part] | None:
    """split_in_two as walking the blocks from the file's start gives it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bgzf, "_blocks_around", lambda _handle, _target: None)
        return split_in_two(path, share)


@settings(max_examples=25, deadline=None)
@given(
    block=st.integers(300, 60_000),
    jitter=st.integers(0, 5000),
    share=st.floats(0.2, 0.8),
)
def test_blocks_found_around_the_middle_are_those_walked_to(
    large_text: bytes, block: int, jitter: int, share: float
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        cuts = [at + (at * 7919) % (jitter + 1) for at in range(block, len(large_text), block)]
        path = blocked(Path(directory) / "large.vcf.gz", large_text, cuts)
        assert split_in_two(path, share) == walked(path, share)


def test_a_large_file_is_not_walked(
    large_text: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = blocked(tmp_path / "large.vcf.gz", large_text, list(range(997, len(large_text), 4001)))
    assert path.stat().st_size > 3 * (1 << 16)
    expected = walked(path, 0.5)
    monkeypatch.setattr(bgzf, "_walked_to", lambda *_args: pytest.fail("walked the blocks"))
    assert split_in_two(path, 0.5) == expected
    assert expected is not None


def stored_block(data: bytes) -> bytes:
    """A BGZF block holding ``data`` as it is (a stored deflate block), as the SAMv1
    specification (section 4.1) lays it out."""
    body = b"\x01" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data
    size = 18 + len(body) + 8
    header = b"\x1f\x8b\x08\x04" + bytes(4) + b"\x00\xff\x06\x00BC\x02\x00"
    trailer = struct.pack("<II", zlib.crc32(data), len(data))
    return header + struct.pack("<H", size - 1) + body + trailer


def test_header_bytes_inside_a_block_are_no_block(tmp_path: Path) -> None:
    """A stored block holds its text as it is: block headers written into that text lie
    among the real ones around the middle of the file, and do not chain with them."""
    rng = random.Random(5)
    fake = stored_block(b"x")[:18]  # a BGZF header, its size that of another block
    blocks = []
    for number in range(12):
        noise = bytearray(rng.randbytes(30_000))
        for at in range(0, len(noise) - 18, 2_500):
            noise[at : at + 18] = fake
        blocks.append(stored_block(b"#h\n" * (number == 0) + bytes(noise) + b"\nr\tline\n"))
    path = tmp_path / "stored.gz"
    path.write_bytes(b"".join(blocks) + bgzf.EOF_BLOCK)
    assert path.read_bytes().count(fake) > 100
    for share in (0.3, 0.5, 0.7):
        assert split_in_two(path, share) == walked(path, share)
        assert split_in_two(path, share) is not None


def test_no_split_for_one_block_or_a_header_past_the_middle(tmp_path: Path) -> None:
    text = records_text(20)
    assert split_in_two(blocked(tmp_path / "one.vcf.gz", text, [])) is None
    header = len(header_text(blocked(tmp_path / "h.vcf.gz", text, [])))
    # Blocks of header only up to past the middle of the file: no record starts before it.
    cuts = list(range(50, header, 50))
    assert split_in_two(blocked(tmp_path / "late.vcf.gz", text, cuts)) is None
    plain = tmp_path / "plain.vcf"
    plain.write_bytes(text)
    assert split_in_two(plain) is None


def test_header_text_reads_across_chunks(tmp_path: Path) -> None:
    text = records_text(10)
    path = blocked(tmp_path / "h.vcf.gz", text, list(range(7, len(text), 13)))
    header = text[: text.index(b"\nchr") + 1]
    for piece in (1, 5, 64, 1 << 16):  # pieces ending inside a line, at its end, or all of it
        assert header_text(path, piece) == header
    plain = tmp_path / "h.vcf"
    plain.write_bytes(text)
    assert header_text(plain, 5) == header


# --- the annotator, split or not ---


@pytest.fixture
def split_always(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every BGZF input read in two parts, on any machine; the test fails if none was."""
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(annotator.parts, "usable_cpus", lambda: 2)
    workers = spy_on_workers(monkeypatch)
    yield
    assert workers, "no input was read in two parts"


def spy_on_workers(monkeypatch: pytest.MonkeyPatch, kind: str = "ForkedPart") -> list[object]:
    """The worker processes started from now on (annotator.inputs.ForkedPart instances, or
    of the class ``kind`` names)."""
    started: list[object] = []
    base = getattr(annotator.parts, kind)

    class Spy(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            started.append(self)

    monkeypatch.setattr(annotator.inputs, kind, Spy)
    return started


def one_pass(path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        patch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 1 << 62)
        return run_json(path, **options)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"include_filtered": True},
        {"explain": True},
        {"panel_size_mb": 1.0},
        {"min_vaf": 0.3},
    ],
    ids=["plain", "include-filtered", "explain", "tmb", "min-vaf"],
)
def test_two_parts_give_the_result_of_one_pass(
    big_vcf: Path, monkeypatch: pytest.MonkeyPatch, split_always: None, options: dict[str, Any]
) -> None:
    split = run_json(big_vcf, prefilter=True, **options)
    assert split == one_pass(big_vcf, monkeypatch, prefilter=True, **options)
    assert split["summary"]["records"] == 4001
    assert split["findings"], "the EGFR T790M record must be found"


@pytest.mark.parametrize("block", [1, 2, 5, 9, 17])
def test_any_split_point_gives_the_result_of_one_pass(
    big_vcf: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    expected = one_pass(big_vcf, monkeypatch, prefilter=True)
    halves = parts_at(big_vcf, block)
    monkeypatch.setattr(annotator.inputs, "split_for_workers", lambda *_args: halves)
    workers = spy_on_workers(monkeypatch)
    assert run_json(big_vcf, prefilter=True) == expected
    assert len(workers) == 1


@pytest.mark.parametrize("fewest", [1, 7, 1 << 30])
def test_any_block_size_gives_the_result_of_one_pass(
    big_vcf: Path, monkeypatch: pytest.MonkeyPatch, split_always: None, fewest: int
) -> None:
    expected = one_pass(big_vcf, monkeypatch, prefilter=True, explain=True)
    monkeypatch.setattr(annotator.parts, "MIN_BLOCK", fewest)
    assert run_json(big_vcf, prefilter=True, explain=True) == expected


@pytest.mark.parametrize("fraction", [0.3, 0.8])
def test_a_header_line_among_the_records_gives_the_result_of_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_always: None, fraction: float
) -> None:
    """A '#' line among a part's candidates: that part's file is parsed whole (the parser
    decides what the line is), and the outcome is that of one pass."""
    lines = records_text(4000).split(b"\n")
    at = next(
        i
        for i, line in enumerate(lines)
        if line.startswith(b"chr7\t") and int(line.split(b"\t")[1]) > 55_020_000
    )
    at = at if fraction < 0.5 else int(len(lines) * fraction)
    lines.insert(at, b"#a comment among the records")
    text = b"\n".join(lines)
    path = blocked(tmp_path / "odd.vcf.gz", text, list(range(997, len(text), 4001)))
    monkeypatch.setattr(annotator.parts, "MIN_BLOCK", 8)
    try:
        expected: Any = one_pass(path, monkeypatch, prefilter=True)
    except InputError as error:
        expected = str(error)
    try:
        split: Any = run_json(path, prefilter=True)
    except InputError as error:
        split = str(error)
    assert split == expected


def test_a_slow_worker_leaves_more_blocks_to_this_process(
    big_vcf: Path, monkeypatch: pytest.MonkeyPatch, split_always: None
) -> None:
    """Blocks are claimed as each process is free, not dealt in advance: a worker that parses
    slowly takes fewer, and the result is still that of one pass. The worker waits 0.2 s a
    block (0.05 s was too little on a loaded host: this process, slowed too, parsed 74% of
    the candidates, against the 75% asked)."""
    here = os.getpid()
    parsed_here: list[int] = []
    parse = annotator.inputs.PartJob.parse

    def timed_parse(job: Any, result: SmallVariants, picked: Candidates, progress: Any) -> bool:
        if os.getpid() == here:
            parsed_here.extend(picked.numbers)
        else:
            time.sleep(0.2)
        return parse(job, result, picked, progress)

    monkeypatch.setattr(annotator.inputs.PartJob, "parse", timed_parse)
    expected = one_pass(big_vcf, monkeypatch, prefilter=True)
    candidates = len(parsed_here)
    assert candidates > 1000
    parsed_here.clear()
    monkeypatch.setattr(annotator.parts, "MIN_BLOCK", 4)
    assert run_json(big_vcf, prefilter=True) == expected
    assert candidates * 3 // 4 < len(parsed_here) < candidates


def test_a_damaged_block_in_the_second_part_is_the_same_error(
    big_vcf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_always: None
) -> None:
    broken = tmp_path / "broken.vcf.gz"
    broken.write_bytes(big_vcf.read_bytes())
    assert_same_error_when_damaged(broken, monkeypatch)


def test_a_damaged_block_in_the_first_part_of_a_large_file_is_the_same_error(
    large_text: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_always: None
) -> None:
    """The blocks before the middle of a large file are not walked to split it: the first
    part's scan finds the damage, and stops with the error of one pass."""
    path = blocked(tmp_path / "large.vcf.gz", large_text, list(range(997, len(large_text), 4001)))
    assert_same_error_when_damaged(path, monkeypatch, at=0.25)


def assert_same_error_when_damaged(
    path: Path, monkeypatch: pytest.MonkeyPatch, at: float = 0.75
) -> None:
    """Damage the block ``at`` (a share of the blocks) into ``path`` (its CRC32): reading it
    in two parts stops with the error of one pass, which names that block."""
    data = bytearray(path.read_bytes())
    found = list(bgzf.blocks(path))
    damaged = found[int(len(found) * at)]
    data[damaged.offset + len(damaged.raw) - 8] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as split_error:
        run_json(path, prefilter=True)
    with pytest.raises(InputError) as one_pass_error:
        one_pass(path, monkeypatch, prefilter=True)
    assert str(split_error.value) == str(one_pass_error.value)
    assert f"block at byte {damaged.offset}" in str(split_error.value)


def test_an_unreadable_candidate_in_the_second_part_is_the_same_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_always: None
) -> None:
    text = records_text(4000).replace(b"\t55181378\t.\tC\tT\t", b"\t55181378\t.\tC\tTZ\t")
    lines = text.split(b"\n")
    # Move the bad record (an EGFR candidate) into the second half: after chr12 starts.
    bad = next(line for line in lines if b"\tTZ\t" in line)
    lines.remove(bad)
    index = next(i for i, line in enumerate(lines) if line.startswith(b"chr12"))
    lines.insert(index + 500, bad.replace(b"chr7\t55181378", b"chr12\t25245351"))
    text = b"\n".join(lines)
    path = blocked(tmp_path / "bad.vcf.gz", text, list(range(997, len(text), 4001)))
    with pytest.raises(InputError) as split_error:
        run_json(path, prefilter=True)
    with pytest.raises(InputError) as one_pass_error:
        one_pass(path, monkeypatch, prefilter=True)
    assert str(split_error.value) == str(one_pass_error.value)
    assert "TZ" in str(split_error.value)


def test_a_damaged_second_part_outranks_an_unreadable_candidate_of_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_always: None
) -> None:
    """This process parses its part's candidates before the worker's scan ends; a single pass
    scans the whole file first, so the worker's scan error is still the one raised."""
    # Batches of one block: this process's read of the line in progress at its part's end
    # does not inflate (and fail on) the damaged block itself.
    monkeypatch.setattr(bgzf, "_BATCH", 1)
    lines = records_text(4000).split(b"\n")
    # An unreadable EGFR candidate early in the first part.
    at = next(
        i
        for i, line in enumerate(lines)
        if line.startswith(b"chr7\t") and int(line.split(b"\t")[1]) > 55_020_000
    )
    pos = lines[at].split(b"\t")[1]
    lines.insert(at, b"chr7\t" + pos + b"\t.\tC\tTZ\t.\tPASS\t.\tGT:AD\t0/1:60,40")
    text = b"\n".join(lines)
    path = blocked(tmp_path / "bad.vcf.gz", text, list(range(997, len(text), 4001)))
    halves = split_in_two(path)
    assert halves is not None
    assert halves[0].stop is not None
    assert b"\tTZ\t" in part_text(path, halves[0])
    assert_same_error_when_damaged(path, monkeypatch)


def test_two_parts_tag_the_same_records_in_the_annotated_vcf(
    big_vcf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_always: None
) -> None:
    """The annotated VCF finds a finding's record by its number: the second part's records
    must be numbered after the first part's."""
    outputs = []
    for name, patch_size in (("split", 0), ("one", 1 << 62)):
        monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", patch_size)
        out = tmp_path / f"{name}.vcf"
        config = AnnotateConfig(
            input=big_vcf, tumor_type="LUAD", out_json=Path(os.devnull), out_vcf=out, prefilter=True
        )
        run(config)
        outputs.append(out.read_text())
    split, one = outputs
    assert split == one
    tagged = [line for line in split.splitlines() if "RA_GENE=" in line and line[0] != "#"]
    assert any("\t55181378\t" in line for line in tagged)


@pytest.mark.parametrize(
    ("threads", "cpus", "split"), [(1, 2, False), (2, 1, True), (None, 1, False)]
)
def test_threads_decide_whether_to_read_in_parts(
    big_vcf: Path, monkeypatch: pytest.MonkeyPatch, threads: int | None, cpus: int, split: bool
) -> None:
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(annotator.parts, "usable_cpus", lambda: cpus)
    workers = spy_on_workers(monkeypatch)
    run_json(big_vcf, prefilter=True, threads=threads)
    assert bool(workers) is split


def test_threads_below_one_is_a_usage_error(big_vcf: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "annotator", "annotate", str(big_vcf), "--threads", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "--threads" in done.stderr
    assert "Traceback" not in done.stderr


def test_progress_of_the_first_part_is_measured_against_its_end() -> None:
    progress = Progress(enabled=True, position=lambda: (300, 1000))
    progress.up_to(400, "reading the first part")
    assert (
        progress.line(10, 1.0) == "reading the first part: 10 records, 10/s, 75% of 400 B, ETA 0s"
    )
    progress.up_to(200, "reading the first part")
    assert "100% of 200 B" in progress.line(10, 1.0)


# --- sharing the candidates of both parts ---


def candidates_file(path: Path, records: list[str], *, base: int = 0) -> Candidates:
    header = "##fileformat=VCFv4.2\n#CHROM\tPOS\n"
    lines = [f"{r}\n" for r in records]
    path.write_text(header + "".join(lines))
    offsets = list(itertools.accumulate((len(line) for line in lines[:-1]), initial=len(header)))
    return Candidates(path, [base + n for n in range(1, len(records) + 1)], offsets[: len(lines)])


def record_lines(candidates: Candidates) -> list[str]:
    return [line for line in candidates.path.read_text().splitlines() if line[0] != "#"]


def claims_of(*parts: Candidates, fewest: int | None = None) -> annotator.parts._Claims:
    claims = annotator.parts._Claims(multiprocessing.get_context("fork"), fewest)
    for index, candidates in enumerate(parts):
        claims.open(index, candidates)
    return claims


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(0, 300),
    other=st.integers(0, 300),
    fewest=st.sampled_from([1, 3, 16, 512]),
    turns=st.lists(st.booleans(), min_size=1, max_size=50),
)
def test_claims_hand_out_every_candidate_once_in_order(
    count: int,
    other: int,
    fewest: int,
    turns: list[bool],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Two claimants taking blocks in any interleaving: each candidate of each part goes to
    one of them once, each gets its blocks in the order of their records, a block holds at
    least the fewest allowed (but a part's last), and each block's file holds the header and
    exactly the block's records."""
    folder = tmp_path_factory.mktemp("claims")
    first = candidates_file(folder / "first.vcf", [f"chr1\t{n}" for n in range(1, count + 1)])
    second = candidates_file(
        folder / "second.vcf", [f"chr2\t{n}" for n in range(1, other + 1)], base=count
    )
    claims = claims_of(first, second, fewest=fewest)
    assert claims.position() == (0, count + other)
    cutters = [annotator.parts._Cutter(part) for part in (first, second)]
    taken: dict[bool, list[int]] = {True: [], False: []}
    by_number = dict(
        zip(
            [*first.numbers, *second.numbers],
            record_lines(first) + record_lines(second),
            strict=True,
        )
    )
    for who in itertools.chain(turns, itertools.repeat(False)):
        block = None
        for index in (0, 1):
            block = claims.claim(index, lambda: True)
            if block is not None:
                break
        if block is None:
            break
        start, stop = block
        total = len((first, second)[index].numbers)
        assert stop - start >= min(fewest, total - start)
        cut = cutters[index].block(start, stop)
        assert cut.path.read_text().startswith("##fileformat=VCFv4.2\n#CHROM\tPOS\n")
        assert record_lines(cut) == [by_number[number] for number in cut.numbers]
        taken[who].extend(cut.numbers)
    for cutter in cutters:
        cutter.close()
    assert sorted(taken[True] + taken[False]) == [*first.numbers, *second.numbers]
    for numbers in taken.values():
        assert numbers == sorted(numbers)
    assert claims.position() == (count + other, count + other)


def test_a_part_that_cannot_be_cut_is_one_block(tmp_path: Path) -> None:
    whole = candidates_file(tmp_path / "first.vcf", ["chr1\t1", "chr1\t2", "chr1\t3"])
    whole = Candidates(whole.path, whole.numbers)  # no offsets: a '#' line among the records
    claims = claims_of(whole, Candidates(tmp_path / "none.vcf", []))
    assert claims.claim(0, lambda: True) == (0, 3)
    assert claims.claim(0, lambda: True) is None
    assert claims.claim(1, lambda: True) is None
    assert annotator.parts._Cutter(whole).block(0, 3) == whole  # the file as it is


def test_a_block_declares_the_contigs_of_its_records_only(tmp_path: Path) -> None:
    header = (
        b"##fileformat=VCFv4.2\r\n"
        b"##contig=<ID=chr1,length=1000>\r\n"
        b"##source=first\n"
        b"##contig=<length=2000,ID=chr2>\n"  # the ID need not come first
        b"##contig=<ID=chrUn_KI270302v1,length=2274>\n"
        b"##contig=<length=3>\n"  # no ID: kept
        b"##contig=<ID=chr3,length=3000>\n"
        b"#CHROM\tPOS\n"
    )
    records = [b"chr1\t1\n", b"chr1\t2\n", b"chr2\t1\n", b"chr3\t5\n"]
    path = tmp_path / "part.vcf"
    path.write_bytes(header + b"".join(records))
    offsets = list(itertools.accumulate(map(len, records[:-1]), initial=len(header)))
    kept = {
        (0, 2): [b"chr1"],
        (1, 3): [b"chr1", b"chr2"],
        (2, 3): [b"chr2"],
        (3, 4): [b"chr3"],
        (1, 4): [b"chr1", b"chr2", b"chr3"],
    }
    with contextlib.closing(
        annotator.parts._Cutter(Candidates(path, [1, 2, 3, 4], offsets))
    ) as cutter:
        for (start, stop), chroms in kept.items():
            cut = cutter.block(start, stop).path.read_bytes()
            expected = b"".join(
                line
                for line in header.splitlines(keepends=True)
                if not line.startswith(b"##contig=<")
                or b"ID=" not in line
                or any(b"ID=" + chrom in line for chrom in chroms)
            )
            assert cut == expected + b"".join(records[start:stop]), (start, stop)


def test_a_header_of_thousands_of_contigs_gives_the_result_of_one_pass(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    split_always: None,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Blocks left without the header's unused contigs read as one pass does, and htslib finds
    every record's chromosome declared (it would warn of one that is not)."""
    text = records_text(2000)
    extra = "".join(f"##contig=<ID=chrUn_{n},length={1000 + n}>\n" for n in range(3000))
    text = text.replace(b"##contig=", extra.encode() + b"##contig=", 1)
    path = blocked(tmp_path / "contigs.vcf.gz", text, list(range(997, len(text), 4001)))
    monkeypatch.setattr(annotator.parts, "MIN_BLOCK", 16)
    expected = one_pass(path, monkeypatch, prefilter=True)
    capfd.readouterr()
    assert run_json(path, prefilter=True) == expected
    assert "not defined in the header" not in capfd.readouterr().err


def test_a_part_not_yet_scanned_has_nothing_to_claim(tmp_path: Path) -> None:
    first = candidates_file(tmp_path / "first.vcf", ["chr1\t1"])
    claims = claims_of(first)
    assert claims.position() is None  # the second part's end is not known yet
    assert claims.claim(1, lambda: True) is None


def test_a_claimant_gone_with_the_lock_ends_the_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(annotator.parts, "_LOCK_PATIENCE", 0.01)
    claims = claims_of(candidates_file(tmp_path / "first.vcf", ["chr1\t1"]))
    claims._lock.acquire()  # as if the other process died holding it
    alive = iter([True, True, False])
    with pytest.raises(EOFError):
        claims.claim(0, lambda: next(alive))


@pytest.mark.parametrize("chunk", [2048, 2])
def test_a_workers_alleles_come_back_equal_with_their_shared_objects(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the worker sends (variants, alterations, protein changes: frozen slotted
    dataclasses, rebuilt by setting their slots; in pickles of ``chunk`` alleles) equals what
    it had, objects shared within a pickle stay shared, and a variant's empty read-only
    annotations stay read-only."""
    monkeypatch.setattr(annotator.parts, "_CHUNK_ALLELES", chunk)
    rules = load_rules((), bundled=True)
    demo = Path(__file__).resolve().parents[1] / "test_data" / "demo.grch38.vep.vcf.gz"
    small = read_vcf_sample(AnnotateConfig(input=demo, tumor_type="LUAD"), rules)
    assert any(a.alterations and a.alterations[0].protein for a in small.alleles)
    stream = io.BytesIO()
    annotator.parts._send_result(small, stream)
    stream.seek(0)
    back = annotator.parts._receive_result(stream)
    assert back.alleles == small.alleles
    assert back.__dict__.keys() == small.__dict__.keys()
    assert {k: v for k, v in back.__dict__.items() if k != "alleles"} == {
        k: v for k, v in small.__dict__.items() if k != "alleles"
    }
    for index, (before, after) in enumerate(zip(small.alleles, back.alleles, strict=True)):
        first = index - index % chunk  # the first allele of its pickle
        was = before.genes is small.alleles[first].genes
        assert was == (after.genes is back.alleles[first].genes)
        assert type(after.variant.annotations) is type(before.variant.annotations)
        for was, now in zip(before.alterations, after.alterations, strict=True):
            assert (was.variant is before.variant) == (now.variant is after.variant)


def test_a_worker_that_dies_while_sending_leaves_the_whole_file_pass(
    big_vcf: Path, monkeypatch: pytest.MonkeyPatch, split_always: None
) -> None:
    """A stream of alleles cut short (the worker killed, out of memory) is no result: the
    whole-file pass runs and gives the same JSON."""
    expected = one_pass(big_vcf, monkeypatch, use_index=False)

    def dump_half_and_die(value: object, stream: BinaryIO) -> None:
        data = io.BytesIO()
        annotator.parts._Pickler(data).dump(value)
        stream.write(data.getvalue()[: len(data.getvalue()) // 2])
        stream.flush()
        os._exit(9)

    monkeypatch.setattr(annotator.parts, "_dump", dump_half_and_die)
    assert run_json(big_vcf, prefilter=True) == expected


def test_objects_with_a_fast_init_taking_every_field_are_rebuilt_by_it() -> None:
    assert annotator.parts._built_by_init(Variant)
    assert annotator.parts._built_by_init(SampleAllele)
    assert annotator.parts._built_by_init(Alteration)
    # Fields its __init__ does not take (the cached texts), and a __post_init__: by slots.
    assert not annotator.parts._built_by_init(ProteinChange)


def test_merged_alleles_and_breakends_follow_their_records() -> None:
    def sample(numbers: list[int]) -> SmallVariants:
        variants = [
            Variant("chr7", 55_000_000 + n, "A", "<DEL>", n, end=55_000_900 + n) for n in numbers
        ]
        return SmallVariants(
            build="GRCh38",
            sample="TUMOR",
            caller="generic",
            alleles=[SampleAllele(variant, (), False) for variant in variants],
            breakends=[_breakend(variant) for variant in variants],
            filtered_alleles=[SampleAllele(variant, (), False) for variant in variants],
            records=len(numbers),
        )

    mine, theirs = sample([1, 2, 5, 9]), sample([3, 4, 6, 7, 8])
    mine.merge(theirs)
    assert [a.variant.record_index for a in mine.alleles] == list(range(1, 10))
    assert [b.record_index for b in mine.breakends] == list(range(1, 10))
    assert [a.variant.record_index for a in mine.filtered_alleles] == list(range(1, 10))
    assert mine.records == 9


# --- the rule regions of an indexed input, read in two processes ---


@pytest.fixture
def indexed_vcf(big_vcf: Path) -> Path:
    pysam.tabix_index(str(big_vcf), preset="vcf", force=True)
    return big_vcf


@pytest.fixture
def regions_in_two(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every indexed input's regions read in two processes from the first region on (none
    read alone: see the tests below); the test fails if none was."""
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(annotator.parts, "usable_cpus", lambda: 2)
    monkeypatch.setattr(annotator.inputs, "_regions_alone", lambda *_args: 0)
    started = spy_on_workers(monkeypatch, "ForkedRegions")
    yield started
    assert started, "no input's regions were read in two processes"


def test_few_records_in_the_regions_are_read_without_a_worker(
    indexed_vcf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the rest never looks worth a worker (here: never), this process reads every
    region alone, with the result of one process."""
    expected = one_process(indexed_vcf, monkeypatch)
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(annotator.parts, "usable_cpus", lambda: 2)
    monkeypatch.setattr(annotator.inputs, "_WORKER_WORTH_SECONDS", float("inf"))
    started = spy_on_workers(monkeypatch, "ForkedRegions")
    assert run_json(indexed_vcf, use_index=True) == expected
    assert started == []


@pytest.mark.parametrize("options", [{}, {"include_filtered": True}], ids=["plain", "filtered"])
def test_regions_read_alone_then_with_a_worker_give_the_result_of_one(
    indexed_vcf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    """With no time to spare, the worker starts once this process has read a region."""
    expected = one_process(indexed_vcf, monkeypatch, **options)
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(annotator.parts, "usable_cpus", lambda: 2)
    monkeypatch.setattr(annotator.inputs, "_WORKER_WORTH_SECONDS", 0.0)
    here = os.getpid()
    read_there = tmp_path / "read_there"
    read_regions = VcfReader.read_regions

    def noted(reader: VcfReader, first: int, end: int) -> None:
        if os.getpid() != here:
            with read_there.open("a") as handle:
                handle.write(f"{first}\n")
        read_regions(reader, first, end)

    monkeypatch.setattr(VcfReader, "read_regions", noted)
    started = spy_on_workers(monkeypatch, "ForkedRegions")
    assert run_json(indexed_vcf, use_index=True, **options) == expected
    assert len(started) == 1
    firsts = [int(line) for line in read_there.read_text().split()] if read_there.exists() else []
    assert all(first >= 1 for first in firsts)  # the worker never reads a region read alone


class _Clock:
    """time.perf_counter for annotator.inputs: each region read takes ``step`` seconds."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def perf_counter(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("lengths", "expected"),
    [
        ([100] * 20, 1),  # 0.03 s on 100 bases: 1,900 more would take 0.57 s
        ([100] * 5, None),  # never more than 0.15 s left
        ([100, 100, 10_000], 1),  # one long region after: its length counts
        ([10_000, 100, 100], None),  # a long region read first: little left after it
    ],
)
def test_a_worker_starts_when_the_rest_looks_long(
    monkeypatch: pytest.MonkeyPatch, lengths: list[int], expected: int | None
) -> None:
    clock = _Clock(0.03)
    read: list[object] = []

    class Reader:
        def region_lengths(self) -> list[int]:
            return lengths

        def load_index(self) -> None:
            read.append("index")
            clock.now += 1.0  # not counted

        def read_regions(self, first: int, end: int) -> None:
            read.append(first)
            clock.now += clock.step * lengths[first] / 100

    monkeypatch.setattr(annotator.inputs, "time", clock)
    monkeypatch.setattr(annotator.inputs, "_read_variants", lambda *_args: None)
    found = annotator.inputs._regions_alone(None, Reader(), None, None)  # type: ignore[arg-type]
    assert found == expected
    assert read == ["index", *range(expected if expected is not None else len(lengths))]


def one_process(path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> Any:
    """The JSON of one process's pass over the regions, or the error it stops with."""
    with monkeypatch.context() as patch:
        patch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 1 << 62)
        try:
            return run_json(path, use_index=True, **options)
        except InputError as error:
            return str(error)


@pytest.mark.parametrize(
    "options",
    [{}, {"include_filtered": True}, {"min_vaf": 0.3}],
    ids=["plain", "include-filtered", "min-vaf"],
)
def test_regions_read_in_two_processes_give_the_result_of_one(
    indexed_vcf: Path,
    monkeypatch: pytest.MonkeyPatch,
    regions_in_two: list[object],
    options: dict[str, Any],
) -> None:
    expected = one_process(indexed_vcf, monkeypatch, **options)
    assert expected["summary"]["regions_only"] is True
    assert expected["findings"], "the EGFR T790M record must be found"
    assert run_json(indexed_vcf, use_index=True, **options) == expected


def test_regions_in_two_processes_name_structural_records_without_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, regions_in_two: list[object]
) -> None:
    """Records read through the index carry no number of the file (in two processes, one
    that orders them: 2^32 per region): notes name them by ID, else position."""
    deletion = "chr7\t55181000\tdel1\tA\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=55181100\tGT\t0/1"
    lines = records_text(4000).split(b"\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(b"chr7\t5518"))
    lines.insert(at, deletion.encode())
    text = b"\n".join(lines).replace(
        b"#CHROM",
        b'##INFO=<ID=SVTYPE,Number=1,Type=String,Description="SV type">\n'
        b'##INFO=<ID=END,Number=1,Type=Integer,Description="End">\n#CHROM',
    )
    path = blocked(tmp_path / "sv.vcf.gz", text, list(range(997, len(text), 4001)))
    pysam.tabix_index(str(path), preset="vcf", force=True)
    number = [line for line in text.split(b"\n") if line[:1] != b"#"].index(deletion.encode()) + 1
    whole = run_json(path, use_index=False)
    (note,) = [n for n in whole["input_notes"] if "del1" in n]
    assert note.startswith(f"record {number} (del1) chr7:55181000: ")
    expected = [n.replace(f"record {number} (del1)", "del1") for n in whole["input_notes"]]
    assert one_process(path, monkeypatch)["input_notes"] == expected
    assert run_json(path, use_index=True)["input_notes"] == expected


def test_a_slow_worker_leaves_more_regions_to_this_process(
    indexed_vcf: Path, monkeypatch: pytest.MonkeyPatch, regions_in_two: list[object]
) -> None:
    expected = one_process(indexed_vcf, monkeypatch)
    here = os.getpid()
    read_here: list[int] = []
    read_regions = VcfReader.read_regions

    def timed(reader: VcfReader, first: int, end: int) -> None:
        if os.getpid() == here:
            read_here.extend(range(first, end))
        else:
            time.sleep(0.2)  # 0.05 s: on a loaded host this process read less than half
        read_regions(reader, first, end)

    monkeypatch.setattr(VcfReader, "read_regions", timed)
    assert run_json(indexed_vcf, use_index=True) == expected
    with VcfReader(indexed_vcf) as reader:
        reader.restrict_to(annotator.inputs.rule_regions(load_rules().genes, "GRCh38"))
        total = reader.region_count()
    assert total >= 5
    assert total // 2 < len(read_here) < total
    assert read_here == sorted(set(read_here))  # in order, each once


def test_a_worker_that_dies_leaves_the_pass_to_this_process(
    indexed_vcf: Path, monkeypatch: pytest.MonkeyPatch, regions_in_two: list[object]
) -> None:
    expected = one_process(indexed_vcf, monkeypatch)
    here = os.getpid()
    read_variants = annotator.inputs._read_variants

    def dying(*args: Any) -> None:
        if os.getpid() != here:
            os._exit(3)  # killed, out of memory: no message, no result
        read_variants(*args)

    monkeypatch.setattr(annotator.inputs, "_read_variants", dying)
    assert run_json(indexed_vcf, use_index=True) == expected


@pytest.mark.parametrize("chrom", ["chr7", "chr12"])
def test_an_unreadable_record_in_either_process_is_the_error_of_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, regions_in_two: list[object], chrom: str
) -> None:
    lines = records_text(4000).split(b"\n")
    # The last record of the chromosome in EGFR or KRAS (GRCh38 spans).
    inside = {"chr7": (55_019_017, 55_211_628), "chr12": (25_205_246, 25_250_936)}[chrom]
    at = max(
        i
        for i, line in enumerate(lines)
        if line.startswith(chrom.encode() + b"\t")
        and inside[0] <= int(line.split(b"\t")[1]) <= inside[1]
    )
    fields = lines[at].split(b"\t")
    fields[4] = b"TZ"
    lines[at] = b"\t".join(fields)
    text = b"\n".join(lines)
    path = blocked(tmp_path / "bad.vcf.gz", text, list(range(997, len(text), 4001)))
    pysam.tabix_index(str(path), preset="vcf", force=True)
    with pytest.raises(InputError) as whole:
        run_json(path, use_index=False)
    # The record's number and line in the file, not its place among the records read.
    header_lines = sum(1 for line in lines if line.startswith(b"#"))
    assert (whole.value.line, whole.value.record) == (at + 1, at + 1 - header_lines)
    assert "TZ" in str(whole.value)
    assert one_process(path, monkeypatch) == str(whole.value)
    with pytest.raises(InputError) as error:
        run_json(path, use_index=True)
    assert str(error.value) == str(whole.value)


def test_records_of_regions_read_in_blocks_are_those_of_one_pass(indexed_vcf: Path) -> None:
    regions = annotator.inputs.rule_regions(load_rules().genes, "GRCh38")

    def variants(blocks: list[tuple[int, int]]) -> list[Any]:
        with VcfReader(indexed_vcf) as reader:
            reader.restrict_to(regions)
            found = []
            for block in blocks:
                reader.read_regions(*block)
                found.extend(reader)
            assert reader.records_read == len({v.record_index for v in found})
            return found

    with VcfReader(indexed_vcf) as reader:
        reader.restrict_to(regions)
        whole = list(reader)
        count = reader.region_count()
    split = variants([(0, 5), (5, 6), (6, count)])
    assert [v.record_index for v in split] == sorted(v.record_index for v in split)
    assert len({v.record_index >> 32 for v in split}) > 1  # numbered by their region
    assert [replace(v, record_index=0) for v in split] == [
        replace(v, record_index=0) for v in whole
    ]
    assert variants([(0, count)]) == split


# --- the reference FASTA in two processes ---


@pytest.fixture(scope="module")
def reference_fasta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bgzipped, indexed FASTA holding the REF bases of ``records_text(4000)``, N elsewhere."""
    bases: dict[bytes, dict[int, bytes]] = {}
    for line in records_text(4000).split(b"\n"):
        if line and not line.startswith(b"#"):
            chrom, pos, _id, ref = line.split(b"\t")[:4]
            bases.setdefault(chrom, {})[int(pos)] = ref
    path = tmp_path_factory.mktemp("reference") / "reference.fa.gz"
    with pysam.BGZFile(str(path), "wb") as out:
        for chrom, placed in bases.items():
            sequence = bytearray(b"N" * (max(placed) + 1000))
            for pos, ref in placed.items():
                sequence[pos - 1 : pos - 1 + len(ref)] = ref
            out.write(b">" + chrom + b"\n" + bytes(sequence) + b"\n")
    pysam.faidx(str(path))
    return path


@pytest.mark.parametrize("indexed", [False, True], ids=["prefilter", "regions"])
def test_each_process_reads_the_reference_through_a_handle_of_its_own(
    indexed: bool,
    big_vcf: Path,
    reference_fasta: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forked worker that used the main process's FASTA handle would share its file offset
    (htslib seeks, then reads): the two could read each other's bases."""
    options: dict[str, Any] = {"reference": reference_fasta}
    if indexed:
        pysam.tabix_index(str(big_vcf), preset="vcf", force=True)
        options["use_index"] = True
    else:
        options["prefilter"] = True
    expected = one_pass(big_vcf, monkeypatch, **options)
    opened = tmp_path / "opened"
    open_fasta = annotator.reference._open

    def recorded(path: Path) -> Any:
        with opened.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return open_fasta(path)

    monkeypatch.setattr(annotator.reference, "_open", recorded)
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(annotator.parts, "usable_cpus", lambda: 2)
    monkeypatch.setattr(annotator.inputs, "_regions_alone", lambda *_args: 0)  # a worker
    assert run_json(big_vcf, **options) == expected
    assert len(set(opened.read_text().split())) == 2  # this process's and the worker's
