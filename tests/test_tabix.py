"""The tabix index builder (``annotator.tabix``): equal to the .tbi htslib builds, INFO/END read
as tabix reads it."""

from __future__ import annotations

import gzip
import random
import shutil
import struct
from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools
import pytest

from annotator import bgzf, tabix
from annotator.tabix import TabixBuilder, tabix_end

HEADER = (
    b"##fileformat=VCFv4.2\n"
    b'##INFO=<ID=END,Number=1,Type=Integer,Description="End">\n'
    b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
)


def parse_tbi(path: Path) -> tuple[object, ...]:
    """A .tbi as (configuration, names, per chromosome: bins -> chunks and linear index, rest),
    bins in any order (htslib writes them in hash order)."""
    data = gzip.decompress(path.read_bytes())
    assert data[:4] == b"TBI\x01"
    n_ref, *conf, names_length = struct.unpack_from("<i6ii", data, 4)
    at = 36
    names = data[at : at + names_length].split(b"\0")[:-1]
    at += names_length
    refs = []
    for _ in range(n_ref):
        (n_bin,) = struct.unpack_from("<i", data, at)
        at += 4
        bins = {}
        for _ in range(n_bin):
            bin_, n_chunk = struct.unpack_from("<Ii", data, at)
            chunks = struct.unpack_from(f"<{2 * n_chunk}Q", data, at + 8)
            bins[bin_] = list(zip(chunks[::2], chunks[1::2], strict=True))
            at += 8 + 16 * n_chunk
        (n_intv,) = struct.unpack_from("<i", data, at)
        linear = struct.unpack_from(f"<{n_intv}Q", data, at + 4)
        at += 4 + 8 * n_intv
        refs.append((bins, linear))
    return tuple(conf), names, refs, data[at:]


def assert_index_is_htslibs(output: Path, tmp_path: Path) -> None:
    """The .tbi beside ``output`` equals the one htslib (pysam.tabix_index) builds from it."""
    copy = tmp_path / "htslib" / output.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copy(output, copy)
    pysam.tabix_index(str(copy), preset="vcf", force=True)
    ours, htslib = parse_tbi(Path(f"{output}.tbi")), parse_tbi(Path(f"{copy}.tbi"))
    assert ours[:2] == htslib[:2]
    for number, (mine, theirs) in enumerate(zip(ours[2], htslib[2], strict=True)):  # type: ignore[call-overload]
        assert mine[0] == theirs[0], f"chromosome {number}: bins differ"
        assert mine[1] == theirs[1], f"chromosome {number}: linear index differs"
    assert ours == htslib


def sorted_records(count: int, seed: int) -> list[bytes]:
    """``count`` records per chromosome, sorted: ties, small and megabase gaps, REFs and
    INFO/ENDs (in the forms tabix reads its own way) reaching over 16 kb windows and bins,
    lines of very different lengths."""
    rng = random.Random(seed)
    records = []
    for chrom in (b"chr2", b"chr10", b"chrUn_gl000220"):
        pos = rng.randrange(1, 100)
        for _ in range(count):
            pos += rng.choice((0, 0, 1, 30, 900, 16_000)) if rng.random() > 0.004 else 2_000_000
            ref = b"A" * rng.choice((1, 1, 1, 2, 60, 20_000))
            # An END before POS is ignored; one inside REF is not read here as by htslib 1.24
            # (see test_vcf_writer.test_end_inside_ref_and_svlen_give_htslibs_index).
            end = rng.choice((pos - 1, pos + len(ref) - 1 + rng.randrange(300_000)))
            info = rng.choice(
                (b"DP=9", b"END=%d" % end, b"DP=1;END=0x%x" % end, b"END=.", b"XEND=%d" % end)
            )
            if rng.random() < 0.3:  # text that does not compress: chunks of 32 to 64 KiB
                info += b";NOTE=" + rng.randbytes(rng.randrange(1, 1500)).hex().encode()
            records.append(b"\t".join((chrom, b"%d" % pos, b".", ref, b"T", b".", b"PASS", info)))
    return [record + b"\n" for record in records]


