"""The fast paths of issue 7: the indexed path (rule regions only) and the progress line.

Results must be identical with and without the indexed path, apart from the summary's counts
(which are of the records read) and its ``regions_only`` flag.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pysam
import pysam.bcftools
import pytest

from annotator import prefilter
from annotator.cli import main
from annotator.config import AnnotateConfig
from annotator.errors import InputError
from annotator.pipeline import run
from annotator.prefilter import merge_intervals, rule_regions, scan_vcf_text
from annotator.progress import Progress, file_offset
from annotator.readers.vcf import VcfReader
from annotator.rules import load_rules
from annotator.writers.vcf import INFO_TAGS
from tests.generated import make_vcf
from tests.runs import run_json
from tests.vcfgen import vcf_text, write_vcf

ROOT = Path(__file__).resolve().parents[1]
#: Summary fields that count records read: they differ between the paths by design.
_READ_COUNTS = (
    "records",
    "alleles",
    "skipped_filtered",
    "alleles_annotated",
    "alleles_filtered",
    "alleles_outside_rule_genes",
    "regions_only",
)


def annotate(path: Path, out: Path, tumor_type: str, *options: str) -> dict[str, Any]:
    assert (
        main(["annotate", str(path), "--tumor-type", tumor_type, "--out-json", str(out), *options])
        == 0
    )
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """The result without volatile fields (command line) and without the counts of records read."""
    kept = {
        key: value for key, value in result.items() if key not in ("command_line", "tool_version")
    }
    kept["summary"] = {k: v for k, v in result["summary"].items() if k not in _READ_COUNTS}
    return kept


def indexed_copy(source: Path, directory: Path) -> Path:
    """A bgzipped, tabix-indexed copy of a VCF (plain or gzip)."""
    target = directory / (source.name.split(".vcf")[0] + ".vcf.gz")
    text = directory / "plain.vcf"
    opener = pysam.BGZFile(str(source), "rb") if source.suffix == ".gz" else source.open("rb")
    with opener as handle, text.open("wb") as plain:
        shutil.copyfileobj(handle, plain)
    pysam.tabix_compress(str(text), str(target), force=True)
    pysam.tabix_index(str(target), preset="vcf", force=True)
    text.unlink()
    return target


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50,000 synthetic records with VEP CSQ, 10% in cancer-gene spans, with a tabix index."""
    out = tmp_path_factory.mktemp("generated") / "g50k.csq.vcf.gz"
    return make_vcf(out, "--records", "50000", "--seed", "3", "--index")


CASES = [
    ("test_data/demo.grch38.vep.vcf.gz", "LUAD"),
    ("test_data/luad.grch37.vep.vcf", "LUAD"),
    ("test_data/luad.grch37.vep.vcf.gz", "LUAD"),
    ("tests/data/pcgr.T001-COAD.grch38.vcf.gz", "COAD"),
]


@pytest.mark.parametrize(("source", "tumor_type"), CASES, ids=[case[0] for case in CASES])
def test_indexed_path_gives_the_results_of_the_full_pass(
    source: str, tumor_type: str, tmp_path: Path
) -> None:
    vcf = indexed_copy(ROOT / source, tmp_path)
    indexed = annotate(vcf, tmp_path / "indexed.json", tumor_type, "--index")
    full = annotate(vcf, tmp_path / "full.json", tumor_type, "--no-index")
    assert indexed["summary"]["regions_only"] is True
    assert "regions_only" not in full["summary"]
    assert indexed["summary"]["records"] <= full["summary"]["records"]
    assert comparable(indexed) == comparable(full)


def test_indexed_path_on_a_generated_file(generated: Path, tmp_path: Path) -> None:
    indexed = annotate(generated, tmp_path / "indexed.json", "LUAD")  # default: over 1 MB
    full = annotate(generated, tmp_path / "full.json", "LUAD", "--no-index")
    assert indexed["summary"]["regions_only"] is True
    assert full["summary"]["records"] == 50000
    assert indexed["summary"]["records"] < 10000
    assert indexed["findings"]
    assert comparable(indexed) == comparable(full)


