"""Every fast path gives the full pass's result (issue 7), on random files (hypothesis).

A file is made of random records: in the rule genes' spans, just outside them (within the
padding) and far from them; on the rules' transcript or another one; with a consequence
annotation in one of the three formats (VEP CSQ, SnpEff ANN, bcftools csq BCSQ, each in its
own spelling of the consequences) or none; passing or failing FILTER, multi-allelic, or a
symbolic deletion. The same file is then read by the full pass, the text prefilter, the
prefilter in two processes (small BGZF blocks, small claimed blocks) and, where a run may take
it, the indexed path; the results must be the full pass's (the indexed one's but for its counts
of records read). Options vary too: TMB, --include-filtered, --min-vaf.

It found: TMB through the prefilter missed bcftools csq's own consequence names
(``missense``) outside the rule regions; the indexed path named records by their place among
those it read (``record 8589934593`` in two processes) in notes, fusion labels and errors, and
gave its results in the header's order of the chromosomes, not the file's.

Not generated, because the fast paths never parse such records (the README's paragraph on them
says so): an annotation naming a rule gene for a record outside that gene's span padded by the
annotator's up/downstream distance (a wrong build, or another gene model), and a malformed
annotation outside the rule regions. The full pass (``--no-index``) reads both.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pysam
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import annotator.inputs
import annotator.parts
from annotator.rules import load_rules
from tests.runs import run_json
from tests.test_fast_paths import comparable
from tests.test_parts import blocked
from tests.vcfgen import GRCH38_CONTIGS, vcf_text

#: The annotation header lines, one per format (a file carries one of them).
INFO_LINES = {
    "CSQ": '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
    'Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSp|EXON">',
    "ANN": '##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: '
    "'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | "
    "Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | "
    "CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">",
    "BCSQ": '##INFO=<ID=BCSQ,Number=.,Type=String,Description="Haplotype-aware consequence '
    "annotation from BCFtools/csq. Format: Consequence|gene|transcript|biotype|strand|"
    'amino_acid_change|dna_change">',
}
SV_LINES = (
    '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
    '##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">',
)
#: Each format's own spellings (bcftools csq's names are its own, spelled out here).
TERMS = {
    "CSQ": [
        "missense_variant",
        "synonymous_variant",
        "stop_gained",
        "frameshift_variant",
        "intron_variant",
        "splice_region_variant&intron_variant",
        "inframe_deletion",
        "5_prime_UTR_variant",
        "upstream_gene_variant",
    ],
    "ANN": [
        "missense_variant",
        "synonymous_variant",
        "stop_gained",
        "frameshift_variant",
        "intron_variant",
        "disruptive_inframe_deletion",
        "5_prime_UTR_premature_start_codon_gain_variant",
    ],
    "BCSQ": [
        "missense",
        "synonymous",
        "stop_gained",
        "frameshift",
        "intron",
        "splice_region",
        "inframe_deletion",
        "inframe_altering",
        "*missense",
        "5_prime_utr",
    ],
}
#: Protein changes named (the first two fire rules on EGFR, KRAS or BRAF transcripts).
CHANGES = [("Thr790Met", 790, "T", "M"), ("Gly12Asp", 12, "G", "D"), ("Val600Glu", 600, "V", "E")]
FILTERS = ["PASS", "PASS", ".", "germline", "weak_evidence;germline"]
PADDING = 5000  # VEP's up/downstream distance, which the fast paths pad the genes by


@functools.cache
def rule_genes() -> dict[str, tuple[str, int, int, str]]:
    """Rule genes on the test contigs: symbol -> (chrom, start, end, transcript), GRCh38."""
    genes = {}
    for symbol, spec in load_rules((), bundled=True).genes.items():
        span = spec.spans.get("GRCh38")  # type: ignore[call-overload]
        if span is not None and f"chr{span.chrom}" in GRCH38_CONTIGS:
            genes[symbol] = (f"chr{span.chrom}", span.start, span.end, spec.ensembl_transcript)
    return genes


@st.composite
def records(draw: st.DrawFn, key: str | None) -> tuple[str, int, str]:
    """(chrom, pos, line) of one record."""
    genes = rule_genes()
    symbol = draw(st.sampled_from(sorted(genes)))
    chrom, start, end, transcript = genes[symbol]
    where = draw(st.sampled_from(["inside", "inside", "padding", "far"]))
    if where == "inside":
        pos = draw(st.integers(start, end))
    elif where == "padding":
        pos = draw(st.sampled_from([start - PADDING + 1, start - 1, end + 1, end + PADDING - 1]))
    else:  # far from every rule gene: an annotation there names other genes (see the module)
        chrom, pos = draw(st.sampled_from(sorted(GRCH38_CONTIGS))), draw(st.integers(1, 9000))
        symbol = "NOTARULEGENE"
    ref = draw(st.sampled_from("ACGT"))
    kind = draw(st.integers(0, 11))
    if kind == 0:  # a symbolic deletion, its extent in INFO
        alts, info = ["<DEL>"], [f"SVTYPE=DEL;END={pos + draw(st.integers(1, 50_000))}"]
    elif kind >= 10:  # a gVCF's reference block: no variant of its own
        alts, info = [draw(st.sampled_from(["<NON_REF>", "<*>"]))], [f"END={pos + 100}"]
    else:
        alts = [draw(st.sampled_from([b for b in "ACGT" if b != ref]))]
        if kind == 1:
            alts.append(draw(st.sampled_from([b for b in "ACGT" if b not in (ref, *alts)])))
        info = []
    if key is not None and kind != 0 and draw(st.integers(0, 4)):
        entries = [
            entry(draw, key, alt, symbol, transcript, pos, ref)
            for alt in alts
            for _ in range(draw(st.integers(1, 2)))
        ]
        info.append(f"{key}={','.join(entries)}")
    depth = draw(st.integers(10, 90))
    ad = ",".join(str(draw(st.integers(0, depth))) for _ in range(len(alts) + 1))
    fields = [chrom, str(pos), ".", ref, ",".join(alts), ".", draw(st.sampled_from(FILTERS))]
    fields += [";".join(info) or ".", "GT:AD:DP", f"0/1:{ad}:{depth}"]
    return chrom, pos, "\t".join(fields)


def entry(
    draw: st.DrawFn, key: str, alt: str, symbol: str, transcript: str, pos: int, ref: str
) -> str:
    term = draw(st.sampled_from(TERMS[key]))
    feature = draw(st.sampled_from([f"{transcript}.5", "ENST00000999999.1"]))
    name, codon, before, after = draw(st.sampled_from(CHANGES))
    coding = "missense" in term or "inframe" in term
    if key == "BCSQ":
        change = f"{codon}{before}>{codon}{after}" if coding else ""
        return f"{term}|{symbol}|{feature}|protein_coding|+|{change}|{pos}{ref}>{alt}"
    hgvsp = f"ENSP00000000001.1:p.{name}" if coding else ""
    exon = draw(st.sampled_from(["", "3/28", "28/28"]))
    if key == "CSQ":
        return f"{alt}|{term}|MODERATE|{symbol}|{feature}|{hgvsp}|{exon}"
    rank = exon or "1/2"
    return (
        f"{alt}|{term}|MODERATE|{symbol}|{symbol}|transcript|{feature}|protein_coding|{rank}|"
        f"c.1A>G|{hgvsp.partition(':')[2]}|||||"
    )


@st.composite
def vcf_files(draw: st.DrawFn) -> tuple[str | None, bytes]:
    key = draw(st.sampled_from(["CSQ", "ANN", "BCSQ", None]))
    drawn = draw(st.lists(records(key), min_size=1, max_size=60))
    order = sorted(GRCH38_CONTIGS)
    lines = [line for _c, _p, line in sorted(drawn, key=lambda r: (order.index(r[0]), r[1]))]
    info_lines = (*([INFO_LINES[key]] if key else []), *SV_LINES)
    return key, vcf_text(lines, info_lines=info_lines).encode()


OPTIONS = st.fixed_dictionaries(
    {
        "panel_size_mb": st.sampled_from([None, 1.0]),
        "include_filtered": st.booleans(),
        "min_vaf": st.sampled_from([None, 0.2]),
    }
)


@contextlib.contextmanager
def two_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any BGZF input read in two parts, claimed four candidates at a time."""
    with monkeypatch.context() as patch:
        patch.setattr(annotator.parts, "SPLIT_MIN_BYTES", 0)
        patch.setattr(annotator.parts, "usable_cpus", lambda: 2)
        patch.setattr(annotator.parts, "MIN_BLOCK", 4)
        yield


