"""A cache of validated rule sets: a run whose rules files are those of an earlier run skips
reading and validating them.

Reading the bundled rules (YAML, the pydantic schema, the cross-checks against OncoTree) takes
about 0.1-0.2 s of every ``annotate`` run, and building the schema's validators another
0.03-0.06 s; a run of a 1M-record VCF takes under 2 s, and a cohort is thousands of runs. A run
of ``annotate`` therefore keeps the rule set it validated in a file of the user's cache
directory, and the next run with the same rules files takes it from there in a few
milliseconds. The ``rules`` commands (``validate``, ``show``, ``diff``, ...) always read and
validate the files.

A kept set is used only when everything that made it is unchanged, as CPython does for its
``.pyc`` files: its file is named by the SHA-256 of

- the bytes of every rules file loaded, with their paths, in load order;
- the tool's version, the interpreter's and pydantic's versions;
- the size and modification time of every file of the ``annotator`` package (its code and the
  bundled OncoTree release that the cross-checks read), so that a changed checkout is never
  served a set its code did not make.

The set read back must also carry the SHA-256 of the rules files' bytes that this run read
(``RuleSet.sha256``, which the outputs record); a file changed while a set was being made is
never kept under the old bytes' name. Any problem with the cache (no such file, unreadable,
another tool's version, a full disk, a read-only home) only means that the rules are read and
validated as without it: the cache never changes a result, nor makes a run fail.

The files are pickles, so one is read only when this user owns it and no one else may write
it; the directory is made readable by this user alone. Where: ``$RESISTANCE_ANNOTATOR_CACHE_DIR``
(set it empty to turn the cache off), else ``$XDG_CACHE_HOME/resistance-annotator``, else
``~/.cache/resistance-annotator``. At most :data:`KEPT_SETS` sets are kept, the least recently
made removed first.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pydantic
import pydantic_core

import annotator
from annotator.rules.files import rules_files
from annotator.rules.ruleset import RuleSet
from annotator.tumor_types import OncoTree, load_oncotree

#: The environment variable naming the cache directory; empty turns the cache off.
CACHE_ENV = "RESISTANCE_ANNOTATOR_CACHE_DIR"
#: Rule sets kept (each ~0.3 MB for the bundled rules): a few rules versions and extra files.
KEPT_SETS = 8
#: Changed when what a cache file holds changes.
_FORMAT = b"resistance-annotator rules cache 1\n"
_PREFIX = "rules-"
_SUFFIX = ".pickle"
_PACKAGE = Path(annotator.__file__).resolve().parent


def cache_directory() -> Path | None:
    """Where rule sets are kept: see the module; None when the cache is off, or without a
    home directory, or where files have no owning user to check (not POSIX)."""
    if not hasattr(os, "getuid"):
        return None
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return Path(value) if value else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory to be found
            return None
    return Path(base) / "resistance-annotator"


def load_rules_cached(
    paths: Sequence[Path] = (),
    *,
    bundled: bool = True,
    oncotree: OncoTree | None = None,
    directory: Path | None = None,
) -> RuleSet:
    """:func:`load_rules`, taking the set from the cache ``directory`` (by default
    :func:`cache_directory`) when an earlier run kept it, else keeping it there."""
    directory = directory if directory is not None else cache_directory()
    if directory is None or (oncotree is not None and oncotree is not load_oncotree()):
        return load_rules(paths, bundled=bundled, oncotree=oncotree)
    files = rules_files(paths, bundled=bundled)
    contents = _contents(files) if files is not None else None
    if files is None or contents is None:  # load_rules reports the problem
        return load_rules(paths, bundled=bundled, oncotree=oncotree)
    digest = hashlib.sha256(b"".join(contents)).hexdigest()
    path = directory / f"{_PREFIX}{_key(files, contents, bundled=bundled)}{_SUFFIX}"
    kept = _read(path, digest)
    if kept is not None:
        return kept
    ruleset = load_rules(paths, bundled=bundled, oncotree=oncotree)
    if ruleset.sha256 == digest:  # else a file changed meanwhile: not kept under that name
        _keep(directory, path, ruleset)
    return ruleset


def load_rules(paths: Sequence[Path], *, bundled: bool, oncotree: OncoTree | None) -> RuleSet:
    """:func:`annotator.rules.loader.load_rules`, whose module (PyYAML, the validation) is
    imported only when a set is read from its files."""
    from annotator.rules import loader  # noqa: PLC0415

    return loader.load_rules(paths, bundled=bundled, oncotree=oncotree)


def _contents(files: Sequence[Path]) -> list[bytes] | None:
    try:
        return [path.read_bytes() for path in files]
    except OSError:
        return None


def _key(files: Sequence[Path], contents: Sequence[bytes], *, bundled: bool) -> str:
    """The name of the set that these rules files make with this code (see the module)."""
    key = hashlib.sha256(_FORMAT)
    for part in (
        annotator.__version__,
        sys.version,
        pydantic.VERSION,
        pydantic_core.__version__,
        f"bundled={bundled}",
    ):
        key.update(part.encode() + b"\n")
    key.update(_code_stamp())
    for path, content in zip(files, contents, strict=True):
        key.update(f"{path}\n{len(content)}\n".encode())
        key.update(content)
    return key.hexdigest()


def _code_stamp() -> bytes:
    """The relative path, size and modification time of every file of the package but
    compiled code."""
    stamp = []
    for folder, folders, names in os.walk(_PACKAGE):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        relative = os.path.relpath(folder, _PACKAGE)
        for name in sorted(names):
            status = os.stat(os.path.join(folder, name))
            stamp.append(f"{relative}/{name}\t{status.st_size}\t{status.st_mtime_ns}\n")
    return "".join(stamp).encode()


def _read(path: Path, digest: str) -> RuleSet | None:
    """The set kept in ``path`` when it is there, this user's and no one else's to write, and
    made of rules files whose bytes have the SHA-256 ``digest``; else None."""
    try:
        with path.open("rb") as handle:
            status = os.fstat(handle.fileno())
            if status.st_uid != os.getuid() or status.st_mode & 0o022:
                return None
            kept = pickle.load(handle)  # noqa: S301 (this user's own file: checked above)
        ruleset = RuleSet(**kept)
    except Exception:
        return None
    return ruleset if ruleset.sha256 == digest else None


def _keep(directory: Path, path: Path, ruleset: RuleSet) -> None:
    """Write the set to ``path`` (whole or not at all), then remove the sets made longest
    ago beyond :data:`KEPT_SETS`. Failing is no error: the next run reads the rules again."""
    kept = {
        "version": ruleset.version,
        "sha256": ruleset.sha256,
        "files": ruleset.files,
        "genes": dict(ruleset.genes),
        "rules": ruleset.rules,
        "hotspots": ruleset.hotspots,
        "drugs": dict(ruleset.drugs),
        "origins": dict(ruleset.origins),
    }
    written = None
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=directory, prefix=f".{path.name}.", delete=False
        ) as handle:
            written = Path(handle.name)
            pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(written, path)
        written = None
        _prune(directory)
    except Exception:  # noqa: S110 (the cache is only a speed-up)
        pass
    finally:
        if written is not None:
            with contextlib.suppress(OSError):
                written.unlink()


def _prune(directory: Path) -> None:
    """Remove the sets made longest ago beyond :data:`KEPT_SETS`, and the partly written
    files of runs killed while writing one (an hour old: a run writes its file in
    milliseconds)."""
    made = []
    for entry in directory.glob(f"{_PREFIX}*{_SUFFIX}"):
        with contextlib.suppress(OSError):
            made.append((entry.stat().st_mtime_ns, entry))
    made.sort(reverse=True)
    stale = [entry for _made, entry in made[KEPT_SETS:]]
    hour_ago = time.time() - 3600
    for entry in directory.glob(f".{_PREFIX}*"):
        with contextlib.suppress(OSError):
            if entry.stat().st_mtime < hour_ago:
                stale.append(entry)
    for entry in stale:
        with contextlib.suppress(OSError):
            entry.unlink()
