"""Plain, immutable records that flow through the pipeline. No I/O here.

read → ``Variant`` → resolve consequence → ``Alteration`` → match rules → ``Finding``
→ interpret → ``TherapyCall`` → write.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from annotator.genome import normalize_chrom

if TYPE_CHECKING:
    from annotator.protein import ProteinChange

_Class = TypeVar("_Class", bound=type)


def fast_init(cls: _Class) -> _Class:
    """Give a frozen, slotted dataclass a faster ``__init__``, with the same semantics.

    The ``__init__`` that ``dataclass(frozen=True)`` writes calls ``object.__setattr__`` once
    per field (it must step around the class's own ``__setattr__``, which raises
    ``FrozenInstanceError``); with many fields and one instance per allele that is most of the
    cost of making one. A mutable twin of the class, made by ``dataclass(slots=True)`` from the
    same fields, has the same slots in the same order, and its generated ``__init__`` assigns
    them plainly. The new ``__init__`` lends the instance the twin's class for the length of
    the twin's ``__init__`` (``__class__`` assignment, allowed between classes of the same
    layout) and gives it back, even when that raises: about twice as fast for ``Variant``.

    So the parameters, defaults, ``default_factory`` calls and ``init=False`` fields are those
    dataclasses itself writes for these fields; ``__eq__``, ``__hash__``, ``__repr__``, the
    frozen ``__setattr__`` and pickling are untouched, and ``inspect.signature`` follows
    ``__wrapped__`` to the generated ``__init__``. Apply it above ``@dataclass``. Refused: a
    class that is not frozen and slotted, has a base class, or has ``__post_init__`` (which
    would run on the twin).
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"fast_init needs a frozen, slotted dataclass, not {cls.__name__}")
    if cls.__bases__ != (object,) or hasattr(cls, "__post_init__"):
        raise TypeError(f"fast_init cannot replace the __init__ of {cls.__name__}")
    twin = _mutable_twin(cls)
    if twin.__dict__["__slots__"] != cls.__dict__["__slots__"] or (
        twin.__basicsize__ != cls.__basicsize__
    ):
        raise TypeError(f"fast_init: the mutable twin of {cls.__name__} has another layout")
    generated: Callable[..., None] = cls.__init__  # type: ignore[misc]
    init_twin: Callable[..., None] = twin.__init__  # type: ignore[misc]
    set_class = object.__dict__["__class__"].__set__

    @functools.wraps(generated)
    def __init__(self: object, *args: Any, **kwargs: Any) -> None:
        set_class(self, twin)
        try:
            init_twin(self, *args, **kwargs)
        finally:
            set_class(self, cls)

    cls.__init__ = __init__  # type: ignore[misc]
    cls.__fast_init__ = True  # type: ignore[attr-defined]
    return cls


def has_fast_init(cls: type) -> bool:
    """Whether :func:`fast_init` gave ``cls`` its ``__init__``."""
    return cls.__dict__.get("__fast_init__", False) is True


def field_copies(cls: type) -> list[tuple[str, Any, Any]]:
    """(name, type, field) of each field of dataclass ``cls``: new ``dataclasses.field``
    objects with the same options, for another dataclass with the same fields."""
    copies = []
    for item in dataclasses.fields(cls):
        options: dict[str, Any] = {
            "init": item.init,
            "repr": item.repr,
            "hash": item.hash,
            "compare": item.compare,
            "metadata": item.metadata,
            "kw_only": item.kw_only,
        }
        if item.default is not dataclasses.MISSING:
            options["default"] = item.default
        if item.default_factory is not dataclasses.MISSING:
            options["default_factory"] = item.default_factory
        copies.append((item.name, item.type, dataclasses.field(**options)))
    return copies


