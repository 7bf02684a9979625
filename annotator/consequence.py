"""Consequence annotations → ``Alteration``s: VEP ``CSQ``, SnpEff ``ANN``, bcftools ``BCSQ``.

:func:`read_annotation_format` reads, once, which annotations the VCF header declares and (for
VEP) the order of their fields. :class:`ConsequenceResolver` then turns the raw INFO strings of
one ALT allele into one ``Alteration`` per transcript consequence in a gene of the rules' gene
table, marks those on the rules' transcript ``preferred`` and classifies each with
:func:`annotator.consequence_terms.classify` (the consequence vocabulary lives there).
Consequences on other transcripts are kept (``preferred=False``) so that downstream can say
why a rule did not fire.

The conventions followed, as the tools define them:

- VEP ``CSQ``: fields in the order of the header's ``Format:``; one entry per allele and
  feature. ``Allele`` is the ALT as VEP saw it: when the record has an ALT of another length
  than REF and all alleles (``*`` aside) share their first base, VEP drops that base and an
  allele left empty is ``-`` (ensembl-vep ``Parser/VCF.pm``, ``create_VariationFeatures``).
  ``ALLELE_NUM`` (``--allele_number``), a 1-based index into the ALTs, wins when present,
  unless an entry's number is beyond the record's ALTs: a record split after VEP ran
  (``bcftools norm -m``, which copies CSQ whole), whose entries are then told by ``Allele``.
  ``MANE_SELECT`` (``MANE`` before VEP 102) is set on the MANE Select transcript only and
  names its counterpart (the NM_ for an ENST, the ENST under ``--refseq``). HGVS strings are
  percent-encoded (``%3D`` for ``=``).
- SnpEff ``ANN``: 16 fixed fields; ``Allele`` is the full ALT, or ``ALT-REF`` for the
  somatic-versus-germline comparisons of ``-cancer`` mode, which are not this allele's own.
  ``Rank`` is the exon rank, or the intron rank for intronic consequences.
- bcftools csq ``BCSQ``: ``[*]consequence|gene|transcript|biotype[|strand|amino_acid_change|
  dna_change]``, trailing fields left out when empty; ``*`` marks a consequence downstream
  of a stop on the same haplotype; ``@POS`` points to the record that carries a compound
  consequence. Consequence names are short forms of SO terms (``missense``) and are
  translated to SO here; ``dna_change`` is ``POSREF>ALT``, ``+``-joined for compounds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from types import MappingProxyType
from typing import Final, TypeVar
from urllib.parse import unquote

from annotator.consequence_terms import (
    BCSQ_TERMS,
    NONSYNONYMOUS_TERMS,
    class_from_protein,
    class_of_terms,
)
from annotator.errors import InputError
from annotator.models import Alteration, Variant, VariantClass
from annotator.protein import ProteinChange, try_parse_protein_change
from annotator.rules.schema import GeneSpec

__all__ = [
    "BCSQ_FIELDS",
    "SNPEFF_ANN_FIELDS",
    "AnnotationFormat",
    "ConsequenceResolver",
    "read_annotation_format",
    "vep_alleles",
]

SNPEFF_ANN_FIELDS: Final[tuple[str, ...]] = (
    "Allele",
    "Annotation",
    "Annotation_Impact",
    "Gene_Name",
    "Gene_ID",
    "Feature_Type",
    "Feature_ID",
    "Transcript_BioType",
    "Rank",
    "HGVS.c",
    "HGVS.p",
    "cDNA.pos / cDNA.length",
    "CDS.pos / CDS.length",
    "AA.pos / AA.length",
    "Distance",
    "ERRORS / WARNINGS / INFO",
)
"""The SnpEff ``ANN`` fields, in the fixed order of the VCF annotation format v1.0."""

BCSQ_FIELDS: Final[tuple[str, ...]] = (
    "Consequence",
    "gene",
    "transcript",
    "biotype",
    "strand",
    "amino_acid_change",
    "dna_change",
)
"""The bcftools csq ``BCSQ`` fields; the last three are left out when empty."""

VEP_REQUIRED_FIELDS: Final[tuple[str, ...]] = ("Allele", "Consequence", "SYMBOL", "Feature")


#: Terms whose SnpEff ``Rank`` counts introns, not exons.
_INTRONIC_TERMS: Final = frozenset(
    {
        "intron_variant",
        "conserved_intron_variant",
        "splice_donor_variant",
        "splice_acceptor_variant",
        "splice_donor_5th_base_variant",
        "splice_donor_region_variant",
        "splice_polypyrimidine_tract_variant",
    }
)

_FORMAT: Final = re.compile(r"Format:\s*(?P<fields>\S.*)", re.DOTALL)
_QUOTED: Final = re.compile(r"'(?P<fields>[^']*)'")
_RANK: Final = re.compile(r"(?P<first>[0-9]+)(?:-[0-9]+)?(?:/(?P<total>[0-9]+))?")
_DNA_CHANGE: Final = re.compile(r"(?P<pos>[0-9]+)[^>]*>.*")
_HGVS_TYPES: Final = ("c.", "g.", "m.", "n.", "p.", "r.")
_MISSING: Final = frozenset({"", "."})
_CLIP: Final = 80
T = TypeVar("T")
#: At most this many distinct protein changes are remembered per resolver.
_KNOWN_VALUES: Final = 4096


@dataclass(frozen=True, slots=True)
class AnnotationFormat:
    """The consequence annotations a VCF header declares, and their field order.

    ``ann_fields`` is SnpEff's fixed order, or VEP's ``Format:`` when VEP wrote its output to
    ``ANN`` (``--vcf_info_field ANN``).
    """

    csq_fields: tuple[str, ...] | None
    ann_fields: tuple[str, ...] | None
    bcsq_fields: tuple[str, ...] | None

    @property
    def present(self) -> bool:
        """True when the header declares at least one consequence annotation."""
        return any(f is not None for f in (self.csq_fields, self.ann_fields, self.bcsq_fields))

    @property
    def ann_is_vep(self) -> bool:
        """True when ``ANN`` holds VEP output rather than SnpEff's."""
        return self.ann_fields is not None and "Consequence" in self.ann_fields


