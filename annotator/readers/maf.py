"""Read a MAF (GDC, TCGA or vcf2maf Mutation Annotation Format) into per-sample ``SampleAllele``s.

One MAF row is one tumour allele of one sample (``Tumor_Sample_Barcode``). Each row becomes a
``Variant`` and, when ``Hugo_Symbol`` is a gene of the rules' gene table, one ``Alteration``
read from the row's own annotation columns (a MAF carries one transcript per row: no
consequence annotation is resolved again).

Lines are read one at a time (plain or gzip) and split on tabs with ``str.split``, neither
pandas nor ``csv``: every error must name the physical line; cells must stay text (pandas turns
``NA`` into NaN and chromosome ``7`` into an integer, and warns about mixed column types, which
the strict test settings make errors); MAF cells are never quoted, so ``csv`` quote handling
could only mangle a cell holding ``"``; and a project MAF is streamed, never held whole.

Columns (GDC MAF format, docs.gdc.cancer.gov/Data/File_Formats/MAF_Format; vcf2maf
``docs/vep_maf_readme.txt``) are found by name, case-insensitively as mskcc/vcf2maf
``maf2vcf.pl`` does (older TCGA MAFs write ``End_position``); the first of a repeated name wins.
Required: ``Hugo_Symbol``, ``Chromosome``, ``Start_Position``, ``End_Position``,
``Reference_Allele``, ``Variant_Classification``, ``Tumor_Sample_Barcode`` and one of
``Tumor_Seq_Allele1``/``Tumor_Seq_Allele2``. Read when present: ``NCBI_Build``, ``HGVSp_Short``,
``HGVSp``, ``Protein_Change`` (older TCGA MAFs), ``HGVSc``, ``Transcript_ID``, ``Exon_Number``,
``t_depth``, ``t_ref_count``, ``t_alt_count``, ``i_TumorVAF_WU``, ``FILTER`` and vcf2maf's
``flanking_bps``.
Lines starting with ``#`` (``#version 2.4``) are skipped. The text is UTF-8; a byte-order
mark at its start (Excel's "UTF-8" files) is dropped.

Alleles. The tumour allele is ``Tumor_Seq_Allele2`` unless it is empty or equals
``Reference_Allele``; then ``Tumor_Seq_Allele1``. MAF positions are 1-based on the plus strand
and an empty allele is written ``-``: a deletion starts at its first deleted base
(``Reference_Allele`` = the deleted bases, alt ``-``), an insertion has ``Reference_Allele``
``-`` and ``Start_Position`` on the base *before* the inserted bases (``End_Position`` =
Start + 1). Both are what vcf2maf.pl writes after removing the bases REF and ALT share at
their start (``$start = $pos - 1`` for an insertion) and what maf2vcf.pl undoes ("for
MAF-format simple insertions, $pos is already the locus of the preceding bp").
The VCF form needs the reference base before the event, which a MAF does not carry. As in
maf2vcf.pl it is needed when one allele is empty, or when the alleles differ in length and in
their first base; then:

- insertion ``Start_Position`` S, ``-`` > ``INS``: VCF ``POS`` = S, ``REF`` = base at S,
  ``ALT`` = that base + ``INS``;
- deletion or complex change at S, ``DEL`` > ``ALT``: ``POS`` = S - 1,
  ``REF`` = base at S - 1 + ``DEL``, ``ALT`` = the same base + ``ALT`` (``-`` read as empty).

The base is taken only from vcf2maf's ``flanking_bps``: the reference from ``VCF POS - 1`` to
``VCF POS + len(VCF REF)`` (vcf2maf.pl, ``samtools faidx`` region ``$pos - 1 .. $pos +
length($ref)``), whose last base is therefore the one after ``End_Position`` (after
``Start_Position`` for an insertion). It is used only when ``Reference_Allele`` is found at its
place in it. Otherwise the row keeps its MAF form (``pos`` = ``Start_Position``, ``-`` for the
empty allele), it is counted in ``MafCounts.unpadded_indels`` and a note says so: no base is
invented. A complex change with two non-empty alleles is valid VCF as it is and is kept so
when no flanking base is known. SNVs and same-length changes are already in VCF form.
(tests/test_maf.py checks that the 20 rows of vcf2maf's own test output convert back to the
VCF records they were made from, indels and multi-allelic records included.)

Alterations (rule genes only). ``preferred`` when ``Transcript_ID`` without its version is the
gene table's ``ensembl_transcript`` (or its RefSeq accession, for MAFs of VEP ``--refseq``).
A file *without* a ``Transcript_ID`` column (the older TCGA layout, e.g. maftools'
``tcga_laml.maf.gz``) names no transcript: its protein changes are then ASSUMED to be numbered
on the rules' (canonical) transcript and marked ``preferred``, with a note; so is a row whose
``Transcript_ID`` cell is empty, with a note naming its line. ``source`` is
``maf``. The protein change is the first of ``HGVSp_Short``, ``HGVSp``, ``Protein_Change`` that
the notation parser reads (``Protein_Change`` also in the older TCGA forms,
:func:`annotator.protein.parse_legacy_change`); ``Exon_Number`` ``19/28`` gives exon 19. The
class comes from ``Variant_Classification`` (:data:`CLASSIFICATIONS`). An in-frame or missense
class whose protein change's new residues hold a stop contradicts it: neither is taken, and
the row is reported as unclassified with that reason (``Alteration.unusable``).
``Splice_Site`` is a donor or an acceptor only when ``HGVSc`` puts the change on intron
position +1/+2 or -1/-2 of the transcript, otherwise ``other`` with a note saying why, and
reported as unclassified with that reason (a splice change may be a loss of function). Other
classifications (``Splice_Region``, ``Nonstop_Mutation``, ``Intron``, ``IGR`` ...) are
``other``.

``Variant.record_index`` is the 1-based number of the data row (comment and header lines not
counted); errors name the physical line. ``vaf`` = ``t_alt_count`` / ``t_depth`` (or
``t_ref_count`` + ``t_alt_count`` without ``t_depth``); without a ``t_alt_count``, the WashU
TCGA MAFs' ``i_TumorVAF_WU`` percentage / 100; ``NA``, ``.`` or empty cells give None.
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final, TypeAlias

from annotator.consequence import exon_from_table, exon_rank_and_count
from annotator.errors import InputError
from annotator.genome import Build
from annotator.matcher import SampleAllele
from annotator.models import Alteration, Variant, VariantClass
from annotator.protein import ProteinChange, try_parse_protein_change
from annotator.readers.maf_format import REQUIRED_COLUMNS, TUMOR_ALLELE_COLUMNS
from annotator.readers.text import refuse_nul, refuse_stream_input
from annotator.rules.schema import GeneSpec

__all__ = ["BUILD_NAMES", "CLASSIFICATIONS", "MafCounts", "MafData", "read_maf", "splice_class"]

SOURCE: Final = "maf"

PROTEIN_COLUMNS: Final[tuple[str, ...]] = ("HGVSp_Short", "HGVSp", "Protein_Change")
#: The older TCGA column, read in that layout's own forms too.
LEGACY_PROTEIN_COLUMN: Final = "Protein_Change"
#: The tumor VAF in percent of the older WashU TCGA MAFs (TCGA LAML), read without counts.
WU_VAF_COLUMN: Final = "i_TumorVAF_WU"

BUILD_NAMES: Final[Mapping[str, Build]] = MappingProxyType(
    {
        "37": "GRCh37",
        "grch37": "GRCh37",
        "grch37-lite": "GRCh37",
        "hg19": "GRCh37",
        "b37": "GRCh37",
        "38": "GRCh38",
        "grch38": "GRCh38",
        "hg38": "GRCh38",
    }
)
"""``NCBI_Build`` values (lower-case) and the build they name."""

CLASSIFICATIONS: Final[Mapping[str, VariantClass]] = MappingProxyType(
    {
        "Missense_Mutation": VariantClass.MISSENSE,
        "Nonsense_Mutation": VariantClass.NONSENSE,
        "Frame_Shift_Del": VariantClass.FRAMESHIFT,
        "Frame_Shift_Ins": VariantClass.FRAMESHIFT,
        "In_Frame_Del": VariantClass.INFRAME_DELETION,
        "In_Frame_Ins": VariantClass.INFRAME_INSERTION,
        "Translation_Start_Site": VariantClass.START_LOST,
        "Silent": VariantClass.SYNONYMOUS,
    }
)
"""``Variant_Classification`` → class; ``Splice_Site`` is decided from HGVSc, the rest is
``other``."""

SPLICE_SITE: Final = "Splice_Site"
#: Classes that contradict a protein change whose new residues hold a stop (older TCGA MAFs
#: call some such FLT3 insertions In_Frame_Ins): the row is then reported as unclassified.
_IN_FRAME: Final = frozenset(
    {VariantClass.INFRAME_INSERTION, VariantClass.INFRAME_DELETION, VariantClass.MISSENSE}
)

#: The classifications TMB counts (see ``annotator.biomarkers.MAF_TMB_DEFINITION``).
NONSYNONYMOUS_CLASSIFICATIONS: Final = frozenset(
    {
        "Missense_Mutation",
        "Nonsense_Mutation",
        "Nonstop_Mutation",
        "Translation_Start_Site",
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "In_Frame_Del",
        "In_Frame_Ins",
    }
)

_GZIP_MAGIC: Final = b"\x1f\x8b"
_MISSING: Final = frozenset({"", ".", "na", "nan"})
_ALLELE: Final = re.compile(r"[ACGTN]+|-")
_BASES: Final = re.compile(r"[ACGTN]+")
_HGVS_REFERENCE: Final = re.compile(r"^[^:]+:(?=[cgmnpr]\.)")
_C_POSITION: Final = r"[-*]?[0-9]+(?:[+-][0-9]+)?"
_HGVSC_SPAN: Final = re.compile(
    rf"c\.\(?(?P<first>{_C_POSITION})(?:_(?P<last>{_C_POSITION}))?(?![0-9+-])"
)
_C_PARTS: Final = re.compile(r"(?P<region>[-*]?)(?P<base>[0-9]+)(?P<offset>[+-][0-9]+)?")
_SPLICE_OFFSETS: Final = (1, 2)
_WHOLE_NUMBER: Final = re.compile(r"[0-9]+")

_Value: TypeAlias = Callable[[str], str]  # column name -> the row's stripped cell ('' if absent)


@dataclass(frozen=True, slots=True)
class MafCounts:
    """What one sample's rows gave.

    ``records``: data rows of the sample; ``outside_rule_genes``: rows whose ``Hugo_Symbol`` is
    not in the gene table (``Unknown`` included); ``unpadded_indels``: indel rows kept in their
    MAF form because the reference base before them is not in the file; ``nonsynonymous``:
    rows passing ``FILTER`` (or without one) whose ``Variant_Classification`` TMB counts
    (:data:`NONSYNONYMOUS_CLASSIFICATIONS`); ``filtered``: rows failing ``FILTER`` (kept as
    alleles or not: see :func:`read_maf`'s ``keep_outside``).
    """

    records: int = 0
    outside_rule_genes: int = 0
    unpadded_indels: int = 0
    nonsynonymous: int = 0
    filtered: int = 0


@dataclass(frozen=True, slots=True)
class MafData:
    """A MAF file read: its build, samples in file order, and each sample's alleles, counts
    and notes.

    ``notes`` holds each sample's notes, one line each: assumptions made and classifications
    that could not be made, about its own rows only (``path, line N: ...`` for a row,
    ``path: ...`` for the sample's rows together, saying so, or for the file, saying so).
    """

    path: str
    build: Build | None
    samples: tuple[str, ...]
    alleles: Mapping[str, list[SampleAllele]]
    counts: Mapping[str, MafCounts]
    notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    build_column: bool = False  # the header has an NCBI_Build column (``build`` None: empty)


def read_maf(
    path: Path,
    genes: Mapping[str, GeneSpec],
    keep_outside: Callable[[Variant], bool] | None = None,
) -> MafData:
    """Read a MAF file, plain or gzip-compressed, into per-sample ``SampleAllele``s.

    Every row is read and checked, and counted in its sample's :class:`MafCounts`; a row
    outside the rule genes is kept as an allele only when ``keep_outside`` takes its variant
    (by default every row is kept). The annotator keeps those at a genomic rule's allele: a
    project MAF has millions of rows, nearly all outside the rule genes, which it only counts.

    Raises InputError naming the path (and the line) for a missing or unreadable file, a
    header without a required column, a row with another number of cells than the header, an
    empty sample or chromosome, a position or read count that is not a whole number, an allele
    that is not bases or ``-``, a row whose tumour alleles both equal the reference, an
    ``NCBI_Build`` other than GRCh37/GRCh38 spellings, and a file naming two builds.
    """
    refuse_stream_input(path, hint="write it to a file first")
    reader = _MafReader(path, genes, keep_outside)
    for line, text in _numbered_lines(path):
        if not text.strip() or text.startswith("#"):
            continue
        if reader.columns is None:
            reader.read_header(text, line)
        else:
            reader.read_row(text, line)
    if reader.columns is None:
        raise InputError(
            "no MAF header line", path=path, hint=f"expected columns {', '.join(REQUIRED_COLUMNS)}"
        )
    return reader.result()


def splice_class(hgvsc: str | None) -> tuple[VariantClass, str | None]:
    """The class of a ``Splice_Site`` row from its HGVSc, and why not when it stays ``other``.

    A donor change touches intron position +1 or +2 after an exon (``c.494+1G>A``,
    ``c.1713_1729+5del``), an acceptor change -1 or -2 before one (``c.1730-2A>G``). HGVS
    ``c.`` positions are numbered along the transcript, so this holds on either strand.
    """
    if not hgvsc:
        return VariantClass.OTHER, "no HGVSc to tell a splice donor from an acceptor change"
    text = _without_reference(hgvsc) or ""
    match = _HGVSC_SPAN.match(text)
    if match is None:
        return VariantClass.OTHER, f"HGVSc {hgvsc!r} is not a c. change with positions"
    first = _c_position(match["first"])
    last = _c_position(match["last"]) if match["last"] else first
    first, last = min(first, last), max(first, last)
    donor = _touches(first, last, sign=1)
    acceptor = _touches(first, last, sign=-1)
    if donor and acceptor:
        return VariantClass.OTHER, f"HGVSc {hgvsc!r} spans both a splice donor and an acceptor"
    if donor:
        return VariantClass.SPLICE_DONOR, None
    if acceptor:
        return VariantClass.SPLICE_ACCEPTOR, None
    return VariantClass.OTHER, f"HGVSc {hgvsc!r} is not on intron position +1/+2 or -1/-2"


# ------------------------------------------------------------------------------ the reader


@dataclass
class _Sample:
    alleles: list[SampleAllele] = field(default_factory=list)
    records: int = 0
    outside_rule_genes: int = 0
    unpadded_indels: int = 0
    nonsynonymous: int = 0
    filtered: int = 0
    assumed_transcript: int = 0  # rows in rule genes of a file without Transcript_ID
    notes: list[str] = field(default_factory=list)  # of its rows, in file order


@dataclass(frozen=True, slots=True)
class _Columns:
    """Column name (lower-case) → index, first occurrence."""

    names: tuple[str, ...]
    index: Mapping[str, int]

    @classmethod
    def of(cls, names: Sequence[str]) -> _Columns:
        index: dict[str, int] = {}
        for position, name in enumerate(names):
            index.setdefault(name.lower(), position)
        return cls(tuple(names), MappingProxyType(index))

    def has(self, name: str) -> bool:
        return name.lower() in self.index

    def value(self, cells: Sequence[str], name: str) -> str:
        position = self.index.get(name.lower())
        return cells[position].strip() if position is not None else ""


class _MafReader:
    def __init__(
        self,
        path: Path,
        genes: Mapping[str, GeneSpec],
        keep_outside: Callable[[Variant], bool] | None = None,
    ) -> None:
        self.path = path
        self.genes = genes
        self.keep_outside = keep_outside
        self.columns: _Columns | None = None
        self.samples: dict[str, _Sample] = {}
        self.build: Build | None = None
        self.build_line = 0
        self.rows = 0

    def error(self, message: str, line: int, hint: str | None = None) -> InputError:
        return InputError(message, path=self.path, line=line, hint=hint)

    def read_header(self, text: str, line: int) -> None:
        columns = _Columns.of([name.strip() for name in text.split("\t")])
        missing = [name for name in REQUIRED_COLUMNS if not columns.has(name)]
        if not any(columns.has(name) for name in TUMOR_ALLELE_COLUMNS):
            missing.append(" or ".join(TUMOR_ALLELE_COLUMNS))
        if missing:
            raise self.error(
                f"MAF header lacks column(s) {', '.join(missing)}",
                line,
                hint="a MAF needs " + ", ".join((*REQUIRED_COLUMNS, *TUMOR_ALLELE_COLUMNS)),
            )
        self.columns = columns

    def read_row(self, text: str, line: int) -> None:
        columns = self.columns
        assert columns is not None
        cells = text.split("\t")
        if len(cells) != len(columns.names):
            raise self.error(
                f"row has {len(cells)} tab-separated cells, the header has {len(columns.names)}",
                line,
            )
        self.rows += 1

        def value(name: str) -> str:
            return columns.value(cells, name)

        sample_name = value("Tumor_Sample_Barcode")
        chrom = value("Chromosome")
        if not sample_name or not chrom:
            empty = "Tumor_Sample_Barcode" if not sample_name else "Chromosome"
            raise self.error(f"{empty} is empty", line)
        self._check_build(value("NCBI_Build"), line)
        start = self._position(value("Start_Position"), "Start_Position", line)
        self._position(value("End_Position"), "End_Position", line)
        ref, alt = self._alleles(value, line)
        pos, vcf_ref, vcf_alt, padded = _vcf_form(start, ref, alt, value("flanking_bps").upper())
        sample = self.samples.setdefault(sample_name, _Sample())
        vaf, depth = self._vaf_and_depth(value, line, sample.notes)
        variant = Variant(
            chrom=chrom,
            pos=pos,
            ref=vcf_ref,
            alt=vcf_alt,
            record_index=self.rows,
            alts=(vcf_alt,),
            filters=_filters(value("FILTER")),
            vaf=vaf,
            depth=depth,
        )
        sample.records += 1
        if not variant.passed:
            sample.filtered += 1
        elif value("Variant_Classification") in NONSYNONYMOUS_CLASSIFICATIONS:
            sample.nonsynonymous += 1
        if not padded:
            sample.unpadded_indels += 1
        spec = self.genes.get(value("Hugo_Symbol"))
        if spec is None:
            sample.outside_rule_genes += 1
            if self.keep_outside is not None and not self.keep_outside(variant):
                return
            alterations: tuple[Alteration, ...] = ()
        else:
            alterations = (self._alteration(spec, variant, value, line, sample),)
        sample.alleles.append(SampleAllele(variant, alterations, annotated=True))

    def _check_build(self, text: str, line: int) -> None:
        if not text:
            return
        build = BUILD_NAMES.get(text.lower())
        if build is None:
            raise self.error(
                f"NCBI_Build {text!r} is not GRCh37 or GRCh38",
                line,
                hint="the annotator reads GRCh37 (37, GRCh37, hg19) and GRCh38 (38, GRCh38, hg38)",
            )
        if self.build is None:
            self.build, self.build_line = build, line
        elif build != self.build:
            raise self.error(
                f"NCBI_Build {text!r} ({build}) differs from {self.build} on line "
                f"{self.build_line}",
                line,
                hint="split the file by build; one MAF must be on one genome build",
            )

    def _position(self, text: str, column: str, line: int) -> int:
        if not _WHOLE_NUMBER.fullmatch(text) or int(text) < 1:
            raise self.error(f"{column} {text!r} is not a position (a whole number >= 1)", line)
        return int(text)

    def _alleles(self, value: _Value, line: int) -> tuple[str, str]:
        ref = value("Reference_Allele").upper()
        first = value("Tumor_Seq_Allele1").upper()
        second = value("Tumor_Seq_Allele2").upper()
        if second and second != ref:
            alt = second
        elif first and first != ref:
            alt = first
        else:
            raise self.error(
                f"no tumor allele differs from Reference_Allele {ref!r} "
                f"(Tumor_Seq_Allele1 {first!r}, Tumor_Seq_Allele2 {second!r})",
                line,
            )
        for column, allele in (("Reference_Allele", ref), ("tumor allele", alt)):
            if not _ALLELE.fullmatch(allele):
                raise self.error(
                    f"{column} {allele!r} is not a DNA sequence or '-'",
                    line,
                    hint="MAF alleles are A, C, G, T, N, or '-' for the empty allele of an indel",
                )
        return ref, alt

    def _vaf_and_depth(
        self, value: _Value, line: int, notes: list[str]
    ) -> tuple[float | None, int | None]:
        alt = _count(value("t_alt_count"), "t_alt_count", self.path, line)
        depth = _count(value("t_depth"), "t_depth", self.path, line)
        if depth is None:
            ref = _count(value("t_ref_count"), "t_ref_count", self.path, line)
            if ref is not None and alt is not None:
                depth = ref + alt
        vaf: float | None = None
        if alt is not None and depth:
            if alt > depth:
                notes.append(
                    f"{self.path}, line {line}: t_alt_count {alt} exceeds the depth {depth}; no VAF"
                )
            else:
                vaf = alt / depth
        if vaf is None and alt is None:
            vaf = _percent_vaf(value(WU_VAF_COLUMN), self.path, line)
        return vaf, depth

    def _alteration(
        self, spec: GeneSpec, variant: Variant, value: _Value, line: int, sample: _Sample
    ) -> Alteration:
        columns = self.columns
        assert columns is not None
        transcript = value("Transcript_ID") or None
        if transcript is not None:
            preferred = _is_rules_transcript(spec, transcript)
        else:  # no column, or an empty cell: assumed on the rules' transcript, as README says
            preferred = True
            if columns.has("Transcript_ID"):
                sample.notes.append(
                    f"{self.path}, line {line}: {spec.symbol}: Transcript_ID is empty; its "
                    "protein change is assumed to be on the rules' (canonical) transcript"
                )
            else:
                sample.assumed_transcript += 1
        texts = [value(name) for name in PROTEIN_COLUMNS]
        protein = _first_protein(texts)
        hgvsc = _without_reference(value("HGVSc") or None)
        classification = value("Variant_Classification")
        unusable = None
        if classification == SPLICE_SITE:
            variant_class, reason = splice_class(hgvsc)
            if reason is not None:
                sample.notes.append(
                    f"{self.path}, line {line}: {spec.symbol} {SPLICE_SITE}: {reason}; "
                    "class 'other'"
                )
                unusable = f"{SPLICE_SITE} row: {reason}"
        else:
            variant_class = CLASSIFICATIONS.get(classification, VariantClass.OTHER)
        raw_protein = next((text for text in texts if text), None)
        if variant_class in _IN_FRAME and protein is not None and protein.adds_stop:
            unusable = (
                f"Variant_Classification {classification} and protein change "
                f"{raw_protein!r} disagree: its new residues hold a stop; check the annotation"
            )
            variant_class, protein = VariantClass.OTHER, None
        exon, exon_count = exon_rank_and_count(value("Exon_Number"))
        if exon is None and preferred:  # no Exon_Number: the gene table places the change
            exon, exon_count = exon_from_table(spec, protein)
        return Alteration(
            gene=spec.symbol,
            variant_class=variant_class,
            variant=variant,
            transcript=transcript,
            preferred=preferred,
            hgvsp=protein.hgvs if protein is not None else _without_reference(raw_protein),
            hgvsc=hgvsc,
            protein=protein,
            exon=exon,
            source=SOURCE,
            exon_count=exon_count,
            unusable=unusable,
        )

    def result(self) -> MafData:
        return MafData(
            path=str(self.path),
            build=self.build,
            samples=tuple(self.samples),
            alleles={name: sample.alleles for name, sample in self.samples.items()},
            counts={
                name: MafCounts(
                    records=sample.records,
                    outside_rule_genes=sample.outside_rule_genes,
                    unpadded_indels=sample.unpadded_indels,
                    nonsynonymous=sample.nonsynonymous,
                    filtered=sample.filtered,
                )
                for name, sample in self.samples.items()
            },
            notes={name: self._notes(sample) for name, sample in self.samples.items()},
            build_column=self.columns is not None and self.columns.has("NCBI_Build"),
        )

    def _notes(self, sample: _Sample) -> tuple[str, ...]:
        """The sample's notes: on its rows together, then on each row in file order."""
        notes: list[str] = []
        if sample.assumed_transcript:
            notes.append(
                f"{self.path}: the file has no Transcript_ID column; the protein changes of "
                f"this sample's {sample.assumed_transcript} row(s) in rule genes are assumed "
                "to be on the rules' (canonical) transcripts"
            )
        if sample.unpadded_indels:
            notes.append(
                f"{self.path}: {sample.unpadded_indels} indel row(s) of this sample kept in MAF "
                "form (pos = Start_Position, '-' for the empty allele): the file gives no "
                "reference base before them (no usable flanking_bps)"
            )
        return (*notes, *sample.notes)


# ------------------------------------------------------------------------------ helpers


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without its end) of a UTF-8 text file, gzip or not; a
    byte-order mark at its start (a MAF saved from Excel) is no part of the first line."""
    try:
        with path.open("rb") as handle:
            compressed = handle.read(2) == _GZIP_MAGIC
    except FileNotFoundError:
        raise InputError("MAF file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a MAF file", path=path) from None
    except OSError as error:
        raise InputError(
            f"cannot read the MAF file: {error.strerror or error}", path=path
        ) from None
    try:
        with (
            gzip.open(path, "rt", encoding="utf-8-sig", newline="")
            if compressed
            else path.open(encoding="utf-8-sig", newline="")
        ) as text:
            for number, content in enumerate(text, start=1):
                refuse_nul(content, path, "MAF", first_line=number)
                yield number, content.rstrip("\r\n")
    except UnicodeDecodeError:
        # Text is decoded in chunks: the failing line is not known exactly.
        raise InputError(
            "MAF file is not UTF-8 text", path=path, hint="is it a binary file?"
        ) from None
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(
            f"cannot read the {'gzip-compressed ' if compressed else ''}MAF file: {error}",
            path=path,
        ) from None


def _vcf_form(start: int, ref: str, alt: str, flanking: str) -> tuple[int, str, str, bool]:
    """(pos, ref, alt, True) in VCF form; (Start_Position, ref, alt, False) when the base before
    an indel is not known (module docstring)."""
    deleted = "" if ref == "-" else ref
    inserted = "" if alt == "-" else alt
    if deleted and inserted and (len(deleted) == len(inserted) or deleted[0] == inserted[0]):
        return start, deleted, inserted, True  # already in VCF form
    base = _base_before(start, deleted, flanking)
    if base is not None:
        if not deleted:  # insertion: Start_Position is the base before it
            return start, base, base + inserted, True
        return start - 1, base + deleted, base + inserted, True
    if deleted and inserted:
        return start, deleted, inserted, True  # complex change: valid VCF without the base
    return start, ref, alt, False


def _base_before(start: int, deleted: str, flanking: str) -> str | None:
    """The reference base vcf2maf's ``flanking_bps`` gives before the event, or None."""
    if not _BASES.fullmatch(flanking):
        return None
    last = start + len(deleted) if deleted else start + 1  # the base after the MAF allele
    first = last - len(flanking) + 1
    wanted = start if not deleted else start - 1
    if wanted < first:
        return None
    if deleted and flanking[start - first : start - first + len(deleted)] != deleted:
        return None
    return flanking[wanted - first]


def _filters(text: str) -> tuple[str, ...]:
    """``FILTER`` values as ``Variant.filters`` holds them: PASS and ``.`` give ()."""
    values = tuple(part.strip() for part in re.split(r"[;,]", text) if part.strip())
    return () if values in ((), (".",), ("PASS",)) else values


def _number(text: str) -> float | None:
    """A cell's number: None when missing (empty, ``.``, ``NA``), NaN when not a number."""
    if text.lower() in _MISSING:
        return None
    try:
        return float(text)
    except ValueError:
        return math.nan


def _count(text: str, column: str, path: Path, line: int) -> int | None:
    value = _number(text)
    if value is None:
        return None
    if not (value >= 0 and value.is_integer()):
        raise InputError(
            f"{column} {text!r} is not a read count (a whole number)", path=path, line=line
        )
    return int(value)


def _percent_vaf(text: str, path: Path, line: int) -> float | None:
    """The VAF of an ``i_TumorVAF_WU`` cell: a percentage (``19.83``), as maftools reads the
    column (``vafCol = 'i_TumorVAF_WU'``, divided by 100 when above 1)."""
    percent = _number(text)
    if percent is None:
        return None
    if not 0 <= percent <= 100:
        raise InputError(
            f"{WU_VAF_COLUMN} {text!r} is not a percentage (0-100)", path=path, line=line
        )
    return percent / 100


def _is_rules_transcript(spec: GeneSpec, transcript: str) -> bool:
    return _unversioned(transcript) in spec.rules_transcripts()


def _first_protein(texts: Sequence[str]) -> ProteinChange | None:
    """The first protein change of ``PROTEIN_COLUMNS`` read; ``Protein_Change`` also in the
    older TCGA forms (:func:`~annotator.protein.parse_legacy_change`)."""
    for name, text in zip(PROTEIN_COLUMNS, texts, strict=True):
        protein = try_parse_protein_change(text or None, legacy=name == LEGACY_PROTEIN_COLUMN)
        if protein is not None:
            return protein
    return None


def _without_reference(hgvs: str | None) -> str | None:
    """``ENST00000275493.7:c.2369C>T`` → ``c.2369C>T``."""
    if hgvs is None:
        return None
    return _HGVS_REFERENCE.sub("", hgvs, count=1)


def _unversioned(identifier: str) -> str:
    return identifier.partition(".")[0]


_CPosition = tuple[int, int, int]  # (region: 0 5'UTR, 1 CDS, 2 3'UTR; base; intron offset)


def _c_position(text: str) -> _CPosition:
    """``c.`` position → a key that sorts along the transcript: ``-12`` < ``5`` < ``5+1`` <
    ``6-2`` < ``*3``."""
    match = _C_PARTS.fullmatch(text)
    assert match is not None  # guaranteed by _HGVSC_SPAN
    base = int(match["base"])
    offset = int(match["offset"]) if match["offset"] else 0
    if match["region"] == "-":
        return 0, -base, offset
    if match["region"] == "*":
        return 2, base, offset
    return 1, base, offset


def _touches(first: _CPosition, last: _CPosition, *, sign: int) -> bool:
    """True when first..last covers intron position sign*1 or sign*2 of an exon boundary that
    one of its ends is written against (an end with an offset of that sign)."""
    anchors = {(end[0], end[1]) for end in (first, last) if end[2] * sign > 0}
    return any(
        first <= (region, base, sign * offset) <= last
        for region, base in anchors
        for offset in _SPLICE_OFFSETS
    )
