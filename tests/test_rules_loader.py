"""Tests for annotator.rules.loader: a valid set, one test per class of problem, the checksum,
the version, the gene index, and the bundled rules."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest
import yaml

from annotator.errors import RulesError, UsageError
from annotator.rules import RuleOrigin, RuleSet, bundled_rules_dir, load_rules
from annotator.rules import files as files_module

GENES = """\
genes:
  - symbol: EGFR
    hgnc_id: "HGNC:3236"
    ensembl_transcript: ENST00000275493
    strand: "+"
    sources: [test]
  - symbol: BCR
    hgnc_id: "HGNC:1014"
    ensembl_transcript: ENST00000305877
    strand: "+"
    sources: [test]
  - symbol: ABL1
    hgnc_id: "HGNC:76"
    ensembl_transcript: ENST00000318560
    strand: "+"
    sources: [test]
"""

DRUGS = """\
drugs:
  - name: gefitinib
    classes: [first-generation EGFR TKI]
    brand_names: [Iressa]
    synonyms: [ZD1839]
    sources: [test]
  - name: imatinib
    classes: [BCR-ABL1 TKI]
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
    therapies: [{therapies}]
    evidence_level: {level}
    citations: [PMID:12345]
    examples: [{{alteration: EGFR p.T790M, tumor_type: LUAD}}]
