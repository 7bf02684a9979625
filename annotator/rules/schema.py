"""The rules file format, as pydantic models: the single source of truth.

A rules file is YAML with up to five top-level keys::

    version:  "2026.11.0"         # only in rules/manifest.yaml of a rules set
    genes:    [GeneSpec, ...]     # the gene table: symbol, HGNC id, transcripts, spans, exons
    hotspots: [Hotspot, ...]      # protein changes placed on the genome, per build
    drugs:    [Drug, ...]         # the drug table: generic name, classes, brand names
    rules:    [Rule, ...]

``docs/rules.schema.json`` is generated from these models (``make schema``) and a test checks
that the committed copy is current.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from annotator.models import Effect, EvidenceLevel, VariantClass

Build = Literal["GRCh37", "GRCh38"]

RULE_ID_PATTERN = r"^[A-Z0-9][A-Za-z0-9_.:-]*$"
GENE_PATTERN = r"^[A-Z0-9][A-Z0-9-]*$"
#: A citation: a PubMed id, a DOI, or the review's reference number (``REVIEW:38``).
CITATION_PATTERN = r"^(PMID:[1-9][0-9]*|DOI:10\.[0-9]{4,9}/\S+|REVIEW:[1-9][0-9]*)$"
#: A regimen: lower-case generic names, combinations joined by `` + ``.
THERAPY_PATTERN = r"^[a-z0-9][a-z0-9-]*( [a-z0-9-]+)*( \+ [a-z0-9][a-z0-9-]*( [a-z0-9-]+)*)*$"
FUSION_PATTERN = r"^[A-Z0-9][A-Z0-9-]*::[A-Z0-9][A-Z0-9-]*$"
CODON_PATTERN = r"^[ACDEFGHIKLMNPQRSTVWY][1-9][0-9]*$"
ALLELE_PATTERN = r"^[ACGTN]+$"


class StrictModel(BaseModel):
    """Unknown keys are errors; values are never coerced across types. The validators are
    built when first used: a run whose rule set comes from the cache (:mod:`.cache`) validates
    nothing, and skips building them."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class GenomicAllele(StrictModel):
    chrom: str = Field(pattern=r"^(chr)?([1-9]|1[0-9]|2[0-2]|X|Y|M|MT)$")
    pos: Annotated[int, Field(ge=1)]
    ref: str = Field(pattern=ALLELE_PATTERN)
    alt: str = Field(pattern=ALLELE_PATTERN)


