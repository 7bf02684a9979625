"""The prefilter's candidates decided from their text (annotator.candidate_triage): the results
are those of parsing every candidate, and the decisions taken once for alike alleles are
taken only where nothing else could decide."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import annotator.candidate_triage
import annotator.inputs
import annotator.parts
from annotator.candidate_triage import (
    COUNTED,
    NONSYNONYMOUS,
    PARSE,
    UNEVENTFUL,
    CandidateTriage,
    declares_csq,
)
from annotator.consequence import ConsequenceResolver, read_annotation_format
from annotator.gene_regions import GeneLocator
from annotator.matcher import RuleMatcher
from annotator.models import Variant
from annotator.rules import load_rules
from annotator.tumor_types import load_oncotree
from tests.generated import make_vcf
from tests.runs import run_json
from tests.test_matcher import RULES_YAML
from tests.vcfgen import vcf_text, write_vcf

#: A VEP Format with every field the resolver reads and some it does not.
FIELDS = (
    "Allele",
    "Consequence",
    "IMPACT",
    "SYMBOL",
    "Gene",
    "Feature_type",
    "Feature",
    "BIOTYPE",
    "EXON",
    "INTRON",
    "HGVSc",
    "HGVSp",
    "cDNA_position",
    "CDS_position",
    "Protein_position",
    "Amino_acids",
    "Codons",
    "Existing_variation",
    "ALLELE_NUM",
    "DISTANCE",
    "STRAND",
    "CANONICAL",
    "MANE_SELECT",
    "MANE",
)
CSQ_LINE = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
    f'Format: {"|".join(FIELDS)}">'
)
RULES = load_rules()
EGFR = "ENST00000275493"
MET = "ENST00000397752"


def csq_entry(**values: str) -> str:
    return "|".join(values.get(name, "") for name in FIELDS)


#: EGFR T790M on the rules' transcript, and an intron variant of another transcript.
T790M = {
    "Allele": "T",
    "Consequence": "missense_variant",
    "SYMBOL": "EGFR",
    "Feature_type": "Transcript",
    "Feature": f"{EGFR}.8",
    "EXON": "20/28",
    "HGVSc": f"{EGFR}.8:c.2369C>T",
    "HGVSp": "ENSP00000275493.2:p.Thr790Met",
    "Protein_position": "790",
    "Amino_acids": "T/M",
    "CANONICAL": "YES",
    "MANE_SELECT": "NM_005228.5",
}
OTHER = {
    "Allele": "T",
    "Consequence": "intron_variant",
    "SYMBOL": "EGFR",
    "Feature_type": "Transcript",
    "Feature": "ENST00000454757.6",
    "INTRON": "19/27",
    "HGVSc": "ENST00000454757.6:c.2200+5C>T",
}
#: Values each field is given in turn (those of other fields included).
VALUES = (
    "",
    "T",
    "C",
    "1",
    "2",
    "YES",
    "Transcript",
    "RegulatoryFeature",
    "KRAS",
    "EGFR",
    f"{EGFR}.8",
    "ENST00000454757.6",
    "NM_005228.5",
    "missense_variant",
    "intron_variant",
    "stop_gained",
    "19/28",
    "20/28",
    "28/28",
    "ENSP00000275493.2:p.Thr790Met",
    "ENSP00000275493.2:p.Leu858Arg",
    f"{EGFR}.8:c.2369C>A",
    "790",
    "T/M",
    "L/R",
)


def resolver() -> ConsequenceResolver:
    fmt = read_annotation_format({"CSQ": CSQ_LINE.split('Description="')[1][:-2]}, "in.vcf")
    return ConsequenceResolver(fmt, RULES.genes)


def resolved(resolver: ConsequenceResolver, csq: str) -> Any:
    """The alterations of C>T at EGFR T790M's place with this CSQ, but their HGVSc and
    variant (what the key leaves out); the error's text when resolve raises."""
    variant = Variant("chr7", 55181378, "C", "T", 1, 0, ("T",), annotations={"CSQ": csq})
    try:
        found = resolver.resolve(variant)
    except Exception as error:  # compared, not swallowed
        return str(error)
    return [replace(alteration, hgvsc=None, variant=None) for alteration in found]