def _mutable_twin(cls: type) -> type:
    """A plain slotted dataclass with copies of the fields of dataclass ``cls``."""
    namespace: dict[str, Any] = {"__annotations__": {}, "__module__": cls.__module__}
    for name, kind, copy in field_copies(cls):
        namespace["__annotations__"][name] = kind
        namespace[name] = copy
    twin = type(f"_Mutable{cls.__name__}", (), namespace)
    return dataclasses.dataclass(slots=True, eq=False, repr=False, match_args=False)(twin)


class VariantClass(str, Enum):
    """What a variant does to the protein, as the rules see it."""

    MISSENSE = "missense"
    NONSENSE = "nonsense"
    FRAMESHIFT = "frameshift"
    INFRAME_DELETION = "inframe_deletion"
    INFRAME_INSERTION = "inframe_insertion"
    SPLICE_DONOR = "splice_donor"
    SPLICE_ACCEPTOR = "splice_acceptor"
    START_LOST = "start_lost"
    SYNONYMOUS = "synonymous"
    OTHER = "other"


#: Classes that count as ``loss_of_function`` in a gene-level rule.
LOSS_OF_FUNCTION = frozenset(
    {
        VariantClass.NONSENSE,
        VariantClass.FRAMESHIFT,
        VariantClass.SPLICE_DONOR,
        VariantClass.SPLICE_ACCEPTOR,
        VariantClass.START_LOST,
    }
)


#: Classes that end the protein early: the ones nonsense-mediated decay can act on.
TRUNCATING = frozenset({VariantClass.NONSENSE, VariantClass.FRAMESHIFT})


class Effect(str, Enum):
    SENSITIVITY = "sensitivity"
    RESISTANCE = "resistance"
    REDUCED_SENSITIVITY = "reduced_sensitivity"


