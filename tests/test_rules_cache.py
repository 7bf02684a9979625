"""The rules cache: a kept set is the set the files make, and is used only while nothing that
made it has changed (see annotator/rules/cache.py)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path

import pytest

from annotator.errors import RulesError
from annotator.rules import bundled_rules_dir, load_rules
from annotator.rules import cache as cache_module
from annotator.rules.cache import CACHE_ENV, KEPT_SETS, cache_directory, load_rules_cached
from annotator.rules.ruleset import RuleSet
from annotator.tumor_types import OncoTree, load_oncotree
from tests import conftest
from tests.test_startup_imports import annotate_demo, packages


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each time the rules are read from their files (not taken from the cache)."""
    calls: list[object] = []
    real = cache_module.load_rules

    def counted(*args: object, **options: object) -> RuleSet:
        calls.append(args)
        return real(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_module, "load_rules", counted)
    return calls


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A copy of the bundled rules directory, loaded as extra files."""
    copy = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), copy)
    return copy


def kept_files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.is_dir() else []


def assert_same_set(got: RuleSet, expected: RuleSet) -> None:
    assert got == expected  # version, checksum, files, genes, rules, hotspots, drugs
    assert dict(got.origins) == dict(expected.origins)
    for gene in expected.gene_symbols:
        assert got.for_gene(gene) == expected.for_gene(gene)
    for build in ("GRCh37", "GRCh38"):
        assert got.hotspot_index(build) == expected.hotspot_index(build)
    assert got.small_variant_genes == expected.small_variant_genes
    assert got.copy_number_genes == expected.copy_number_genes


def test_the_test_session_turns_the_cache_off() -> None:
    assert conftest.CACHE_ENV == CACHE_ENV
    assert cache_directory() is None


def test_a_kept_set_is_the_set_the_files_make(tmp_path: Path, spy: list[object]) -> None:
    expected = load_rules()
    first = load_rules_cached(directory=tmp_path)
    assert len(spy) == 1
    (kept,) = kept_files(tmp_path)
    assert kept.name.startswith("rules-")
    assert kept.suffix == ".pickle"
    assert kept.stat().st_mode & 0o777 == 0o600
    second = load_rules_cached(directory=tmp_path)
    assert len(spy) == 1, "the second load must come from the cache"
    assert second is not first
    assert_same_set(first, expected)
    assert_same_set(second, expected)
    assert second.sha256 == expected.sha256  # what the outputs record


def test_a_changed_rules_file_is_read_again(
    tmp_path: Path, rules_copy: Path, spy: list[object]
) -> None:
    cache = tmp_path / "cache"
    before = load_rules_cached([rules_copy], bundled=False, directory=cache)
    load_rules_cached([rules_copy], bundled=False, directory=cache)
    assert len(spy) == 1
    genes = rules_copy / "genes.yaml"
    genes.write_bytes(genes.read_bytes() + b"# edited\n")
    after = load_rules_cached([rules_copy], bundled=False, directory=cache)
    assert len(spy) == 2
    assert after.sha256 != before.sha256
    contents = b"".join(path.read_bytes() for path in sorted(rules_copy.glob("*.yaml")))
    assert after.sha256 == hashlib.sha256(contents).hexdigest()
    assert len(kept_files(cache)) == 2


def test_the_same_files_named_otherwise_are_another_set(
    tmp_path: Path, rules_copy: Path, spy: list[object]
) -> None:
    cache = tmp_path / "cache"
    other = tmp_path / "other"
    shutil.copytree(rules_copy, other)
    first = load_rules_cached([rules_copy], bundled=False, directory=cache)
    second = load_rules_cached([other], bundled=False, directory=cache)
    assert len(spy) == 2
    assert first.sha256 == second.sha256
    assert all(path.parent == other for path in second.files)
    assert all(origin.path.parent == other for origin in second.origins.values())


def test_changed_code_is_never_served_an_older_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spy: list[object]
) -> None:
    package = tmp_path / "package"
    package.mkdir()
    module = package / "module.py"
    module.write_text("A = 1\n")
    monkeypatch.setattr(cache_module, "_PACKAGE", package)
    cache = tmp_path / "cache"
    load_rules_cached(directory=cache)
    load_rules_cached(directory=cache)
    assert len(spy) == 1
    module.write_text("A = 22\n")  # another size
    load_rules_cached(directory=cache)
    assert len(spy) == 2
    os.utime(module, ns=(1, 1))  # the same size, another time
    load_rules_cached(directory=cache)
    assert len(spy) == 3


def test_the_code_stamp_lists_the_package_files() -> None:
    stamp = cache_module._code_stamp().decode()
    names = {line.split("\t")[0] for line in stamp.splitlines()}
    assert "rules/schema.py" in names
    assert "data/oncotree.2025_10_03.json" in names
    assert not any("__pycache__" in name for name in names)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda path: path.write_bytes(b"not a pickle"), id="garbage"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:1000]), id="cut-short"),
        pytest.param(lambda path: path.chmod(0o620), id="group-writable"),
        pytest.param(lambda path: path.chmod(0o602), id="world-writable"),
        pytest.param(
            lambda path: path.write_bytes(pickle.dumps({"version": "1"})), id="wrong-content"
        ),
    ],
)
def test_a_spoiled_kept_set_is_not_used(tmp_path: Path, spy: list[object], spoil: object) -> None:
    expected = load_rules()
    load_rules_cached(directory=tmp_path)
    (kept,) = kept_files(tmp_path)
    spoil(kept)  # type: ignore[operator]
    assert_same_set(load_rules_cached(directory=tmp_path), expected)
    assert len(spy) == 2


def test_a_kept_set_of_other_bytes_is_not_used(tmp_path: Path, spy: list[object]) -> None:
    """A set kept under this name whose checksum is not that of the files read now (a file
    changed while it was made) is read again."""
    load_rules_cached(directory=tmp_path)
    (kept,) = kept_files(tmp_path)
    with kept.open("rb") as handle:
        parts = pickle.load(handle)
    parts["sha256"] = "0" * 64
    kept.write_bytes(pickle.dumps(parts))
    kept.chmod(0o600)
    ruleset = load_rules_cached(directory=tmp_path)
    assert len(spy) == 2
    assert ruleset.sha256 == load_rules().sha256


def test_a_file_changed_while_it_is_read_is_not_kept(
    tmp_path: Path, rules_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The set made of bytes other than those hashed to name it is used, not kept."""
    cache = tmp_path / "cache"
    genes = rules_copy / "genes.yaml"
    real = cache_module.load_rules

    def edited_meanwhile(*args: object, **options: object) -> RuleSet:
        genes.write_bytes(genes.read_bytes() + b"# edited\n")
        return real(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_module, "load_rules", edited_meanwhile)
    ruleset = load_rules_cached([rules_copy], bundled=False, directory=cache)
    assert ruleset.sha256 == load_rules([rules_copy], bundled=False).sha256
    assert kept_files(cache) == []