def one_field_changed() -> Iterator[tuple[str, str]]:
    """(name, CSQ text): the two entries with one field of one entry changed, in every way."""
    for entry, name, value in itertools.product((0, 1), FIELDS, VALUES):
        entries = [dict(T790M), dict(OTHER)]
        if entries[entry].get(name, "") == value:
            continue
        entries[entry][name] = value
        yield name, ",".join(csq_entry(**values) for values in entries)


def test_the_csq_key_holds_every_field_resolve_reads_but_the_hgvsc() -> None:
    consequences = resolver()
    base = ",".join(csq_entry(**values) for values in (T790M, OTHER))
    base_key = consequences.csq_key(base, "C", "T")
    assert base_key is not None
    expected = resolved(consequences, base)
    assert len(expected) == 2
    same_key = Counter()
    for name, csq in one_field_changed():
        key = consequences.csq_key(csq, "C", "T")
        if key == base_key:
            same_key[name] += 1
            assert resolved(consequences, csq) == expected, (name, csq)
    # The fields it leaves out, so the test has something to hold: HGVSc among them.
    assert same_key["HGVSc"]
    assert same_key["INTRON"]
    assert same_key["cDNA_position"]
    # And an ALT that VEP names otherwise is not this allele's.
    assert consequences.csq_key(base, "C", "G") != base_key


def test_changes_protein_outside_is_resolve_and_changes_protein_in_one_pass() -> None:
    """What the triage asks of a TMB candidate outside the regions, against the two methods
    the parse calls, with every field of the entries changed in turn (other genes too)."""
    consequences = resolver()
    texts = [text for _name, text in one_field_changed()]
    texts += [text.replace("EGFR", "SOMEGENE") for text in texts]
    outcomes: Counter[object] = Counter()
    for csq in texts:
        variant = Variant("chr7", 1000, "C", "T", 1, 0, ("T",), annotations={"CSQ": csq})
        expected = outcome_of(
            lambda v=variant: None if consequences.resolve(v) else consequences.changes_protein(v)
        )
        found = outcome_of(lambda v=variant: consequences.changes_protein_outside(v))
        assert found == expected, csq
        outcomes[found] += 1
    assert outcomes[None]
    assert outcomes[True]
    assert outcomes[False]


def outcome_of(call: Any) -> object:
    """What ``call()`` gives, or the type of what it raises (compared, not swallowed)."""
    try:
        return call()
    except Exception as error:
        return type(error)


def test_the_csq_key_of_an_entry_with_the_wrong_number_of_fields_or_another_allele_number() -> None:
    consequences = resolver()
    assert consequences.csq_key(csq_entry(**T790M) + "|extra", "C", "T") is None
    assert consequences.csq_key(csq_entry(**T790M, ALLELE_NUM="2"), "C", "T") is None
    assert consequences.csq_key(csq_entry(**T790M, ALLELE_NUM="1"), "C", "T") is not None


@pytest.fixture(scope="module")
def triage() -> CandidateTriage:
    matcher = RuleMatcher(RULES, build="GRCh38", tumor_type="LUAD", oncotree=load_oncotree())
    return CandidateTriage(resolver(), GeneLocator(RULES.genes, "GRCh38"), matcher)


def intron(pos: int = 55181000, **values: str) -> tuple[bytes, int, bytes, bytes, bytes, bytes]:
    entry = csq_entry(**{**OTHER, "Feature": f"{EGFR}.8", "CANONICAL": "YES", **values})
    return b"chr7", pos, b"C", b"T", b"PASS", f"DP=50;CSQ={entry};SOMATIC".encode()


def test_an_intron_variant_of_a_rule_gene_is_counted_and_decided_once(
    triage: CandidateTriage,
) -> None:
    assert triage(*intron()) == UNEVENTFUL
    known = len(triage._known)
    assert triage(*intron(55181010)) == UNEVENTFUL
    assert len(triage._known) == known  # the same key


