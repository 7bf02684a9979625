"""Deciding from its text that a candidate record of the prefilter can change no result.

Two triages, one per kind of input: :class:`CandidateTriage` for a VEP-annotated VCF (below),
:class:`TableTriage` for an unannotated one, where the gene tables decide (its docstring).

The text prefilter (:mod:`annotator.prefilter`) picks the records in the rule regions; each is
then parsed (cyvcf2), its alleles resolved and triaged (:meth:`RuleMatcher.matters`), and most
of a large input's are only counted (``SmallVariants.uneventful``). In a VEP-annotated input
that parse costs about 90 µs a candidate (bench/README.md, "Where the time goes on
VEP-annotated input"), nearly all of it on alleles that change nothing: the introns, UTRs and
unremarkable coding changes of the rule genes.

:class:`CandidateTriage` takes a candidate with one ALT, passing FILTER and annotated by VEP
alone (``CSQ``) straight from its columns: the same resolver and matcher decide, on a
:class:`Variant` made from the text (what they read of one: CHROM, POS, REF, ALT and the CSQ
text). An allele that can change no result is only counted, as the parse would count it; the
others are parsed as before, with their sample's evidence. Alleles alike in all the matcher
reads are decided once: by what the resolver reads of their CSQ but the HGVSc
(:meth:`ConsequenceResolver.csq_key`) and the rule genes they lie in, unless their
place may decide (:meth:`RuleMatcher.place_may_decide`, and the positions of the genomic rules
and conditions, which are always parsed). Most intronic candidates are decided by one lookup.

With TMB (``--panel-size-mb``), the records outside the rule regions whose INFO names a coding
term are candidates too (the prefilter's ``promote``): one of these is counted, with whether it
changes a protein (:meth:`ConsequenceResolver.changes_protein_outside`, what the parse asks of
it), unless its annotation names a gene of the table; and each allele taken in the regions
carries its own answer. On v1m.csq that takes the TMB run from 13.5 s of CPU to 8-9 s.

Not taken (parsed as before): in the rule regions, a CSQ with an HGVSp (a protein change:
deciding it costs what the parse does, and its key seldom recurs), and an SNV whose entries
give a protein change another way (VEP's ``Protein_position`` and ``Amino_acids``): the parse
keeps its place, for the findings it may share a codon with (:mod:`annotator.codon_neighbours`);
multi-allelic records, records failing FILTER, records with ANN or BCSQ, or with a CHROM or
INFO value that is not plain ASCII; and no triage at all with ``--explain`` or ``--bam``. On
the benchmark's VEP input (make_vcf, 64% of the gene records coding) a third of the
candidates in the regions are taken: 13% less wall time on v1m.csq in two processes; on a real
genome, whose gene spans are mostly introns, nearly all.
"""

from __future__ import annotations

from annotator.codon_neighbours import may_share_a_codon
from annotator.consequence import ConsequenceResolver
from annotator.errors import InputError
from annotator.gene_regions import GeneLocator
from annotator.genomic import GenomicAnnotator
from annotator.matcher import RuleMatcher, SampleAllele
from annotator.models import Variant

#: The most transcript entries the decisions kept hold, all keys together (a key holds ~13
#: short strings an entry): memory stays flat in the input's size. An input has a few thousand
#: keys that recur: the rule genes' transcripts, consequences and bases.
_KEPT_ENTRIES = 1 << 14

#: The INFO keys of the other consequence annotations (a record with either is parsed).
_OTHER_ANNOTATIONS = (b"ANN", b"BCSQ")

#: Bases of REF and ALT taken (the reader's, in capitals; the others are parsed).
_BASES = b"ACGTN"

#: What an HGVSp holds (``ENSP00000275493.2:p.Thr790Met``): a protein change is read by the
#: parse, as before. Keys with one recur too rarely to keep, and deciding them here costs what
#: the parse does (the protein change and the rules of its positions).
_PROTEIN = ":p."

#: A FILTER that passes (as the reader reads it).
_PASSED = (b"PASS", b".")

#: Outcomes: parse the record (None), else count it, with flags: an allele of the rule genes
#: that changes nothing (``UNEVENTFUL``; else it lies in none), and, for TMB, a non-synonymous
#: coding change (``NONSYNONYMOUS``: :meth:`ConsequenceResolver.changes_protein`).
PARSE = None
COUNTED = 0
UNEVENTFUL = 1
NONSYNONYMOUS = 2