class EvidenceLevel(str, Enum):
    """AMP/ASCO/CAP 2017 levels; A is strongest."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def rank(self) -> int:
        """0 for A (strongest) to 3 for D: smaller is stronger."""
        return "ABCD".index(self.value)


class TumorTypeMatch(str, Enum):
    ON_LABEL = "on_label"
    OFF_LABEL = "off_label"


class MatchType(str, Enum):
    GENOMIC = "genomic"
    PROTEIN = "protein"
    CODON = "codon"
    EXON = "exon"
    GENE_CLASS = "gene_class"
    FUSION = "fusion"
    COPY_NUMBER = "copy_number"
    EXPRESSION = "expression"
    BIOMARKER = "biomarker"


@fast_init
@dataclass(frozen=True, slots=True)
class Variant:
    """One ALT allele of one input record, for the chosen tumor sample.

    ``record_index`` is the 1-based number of the data record in the input file (header lines
    not counted; when only the rule regions are read, a number in the order read:
    :meth:`~annotator.readers.vcf.VcfReader.restrict_to`); ``alt_index`` is the 0-based index
    of this allele among the record's ALTs.
    ``annotations`` holds the raw INFO strings of the consequence annotations present
    (keys ``CSQ``, ``ANN``, ``BCSQ``; the VCF pass of :mod:`annotator.inputs` empties it once
    they are resolved into alterations); ``alts`` all ALT alleles of the record, which the VEP
    allele-matching rules need. ``phase_set`` and ``haplotype`` place the allele on a phased
    haplotype (GT ``0|1`` with ``PS``, or GATK's ``PGT``/``PID``), for cis/trans decisions.
    """

    chrom: str
    pos: int
    ref: str
    alt: str
    record_index: int
    alt_index: int = 0
    alts: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    vaf: float | None = None
    depth: int | None = None
    variant_id: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    end: int | None = None  # INFO/END of symbolic alleles
    svtype: str | None = None  # INFO/SVTYPE
    mate_id: str | None = None  # INFO/MATEID of a breakend
    phase_set: str | None = None  # tumor FORMAT/PS (or PID) when its GT is phased
    haplotype: int | None = None  # index of the phased GT haplotype that carries this ALT
    #: Whether the tumor sample holds this ALT: False for a GT that calls others only (0/0,
    #: or 0/2 for ALT 1) and, in a VCF with other tumor samples, for an AD with no read of it
    #: where the site has reads or a './.' without one; None when nothing tells (no GT, or
    #: './.' where no other tumor could have called it).
    carried: bool | None = None

    @property
    def passed(self) -> bool:
        """True for FILTER ``PASS`` or ``.``."""
        return not self.filters or self.filters == ("PASS",)

    def as_dict(self) -> dict[str, object]:
        return {"chrom": self.chrom, "pos": self.pos, "ref": self.ref, "alt": self.alt}


#: An allele as the rules name it: chromosome without ``chr``, POS, REF and ALT in capitals.
AlleleKey = tuple[str, int, str, str]


def allele_key(variant: Variant) -> AlleleKey:
    return (normalize_chrom(variant.chrom), variant.pos, variant.ref.upper(), variant.alt.upper())


@fast_init
@dataclass(frozen=True, slots=True)
class CodonChange:
    """A single-base change at a known codon whose protein effect is not annotated.

    ``position`` is the base's place in the codon (1-3); ``ref`` and ``alt`` are the bases on
    the coding strand. With the reference residue a rule names, the genetic code tells whether
    the change is synonymous.
    """

    codon: int
    position: int
    ref: str
    alt: str


@fast_init
@dataclass(frozen=True, slots=True)
class Alteration:
    """A variant's effect on one gene and transcript, or a gene-level event.

    ``preferred`` is True when ``transcript`` is the transcript the rules are numbered on
    (MANE Select / canonical); only preferred alteration may fire protein-, codon- and exon-level
    rules. ``protein`` is None when there is no protein change or it could not be read.

    ``event`` marks alterations that are not small variants: ``fusion`` (``gene`` is then the
    fusion name, ``BCR::ABL1``), ``amplification`` / ``deletion`` (copy number),
    ``overexpression`` / ``underexpression``, and ``MSI-H`` / ``TMB-high`` (``gene`` is then
    ``MSI`` or ``TMB``). Events carry no ``variant``; ``detail`` says what the input file
    reported for them, in a few words.
    """

    gene: str
    variant_class: VariantClass
    variant: Variant | None = None
    transcript: str | None = None
    preferred: bool = False
    hgvsp: str | None = None
    hgvsc: str | None = None
    protein: ProteinChange | None = None
    exon: int | None = None
    consequence_terms: tuple[str, ...] = ()
    source: str = ""
    event: str | None = None
    detail: str | None = None  # for events: what the caller reported (breakpoints, log2, TPM)
    codon_change: CodonChange | None = None  # unannotated SNV in a coding exon of the table
    exon_count: int | None = None  # the transcript's exons, when the annotation says (19/28)
    #: An unannotated in-frame indel inside the coding part of an exon of the gene table: the
    #: first and last codon it touches (an insertion: the two it lies between). No protein
    #: change (that needs the reference sequence), but a ``protein_range`` rule can decide it.
    codons: tuple[int, int] | None = None
    #: Why the annotation cannot be classified as it stands (a MAF row whose class and protein
    #: change disagree, or a ``Splice_Site`` row that names no donor or acceptor position):
    #: such an alteration (class ``other``) fires nothing and is reported as unclassified with
    #: this reason.
    unusable: str | None = None
    #: An unannotated frameshift inside the coding part of an exon of the gene table: the first
    #: codon it touches (transcript order), where its protein change begins; not a placement
    #: on its codons as ``codons`` is (its effect runs to a new stop), so no ``protein_range``
    #: rule takes it by this. A ``within_rule_allele`` condition reads it.
    frameshift_codon: int | None = None

    @property
    def escapes_nmd(self) -> bool:
        """A nonsense or frameshift change in the transcript's last exon: its mRNA may escape
        nonsense-mediated decay and give a truncated protein, so it is not taken as a certain
        loss of function (ClinGen SVI PVS1 recommendations, DOI:10.1002/humu.23626). Known only
        when the annotation gives the exon count (VEP ``EXON``, SnpEff rank, MAF
        ``Exon_Number``) or the gene table does (``exon_count``: a table or hotspot alteration, or
        one :func:`annotator.consequence.exon_from_table` placed). The PVS1 rule's other case, a
        stop in the last 50 bases of the penultimate exon, is deliberately not applied: taken
        with a frameshift's new stop it would drop BRCA1 c.5266dup (p.Gln1756fs*74, stop in
        exon 23; ClinVar pathogenic, rs80357713), whose loss of the BRCT domain makes it a loss
        of function all the same."""
        return (
            self.variant_class in TRUNCATING
            and self.exon is not None
            and self.exon == self.exon_count
        )

    @property
    def label(self) -> str:
        """Short name for reports: the one-letter protein change, the event or the class."""
        if self.event is not None:
            return self.event
        if self.protein is not None:
            return self.protein.short
        if self.hgvsc:
            return self.hgvsc
        if self.codons is not None:
            first, last = self.codons
            where = f"codon {first}" if first == last else f"codons {first}-{last}"
            return f"{self.variant_class.value} ({where})"
        return self.variant_class.value


@fast_init
@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that fired for an alteration in this sample."""

    rule_id: str
    gene: str
    alteration: str
    hgvsp: str | None
    variant: Variant | None
    effect: Effect
    therapies: tuple[str, ...]
    evidence_level: EvidenceLevel
    tumor_type_match: TumorTypeMatch
    match_type: MatchType
    citations: tuple[str, ...]
    transcript: str | None = None
    hgvsc: str | None = None
    rule_tumor_types: tuple[str, ...] = ()
    notes: str | None = None
    detail: str | None = None  # for events: what the input reported (breakpoints, CN, score)
    subclonal: bool = False  # VAF below the subclonal fraction of the sample's top driver VAF
    phase: str | None = None  # cis / trans / unknown, for findings of phased rules
    phase_source: str | None = None  # "vcf" (GT|PS, PGT/PID) or "reads" (--bam)
    therapies_via_class: tuple[tuple[str, str], ...] = ()  # (drug, class) reached by class only
    #: The rule's excluded tumor types (``rule_tumor_types`` may be ``ALL``, not MYELOID).
    rule_tumor_types_excluded: tuple[str, ...] = ()


