"""Property tests (hypothesis) of the parsers and the allele normalizer.

Bounded (100-300 examples each, no deadline) so that they run in the normal suite. What
``tests/test_protein.py`` already checks (normalized forms round-trip, ``try_parse`` never
raises) is not repeated here. Covered:

- protein notation: bcftools csq amino-acid changes mean what they say (applied to the residue
  stretch they came from, they give the new stretch); codon selectors read back;
- consequence annotations: VEP ``CSQ``, SnpEff ``ANN`` and bcftools ``BCSQ`` entries written
  from known values are read back to those values, for this allele and rule genes only; any
  string raises nothing but ``InputError``;
- rules loader: a valid rules file changed at random, and arbitrary bytes, give a rule set or a
  ``RulesError`` whose problems are each one printable line naming the file;
- allele normalizer: every representation of the same change normalizes to one allele, which
  still makes that change; trimming alone never changes the change.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from annotator.consequence import SNPEFF_ANN_FIELDS, ConsequenceResolver, read_annotation_format
from annotator.consequence_terms import BCSQ_TERMS, SEVERITY_ORDER
from annotator.errors import InputError, ProteinNotationError, RulesError
from annotator.models import Variant
from annotator.normalize import normalize_allele
from annotator.protein import (
    ONE_TO_THREE,
    UNKNOWN_RESIDUE,
    ChangeKind,
    ProteinChange,
    parse_codon,
    parse_protein_change,
)
from annotator.rules import load_rules
from annotator.tumor_types import load_oncotree
from tests.test_consequence import GENES
from tests.test_protein import protein_changes

E = TypeVar("E", bound=Exception)


def raised(call: Callable[[], object], kind: type[E]) -> E | None:
    """The ``kind`` exception ``call`` raises, or None; any other exception propagates."""
    try:
        call()
    except kind as error:
        return error
    return None


BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RESIDUES = sorted(set(ONE_TO_THREE) - {"*", "X"})
residues = st.text(alphabet=RESIDUES, min_size=1, max_size=12)


# --- protein notation -----------------------------------------------------------------------


def apply_change(change: ProteinChange, stretch: str, first: int) -> str:
    """``stretch`` (whose first residue is at ``first``) with ``change`` made to it."""
    start = change.start - first
    end = (change.end if change.end is not None else change.start) - first
    assert stretch[start] == change.start_aa, (stretch, change)
    if change.kind is ChangeKind.INSERTION and end == len(stretch):
        # inserted at the end of the stretch: bcftools csq names no residue after it
        assert change.end_aa == UNKNOWN_RESIDUE, (stretch, change)
        return stretch + change.alt
    if change.end_aa is not None:
        assert stretch[end] == change.end_aa, (stretch, change)
    before, touched, after = stretch[:start], stretch[start : end + 1], stretch[end + 1 :]
    kind = change.kind
    if kind is ChangeKind.SYNONYMOUS:
        return stretch
    if kind is ChangeKind.DELETION:
        return before + after
    if kind is ChangeKind.DUPLICATION:
        return before + touched + touched + after
    if kind is ChangeKind.INSERTION:
        return before + touched[0] + change.alt + touched[1] + after
    assert kind in (ChangeKind.SUBSTITUTION, ChangeKind.DELINS), change
    return before + change.alt + after


@st.composite
def bcsq_edits(draw: st.DrawFn) -> tuple[str, str]:
    """A residue stretch and the same stretch with an in-frame change inside it."""
    stretch = draw(residues.filter(lambda s: len(s) >= 2))
    start = draw(st.integers(1, len(stretch) - 1))
    end = draw(st.integers(start, len(stretch) - 1))
    inserted = draw(st.text(alphabet=RESIDUES, max_size=4) | st.just(stretch[start:end] * 2))
    return stretch, stretch[:start] + inserted + stretch[end:]


@BOUNDED
@given(bcsq_edits(), st.integers(1, 5_000))
def test_bcsq_amino_acid_change_makes_the_change_it_describes(
    edit: tuple[str, str], position: int
) -> None:
    before, after = edit
    text = f"{position}{before}>{position}{after}"
    error = raised(lambda: parse_protein_change(text), ProteinNotationError)
    assert error is None, error  # the stretches share their first residue
    change = parse_protein_change(text)
    note(repr(change))
    assert apply_change(change, before, position) == after
    assert parse_protein_change(change.hgvs) == change


@BOUNDED
@given(st.sampled_from([*RESIDUES, "*"]), st.integers(1, 10**8), st.booleans())
def test_codon_selectors_read_back(residue: str, position: int, three_letter: bool) -> None:
    code = ONE_TO_THREE[residue] if three_letter else residue
    assert parse_codon(f"{code}{position}") == (residue, position)


@BOUNDED
@given(st.text(max_size=16) | st.from_regex(r"\A(p\.)?([A-Z][a-z]{2}|[A-Z*])[0-9]{0,12}\Z"))
def test_codon_parser_raises_only_its_own_error(text: str) -> None:
    if raised(lambda: parse_codon(text), ProteinNotationError) is not None:
        return
    residue, position = parse_codon(text)
    assert position >= 1
    assert residue in ONE_TO_THREE


# --- consequence annotations ----------------------------------------------------------------

REF = "C"
ALTS = ("A", "G", "T")
TRANSCRIPTS = ("ENST00000275493", "ENST00000311936", "ENST00000455089")
VEP_FORMAT = "Allele|Consequence|SYMBOL|Feature_type|Feature|EXON|HGVSc|HGVSp|CANONICAL"
FORMAT = read_annotation_format(
    {
        "CSQ": f"Consequence annotations from Ensembl VEP. Format: {VEP_FORMAT}",
        "ANN": "Functional annotations: '" + " | ".join(SNPEFF_ANN_FIELDS) + "'",
        "BCSQ": "Local consequence annotation from BCFtools/csq. Format: Consequence|gene|"
        "transcript|biotype|strand|amino_acid_change|dna_change",
    },
    "tumor.vcf",
)
#: SnpEff terms whose ``Rank`` is the intron's, so no exon is read from it.
INTRONIC = frozenset(
    {
        "intron_variant",
        "splice_donor_variant",
        "splice_acceptor_variant",
        "splice_donor_5th_base_variant",
        "splice_donor_region_variant",
        "splice_polypyrimidine_tract_variant",
    }
)


@dataclass(frozen=True)
class Entry:
    """One transcript consequence: what is written, and what should be read back."""

    allele: str
    gene: str
    transcript: str
    terms: tuple[str, ...]
    protein: ProteinChange | None
    exon: int | None

    @property
    def hgvsp(self) -> str:
        return "" if self.protein is None else self.protein.hgvs

    @property
    def rank(self) -> str:
        return "" if self.exon is None else f"{self.exon}/31"


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    return Entry(
        allele=draw(st.sampled_from(ALTS)),
        gene=draw(st.sampled_from(["EGFR", "KRAS", "TP53"])),  # TP53: not a rule gene
        transcript=draw(st.sampled_from(TRANSCRIPTS)),
        terms=tuple(
            draw(
                st.lists(st.sampled_from(SEVERITY_ORDER[:30]), min_size=1, max_size=3, unique=True)
            )
        ),
        protein=draw(st.none() | protein_changes()),
        exon=draw(st.none() | st.integers(1, 30)),
    )


def variant_of(alt_index: int, key: str, raw: str) -> Variant:
    return Variant(
        chrom="7",
        pos=55181378,
        ref=REF,
        alt=ALTS[alt_index],
        record_index=7,
        alt_index=alt_index,
        alts=ALTS,
        annotations={key: raw or "."},
    )


def read_back(variant: Variant) -> list[Entry]:
    return [
        Entry(
            allele=variant.alt,
            gene=alteration.gene,
            transcript=alteration.transcript or "",
            terms=alteration.consequence_terms,
            protein=alteration.protein,
            exon=alteration.exon,
        )
        for alteration in ConsequenceResolver(FORMAT, GENES).resolve(variant)
    ]


def of_this_allele(items: Sequence[Entry], variant: Variant) -> list[Entry]:
    """The entries the resolver should return: this ALT's, in rule genes, in order."""
    return [item for item in items if item.allele == variant.alt and item.gene in GENES]


