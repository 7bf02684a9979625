"""Reference genome builds: chromosome names, chromosome lengths and build detection.

The build of an input VCF is read from its header, strongest evidence first:

1. the lengths of the ``##contig`` lines for the primary chromosomes (1-22, X, Y, MT, with or
   without the ``chr`` prefix, or named by their RefSeq accession, ``NC_000007.14``),
   compared with the GRCh37 and GRCh38 tables below;
2. only when no primary contig has a length: the text of ``##reference=``, ``##assembly=``
   and the ``assembly=`` attribute of ``##contig`` lines (GRCh37, hg19, b37, hs37d5,
   human_g1k_v37 ... / GRCh38, hg38, hs38 ...), and the target of a lift-over recorded by
   CrossMap or UCSC liftOver (``##liftOverChainFile=.../hg19ToHg38.over.chain.gz``,
   ``##new_reference_genome=.../ucsc.hg19.fa``).

Evidence that disagrees, or a primary contig whose length is in neither table, is an error
rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, TypeVar

from annotator.errors import InputError, UsageError

_V = TypeVar("_V")

Build = Literal["GRCh37", "GRCh38"]

BUILDS: tuple[Build, ...] = ("GRCh37", "GRCh38")

#: What ``--genome`` should say when the header does not tell the build.
GENOME_HINT = "pass --genome GRCh37 or --genome GRCh38"

# Primary chromosome lengths in bases, keyed by the names ``normalize_chrom`` returns.
#
# GRCh37: the ##contig lines of a GATK VCF on the b37 reference (GRCh37 primary assembly,
# NCBI names), mskcc/vcf2maf tests/test_mutect.vcf @bf53e52 (copied as
# /work/shared/data/public/vcf2maf.test_mutect.grch37.vcf); the same 25 values appear in the
# ##contig lines of Mutect2 VCFs on hs37d5 (assembly=NCBI37) and, for 1-22, X and Y, in the UCSC
# hg19 chromInfo table (e.g. Novartis/peax server/chromsizes.py). GRCh37 MT is the revised
# Cambridge Reference Sequence, NC_012920.1.
GRCH37_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "1": 249250621,
        "2": 243199373,
        "3": 198022430,
        "4": 191154276,
        "5": 180915260,
        "6": 171115067,
        "7": 159138663,
        "8": 146364022,
        "9": 141213431,
        "10": 135534747,
        "11": 135006516,
        "12": 133851895,
        "13": 115169878,
        "14": 107349540,
        "15": 102531392,
        "16": 90354753,
        "17": 81195210,
        "18": 78077248,
        "19": 59128983,
        "20": 63025520,
        "21": 48129895,
        "22": 51304566,
        "X": 155270560,
        "Y": 59373566,
        "MT": 16569,
    }
)

# GRCh38: column Sequence-Length of the NCBI assembly report
# GCF_000001405.39_GRCh38.p13_assembly_report.txt (a copy is in
# eannefawcett/Classifying-Gene-Locus-by-Protein-Composition @f0fed7d), rows with
# Sequence-Role "assembled-molecule"; patch releases do not change these lengths.
GRCH38_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "1": 248956422,
        "2": 242193529,
        "3": 198295559,
        "4": 190214555,
        "5": 181538259,
        "6": 170805979,
        "7": 159345973,
        "8": 145138636,
        "9": 138394717,
        "10": 133797422,
        "11": 135086622,
        "12": 133275309,
        "13": 114364328,
        "14": 107043718,
        "15": 101991189,
        "16": 90338345,
        "17": 83257441,
        "18": 80373285,
        "19": 58617616,
        "20": 64444167,
        "21": 46709983,
        "22": 50818468,
        "X": 156040895,
        "Y": 57227415,
        "MT": 16569,
    }
)

CHROMOSOME_LENGTHS: Mapping[Build, Mapping[str, int]] = MappingProxyType(
    {"GRCh37": GRCH37_LENGTHS, "GRCh38": GRCH38_LENGTHS}
)

#: The RefSeq accessions of the primary chromosomes, by build: some pipelines (NCBI's own
#: FASTA files) name the contigs so. From the NCBI assembly reports of GRCh37.p13
#: (GCF_000001405.25; via biocommons bioutils' copy of it) and GRCh38.p12/p13
#: (GCF_000001405.38/.39; the chromosomes' accessions are the same in every GRCh38 patch),
#: each row also in a second, independent table (ebi-uniprot/protvar-be RefSeqNC.java); the
#: lengths in those reports are the tables' above. The mitochondrion (rCRS, NC_012920.1) is
#: the same in both.
REFSEQ_ACCESSIONS: Mapping[Build, Mapping[str, str]] = MappingProxyType(
    {
        "GRCh37": MappingProxyType(
            {
                "1": "NC_000001.10",
                "2": "NC_000002.11",
                "3": "NC_000003.11",
                "4": "NC_000004.11",
                "5": "NC_000005.9",
                "6": "NC_000006.11",
                "7": "NC_000007.13",
                "8": "NC_000008.10",
                "9": "NC_000009.11",
                "10": "NC_000010.10",
                "11": "NC_000011.9",
                "12": "NC_000012.11",
                "13": "NC_000013.10",
                "14": "NC_000014.8",
                "15": "NC_000015.9",
                "16": "NC_000016.9",
                "17": "NC_000017.10",
                "18": "NC_000018.9",
                "19": "NC_000019.9",
                "20": "NC_000020.10",
                "21": "NC_000021.8",
                "22": "NC_000022.10",
                "X": "NC_000023.10",
                "Y": "NC_000024.9",
                "MT": "NC_012920.1",
            }
        ),
        "GRCh38": MappingProxyType(
            {
                "1": "NC_000001.11",
                "2": "NC_000002.12",
                "3": "NC_000003.12",
                "4": "NC_000004.12",
                "5": "NC_000005.10",
                "6": "NC_000006.12",
                "7": "NC_000007.14",
                "8": "NC_000008.11",
                "9": "NC_000009.12",
                "10": "NC_000010.11",
                "11": "NC_000011.10",
                "12": "NC_000012.12",
                "13": "NC_000013.11",
                "14": "NC_000014.9",
                "15": "NC_000015.10",
                "16": "NC_000016.10",
                "17": "NC_000017.11",
                "18": "NC_000018.10",
                "19": "NC_000019.10",
                "20": "NC_000020.11",
                "21": "NC_000021.9",
                "22": "NC_000022.11",
                "X": "NC_000023.11",
                "Y": "NC_000024.10",
                "MT": "NC_012920.1",
            }
        ),
    }
)
#: RefSeq accession -> chromosome name (:func:`normalize_chrom`).
_BY_ACCESSION: Mapping[str, str] = MappingProxyType(
    {accession: chrom for table in REFSEQ_ACCESSIONS.values() for chrom, accession in table.items()}
)

#: UCSC hg19 keeps the older mitochondrial sequence (NC_001807, 16571 bases) as chrM; its nuclear
#: chromosomes are GRCh37's, so a chrM of this length counts as GRCh37 evidence.
HG19_CHRM_LENGTH = 16571


def _length_table() -> dict[str, dict[int, frozenset[Build]]]:
    table: dict[str, dict[int, frozenset[Build]]] = {}
    for build, lengths in CHROMOSOME_LENGTHS.items():
        for chrom, length in lengths.items():
            known = table.setdefault(chrom, {})
            known[length] = known.get(length, frozenset()) | {build}
    table["MT"][HG19_CHRM_LENGTH] = frozenset({"GRCh37"})
    return table


# chromosome -> length -> the builds that have a chromosome of that name and length
_BUILDS_BY_LENGTH = _length_table()

_BUILD_NAMES: tuple[tuple[Build, re.Pattern[str]], ...] = (
    (
        "GRCh37",
        re.compile(
            r"(?<![a-z0-9])(grch37|hg19|b37|hs37d5|hs37|human_g1k_v37|ncbi37"
            r"|homo_sapiens_assembly19)(?![0-9])",
            re.IGNORECASE,
        ),
    ),
    (
        "GRCh38",
        re.compile(
            r"(?<![a-z0-9])(grch38|hg38|hs38|homo_sapiens_assembly38)(?![0-9])", re.IGNORECASE
        ),
    ),
)

# Header keys whose value names the reference the records are on.
_REFERENCE_KEYS = ("##reference=", "##assembly=", "##new_reference_genome=")
_CONTIG_ASSEMBLY = re.compile(r"[<,]assembly=([^,>]+)", re.IGNORECASE)
# UCSC chain files are named <from>To<To>.over.chain[.gz]; the records are on the target.
_LIFTOVER_KEY = re.compile(r"^##liftover\w*=", re.IGNORECASE)
_CHAIN_TARGET = re.compile(r"[a-z]+[0-9]+to([a-z]+[0-9]+)\.over\.chain", re.IGNORECASE)


def normalize_chrom(name: str) -> str:
    """The chromosome name without a ``chr`` prefix; ``chrM``, ``M`` and ``MT`` become ``MT``;
    a primary chromosome's RefSeq accession (:data:`REFSEQ_ACCESSIONS`) its name.

    >>> normalize_chrom("chr7"), normalize_chrom("7"), normalize_chrom("chrM")
    ('7', '7', 'MT')
    >>> normalize_chrom("NC_000007.14"), normalize_chrom("NC_012920.1")
    ('7', 'MT')
    """
    if name[:3] == "NC_":
        return _BY_ACCESSION.get(name, name)
    bare = name[3:] if name[:3].lower() == "chr" else name
    upper = bare.upper()
    if upper in ("M", "MT"):
        return "MT"
    if upper in ("X", "Y"):
        return upper
    return bare


class ByChromosomeName(dict[str, _V]):
    """Values of a table keyed by normalized chromosome name (:func:`normalize_chrom`), looked
    up by the name as the input spells it: ``named[chrom]`` is a plain dict lookup once a
    spelling has been seen, normalized once per spelling (at most ``limit`` kept: a file with
    more contigs than that starts over rather than growing without bound)."""

    __slots__ = ("_limit", "_missing", "_table")

    def __init__(self, table: Mapping[str, _V], missing: _V, limit: int = 4096) -> None:
        super().__init__()
        self._table = table
        self._missing = missing
        self._limit = limit

    @property
    def table(self) -> Mapping[str, _V]:
        """The values by normalized name."""
        return self._table

    @property
    def missing(self) -> _V:
        """The value of a chromosome the table does not name."""
        return self._missing

    def __missing__(self, chrom: str) -> _V:
        if len(self) >= self._limit:
            self.clear()
        value = self._table.get(normalize_chrom(chrom), self._missing)
        self[chrom] = value
        return value


def parse_build(name: str) -> Build:
    """``GRCh37`` or ``GRCh38`` from a user's spelling of it (any case); else a UsageError."""
    for build in BUILDS:
        if name.lower() == build.lower():
            return build
    raise UsageError(f"unknown genome build '{name}'", hint="use --genome auto, GRCh37 or GRCh38")