def test_indexed_path_follows_the_chromosome_order_of_the_records(tmp_path: Path) -> None:
    """A file sorted otherwise than its header declares the contigs (here chr12 before chr7)
    gives its findings in the order of its records, as a pass over it does."""
    csq = (
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
        'Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSp">'
    )
    records = [
        "chr12\t25245350\t.\tC\tT\t.\tPASS\tCSQ=T|missense_variant|MODERATE|KRAS|"
        "ENST00000311936.8|ENSP00000308495.3:p.Gly12Asp\tGT:AD\t0/1:60,40",
        "chr7\t55181378\t.\tC\tT\t.\tPASS\tCSQ=T|missense_variant|MODERATE|EGFR|"
        "ENST00000275493.7|ENSP00000275493.2:p.Thr790Met\tGT:AD\t0/1:60,40",
    ]
    source = tmp_path / "records.vcf"
    source.write_text(vcf_text(records, info_lines=(csq,)))  # contigs chr7, chr12, chr17
    vcf = indexed_copy(source, tmp_path)
    indexed = annotate(vcf, tmp_path / "indexed.json", "LUAD", "--index")
    full = annotate(vcf, tmp_path / "full.json", "LUAD", "--no-index")
    assert [f["gene"] for f in full["findings"]][:1] == ["KRAS"]
    assert {f["gene"] for f in full["findings"]} == {"KRAS", "EGFR"}
    assert comparable(indexed) == comparable(full)


