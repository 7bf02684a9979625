"""BGZF reading and writing (``annotator.bgzf``): blocks as stored, checked and inflated; blocks
written that htslib, bgzip and gzip read back."""

from __future__ import annotations

import gzip
import itertools
import random
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pysam
import pytest

from annotator import bgzf
from annotator.errors import InputError

EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def vcf_text(records: int = 3000) -> bytes:
    """VCF-like text of ``records`` lines (a few BGZF blocks' worth), reproducible."""
    rng = random.Random(7)
    lines = [b"##fileformat=VCFv4.2\n", b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"]
    for number in range(records):
        info = ";".join(f"K{rng.randrange(99)}={rng.random():.6f}" for _ in range(rng.randrange(9)))
        lines.append(f"chr1\t{number * 7 + 1}\t.\tA\tC\t.\tPASS\t{info or '.'}\n".encode())
    return b"".join(lines)


def pysam_bgzf(path: Path, text: bytes) -> Path:
    handle = pysam.BGZFile(str(path), "wb")
    try:
        handle.write(text)
    finally:
        handle.close()
    return path


def stored_blocks(path: Path) -> list[tuple[int, int]]:
    """(offset, size) of each block, from the BC fields alone."""
    data = path.read_bytes()
    found, at = [], 0
    while at < len(data):
        size = struct.unpack_from("<H", data, at + 16)[0] + 1
        found.append((at, size))
        at += size
    return found


# --- reading ---


def test_blocks_of_a_pysam_file_are_its_bytes_and_text(tmp_path: Path) -> None:
    text = vcf_text()
    path = pysam_bgzf(tmp_path / "x.vcf.gz", text)
    blocks = list(bgzf.blocks(path))
    assert len(blocks) > 3  # several blocks, then the end-of-file block
    assert [(block.offset, len(block.raw)) for block in blocks] == stored_blocks(path)
    assert b"".join(block.raw for block in blocks) == path.read_bytes()
    assert b"".join(block.data for block in blocks) == text
    assert blocks[-1].raw == EOF
    assert blocks[-1].data == b""
    assert all(len(block.data) <= bgzf.BLOCK_TEXT for block in blocks)
    assert bgzf.is_bgzf(path)


@pytest.mark.parametrize("threads", [1, 3])
def test_blocks_of_a_bgzip_file(threads: int, tmp_path: Path) -> None:
    text = vcf_text(5000)
    plain = tmp_path / "x.vcf"
    plain.write_bytes(text)
    compressed = tmp_path / "x.vcf.gz"
    if shutil.which("bgzip"):
        subprocess.run(["bgzip", "-k", str(plain)], check=True)
    else:  # pysam's tabix_compress is bgzip's code
        pysam.tabix_compress(str(plain), str(compressed))
    blocks = list(bgzf.blocks(compressed, threads=threads))
    assert b"".join(block.data for block in blocks) == text
    assert b"".join(block.raw for block in blocks) == compressed.read_bytes()
    assert b"".join(bgzf.decompressed_chunks(compressed, threads=threads)) == text


def test_a_corrupt_crc_names_the_block(tmp_path: Path) -> None:
    path = pysam_bgzf(tmp_path / "x.vcf.gz", vcf_text())
    offset, size = stored_blocks(path)[1]
    data = bytearray(path.read_bytes())
    data[offset + size - 8] ^= 0xFF  # the second block's CRC32
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"block at byte {offset} is corrupt.*CRC32"):
        list(bgzf.blocks(path))
    with pytest.raises(InputError, match=f"block at byte {offset} is corrupt") as caught:
        list(bgzf.decompressed_chunks(path))
    assert caught.value.hint == "re-create it from the complete VCF with 'bgzip'"


def test_corrupt_deflate_data_names_the_block(tmp_path: Path) -> None:
    path = pysam_bgzf(tmp_path / "x.vcf.gz", vcf_text())
    offset, size = stored_blocks(path)[0]
    data = bytearray(path.read_bytes())
    data[offset + 18 : offset + size - 8] = b"\xff" * (size - 26)
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"block at byte {offset} is corrupt"):
        list(bgzf.blocks(path))


def test_a_file_cut_short_is_an_error(tmp_path: Path) -> None:
    path = pysam_bgzf(tmp_path / "x.vcf.gz", vcf_text())
    offset, _size = stored_blocks(path)[2]
    path.write_bytes(path.read_bytes()[: offset + 100])  # inside the third block
    with pytest.raises(InputError, match=f"data at byte {offset} is cut short"):
        list(bgzf.blocks(path))
    with pytest.raises(InputError, match="cut short"):
        list(bgzf.decompressed_chunks(path))


def test_a_file_without_the_eof_block_is_truncated(tmp_path: Path) -> None:
    text = vcf_text()
    path = pysam_bgzf(tmp_path / "x.vcf.gz", text)
    path.write_bytes(path.read_bytes().removesuffix(EOF))
    seen = []
    with pytest.raises(InputError, match="truncated: the BGZF end-of-file block is missing"):
        seen.extend(bgzf.blocks(path))
    assert b"".join(block.data for block in seen) == text  # every block came first
    with pytest.raises(InputError, match="truncated"):
        list(bgzf.decompressed_chunks(path))


def test_garbage_after_the_blocks_is_not_bgzf(tmp_path: Path) -> None:
    path = pysam_bgzf(tmp_path / "x.vcf.gz", vcf_text(100))
    path.write_bytes(path.read_bytes() + b"this is not a block at all")
    with pytest.raises(InputError, match="is not a BGZF block"):
        list(bgzf.blocks(path))