@BOUNDED
@given(st.lists(entries(), max_size=6), st.integers(0, len(ALTS) - 1))
def test_vep_csq_entries_read_back(items: list[Entry], alt_index: int) -> None:
    raw = ",".join(
        "|".join(
            [
                item.allele,
                "&".join(item.terms),
                item.gene,
                "Transcript",
                item.transcript,
                item.rank,
                "",
                # VEP prefixes the protein id and percent-encodes '='.
                f"ENSP00000275493.2:{item.hgvsp}".replace("=", "%3D") if item.hgvsp else "",
                "YES",
            ]
        )
        for item in items
    )
    variant = variant_of(alt_index, "CSQ", raw)
    assert read_back(variant) == of_this_allele(items, variant)


@BOUNDED
@given(st.lists(entries(), max_size=6), st.integers(0, len(ALTS) - 1))
def test_snpeff_ann_entries_read_back(items: list[Entry], alt_index: int) -> None:
    raw = ",".join(
        "|".join(
            [
                item.allele,
                "&".join(item.terms),
                "MODERATE",
                item.gene,
                "ENSG00000146648",
                "transcript",
                item.transcript,
                "protein_coding",
                item.rank,
                "c.2369C>T",
                item.hgvsp,
                *[""] * 5,
            ]
        )
        for item in items
    )
    variant = variant_of(alt_index, "ANN", raw)
    wanted = [
        replace(item, exon=None) if INTRONIC.intersection(item.terms) else item
        for item in of_this_allele(items, variant)
    ]
    assert read_back(variant) == wanted