def test_indexed_bcf_is_read_without_htslib_errors(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A BCF's .csi is no tabix index: the chromosome order comes from its header, and htslib
    is not asked to read the index as one (it would print an error)."""
    bcf = tmp_path / "luad.bcf"
    with (
        pysam.VariantFile(str(ROOT / "test_data/luad.grch37.vep.vcf.gz")) as source,
        pysam.VariantFile(str(bcf), "wb", header=source.header) as sink,
    ):
        for record in source:
            sink.write(record)
    pysam.bcftools.index(str(bcf))
    capfd.readouterr()
    indexed = annotate(bcf, tmp_path / "indexed.json", "LUAD", "--index")
    assert "[E::" not in capfd.readouterr().err
    assert indexed["summary"]["regions_only"] is True
    assert comparable(indexed) == comparable(
        annotate(bcf, tmp_path / "full.json", "LUAD", "--no-index")
    )


@pytest.mark.parametrize("damage", [b"garbage", None], ids=["not-an-index", "zeroed-bytes"])
def test_an_unreadable_index_is_a_clear_error(
    damage: bytes | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not a record's fault: the error names the index and the way around it, and no output
    file is left behind."""
    vcf = indexed_copy(ROOT / "test_data/demo.grch38.vep.vcf.gz", tmp_path)
    index = Path(f"{vcf}.tbi")
    if damage is None:
        broken = bytearray(index.read_bytes())
        broken[30:60] = bytes(30)
        index.write_bytes(bytes(broken))
    else:
        index.write_bytes(damage)
    out = tmp_path / "r.json"
    code = main(["annotate", str(vcf), "--tumor-type", "LUAD", "--out-json", str(out), "--index"])
    err = capsys.readouterr().err
    assert code != 0
    assert f"{vcf}: cannot read the index of the file ({index.name})" in err
    assert "--no-index" in err
    assert "record" not in err
    assert "Traceback" not in err
    assert not out.exists()


def test_small_files_are_read_whole_by_default(tmp_path: Path) -> None:
    result = annotate(ROOT / "test_data/demo.grch38.vep.vcf.gz", tmp_path / "r.json", "LUAD")
    assert "regions_only" not in result["summary"]
    assert result["summary"]["records"] == 21


@pytest.mark.parametrize(
    "options",
    [("--panel-size-mb", "30"), ("--explain",), ("--out-vcf", "{tmp}/out.vcf.gz")],
    ids=["tmb", "explain", "out-vcf"],
)
def test_indexed_path_not_taken_when_every_record_is_needed(
    options: tuple[str, ...], tmp_path: Path
) -> None:
    vcf = ROOT / "test_data/demo.grch38.vep.vcf.gz"
    filled = [option.replace("{tmp}", str(tmp_path)) for option in options]
    result = annotate(vcf, tmp_path / "r.json", "LUAD", "--index", *filled)
    assert "regions_only" not in result["summary"]
    assert result["summary"]["records"] == 21


def test_a_record_overlapping_two_regions_is_read_once(tmp_path: Path) -> None:
    text = tmp_path / "sv.vcf"
    text.write_text(
        "##fileformat=VCFv4.2\n"
        "##contig=<ID=chr1,length=100000>\n"
        '##INFO=<ID=END,Number=1,Type=Integer,Description="End">\n'
        '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr1\t100\tdel1\tA\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=1000\n"
        "chr1\t550\tsnv1\tC\tT\t.\tPASS\t.\n"
        "chr1\t5000\tsnv2\tG\tA\t.\tPASS\t.\n"
    )
    vcf = tmp_path / "sv.vcf.gz"
    pysam.tabix_compress(str(text), str(vcf))
    pysam.tabix_index(str(vcf), preset="vcf")
    with VcfReader(vcf) as reader:
        assert reader.index_path() == Path(f"{vcf}.tbi")
        reader.restrict_to({"1": [(150, 200), (500, 600)]})
        read = [variant.variant_id for variant in reader]
        assert reader.records_read == 2
    assert read == ["del1", "snv1"]


def test_rule_regions_cover_gene_spans_and_alleles() -> None:
    rules = load_rules((), bundled=True)
    regions = rule_regions(rules.genes, "GRCh38", [("chrX", 5, "AC", "A")], padding=0)
    assert regions["X"][0] == (5, 6)
    egfr = rules.genes["EGFR"].spans["GRCh38"]  # type: ignore[index]
    assert any(start <= egfr.start and egfr.end <= end for start, end in regions["7"])
    for items in regions.values():
        assert items == merge_intervals(items)


@pytest.mark.parametrize(
    ("intervals", "merged"),
    [
        ([], []),
        ([(5, 9), (1, 3)], [(1, 3), (5, 9)]),
        ([(1, 5), (6, 9)], [(1, 9)]),  # adjacent
        ([(1, 10), (2, 3), (8, 12)], [(1, 12)]),
    ],
)
def test_merge_intervals(intervals: list[tuple[int, int]], merged: list[tuple[int, int]]) -> None:
    assert merge_intervals(intervals) == merged


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(enabled=True, stream=stream, delay=0) as progress:
        progress.update(1024)
    assert stream.getvalue() == ""


def test_progress_is_silent_when_disabled() -> None:
    stream = _Terminal()
    with Progress(enabled=False, stream=stream, delay=0) as progress:
        progress.update(1024)
    assert stream.getvalue() == ""


def test_progress_line_shows_records_rate_share_and_eta() -> None:
    stream = _Terminal()
    with Progress(enabled=True, stream=stream, delay=0, position=lambda: (250, 1000)) as progress:
        assert progress.line(1000, 2.0) == "reading: 1,000 records, 500/s, 25% of 1.0 kB, ETA 6s"
        progress.update(1024)
        assert "1,024 records" in stream.getvalue()
    assert stream.getvalue().endswith("\r\x1b[K")  # erased at the end


def test_file_offset_follows_the_open_file(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 100)
    position = file_offset(path)
    with path.open("rb", buffering=0) as handle:
        handle.read(40)
        found = position()
    if found is not None:  # /proc/self/fdinfo: Linux only
        assert found == (40, 100)


def test_quiet_is_accepted(tmp_path: Path) -> None:
    result = annotate(
        ROOT / "test_data/demo.grch38.vep.vcf.gz", tmp_path / "r.json", "LUAD", "--quiet"
    )
    assert result["findings"]


# --- The text prefilter (unindexed VCF/VCF.gz): only candidate records are parsed ------------


PREFILTER_CASES = [
    *CASES,
    ("test_data/luad.grch38.snpeff.vcf", "NSCLC"),
    ("test_data/crc.grch38.bcsq.vcf", "COAD"),
]


@pytest.mark.parametrize(
    ("source", "tumor_type"), PREFILTER_CASES, ids=[c[0] for c in PREFILTER_CASES]
)
@pytest.mark.parametrize(
    "options",
    [{}, {"include_filtered": True}, {"explain": True}, {"panel_size_mb": 30.0}],
    ids=["plain", "filtered", "explain", "tmb"],
)
def test_prefilter_gives_the_results_of_the_full_pass(
    source: str, tumor_type: str, options: dict[str, Any]
) -> None:
    path = ROOT / source
    # Identical JSON, the summary's counts of every record included (or the same error: TMB
    # of a file without consequence annotation).
    assert outcome(path, tumor_type, prefilter=True, **options) == outcome(
        path, tumor_type, use_index=False, **options
    )


# TMB away from the rule genes: each annotation's own spelling of a consequence, one record each
# on chr12 far from KRAS. Which of them TMB counts is spelled out here, not taken from the code:
# coding non-synonymous consequences (bcftools csq names its own: missense, frameshift,
# inframe_altering, ...).
TMB_SPELLINGS = {
    "BCSQ": {
        "missense": True,
        "frameshift": True,
        "stop_gained": True,
        "stop_lost": True,
        "start_lost": True,
        "inframe_deletion": True,
        "inframe_insertion": True,
        "inframe_altering": True,
        "*missense": True,  # downstream of a stop on the same haplotype: still counted
        "synonymous": False,
        "intron": False,
        "splice_region": False,
    },
    "CSQ": {
        "missense_variant": True,
        "frameshift_variant": True,
        "stop_gained": True,
        "protein_altering_variant": True,
        "splice_region_variant&intron_variant": False,
        "synonymous_variant": False,
    },
    "ANN": {
        "missense_variant": True,
        "disruptive_inframe_deletion": True,
        "conservative_inframe_insertion": True,
        "synonymous_variant": False,
        "intron_variant": False,
    },
}


TMB_INFO_LINES = {
    "BCSQ": '##INFO=<ID=BCSQ,Number=.,Type=String,Description="Haplotype-aware consequence '
    "annotation from BCFtools/csq. Format: Consequence|gene|transcript|biotype|strand|"
    'amino_acid_change|dna_change">',
    "CSQ": '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
    'Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature">',
    "ANN": '##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: '
    "'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | "
    "Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | "
    "CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">",
}


def _tmb_entry(key: str, term: str, gene: str, pos: int) -> str:
    if key == "BCSQ":
        return f"{term}|{gene}|ENST00000000001|protein_coding|+|10Q>10K|{pos}A>G"
    if key == "CSQ":
        return f"G|{term}|MODERATE|{gene}|ENST00000000001"
    fields = [gene, "transcript", "ENST00000000001", "protein_coding", "2/5", "c.1A>G"]
    return f"G|{term}|MODERATE|{gene}|" + "|".join(fields) + "||||||"


@pytest.mark.parametrize("key", sorted(TMB_SPELLINGS))
def test_prefilter_tmb_counts_every_spelling_outside_the_rule_genes(
    key: str, tmp_path: Path
) -> None:
    spellings = TMB_SPELLINGS[key]
    records = [
        f"chr12\t{pos}\t.\tA\tG\t.\tPASS\t{key}={_tmb_entry(key, term, f'GENE{pos}', pos)}"
        "\tGT:AD\t0/1:20,10"
        for pos, term in zip(range(1000, 1000 * (len(spellings) + 1), 1000), spellings, strict=True)
    ]
    path = write_vcf(tmp_path, vcf_text(records, info_lines=[TMB_INFO_LINES[key]]), "vcf.gz")
    expected = sum(spellings.values())
    for options in ({"prefilter": True}, {"use_index": False}):
        tmb = run_json(path, "LUAD", panel_size_mb=1.0, **options)["biomarkers"]["tmb"]
        assert tmb["mutations"] == expected, options


def outcome(path: Path, tumor_type: str, **options: Any) -> dict[str, Any] | str:
    try:
        return run_json(path, tumor_type, **options)
    except InputError as error:
        return str(error)


def test_prefilter_on_a_generated_file(generated: Path, tmp_path: Path) -> None:
    unindexed = tmp_path / generated.name
    shutil.copy(generated, unindexed)  # no .tbi beside it: the prefilter, by default (> 1 MB)
    prefiltered = run_json(unindexed, "LUAD")
    assert prefiltered["summary"]["records"] == 50000
    assert "regions_only" not in prefiltered["summary"]
    assert prefiltered == run_json(unindexed, "LUAD", use_index=False)
    with_tmb = run_json(unindexed, "LUAD", panel_size_mb=30.0)
    assert with_tmb["biomarkers"]["tmb"]
    assert with_tmb == run_json(unindexed, "LUAD", panel_size_mb=30.0, use_index=False)


def test_prefilter_reads_lines_across_chunks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = ROOT / "test_data/luad.grch37.vep.vcf"
    unterminated = tmp_path / "luad.vcf"
    unterminated.write_bytes(
        source.read_bytes().rstrip(b"\n") + b"\n\n" + source.read_bytes().splitlines()[-1]
    )
    expected = run_json(unterminated, "LUAD", use_index=False)
    monkeypatch.setattr(prefilter, "_CHUNK", 7)
    assert run_json(unterminated, "LUAD", prefilter=True) == expected


def test_prefilter_keeps_the_record_numbers_of_the_annotated_vcf(tmp_path: Path) -> None:
    source = ROOT / "test_data/demo.grch38.vep.vcf.gz"
    written = {}
    for name, options in (("prefilter", {"prefilter": True}), ("full", {"use_index": False})):
        out = tmp_path / f"{name}.vcf"
        run(AnnotateConfig(input=source, tumor_type="LUAD", out_vcf=out, **options))
        written[name] = [line for line in out.read_text().splitlines() if not line.startswith("##")]
    assert written["prefilter"] == written["full"]
    tagged = [line for line in written["full"][1:] if f"{INFO_TAGS[0].id}=" in line]
    assert tagged  # findings were written onto their records


def test_prefilter_reports_a_malformed_record_as_the_full_pass_does(tmp_path: Path) -> None:
    lines = (ROOT / "test_data/luad.grch37.vep.vcf").read_text().splitlines()
    data = [index for index, line in enumerate(lines) if not line.startswith("#")]
    broken = lines[data[3]].split("\t")
    broken[1] = "12x"
    lines[data[3]] = "\t".join(broken)
    path = tmp_path / "bad.vcf"
    path.write_text("\n".join(lines) + "\n")
    messages = []
    for options in ({"prefilter": True}, {"use_index": False}):
        with pytest.raises(InputError) as caught:
            run_json(path, "LUAD", **options)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "record 4" in messages[0]


def test_scan_counts_skipped_records_from_their_columns(tmp_path: Path) -> None:
    path = tmp_path / "few.vcf"
    path.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr1\t10\t.\tA\tC,G\t.\tPASS\t.\n"  # skipped, 2 alleles, passed
        "chr1\t20\t.\tA\t.\t.\t.\t.\n"  # skipped, no allele
        "\n"  # an empty line: no record
        "chr1\t30\t.\tA\tT\t.\tq10\t.\n"  # skipped, filtered
        "chr1\t95\t.\tACGTAC\tA\t.\tPASS\t.\n"  # REF reaches the region: candidate
        "chr2\t40\t.\tN\t<DEL>\t.\tPASS\tEND=90\n"  # symbolic: candidate
        "chr1\t101\t.\tA\tT\t.\tPASS\t.\n"  # after the region
    )
    picked = io.BytesIO()
    scan = scan_vcf_text(path, {"1": [(100, 200)]}, picked)
    assert scan.records == 6
    assert list(scan.candidates) == [4, 5, 6]
    assert scan.skipped_alleles == 3
    assert scan.skipped_passed_alleles == 2
    assert scan.skipped_filtered == 1
    assert picked.getvalue().count(b"\n") == 2 + 3


