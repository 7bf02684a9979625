"""Consequences of unannotated records (no ``CSQ``, ``ANN`` or ``BCSQ``) from the rules' tables.

For one ALT allele, :meth:`GenomicAnnotator.annotate` tries, in order:

1. the hotspot table: the allele, normalized as the hotspot alleles are
   (:func:`annotator.normalize.normalize_allele`), equal to a hotspot allele of the build →
   the hotspot's protein change (:func:`annotator.hotspots.hotspot_alteration`);
2. the gene table's exons (the coding part of each listed exon of the MANE Select transcript,
   with its genomic span per build): what follows from positions and lengths alone.

What the exon table decides, per gene whose span holds the allele:

- an indel inside the coding part of one exon: ``inframe_deletion`` / ``inframe_insertion``
  when the net length change is a multiple of 3, else ``frameshift``; an ``Alteration`` on
  the MANE transcript with the exon number (and the transcript's exon count when the gene
  table gives it, so that a frameshift in the last exon is seen to escape nonsense-mediated
  decay, as with VEP's ``EXON`` 23/23) and no protein change, and a note naming its class and
  the codons it touches: exon and loss-of-function rules can decide it, codon and protein
  rules cannot, so the pipeline reports the note as unclassified unless a rule fires for the
  allele in that gene;
- a change of the first two or last two intron bases next to a listed exon (within the exon's
  genomic span ± 2): ``splice_donor`` or ``splice_acceptor`` by the gene's strand (the 5' end
  of an intron is the donor). ``exon`` is None, as VEP and SnpEff give intronic consequences
  no exon. The side of an exon whose coding part starts at c.1 is not taken for an intron
  boundary (it borders the 5' UTR), nor the side after the coding part of the exon holding
  the stop codon (the transcript's last, ``exon_count`` of the gene table, unless its
  ``coding_length`` places the stop in another: it borders the 3' UTR); an insertion counts
  only when both bases around it are splice-site bases, so one between +2 and +3 is not a
  splice variant;
- an SNV inside the coding part: an ``Alteration`` of class ``other`` on the MANE transcript
  with the exon number, ``hgvsc`` (``c.35G>A``, coding-strand bases: complemented on the ``-``
  strand), no protein change and a :class:`~annotator.models.CodonChange` (codon number, place
  in the codon, coding-strand bases), from which the matcher decides codon-level rules with the
  genetic code (:mod:`annotator.genetic_code`); and, as for an MNV inside the coding part, a
  note naming the codons touched, since the protein change needs the reference codon. The
  pipeline reports the note as unclassified unless a rule fires for the allele in that gene;
- a change inside an intron of a gene whose table lists every coding exon (c.1 on, exon
  after exon with no gap in the c. numbering, through the one holding the stop codon: ABL1,
  BRAF, BRCA1, BRCA2, EGFR, FLT3, KRAS, NRAS, PIK3CA, PTEN), between its first and last
  coding bases, touching neither a coding part nor a splice site: an ``Alteration`` of class
  ``other`` with the term ``intron_variant``, as VEP gives it, and no note (no rule takes it;
  it is classified, not unclassified);
- anything else in the gene's span (introns of a gene whose table is not complete, beyond
  ± 2, the UTRs, exons the table does not list, an indel that straddles the end of a coding
  part without touching a splice site): a note.

c. positions: on the ``+`` strand ``c = cds_start + (pos - span.start)``, on the ``-`` strand
``c = cds_start + (span.end - pos)``; the codon of c. position ``c`` is ``(c + 2) // 3`` and
its place in that codon ``(c - 1) % 3 + 1``.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from annotator.errors import RulesError
from annotator.gene_regions import GeneLocator, Segments
from annotator.genome import ByChromosomeName, normalize_chrom
from annotator.hotspots import hotspot_alteration
from annotator.models import AlleleKey, Alteration, CodonChange, Variant, VariantClass, allele_key
from annotator.normalize import ReferenceSequence, is_sequence_allele, normalize_allele
from annotator.rules.schema import GeneSpec, Hotspot
from annotator.splice_sites import SpliceSite, exon_sites

__all__ = [
    "PROTEIN_CHANGE_HINT",
    "GenomicAnnotator",
    "GenomicResult",
    "codon_of",
    "codon_position_of",
]

#: How to get the protein change the exon table cannot give.
PROTEIN_CHANGE_HINT: Final = (
    "the protein change needs the reference sequence (run with --reference/--gff for full "
    "consequence calling, or annotate with VEP)"
)
UNKNOWN_WITHOUT_ANNOTATION: Final = (
    "protein effect unknown without annotation (run with --reference/--gff for full "
    "consequence calling, or annotate with VEP)"
)

_TERMS: Final[Mapping[VariantClass, str]] = {
    VariantClass.FRAMESHIFT: "frameshift_variant",
    VariantClass.INFRAME_DELETION: "inframe_deletion",
    VariantClass.INFRAME_INSERTION: "inframe_insertion",
    VariantClass.SPLICE_DONOR: "splice_donor_variant",
    VariantClass.SPLICE_ACCEPTOR: "splice_acceptor_variant",
}
#: The classes of an indel inside the coding part of an exon (its note's kind).
_INDEL_CLASSES: Final = frozenset(
    c.value
    for c in (
        VariantClass.FRAMESHIFT,
        VariantClass.INFRAME_DELETION,
        VariantClass.INFRAME_INSERTION,
    )
)
#: The classes of a change of a splice site (its note's kind when it changes coding bases too).
_SPLICE_CLASSES: Final = frozenset(
    c.value for c in (VariantClass.SPLICE_DONOR, VariantClass.SPLICE_ACCEPTOR)
)
#: SO term of an SNV in a coding exon whose protein effect the tables cannot tell.
CODING_SEQUENCE_VARIANT: Final = "coding_sequence_variant"
#: SO term of a change inside an intron of a gene whose table lists every coding exon.
INTRON_VARIANT: Final = "intron_variant"
_COMPLEMENT: Final = str.maketrans("ACGTN", "TGCAN")
_BASES: Final = frozenset("ACGT")
#: Alleles and chromosome names recur across records: each is checked or normalized once,
#: at most this many remembered (the least recently used are forgotten first).
_KNOWN_VALUES: Final = 4096
_is_sequence = functools.lru_cache(maxsize=_KNOWN_VALUES)(is_sequence_allele)
_chrom = functools.lru_cache(maxsize=_KNOWN_VALUES)(normalize_chrom)
#: What every allele in a piece of a chromosome gets when no exon-table decision is needed
#: (the genes whose span holds the piece list none of its bases among their exons' coding
#: bases or splice sites): the notes of some genes, and the genes it is intronic in (their
#: tables list every coding exon); None where the exon table decides.
_PieceNotes = tuple[tuple[tuple[str, str], ...], tuple[str, ...]] | None
#: What a note says: (kind, gene, first, last) with kind ``no exons``, ``outside``,
#: ``codons`` (first to last codon), an indel's class inside a coding part (first to last
#: codon) or where an indel meets an exon (first = last = exon).
_NoteKey = tuple[str, str, int, int]


@dataclass(slots=True)
class GenomicResult:
    """What the tables say about one allele: built up by the annotator, then only read (not
    a frozen dataclass, which takes three times as long to make, once per allele).

    ``notes`` are (gene, reason) for rule genes whose span holds the allele but whose effect
    stays unknown (an SNV in a coding exon has both a codon-change alteration and a note);
    ``codons`` the codons of the MANE transcript the allele touches, per gene (for indels and
    for SNV/MNV notes alike; empty after a hotspot hit).
    """

    alterations: list[Alteration] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    codons: dict[str, tuple[int, ...]] = field(default_factory=dict)


def codon_of(cds_position: int) -> int:
    """The codon number of a c. position: c.1-3 → 1, c.2369 → 790."""
    return (cds_position + 2) // 3


def codon_position_of(cds_position: int) -> int:
    """The place (1-3) of a c. position in its codon: c.34 → 1, c.35 → 2, c.36 → 3."""
    return (cds_position - 1) % 3 + 1


@dataclass(frozen=True, slots=True)
class _Exon:
    """The coding part of one exon, placed on the genome of one build."""

    number: int
    start: int
    end: int
    cds_start: int
    cds_end: int
    splice_sites: tuple[SpliceSite, ...]

    def cds_at(self, pos: int, strand: str) -> int:
        return self.cds_start + (pos - self.start if strand == "+" else self.end - pos)

    def holds(self, first: int, last: int) -> bool:
        return self.start <= first and last <= self.end

    def overlaps(self, first: int, last: int) -> bool:
        return self.start <= last and first <= self.end


@dataclass(frozen=True, slots=True)
class _Gene:
    spec: GeneSpec
    exons: tuple[_Exon, ...]  # in transcript order
    #: The positions of all splice-site bases, sorted: most changes are nowhere near one.
    splice_positions: tuple[int, ...] = ()
    #: When the table lists every coding exon (:func:`_every_coding_exon`): the first and
    #: last coding bases on the genome; a change strictly between them that touches no coding
    #: part nor splice site lies in an intron.
    coding_extent: tuple[int, int] | None = None

    def intronic(self, first: int, last: int) -> bool:
        """Whether bases ``first``..``last``, which touch no coding part nor splice site of
        the gene, lie in one of its introns (only known for a complete exon table)."""
        extent = self.coding_extent
        return extent is not None and extent[0] < first and last < extent[1]

    @property
    def listed(self) -> str:
        return _ranges(exon.number for exon in self.exons)

    def splice_span(self, change: _Change) -> bool:
        """Whether a splice-site base lies within the change's bases (a necessary condition
        of :func:`_splice_hit`)."""
        index = bisect.bisect_left(self.splice_positions, change.first)
        return index < len(self.splice_positions) and self.splice_positions[index] <= change.last


@dataclass(frozen=True, slots=True)
class _Change:
    """The reference bases an allele changes, from its normalized form.

    ``first``..``last`` are the changed bases; for a pure insertion, the two bases it lies
    between (``last == first + 1``).
    """

    first: int
    last: int
    net: int  # len(ALT) - len(REF)
    insertion: bool

    @classmethod
    def of(cls, pos: int, ref: str, alt: str) -> _Change:
        net = len(alt) - len(ref)
        padded = net != 0 and min(len(ref), len(alt)) == 1
        if padded and ref[0] == alt[0]:  # VCF padding base first
            if len(ref) == 1:
                return cls(pos, pos + 1, net, insertion=True)
            return cls(pos + 1, pos + len(ref) - 1, net, insertion=False)
        if padded and ref[-1] == alt[-1]:  # padding base last: an indel at a contig start
            if len(ref) == 1:
                return cls(pos - 1, pos, net, insertion=True)
            return cls(pos, pos + len(ref) - 2, net, insertion=False)
        return cls(pos, pos + len(ref) - 1, net, insertion=False)

    @property
    def substitution(self) -> bool:
        return self.net == 0


class GenomicAnnotator:
    """Alterations and notes for unannotated alleles, from the hotspot and gene tables.

    ``hotspot_index`` is :meth:`annotator.rules.RuleSet.hotspot_index` of ``build``;
    ``fasta`` (a ``pysam.FastaFile`` of the same build), when given, left-aligns indels before
    the hotspot lookup. Raises ``RulesError`` when an exon's genomic span and c. range differ
    in length.
    """

    def __init__(
        self,
        genes: Mapping[str, GeneSpec],
        build: str,
        hotspot_index: Mapping[AlleleKey, Sequence[Hotspot]],
        fasta: ReferenceSequence | None = None,
    ) -> None:
        self._genes = genes
        self._hotspots = hotspot_index
        self._hotspot_positions = frozenset(pos for _chrom, pos, _ref, _alt in hotspot_index)
        self._fasta = fasta
        self._locator = GeneLocator(genes, build)
        self._placed = {symbol: _place(spec, build) for symbol, spec in genes.items()}
        # Derived once per value: whether an allele is plain bases, normalized chromosome
        # names, and the notes (gene, reason), shared by every allele they describe.
        self._notes: dict[_NoteKey, tuple[str, str]] = {}
        # Per chromosome: pieces between the ends of the gene spans, listed exons and splice
        # sites, with the notes of the piece when it needs no exon-table decision (most
        # alleles in rule genes lie in introns), by normalized and by given name.
        self._named = ByChromosomeName(
            {chrom: self._cut(items) for chrom, items in self._locator.spans.items()}, _NO_PIECES
        )

    def _cut(self, items: Sequence[tuple[int, int, str]]) -> tuple[Segments, list[_PieceNotes]]:
        cuts: set[int] = set()
        for _start, _end, symbol in items:
            gene = self._placed[symbol]
            if gene is not None:
                cuts.update(bound for e in gene.exons for bound in (e.start, e.end + 1))
                cuts.update(bound for p in gene.splice_positions for bound in (p, p + 1))
        segments = Segments(items, cuts)
        notes: list[_PieceNotes] = [((), ())]  # before the first piece: no gene
        notes.extend(
            self._piece_notes(genes, first)
            for genes, first in zip(segments.labels[1:], segments.bounds, strict=True)
        )
        return segments, notes

    def _piece_notes(self, genes: Sequence[str], first: int) -> _PieceNotes:
        """The notes of every allele within the piece that starts at ``first`` (the genes'
        exons and splice sites start and end pieces, so one of its positions tells)."""
        notes = []
        introns = []
        for symbol in genes:
            gene = self._placed[symbol]
            if gene is None or not gene.exons:
                notes.append(self._note(("no exons", symbol, 0, 0)))
            elif first in gene.splice_positions or any(e.holds(first, first) for e in gene.exons):
                return None
            elif gene.intronic(first, first):
                introns.append(symbol)
            else:
                notes.append(self._note(("outside", symbol, 0, 0)))
        return tuple(notes), tuple(introns)

    def snv_piece(self, chrom: str, pos: int) -> int | None:
        """Where an SNV at ``chrom:pos`` lies, when :meth:`annotate` gives every SNV of other
        bases there the same notes, and alterations of the same kind (intron variants of the
        same genes, or none): the index of its piece. None when its place decides (a hotspot
        position, a piece that holds an exon or a splice site) or when a FASTA normalizes
        it."""
        if self._fasta is not None or pos in self._hotspot_positions:
            return None
        segments, notes = self._named[chrom]
        piece = bisect.bisect_right(segments.bounds, pos)
        return piece if notes[piece] is not None else None

    def annotate(self, variant: Variant) -> GenomicResult:
        chrom, pos, ref, alt = variant.chrom, variant.pos, variant.ref, variant.alt
        if not (_is_sequence(ref) and _is_sequence(alt)):
            return GenomicResult()  # symbolic, breakend or spanning deletion: not ours
        if self._fasta is None and len(ref) == len(alt) == 1:
            ref, alt = ref.upper(), alt.upper()  # an SNV: normalization only upper-cases it
        else:
            chrom, pos, ref, alt = normalize_allele(chrom, pos, ref, alt, self._fasta)
        if ref == alt:
            return GenomicResult()
        hotspots: Sequence[Hotspot] = ()
        if pos in self._hotspot_positions:
            hotspots = self._hotspots.get((_chrom(chrom), pos, ref, alt), ())
        if not hotspots and variant.pos in self._hotspot_positions:
            hotspots = self._hotspots.get(allele_key(variant), ())
        if hotspots:
            return GenomicResult(
                [hotspot_alteration(h, variant, self._genes.get(h.gene)) for h in hotspots]
            )
        # The changed bases, as _Change.of has them (a substitution: REF's own).
        if len(ref) == len(alt):
            first, last, change = pos, pos + len(ref) - 1, None
        else:
            change = _Change.of(pos, ref, alt)
            first, last = change.first, change.last
        segments, notes = self._named[chrom]
        piece = bisect.bisect_right(segments.bounds, first)
        if last == first or piece == bisect.bisect_right(segments.bounds, last):
            known = notes[piece]
            if known is not None:  # the same notes for every allele in the piece
                found, introns = known
                return GenomicResult(
                    [self._intron_variant(symbol, variant) for symbol in introns], list(found)
                )
        if change is None:
            change = _Change.of(pos, ref, alt)
        result = GenomicResult()
        for symbol in self._locator.genes_at(chrom, first, last):
            gene = self._placed[symbol]
            if gene is None or not gene.exons:
                result.notes.append(self._note(("no exons", symbol, 0, 0)))
                continue
            self._classify(gene, variant, change, (ref, alt), result)
        return result

    def _note(self, key: _NoteKey) -> tuple[str, str]:
        """The note (gene, reason) ``key`` names, written once: notes are few (per gene,
        exon, codons), alleles many."""
        note = self._notes.get(key)
        if note is None:
            note = (key[1], self._reason(key))
            self._notes[key] = note
        return note

    def _reason(self, key: _NoteKey) -> str:
        kind, symbol, first, last = key
        if kind == "no exons":
            return (
                f"the gene table lists no coding exons for {symbol}; {UNKNOWN_WITHOUT_ANNOTATION}"
            )
        if kind == "outside":
            gene = self._placed[symbol]
            listed = gene.listed if gene is not None else ""
            return (
                f"outside the coding exons the gene table lists ({symbol} {listed}); "
                f"{UNKNOWN_WITHOUT_ANNOTATION}"
            )
        codons = _codon_text((first,) if first == last else (first, last))
        if kind == "codons":
            return f"{symbol} {codons} changed; {PROTEIN_CHANGE_HINT}"
        if kind in _INDEL_CLASSES:
            return f"{kind} in {symbol} {codons}; {PROTEIN_CHANGE_HINT}"
        if kind in _SPLICE_CLASSES:
            return (
                f"{_TERMS[VariantClass(kind)]} that also changes {symbol} {codons}; "
                f"{PROTEIN_CHANGE_HINT}"
            )
        return f"{kind} the coding part of {symbol} exon {first}; {UNKNOWN_WITHOUT_ANNOTATION}"

    def _classify(
        self,
        gene: _Gene,
        variant: Variant,
        change: _Change,
        alleles: tuple[str, str],
        result: GenomicResult,
    ) -> None:
        symbol, strand = gene.spec.symbol, gene.spec.strand
        splice = _splice_hit(gene, change) if gene.splice_span(change) else None
        if splice is not None:
            hgvsc = None
            ref, alt = alleles
            if len(ref) == len(alt) == 1:
                if strand == "-":
                    ref, alt = ref.translate(_COMPLEMENT), alt.translate(_COMPLEMENT)
                hgvsc = f"c.{splice.offset}{ref}>{alt}"
            result.alterations.append(
                self._alteration(gene, variant, splice.variant_class, hgvsc=hgvsc)
            )
            coding = _coding_codons(gene, change)
            if coding:
                # It changes coding bases too (a deletion across an exon's end, or of a whole
                # exon): what that does to the protein the tables cannot tell. Unclassified
                # unless a rule takes the splice site (a loss-of-function rule does).
                result.codons[symbol] = coding
                kind = splice.variant_class.value
                result.notes.append(self._note((kind, symbol, coding[0], coding[-1])))
            return
        first, last = change.first, change.last
        exon = next((e for e in gene.exons if e.start <= first and last <= e.end), None)
        if exon is None:
            touched = next((e for e in gene.exons if e.start <= last and first <= e.end), None)
            if touched is not None:
                where = "inserted at the edge of" if change.insertion else "extends beyond"
                number = touched.number
                result.notes.append(self._note((where, symbol, number, number)))
            elif gene.intronic(first, last):
                result.alterations.append(self._intron_variant(symbol, variant))
            else:
                result.notes.append(self._note(("outside", symbol, 0, 0)))
            return
        ends = sorted((exon.cds_at(first, strand), exon.cds_at(last, strand)))
        codons = tuple(range(codon_of(ends[0]), codon_of(ends[1]) + 1))
        result.codons[symbol] = codons
        if change.substitution:
            ref, alt = alleles
            if len(ref) == len(alt) == 1 and {ref, alt} <= _BASES:
                result.alterations.append(self._codon_change(gene, variant, exon, first, ref, alt))
            result.notes.append(self._note(("codons", symbol, codons[0], codons[-1])))
            return
        if change.net % 3:
            variant_class = VariantClass.FRAMESHIFT
        elif change.net < 0:
            variant_class = VariantClass.INFRAME_DELETION
        else:
            variant_class = VariantClass.INFRAME_INSERTION
        frameshift = variant_class is VariantClass.FRAMESHIFT
        result.alterations.append(
            self._alteration(
                gene,
                variant,
                variant_class,
                exon=exon.number,
                codons=None if frameshift else (codons[0], codons[-1]),
                frameshift_codon=codons[0] if frameshift else None,
            )
        )
        # Reported as unclassified unless a rule fires for it in this gene (an exon, a
        # protein_range or a loss-of-function rule can; a codon or protein rule needs the
        # protein change).
        result.notes.append(self._note((variant_class.value, symbol, codons[0], codons[-1])))

    def _codon_change(
        self, gene: _Gene, variant: Variant, exon: _Exon, pos: int, ref: str, alt: str
    ) -> Alteration:
        """The alteration of an SNV at ``pos`` in ``exon``; ``ref``/``alt`` genomic bases."""
        if gene.spec.strand == "-":
            ref, alt = ref.translate(_COMPLEMENT), alt.translate(_COMPLEMENT)
        cds_position = exon.cds_at(pos, gene.spec.strand)
        codon_change = CodonChange(
            codon=codon_of(cds_position),
            position=codon_position_of(cds_position),
            ref=ref,
            alt=alt,
        )
        return self._alteration(
            gene,
            variant,
            VariantClass.OTHER,
            exon=exon.number,
            hgvsc=f"c.{cds_position}{ref}>{alt}",
            codon_change=codon_change,
        )

    def _intron_variant(self, symbol: str, variant: Variant) -> Alteration:
        """The alteration of a change inside an intron of ``symbol`` (see
        :meth:`_Gene.intronic`)."""
        gene = self._placed[symbol]
        assert gene is not None
        return self._alteration(gene, variant, VariantClass.OTHER, term=INTRON_VARIANT)

    def _alteration(
        self,
        gene: _Gene,
        variant: Variant,
        variant_class: VariantClass,
        *,
        exon: int | None = None,
        hgvsc: str | None = None,
        codon_change: CodonChange | None = None,
        codons: tuple[int, int] | None = None,
        frameshift_codon: int | None = None,
        term: str | None = None,
    ) -> Alteration:
        if term is None:
            term = CODING_SEQUENCE_VARIANT if codon_change is not None else _TERMS[variant_class]
        return Alteration(
            gene=gene.spec.symbol,
            variant_class=variant_class,
            variant=variant,
            transcript=gene.spec.ensembl_transcript,
            preferred=True,
            hgvsc=hgvsc,
            protein=None,
            exon=exon,
            consequence_terms=(term,),
            source="genomic",
            codon_change=codon_change,
            exon_count=gene.spec.exon_count if exon is not None else None,
            codons=codons,
            frameshift_codon=frameshift_codon,
        )


_NO_PIECES: Final[tuple[Segments, list[_PieceNotes]]] = (Segments(()), [((), ())])


def _splice_hit(gene: _Gene, change: _Change) -> SpliceSite | None:
    """The first splice-site base (transcript order) the change alters, if any.

    A pure insertion alters a splice site only when both bases around it belong to it.
    """
    for exon in gene.exons:
        if change.insertion:
            at = {site.pos: site for site in exon.splice_sites}
            left, right = at.get(change.first), at.get(change.last)
            if left is not None and right is not None:
                return left if gene.spec.strand == "+" else right
            continue
        for site in exon.splice_sites:
            if change.first <= site.pos <= change.last:
                return site
    return None


def _coding_codons(gene: _Gene, change: _Change) -> tuple[int, ...]:
    """The codons of the coding bases a change alters (none for a pure insertion, which
    alters no base), over every listed exon it reaches, in order."""
    if change.insertion:
        return ()
    strand = gene.spec.strand
    positions = [
        exon.cds_at(pos, strand)
        for exon in gene.exons
        if exon.overlaps(change.first, change.last)
        for pos in (max(exon.start, change.first), min(exon.end, change.last))
    ]
    if not positions:
        return ()
    return tuple(range(codon_of(min(positions)), codon_of(max(positions)) + 1))


def _place(spec: GeneSpec, build: str) -> _Gene | None:
    """The gene's listed exons with a span on ``build``, in transcript order."""
    gene_span = spec.spans.get(build)  # type: ignore[call-overload]
    if gene_span is None:
        return None
    exons: list[_Exon] = []
    reaches_stop = False  # the last exon placed holds the stop codon
    for exon in sorted(spec.exons, key=lambda e: e.cds_start):
        span = exon.spans.get(build)  # type: ignore[call-overload]
        if span is None:
            continue
        reaches_stop = spec.holds_stop(exon)
        length, cds_length = span.end - span.start + 1, exon.cds_end - exon.cds_start + 1
        if length != cds_length:
            raise RulesError(
                f"gene {spec.symbol} exon {exon.number}: the {build} span "
                f"{span.chrom}:{span.start}-{span.end} is {length} bases but "
                f"c.{exon.cds_start}-{exon.cds_end} is {cds_length}",
                hint="an exon's span is the genomic extent of its coding part only",
            )
        exons.append(
            _Exon(
                exon.number,
                span.start,
                span.end,
                exon.cds_start,
                exon.cds_end,
                exon_sites(spec, exon, span),
            )
        )
    positions = sorted({site.pos for exon in exons for site in exon.splice_sites})
    extent = (
        (min(e.start for e in exons), max(e.end for e in exons))
        if _every_coding_exon(exons, reaches_stop=reaches_stop)
        else None
    )
    return _Gene(spec, tuple(exons), tuple(positions), extent)


def _every_coding_exon(exons: Sequence[_Exon], *, reaches_stop: bool) -> bool:
    """Whether ``exons`` (in transcript order) are every coding exon of the transcript: the
    first starts at c.1, each next one is the next exon and starts where the one before ends
    in the c. numbering, and the last holds the stop codon (``reaches_stop``:
    :meth:`GeneSpec.holds_stop`), so that no coding base lies outside them."""
    return (
        bool(exons)
        and exons[0].cds_start == 1
        and all(
            b.number == a.number + 1 and b.cds_start == a.cds_end + 1
            for a, b in itertools.pairwise(exons)
        )
        and reaches_stop
    )


def _codon_text(codons: Sequence[int]) -> str:
    if len(codons) == 1:
        return f"codon {codons[0]}"
    return f"codons {codons[0]}-{codons[-1]}"


def _ranges(numbers: Iterable[int]) -> str:
    """``[18, 19, 20, 21, 23]`` → ``'18-21, 23'``."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