class Phase(str, Enum):
    CIS = "cis"
    TRANS = "trans"
    UNKNOWN = "unknown"


def phase_between(first: Variant, second: Variant) -> Phase:
    """Cis when both alleles sit on the same haplotype of one phase set, trans on different."""
    if (
        first.phase_set is None
        or first.phase_set != second.phase_set
        or first.haplotype is None
        or second.haplotype is None
    ):
        return Phase.UNKNOWN
    return Phase.CIS if first.haplotype == second.haplotype else Phase.TRANS


class Call(str, Enum):
    SENSITIVITY = "sensitivity"
    RESISTANCE = "resistance"
    CONFLICTING = "conflicting"


@dataclass(frozen=True, slots=True)
class TherapyCall:
    therapy: str
    call: Call
    evidence_level: EvidenceLevel
    rule_ids: tuple[str, ...]
    rationale: str = ""
    sensitivity_level: EvidenceLevel | None = None  # strongest level on each side
    resistance_level: EvidenceLevel | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class Unclassified:
    """A variant in a rule gene that could not be classified, and why."""

    gene: str
    variant: Variant
    reason: str


class NearMissReason(str, Enum):
    """Why a variant in a rule gene did not fire a rule (``--explain``)."""

    OFF_LABEL = "off_label"  # fired, but for another tumor type (which the rule needs)
    TRANSCRIPT = "transcript_differs"  # the change is on another transcript than the rule's
    FILTERED = "filtered"  # FILTER, VAF or depth
    UNCLASSIFIED = "unclassified"  # no annotation, effect unknown
    REQUIRES_UNMET = "requires_unmet"
    EXCLUDED = "excluded"
    PHASE_UNKNOWN = "phase_unknown"


