"""Genome builds: chromosome names, length tables and build detection from VCF headers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from annotator.errors import InputError, UsageError
from annotator.genome import (
    CHROMOSOME_LENGTHS,
    GRCH37_LENGTHS,
    GRCH38_LENGTHS,
    HG19_CHRM_LENGTH,
    REFSEQ_ACCESSIONS,
    Build,
    detect_build,
    normalize_chrom,
    resolve_build,
)
from annotator.readers.vcf import VcfReader

DATA = Path(__file__).parent / "data"
PATH = "input.vcf"


def chr_prefixed(lengths: Mapping[str, int]) -> dict[str, int]:
    return {("chrM" if name == "MT" else f"chr{name}"): length for name, length in lengths.items()}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("chr7", "7"),
        ("7", "7"),
        ("chrX", "X"),
        ("chrx", "X"),
        ("Y", "Y"),
        ("chrM", "MT"),
        ("chrMT", "MT"),
        ("MT", "MT"),
        ("M", "MT"),
        ("CHR17", "17"),
        ("GL000191.1", "GL000191.1"),
        ("chr1_KI270706v1_random", "1_KI270706v1_random"),
        ("NC_000007.14", "7"),  # GRCh38's RefSeq accession
        ("NC_000007.13", "7"),  # GRCh37's
        ("NC_000023.11", "X"),
        ("NC_012920.1", "MT"),
        ("NC_007605", "NC_007605"),  # hs37d5's Epstein-Barr virus: no chromosome
        ("NC_000007.12", "NC_000007.12"),  # NCBI36: neither build
    ],
)
def test_normalize_chrom(name: str, expected: str) -> None:
    assert normalize_chrom(name) == expected


@pytest.mark.parametrize("build", ["GRCh37", "GRCh38"])
def test_detects_build_from_refseq_accession_contigs(build: Build) -> None:
    """Contigs named by RefSeq accession (as NCBI's FASTA names them) are the chromosomes they
    stand for: each accession has its build's length."""
    contigs = {
        REFSEQ_ACCESSIONS[build][chrom]: length
        for chrom, length in CHROMOSOME_LENGTHS[build].items()
    }
    assert detect_build(contigs, [], "x.vcf") == build
    assert len({normalize_chrom(name) for name in contigs}) == len(contigs)


def test_refseq_accessions_are_distinct_but_for_the_mitochondrion() -> None:
    grch37, grch38 = (set(REFSEQ_ACCESSIONS[build].values()) for build in ("GRCh37", "GRCh38"))
    assert grch37 & grch38 == {"NC_012920.1"}
    assert set(REFSEQ_ACCESSIONS["GRCh37"]) == set(CHROMOSOME_LENGTHS["GRCh37"])


def test_length_tables_cover_the_primary_chromosomes() -> None:
    expected = {str(n) for n in range(1, 23)} | {"X", "Y", "MT"}
    assert set(GRCH37_LENGTHS) == set(GRCH38_LENGTHS) == expected
    # Only the mitochondrion is the same in both builds.
    same = {name for name in expected if GRCH37_LENGTHS[name] == GRCH38_LENGTHS[name]}
    assert same == {"MT"}
    assert GRCH37_LENGTHS["1"] == 249250621
    assert GRCH38_LENGTHS["1"] == 248956422


@pytest.mark.parametrize("prefixed", [False, True], ids=["no-chr", "chr"])
@pytest.mark.parametrize(
    ("lengths", "build"), [(GRCH37_LENGTHS, "GRCh37"), (GRCH38_LENGTHS, "GRCh38")]
)
def test_detects_build_from_all_primary_contigs(
    lengths: Mapping[str, int], build: str, prefixed: bool
) -> None:
    contigs = chr_prefixed(lengths) if prefixed else dict(lengths)
    assert detect_build(contigs, [], PATH) == build


@pytest.mark.parametrize(
    ("contigs", "build"),
    [
        ({"chr7": 159345973}, "GRCh38"),
        ({"7": 159138663}, "GRCh37"),
        # Decoys, alternate loci and unplaced scaffolds are ignored, whatever their length.
        ({"1": 249250621, "GL000191.1": 106433, "hs37d5": 35477943}, "GRCh37"),
        ({"chr1": 248956422, "chr1_KI270706v1_random": 175055, "chrEBV": 171823}, "GRCh38"),
        # UCSC hg19 keeps the old mitochondrion (16571 bases) as chrM.
        ({"chrM": HG19_CHRM_LENGTH, "chr1": 249250621}, "GRCh37"),
        ({"chrM": HG19_CHRM_LENGTH}, "GRCh37"),
    ],
)
def test_detects_build_from_some_contigs(contigs: dict[str, int], build: str) -> None:
    assert detect_build(contigs, [], PATH) == build


def test_contig_lengths_win_over_reference_text() -> None:
    lines = ["##reference=file:///ref/ucsc.hg19.fasta"]
    assert detect_build({"chr1": 248956422}, lines, PATH) == "GRCh38"


def test_conflicting_contig_lengths_are_an_error() -> None:
    contigs = {"1": GRCH37_LENGTHS["1"], "2": GRCH38_LENGTHS["2"]}
    with pytest.raises(InputError) as caught:
        detect_build(contigs, [], PATH)
    message = str(caught.value)
    assert message.startswith(f"{PATH}: header contigs disagree on the genome build")
    assert "contig 1 (length 249250621) is GRCh37" in message
    assert "contig 2 (length 242193529) is GRCh38" in message
    assert "--genome" in message


def test_contig_length_of_neither_build_is_an_error() -> None:
    # Mouse GRCm38 chr1: same name, different genome.
    with pytest.raises(InputError) as caught:
        detect_build({"chr1": 195471971}, ["##reference=hg38.fa"], PATH)
    message = str(caught.value)
    assert "contig chr1 has length 195471971" in message
    assert "249250621 in GRCh37 and 248956422 in GRCh38" in message
    assert "--genome" in message


@pytest.mark.parametrize(
    ("line", "build"),
    [
        ("##reference=GRCh37", "GRCh37"),
        ("##reference=file:///ref/ucsc.hg19.fasta", "GRCh37"),
        ("##reference=/ifs/depot/assemblies/H.sapiens/b37/b37.fasta", "GRCh37"),
        ("##reference=file:///data/hs37d5.fa.gz", "GRCh37"),
        ("##reference=file:///lustre/ref/human_g1k_v37.fasta", "GRCh37"),
        ("##reference=/ref/Homo_sapiens.GRCh37.75.dna.primary_assembly.fa", "GRCh37"),
        ("##assembly=GRCh37.p13", "GRCh37"),
        ("##reference=GRCh38", "GRCh38"),
        ("##reference=file:///ref/hg38.fa", "GRCh38"),
        ("##reference=file:///ref/hs38DH.fa", "GRCh38"),
        ("##reference=/ref/GRCh38_full_analysis_set_plus_decoy_hla.fa", "GRCh38"),
        ("##reference=/ref/Homo_sapiens_assembly38.fasta", "GRCh38"),
        ("##assembly=hg38", "GRCh38"),
        # An assembly attribute on contig lines without lengths.
        ("##contig=<ID=1,assembly=b37>", "GRCh37"),
        # Lift-over targets (CrossMap / UCSC liftOver chain file names).
        ("##liftOverChainFile=/db/chainFiles/hg19Tohg38.over.chain.gz", "GRCh38"),
        ("##liftOverFile=/vep/chainFiles/hg38ToHg19.over.chain.gz", "GRCh37"),
        ("##new_reference_genome=/usr/local/share/hg19/ucsc.hg19.fa", "GRCh37"),
    ],
)
def test_falls_back_to_reference_text_without_contig_lengths(line: str, build: str) -> None:
    lines = ["##fileformat=VCFv4.2", line, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    assert detect_build({}, lines, PATH) == build


def test_mitochondrion_alone_falls_back_to_reference_text() -> None:
    assert detect_build({"MT": 16569}, ["##reference=GRCh38"], PATH) == "GRCh38"


@pytest.mark.parametrize(
    "lines",
    [
        [],
        ["##reference=genome.fa"],
        ["##reference=file:///data/lab37/genome.fa"],  # 'b37' inside a word does not count
        ["##source=hg19Tohg38-like text outside the reference lines"],
    ],
)
def test_unknown_build_is_an_error_asking_for_genome(lines: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        detect_build({"GL000191.1": 106433}, lines, PATH)
    message = str(caught.value)
    assert message.startswith(f"{PATH}: cannot tell the genome build")
    assert "pass --genome GRCh37 or --genome GRCh38" in message


def test_conflicting_reference_text_is_an_error() -> None:
    lines = ["##reference=file:///ref/hg19.fa", "##assembly=GRCh38"]
    with pytest.raises(InputError, match="header lines disagree on the genome build"):
        detect_build({}, lines, PATH)


def test_resolve_auto_detects() -> None:
    assert resolve_build("auto", {"chr7": 159345973}, [], PATH) == "GRCh38"
    with pytest.raises(InputError, match="--genome"):
        resolve_build("auto", {}, [], PATH)


@pytest.mark.parametrize("requested", ["GRCh38", "grch38"])
def test_resolve_explicit_build_that_agrees(requested: str) -> None:
    assert resolve_build(requested, {"chr7": 159345973}, [], PATH) == "GRCh38"


def test_resolve_explicit_build_that_contradicts_the_contigs() -> None:
    with pytest.raises(InputError) as caught:
        resolve_build("GRCh38", dict(GRCH37_LENGTHS), [], PATH)
    assert "header contigs are GRCh37 but --genome GRCh38 was given" in str(caught.value)


def test_resolve_explicit_build_that_contradicts_the_reference_line() -> None:
    with pytest.raises(InputError) as caught:
        resolve_build("GRCh37", {}, ["##reference=file:///ref/hg38.fa"], PATH)
    message = str(caught.value)
    assert "header ##reference 'file:///ref/hg38.fa' says GRCh38" in message
    assert "but --genome GRCh37 was given" in message


@pytest.mark.parametrize(
    ("contigs", "lines"),
    [
        ({}, []),  # the header is silent
        ({"1": GRCH37_LENGTHS["1"], "2": GRCH38_LENGTHS["2"]}, []),  # it contradicts itself
        ({"1": 195471971}, []),  # a length of neither build
    ],
)
def test_resolve_explicit_build_decides_when_the_header_does_not(
    contigs: dict[str, int], lines: list[str]
) -> None:
    assert resolve_build("GRCh37", contigs, lines, PATH) == "GRCh37"


def test_resolve_unknown_build_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown genome build 'hg18'"):
        resolve_build("hg18", {}, [], PATH)


# Real headers (tests/data/SOURCES.md).


def header_of(name: str, sample: str | None = None) -> tuple[dict[str, int], tuple[str, ...]]:
    with VcfReader(DATA / name, sample=sample) as reader:
        return reader.header.contigs, reader.header.lines


def test_real_grch37_gatk_header() -> None:
    contigs, lines = header_of("vcf2maf.test_mutect.grch37.vcf", sample="TUMOR")
    assert len(contigs) == 84  # 25 primary chromosomes and GL000xxx scaffolds
    assert {name: contigs[name] for name in GRCH37_LENGTHS} == dict(GRCH37_LENGTHS)
    assert detect_build(contigs, lines, "vcf2maf.test_mutect.grch37.vcf") == "GRCh37"


def test_real_chr_prefixed_grch37_header() -> None:
    contigs, lines = header_of("cnvkit.nosample.vcf")
    assert contigs == {"chr1": 249250621}
    assert detect_build(contigs, lines, "cnvkit.nosample.vcf") == "GRCh37"


def test_real_grch38_header_from_liftover_line() -> None:
    # No ##contig or ##reference lines: the CrossMap chain file hg19Tohg38 names the target.
    contigs, lines = header_of("pcgr.T001-COAD.grch38.vcf.gz")
    assert contigs == {}
    assert detect_build(contigs, lines, "pcgr.T001-COAD.grch38.vcf.gz") == "GRCh38"
    with pytest.raises(InputError, match="says GRCh38 but --genome GRCh37 was given"):
        resolve_build("GRCh37", contigs, lines, "pcgr.T001-COAD.grch38.vcf.gz")


def test_real_header_without_build_evidence_needs_genome() -> None:
    # vcf2maf's test.vcf is GRCh37 (b37 names) by its origin, but its header says nothing.
    path = "vcf2maf.test.grch37.vcf"
    contigs, lines = header_of(path, sample="TUMOR")
    with pytest.raises(InputError, match="pass --genome GRCh37 or --genome GRCh38"):
        detect_build(contigs, lines, path)
    assert resolve_build("GRCh37", contigs, lines, path) == "GRCh37"


def test_real_header_with_a_wrong_contig_length() -> None:
    # htslib's tabix test file gives contig 2 the length of chromosome 1.
    path = "htslib.tabix_vcf_file.vcf"
    contigs, lines = header_of(path, sample="A")
    with pytest.raises(InputError, match="header contig 2 has length 249250621"):
        detect_build(contigs, lines, path)
    assert resolve_build("GRCh37", contigs, lines, path) == "GRCh37"


def test_by_chromosome_name_normalizes_each_spelling_once_and_stays_bounded() -> None:
    from annotator.genome import ByChromosomeName

    named = ByChromosomeName({"7": "seven"}, "none", limit=2)
    assert named["chr7"] == named["7"] == "seven"
    assert named["chrUn_x"] == "none"
    assert len(named) <= 2  # the third spelling started it over
    assert named["CHR7"] == "seven"
    assert named.table == {"7": "seven"}