def read_annotation_format(info_descriptions: Mapping[str, str], path: str) -> AnnotationFormat:
    """Read the CSQ, ANN and BCSQ declarations of a header (INFO ID → Description).

    Raises InputError naming ``path`` for a CSQ header without ``Format:`` and for a VEP format
    that lacks a field the resolver needs.
    """
    csq = info_descriptions.get("CSQ")
    ann = info_descriptions.get("ANN")
    bcsq = info_descriptions.get("BCSQ")
    return AnnotationFormat(
        csq_fields=_vep_fields("CSQ", csq, path) if csq is not None else None,
        ann_fields=_ann_fields(ann, path) if ann is not None else None,
        bcsq_fields=BCSQ_FIELDS if bcsq is not None else None,
    )


def _vep_fields(key: str, description: str, path: str) -> tuple[str, ...]:
    match = _FORMAT.search(description)
    if match is None:
        raise InputError(
            f"the INFO/{key} header has no 'Format:' list of fields: {_clip(description)!r}",
            path=path,
            hint="expected Ensembl VEP's 'Consequence annotations from Ensembl VEP. "
            "Format: Allele|Consequence|...'; annotate with vep --vcf",
        )
    text = match["fields"].strip().strip("\"'").strip()
    fields = tuple(name.strip() for name in text.split("|"))
    missing = [name for name in VEP_REQUIRED_FIELDS if name not in fields]
    if missing:
        raise InputError(
            f"the INFO/{key} Format lacks {', '.join(missing)}: {_clip(text)!r}",
            path=path,
            hint="run VEP with --symbol (or --everything) so that each entry names its gene"
            if missing == ["SYMBOL"]
            else "annotate with vep --vcf, which writes Allele, Consequence and Feature",
        )
    return fields


def _ann_fields(description: str, path: str) -> tuple[str, ...]:
    if _FORMAT.search(description) is not None:
        return _vep_fields("ANN", description, path)
    match = _QUOTED.search(description)
    if match is not None:
        names = match["fields"].split("|")
        if len(names) != len(SNPEFF_ANN_FIELDS):
            raise InputError(
                f"the INFO/ANN header lists {len(names)} fields, not SnpEff's "
                f"{len(SNPEFF_ANN_FIELDS)}: {_clip(description)!r}",
                path=path,
                hint="expected SnpEff's \"Functional annotations: 'Allele | Annotation | "
                "Annotation_Impact | ... | ERRORS / WARNINGS / INFO'\"",
            )
    return SNPEFF_ANN_FIELDS