def test_decompressed_chunks_of_plain_gzip_and_plain_text(tmp_path: Path) -> None:
    text = vcf_text()
    plain = tmp_path / "x.vcf"
    plain.write_bytes(text)
    gzipped = tmp_path / "x.vcf.gz"
    gzipped.write_bytes(gzip.compress(text))
    assert not bgzf.is_bgzf(gzipped)
    assert not bgzf.is_bgzf(plain)
    for path in (plain, gzipped):
        chunks = list(bgzf.decompressed_chunks(path, size=10_000))
        assert b"".join(chunks) == text
        assert max(map(len, chunks)) <= 10_000
        assert len(chunks) > 1
    gzipped.write_bytes(gzip.compress(text)[:-20])
    with pytest.raises(InputError, match="cannot decompress"):
        list(bgzf.decompressed_chunks(gzipped))


def test_empty_bgzf_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gz"
    path.write_bytes(EOF)
    assert [block.raw for block in bgzf.blocks(path)] == [EOF]
    assert list(bgzf.decompressed_chunks(path)) == []


# --- writing ---


@pytest.mark.parametrize("size", [0, 1, 1000, bgzf.BLOCK_TEXT])
def test_a_block_is_one_gzip_member_with_its_size(size: int) -> None:
    data = (b"chr1\t100\t.\tA\tC\n" * 5000)[:size]
    block = bgzf.compress_block(data)
    assert block[:4] == b"\x1f\x8b\x08\x04"
    assert block[12:16] == b"BC\x02\x00"
    assert struct.unpack_from("<H", block, 16)[0] + 1 == len(block)
    assert struct.unpack_from("<II", block, len(block) - 8) == (zlib.crc32(data), len(data))
    assert gzip.decompress(block) == data


def test_data_that_does_not_shrink_is_stored_within_64_kib() -> None:
    data = random.Random(1).randbytes(bgzf.BLOCK_TEXT)
    block = bgzf.compress_block(data)
    assert len(block) <= 65536
    assert gzip.decompress(block) == data
    with pytest.raises(ValueError, match="at most"):
        bgzf.compress_block(data + b"x")


def test_block_writer_output_reads_back_everywhere(tmp_path: Path) -> None:
    source = pysam_bgzf(tmp_path / "source.vcf.gz", vcf_text())
    copied = list(bgzf.blocks(source))[:2]
    text = vcf_text(4000) + random.Random(2).randbytes(100_000)
    path = tmp_path / "out.gz"
    with path.open("wb") as handle, bgzf.BlockWriter(handle, threads=3) as writer:
        writer.write(text)
        for block in copied:
            writer.copy(block.raw, len(block.data))
        writer.write(b"")  # no block
        writer.write(b"tail\n")
    expected = text + b"".join(block.data for block in copied) + b"tail\n"
    data = path.read_bytes()
    assert data.endswith(EOF)
    assert copied[1].raw in data  # copied as stored
    assert gzip.decompress(data) == expected
    blocks = list(bgzf.blocks(path))
    assert b"".join(block.data for block in blocks) == expected
    # layout: where each block's text and bytes start, the end-of-file block last
    text_starts, file_starts = writer.layout()
    assert file_starts == [block.offset for block in blocks]
    assert text_starts[-1] == len(expected)
    assert [b - a for a, b in itertools.pairwise(text_starts)] == [
        len(block.data) for block in blocks[:-1]
    ]
    if shutil.which("bgzip"):
        subprocess.run(["bgzip", "-t", str(path)], check=True)


def test_virtual_offsets_from_the_layout_find_the_lines(tmp_path: Path) -> None:
    text = vcf_text(4000)
    path = tmp_path / "out.vcf.gz"
    with path.open("wb") as handle, bgzf.BlockWriter(handle) as writer:
        writer.write(text[:1000])  # a short block first: blocks do not start at multiples
        writer.write(text[1000:])
    text_starts, file_starts = writer.layout()
    line_starts = [0, *(at + 1 for at in range(len(text)) if text[at] == 10)][:-1]
    reader = pysam.BGZFile(str(path), "rb")
    try:
        for start in line_starts[::97]:
            block = max(i for i, begin in enumerate(text_starts) if begin <= start)
            reader.seek(file_starts[block] << 16 | (start - text_starts[block]))
            assert reader.readline() == text[start : text.index(b"\n", start)]  # no newline
    finally:
        reader.close()


def test_an_error_while_writing_drops_what_is_pending(tmp_path: Path) -> None:
    path = tmp_path / "out.gz"

    def interrupted(writer: bgzf.BlockWriter) -> None:
        with writer:
            writer.write(vcf_text())
            raise RuntimeError("stop")

    with path.open("wb") as handle:
        writer = bgzf.BlockWriter(handle)
        with pytest.raises(RuntimeError, match="stop"):
            interrupted(writer)
    assert not path.read_bytes().endswith(EOF)
    with pytest.raises(RuntimeError, match="closed"):
        writer.layout()


def test_write_bgzf(tmp_path: Path) -> None:
    path = tmp_path / "index.tbi"
    bgzf.write_bgzf(path, b"TBI\x01" + bytes(200_000))
    assert gzip.decompress(path.read_bytes()) == b"TBI\x01" + bytes(200_000)
    assert path.read_bytes().endswith(EOF)