@st.composite
def bcsq_entries(draw: st.DrawFn) -> tuple[Entry, tuple[str, ...]]:
    """A bcftools csq missense entry and its consequence names (``missense``, not SO)."""
    residue = draw(st.sampled_from(RESIDUES))
    new = draw(st.sampled_from(RESIDUES).filter(lambda other: other != residue))
    names = tuple(draw(st.lists(st.sampled_from(sorted(BCSQ_TERMS)), min_size=1, max_size=2)))
    entry = Entry(
        allele=draw(st.sampled_from(ALTS)),
        gene=draw(st.sampled_from(["EGFR", "KRAS", "TP53"])),
        transcript=draw(st.sampled_from(TRANSCRIPTS)),
        terms=tuple(BCSQ_TERMS[name] for name in names),
        protein=ProteinChange(
            ChangeKind.SUBSTITUTION, residue, draw(st.integers(2, 3_000)), None, None, new
        ),
        exon=None,
    )
    return entry, names


@BOUNDED
@given(st.lists(bcsq_entries(), max_size=6), st.integers(0, len(ALTS) - 1))
def test_bcftools_bcsq_entries_read_back(
    items: list[tuple[Entry, tuple[str, ...]]], alt_index: int
) -> None:
    def written(item: Entry, names: tuple[str, ...]) -> str:
        protein = item.protein
        assert protein is not None
        amino_acids = f"{protein.start}{protein.start_aa}>{protein.start}{protein.alt}"
        dna_change = f"55181378{REF}>{item.allele}"
        fields = ["&".join(names), item.gene, item.transcript, "protein_coding", "+"]
        return "|".join([*fields, amino_acids, dna_change])

    variant = variant_of(alt_index, "BCSQ", ",".join(written(*item) for item in items))
    assert read_back(variant) == of_this_allele([entry for entry, _ in items], variant)


annotation_pieces = st.sampled_from(
    [
        *("|", "&", ",", "%", "%3D", "EGFR", "KRAS", "Transcript", "transcript", "A", "G", "-"),
        *("*", "p.Thr790Met", "790T>790M", "@55181378", "55181378C>G", "1", "YES", "3/28", ""),
    ]
)
junk = st.lists(annotation_pieces | st.text(max_size=3), max_size=30).map("".join)


@BOUNDED
@given(st.sampled_from(["CSQ", "ANN", "BCSQ"]), junk, st.integers(0, len(ALTS) - 1))
def test_any_annotation_string_raises_only_input_error(key: str, raw: str, alt_index: int) -> None:
    variant = variant_of(alt_index, key, raw)
    resolver = ConsequenceResolver(FORMAT, GENES)
    for error in (
        raised(lambda: resolver.resolve(variant), InputError),
        raised(lambda: resolver.changes_protein(variant), InputError),
    ):
        if error is not None:
            assert error.record == 7
            assert str(error).isprintable()


@BOUNDED
@given(
    st.dictionaries(
        st.sampled_from(["CSQ", "ANN", "BCSQ"]),
        st.text(max_size=40) | st.from_regex(r"\A[A-Za-z .:'|/_]{0,80}\Z"),
    )
)
def test_any_annotation_header_raises_only_input_error(descriptions: dict[str, str]) -> None:
    error = raised(lambda: read_annotation_format(descriptions, "tumor.vcf"), InputError)
    if error is not None:
        assert error.path == "tumor.vcf"
        assert str(error).isprintable()