class CandidateTriage:
    """Called with a candidate's CHROM, POS, REF, ALT, FILTER and INFO (bytes; POS an int) and
    whether it lies in the rule regions: :data:`PARSE`, or :data:`COUNTED` with the flags
    :data:`UNEVENTFUL` and (with ``count_tmb``) :data:`NONSYNONYMOUS` (see the module)."""

    def __init__(
        self,
        resolver: ConsequenceResolver,
        locator: GeneLocator,
        matcher: RuleMatcher,
        *,
        count_tmb: bool = False,
    ) -> None:
        self.resolver = resolver
        self.locator = locator
        self.matcher = matcher
        self.count_tmb = count_tmb
        self.placed = matcher.placed_positions()
        self._known: dict[object, int | None] = {}
        self._room = _KEPT_ENTRIES
        self._chroms = _ChromNames()

    def __call__(
        self,
        chrom: bytes,
        pos: int,
        ref: bytes,
        alt: bytes,
        filters: bytes,
        info: bytes,
        in_regions: bool = True,
    ) -> int | None:
        if not _plain(filters, pos, ref, alt, self.placed):
            return PARSE
        csq = _csq_text(info)
        if csq is None:
            return PARSE
        name = self._chroms(chrom)
        if name is None:
            return PARSE
        ref_text, alt_text = ref.decode(), alt.decode()
        if not in_regions:
            return self._for_tmb(name, pos, ref_text, alt_text, csq)
        if _PROTEIN in csq:
            return PARSE
        in_genes = self.locator.genes_at(name, pos, pos + len(ref) - 1)
        entries = self.resolver.csq_key(csq, ref_text, alt_text)
        if entries is None:
            return PARSE
        key = (entries, in_genes)
        try:
            return self._known[key]
        except KeyError:
            pass
        variant = _variant(name, pos, ref_text, alt_text, csq)
        try:
            alterations = tuple(self.resolver.resolve(variant))
        except InputError:
            return PARSE  # the parse reports it
        outcome: int | None
        if not alterations and not in_genes:
            outcome = COUNTED | (self._nonsynonymous(variant) if self.count_tmb else 0)
        else:
            allele = SampleAllele(variant, alterations, True, (), in_genes)
            # The parse keeps it, or keeps its place (an SNV a finding may name).
            kept = self.matcher.matters(allele) or may_share_a_codon(allele)
            outcome = PARSE if kept else UNEVENTFUL
            if outcome is not PARSE and self.count_tmb:
                outcome |= self._nonsynonymous(variant)
            if self.matcher.place_may_decide(allele):
                return outcome
        # Not kept with a protein change (from VEP's Protein_position and Amino_acids, there
        # being no HGVSp): such keys seldom recur.
        if len(entries) <= self._room and all(a.hgvsp is None for a in alterations):
            self._room -= len(entries) or 1
            self._known[key] = outcome
        return outcome

    def _for_tmb(self, name: str, pos: int, ref: str, alt: str, csq: str) -> int | None:
        """A record outside the rule regions, a candidate for TMB (its INFO names a coding
        term): counted, with its non-synonymous flag, unless its annotation names a gene of
        the table (then the parse resolves it as it always did)."""
        try:
            changes = self.resolver.changes_protein_outside(_variant(name, pos, ref, alt, csq))
        except InputError:
            return PARSE
        if changes is None:
            return PARSE
        return COUNTED | (NONSYNONYMOUS if changes else 0)

    def _nonsynonymous(self, variant: Variant) -> int:
        return NONSYNONYMOUS if self.resolver.changes_protein(variant) else 0