@pytest.mark.parametrize(
    "change",
    [
        {"filters": b"germline"},
        {"alt": b"T,G"},
        {"alt": b"<DEL>"},
        {"ref": b"c"},
        {"info": b"CSQ=" + csq_entry(**T790M).encode()},  # a protein change: parsed
        {"info": intron()[5] + b";ANN=T|intron_variant"},
        {"info": intron()[5] + b";BCSQ=intron|EGFR"},
        {"info": intron()[5] + b";CSQ=T|intron_variant"},  # twice
        {"info": b"CSQ"},
        {"info": b"CSQ=."},
        {"info": "CSQ=T|intron_variant|é".encode()},
        {"info": b"DP=3"},
    ],
    ids=lambda change: repr(change)[:40],
)
def test_what_the_triage_leaves_to_the_parse(
    triage: CandidateTriage, change: dict[str, bytes]
) -> None:
    chrom, pos, ref, alt, filters, info = intron()
    fields = {"ref": ref, "alt": alt, "filters": filters, "info": info, **change}
    assert triage(chrom, pos, fields["ref"], fields["alt"], fields["filters"], fields["info"]) is (
        PARSE
    )


def test_a_header_declares_csq_as_a_string() -> None:
    assert declares_csq(b"##fileformat=VCFv4.2\n" + CSQ_LINE.encode() + b"\n#CHROM\n")
    assert not declares_csq(b'##INFO=<ID=CSQ,Number=.,Type=Integer,Description="x">\n')
    assert not declares_csq(b'##INFO=<ID=ANN,Number=.,Type=String,Description="x">\n')


def record(pos: int, ref: str, alt: str, entry: str) -> str:
    return f"chr7\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\tCSQ={entry}\tGT:AD:DP\t0/1:30,20:50"


def without_triage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(annotator.inputs, "_candidate_triage", lambda *_args, **_kwargs: None)


def decisions(
    monkeypatch: pytest.MonkeyPatch, kind: type[Any] = CandidateTriage
) -> Counter[int | None]:
    """The outcomes of the triage of this ``kind``, counted as it gives them (in this
    process)."""
    counted: Counter[int | None] = Counter()
    decide = kind.__call__

    def counting(self: Any, *fields: Any) -> int | None:
        outcome = decide(self, *fields)
        counted[outcome] += 1
        return outcome

    monkeypatch.setattr(kind, "__call__", counting)
    return counted


def test_a_splice_donor_is_decided_by_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same CSQ text beside MET exon 14's donor site, then on it (test_met_exon14.py): the
    first changes nothing, the second fires the exon-skipping rule."""
    donor = csq_entry(
        Allele="T",
        Consequence="splice_donor_variant",
        SYMBOL="MET",
        Feature_type="Transcript",
        Feature=f"{MET}.7",
        INTRON="14/20",
        CANONICAL="YES",
    )
    lines = [record(116771995, "G", "T", donor), record(116771990, "G", "T", donor)]
    path = write_vcf(tmp_path, vcf_text(lines, info_lines=[CSQ_LINE]))
    counted = decisions(monkeypatch)
    triaged = run_json(path, "LUAD", prefilter=True)
    assert counted == {UNEVENTFUL: 1, PARSE: 1}
    assert "MET-EX14SKIP-METI-S" in {f["rule_id"] for f in triaged["findings"]}
    assert run_json(path, "LUAD", use_index=False) == triaged


def test_an_allele_of_a_genomic_rule_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An intron variant's CSQ text at a place of no rule, then at a genomic rule's allele
    (the test rules' T790M-GENOMIC): only the second fires."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML)
    entry = csq_entry(**{**OTHER, "Feature": f"{EGFR}.8", "CANONICAL": "YES"})
    lines = [record(55181370, "C", "T", entry), record(55181378, "C", "T", entry)]
    path = write_vcf(tmp_path, vcf_text(lines, info_lines=[CSQ_LINE]))
    options: dict[str, Any] = {"rule_paths": (rules,), "bundled_rules": False}
    counted = decisions(monkeypatch)
    triaged = run_json(path, "LUAD", prefilter=True, **options)
    assert counted == {UNEVENTFUL: 1, PARSE: 1}
    assert [f["rule_id"] for f in triaged["findings"]] == ["T790M-GENOMIC"]
    assert run_json(path, "LUAD", use_index=False, **options) == triaged


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A VEP-annotated file as the benchmarks make them (20,000 records)."""
    out = tmp_path_factory.mktemp("annotated") / "g20k.csq.vcf.gz"
    return make_vcf(out, "--records", "20000", "--seed", "11")


