"""Tests for annotator.rules.loader: a valid set, one test per class of problem, the checksum,
the version, the gene index, and the bundled rules."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest
import yaml

from annotator.errors import RulesError, UsageError
from annotator.rules import RuleSet, bundled_rules_dir, load_rules
from annotator.rules import loader as loader_module

GENES = """\
genes:
  - symbol: EGFR
    ensembl_transcript: ENST00000275493
    strand: "+"
    sources: [test]
  - symbol: BCR
    ensembl_transcript: ENST00000305877
    strand: "+"
    sources: [test]
  - symbol: ABL1
    ensembl_transcript: ENST00000318560
    strand: "+"
    sources: [test]
"""

RULE = """\
  - id: {id}
    gene: {gene}
    alteration:
      {alteration}
    tumor_types:
      include: [{include}]
    effect: resistance
    therapies: [gefitinib]
    evidence_level: {level}
    citations: [PMID:12345]
"""


def rule(
    id: str = "EGFR-T790M-R",
    *,
    gene: str = "EGFR",
    alteration: str = "protein_changes: [T790M]",
    include: str = "NSCLC",
    level: str = "A",
) -> str:
    """One rule entry of a ``rules:`` list; its ``id:`` line is the first line."""
    return RULE.format(id=id, gene=gene, alteration=alteration, include=include, level=level)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def rules_file(directory: Path, *rules: str, name: str = "egfr.yaml") -> Path:
    return write(directory, name, "rules:\n" + "".join(rules))


def problems_of(paths: list[Path]) -> list[str]:
    with pytest.raises(RulesError) as caught:
        load_rules(paths, bundled=False)
    assert caught.value.problems, "a RulesError lists its problems"
    assert str(caught.value).startswith(f"found {len(caught.value.problems)} problem")
    for problem in caught.value.problems:
        assert "\n" not in problem
    return caught.value.problems


def only(problems: list[str], needle: str) -> str:
    found = [p for p in problems if needle in p]
    assert len(found) == 1, (needle, problems)
    return found[0]


@pytest.fixture
def genes(tmp_path: Path) -> Path:
    return write(tmp_path, "genes.yaml", GENES)


# --- a valid set ----------------------------------------------------------------------------


def test_valid_minimal_file(tmp_path: Path, genes: Path) -> None:
    rules = rules_file(
        tmp_path, rule(), rule("EGFR-L858R-S", alteration="protein_changes: [L858R]")
    )
    ruleset = load_rules([genes, rules], bundled=False)
    assert isinstance(ruleset, RuleSet)
    assert [r.id for r in ruleset.rules] == ["EGFR-T790M-R", "EGFR-L858R-S"]
    assert set(ruleset.genes) == {"EGFR", "BCR", "ABL1"}
    assert ruleset.files == (genes, rules)
    assert ruleset.version == "local"
    assert [r.id for r in ruleset.for_gene("EGFR")] == ["EGFR-T790M-R", "EGFR-L858R-S"]
    assert ruleset.for_gene("KRAS") == ()


def test_directory_expands_to_its_yaml_files_sorted(tmp_path: Path) -> None:
    write(tmp_path, "b.yml", "rules:\n" + rule("B-1"))
    write(tmp_path, "a.yaml", GENES + "rules:\n" + rule("A-1"))
    write(tmp_path, "notes.txt", "not rules")
    ruleset = load_rules([tmp_path], bundled=False)
    assert [p.name for p in ruleset.files] == ["a.yaml", "b.yml"]
    assert [r.id for r in ruleset.rules] == ["A-1", "B-1"]


def test_no_rules_at_all_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        load_rules([], bundled=False)


# --- per-file problems ----------------------------------------------------------------------


def test_invalid_value_names_file_line_rule_and_field(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(), rule("EGFR-X-R", level="Z"))
    # rules: line 1; first rule lines 2-11; the second rule's evidence_level is on line 20.
    assert problems_of([genes, path]) == [
        f"{path}: line 20: rule EGFR-X-R: evidence_level: not one of A, B, C, D (got 'Z')"
    ]


def test_unknown_key_suggests_the_field(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule() + "    evidence_levle: A\n")
    problem = only(problems_of([genes, path]), "evidence_levle")
    assert problem == (
        f"{path}: line 12: rule EGFR-T790M-R: evidence_levle: unknown key; "
        "did you mean evidence_level?"
    )


def test_missing_field(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule().replace("    effect: resistance\n", ""))
    assert problems_of([genes, path]) == [
        f"{path}: line 2: rule EGFR-T790M-R: effect: required but missing"
    ]


def test_nested_field_path_and_value(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(alteration='exon: "19"'))
    assert problems_of([genes, path]) == [
        f"{path}: line 5: rule EGFR-T790M-R: alteration.exon: expected an integer (got '19')"
    ]


def test_model_level_problem_has_no_value(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(alteration="{exon: 19, codons: [G719]}"))
    problem = only(problems_of([genes, path]), "alteration")
    assert problem.startswith(f"{path}: line 4: rule EGFR-T790M-R: alteration: give exactly one")
    assert "(got" not in problem


def test_long_values_are_truncated(tmp_path: Path, genes: Path) -> None:
    long_id = "x" * 200
    path = rules_file(tmp_path, rule(long_id))
    problem = only(problems_of([genes, path]), "not a rule id")
    assert "(got 'xxxx" in problem
    assert long_id not in problem
    assert len(problem) < len(str(path)) + 250


def test_rule_without_usable_id_is_named_by_position(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(), "  - just text\n")
    assert problems_of([genes, path]) == [
        f"{path}: line 12: rule #2: expected a mapping (got 'just text')"
    ]


def test_number_where_text_is_expected_hints_quotes(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule("1234"))
    problem = only(problems_of([genes, path]), ": id:")
    assert problem == (
        f"{path}: line 2: rule #1: id: expected a string (got 1234); "
        "put it in quotes: YAML read it as a number"
    )


def test_gene_table_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "genes.yaml",
        'genes:\n  - symbol: EGFR\n    ensembl_transcript: ENST1\n    strand: "+"\n'
        "    sources: [test]\n",
    )
    assert problems_of([path]) == [
        f"{path}: line 3: gene EGFR: ensembl_transcript: not an unversioned Ensembl transcript "
        "id such as ENST00000275493 (got 'ENST1')"
    ]


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "rules:\n  - id: [unclosed\n    gene: EGFR\n")
    (problem,) = problems_of([path])
    assert problem.startswith(f"{path}: line 3, column 9: YAML syntax error: ")


def test_unsafe_yaml_tag_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "rules: !!python/object:os.system {}\n")
    (problem,) = problems_of([path])
    assert problem.startswith(f"{path}: line 1, column 8: YAML syntax error: ")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    problems = problems_of([tmp_path / "gone.yaml", tmp_path / "gone"])
    assert problems == [
        f"{tmp_path / 'gone.yaml'}: file not found",
        f"{tmp_path / 'gone'}: file not found",
    ]


def test_directory_without_rules_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert problems_of([empty]) == [f"{empty}: no *.yaml or *.yml files in this directory"]


def test_not_a_mapping_at_top(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yaml", "- id: X\n")
    assert problems_of([path]) == [
        f"{path}: line 1: expected a mapping with keys version, genes, rules at the top "
        "(got a list)"
    ]


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.yaml", "# nothing here\n")
    (problem,) = problems_of([path])
    assert problem.startswith(f"{path}: line 1: expected a mapping")
    assert "(got an empty file)" in problem


def test_unknown_top_level_key(tmp_path: Path, genes: Path) -> None:
    path = write(tmp_path, "egfr.yaml", "rules:\n" + rule() + "rule:\n  - x\n")
    assert problems_of([genes, path]) == [
        f"{path}: line 12: rule: unknown key; did you mean rules?"
    ]


def test_version_outside_the_manifest(tmp_path: Path, genes: Path) -> None:
    path = write(tmp_path, "egfr.yaml", "version: 1.0\nrules:\n" + rule())
    assert problems_of([genes, path]) == [
        f"{path}: line 1: version: read only from manifest.yaml (got 1.0); remove it here"
    ]


def test_key_given_twice(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule() + "    evidence_level: B\n")
    assert problems_of([genes, path]) == [
        f"{path}: line 12: rule EGFR-T790M-R: evidence_level: key given twice, first at line 10"
    ]


def test_same_file_twice(tmp_path: Path, genes: Path) -> None:
    problems = problems_of([genes, genes])
    assert problems == [f"{genes}: loaded twice (also as {genes})"]


# --- cross-checks ---------------------------------------------------------------------------


def test_duplicate_rule_id_names_both_places(tmp_path: Path, genes: Path) -> None:
    first = rules_file(tmp_path, rule(), name="a.yaml")
    second = rules_file(tmp_path, rule("OTHER-1"), rule(), name="b.yaml")
    assert problems_of([genes, first, second]) == [
        f"{second}: line 12: rule EGFR-T790M-R: id: duplicate rule id, first at {first} line 2"
    ]


def test_duplicate_gene_symbol(tmp_path: Path, genes: Path) -> None:
    again = write(tmp_path, "more_genes.yaml", GENES)
    problems = problems_of([genes, again])
    assert problems[0] == (
        f"{again}: line 2: gene EGFR: symbol: duplicate gene symbol, first at {genes} line 2"
    )
    assert len(problems) == 3


def test_gene_not_in_gene_table(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(gene="KRAS", alteration="codons: [G12]"))
    assert problems_of([genes, path]) == [
        f"{path}: line 3: rule EGFR-T790M-R: gene: not in the gene table (got 'KRAS'); "
        "add it under genes: with its MANE Select transcript"
    ]


def test_fusion_partners_must_be_in_gene_table(tmp_path: Path, genes: Path) -> None:
    path = rules_file(
        tmp_path,
        rule("FUSION-1", gene="BCR::ABL1", alteration="fusion: BCR::ABL1"),
        rule("FUSION-2", gene="ETV6::NTRK3", alteration="fusion: ETV6::NTRK3"),
    )
    problems = problems_of([genes, path])
    assert problems == [
        f"{path}: line 13: rule FUSION-2: gene: fusion partner not in the gene table "
        f"(got '{partner}'); add it under genes: with its MANE Select transcript"
        for partner in ("ETV6", "NTRK3")
    ]


def test_condition_gene_must_be_in_gene_table(tmp_path: Path, genes: Path) -> None:
    entry = rule() + "    requires:\n      - gene: MET\n        copy_number: amplification\n"
    path = rules_file(tmp_path, entry)
    assert problems_of([genes, path]) == [
        f"{path}: line 13: rule EGFR-T790M-R: requires.0.gene: not in the gene table "
        "(got 'MET'); add it under genes: with its MANE Select transcript"
    ]


def test_biomarker_genes_are_built_in(tmp_path: Path, genes: Path) -> None:
    path = rules_file(
        tmp_path, rule("MSI-1", gene="MSI", alteration="biomarker: MSI-H", include="ALL")
    )
    ruleset = load_rules([genes, path], bundled=False)
    assert [r.id for r in ruleset.for_gene("MSI")] == ["MSI-1"]
    assert "MSI" not in ruleset.gene_symbols


def test_unknown_tumor_type_suggests_codes(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(include="NSCLC, LUADX"))
    (problem,) = problems_of([genes, path])
    assert problem.startswith(
        f"{path}: line 7: rule EGFR-T790M-R: tumor_types.include.1: "
        "unknown OncoTree code 'LUADX'; did you mean LUAD"
    )


def test_retired_tumor_type_names_replacement(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(include="GBM"))
    (problem,) = problems_of([genes, path])
    assert f"{path}: line 7: rule EGFR-T790M-R: tumor_types.include.0:" in problem
    assert "use GB " in problem


def test_tumor_type_in_other_case(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(include="luad"))
    assert problems_of([genes, path]) == [
        f"{path}: line 7: rule EGFR-T790M-R: tumor_types.include.0: not written as in OncoTree "
        "(got 'luad'); write LUAD"
    ]


def test_all_only_in_include(tmp_path: Path, genes: Path) -> None:
    entry = rule(include="ALL").replace("[ALL]\n", "[ALL]\n      exclude: [ALL]\n")
    path = rules_file(tmp_path, entry)
    assert problems_of([genes, path]) == [
        f"{path}: line 8: rule EGFR-T790M-R: tumor_types.exclude.0: "
        "'ALL' is allowed only in include"
    ]


def test_exclude_must_narrow_include(tmp_path: Path, genes: Path) -> None:
    narrowing = rule().replace(
        "      include: [NSCLC]\n", "      include: [NSCLC]\n      exclude: [LUAD]\n"
    )
    useless = rule("EGFR-2").replace(
        "      include: [NSCLC]\n", "      include: [NSCLC]\n      exclude: [BRCA]\n"
    )
    path = rules_file(tmp_path, narrowing, useless)
    (problem,) = problems_of([genes, path])
    assert problem.startswith(f"{path}: line 19: rule EGFR-2: tumor_types.exclude.0: not below")


def test_unreadable_protein_change(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(alteration="protein_changes: [T790M, T790]"))
    assert problems_of([genes, path]) == [
        f"{path}: line 5: rule EGFR-T790M-R: alteration.protein_changes.1: cannot read protein "
        "change 'T790': not an HGVS protein change such as p.Thr790Met, p.T790M or T790M"
    ]


def test_unreadable_codon(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(alteration="codons: [G1234567890]"))
    (problem,) = problems_of([genes, path])
    assert problem.startswith(
        f"{path}: line 5: rule EGFR-T790M-R: alteration.codons.0: cannot read"
    )


def test_unreadable_protein_change_in_a_condition(tmp_path: Path, genes: Path) -> None:
    entry = rule() + "    excludes:\n      - gene: EGFR\n        protein_changes: [C797]\n"
    path = rules_file(tmp_path, entry)
    (problem,) = problems_of([genes, path])
    assert problem.startswith(f"{path}: line 14: rule EGFR-T790M-R: excludes.0.protein_changes.0:")


def test_gene_without_rules_is_fine(tmp_path: Path, genes: Path) -> None:
    ruleset = load_rules([genes], bundled=False)
    assert ruleset.rules == ()
    assert set(ruleset.genes) == {"EGFR", "BCR", "ABL1"}


def test_every_problem_is_reported_in_one_pass(tmp_path: Path, genes: Path) -> None:
    broken = rule("BAD-1", level="Z", include="LUADX").replace("[T790M]", "[T790]")
    path = rules_file(
        tmp_path,
        broken,
        rule("BAD-2", gene="KRAS", alteration="codons: [G12]"),
        rule("BAD-3") + "    evidence_levle: A\n",
        rule("BAD-1"),
    )
    problems = problems_of([genes, path])
    expected = [
        (10, "BAD-1", "evidence_level: not one of A, B, C, D (got 'Z')"),
        (32, "BAD-3", "evidence_levle: unknown key"),
        (33, "BAD-1", "id: duplicate rule id"),
        (5, "BAD-1", "alteration.protein_changes.0: cannot read protein change 'T790'"),
        (7, "BAD-1", "tumor_types.include.0: unknown OncoTree code 'LUADX'"),
        (13, "BAD-2", "gene: not in the gene table (got 'KRAS')"),
    ]
    for line, rule_id, text in expected:
        assert any(
            p.startswith(f"{path}: line {line}: rule {rule_id}: {text}") for p in problems
        ), (
            line,
            rule_id,
            text,
            problems,
        )
    assert len(problems) == len(expected)


# --- checksum and version -------------------------------------------------------------------


def test_sha256_is_over_the_bytes_in_load_order(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule())
    ruleset = load_rules([genes, path], bundled=False)
    expected = hashlib.sha256(genes.read_bytes() + path.read_bytes()).hexdigest()
    assert ruleset.sha256 == expected
    assert load_rules([genes, path], bundled=False).sha256 == expected


def test_sha256_changes_when_a_byte_changes(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule())
    before = load_rules([genes, path], bundled=False).sha256
    path.write_bytes(path.read_bytes().replace(b"gefitinib", b"gefitinic"))
    assert load_rules([genes, path], bundled=False).sha256 != before


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "bundled"
    directory.mkdir()
    write(directory, "manifest.yaml", 'version: "2026.1.0"\n')
    write(directory, "genes.yaml", GENES)
    write(directory, "egfr.yaml", "rules:\n" + rule())
    monkeypatch.setattr(loader_module, "bundled_rules_dir", lambda: directory)
    return directory


def test_version_of_the_bundled_set(bundled: Path) -> None:
    ruleset = load_rules()
    assert ruleset.version == "2026.1.0"
    assert [p.name for p in ruleset.files] == ["egfr.yaml", "genes.yaml", "manifest.yaml"]


def test_version_with_extra_files(bundled: Path, tmp_path: Path) -> None:
    extra = rules_file(tmp_path, rule("LOCAL-1"), name="local.yaml")
    ruleset = load_rules([extra])
    assert ruleset.version == "2026.1.0+local"
    assert ruleset.files[-1] == extra
    assert [r.id for r in ruleset.for_gene("EGFR")] == ["EGFR-T790M-R", "LOCAL-1"]


def test_version_of_extra_files_alone(bundled: Path, tmp_path: Path) -> None:
    extra = rules_file(tmp_path, rule("LOCAL-1"), name="local.yaml")
    assert load_rules([bundled / "genes.yaml", extra], bundled=False).version == "local"


def test_bundled_set_needs_a_manifest(bundled: Path) -> None:
    (bundled / "manifest.yaml").unlink()
    with pytest.raises(RulesError) as caught:
        load_rules()
    assert caught.value.problems[0].endswith(
        "manifest.yaml: file not found; the bundled rules need a manifest with their version"
    )


def test_bundled_manifest_needs_a_version(bundled: Path) -> None:
    write(bundled, "manifest.yaml", "genes: []\n")
    with pytest.raises(RulesError) as caught:
        load_rules()
    assert caught.value.problems == [
        f"{bundled / 'manifest.yaml'}: line 1: version: required in the bundled manifest"
    ]


def test_extra_rule_clashing_with_bundled_id(bundled: Path, tmp_path: Path) -> None:
    extra = rules_file(tmp_path, rule(), name="local.yaml")
    with pytest.raises(RulesError) as caught:
        load_rules([extra])
    assert caught.value.problems == [
        f"{extra}: line 2: rule EGFR-T790M-R: id: duplicate rule id, "
        f"first at {bundled / 'egfr.yaml'} line 2"
    ]


# --- index ----------------------------------------------------------------------------------


def test_for_gene_indexes_fusions_under_name_and_partners(tmp_path: Path, genes: Path) -> None:
    path = rules_file(
        tmp_path,
        rule(),
        rule("BCR-ABL1-S", gene="BCR::ABL1", alteration="fusion: BCR::ABL1", include="CML"),
    )
    ruleset = load_rules([genes, path], bundled=False)
    assert [r.id for r in ruleset.for_gene("BCR::ABL1")] == ["BCR-ABL1-S"]
    assert [r.id for r in ruleset.for_gene("BCR")] == ["BCR-ABL1-S"]
    assert [r.id for r in ruleset.for_gene("ABL1")] == ["BCR-ABL1-S"]
    assert [r.id for r in ruleset.for_gene("EGFR")] == ["EGFR-T790M-R"]
    assert ruleset.gene_symbols == frozenset({"EGFR", "BCR", "ABL1"})


def test_ruleset_is_read_only(tmp_path: Path, genes: Path) -> None:
    ruleset = load_rules([genes], bundled=False)
    with pytest.raises(TypeError):
        ruleset.genes["KRAS"] = ruleset.genes["EGFR"]  # type: ignore[index]


# --- the bundled rules ----------------------------------------------------------------------


def test_bundled_rules_dir_is_the_repository_rules_folder() -> None:
    assert bundled_rules_dir() == Path(__file__).resolve().parents[1] / "rules"


def test_bundled_rules_load() -> None:
    directory = bundled_rules_dir()
    if not (directory / "manifest.yaml").is_file():
        pytest.skip("the bundled rules are not written yet")
    ruleset = load_rules()
    manifest = yaml.safe_load((directory / "manifest.yaml").read_text(encoding="utf-8"))
    assert ruleset.version == manifest["version"]
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    assert ruleset.files == tuple(files)
    assert ruleset.sha256 == hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()
    assert ruleset.rules
    for rule_ in ruleset.rules:
        assert rule_ in ruleset.for_gene(rule_.gene)