class TableTriage:
    """The triage of an unannotated input's candidates (:class:`CandidateTriage`'s call): the
    gene tables decide, as the parse asks them (:meth:`GenomicAnnotator.annotate`). Taken
    (only counted): an allele with one ALT, passing FILTER, in the rule regions, that the
    tables place without a note (an intron variant of a gene whose coding exons they list),
    that can change no result (:meth:`RuleMatcher.matters`) and whose place no finding may
    name (:func:`may_share_a_codon`). The others are parsed, among them every allele the
    tables leave unclassified (a note), which the parse reports with its evidence.

    An SNV is decided once for its piece of the tables (:meth:`GenomicAnnotator.snv_piece`:
    between the ends of the gene spans, exons and splice sites, away from the hotspots) and
    the rule genes it lies in: the tables give every SNV there the same notes and the same
    kind of alteration, and :meth:`RuleMatcher.matters` of an intron variant does not turn on
    its place (:meth:`RuleMatcher.place_may_decide`; the genomic rules' and conditions'
    positions are parsed). An indel, and an SNV of an exon or splice site, is asked about each
    time. On the benchmark's v1m, 20,469 of its 31,621 candidates are taken, and the tables
    asked 5,202 times."""

    def __init__(
        self, genomic: GenomicAnnotator, locator: GeneLocator, matcher: RuleMatcher
    ) -> None:
        self.genomic = genomic
        self.locator = locator
        self.matcher = matcher
        self.placed = matcher.placed_positions()
        self._chroms = _ChromNames()
        #: The outcome of every SNV of a piece (:meth:`GenomicAnnotator.snv_piece`) in the
        #: same rule genes: a few hundred pieces at most.
        self._known: dict[tuple[str, int, tuple[str, ...]], int | None] = {}

    def __call__(
        self,
        chrom: bytes,
        pos: int,
        ref: bytes,
        alt: bytes,
        filters: bytes,
        info: bytes,
        in_regions: bool = True,
    ) -> int | None:
        if not in_regions or not _plain(filters, pos, ref, alt, self.placed):
            return PARSE
        name = self._chroms(chrom)
        if name is None:
            return PARSE
        in_genes = self.locator.genes_at(name, pos, pos + len(ref) - 1)
        key = None
        if len(ref) == len(alt) == 1 and ref != alt:
            piece = self.genomic.snv_piece(name, pos)
            if piece is not None:
                key = (name, piece, in_genes)
                if key in self._known:
                    return self._known[key]
        outcome = self._decide(name, pos, ref.decode(), alt.decode(), in_genes)
        if key is not None:
            self._known[key] = outcome
        return outcome

    def _decide(
        self, name: str, pos: int, ref: str, alt: str, in_genes: tuple[str, ...]
    ) -> int | None:
        variant = Variant(name, pos, ref, alt, 0, 0, (alt,), (), None, None, None)
        try:
            found = self.genomic.annotate(variant)
        except InputError:
            return PARSE  # the parse reports it
        if found.notes:
            return PARSE
        if not found.alterations and not in_genes:
            return COUNTED
        allele = SampleAllele(variant, tuple(found.alterations), False, (), in_genes)
        if self.matcher.matters(allele) or may_share_a_codon(allele):
            return PARSE
        return UNEVENTFUL


def _plain(filters: bytes, pos: int, ref: bytes, alt: bytes, placed: frozenset[int]) -> bool:
    """Whether a triage may take a candidate by its columns: passing FILTER, at no position
    the genomic rules and conditions name, one ALT, REF and ALT plain bases as the reader
    writes them."""
    return (
        filters in _PASSED
        and pos not in placed
        and bool(ref)
        and bool(alt)
        and not ref.strip(_BASES)
        and not alt.strip(_BASES)
    )


class _ChromNames:
    """CHROM as text, decoded once per name; None for one that is not plain ASCII (the parse
    reads it)."""

    def __init__(self) -> None:
        self._names: dict[bytes, str] = {}

    def __call__(self, chrom: bytes) -> str | None:
        name = self._names.get(chrom)
        if name is None:
            if not chrom.isascii():
                return None
            name = self._names.setdefault(chrom, chrom.decode())
        return name


def _variant(name: str, pos: int, ref: str, alt: str, csq: str) -> Variant:
    """The variant as the reader makes it of a record with one ALT, passing FILTER, annotated
    by CSQ alone (its record number aside: nothing decided here reads that)."""
    return Variant(name, pos, ref, alt, 0, 0, (alt,), (), None, None, None, {"CSQ": csq})


def _csq_text(info: bytes) -> str | None:
    """The CSQ value of an INFO column when it is the record's only consequence annotation,
    given once, and plain ASCII; else None."""
    found = None
    for item in info.split(b";"):
        name, equals, value = item.partition(b"=")
        if name == b"CSQ":
            if found is not None or not equals:
                return None
            found = value
        elif name in _OTHER_ANNOTATIONS:
            return None
    if found is None or found in (b"", b".") or not found.isascii():
        return None
    return found.decode()


def declares_csq(header: bytes) -> bool:
    """Whether the header (its text) declares INFO/CSQ a String: the text the reader reads."""
    for line in header.splitlines():
        if line.startswith(b"##INFO=<ID=CSQ,"):
            return b",Type=String," in line or line.endswith(b",Type=String>")
    return False