# --- rules loader ---------------------------------------------------------------------------

TREE = load_oncotree()
#: A self-contained rules file (gene, hotspot, drug, rule) that loads without the bundled set.
VALID_RULES: dict[str, object] = {
    "genes": [
        {
            "symbol": "EGFR",
            "hgnc_id": "HGNC:3236",
            "ensembl_transcript": "ENST00000275493",
            "refseq_transcript": "NM_005228.5",
            "strand": "+",
            "spans": {"GRCh38": {"chrom": "7", "start": 55019017, "end": 55211628}},
            "exons": [{"number": 20, "cds_start": 2284, "cds_end": 2469, "sources": ["test"]}],
            "sources": ["test"],
        }
    ],
    "hotspots": [
        {
            "gene": "EGFR",
            "protein_change": "L858R",
            "alleles": {"GRCh38": {"chrom": "7", "pos": 55191822, "ref": "T", "alt": "G"}},
            "sources": ["test"],
        }
    ],
    "drugs": [
        {
            "name": "osimertinib",
            "classes": ["EGFR TKI"],
            "brand_names": ["Tagrisso"],
            "sources": ["test"],
        }
    ],
    "rules": [
        {
            "id": "EGFR-L858R-TEST-S",
            "gene": "EGFR",
            "alteration": {"protein_changes": ["L858R"]},
            "requires": [{"gene": "EGFR", "codons": ["T790"], "phase": "cis"}],
            "tumor_types": {"include": ["NSCLC"], "exclude": ["LUSC"]},
            "effect": "sensitivity",
            "therapies": ["osimertinib"],
            "evidence_level": "A",
            "citations": ["PMID:29151359"],
            "examples": [
                {"alteration": "EGFR p.L858R", "tumor_type": "LUAD", "with": ["EGFR p.T790M cis"]}
            ],
        }
    ],
}


def locations(node: object, prefix: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from locations(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from locations(value, (*prefix, index))


LOCATIONS = list(locations(VALID_RULES))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 10**12)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["EGFR", "L858R", "T790", "NSCLC", "ALL", "PMID:1", "7", "GRCh38", "cis"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["id", "gene", "start"]), inner, max_size=3
        )
    ),
    max_leaves=6,
)


@st.composite
def changed_rules(draw: st.DrawFn) -> object:
    """The valid rules file with one to three values replaced, deleted or keys added."""
    document: object = copy.deepcopy(VALID_RULES)
    for _ in range(draw(st.integers(1, 3))):
        location = draw(st.sampled_from(LOCATIONS))
        parent: object = document
        try:
            for step in location[:-1]:
                parent = parent[step]  # type: ignore[index]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "delete":
                del parent[location[-1]]  # type: ignore[attr-defined]
            elif action == "add" and isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
            else:
                parent[location[-1]] = draw(values)  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed the place
    return document


def load_or_problems(path: Path) -> None:
    error = raised(lambda: load_rules([path], bundled=False, oncotree=TREE), RulesError)
    if error is not None:
        assert error.problems
        for problem in error.problems:
            assert problem.startswith(f"{path}: "), problem
            assert problem.isprintable(), problem


@pytest.fixture(scope="module")
def rules_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rules") / "fuzzed.yaml"


def test_the_valid_rules_file_loads(rules_path: Path) -> None:
    rules_path.write_text(yaml.safe_dump(VALID_RULES, sort_keys=False))
    ruleset = load_rules([rules_path], bundled=False, oncotree=TREE)
    assert [rule.id for rule in ruleset.rules] == ["EGFR-L858R-TEST-S"]


@BOUNDED
@given(changed_rules())
def test_a_changed_rules_file_loads_or_lists_its_problems(
    rules_path: Path, document: object
) -> None:
    text = yaml.safe_dump(document, sort_keys=False)
    note(text)
    rules_path.write_text(text)
    load_or_problems(rules_path)


@BOUNDED
@given(
    st.binary(max_size=120)
    | st.text(max_size=120).map(str.encode)
    | st.from_regex(
        r"\A(rules|genes|drugs|hotspots|version):( |\n  - )"
        r"[\[\]{}:,\-'\"a-z0-9 \n\t&*!|>%@`]{0,60}\Z"
    ).map(str.encode)
)
def test_any_bytes_as_rules_file_load_or_list_problems(rules_path: Path, data: bytes) -> None:
    rules_path.write_bytes(data)
    load_or_problems(rules_path)


