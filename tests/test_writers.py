"""Staged outputs: all renamed into place on success, none left after a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.writers.atomic import staged_outputs


def test_outputs_appear_only_after_commit(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "sub" / "b.tsv"
    with staged_outputs() as stage:
        stage.add_text(first, lambda stream: stream.write("one\n"))
        stage.add_text(second, lambda stream: stream.write("two\n"))
        assert not first.exists()
        assert not second.exists()
    assert first.read_text() == "one\n"
    assert second.read_text() == "two\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "sub"]


def test_failure_while_rendering_leaves_nothing(tmp_path: Path) -> None:
    def explode(stream: object) -> None:
        raise RuntimeError("disk on fire")

    def stage_two() -> None:
        with staged_outputs() as stage:
            stage.add_text(tmp_path / "a.json", lambda stream: stream.write("one\n"))
            stage.add_text(tmp_path / "b.json", explode)

    with pytest.raises(RuntimeError):
        stage_two()
    assert list(tmp_path.iterdir()) == []


def test_interrupt_leaves_nothing(tmp_path: Path) -> None:
    def interrupted() -> None:
        with staged_outputs() as stage:
            stage.add_text(tmp_path / "a.json", lambda stream: stream.write("one\n"))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert list(tmp_path.iterdir()) == []