def vep_alleles(ref: str, alts: Sequence[str]) -> tuple[str, ...]:
    """The ALT alleles of a VCF record as VEP names them in ``Allele``, in ALT order.

    Follows ensembl-vep ``Parser/VCF.pm``: only a record with an ALT of another length than
    REF is trimmed; then the first base is dropped when REF and every ALT (``*`` aside) share
    it, and an allele left empty is ``-``.
    """
    if all(len(alt) == len(ref) for alt in alts):
        return tuple(alts)
    if len(alts) > 1:
        first_bases = {allele[:1].upper() for allele in (ref, *alts) if "*" not in allele}
        if len(first_bases) != 1:
            return tuple(alts)
        return tuple(alt if "*" in alt else alt[1:] or "-" for alt in alts)
    alt = alts[0]
    if ref[:1].upper() == alt[:1].upper():
        return (alt[1:] or "-",)
    return (alt,)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One transcript consequence of this allele, read from any of the three annotations."""

    gene: str
    transcript: str | None
    terms: tuple[str, ...]
    hgvsp: str | None
    hgvsc: str | None
    exon: int | None
    canonical: bool = False
    mane_select: str | None = None
    exon_count: int | None = None


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where the fields the resolver reads sit in one entry of a VEP annotation.

    ``index`` maps each field name to its first position; the attributes after it are the
    positions of the fields read for every entry, -1 for a field the Format lacks.
    """

    key: str
    count: int
    index: Mapping[str, int]
    allele_num: int = -1
    allele: int = -1
    feature_type: int = -1
    symbol: int = -1
    feature: int = -1
    consequence: int = -1
    hgvsp: int = -1
    hgvsc: int = -1
    exon: int = -1
    canonical: int = -1
    mane_select: int = -1
    mane: int = -1
    protein_position: int = -1
    #: The fields resolve() reads, from an entry's values with one "" appended (a field the
    #: Format lacks reads that ""): Feature, Consequence, HGVSp, HGVSc, EXON, CANONICAL,
    #: MANE_SELECT, MANE.
    read: Callable[[Sequence[str]], tuple[str, ...]] = field(init=False, repr=False, compare=False)
    #: Every field resolve() reads but HGVSc and Allele (the same appended ""): what
    #: :meth:`ConsequenceResolver.csq_key` keeps of an entry.
    keyed: Callable[[Sequence[str]], tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        positions = (
            self.feature,
            self.consequence,
            self.hgvsp,
            self.hgvsc,
            self.exon,
            self.canonical,
            self.mane_select,
            self.mane,
        )
        getter = itemgetter(*(self.count if at < 0 else at for at in positions))
        object.__setattr__(self, "read", getter)
        keyed = (
            self.allele_num,
            self.feature_type,
            self.symbol,
            self.feature,
            self.consequence,
            self.hgvsp,
            self.exon,
            self.canonical,
            self.mane_select,
            self.mane,
            self.protein_position,
            self.index.get("Amino_acids", -1),
        )
        object.__setattr__(
            self, "keyed", itemgetter(*(self.count if at < 0 else at for at in keyed))
        )

    @classmethod
    def of(cls, key: str, fields: Sequence[str]) -> _Layout:
        index: dict[str, int] = {}
        for position, name in enumerate(fields):
            index.setdefault(name, position)
        return cls(
            key,
            len(fields),
            MappingProxyType(index),
            *(
                index.get(name, -1)
                for name in (
                    "ALLELE_NUM",
                    "Allele",
                    "Feature_type",
                    "SYMBOL",
                    "Feature",
                    "Consequence",
                    "HGVSp",
                    "HGVSc",
                    "EXON",
                    "CANONICAL",
                    "MANE_SELECT",
                    "MANE",
                    "Protein_position",
                )
            ),
        )

    def value(self, values: Sequence[str], name: str) -> str:
        position = self.index.get(name)
        return values[position] if position is not None else ""


class ConsequenceResolver:
    """Turns one ALT allele's consequence annotations into ``Alteration``s in rule genes."""

    def __init__(self, fmt: AnnotationFormat, genes: Mapping[str, GeneSpec]) -> None:
        self.fmt = fmt
        self.genes = genes
        self._csq = _Layout.of("CSQ", fmt.csq_fields) if fmt.csq_fields is not None else None
        self._ann_vep = (
            _Layout.of("ANN", fmt.ann_fields)
            if fmt.ann_fields is not None and fmt.ann_is_vep
            else None
        )
        # The rules' transcripts of each gene, and protein changes read before (the same
        # HGVSp recurs across records): derived once.
        self._ours = {symbol: _our_transcripts(spec) for symbol, spec in genes.items()}
        self._proteins: dict[str, ProteinChange | None] = {}
        # Gene symbols, transcripts and term tuples recur in every record: one object each,
        # shared by the alterations kept (a few per gene of the table).
        self._symbols = {symbol: symbol for symbol in genes}
        self._transcripts: dict[str | None, str | None] = {}
        self._terms: dict[tuple[str, ...], tuple[str, ...]] = {}
        # And per distinct text or tuple, derived once: the (shared) terms of a VEP
        # Consequence, the class of a term tuple (None: the protein change decides, see
        # classify) and the exon of an EXON.
        self._consequences: dict[str, tuple[str, ...]] = {}
        self._term_classes: dict[tuple[str, ...], VariantClass | None] = {}
        self._exons: dict[str, tuple[int | None, int | None]] = {}
        self._preferred: dict[tuple[str, str | None, str | None, bool], bool] = {}

    def resolve(self, variant: Variant) -> list[Alteration]:
        """Every transcript consequence of this ALT allele in a gene of the gene table.

        In annotation order (CSQ, ANN, BCSQ), each entry once; genes match the table's
        symbols exactly (case-sensitive). Raises InputError with the record number for an
        entry with the wrong number of fields; the caller adds the path.
        """
        alterations: list[Alteration] = []
        genes = self.genes
        for raw, layout in self._csq_and_ann(variant):
            if layout is None:
                for entry in _snpeff_entries(raw, variant):
                    self._add(alterations, variant, entry, "SnpEff")
                continue
            # VEP: the alteration straight from the entry's fields (rule genes only).
            read = layout.read
            consequence_terms, exons = self._consequence_terms, self._exons
            for values, gene in _vep_rows(raw, layout, variant, genes):
                values.append("")  # what a field the Format lacks reads (_Layout.read)
                feature, consequence, hgvsp, hgvsc, exon, canonical, mane_select, mane = read(
                    values
                )
                terms = consequence_terms(consequence)
                protein = _decoded(hgvsp) or (
                    _vep_protein_fields(values, layout, terms)
                    if layout.protein_position >= 0 and values[layout.protein_position]
                    else None
                )
                try:
                    exon_rank, exon_count = exons[exon]
                except KeyError:
                    exon_rank, exon_count = exon_rank_and_count(exon)
                    if len(exons) < _KNOWN_VALUES:
                        exons[exon] = exon_rank, exon_count
                alterations.append(
                    self._alteration(
                        variant,
                        "VEP",
                        gene,
                        feature or None,
                        terms,
                        protein,
                        _decoded(hgvsc),
                        exon_rank,
                        exon_count,
                        canonical=canonical == "YES",
                        mane_select=mane_select or mane or None,
                    )
                )
        bcsq = variant.annotations.get("BCSQ")
        if bcsq is not None:
            for entry in _bcsq_entries(bcsq, variant):
                self._add(alterations, variant, entry, "BCSQ")
        return alterations

    def _csq_and_ann(self, variant: Variant) -> list[tuple[str, _Layout | None]]:
        """The CSQ and ANN texts of this allele's record, in that order, each with its VEP
        layout (None: SnpEff's ANN); a CSQ the header does not declare is an InputError."""
        found: list[tuple[str, _Layout | None]] = []
        annotations = variant.annotations
        for key in ("CSQ", "ANN"):
            raw = annotations.get(key)
            if raw is None:
                continue
            layout = self._csq if key == "CSQ" else self._ann_vep
            if layout is None and key == "CSQ":
                raise _undeclared("CSQ", variant)
            found.append((raw, layout))
        return found

    def _add(
        self, alterations: list[Alteration], variant: Variant, entry: _Entry, source: str
    ) -> None:
        if entry.gene in self.genes:
            alterations.append(
                self._alteration(
                    variant,
                    source,
                    entry.gene,
                    entry.transcript,
                    _shared(self._terms, entry.terms),
                    entry.hgvsp,
                    entry.hgvsc,
                    entry.exon,
                    entry.exon_count,
                    canonical=entry.canonical,
                    mane_select=entry.mane_select,
                )
            )

    def _alteration(
        self,
        variant: Variant,
        source: str,
        gene: str,
        transcript: str | None,
        terms: tuple[str, ...],
        hgvsp: str | None,
        hgvsc: str | None,
        exon: int | None,
        exon_count: int | None,
        *,
        canonical: bool,
        mane_select: str | None,
    ) -> Alteration:
        """The alteration of one transcript entry of a gene of the table (``terms`` shared:
        the same tuple object for equal terms, while the table has room)."""
        protein = self._protein(hgvsp)
        try:
            term_class = self._term_classes[terms]
        except KeyError:
            term_class = class_of_terms(terms)
            if len(self._term_classes) < _KNOWN_VALUES:
                self._term_classes[terms] = term_class
        # Whether the entry is on the rules' transcript, by its few distinct values.
        key = (gene, transcript, mane_select, canonical)
        preferred = self._preferred.get(key)
        if preferred is None:
            preferred = _is_preferred(self._ours[gene], transcript, mane_select, canonical)
            if len(self._preferred) < _KNOWN_VALUES:
                self._preferred[key] = preferred
        if exon is None and preferred and protein is not None:  # bcftools csq: no exon field
            exon, exon_count = exon_from_table(self.genes[gene], protein)
        # By position, in the order of Alteration's fields: one per transcript entry, and
        # keyword arguments cost twice the time of the whole construction (2.0 against 0.9 µs).
        return Alteration(
            self._symbols[gene],  # gene
            class_from_protein(protein) if term_class is None else term_class,  # variant_class
            variant,
            _shared(self._transcripts, transcript),  # transcript
            preferred,  # preferred
            protein.hgvs if protein is not None else _without_reference(hgvsp),  # hgvsp
            _without_reference(hgvsc),  # hgvsc
            protein,
            exon,
            terms,  # consequence_terms
            source,
            None,  # event
            None,  # detail
            None,  # codon_change
            exon_count,
        )

    def _protein(self, hgvsp: str | None) -> ProteinChange | None:
        if hgvsp is None:
            return None
        try:
            return self._proteins[hgvsp]
        except KeyError:
            protein = try_parse_protein_change(hgvsp)
            if len(self._proteins) < _KNOWN_VALUES:
                self._proteins[hgvsp] = protein
            return protein

    def csq_key(
        self, raw: str, ref: str, alt: str
    ) -> tuple[tuple[bool, tuple[str, ...]], ...] | None:
        """What :meth:`resolve` reads of the VEP ``CSQ`` text of a record with one ALT, but the
        HGVSc: per entry, whether it names this ALT (by ALLELE_NUM, else by Allele: REF and ALT
        are read for that alone) and every other field it reads (:attr:`_Layout.keyed`). Two
        such alleles with equal keys resolve to alterations that differ in their HGVSc and
        variant alone; :mod:`annotator.candidate_triage` decides once for all of them. None
        without a CSQ Format in the header, when an entry has the wrong number of fields
        (resolve raises for it) or an ALLELE_NUM other than 1 (the record VEP saw had more
        ALTs: :func:`_entries_of_split` reads REF and ALT again)."""
        layout = self._csq
        if layout is None:
            return None
        count, keyed, allele_at, number_at = (
            layout.count,
            layout.keyed,
            layout.allele,
            layout.allele_num,
        )
        allele = vep_alleles(ref, (alt,))[0].upper()
        key = []
        for text in _split_entries(raw):
            values = text.split("|")
            if len(values) != count:
                return None
            number = values[number_at] if number_at >= 0 else ""
            if number:
                if number != "1":
                    return None
                ours = True
            else:
                ours = (values[allele_at] if allele_at >= 0 else "").upper() == allele
            values.append("")
            key.append((ours, keyed(values)))
        return tuple(key)

    def changes_protein_outside(self, variant: Variant) -> bool | None:
        """For an allele annotated by VEP's CSQ alone: whether it changes a protein
        (:meth:`changes_protein`), when no entry of it names a gene of the table; None when one
        does (:meth:`resolve` would give an alteration). One pass over the entries, where the
        two methods take one each."""
        layout = self._csq
        raw = variant.annotations.get("CSQ")
        if layout is None or raw is None or len(variant.annotations) != 1:
            raise ValueError("changes_protein_outside takes a variant annotated by CSQ alone")
        at, genes, changes = layout.consequence, self.genes, False
        for values, gene in _vep_rows(raw, layout, variant):
            if gene in genes:
                return None
            if not changes:
                terms = self._consequence_terms(values[at] if at >= 0 else "")
                changes = not NONSYNONYMOUS_TERMS.isdisjoint(terms)
        return changes

    def changes_protein(self, variant: Variant) -> bool:
        """Whether any annotated transcript, of any gene, has a non-synonymous coding change
        (``NONSYNONYMOUS_TERMS``); what TMB counts."""
        return any(not NONSYNONYMOUS_TERMS.isdisjoint(terms) for terms in self._all_terms(variant))

    def _all_terms(self, variant: Variant) -> Iterator[tuple[str, ...]]:
        """The consequence terms of each transcript entry of this allele, of every gene; of a
        VEP entry, only its Consequence is read (every entry is checked as by :meth:`resolve`
        all the same)."""
        for raw, layout in self._csq_and_ann(variant):
            if layout is None:
                for entry in _snpeff_entries(raw, variant):
                    yield entry.terms
                continue
            at = layout.consequence
            for values, _gene in _vep_rows(raw, layout, variant):
                yield self._consequence_terms(values[at] if at >= 0 else "")
        bcsq = variant.annotations.get("BCSQ")
        if bcsq is not None:
            for entry in _bcsq_entries(bcsq, variant):
                yield entry.terms

    def _consequence_terms(self, consequence: str) -> tuple[str, ...]:
        """The (shared) terms of a VEP Consequence, split once per distinct text."""
        terms = self._consequences.get(consequence)
        if terms is None:
            terms = _shared(self._terms, _split_terms(consequence))
            if len(self._consequences) < _KNOWN_VALUES:
                self._consequences[consequence] = terms
        return terms


def _shared(table: dict[T, T], value: T) -> T:
    """The object equal to ``value`` met first (while the table has room), else ``value``."""
    known = table.get(value)
    if known is not None:
        return known
    if len(table) < _KNOWN_VALUES:
        table[value] = value
    return value


def _our_transcripts(spec: GeneSpec) -> frozenset[str]:
    """The gene table's ENST, (unversioned) NM_ and equivalent ENSTs of a gene."""
    return spec.rules_transcripts() - {""}


def _is_preferred(
    ours: frozenset[str], transcript: str | None, mane_select: str | None, canonical: bool
) -> bool:
    """On the rules' transcript (``ours``, :func:`_our_transcripts`): the gene table's ENST
    or NM_, or VEP's MANE Select for it."""
    if transcript and _unversioned(transcript) in ours:
        return True
    if mane_select and _unversioned(mane_select) in ours:
        return True
    return not ours and canonical


def _vep_entries(
    raw: str, layout: _Layout, variant: Variant, genes: Container[str] | None = None
) -> Iterator[_Entry]:
    """The transcript entries of this allele in a VEP annotation (see :func:`_vep_rows`), each
    field read on its own: the plain reading that tests/test_consequence_fast.py holds
    :meth:`ConsequenceResolver.resolve` to."""
    for values, gene in _vep_rows(raw, layout, variant, genes):
        yield _vep_entry(values, layout, gene)


def _vep_rows(
    raw: str, layout: _Layout, variant: Variant, genes: Container[str] | None = None
) -> Iterator[tuple[list[str], str]]:
    """The fields and gene of each transcript entry of this allele in a VEP annotation; with
    ``genes``, only those of these genes (every entry is checked for its number of fields
    and its ALLELE_NUM all the same)."""
    count = layout.count
    allele_num, allele_at, feature_type_at = layout.allele_num, layout.allele, layout.feature_type
    symbol_at = layout.symbol
    entries = []
    for number, text in enumerate(_split_entries(raw), start=1):
        values = text.split("|")
        if len(values) != count:
            raise _malformed(
                variant,
                layout.key,
                number,
                text,
                found=len(values),
                expected=str(count),
                hint=f"the header's {layout.key} Format lists {count} fields; "
                "was the file annotated again without its header being updated?",
            )
        allele_number = values[allele_num] if allele_num >= 0 else ""
        if allele_number and not allele_number.isdigit():
            raise InputError(
                f"INFO/{layout.key} entry {number} has ALLELE_NUM {allele_number!r}, not a number",
                record=variant.record_index,
                hint="ALLELE_NUM is the 1-based index of the ALT allele (vep --allele_number)",
            )
        entries.append((values, int(allele_number) if allele_number else 0))
    # An ALLELE_NUM beyond the record's ALTs: a multi-allelic record split after VEP ran
    # (bcftools norm -m copies CSQ, Number=., whole to each part), so the numbers index
    # the ALTs of the record VEP saw, and the Allele names the entries of this one.
    split = any(number > len(variant.alts) for _values, number in entries)
    if split:
        entries = _entries_of_split(entries, allele_at, variant)  # this allele's, all
    allele = _vep_allele(variant)
    for values, number in entries:
        if split:
            pass
        elif number:
            if number != variant.alt_index + 1:
                continue
        elif (values[allele_at] if allele_at >= 0 else "").upper() != allele:
            continue
        feature_type = values[feature_type_at] if feature_type_at >= 0 else ""
        if feature_type and feature_type != "Transcript":
            continue
        gene = values[symbol_at] if symbol_at >= 0 else ""
        if genes is not None and gene not in genes:
            continue
        yield values, gene


def _vep_entry(values: Sequence[str], layout: _Layout, gene: str) -> _Entry:
    def at(position: int) -> str:
        return values[position] if position >= 0 else ""

    mane = at(layout.mane_select) or at(layout.mane)
    exon, exon_count = exon_rank_and_count(at(layout.exon))
    terms = _split_terms(at(layout.consequence))
    return _Entry(
        gene=gene,
        transcript=at(layout.feature) or None,
        terms=terms,
        hgvsp=_decoded(at(layout.hgvsp)) or _vep_protein_fields(values, layout, terms),
        hgvsc=_decoded(at(layout.hgvsc)),
        exon=exon,
        canonical=at(layout.canonical) == "YES",
        mane_select=mane or None,
        exon_count=exon_count,
    )


def _vep_protein_fields(values: Sequence[str], layout: _Layout, terms: Sequence[str]) -> str | None:
    """The protein change of a VEP entry without HGVSp (VEP writes HGVS only with ``--hgvs``
    or ``--everything``) from its ``Protein_position`` and ``Amino_acids`` (``790`` and
    ``T/M``, ``745-750`` and ``KELREA/K``, ``790`` and ``T`` when synonymous), in the form
    bcftools csq writes, which the protein parser reads (``790T>790M``), or as a frameshift
    (``p.K123fs``). None when they are missing or name no residue before the change (an
    insertion ``-/G`` between two residues)."""
    at = layout.protein_position
    position = (values[at] if at >= 0 else "").partition("-")[0]
    amino_acids = layout.value(values, "Amino_acids")
    if not (position.isdigit() and amino_acids):
        return None
    ref, _slash, alt = amino_acids.partition("/")
    ref, alt = ref.replace("-", ""), (alt if _slash else ref).replace("-", "")
    if not ref:
        return None
    if "frameshift_variant" in terms:
        return f"p.{ref[0]}{position}fs"
    return f"{position}{ref}>{position}{alt}"


def _entries_of_split(
    entries: list[tuple[list[str], int]], allele_at: int, variant: Variant
) -> list[tuple[list[str], int]]:
    """The entries of this ALT in the annotation of the multi-allelic record it was split
    from (their ALLELE_NUM numbers that record's ALTs), told by ``Allele``: VEP names an ALT
    whole, or without the first base all the record's ALTs share with REF, which this record
    no longer shows; the whole name is tried first. None when two of that record's ALTs have
    this one's name (``vep --minimal``): which is this one is unknown."""
    alt = variant.alt.upper()
    trimmed = {_vep_allele(variant)}
    if alt[:1] == variant.ref[:1].upper():
        trimmed.add(alt[1:] or "-")
    for names in ({alt}, trimmed - {alt}):
        found = [
            entry for entry in entries if allele_at >= 0 and entry[0][allele_at].upper() in names
        ]
        if found:
            return found if len({number for _values, number in found}) == 1 else []
    return []


def _vep_allele(variant: Variant) -> str:
    """This ALT as VEP names it, upper-case; the whole record's ALTs decide the trimming."""
    alts = variant.alts
    if not (0 <= variant.alt_index < len(alts)) or alts[variant.alt_index] != variant.alt:
        alts, index = (variant.alt,), 0
    else:
        index = variant.alt_index
    if len(alts) == 1 and len(alts[0]) == len(variant.ref):
        return alts[0].upper()  # what vep_alleles gives a lone ALT of REF's length
    return vep_alleles(variant.ref, alts)[index].upper()


def _snpeff_entries(raw: str, variant: Variant) -> Iterator[_Entry]:
    expected = len(SNPEFF_ANN_FIELDS)
    alt = variant.alt.upper()
    for number, text in enumerate(_split_entries(raw), start=1):
        values = text.split("|")
        if len(values) != expected:
            raise _malformed(
                variant,
                "ANN",
                number,
                text,
                found=len(values),
                expected=str(expected),
                hint="SnpEff ANN entries have 16 fields: Allele | Annotation | ... | ERRORS",
            )
        # 'ALT-REF' entries of -cancer mode compare two ALTs: never this allele's own.
        if values[0].upper() != alt or values[5].lower() != "transcript":
            continue
        terms = _split_terms(values[1])
        intronic = not _INTRONIC_TERMS.isdisjoint(terms)
        exon, exon_count = (None, None) if intronic else exon_rank_and_count(values[8])
        yield _Entry(
            gene=values[3],
            transcript=values[6] or None,
            terms=terms,
            hgvsp=_decoded(values[10]),
            hgvsc=_decoded(values[9]),
            exon=exon,
            exon_count=exon_count,
        )


def _bcsq_entries(raw: str, variant: Variant) -> Iterator[_Entry]:
    this_change = f"{variant.pos}{variant.ref}>{variant.alt}".upper()
    for number, text in enumerate(_split_entries(raw), start=1):
        if text.startswith("@"):  # the consequence is stored at another record
            continue
        values = text.split("|")
        if not 4 <= len(values) <= len(BCSQ_FIELDS):
            raise _malformed(
                variant,
                "BCSQ",
                number,
                text,
                found=len(values),
                expected=f"4 to {len(BCSQ_FIELDS)}",
                hint="bcftools csq entries are "
                "'consequence|gene|transcript|biotype[|strand|amino_acid_change|dna_change]'",
            )
        values += [""] * (len(BCSQ_FIELDS) - len(values))
        consequence, gene, transcript, _biotype, _strand, amino_acids, dna_change = values
        if not _bcsq_is_this_allele(dna_change, this_change, variant.pos):
            continue
        # A '*' prefix: downstream of a stop on the same haplotype; the terms are kept as is.
        names = _split_terms(consequence.removeprefix("*"))
        terms = tuple(BCSQ_TERMS.get(name, name) for name in names)
        yield _Entry(
            gene=gene,
            transcript=transcript or None,
            terms=terms,
            hgvsp=_bcsq_synonymous(amino_acids) or amino_acids or None,
            hgvsc=None,
            exon=None,
        )


_BCSQ_SAME_RESIDUE = re.compile(r"^(?P<position>[1-9][0-9]*)(?P<residue>[A-Z*])$")


def _bcsq_synonymous(amino_acids: str) -> str | None:
    """bcftools writes a synonymous change as the residue alone (``15L``): read it as L15=."""
    match = _BCSQ_SAME_RESIDUE.match(amino_acids)
    return f"{match['residue']}{match['position']}=" if match else None


def _bcsq_is_this_allele(dna_change: str, this_change: str, position: int) -> bool:
    """True unless ``dna_change`` names another allele at this position and not this one."""
    if not dna_change:
        return True  # no DNA change given: cannot tell, keep
    changes = [change.upper() for change in dna_change.split("+")]
    if this_change in changes:
        return True
    return not any(
        (match := _DNA_CHANGE.fullmatch(change)) is not None and int(match["pos"]) == position
        for change in changes
    )


def _split_entries(raw: str) -> list[str]:
    return [] if raw in _MISSING else raw.split(",")


def _split_terms(text: str) -> tuple[str, ...]:
    return tuple(term for term in text.split("&") if term)


def _decoded(text: str) -> str | None:
    """A HGVS string with VEP's percent-escapes decoded (``%3D`` → ``=``); None when empty."""
    if not text:
        return None
    return unquote(text) if "%" in text else text


def _without_reference(hgvs: str | None) -> str | None:
    """``ENST00000275493.7:c.2369C>T`` → ``c.2369C>T``."""
    if hgvs is None:
        return None
    # What re.sub(r"^[^:]+:(?=[cgmnpr]\.)", "", hgvs, count=1) gives: all before the first
    # ':' (at least one character) and the ':' go when a 'c.', 'g.', ... follows.
    colon = hgvs.find(":")
    if colon > 0 and hgvs.startswith(_HGVS_TYPES, colon + 1):
        return hgvs[colon + 1 :]
    return hgvs


def _rank(text: str) -> int | None:
    """``'19/28'`` → 19; ``'18-19/28'`` (spanning exons) → 18; empty → None."""
    return exon_rank_and_count(text)[0]


def exon_rank_and_count(text: str) -> tuple[int | None, int | None]:
    """An exon field (VEP ``EXON``, SnpEff rank, MAF ``Exon_Number``): ``'19/28'`` → (19, 28);
    ``'18-19/28'`` (spanning exons) → (18, 28), not in the last exon alone; ``'19'`` →
    (19, None); empty or unreadable → (None, None)."""
    match = _RANK.fullmatch(text.strip())
    if match is None:
        return None, None
    total = match["total"]
    return int(match["first"]), int(total) if total is not None else None


def exon_from_table(spec: GeneSpec, protein: ProteinChange | None) -> tuple[int | None, int | None]:
    """The exon of a change on the rules' transcript whose annotation names none (bcftools
    csq's BCSQ has no exon field; a MAF may lack ``Exon_Number``), and the transcript's exon
    count: the gene table's exon holding its first residue, with the table's ``exon_count``;
    (None, None) without a protein change or where the table lists no such exon."""
    exon = spec.exon_of_codon(protein.start) if protein is not None else None
    return (exon, spec.exon_count) if exon is not None else (None, None)


def _unversioned(identifier: str) -> str:
    return identifier.partition(".")[0]


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else text[: _CLIP - 3] + "..."


def _malformed(
    variant: Variant, key: str, number: int, text: str, *, found: int, expected: str, hint: str
) -> InputError:
    return InputError(
        f"INFO/{key} entry {number} has {found} fields, expected {expected}: {_clip(text)!r}",
        record=variant.record_index,
        hint=hint,
    )


def _undeclared(key: str, variant: Variant) -> InputError:
    return InputError(
        f"INFO/{key} is present but the header declares no {key}",
        record=variant.record_index,
        hint=f"add the ##INFO=<ID={key},...> line the annotator wrote",
    )
