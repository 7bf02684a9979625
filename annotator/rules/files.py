"""Which files a rule set is read from: the bundled rules directory and the files and
directories given, in load order (see :mod:`annotator.rules.loader`).

Apart from the loader, so that a run taking its rule set from the cache
(:mod:`annotator.rules.cache`) finds the files without importing the YAML reader and the
validation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

MANIFEST = "manifest.yaml"
RULES_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class RulesSource:
    """A rules file to read: its path, as problems show it, and whether it is bundled."""

    path: Path
    shown: str  # as printed in problems
    bundled: bool


def bundled_rules_dir() -> Path:
    """The bundled rules: ``annotator/bundled_rules`` in a wheel, else ``<repo>/rules``."""
    packaged = resources.files("annotator") / "bundled_rules"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def rules_files(paths: Sequence[Path] = (), *, bundled: bool = True) -> list[Path] | None:
    """The files :func:`annotator.rules.loader.load_rules` reads, in its order; None when
    finding them is a problem (``load_rules`` reports it)."""
    if not bundled and not paths:
        return None
    sources, problems = collect_sources(paths, bundled=bundled)
    return None if problems else [source.path for source in sources]


def shown_path(path: Path) -> str:
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def yaml_files(directory: Path) -> list[Path]:
    """The rules files of ``directory``: every ``*.yaml``/``*.yml`` entry but hidden ones,
    whatever it is, so that one that cannot be read (a link to a moved file, a directory)
    is a problem reported rather than rules silently left out."""
    return sorted(
        (
            p
            for p in directory.iterdir()
            if p.suffix in RULES_SUFFIXES and not p.name.startswith(".")
        ),
        key=lambda p: p.name,
    )


def collect_sources(paths: Sequence[Path], *, bundled: bool) -> tuple[list[RulesSource], list[str]]:
    sources: list[RulesSource] = []
    problems: list[str] = []
    if bundled:
        directory = bundled_rules_dir()
        if not directory.is_dir():
            problems.append(f"{shown_path(directory)}: bundled rules directory not found")
        else:
            files = yaml_files(directory)
            if not any(p.name == MANIFEST for p in files):
                problems.append(
                    f"{shown_path(directory / MANIFEST)}: file not found; "
                    "the bundled rules need a manifest with their version"
                )
            sources.extend(RulesSource(p, shown_path(p), bundled=True) for p in files)
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = yaml_files(path)
            if not files:
                problems.append(f"{path}: no *.yaml or *.yml files in this directory")
            sources.extend(RulesSource(p, str(p), bundled=False) for p in files)
        elif path.is_file():
            sources.append(RulesSource(path, str(path), bundled=False))
        elif path.exists():
            problems.append(f"{path}: not a file or directory")
        else:
            problems.append(f"{path}: file not found")
    unique: list[RulesSource] = []
    seen: dict[Path, RulesSource] = {}
    for source in sources:
        key = source.path.resolve()
        if key in seen:
            problems.append(f"{source.shown}: loaded twice (also as {seen[key].shown})")
        else:
            seen[key] = source
            unique.append(source)
    return unique, problems
