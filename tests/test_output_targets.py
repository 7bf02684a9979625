"""Outputs to streams and links: a named pipe (like /dev/null or /dev/stdout, which a rename
would replace with a file) receives the content, and a link to a file stays a link.

The real /dev/null is never used here: a regression would replace it machine-wide."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from annotator.config import AnnotateConfig
from annotator.errors import UsageError
from annotator.pipeline import run
from annotator.writers.atomic import is_stream
from tests.golden_cases import TEST_DATA

DEMO = TEST_DATA / "demo.grch38.vep.vcf.gz"


def read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def drain() -> None:
        with path.open("rb") as stream:
            into.append(stream.read())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    return reader


@pytest.mark.parametrize("option", ["out_json", "out_tsv", "out_vcf", "out_html"])
def test_a_named_pipe_gets_the_output_and_stays_a_pipe(tmp_path: Path, option: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = read_fifo(fifo, received)
    run(AnnotateConfig(input=DEMO, tumor_type="LUAD", **{option: fifo}))
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received
    assert received[0]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pipe"]  # no staged leftovers


def test_a_bgzipped_vcf_to_a_pipe_has_no_index_beside_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.vcf.gz"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = read_fifo(fifo, received)
    run(AnnotateConfig(input=DEMO, tumor_type="LUAD", out_vcf=fifo))
    reader.join(timeout=30)
    assert received[0][:2] == b"\x1f\x8b"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pipe.vcf.gz"]


def test_a_link_to_a_file_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "result.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    run(AnnotateConfig(input=DEMO, tumor_type="LUAD", out_json=link))
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8").startswith("{")
    assert sorted(path.name for path in target.parent.iterdir()) == ["result.json"]


def test_streams_are_told_from_files(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    regular = tmp_path / "file"
    regular.write_text("", encoding="utf-8")
    assert is_stream(fifo)
    assert not is_stream(regular)
    assert not is_stream(tmp_path / "missing")
    assert not is_stream(tmp_path)


@pytest.mark.parametrize("name", ["out.bcf", "out.vcf.zst", "out.txt"])
def test_an_annotated_vcf_name_promising_another_format_is_refused(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(UsageError, match="plain VCF text"):
        run(AnnotateConfig(input=DEMO, tumor_type="LUAD", out_vcf=tmp_path / name))
    assert list(tmp_path.iterdir()) == []


def test_a_vcf_bgz_name_is_bgzipped_and_indexed(tmp_path: Path) -> None:
    out = tmp_path / "out.vcf.bgz"
    run(AnnotateConfig(input=DEMO, tumor_type="LUAD", out_vcf=out))
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "out.vcf.bgz.tbi").exists()