@dataclass(frozen=True)
class _Verdict:
    """What the header says about the build: a build and where it came from, or why not."""

    build: Build | None
    source: str = ""
    problem: str = ""


def _names_in(text: str) -> set[Build]:
    return {build for build, pattern in _BUILD_NAMES if pattern.search(text)}


def _verdict_from_lengths(contigs: Mapping[str, int]) -> _Verdict | None:
    """The build the primary contig lengths agree on; None if they do not tell either way."""
    supported: dict[Build, str] = {}  # build -> the first contig that supports it
    for name, length in contigs.items():
        chrom = normalize_chrom(name)
        known = _BUILDS_BY_LENGTH.get(chrom)
        if known is None:
            continue  # not a primary chromosome: decoys, alts, unplaced scaffolds, viruses
        builds = known.get(length)
        if builds is None:
            expected = " and ".join(
                f"{CHROMOSOME_LENGTHS[build][chrom]} in {build}" for build in BUILDS
            )
            return _Verdict(
                None,
                problem=f"cannot tell the genome build: header contig {name} has length "
                f"{length}, but {chrom} is {expected}",
            )
        if len(builds) == 1:
            (build,) = builds
            supported.setdefault(build, f"contig {name} (length {length})")
    if len(supported) > 1:
        evidence = " but ".join(f"{where} is {build}" for build, where in supported.items())
        return _Verdict(None, problem=f"header contigs disagree on the genome build: {evidence}")
    if not supported:
        # No primary contig with a length, or only MT, which is the same in both builds.
        return None
    (build,) = supported
    return _Verdict(build, source="header contigs")