@pytest.mark.parametrize("threads", [1, 2])
def test_a_generated_vcf_gives_the_result_of_parsing_every_candidate(
    annotated: Path, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    counted = decisions(monkeypatch)
    triaged = run_json(annotated, "LUAD", prefilter=True, threads=threads)
    if threads == 1:  # the worker's decisions are its own
        assert counted[UNEVENTFUL] > 100
        assert counted[PARSE] > 100
    assert triaged["findings"]
    without_triage(monkeypatch)
    assert run_json(annotated, "LUAD", prefilter=True, threads=threads) == triaged
    assert run_json(annotated, "LUAD", use_index=False) == triaged


@pytest.mark.parametrize("threads", [1, 2])
def test_tmb_counts_what_parsing_every_candidate_counts(
    annotated: Path, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With TMB, the records outside the rule regions that name a coding term are candidates
    too: the triage counts their non-synonymous alleles from the text (and those of the
    rule-gene candidates it takes)."""
    monkeypatch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
    counted = decisions(monkeypatch)
    options: dict[str, Any] = {"prefilter": True, "threads": threads, "panel_size_mb": 30.0}
    triaged = run_json(annotated, "LUAD", **options)
    if threads == 1:
        assert counted[COUNTED | NONSYNONYMOUS] > 1000  # outside the regions
        assert counted[UNEVENTFUL] > 100
    assert triaged["biomarkers"]["tmb"]["mutations"] > 1000
    without_triage(monkeypatch)
    assert run_json(annotated, "LUAD", **options) == triaged
    assert run_json(annotated, "LUAD", use_index=False, panel_size_mb=30.0) == triaged


def test_a_record_outside_the_regions_naming_a_table_gene_is_parsed(
    triage: CandidateTriage,
) -> None:
    """For TMB (the regions say it lies in no rule gene, the annotation may not: another
    build or gene model): the parse resolves it, as it always did."""
    other = csq_entry(**{**OTHER, "SYMBOL": "SOMEGENE", "Feature": "ENST00000000001.1"})
    kept = triage(b"chr7", 1000, b"C", b"T", b"PASS", f"CSQ={other}".encode(), False)
    assert kept == COUNTED
    named = triage(b"chr7", 1000, b"C", b"T", b"PASS", intron()[5], False)
    assert named is PARSE


def test_the_decisions_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(annotator.candidate_triage, "_KEPT_ENTRIES", 3)
    matcher = RuleMatcher(RULES, build="GRCh38", tumor_type="LUAD", oncotree=load_oncotree())
    bounded = CandidateTriage(resolver(), GeneLocator(RULES.genes, "GRCh38"), matcher)
    terms = ("intron_variant", "upstream_gene_variant", "downstream_gene_variant")
    for term in (*terms, "3_prime_UTR_variant", "5_prime_UTR_variant"):
        assert bounded(*intron(Consequence=term)) == UNEVENTFUL
    assert len(bounded._known) == 3


def test_the_rule_genes_an_allele_lies_in_decide_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An annotation naming another gene alone, before EGFR's span (in its padding: a
    candidate), then inside it: the second is unclassified (no EGFR transcript named)."""
    entry = csq_entry(**{**OTHER, "SYMBOL": "EGFR-AS1", "Feature": "ENST00000442411.1"})
    lines = [record(55017000, "C", "T", entry), record(55181000, "C", "T", entry)]
    path = write_vcf(tmp_path, vcf_text(lines, info_lines=[CSQ_LINE]))
    counted = decisions(monkeypatch)
    triaged = run_json(path, "LUAD", prefilter=True)
    assert counted == {COUNTED: 1, PARSE: 1}
    assert [item["gene"] for item in triaged["unclassified"]] == ["EGFR"]
    assert run_json(path, "LUAD", use_index=False) == triaged
