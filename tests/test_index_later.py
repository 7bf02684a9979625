"""An indexed VCF.gz is opened without htslib loading its index, which is loaded once when
regions are read (annotator.readers.index_later): what is read is the same, no link is left
behind, and the files it cannot serve are opened as they are."""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path

import pysam
import pytest

import annotator.readers.vcf as vcf_reader
from annotator.errors import InputError
from annotator.readers.vcf import VcfReader
from tests.test_fast_paths import indexed_copy
from tests.vcfgen import vcf_text, write_vcf

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "test_data" / "demo.grch38.vep.vcf.gz"
EGFR = {"7": [(55_019_017, 55_211_628)], "12": [(25_205_246, 25_250_936)]}


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the links go (tempfile's directory), to see that nothing stays there."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def variants_of(reader: VcfReader) -> list[tuple[str, int, str, str, int]]:
    return [(v.chrom, v.pos, v.ref, v.alt, v.record_index) for v in reader]


def direct(vcf: Path) -> list[tuple[str, int, str, str, int]]:
    """The regions' variants as read with the file opened as it is."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("annotator.readers.vcf.index_later", lambda _path, _index: None)
        with VcfReader(vcf) as reader:
            assert reader._linked is None
            reader.restrict_to(EGFR)
            return variants_of(reader)


def test_regions_read_through_the_link_are_those_of_the_file(
    tmp_path: Path, private_tmp: Path
) -> None:
    vcf = indexed_copy(DEMO, tmp_path)
    with VcfReader(vcf) as reader:
        assert reader._linked is not None  # opened through the link ...
        assert os.listdir(private_tmp) == []  # ... which went once the file was open
        reader.restrict_to(EGFR)
        found = variants_of(reader)
        assert reader._linked is None  # the index is loaded: its link went too
        assert os.listdir(private_tmp) == []
    assert found == direct(vcf)
    assert len(found) > 1


def test_a_pass_without_regions_leaves_nothing(tmp_path: Path, private_tmp: Path) -> None:
    vcf = indexed_copy(DEMO, tmp_path)
    with VcfReader(vcf) as reader:
        assert reader._linked is not None
        whole = variants_of(reader)
    assert os.listdir(private_tmp) == []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("annotator.readers.vcf.index_later", lambda _path, _index: None)
        with VcfReader(vcf) as reader:
            assert whole == variants_of(reader)


def test_a_header_without_the_index_sequences_is_opened_as_it_is(
    tmp_path: Path, private_tmp: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """htslib adds the sequences the header lacks from the index as it reads the header: the
    records on them are then read without a warning."""
    plain = tmp_path / "plain.vcf"
    with gzip.open(DEMO, "rt") as source:
        plain.write_text("".join(line for line in source if not line.startswith("##contig")))
    vcf = tmp_path / "no_contigs.vcf.gz"
    pysam.tabix_compress(str(plain), str(vcf))
    pysam.tabix_index(str(vcf), preset="vcf")
    capfd.readouterr()
    with VcfReader(vcf) as reader:
        assert reader._linked is None
        reader.restrict_to(EGFR)
        found = variants_of(reader)
    assert found
    assert "[W::" not in capfd.readouterr().err
    assert os.listdir(private_tmp) == []


def test_an_index_older_than_its_file_is_left_to_htslib(tmp_path: Path, private_tmp: Path) -> None:
    """htslib's warning then names the user's file, not a link."""
    vcf = indexed_copy(DEMO, tmp_path)
    index = Path(f"{vcf}.tbi")
    os.utime(index, (1_000_000, 1_000_000))
    with VcfReader(vcf) as reader:
        assert reader._linked is None
    assert os.listdir(private_tmp) == []


def test_a_broken_index_is_named_by_the_users_file(tmp_path: Path, private_tmp: Path) -> None:
    """An index whose sequence names can be read, and its bins not: the file is opened
    through the link, and cyvcf2's error names the link, which the message does not."""
    vcf = indexed_copy(DEMO, tmp_path)
    index = Path(f"{vcf}.tbi")
    whole = gzip.decompress(index.read_bytes())
    index.write_bytes(gzip.compress(whole[: len(whole) // 2]))  # the names, then an end
    with VcfReader(vcf) as reader:
        assert reader._linked is not None
        reader.restrict_to(EGFR)
        with pytest.raises(InputError, match="cannot read the index") as raised:
            variants_of(reader)
    assert "resistance-annotator." not in str(raised.value)
    assert f"for b'{vcf}'" in str(raised.value)
    assert os.listdir(private_tmp) == []


def test_a_record_across_region_pieces_is_read_once(tmp_path: Path) -> None:
    """Regions are read in pieces of ``_REGION_PIECE`` bases: a record overlapping several
    (a deletion by its REF, a symbolic one by its END) is read with the first."""
    piece = vcf_reader._REGION_PIECE
    start = EGFR["7"][0][0]
    boundary = start + piece  # where the second piece begins
    records = [
        f"chr7\t{boundary - 10}\t.\t{'A' * 30}\tA\t.\tPASS\t.\tGT:AD\t0/1:60,40",
        f"chr7\t{boundary + 5}\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:60,40",
        f"chr7\t{start + 100}\tdel1\tA\t<DEL>\t.\tPASS\tSVTYPE=DEL;END={start + 3 * piece}"
        "\tGT:AD\t0/1:60,40",
        f"chr7\t{start + 3 * piece + 7}\t.\tG\tA\t.\tPASS\t.\tGT:AD\t0/1:60,40",
    ]
    records.sort(key=lambda line: int(line.split("\t")[1]))
    vcf = write_vcf(tmp_path, vcf_text(records), "vcf.gz")
    pysam.tabix_index(str(vcf), preset="vcf", force=True)
    with VcfReader(vcf) as reader:
        whole = [(v.pos, v.ref, v.alt) for v in reader]
    with VcfReader(vcf) as reader:
        reader.restrict_to(EGFR)
        count = reader.region_count()
        assert count > 3
        assert [(v.pos, v.ref, v.alt) for v in reader] == whole
        assert reader.records_read == len(records)
    # Numbered by region (as two processes read them): a run of pieces read in one query
    # gives each record the number it has when a piece is read at a time.
    with VcfReader(vcf) as reader:
        reader.restrict_to(EGFR)
        reader.read_regions(0, count)
        pieces = [(v.pos, v.ref, v.alt, v.record_index) for v in reader]
    assert [piece[:3] for piece in pieces] == whole
    with VcfReader(vcf) as reader:
        reader.restrict_to(EGFR)
        one_by_one = []
        for region in range(count):
            reader.read_regions(region, region + 1)
            one_by_one.extend((v.pos, v.ref, v.alt, v.record_index) for v in reader)
    assert one_by_one == pieces