def _verdict_from_text(header_lines: Sequence[str]) -> _Verdict:
    """The build named by ##reference / ##assembly / lift-over header lines."""
    found: dict[Build, str] = {}
    for line in header_lines:
        sources: list[tuple[str, str]] = []
        if line.startswith(_REFERENCE_KEYS):
            key, _, value = line.partition("=")
            sources.append((key, value))
        elif line.startswith("##contig=<"):
            sources.extend(
                ("##contig assembly", m.group(1)) for m in _CONTIG_ASSEMBLY.finditer(line)
            )
        elif _LIFTOVER_KEY.match(line):
            key, _, value = line.partition("=")
            sources.extend((f"{key} target", m.group(1)) for m in _CHAIN_TARGET.finditer(value))
        for key, value in sources:
            for build in _names_in(value):
                found.setdefault(build, f"{key} '{value.strip()}'")
    if len(found) > 1:
        evidence = " but ".join(f"{where} is {build}" for build, where in found.items())
        return _Verdict(None, problem=f"header lines disagree on the genome build: {evidence}")
    if found:
        ((build, where),) = found.items()
        return _Verdict(build, source=f"header {where}")
    return _Verdict(
        None,
        problem="cannot tell the genome build: the header has no ##contig lengths of human "
        "chromosomes and no ##reference or ##assembly naming GRCh37 or GRCh38",
    )


