"""A region htslib cannot read through the index (a corrupt BGZF block, or an index made for
another compression of the file) is no region without records: htslib says so only on the
standard error stream, and cyvcf2 ends the region's records as if it were complete. The run
reads the whole file instead, which either gives every record (with a note) or names the
one that cannot be read."""

from __future__ import annotations

import random
import shutil
import struct
import zlib
from pathlib import Path

import pysam
import pytest

from annotator.errors import InputError
from tests.runs import run_json
from tests.vcfgen import vcf_text

T790M = "chr7\t55181378\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:70,30"
L858R = "chr7\t55191822\t.\tT\tG\t.\tPASS\t.\tGT:AD\t0/1:60,40"


def records() -> list[str]:
    """Enough records, with incompressible INFO, for several BGZF blocks before EGFR."""
    rng = random.Random(7)
    background = [
        f"chr7\t{1000 + i * 5000}\t.\tA\tG\t.\tPASS\tNOISE={rng.getrandbits(512):x}\t"
        "GT:AD\t0/1:50,50"
        for i in range(1500)
    ]
    return sorted([*background, T790M, L858R], key=lambda line: int(line.split("\t")[1]))


def indexed(tmp_path: Path, name: str) -> Path:
    plain = tmp_path / f"{name}.vcf"
    noise = '##INFO=<ID=NOISE,Number=1,Type=String,Description="filler">'
    plain.write_text(vcf_text(records(), info_lines=[noise]), encoding="utf-8")
    return Path(pysam.tabix_index(str(plain), preset="vcf", force=True))


def corrupt_block_holding(path: Path, needle: bytes) -> None:
    data = bytearray(path.read_bytes())
    offset = 0
    while offset < len(data):
        size = struct.unpack("<H", data[offset + 16 : offset + 18])[0] + 1
        if needle in zlib.decompress(bytes(data[offset + 18 : offset + size - 8]), -15):
            middle = offset + 18 + size // 3
            data[middle : middle + 64] = bytes(byte ^ 0xFF for byte in data[middle : middle + 64])
            path.write_bytes(bytes(data))
            return
        offset += size
    raise AssertionError("no block holds the record")


def findings(result: dict[str, object]) -> set[str]:
    return {finding["rule_id"] for finding in result["findings"]}  # type: ignore[attr-defined, index]


def test_an_intact_file_is_read_through_its_index(tmp_path: Path) -> None:
    result = run_json(indexed(tmp_path, "intact"), use_index=True)
    assert result["summary"]["regions_only"] is True
    assert "EGFR-T790M-1GTKI-R" in findings(result)
    assert result["input_notes"] == []


def test_an_index_of_another_compression_reads_the_whole_file(tmp_path: Path) -> None:
    """The same records behind one more header line (a file re-headered, its old index kept,
    and newer than it): every offset the index gives lands inside a block."""
    first = indexed(tmp_path, "first")
    text = pysam.BGZFile(str(first), "rb").read().decode()  # type: ignore[attr-defined]
    plain = tmp_path / "other.vcf"
    plain.write_text(text.replace("##fileformat=VCFv4.2\n", "##fileformat=VCFv4.2\n##x=y\n"))
    other = tmp_path / "other.vcf.gz"
    pysam.tabix_compress(str(plain), str(other), force=True)
    shutil.copy(f"{first}.tbi", f"{other}.tbi")
    expected = run_json(first, use_index=False)
    result = run_json(other, use_index=True)
    assert findings(result) == findings(expected)
    assert "EGFR-T790M-1GTKI-R" in findings(result)
    assert "regions_only" not in result["summary"]  # a pass over the whole file
    (note,) = result["input_notes"]
    assert "could not be read through the index" in note
    assert note.endswith("the whole file was read instead")


def test_a_corrupt_block_is_reported_with_its_record(tmp_path: Path) -> None:
    path = indexed(tmp_path, "corrupt")
    corrupt_block_holding(path, b"\t55181378\t")
    with pytest.raises(InputError, match=r"record \d+: .*corrupt"):
        run_json(path, use_index=True)