def test_rules_with_problems_are_not_kept(tmp_path: Path, rules_copy: Path) -> None:
    cache = tmp_path / "cache"
    (rules_copy / "genes.yaml").write_text("genes: [\n")
    for _ in range(2):
        with pytest.raises(RulesError) as raised:
            load_rules_cached([rules_copy], bundled=False, directory=cache)
        assert "YAML syntax error" in " ".join(raised.value.problems)
    assert kept_files(cache) == []
    with pytest.raises(RulesError) as raised:
        load_rules_cached([tmp_path / "missing.yaml"], directory=cache)
    assert "file not found" in " ".join(raised.value.problems)
    assert kept_files(cache) == []


def test_a_directory_that_cannot_be_written_reads_the_files(
    tmp_path: Path, spy: list[object]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    expected = load_rules()
    for _ in range(2):
        assert_same_set(load_rules_cached(directory=blocker / "cache"), expected)
    assert len(spy) == 2
    assert kept_files(tmp_path) == [blocker]


def test_another_oncotree_reads_the_files(tmp_path: Path, spy: list[object]) -> None:
    bundled = load_oncotree()
    lung = OncoTree(
        bundled.version, {code: bundled.get(code) for code in bundled.ancestors("LUAD")}
    )
    load_rules_cached(directory=tmp_path, oncotree=bundled)
    load_rules_cached(directory=tmp_path, oncotree=bundled)
    assert len(spy) == 1
    with pytest.raises(RulesError):  # the cross-checks ran against the other tree
        load_rules_cached(directory=tmp_path, oncotree=lung)
    assert len(spy) == 2


def test_at_most_kept_sets_stay(tmp_path: Path) -> None:
    for number in range(KEPT_SETS + 3):
        old = tmp_path / f"rules-{number:064x}.pickle"
        old.write_bytes(b"")
        os.utime(old, ns=(number, number))
    load_rules_cached(directory=tmp_path)
    names = [path.name for path in kept_files(tmp_path)]
    assert len(names) == KEPT_SETS
    newest_old = [f"rules-{n:064x}.pickle" for n in range(KEPT_SETS + 2, 3, -1)]
    assert set(newest_old) <= set(names)
    assert not any(name.startswith(".") for name in names), "no temporary file is left"


def test_a_file_left_by_a_killed_run_is_removed_an_hour_later(tmp_path: Path) -> None:
    old = tmp_path / ".rules-0.pickle.killed"
    recent = tmp_path / ".rules-1.pickle.writing"
    for path in (old, recent):
        path.write_bytes(b"part")
    os.utime(old, (0, 0))
    load_rules_cached(directory=tmp_path)
    assert not old.exists()
    assert recent.exists()


def test_where_sets_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert cache_directory() == tmp_path / "mine"
    monkeypatch.setenv(CACHE_ENV, "")
    assert cache_directory() is None
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_directory() == tmp_path / "xdg" / "resistance-annotator"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_directory() == tmp_path / "home" / ".cache" / "resistance-annotator"
    monkeypatch.delattr(os, "getuid")  # no owner to check a file's writer by: off
    assert cache_directory() is None


def test_a_run_from_the_cache_writes_what_a_run_without_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command, run with the cache off, then twice with it (the second from the cache):
    the same JSON but for the command line; the run from the cache reads no YAML."""
    cache = tmp_path / "cache"
    outputs = []
    for number, setting in enumerate(("", str(cache), str(cache))):
        monkeypatch.setenv(CACHE_ENV, setting)
        out = tmp_path / f"run{number}.json"
        modules = annotate_demo(out, tmp_path)
        data = json.loads(out.read_text())
        data.pop("command_line", None)
        outputs.append(data)
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(kept_files(cache)) == 1
    assert "yaml" not in packages(modules)
    assert "annotator.rules.loader" not in modules