def write_indexed(path: Path, records: list[bytes], batch: int) -> None:
    """``HEADER`` and ``records`` as a BGZF file, each batch written as blocks of its own, and
    beside it the .tbi of a TabixBuilder given the records ``batch`` at a time."""
    builder = TabixBuilder()
    builder.start(len(HEADER))
    offset = len(HEADER)
    with path.open("wb") as handle, bgzf.BlockWriter(handle) as blocks:
        blocks.write(HEADER)
        for first in range(0, len(records), batch):
            part = records[first : first + batch]
            columns: list[list[int]] = [[], [], [], []]  # tid, begin, stop, end in the text
            for record in part:
                chrom, pos, _id, ref = record.split(b"\t", 4)[:4]
                begin = int(pos) - 1
                end = tabix_end(record)
                offset += len(record)
                for column, value in zip(
                    columns,
                    (
                        builder.tid(chrom),
                        begin,
                        end if end is not None and end > begin else begin + len(ref),
                        offset,
                    ),
                    strict=True,
                ):
                    column.append(value)
            builder.add(*(np.array(column, dtype=np.int64) for column in columns))
            blocks.write(b"".join(part))
    bgzf.write_bgzf(Path(f"{path}.tbi"), builder.finish(offset, blocks.layout()))


@pytest.mark.parametrize(("count", "batch"), [(0, 1), (1, 1), (2000, 7), (2000, 700), (2000, 6000)])
def test_builder_gives_htslibs_index(count: int, batch: int, tmp_path: Path) -> None:
    output = tmp_path / "out.vcf.gz"
    write_indexed(output, sorted_records(count, seed=count + batch), batch)
    assert_index_is_htslibs(output, tmp_path)


def test_chromosomes_are_numbered_in_order_of_first_appearance() -> None:
    builder = TabixBuilder()
    assert [builder.tid(name) for name in (b"chr1", b"chr2", b"chr1", b"chrX")] == [0, 1, 0, 2]


@pytest.mark.parametrize("csi", [False, True], ids=["tbi", "csi"])
def test_sequence_names_are_the_indexs_in_the_order_of_the_records(
    csi: bool, tmp_path: Path
) -> None:
    """htslib's own index (tabix -p vcf, or -C) of records on chr2, then chr10, then chr1:
    the names come back in that order, whatever the header declares."""
    header = "".join(f"##contig=<ID={c},length=100000>\n" for c in ("chr1", "chr2", "chr10"))
    lines = [f"{c}\t{p}\t.\tA\tG\t.\tPASS\t." for c in ("chr2", "chr10", "chr1") for p in (5, 9)]
    plain = tmp_path / "t.vcf"
    plain.write_text(
        "##fileformat=VCFv4.2\n"
        + header
        + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        + "\n".join(lines)
        + "\n"
    )
    vcf = tmp_path / "t.vcf.gz"
    pysam.tabix_compress(str(plain), str(vcf))
    pysam.tabix_index(str(vcf), preset="vcf", csi=csi)
    index = Path(f"{vcf}.csi" if csi else f"{vcf}.tbi")
    assert tabix.sequence_names(index) == ["chr2", "chr10", "chr1"]


def test_sequence_names_of_an_index_without_them_are_none(tmp_path: Path) -> None:
    bcf = tmp_path / "t.bcf"
    header = pysam.VariantHeader()
    header.add_line("##contig=<ID=chr1,length=100>")
    with pysam.VariantFile(str(bcf), "wb", header=header):
        pass
    pysam.bcftools.index(str(bcf))
    assert tabix.sequence_names(Path(f"{bcf}.csi")) is None  # a BCF's .csi names nothing
    other = tmp_path / "not_an_index"
    other.write_bytes(gzip.compress(b"BAI\x01" + bytes(64)))
    assert tabix.sequence_names(other) is None
    other.write_bytes(b"plain text")
    assert tabix.sequence_names(other) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"123;DP=4", 123),
        (b"  -12", -12),
        (b"+5", 5),
        (b"0x1F;", 31),
        (b"0X1f", 31),
        (b"0x", 0),
        (b"017", 15),
        (b"08", 0),
        (b"", 0),
        (b".", 0),
        (b"99999999999999999999", (1 << 63) - 1),
    ],
)
def test_end_values_are_read_as_strtoll_reads_them(text: bytes, value: int) -> None:
    assert tabix._strtoll(text) == value


@pytest.mark.parametrize(
    ("info", "end"),
    [
        (b"END=500", 500),
        (b"DP=3;END=500", 500),
        (b"XEND=7;END=500", 500),
        (b"XEND=7", None),
        (b"END=.", None),
        (b"DP=1", None),
    ],
)
def test_tabix_reads_info_end_from_the_info_column(info: bytes, end: int | None) -> None:
    line = b"chr1\t100\tEND=9\tA\tC\t.\tPASS\t" + info + b"\tGT\t0/1\r\n"
    assert tabix_end(line) == end
    assert tabix_end(line.replace(b"\tGT\t0/1", b"")) == end  # INFO last
