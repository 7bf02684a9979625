"""Tests for annotator.tumor_types against the bundled OncoTree release."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from annotator.errors import InputError
from annotator.tumor_types import OncoTree, TumorType, load_oncotree


@pytest.fixture(scope="module")
def tree() -> OncoTree:
    return load_oncotree()


def test_version_and_node_count(tree: OncoTree) -> None:
    assert tree.version == "oncotree_2025_10_03"
    assert len(tree) == 898  # TISSUE + 897 tumor types


def test_bundled_tree_is_loaded_once() -> None:
    assert load_oncotree() is load_oncotree()


def test_get_returns_the_node(tree: OncoTree) -> None:
    assert tree.get("LUAD") == TumorType(
        code="LUAD",
        name="Lung Adenocarcinoma",
        main_type="Non-Small Cell Lung Cancer",
        tissue="Lung",
        parent="NSCLC",
        level=3,
    )
    root = tree.get("TISSUE")
    assert (root.parent, root.level, root.main_type, root.tissue) == (None, 0, None, None)


def test_get_unknown_code_raises_key_error(tree: OncoTree) -> None:
    with pytest.raises(KeyError):
        tree.get("LUADX")


def test_contains(tree: OncoTree) -> None:
    assert "LUAD" in tree
    assert "luad" in tree
    assert "LUADX" not in tree
    assert "GBM" not in tree
    assert "ALL" not in tree
    assert 12 not in tree


def test_ancestors_from_code_to_tissue(tree: OncoTree) -> None:
    assert tree.ancestors("LUAD") == ["LUAD", "NSCLC", "LUNG", "TISSUE"]
    assert tree.ancestors("CMLBCRABL1") == ["CMLBCRABL1", "CML", "MPN", "MNM", "MYELOID", "TISSUE"]
    assert tree.ancestors("TISSUE") == ["TISSUE"]


@pytest.mark.parametrize(
    ("code", "ancestor", "expected"),
    [
        ("LUAD", "NSCLC", True),
        ("LUAD", "LUNG", True),
        ("NSCLC", "LUNG", True),
        ("LUAD", "LUAD", True),
        ("NSCLC", "LUAD", False),
        ("SKCM", "MEL", True),
        ("COAD", "COADREAD", True),
        ("CMLBCRABL1", "CML", True),
        ("HGSOC", "OVARY", True),
        ("IDC", "BRCA", True),
        ("LUAD", "BRCA", False),
        ("luad", "nsclc", True),
    ],
)
def test_is_within(tree: OncoTree, code: str, ancestor: str, expected: bool) -> None:
    assert tree.is_within(code, ancestor) is expected


def test_is_within_unknown_code_raises(tree: OncoTree) -> None:
    with pytest.raises(KeyError):
        tree.is_within("LUADX", "LUNG")


def test_suggest_close_codes(tree: OncoTree) -> None:
    assert "LUAD" in tree.suggest("LUADX")
    assert len(tree.suggest("LUADX", limit=2)) <= 2


def test_suggest_by_name(tree: OncoTree) -> None:
    assert "GB" in tree.suggest("glioblastoma")


def test_require_upper_cases(tree: OncoTree) -> None:
    assert tree.require("luad").code == "LUAD"
    assert tree.require(" LUAD ").code == "LUAD"


def test_require_unknown_code_suggests(tree: OncoTree) -> None:
    with pytest.raises(InputError) as caught:
        tree.require("LUADX")
    assert caught.value.message == "unknown OncoTree code 'LUADX'"
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("did you mean LUAD")
    assert "https://oncotree.info" in caught.value.hint
    assert caught.value.exit_code == 1  # the issue: an unknown tumor type exits 1


def test_require_retired_code_names_its_replacement(tree: OncoTree) -> None:
    with pytest.raises(InputError) as caught:
        tree.require("GBM")
    assert "GBM" in caught.value.message
    assert caught.value.hint is not None
    assert re.search(r"\bGB\b", caught.value.hint)


@pytest.mark.parametrize(
    ("old", "new"), [("DIPG", "DMG"), ("MFT", "FT"), ("AASTR", "ASTR"), ("all", "BLL")]
)
def test_require_retired_codes(tree: OncoTree, old: str, new: str) -> None:
    with pytest.raises(InputError) as caught:
        tree.require(old)
    assert re.search(rf"\b{new}\b", str(caught.value))


def test_all_is_not_a_tumor_type(tree: OncoTree) -> None:
    with pytest.raises(InputError, match="rules keyword"):
        tree.require("ALL")


def test_bundled_file_is_the_unmodified_release() -> None:
    import hashlib

    data = Path(__file__).parents[1] / "annotator" / "data"
    digest = hashlib.sha256((data / "oncotree.2025_10_03.json").read_bytes()).hexdigest()
    assert digest == "613c84ebecce7b47fb6800a94efecf8c7edbc25120401d898591d3b478c36231"
    assert "CC BY 4.0" in (data / "ONCOTREE_LICENSE.md").read_text(encoding="utf-8")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_oncotree(tmp_path / "oncotree.json")


def test_non_json_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "oncotree.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not JSON") as caught:
        load_oncotree(path)
    assert caught.value.path == str(path)


def test_json_without_tree_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "oncotree.json"
    path.write_text(json.dumps({"TISSUE": {"code": "TISSUE"}}), encoding="utf-8")
    with pytest.raises(InputError, match="not an OncoTree release"):
        load_oncotree(path)


def test_small_custom_tree(tmp_path: Path) -> None:
    def node(
        code: str, parent: str | None, level: int, children: list[dict[str, object]]
    ) -> dict[str, object]:
        return {
            "code": code,
            "name": code.title(),
            "mainType": None if parent is None else "Main",
            "tissue": None if parent is None else "Tissue",
            "parent": parent,
            "level": level,
            "history": [],
            "revocations": ["OLD"] if code == "B" else [],
            "precursors": [],
            "children": {child["code"]: child for child in children},
        }

    root = node("TISSUE", None, 0, [node("A", "TISSUE", 1, [node("B", "A", 2, [])])])
    path = tmp_path / "oncotree_2020_01_01.json"
    path.write_text(json.dumps({"TISSUE": root}), encoding="utf-8")
    tree = load_oncotree(path)
    assert tree.version == "oncotree_2020_01_01"
    assert tree.ancestors("B") == ["B", "A", "TISSUE"]
    with pytest.raises(InputError, match="use B"):
        tree.require("OLD")