# --- allele normalizer ----------------------------------------------------------------------


class Sequence1:
    """One chromosome held in memory, read like ``pysam.FastaFile``."""

    def __init__(self, bases: str) -> None:
        self.bases = bases

    @property
    def references(self) -> Sequence[str]:
        return ["chr7"]

    def fetch(self, reference: str, start: int, end: int) -> str:
        assert reference == "chr7"
        return self.bases[start:end]


def apply_allele(bases: str, pos: int, ref: str, alt: str) -> str:
    assert bases[pos - 1 : pos - 1 + len(ref)] == ref, (pos, ref)
    return bases[: pos - 1] + alt + bases[pos - 1 + len(ref) :]


def representations(bases: str, changed: str) -> set[tuple[int, str, str]]:
    """Every VCF allele (anchored, 1-based) that turns ``bases`` into ``changed``."""
    found = set()
    for start in range(len(bases) + 1):
        if changed[:start] != bases[:start]:
            break
        for end in range(start, len(bases) + 1):
            tail = bases[end:]
            if len(changed) - len(tail) < start or not changed.endswith(tail):
                continue
            new = changed[start : len(changed) - len(tail)]
            if start >= 1:  # anchored on the base before
                found.add((start, bases[start - 1 : end], bases[start - 1] + new))
            elif end < len(bases):  # at the contig start: anchored on the base after
                found.add((1, bases[: end + 1], new + bases[end]))
    return {(pos, ref, alt) for pos, ref, alt in found if ref != alt}


@st.composite
def changed_sequences(draw: st.DrawFn) -> tuple[str, str]:
    """A short chromosome, often with repeats, and the same with one change in it."""
    bases = draw(st.text(alphabet="ACGT", min_size=3, max_size=20))
    bases = draw(st.sampled_from([bases, bases[:3] * 5, "A" * 8 + bases, bases + "CA" * 5]))
    start = draw(st.integers(0, len(bases)))
    end = draw(st.integers(start, min(len(bases), start + 6)))
    inserted = draw(
        st.text(alphabet="ACGT", max_size=5)
        | st.sampled_from([bases[start:end] * 2, bases[max(0, start - 2) : start]])
    )
    changed = bases[:start] + inserted + bases[end:]
    assume(changed != bases)
    return bases, changed


@BOUNDED
@given(changed_sequences())
def test_equivalent_representations_normalize_equal(case: tuple[str, str]) -> None:
    bases, changed = case
    fasta = Sequence1(bases)
    alleles = representations(bases, changed)
    assume(alleles)  # deleting the whole contig has no VCF allele
    note(repr(sorted(alleles)))
    normalized = set()
    for pos, ref, alt in alleles:
        chrom, new_pos, new_ref, new_alt = normalize_allele("chr7", pos, ref, alt, fasta)
        assert chrom == "chr7"
        assert apply_allele(bases, new_pos, new_ref, new_alt) == changed
        normalized.add((new_pos, new_ref, new_alt))
        # Without the FASTA only shared bases are trimmed: still the same change.
        _, trimmed_pos, trimmed_ref, trimmed_alt = normalize_allele("chr7", pos, ref, alt)
        assert apply_allele(bases, trimmed_pos, trimmed_ref, trimmed_alt) == changed
        assert normalize_allele("chr7", trimmed_pos, trimmed_ref, trimmed_alt) == (
            "chr7",
            trimmed_pos,
            trimmed_ref,
            trimmed_alt,
        )
    assert len(normalized) == 1, normalized


@BOUNDED
@given(
    st.text(alphabet="ACGT", min_size=1, max_size=20),
    st.integers(1, 25),
    st.text(alphabet="ACGTNacgtn*<>.[]:", min_size=1, max_size=6),
    st.text(alphabet="ACGTNacgtn*<>.[]:", min_size=1, max_size=6),
)
def test_normalizer_raises_only_input_error(bases: str, pos: int, ref: str, alt: str) -> None:
    fasta = Sequence1(bases)
    error = raised(lambda: normalize_allele("chr7", pos, ref, alt, fasta), InputError)
    if error is not None:
        assert str(error).isprintable()
        return
    chrom, new_pos, new_ref, new_alt = normalize_allele("chr7", pos, ref, alt, fasta)
    assert chrom == "chr7"
    assert new_pos >= 1
    assert (new_ref, new_alt) != ("", "")