"""


def rule(
    id: str = "EGFR-T790M-R",
    *,
    gene: str = "EGFR",
    alteration: str = "protein_changes: [T790M]",
    include: str = "NSCLC",
    level: str = "A",
    therapies: str = "gefitinib",
) -> str:
    """One rule entry of a ``rules:`` list (11 lines); its ``id:`` line is the first line."""
    return RULE.format(
        id=id,
        gene=gene,
        alteration=alteration,
        include=include,
        level=level,
        therapies=therapies,
    )


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
    """The gene table and the drug table."""
    return write(tmp_path, "genes.yaml", GENES + DRUGS)


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
    write(tmp_path, "a.yaml", GENES + DRUGS + "rules:\n" + rule("A-1"))
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
    # rules: line 1; first rule lines 2-12; the second rule's evidence_level is on line 21.
    assert problems_of([genes, path]) == [
        f"{path}: line 21: rule EGFR-X-R: evidence_level: not one of A, B, C, D (got 'Z')"
    ]


def test_unknown_key_suggests_the_field(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule() + "    evidence_levle: A\n")
    problem = only(problems_of([genes, path]), "evidence_levle")
    assert problem == (
        f"{path}: line 13: rule EGFR-T790M-R: evidence_levle: unknown key; "
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
        f"{path}: line 13: rule #2: expected a mapping (got 'just text')"
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
        'genes:\n  - symbol: EGFR\n    hgnc_id: "HGNC:3236"\n    ensembl_transcript: ENST1\n'
        '    strand: "+"\n    sources: [test]\n',
    )
    assert problems_of([path]) == [
        f"{path}: line 4: gene EGFR: ensembl_transcript: not an unversioned Ensembl transcript "
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
        f"{path}: line 1: expected a mapping with keys version, genes, hotspots, drugs, rules "
        "at the top "
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
        f"{path}: line 13: rule: unknown key; did you mean rules?"
    ]


def test_version_outside_the_manifest(tmp_path: Path, genes: Path) -> None:
    path = write(tmp_path, "egfr.yaml", "version: 1.0\nrules:\n" + rule())
    assert problems_of([genes, path]) == [
        f"{path}: line 1: version: read only from manifest.yaml (got 1.0); remove it here"
    ]


def test_key_given_twice(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule() + "    evidence_level: B\n")
    assert problems_of([genes, path]) == [
        f"{path}: line 13: rule EGFR-T790M-R: evidence_level: key given twice, first at line 10"
    ]


def test_same_file_twice(tmp_path: Path, genes: Path) -> None:
    problems = problems_of([genes, genes])
    assert problems == [f"{genes}: loaded twice (also as {genes})"]


# --- cross-checks ---------------------------------------------------------------------------


def test_duplicate_rule_id_names_both_places(tmp_path: Path, genes: Path) -> None:
    first = rules_file(tmp_path, rule(), name="a.yaml")
    second = rules_file(tmp_path, rule("OTHER-1"), rule(), name="b.yaml")
    assert problems_of([genes, first, second]) == [
        f"{second}: line 13: rule EGFR-T790M-R: id: duplicate rule id, first at {first} line 2"
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
        f"{path}: line 14: rule FUSION-2: gene: fusion partner not in the gene table "
        f"(got '{partner}'); add it under genes: with its MANE Select transcript"
        for partner in ("ETV6", "NTRK3")
    ]


def test_condition_gene_must_be_in_gene_table(tmp_path: Path, genes: Path) -> None:
    entry = rule() + "    requires:\n      - gene: MET\n        copy_number: amplification\n"
    path = rules_file(tmp_path, entry)
    assert problems_of([genes, path]) == [
        f"{path}: line 14: rule EGFR-T790M-R: requires.0.gene: not in the gene table "
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
    assert problem.startswith(f"{path}: line 20: rule EGFR-2: tumor_types.exclude.0: not below")


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
    assert problem.startswith(f"{path}: line 15: rule EGFR-T790M-R: excludes.0.protein_changes.0:")


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
        (35, "BAD-3", "evidence_levle: unknown key"),
        (36, "BAD-1", "id: duplicate rule id"),
        (5, "BAD-1", "alteration.protein_changes.0: cannot read protein change 'T790'"),
        (7, "BAD-1", "tumor_types.include.0: unknown OncoTree code 'LUADX'"),
        (14, "BAD-2", "gene: not in the gene table (got 'KRAS')"),
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
    path.write_bytes(path.read_bytes().replace(b"PMID:12345", b"PMID:12346"))
    assert load_rules([genes, path], bundled=False).sha256 != before


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "bundled"
    directory.mkdir()
    write(directory, "manifest.yaml", 'version: "2026.1.0"\n')
    write(directory, "genes.yaml", GENES + DRUGS)
    write(directory, "egfr.yaml", "rules:\n" + rule())
    monkeypatch.setattr(files_module, "bundled_rules_dir", lambda: directory)
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


# --- hotspots, drugs, exons and examples ----------------------------------------------------

EGFR_WITH_EXONS = """\
genes:
  - symbol: EGFR
    hgnc_id: "HGNC:3236"
    ensembl_transcript: ENST00000275493
    strand: "+"
    spans:
      GRCh37: {chrom: "7", start: 55086710, end: 55279321}
      GRCh38: {chrom: "7", start: 55019017, end: 55211628}
    exons:
      - {number: 19, cds_start: 2185, cds_end: 2283, sources: [test]}
      - {number: 20, cds_start: 2284, cds_end: 2469, sources: [test]}
    sources: [test]
"""

T790M_HOTSPOT = """\
  - gene: EGFR
    protein_change: {change}
    hgvsc: c.2369C>T
    alleles:
      GRCh37: {{chrom: "{chrom37}", pos: 55249071, ref: {ref37}, alt: T}}
      GRCh38: {{chrom: "7", pos: {pos38}, ref: C, alt: T}}
    sources: [test]