def unnumbered(result: dict[str, Any]) -> str:
    """The result as text, records named without their number in the file: the indexed path
    reads the rule regions only and names a record by its ID, else its position."""
    text = json.dumps(result, sort_keys=True)
    text = re.sub(r"record \d+ \(([^)]*)\)", r"\1", text)  # 'record 3 (id)' -> 'id'
    text = re.sub(r"record \d+ ", "", text)  # 'record 3 chr7:1: ...' -> 'chr7:1: ...'
    return re.sub(r" record \d+", "", text)  # 'VCF <DEL> chr7:1-9 record 3' -> '... chr7:1-9'


def outcome(path: Path, **options: Any) -> dict[str, Any] | str:
    """The JSON result, or the error's message (a path that fails must fail alike)."""
    try:
        return run_json(path, "LUAD", **options)
    except Exception as error:  # compared with the other paths', not swallowed
        return f"{type(error).__name__}: {error}"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # No shrinking: each example runs four passes, and shrinking one took over five minutes;
    # a failure shows its whole file (note) instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(file=vcf_files(), options=OPTIONS, cut=st.integers(150, 3000))
def test_every_fast_path_gives_the_full_pass_result(
    file: tuple[str | None, bytes],
    options: dict[str, Any],
    cut: int,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _key, text = file
    note(text.decode())
    # Small BGZF blocks, so that the file can be split in two parts.
    path = blocked(
        tmp_path_factory.mktemp("agree") / "in.vcf.gz", text, list(range(cut, len(text), cut))
    )
    full = outcome(path, use_index=False, **options)
    assert outcome(path, prefilter=True, **options) == full
    with two_processes(monkeypatch):
        assert outcome(path, prefilter=True, **options) == full
    if options["panel_size_mb"] is None and isinstance(full, dict):
        pysam.tabix_index(str(path), preset="vcf", force=True)
        indexed = outcome(path, use_index=True, **options)
        assert isinstance(indexed, dict), indexed
        assert indexed["summary"]["regions_only"] is True
        assert unnumbered(comparable(indexed)) == unnumbered(comparable(full))
