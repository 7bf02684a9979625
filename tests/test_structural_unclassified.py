"""Structural-variant records in a rule gene that give no fusion are listed as unclassified,
never dropped (a ``<DUP>`` over all of ERBB2 used to leave no trace at all; a ``<DEL>`` inside
BRCA2 only an input note); a record that gives a fusion is an event, not unclassified; both
count among the alleles in rule genes. ALTs that are no variant of their own ('*', '<*>',
'<NON_REF>') are neither. Every path reading the file gives the same result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pysam
import pytest

from annotator.rules import load_rules
from tests.runs import run_json
from tests.test_fast_paths import comparable
from tests.test_fast_paths_agree import unnumbered
from tests.test_parts import blocked
from tests.vcfgen import GRCH38_RULE_CONTIGS, vcf_text

SAMPLE = ("GT:AD:DP", "0/1:60,40:100")
INFO_LINES = (
    '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
    '##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">',
    '##INFO=<ID=MATEID,Number=.,Type=String,Description="ID of mate breakends">',
)


def span(symbol: str) -> tuple[int, int]:
    gene = load_rules().genes[symbol].spans["GRCh38"]
    return gene.start, gene.end


def records() -> list[tuple[object, ...]]:
    """BCR::ABL1 (the e14a2 junction of tests/test_structural.py), a single breakend in ABL1,
    a <DEL> inside BRCA2, a <DUP> over all of ERBB2, a <DEL> far from any rule gene, and
    '*', '<*>' and '<NON_REF>' alleles inside BRCA2 and ERBB2."""
    brca2, erbb2 = span("BRCA2"), span("ERBB2")
    return [
        ("chr9", 130800000, "single", "N", "N.", ".", "PASS", "SVTYPE=BND", *SAMPLE),
        (
            "chr9",
            130854064,
            "bnd_2",
            "N",
            "]chr22:23290413]N",
            ".",
            "PASS",
            "SVTYPE=BND;MATEID=bnd_1",
            *SAMPLE,
        ),
        (
            "chr13",
            brca2[0] + 1000,
            "del",
            "A",
            "<DEL>",
            ".",
            "PASS",
            f"SVTYPE=DEL;END={brca2[0] + 30000}",
            *SAMPLE,
        ),
        ("chr13", brca2[0] + 40000, "star", "A", "*", ".", "PASS", ".", *SAMPLE),
        ("chr17", 1_000_000, "far", "A", "<DEL>", ".", "PASS", "SVTYPE=DEL;END=1001000", *SAMPLE),
        (
            "chr17",
            erbb2[0] - 1000,
            "dup",
            "A",
            "<DUP>",
            ".",
            "PASS",
            f"SVTYPE=DUP;END={erbb2[1] + 1000}",
            *SAMPLE,
        ),
        ("chr17", erbb2[0] + 5000, "nonref", "A", "<NON_REF>", ".", "PASS", ".", *SAMPLE),
        ("chr17", erbb2[0] + 5010, "any", "A", "<*>", ".", "PASS", ".", *SAMPLE),
        (
            "chr22",
            23290413,
            "bnd_1",
            "N",
            "N[chr9:130854064[",
            ".",
            "PASS",
            "SVTYPE=BND;MATEID=bnd_2",
            *SAMPLE,
        ),
    ]


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = vcf_text(records(), contigs=GRCH38_RULE_CONTIGS, info_lines=INFO_LINES).encode()
    found = blocked(
        tmp_path_factory.mktemp("sv") / "sv.vcf.gz", text, list(range(500, len(text), 500))
    )
    pysam.tabix_index(str(found), preset="vcf", force=True)
    return found


@pytest.fixture(scope="module")
def result(path: Path) -> dict[str, Any]:
    return run_json(path, "BRCA", use_index=False)


def test_records_in_rule_genes_that_give_no_fusion_are_unclassified(
    result: dict[str, Any],
) -> None:
    brca2, erbb2 = span("BRCA2"), span("ERBB2")
    listed = {(u["gene"], u["variant"]["alt"]): u["reason"] for u in result["unclassified"]}
    assert set(listed) == {("ABL1", "N."), ("BRCA2", "<DEL>"), ("ERBB2", "<DUP>")}
    assert listed["ABL1", "N."].startswith(
        "structural variant (ALT 'N.') in ABL1 gave no fusion (the input notes say why); "
    )
    assert listed["BRCA2", "<DEL>"].startswith(
        f"<DEL> chr13:{brca2[0] + 1000}-{brca2[0] + 30000} in BRCA2 gave no fusion (the input "
        "notes say why); "
    )
    # Both its ends lie outside ERBB2, so no input note names it.
    assert listed["ERBB2", "<DUP>"].startswith(
        f"<DUP> chr17:{erbb2[0] - 1000}-{erbb2[1] + 1000} over all of ERBB2 gave no fusion; "
    )
    assert all("give copy number with --cnv" in reason for reason in listed.values())


def test_a_fusion_is_an_event_and_every_record_in_a_gene_counts(result: dict[str, Any]) -> None:
    assert [event["gene"] for event in result["events"]] == ["BCR::ABL1"]
    summary = result["summary"]
    # single, bnd_2, del, dup, bnd_1: not far, and not '*', '<*>' or '<NON_REF>'
    assert (summary["alleles_in_rule_genes"], summary["alleles_outside_rule_genes"]) == (5, 4)
    assert summary["unclassified"] == len(result["unclassified"]) == 3


def test_alleles_that_are_no_variant_give_nothing(result: dict[str, Any]) -> None:
    named = " ".join(result["input_notes"])
    assert "NON_REF" not in named
    assert "<*>" not in named
    assert "star" not in named


def test_every_path_gives_the_same_result(path: Path, result: dict[str, Any]) -> None:
    assert run_json(path, "BRCA", prefilter=True) == result
    indexed = run_json(path, "BRCA", use_index=True)
    assert indexed["summary"]["regions_only"] is True
    assert unnumbered(comparable(indexed)) == unnumbered(comparable(result))
