"""Write every output under a temporary name and rename it into place only when all succeed.

An error or interruption while writing leaves no partial file behind (cutadapt's habit).

An output path that names no regular file but a device, a pipe or a socket (``/dev/null``,
``/dev/stdout``, a named pipe) is a stream: renaming over it would replace the device node
with a file (``/dev/null`` itself, run as root), so its content is staged in the temporary
directory and copied into the stream when all outputs are complete. A symbolic link to a
file stays a link: the file it points to is replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
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


def is_stream(path: Path) -> bool:
    """Whether ``path`` (its links followed) is an existing device, pipe or socket."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def temporary_beside(path: Path) -> Path:
    """A new empty file in the directory of the file ``path`` names (its links followed;
    created when missing), or in the temporary directory for a stream (:func:`is_stream`),
    with the mode a plain ``open()`` would give; an unwritable place is an InputError naming
    ``path``."""
    real = Path(os.path.realpath(path))
    directory = None if is_stream(path) else real.parent
    try:
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=directory)
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
            put_in_place(tmp, final)
        self._staged.clear()

    def discard(self) -> None:
        for tmp, _final in self._staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._staged.clear()


def put_in_place(temporary: Path, final: Path) -> None:
    """Rename ``temporary`` over the file ``final`` names (its links followed), or copy it
    into ``final`` when that is a stream (:func:`is_stream`) and delete it."""
    if not is_stream(final):
        os.replace(temporary, os.path.realpath(final))
        return
    try:
        with temporary.open("rb") as source, final.open("wb") as sink:
            shutil.copyfileobj(source, sink)
    except OSError as error:
        raise InputError(f"cannot write output: {error.strerror or error}", path=final) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
