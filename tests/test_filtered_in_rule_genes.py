"""Records failing FILTER in the rule genes are skipped, as all failing records are, but never
silently: the summary counts them (``skipped_filtered_in_rule_genes``) and their FILTER names
(``skipped_filtered_in_rule_genes_by_filter``), whichever path read the file (a pass over
every record, the text prefilter in one or two processes, the index), and only those whose REF
span overlaps a rule gene's span, a hotspot or a genomic rule's allele.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pysam
import pytest

from annotator.prefilter import RegionLookup, rule_regions
from annotator.rules import load_rules
from tests.runs import run_json
from tests.test_fast_paths_agree import two_processes
from tests.test_parts import blocked
from tests.vcfgen import vcf_text

SAMPLE = ("GT:AD:DP", "0/1:60,40:100")


def egfr_span() -> tuple[int, int]:
    span = load_rules().genes["EGFR"].spans["GRCh38"]
    return span.start, span.end


def records() -> list[tuple[object, ...]]:
    """Failing FILTER: four in EGFR (one multi-allelic, one a deletion reaching in from before
    the gene), one in the padding the fast paths read around it, one far from any rule gene,
    one in EGFR without an ALT (no variant, so not counted as filtered at all); and a passing
    T790M."""
    start, end = egfr_span()
    return [
        ("chr7", start - 2000, ".", "C", "T", ".", "germline", ".", *SAMPLE),  # padding
        ("chr7", start - 3, ".", "ACGTA", "A", ".", "germline", ".", *SAMPLE),  # reaches in
        ("chr7", 55181378, "t790m", "C", "T", ".", "weak_evidence", ".", *SAMPLE),
        ("chr7", 55191822, ".", "T", "G,A", ".", "weak_evidence;germline", ".", *SAMPLE),
        ("chr7", 55191830, ".", "G", ".", ".", "germline", ".", *SAMPLE),  # no ALT
        ("chr7", 55191840, ".", "G", "A", ".", "PASS", ".", *SAMPLE),
        ("chr7", end, ".", "G", "A", ".", "germline", ".", *SAMPLE),  # the gene's last base
        ("chr7", end + 1, ".", "G", "A", ".", "germline", ".", *SAMPLE),  # the next one
        ("chr7", 100_000_000, ".", "G", "A", ".", "germline", ".", *SAMPLE),  # far
    ]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The records as small BGZF blocks (a file two processes can split), with a .tbi."""
    text = vcf_text(records(), samples=("TUMOR",), info_lines=()).encode()
    path = blocked(
        tmp_path_factory.mktemp("filtered") / "in.vcf.gz", text, list(range(400, len(text), 400))
    )
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


#: The four in EGFR: germline (reaching in, the last base), weak_evidence (T790M), both.
BY_FILTER = {"germline": 3, "weak_evidence": 2}


def summary(result: dict[str, Any]) -> tuple[int, int, dict[str, int]]:
    counts = result["summary"]
    return (
        counts["skipped_filtered"],
        counts["skipped_filtered_in_rule_genes"],
        counts["skipped_filtered_in_rule_genes_by_filter"],
    )


@pytest.mark.parametrize(
    "options",
    [
        {"use_index": False},
        {"use_index": False, "explain": True},
        {"prefilter": True},
        {"prefilter": True, "explain": True},
        {"use_index": True},
    ],
    ids=["full-pass", "full-pass-explain", "prefilter", "prefilter-explain", "index"],
)
def test_each_path_counts_the_failing_records_in_rule_genes(
    indexed: Path, options: dict[str, Any]
) -> None:
    result = run_json(indexed, "LUAD", **options)
    if options.get("use_index"):
        assert result["summary"]["regions_only"] is True
        # The index reads the genes (its records only).
        assert summary(result)[1:] == (4, BY_FILTER)
    else:
        assert summary(result) == (7, 4, BY_FILTER)
    assert "T790M" not in {finding["alteration"] for finding in result["findings"]}


def test_two_processes_count_them_alike(indexed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with two_processes(monkeypatch):
        assert summary(run_json(indexed, "LUAD", prefilter=True)) == (7, 4, BY_FILTER)


def test_explain_lists_what_the_count_points_to(indexed: Path) -> None:
    result = run_json(indexed, "LUAD", use_index=False, explain=True)
    aside = {
        miss["variant"]["pos"] for miss in result["near_misses"] if miss["reason"] == "filtered"
    }
    assert 55181378 in aside  # T790M's resistance rules, among others


def test_included_records_are_not_skipped(indexed: Path) -> None:
    result = run_json(indexed, "LUAD", use_index=False, include_filtered=True)
    assert summary(result) == (0, 0, {})
    assert "EGFR" in {finding["gene"] for finding in result["findings"]}


def test_region_lookup_takes_the_ref_span() -> None:
    lookup = RegionLookup(rule_regions(load_rules().genes, "GRCh38", padding=0))
    start, end = egfr_span()
    assert lookup.overlaps("chr7", start - 3, "ACGTA")
    assert not lookup.overlaps("7", start - 3, "ACG")
    assert lookup.overlaps("7", end, "G")
    assert not lookup.overlaps("chr7", end + 1, "G")
    assert not lookup.overlaps("chrUn_KI270302v1", 1, "A")
