"""Write the bad-input corpus of ``tests/test_bad_inputs.py`` into this directory.

    .venv/bin/python tests/data/bad/make_bad.py

Every file comes from :func:`build_corpus` (no randomness, no clock), so a rerun gives the
same plain files byte for byte; the compressed ones hold the same bytes once decompressed
(their deflate stream depends on the zlib build). Each file is a small GRCh38 VCF with one
EGFR L858R record annotated by VEP, changed in exactly one way that the file name says; the
rules files are one rule each, wrong in one way. ``tests/test_bad_inputs.py`` documents what
the annotator should make of each file.

Needs only pysam (for BGZF and BAM). Research use only: the records are synthetic.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Callable
from pathlib import Path

import pysam

HERE = Path(__file__).resolve().parent

CSQ_FORMAT = (
    "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp"
)
CSQ_LINE = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
    f'Format: {CSQ_FORMAT}">'
)
#: GRCh38 lengths: chr7 and chr12 carry rule genes (EGFR, KRAS), chr17 TP53 (no rules).
CONTIGS = {"chr7": 159345973, "chr12": 133275309, "chr17": 83257441, "chrX": 156040895}
HEADER = (
    "##fileformat=VCFv4.2",
    '##FILTER=<ID=PASS,Description="All filters passed">',
    *(f"##contig=<ID={name},length={length}>" for name, length in CONTIGS.items()),
    CSQ_LINE,
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">',
    '##INFO=<ID=NOTE,Number=1,Type=String,Description="Free text">',
    '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
    '##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">',
    '##ALT=<ID=DEL,Description="Deletion">',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths of REF and ALTs">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
)
CHROM_LINE = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR"
L858R_CSQ = (
    "CSQ=G|missense_variant|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000275493|"
    "protein_coding|21/28||ENST00000275493.7:c.2573T>G|ENSP00000275493.2:p.Leu858Arg"
)
#: EGFR L858R, GRCh38: the record every case keeps unless the case is about it.
L858R = f"chr7\t55191822\t.\tT\tG\t.\tPASS\t{L858R_CSQ}\tGT:AD:DP\t0/1:243,169:412"
TP53_CSQ = (
    "CSQ=T|missense_variant|MODERATE|TP53|ENSG00000141510|Transcript|ENST00000269305|"
    "protein_coding|5/11||ENST00000269305.9:c.524G>A|ENSP00000269305.4:p.Arg175His"
)
#: TP53 R175H, GRCh38: a record in a gene no rule names.
TP53 = f"chr17\t7675088\t.\tC\tT\t.\tPASS\t{TP53_CSQ}\tGT:AD:DP\t0/1:80,60:140"
T790M_CSQ = (
    "CSQ=T|missense_variant|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000275493|"
    "protein_coding|20/28||ENST00000275493.7:c.2369C>T|ENSP00000275493.2:p.Thr790Met"
)
C797S_CSQ = (
    "CSQ=C|missense_variant|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000275493|"
    "protein_coding|20/28||ENST00000275493.7:c.2390G>C|ENSP00000275493.2:p.Cys797Ser"
)
#: EGFR T790M and C797S with unphased genotypes: only reads (--bam) can tell cis from trans.
T790M_C797S = (
    f"chr7\t55181378\t.\tC\tT\t.\tPASS\t{T790M_CSQ}\tGT:AD:DP\t0/1:300,100:400",
    f"chr7\t55181399\t.\tG\tC\t.\tPASS\t{C797S_CSQ}\tGT:AD:DP\t0/1:310,90:400",
)
#: The size of the INFO value of ``huge_info.vcf.gz``.
HUGE = 1024 * 1024


def vcf(
    records: tuple[str, ...] = (L858R,),
    *,
    header: tuple[str, ...] = HEADER,
    chrom_line: str | None = CHROM_LINE,
) -> str:
    lines = [*header, *([chrom_line] if chrom_line is not None else []), *records]
    return "\n".join(lines) + "\n"


def bgzf(text: bytes) -> bytes:
    """``text`` compressed with BGZF, as bgzip writes it (EOF block included)."""
    with tempfile.TemporaryDirectory() as directory:
        plain, packed = Path(directory, "in.vcf"), Path(directory, "in.vcf.gz")
        plain.write_bytes(text)
        pysam.tabix_compress(str(plain), str(packed), force=True)
        return packed.read_bytes()


def truncated_bgzip() -> bytes:
    """BGZF cut in the middle of its data: the EOF block and the block's end are gone."""
    records = tuple(
        f"chr12\t{25_000_000 + 37 * n}\t.\tA\tC\t.\tPASS\t.\tGT:AD:DP\t0/1:50,10:60"
        for n in range(400)
    )
    data = bgzf(vcf((L858R, *records)).encode())
    return data[: len(data) // 2]


def truncated_gzip() -> bytes:
    """Plain gzip (not BGZF), its last 40 bytes (end of the deflate stream, CRC) cut off."""
    records = tuple(
        f"chr12\t{25_000_000 + 37 * n}\t.\tA\tC\t.\tPASS\t.\tGT:AD:DP\t0/1:50,10:60"
        for n in range(400)
    )
    return gzip.compress(vcf((L858R, *records)).encode(), mtime=0)[:-40]


def binary() -> bytes:
    """Bytes 0-255 cycled: nothing like a VCF, not even gzip."""
    return bytes(range(256)) * 8


def huge_info() -> bytes:
    """A TP53 record whose INFO NOTE value is 1 MiB long, then L858R."""
    big = TP53.replace("\tPASS\tCSQ=", f"\tPASS\tNOTE={'A' * HUGE};CSQ=")
    return bgzf(vcf((big, L858R)).encode())


def bam_without_index() -> bytes:
    """A coordinate-sorted BAM with one read over L858R and no .bai beside it."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "reads.bam")
        header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr7", "LN": 159345973}]}
        with pysam.AlignmentFile(str(path), "wb", header=header) as bam:
            read = pysam.AlignedSegment(bam.header)
            read.query_name = "read1"
            read.reference_id = 0
            read.reference_start = 55191800
            read.query_sequence = "ACGT" * 10
            read.cigarstring = "40M"
            read.mapping_quality = 60
            read.query_qualities = pysam.qualitystring_to_array("I" * 40)
            bam.write(read)
        return path.read_bytes()


def text(content: str) -> Callable[[], bytes]:
    return content.encode


RULE = """\
rules:
  - id: EGFR-L858R-TEST-S
    gene: EGFR
    alteration:
      protein_changes: [L858R]
    tumor_types:
      include: [NSCLC]
    effect: sensitivity
    therapies: [osimertinib]
    evidence_level: A
    citations: [PMID:29151359]
    examples:
      - {alteration: EGFR p.L858R, tumor_type: LUAD}
"""

FILES: dict[str, Callable[[], bytes]] = {
    # unreadable or malformed VCF files
    "truncated.vcf.gz": truncated_bgzip,
    "truncated_gzip.vcf.gz": truncated_gzip,
    "binary.vcf": binary,
    "empty.vcf": lambda: b"",
    "no_chrom_line.vcf": text(vcf(chrom_line=None)),
    "too_few_columns.vcf": text(vcf((L858R, "chr7\t55191900\t.\tA"))),
    "non_numeric_pos.vcf": text(vcf((L858R, L858R.replace("55191822", "55l91900")))),
    "invalid_ref.vcf": text(vcf((L858R, TP53.replace("\tC\tT\t", "\tC!\tT\t")))),
    "invalid_alt.vcf": text(vcf((L858R, TP53.replace("\tC\tT\t", "\tC\tT?\t")))),
    "contig_not_in_header.vcf": text(vcf((L858R, TP53.replace("chr17", "chr3")))),
    "info_type_mismatch.vcf": text(vcf((L858R.replace("\tCSQ=", "\tDP=many;CSQ="),))),
    "format_type_mismatch.vcf": text(vcf((L858R.replace(":412", ":lots"),))),
    "csq_without_format.vcf": text(
        vcf(header=tuple(line.replace(f" Format: {CSQ_FORMAT}", "") for line in HEADER))
    ),
    "crlf.vcf": text(vcf().replace("\n", "\r\n")),
    "non_utf8_info.vcf": lambda: vcf((L858R.replace("\tCSQ=", "\tNOTE=caf\xe9;CSQ="),)).encode(
        "latin-1"
    ),
    "huge_info.vcf.gz": huge_info,
    "duplicate_samples.vcf": text(
        vcf(
            (L858R + "\t0/0:300,0:300",),
            chrom_line=CHROM_LINE + "\tTUMOR",
            header=(*HEADER, "##tumor_sample=TUMOR"),
        )
    ),
    "unknown_build.vcf": text(
        vcf(header=tuple(line.replace("159345973", "159000000") for line in HEADER))
    ),
    "reads_without_index.bam": bam_without_index,
    "egfr_t790m_c797s_unphased.vcf": text(vcf(T790M_C797S)),
    # valid VCF files with something unusual: these annotate
    "sites_only.vcf": text(
        vcf(
            (L858R.rsplit("\t", 2)[0],),
            chrom_line=CHROM_LINE.rsplit("\t", 2)[0],
            header=tuple(line for line in HEADER if not line.startswith("##FORMAT")),
        )
    ),
    "alt_dot.vcf": text(vcf(("chr12\t25245350\t.\tC\t.\t.\tPASS\t.\tGT:AD:DP\t0/0:80:80", L858R))),
    "symbolic_alleles.vcf": text(
        vcf(
            (
                "chr7\t55100000\t.\tA\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=55100500\tGT:AD:DP\t0/1:30,20:50",
                "chr7\t55191000\t.\tC\t<*>\t.\tPASS\t.\tGT:AD:DP\t0/0:50,0:50",
                L858R,
                "chr12\t25000000\tbnd1\tA\tA]chr17:7000000]\t.\tPASS\tSVTYPE=BND\tGT:AD:DP\t"
                "0/1:30,20:50",
                "chr12\t25000100\t.\tac\ta,*\t.\tPASS\t.\tGT:AD:DP\t1/2:10,20,20:50",
                "chr17\t7000100\t.\tG\t.G\t.\tPASS\tSVTYPE=BND\tGT:AD:DP\t0/1:30,20:50",
            )
        )
    ),
    "mixed_ploidy.vcf": text(
        vcf((L858R, "chrX\t1000000\t.\tG\tA\t.\tPASS\t.\tGT:AD:DP\t1:0,40:40"))
    ),
    # rules files, each wrong in one way
    "rules_syntax_error.yaml": text(RULE.replace("[L858R]", "[L858R")),
    "rules_wrong_type.yaml": text(RULE.replace("[osimertinib]", "osimertinib")),
    "rules_unknown_key.yaml": text(RULE.replace("    effect:", "    efect_typo: x\n    effect:")),
    "rules_duplicate_id.yaml": text(RULE + RULE.removeprefix("rules:\n")),
    "rules_missing_citation.yaml": text(RULE.replace("    citations: [PMID:29151359]\n", "")),
    "rules_control_character.yaml": text(
        RULE.replace("    examples:", "    notes: p1\fp2\n    examples:")
    ),
    "rules_not_utf8.yaml": lambda: RULE.replace(
        "    examples:", "    notes: café\n    examples:"
    ).encode("latin-1"),
    "rules_valid.yaml": text(RULE),
}


def build_corpus() -> dict[str, bytes]:
    """Every file of the corpus: name → content."""
    return {name: make() for name, make in FILES.items()}


def main() -> None:
    for name, content in build_corpus().items():
        (HERE / name).write_bytes(content)
        print(f"{name}: {len(content)} bytes")


if __name__ == "__main__":
    main()