"""


def hotspot(
    change: str = "T790M", *, chrom37: str = "7", ref37: str = "C", pos38: int = 55181378
) -> str:
    """One entry of a ``hotspots:`` list (EGFR T790M unless told otherwise)."""
    return T790M_HOTSPOT.format(change=change, chrom37=chrom37, ref37=ref37, pos38=pos38)


@pytest.fixture
def egfr_genes(tmp_path: Path) -> Path:
    """EGFR with spans and an exon table (19, 20), plus the drug table."""
    return write(tmp_path, "genes.yaml", EGFR_WITH_EXONS + DRUGS)


def test_hotspots_drugs_and_origins_of_a_valid_set(tmp_path: Path, egfr_genes: Path) -> None:
    hotspots = write(tmp_path, "hotspots.yaml", "hotspots:\n" + hotspot())
    rules = rules_file(tmp_path, rule(), rule("EGFR-EX19-R", alteration="exon: 19"))
    ruleset = load_rules([egfr_genes, hotspots, rules], bundled=False)
    (t790m,) = ruleset.hotspots
    assert t790m.protein_change == "T790M"
    assert ruleset.hotspot_index("GRCh38") == {("7", 55181378, "C", "T"): (t790m,)}
    assert ruleset.hotspot_index("GRCh37") == {("7", 55249071, "C", "T"): (t790m,)}
    assert ruleset.hotspot_index("NCBI36") == {}
    assert sorted(ruleset.drugs) == ["gefitinib", "imatinib"]
    for name in ("gefitinib", "GEFITINIB", "Iressa", "iressa", "zd1839", " ZD1839 "):
        found = ruleset.drug_lookup(name)
        assert found is not None
        assert found.name == "gefitinib"
    assert ruleset.drug_lookup("first-generation EGFR TKI") is None  # a class, not a name
    assert ruleset.drug_lookup("osimertinib") is None
    assert ruleset.origin("EGFR-T790M-R") == RuleOrigin(rules, 2)
    assert ruleset.origin("EGFR-EX19-R") == RuleOrigin(rules, 13)
    assert str(ruleset.origin("EGFR-EX19-R")) == f"{rules}:13"
    assert ruleset.origin("NOPE") is None


def test_hotspot_index_is_read_only(tmp_path: Path, egfr_genes: Path) -> None:
    hotspots = write(tmp_path, "hotspots.yaml", "hotspots:\n" + hotspot())
    index = load_rules([egfr_genes, hotspots], bundled=False).hotspot_index("GRCh38")
    with pytest.raises(TypeError):
        index[("1", 1, "A", "C")] = ()  # type: ignore[index]


def test_sections_are_a_union_over_files(tmp_path: Path) -> None:
    """A rule may name a drug and gene of another file; a hotspot a gene of another file."""
    drugs = write(tmp_path, "a_drugs.yaml", DRUGS)
    rules = rules_file(tmp_path, rule(), name="b_rules.yaml")
    hotspots = write(tmp_path, "c_hotspots.yaml", "hotspots:\n" + hotspot())
    genes = write(tmp_path, "d_genes.yaml", GENES)
    ruleset = load_rules([tmp_path], bundled=False)
    assert ruleset.files == (drugs, rules, hotspots, genes)
    assert len(ruleset.hotspots) == 1
    assert set(ruleset.drugs) == {"gefitinib", "imatinib"}


def test_therapy_not_in_drug_table(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(therapies="gefitinib + trametinib, osimertinib"))
    hint = "add it under drugs: with its classes and sources"
    assert problems_of([genes, path]) == [
        f"{path}: line 9: rule EGFR-T790M-R: therapies.0: not in the drug table "
        f"(got 'trametinib'); {hint}",
        f"{path}: line 9: rule EGFR-T790M-R: therapies.1: not in the drug table "
        f"(got 'osimertinib'); {hint}",
    ]


def test_therapy_check_waits_for_a_readable_drug_table(tmp_path: Path, genes: Path) -> None:
    broken = write(tmp_path, "drugs.yaml", "drugs: [just text]\n")
    path = rules_file(tmp_path, rule(therapies="osimertinib"))
    problems = problems_of([genes, broken, path])
    assert problems == [f"{broken}: line 1: drug #1: expected a mapping (got 'just text')"]


def test_duplicate_drug_name(tmp_path: Path, genes: Path) -> None:
    again = write(tmp_path, "more.yaml", DRUGS)
    problems = problems_of([genes, again])
    assert problems == [
        f"{again}: line 2: drug gefitinib: name: duplicate drug name, first at {genes} line 18",
        f"{again}: line 7: drug imatinib: name: duplicate drug name, first at {genes} line 23",
    ]


def test_brand_name_or_synonym_of_two_drugs(tmp_path: Path, genes: Path) -> None:
    path = write(
        tmp_path,
        "drugs.yaml",
        "drugs:\n"
        "  - name: erlotinib\n"
        "    classes: [first-generation EGFR TKI]\n"
        "    brand_names: [Tarceva, IRESSA]\n"
        "    synonyms: [Gefitinib, OSI-774]\n"
        "    sources: [test]\n",
    )
    hint = "a name, brand name or synonym names one drug"
    assert problems_of([genes, path]) == [
        f"{path}: line 4: drug erlotinib: brand_names.1: 'IRESSA' is also a name of drug "
        f"gefitinib, first at {genes} line 18; {hint}",
        f"{path}: line 5: drug erlotinib: synonyms.0: 'Gefitinib' is also a name of drug "
        f"gefitinib, first at {genes} line 18; {hint}",
    ]


def test_hotspot_gene_not_in_gene_table(tmp_path: Path, genes: Path) -> None:
    path = write(
        tmp_path, "hotspots.yaml", "hotspots:\n" + hotspot().replace("gene: EGFR", "gene: KRAS")
    )
    assert problems_of([genes, path]) == [
        f"{path}: line 2: hotspot KRAS T790M: gene: not in the gene table (got 'KRAS'); "
        "add it under genes: with its MANE Select transcript"
    ]


def test_hotspot_protein_change_in_normalized_form(tmp_path: Path, genes: Path) -> None:
    path = write(
        tmp_path,
        "hotspots.yaml",
        "hotspots:\n" + hotspot("p.Thr790Met") + hotspot("T790").replace("55181378", "55181379"),
    )
    problems = problems_of([genes, path])
    assert problems == [
        f"{path}: line 3: hotspot EGFR p.Thr790Met: protein_change: not in the normalized "
        "one-letter form rules use (got 'p.Thr790Met'); write T790M",
        f"{path}: line 10: hotspot EGFR T790: protein_change: cannot read protein change "
        "'T790': not an HGVS protein change such as p.Thr790Met, p.T790M or T790M",
    ]


def test_hotspot_chromosome_without_chr(tmp_path: Path, genes: Path) -> None:
    path = write(tmp_path, "hotspots.yaml", "hotspots:\n" + hotspot(chrom37="chr7"))
    assert problems_of([genes, path]) == [
        f"{path}: line 6: hotspot EGFR T790M: alleles.GRCh37.chrom: write the chromosome "
        "without chr (got 'chr7'); write 7"
    ]


def test_hotspot_builds_must_agree(tmp_path: Path, genes: Path) -> None:
    path = write(tmp_path, "hotspots.yaml", "hotspots:\n" + hotspot(chrom37="12", ref37="CA"))
    assert problems_of([genes, path]) == [
        f"{path}: line 7: hotspot EGFR T790M: alleles.GRCh38.chrom: not the chromosome of the "
        "GRCh37 allele (12) (got '7'); both builds place a hotspot on the same chromosome",
        f"{path}: line 7: hotspot EGFR T790M: alleles.GRCh38.ref: REF length 1 differs from "
        "the GRCh37 allele's ('CA', length 2) (got 'C'); both builds describe the same change",
    ]


def test_hotspot_inside_the_gene_span(tmp_path: Path, egfr_genes: Path) -> None:
    path = write(tmp_path, "hotspots.yaml", "hotspots:\n" + hotspot(pos38=55249071))
    assert problems_of([egfr_genes, path]) == [
        f"{path}: line 7: hotspot EGFR T790M: alleles.GRCh38.pos: outside the EGFR GRCh38 span "
        "7:55019017-55211628 (got '7:55249071'); check the build and the position"
    ]


def test_hotspot_span_check_needs_a_span(tmp_path: Path, genes: Path) -> None:
    path = write(tmp_path, "hotspots.yaml", "hotspots:\n" + hotspot(pos38=55249071))
    assert len(load_rules([genes, path], bundled=False).hotspots) == 1


def test_duplicate_hotspot(tmp_path: Path, genes: Path) -> None:
    other_allele = hotspot().replace("alt: T}}", "alt: A}}").replace("alt: T}", "alt: A}")
    path = write(tmp_path, "hotspots.yaml", "hotspots:\n" + hotspot() + other_allele + hotspot())
    assert problems_of([genes, path]) == [
        f"{path}: line 16: hotspot EGFR T790M: duplicate hotspot (same gene, protein change "
        f"and alleles), first at {path} line 2"
    ]


def test_exon_numbers_unique_and_cds_ranges_apart(tmp_path: Path) -> None:
    text = EGFR_WITH_EXONS.replace(
        "    sources: [test]\n",
        "      - {number: 19, cds_start: 2400, cds_end: 2500, sources: [test]}\n"
        "    sources: [test]\n",
    )
    path = write(tmp_path, "genes.yaml", text)
    assert problems_of([path]) == [
        f"{path}: line 12: gene EGFR: exons.2.number: exon 19 listed twice, first at line 10",
        f"{path}: line 12: gene EGFR: exons.2.cds_start: c.2400-2500 of exon 19 overlaps "
        "exon 20 (c.2284-2469); exon cds ranges do not overlap",
    ]


def test_domain_end_before_start(tmp_path: Path) -> None:
    text = EGFR_WITH_EXONS.replace(
        "    sources: [test]\n",
        "    domains:\n      - {name: kinase, start: 979, end: 712, sources: [test]}\n"
        "    sources: [test]\n",
    )
    path = write(tmp_path, "genes.yaml", text)
    assert problems_of([path]) == [
        f"{path}: line 13: gene EGFR: domains.0: end 712 is before start 979"
    ]


def test_invalid_gene_entry_is_still_cross_checked(tmp_path: Path) -> None:
    """Regression: one bad field must not hide the exon problems of the same gene."""
    text = EGFR_WITH_EXONS.replace(
        "    sources: [test]\n",
        "      - {number: 20, cds_start: 2470, cds_end: 2625, sources: [test]}\n"
        "    domains:\n      - {name: kinase, start: 979, end: 712, sources: [test]}\n"
        "    sources: [test]\n",
    )
    path = write(tmp_path, "genes.yaml", text)
    problems = problems_of([path])
    assert len(problems) == 2
    assert "domains.0: end 712 is before start 979" in problems[0]
    assert "exons.2.number: exon 20 listed twice" in problems[1]


def test_exon_selector_names_an_exon_of_the_table(tmp_path: Path, egfr_genes: Path) -> None:
    condition = "    excludes:\n      - {gene: EGFR, exon: 18}\n"
    path = rules_file(
        tmp_path,
        rule("EGFR-EX19-R", alteration="exon: 19"),
        rule("EGFR-EX21-R", alteration="exon: 21") + condition,
    )
    hint = "add exon {n} under the gene's exons:"
    assert problems_of([egfr_genes, path]) == [
        f"{path}: line 16: rule EGFR-EX21-R: alteration.exon: not in the exon table of EGFR "
        f"(exons 19, 20) (got 21); {hint.format(n=21)}",
        f"{path}: line 25: rule EGFR-EX21-R: excludes.0.exon: not in the exon table of EGFR "
        f"(exons 19, 20) (got 18); {hint.format(n=18)}",
    ]


def test_exon_skipping_names_an_exon_of_the_table(tmp_path: Path, egfr_genes: Path) -> None:
    path = rules_file(
        tmp_path,
        rule("EGFR-EX19-SKIP-R", alteration="exon_skipping: 19"),
        rule("EGFR-EX21-SKIP-R", alteration="exon_skipping: 21"),
    )
    assert problems_of([egfr_genes, path]) == [
        f"{path}: line 16: rule EGFR-EX21-SKIP-R: alteration.exon_skipping: not in the exon "
        "table of EGFR (exons 19, 20): its splice sites come from there (got 21); "
        "add exon 21 under the gene's exons:",
    ]


def test_exon_skipping_needs_an_exon_table(tmp_path: Path, genes: Path) -> None:
    """Unlike ``exon``, whose VEP EXON needs no table, the splice sites come from the table."""
    path = rules_file(tmp_path, rule(alteration="exon_skipping: 14"))
    (problem,) = problems_of([genes, path])
    assert "alteration.exon_skipping: not in the exon table of EGFR (no exons)" in problem


def test_exon_selector_without_exon_table_is_fine(tmp_path: Path, genes: Path) -> None:
    path = rules_file(tmp_path, rule(alteration="exon: 21"))
    assert len(load_rules([genes, path], bundled=False).rules) == 1


def test_example_tumor_type_is_an_oncotree_code(tmp_path: Path, genes: Path) -> None:
    examples = (
        "    examples:\n"
        "      - {alteration: EGFR p.T790M, tumor_type: LUADX}\n"
        "      - {alteration: EGFR p.T790M, tumor_type: luad}\n"
    )
    entry = rule().replace("    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]\n", "")
    path = rules_file(tmp_path, entry + examples)
    problems = problems_of([genes, path])
    assert len(problems) == 2
    assert problems[0].startswith(
        f"{path}: line 13: rule EGFR-T790M-R: examples.0.tumor_type: unknown OncoTree code "
        "'LUADX'; did you mean LUAD"
    )
    assert problems[1] == (
        f"{path}: line 14: rule EGFR-T790M-R: examples.1.tumor_type: not written as in "
        "OncoTree (got 'luad'); write LUAD"
    )


def test_example_conflicts_name_rule_ids(tmp_path: Path, genes: Path) -> None:
    example = (
        "    examples:\n"
        "      - alteration: EGFR p.T790M\n"
        "        tumor_type: LUAD\n"
        "        conflicts: [EGFR-L858R-S, EGFR-L858R-X, EGFR-T790M-R]\n"
    )
    entry = rule().replace("    examples: [{alteration: EGFR p.T790M, tumor_type: LUAD}]\n", "")
    path = rules_file(
        tmp_path, entry + example, rule("EGFR-L858R-S", alteration="protein_changes: [L858R]")
    )
    assert problems_of([genes, path]) == [
        f"{path}: line 15: rule EGFR-T790M-R: examples.0.conflicts.1: not a rule id "
        "(got 'EGFR-L858R-X'); did you mean EGFR-L858R-S?",
        f"{path}: line 15: rule EGFR-T790M-R: examples.0.conflicts.2: names the rule itself "
        "(got 'EGFR-T790M-R'); list only other rules",
    ]


def test_new_sections_are_reported_in_one_pass(tmp_path: Path, egfr_genes: Path) -> None:
    path = write(
        tmp_path,
        "all.yaml",
        "hotspots:\n"
        + hotspot("p.T790M", chrom37="chr7")
        + "drugs:\n  - name: Osimertinib\n    classes: [x]\n    sources: [test]\n"
        + "rules:\n"
        + rule(therapies="osimertinib", alteration="exon: 21"),
    )
    problems = problems_of([egfr_genes, path])
    for needle in (
        "drug Osimertinib: name: not a drug name",  # the schema: not lower case
        "therapies.0: not in the drug table (got 'osimertinib')",
        "alteration.exon: not in the exon table",
        "protein_change: not in the normalized one-letter form",
        "alleles.GRCh37.chrom: write the chromosome without chr",
    ):
        only(problems, needle)
    assert len(problems) == 5