def _verdict(contigs: Mapping[str, int], header_lines: Sequence[str]) -> _Verdict:
    from_lengths = _verdict_from_lengths(contigs)
    if from_lengths is not None:
        return from_lengths
    return _verdict_from_text(header_lines)


def detect_build(contigs: Mapping[str, int], header_lines: Sequence[str], path: str) -> Build:
    """The genome build of a VCF from its ``##contig`` lengths, else its reference lines.

    ``contigs`` maps ``##contig`` IDs to their lengths (contigs without a length left out);
    ``header_lines`` are the raw header lines. Raises InputError when the header does not
    tell, or contradicts itself.
    """
    verdict = _verdict(contigs, header_lines)
    if verdict.build is None:
        raise InputError(verdict.problem, path=path, hint=GENOME_HINT)
    return verdict.build


def resolve_build(
    requested: str, contigs: Mapping[str, int], header_lines: Sequence[str], path: str
) -> Build:
    """The build to annotate on: detected for ``auto``, else ``requested`` checked against the
    header.

    An explicit build is refused only when the header clearly names the other build; when the
    header is silent or contradicts itself, the explicit build is the user's decision.
    """
    if requested.lower() == "auto":
        return detect_build(contigs, header_lines, path)
    build = parse_build(requested)
    verdict = _verdict(contigs, header_lines)
    if verdict.build is not None and verdict.build != build:
        raise InputError(
            f"{verdict.source} are {verdict.build} but --genome {build} was given"
            if verdict.source == "header contigs"
            else f"{verdict.source} says {verdict.build} but --genome {build} was given",
            path=path,
            hint=f"pass --genome {verdict.build} or --genome auto, or fix the header",
        )
    return build
