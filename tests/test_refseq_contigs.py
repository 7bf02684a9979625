"""A VCF whose contigs are named by RefSeq accession (``NC_000007.14``, as NCBI's FASTA names
them) is read as one named ``chr7``: its build is told from the contig lengths and its variants
lie in the rule genes. Such a file's EGFR T790M used to be silently outside every rule gene
with ``--genome GRCh38`` (and the build could not be told without it)."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from annotator.genome import CHROMOSOME_LENGTHS, REFSEQ_ACCESSIONS
from tests.runs import run_json
from tests.test_fast_paths import comparable
from tests.test_fast_paths_agree import unnumbered
from tests.test_parts import blocked
from tests.vcfgen import vcf_text

SAMPLE = ("GT:AD:DP", "0/1:60,40:100")


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    names = REFSEQ_ACCESSIONS["GRCh38"]
    contigs = {names[chrom]: CHROMOSOME_LENGTHS["GRCh38"][chrom] for chrom in ("7", "12", "17")}
    records = [
        (names["7"], 55181378, "t790m", "C", "T", ".", "PASS", ".", *SAMPLE),  # EGFR T790M
        (names["7"], 55191822, "l858r", "T", "G", ".", "PASS", ".", *SAMPLE),  # EGFR L858R
        (names["12"], 25245350, "g12d", "C", "T", ".", "PASS", ".", *SAMPLE),  # KRAS G12D
    ]
    text = vcf_text(records, contigs=contigs, info_lines=()).encode()
    found = blocked(
        tmp_path_factory.mktemp("refseq") / "in.vcf.gz", text, list(range(300, len(text), 300))
    )
    pysam.tabix_index(str(found), preset="vcf", force=True)
    return found


def test_variants_on_accession_named_contigs_fire_their_rules(path: Path) -> None:
    result = run_json(path, "LUAD", use_index=False)
    assert result["genome"] == "GRCh38"  # from the lengths: no --genome needed
    assert {(f["gene"], f["alteration"]) for f in result["findings"]} >= {
        ("EGFR", "T790M"),
        ("EGFR", "L858R"),
        ("KRAS", "G12D"),
    }
    assert result["summary"]["alleles_in_rule_genes"] == 3
    # The variant keeps the file's name for its contig.
    assert {f["variant"]["chrom"] for f in result["findings"]} == {"NC_000007.14", "NC_000012.12"}


def test_every_path_reads_them_alike(path: Path) -> None:
    full = run_json(path, "LUAD", use_index=False)
    assert run_json(path, "LUAD", prefilter=True) == full
    indexed = run_json(path, "LUAD", use_index=True)
    assert indexed["summary"]["regions_only"] is True
    assert unnumbered(comparable(indexed)) == unnumbered(comparable(full))
