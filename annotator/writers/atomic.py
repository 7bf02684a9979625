"""Write every output under a temporary name and rename it into place only when all succeed.

An error or interruption while writing leaves no partial file behind (cutadapt's habit).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from annotator.errors import InputError

Render = Callable[[IO[str]], None]


@contextlib.contextmanager
def staged_outputs() -> Iterator[OutputStage]:
    """Collect outputs; on a clean exit rename them all into place, else delete them all."""
    stage = OutputStage()
    try:
        yield stage
    except BaseException:
        stage.discard()
        raise
    stage.commit()


def temporary_beside(path: Path) -> Path:
    """A new empty file in ``path``'s directory (created when missing), with the mode a plain
    ``open()`` would give; an unwritable place is an InputError naming ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise InputError(
            f"cannot write output: {error.strerror}", path=path, hint="check the directory"
        ) from error
    os.close(handle)
    os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
    return Path(name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class OutputStage:
    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def add_text(self, path: Path, render: Render) -> None:
        """Render text into a temporary file beside ``path``."""
        tmp = temporary_beside(path)
        self._staged.append((tmp, path))
        with tmp.open("w", encoding="utf-8", newline="\n") as stream:
            render(stream)

    def add_written(self, temporary: Path, path: Path) -> None:
        """A file already written beside ``path``: renamed on commit, deleted on discard."""
        self._staged.append((temporary, path))

    def commit(self) -> None:
        for tmp, final in self._staged:
            os.replace(tmp, final)
        self._staged.clear()

    def discard(self) -> None:
        for tmp, _final in self._staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._staged.clear()