# --- A record further from a gene than 5 kb that VEP annotated with a larger --distance ------

# EGFR's GRCh38 span starts at 7:55,019,017 (gene table): this record is 15 kb upstream.
_UPSTREAM_CSQ = "|".join(
    [
        "A",
        "upstream_gene_variant",
        "MODIFIER",
        "EGFR",
        "ENSG00000146648",
        "Transcript",
        "ENST00000275493",
        "protein_coding",
        *[""] * 10,
        "1",
        "YES",
        "NM_005228.5",
        "ENSP00000275493",
    ]
)
_UPSTREAM_RECORD = (
    f"chr7\t55004017\t.\tG\tA\t.\tPASS\tCSQ={_UPSTREAM_CSQ}\tGT:AD:AF:DP\t"
    "0/0:50,0:0:50\t0/1:30,20:0.4:50"
)


def far_upstream_vcf(directory: Path, command_line: str | None) -> Path:
    """The demo VCF with a record 15 kb upstream of EGFR whose CSQ names EGFR, and the given
    ``##VEP-command-line`` header (none if None), bgzipped with a tabix index."""
    lines = gzip.decompress((ROOT / "test_data/demo.grch38.vep.vcf.gz").read_bytes())
    out: list[str] = []
    for line in lines.decode().splitlines():
        if line.startswith("#CHROM") and command_line is not None:
            out.append(f"##VEP-command-line='{command_line}'")
        if line.startswith("chr7\t55181378"):
            out.append(_UPSTREAM_RECORD)
        out.append(line)
    plain = directory / "far.vcf"
    plain.write_text("\n".join(out) + "\n")
    return indexed_copy(plain, directory)


@pytest.mark.parametrize(
    "command_line",
    [
        "vep --cache --offline --vcf --distance 20000 --symbol",
        "vep --cache --vcf --dist=1000,20000",
        "vep --cache --vcf --everything -distance 5000,16000",
    ],
)
def test_fast_paths_pad_genes_by_the_distance_vep_was_run_with(
    command_line: str, tmp_path: Path
) -> None:
    vcf = far_upstream_vcf(tmp_path, command_line)
    full = run_json(vcf, "LUAD", use_index=False)
    # An allele in EGFR (not protein-changing: not unclassified), one more than the demo's 6.
    assert full["summary"]["alleles_in_rule_genes"] == 7
    assert run_json(vcf, "LUAD", prefilter=True) == full
    indexed = run_json(vcf, "LUAD", use_index=True)
    assert indexed["summary"]["regions_only"] is True
    assert comparable(indexed) == comparable(full)


def test_progress_names_a_unit_other_than_bytes() -> None:
    progress = Progress(enabled=True, position=lambda: (10, 40), unit="regions", label="reading")
    assert progress.line(300, 1.0) == "reading: 300 records, 300/s, 25% of 40 regions, ETA 3s"