@dataclass(frozen=True, slots=True)
class NearMiss:
    rule_id: str
    gene: str
    alteration: str
    variant: Variant | None
    reason: NearMissReason
    detail: str


@dataclass(frozen=True, slots=True)
class Summary:
    """What happened to every input record and allele."""

    records: int = 0
    alleles: int = 0
    skipped_filtered: int = 0
    #: Of ``skipped_filtered``, the records whose REF span overlaps a rule gene's span, a
    #: hotspot or a genomic rule's allele (a MAF's rows of rule genes): --explain lists them.
    skipped_filtered_in_rule_genes: int = 0
    #: How many of those fail each FILTER name (a record failing two counts under both), the
    #: most frequent first.
    skipped_filtered_in_rule_genes_by_filter: tuple[tuple[str, int], ...] = ()
    alleles_annotated: int = 0
    #: Rule-gene alleles the tumor sample does not hold (Variant.carried False: its GT, or
    #: with other tumor samples its AD, says so): no finding, counted among
    #: alleles_in_rule_genes; --explain lists them.
    alleles_not_in_sample: int = 0
    alleles_in_rule_genes: int = 0
    findings: int = 0
    unclassified: int = 0
    #: Only the records in rule regions were read, through the file's index (the counts above
    #: are of those records).
    regions_only: bool = False

    @property
    def alleles_filtered(self) -> int:
        """Alleles of records skipped for FILTER (annotated with --include-filtered)."""
        return self.alleles - self.alleles_annotated

    @property
    def alleles_outside_rule_genes(self) -> int:
        """Annotated alleles that touch no rule gene, hotspot or genomic rule."""
        return self.alleles_annotated - self.alleles_in_rule_genes


#: The kinds of gene-level event the inputs can give, in the order the reports name them.
EVENT_KINDS = ("fusion", "copy number", "expression", "MSI", "TMB")

#: A finding below this fraction of the driver VAF is flagged subclonal
#: (:mod:`annotator.interpret`); ``--subclonal-fraction`` sets another.
DEFAULT_SUBCLONAL_FRACTION = 0.25


@dataclass(frozen=True, slots=True)
class Result:
    """Everything the writers render, for one sample."""

    tool_version: str
    rules_version: str
    rules_sha256: str
    input: str
    sample: str | None
    tumor_type: str
    genome: str
    findings: tuple[Finding, ...]
    therapy_calls: tuple[TherapyCall, ...]
    #: A tuple, or for a VCF with noted alleles an ``annotator.noted.UnclassifiedList``.
    unclassified: Sequence[Unclassified]
    summary: Summary
    filtered_findings: tuple[tuple[Finding, str], ...] = ()  # with why (VAF, depth)
    events: tuple[Alteration, ...] = ()  # gene-level events read from the inputs
    notes: tuple[str, ...] = ()  # input records that gave no event, and why
    tmb: dict[str, object] | None = None  # TmbResult.as_dict() when computed
    msi: dict[str, object] | None = None  # MsiResult.as_dict() when an MSI input was given
    caller: str | None = None
    near_misses: tuple[NearMiss, ...] = ()  # with --explain
    explained: bool = False  # --explain was given: no near misses means none came close
    #: The EVENT_KINDS an input was given for (--fusions or the VCF's structural records,
    #: --cnv, --expression, an MSI input, a computed TMB): the others were not assessed.
    event_inputs: tuple[str, ...] = ()
    tumor_type_name: str | None = None
    command_line: str | None = None
    #: The --subclonal-fraction the findings were flagged with, for the reports to draw and
    #: describe the same threshold (:func:`annotator.interpret.subclonal_threshold`).
    subclonal_fraction: float = DEFAULT_SUBCLONAL_FRACTION