class ProteinRange(StrictModel):
    start: Annotated[int, Field(ge=1)]
    end: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _ordered(self) -> ProteinRange:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Selector(StrictModel):
    """Which alterations of the gene a rule (or a requires/excludes condition) applies to.

    Exactly one kind is given: ``protein_changes``, ``codons``, ``protein_range``, ``exon``,
    ``exon_skipping``, ``gene_class``, ``genomic``, ``fusion``, ``copy_number``, ``expression``
    or ``biomarker``. ``exon_skipping: N`` takes a splice donor or acceptor variant that hits
    a canonical splice site (intron ±1, 2) of exon N of the gene table, wherever it lies in
    the intron or across the exon's end.
    ``consequences`` narrows ``protein_range``, ``exon`` and ``codons`` (e.g. EGFR exon 19 with
    ``[inframe_deletion]``).
    """

    protein_changes: list[str] | None = Field(default=None, min_length=1)
    codons: list[Annotated[str, Field(pattern=CODON_PATTERN)]] | None = Field(
        default=None, min_length=1
    )
    protein_range: ProteinRange | None = None
    exon: Annotated[int, Field(ge=1)] | None = None
    exon_skipping: Annotated[int, Field(ge=1)] | None = Field(
        default=None,
        description="Splice donor/acceptor variants at the canonical splice sites of this exon "
        "of the gene table (which must list it)",
    )
    gene_class: Literal["loss_of_function"] | None = None
    genomic: dict[Build, list[GenomicAllele]] | None = None
    fusion: str | None = Field(default=None, pattern=FUSION_PATTERN)
    copy_number: Literal["amplification", "deletion"] | None = None
    expression: Literal["overexpression", "underexpression"] | None = None
    biomarker: Literal["MSI-H", "TMB-high"] | None = None
    # YAML only has strings: enum fields are read in lax mode (the value, not an instance).
    consequences: list[Annotated[VariantClass, Field(strict=False)]] | None = Field(
        default=None, min_length=1
    )

    @property
    def kind(self) -> str:
        return next(name for name in SELECTOR_KINDS if getattr(self, name) is not None)

    def describe(self) -> str:
        """A short human-readable form: 'T790M', 'codons G12, G13', 'exon 19 (inframe_deletion)'."""
        kind = self.kind
        if kind == "protein_changes":
            text = ", ".join(self.protein_changes or [])
        elif kind == "codons":
            text = (
                "codon"
                + ("s " if len(self.codons or []) > 1 else " ")
                + ", ".join(self.codons or [])
            )
        elif kind == "protein_range":
            assert self.protein_range is not None
            text = f"residues {self.protein_range.start}-{self.protein_range.end}"
        elif kind == "exon":
            text = f"exon {self.exon}"
        elif kind == "exon_skipping":
            text = f"exon {self.exon_skipping} skipping (splice sites)"
        elif kind == "genomic":
            text = "; ".join(
                f"{build} " + ", ".join(f"{a.chrom}:{a.pos}{a.ref}>{a.alt}" for a in alleles)
                for build, alleles in (self.genomic or {}).items()
            )
        else:
            text = str(getattr(self, kind))
        if self.consequences:
            text += " (" + ", ".join(c.value for c in self.consequences) + ")"
        return text

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Selector:
        given = [name for name in SELECTOR_KINDS if getattr(self, name) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(
                f"give exactly one alteration selector of {', '.join(SELECTOR_KINDS)}; "
                f"found {found}"
            )
        if self.consequences is not None and given[0] not in ("protein_range", "exon", "codons"):
            raise ValueError("consequences narrows only protein_range, exon or codons")
        if self.genomic is not None and not any(self.genomic.values()):
            raise ValueError("genomic needs at least one allele for GRCh37 or GRCh38")
        return self


SELECTOR_KINDS: tuple[str, ...] = (
    "protein_changes",
    "codons",
    "protein_range",
    "exon",
    "exon_skipping",
    "gene_class",
    "genomic",
    "fusion",
    "copy_number",
    "expression",
    "biomarker",
)

#: The selector kinds a small variant (an SNV, MNV or indel) can match. A gene with none of
#: them (only expression, copy-number or fusion rules: TYMS, ERBB2, BCR) classifies no small
#: variant, so none of its small variants is reported as unclassified.
SMALL_VARIANT_KINDS: frozenset[str] = frozenset(
    ("protein_changes", "codons", "protein_range", "exon", "exon_skipping", "gene_class", "genomic")
)


#: The pseudo-gene of each genome-wide biomarker.
BIOMARKER_GENES: dict[str, str] = {"MSI-H": "MSI", "TMB-high": "TMB"}


class Condition(Selector):
    """A co-occurring alteration that must (``requires``) or must not (``excludes``) be present."""

    gene: str = Field(pattern=GENE_PATTERN)
    phase: Literal["cis", "trans"] | None = Field(
        default=None,
        description="Only with a condition on the rule's own gene: the condition's allele must "
        "lie on the same (cis) or the other (trans) haplotype as the rule's allele. An unknown "
        "phase never meets it.",
    )
    within_rule_allele: bool | None = Field(
        default=None,
        description="Only with a condition on the rule's own gene: the condition's alteration "
        "(another allele) must begin at a residue the rule's alteration spans, or the one next "
        "to either end (its protein change's first to last residue; unannotated, the codons "
        "an in-frame indel touches or the codon a frameshift or SNV begins at). A reversion: "
        "an in-frame deletion that removes the site of a frameshift or stop (Edwards 2008). "
        "An alteration with no residue never meets it.",
    )


#: An example alteration, in one of the forms ``annotator.rules.examples`` reads:
#: ``EGFR p.T790M`` (or ``EGFR T790M``), ``BRCA1 splice_donor`` (a variant class),
#: ``chr7:55181378:C:T@GRCh38``, ``BCR::ABL1``, ``ERBB2 amplification``,
#: ``ERCC1 overexpression``, ``MSI-H``, ``TMB-high``; in ``with``, an optional trailing ``cis``
#: or ``trans`` phases that alteration against the example's own.
EXAMPLE_PATTERN = r"^\S+( \S+)?$"
#: A ``with`` entry may end in ``cis`` or ``trans``: its phase to the example's alteration.
WITH_PATTERN = r"^\S+( \S+)?( (cis|trans))?$"


class Example(StrictModel):
    """A case the rule must fire on: the test suite runs it through the real matcher."""

    alteration: str = Field(pattern=EXAMPLE_PATTERN)
    tumor_type: str
    with_: list[Annotated[str, Field(pattern=WITH_PATTERN)]] = Field(
        default_factory=list,
        alias="with",
        description="Other alterations present in the same sample (for requires)",
    )
    conflicts: list[str] = Field(
        default_factory=list,
        description="Rule ids with the opposite effect on a shared therapy that may also fire",
    )


#: The tumor-agnostic keyword of ``tumor_types.include``.
ANY_TUMOR_TYPE = "ALL"


class TumorTypes(StrictModel):
    """OncoTree codes the rule applies to (descendants included); ``ALL`` = tumor-agnostic."""

    include: list[str] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _all_alone(self) -> TumorTypes:
        if ANY_TUMOR_TYPE in self.include and len(self.include) > 1:
            raise ValueError(f"'{ANY_TUMOR_TYPE}' stands alone in include")
        return self


class Rule(StrictModel):
    id: str = Field(pattern=RULE_ID_PATTERN)
    gene: str = Field(
        description="HGNC symbol; the fusion name for fusion rules (BCR::ABL1); "
        "MSI or TMB for genome-wide biomarkers"
    )
    alteration: Selector
    requires: list[Condition] = Field(default_factory=list)
    excludes: list[Condition] = Field(default_factory=list)
    tumor_types: TumorTypes
    effect: Effect = Field(strict=False)
    therapies: list[Annotated[str, Field(pattern=THERAPY_PATTERN)]] = Field(min_length=1)
    therapy_classes: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="Drug classes of the drug table (e.g. 'first-generation EGFR TKI') the rule "
        "covers as a whole: every drug listing the class joins the rule's therapies at match "
        "time (findings say which came 'via class'). Each must name at least one drug.",
    )
    evidence_level: EvidenceLevel = Field(strict=False)
    citations: list[Annotated[str, Field(pattern=CITATION_PATTERN)]] = Field(min_length=1)
    notes: str | None = None
    examples: list[Example] = Field(min_length=1)

    @field_validator("citations")
    @classmethod
    def _citable(cls, value: list[str]) -> list[str]:
        if not any(c.startswith(("PMID:", "DOI:")) for c in value):
            raise ValueError("needs at least one PMID: or DOI: (REVIEW:n alone is not enough)")
        return value

    @field_validator("therapies", "therapy_classes")
    @classmethod
    def _distinct(cls, value: list[str], info: ValidationInfo) -> list[str]:
        twice = sorted({t for t in value if value.count(t) > 1})
        if twice:
            noun = "regimen" if info.field_name == "therapies" else "class"
            raise ValueError(f"lists a {noun} twice: {', '.join(twice)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        kind = self.alteration.kind
        if kind == "fusion" and self.gene != self.alteration.fusion:
            raise ValueError(f"a fusion rule's gene is the fusion name {self.alteration.fusion!r}")
        if kind == "biomarker":
            expected = BIOMARKER_GENES[str(self.alteration.biomarker)]
            if self.gene != expected:
                raise ValueError(
                    f"a {self.alteration.biomarker} rule's gene is {expected}, not {self.gene!r}"
                )
        if kind not in ("fusion", "biomarker") and not re.match(GENE_PATTERN, self.gene):
            raise ValueError(f"gene {self.gene!r} is not an HGNC-style symbol")
        for condition in (*self.requires, *self.excludes):
            if condition.phase is not None and condition.gene != self.gene:
                raise ValueError(
                    f"a phased condition must be on the rule's gene {self.gene}, "
                    f"not {condition.gene}"
                )
            if condition.within_rule_allele and condition.gene != self.gene:
                raise ValueError(
                    f"a within_rule_allele condition must be on the rule's gene {self.gene}, "
                    f"not {condition.gene}"
                )
        return self


class Span(StrictModel):
    chrom: str = Field(pattern=r"^([1-9]|1[0-9]|2[0-2]|X|Y|MT)$")
    start: Annotated[int, Field(ge=1)]
    end: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class ExonSpec(StrictModel):
    """The coding part of one exon of the gene's MANE Select transcript."""

    number: Annotated[int, Field(ge=1)]
    cds_start: Annotated[int, Field(ge=1)] = Field(
        description="c. position of the first coding base"
    )
    cds_end: Annotated[int, Field(ge=1)] = Field(description="c. position of the last coding base")
    spans: dict[Build, Span] = Field(default_factory=dict)
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> ExonSpec:
        if self.cds_end < self.cds_start:
            raise ValueError(f"cds_end {self.cds_end} is before cds_start {self.cds_start}")
        return self

    @property
    def codons(self) -> range:
        """Codons with at least one base in this exon."""
        return range((self.cds_start + 2) // 3, (self.cds_end + 2) // 3 + 1)


class DomainSpec(StrictModel):
    """A named protein region (residues, 1-based inclusive), e.g. the ABL1 kinase domain."""

    name: str
    start: Annotated[int, Field(ge=1)]
    end: Annotated[int, Field(ge=1)]
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> DomainSpec:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class GeneSpec(StrictModel):
    """A gene in the gene table: the transcript its rules are numbered on, and where it lies."""

    symbol: str = Field(pattern=GENE_PATTERN)
    hgnc_id: str = Field(pattern=r"^HGNC:[1-9][0-9]*$")
    ensembl_transcript: str = Field(
        pattern=r"^ENST[0-9]{11}$", description="MANE Select, unversioned"
    )
    refseq_transcript: str | None = Field(default=None, pattern=r"^NM_[0-9]+\.[0-9]+$")
    equivalent_transcripts: list[Annotated[str, Field(pattern=r"^ENST[0-9]{11}$")]] = Field(
        default_factory=list,
        description="Other Ensembl transcripts (unversioned) coding the same protein, numbered "
        "alike, read as the rules' transcript: the GRCh37 gene set's for a MANE transcript "
        "that only GRCh38 releases have (its source among the gene's sources)",
    )
    strand: Literal["+", "-"]
    spans: dict[Build, Span] = Field(default_factory=dict)
    exon_count: Annotated[int, Field(ge=1)] | None = Field(
        default=None,
        description="The number of exons of the MANE Select transcript: its last exon, when "
        "listed, holds the stop codon (no splice donor after its coding part) unless "
        "coding_length says another does, and a truncating change there may escape "
        "nonsense-mediated decay",
    )
    coding_length: Annotated[int, Field(ge=6)] | None = Field(
        default=None,
        description="The length in nucleotides of the MANE Select transcript's coding "
        "sequence, stop codon included (3 x (protein length + 1)): the exon whose coding part "
        "ends there holds the stop codon, for a transcript whose last exons are untranslated "
        "(NRAS: the stop in exon 5 of 7)",
    )
    exons: list[ExonSpec] = Field(default_factory=list)
    domains: list[DomainSpec] = Field(default_factory=list)
    sources: list[str] = Field(min_length=1)

    def rules_transcripts(self) -> frozenset[str]:
        """The unversioned ids the rules' transcript goes by: its ENST, its NM_ and the
        equivalent ENSTs."""
        ids = {self.ensembl_transcript, *self.equivalent_transcripts}
        if self.refseq_transcript:
            ids.add(self.refseq_transcript.partition(".")[0])
        return frozenset(ids)

    @model_validator(mode="after")
    def _exons_counted(self) -> GeneSpec:
        if self.exon_count is not None:
            beyond = sorted(e.number for e in self.exons if e.number > self.exon_count)
            if beyond:
                raise ValueError(
                    f"exon {beyond[0]} is listed but the transcript has {self.exon_count} "
                    "exons (exon_count)"
                )
        if self.coding_length is not None:
            if self.coding_length % 3:
                raise ValueError(
                    f"coding_length {self.coding_length} is not a whole number of codons"
                )
            past = sorted(e.number for e in self.exons if e.cds_end > self.coding_length)
            if past:
                raise ValueError(
                    f"exon {past[0]} has coding bases past the stop codon "
                    f"(coding_length {self.coding_length})"
                )
        return self

    def holds_stop(self, exon: ExonSpec) -> bool:
        """Whether the exon's coding part ends with the stop codon, a 3' UTR after it: it
        ends at ``coding_length`` when the table gives it, else the exon is the transcript's
        last (``exon_count``)."""
        if self.coding_length is not None:
            return exon.cds_end == self.coding_length
        return exon.number == self.exon_count

    def exon_of_codon(self, codon: int) -> int | None:
        """The exon holding (the first base of) this codon, when the exon table has it."""
        first_base = 3 * codon - 2
        for exon in self.exons:
            if exon.cds_start <= first_base <= exon.cds_end:
                return exon.number
        return None


class Hotspot(StrictModel):
    """A protein-level hotspot and its genomic alleles, for VCFs without consequence annotation.

    Alleles are VCF-style and left-normalized; chromosome names without ``chr``.
    """

    gene: str = Field(pattern=GENE_PATTERN)
    protein_change: str = Field(description="One-letter form on the gene's MANE transcript")
    hgvsc: str | None = Field(default=None, pattern=r"^c\.\S+$")
    alleles: dict[Build, GenomicAllele] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)


DRUG_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*( [a-z0-9-]+)*$"


class Drug(StrictModel):
    """A drug: its generic name (as rules write it), classes, brand names and synonyms."""

    name: str = Field(pattern=DRUG_NAME_PATTERN)
    classes: list[str] = Field(min_length=1)
    brand_names: list[str] = Field(default_factory=list)
    synonyms: list[str] = Field(default_factory=list, description="Code names, other spellings")
    sources: list[str] = Field(min_length=1)


class RulesFile(StrictModel):
    version: str | None = None
    genes: list[GeneSpec] = Field(default_factory=list)
    hotspots: list[Hotspot] = Field(default_factory=list)
    drugs: list[Drug] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
