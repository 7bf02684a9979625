"""Build small VCF files for tests: header options + records -> text -> .vcf, .vcf.gz or .bcf.

    text = vcf_text(["chr7\\t140753336\\t.\\tA\\tT\\t.\\tPASS\\t.\\tGT:AD\\t0/1:60,40"])
    path = write_vcf(tmp_path, text, "vcf.gz")

Records are tab-separated strings or sequences of fields (joined with tabs). The header
declares the usual somatic-caller fields unless told otherwise; ``.vcf.gz`` is written with
BGZF (``pysam.tabix_compress``) and ``.bcf`` by htslib through ``pysam.VariantFile``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import pysam

Form = Literal["vcf", "vcf.gz", "bcf"]
FORMS: tuple[Form, ...] = ("vcf", "vcf.gz", "bcf")

#: GRCh38 lengths of the chromosomes the synthetic records use.
GRCH38_CONTIGS: Mapping[str, int] = {
    "chr7": 159345973,
    "chr12": 133275309,
    "chr17": 83257441,
}
#: GRCh38 lengths of every chromosome a bundled rule gene or hotspot lies on, in file order.
GRCH38_RULE_CONTIGS: Mapping[str, int] = {
    "chr1": 248956422,
    "chr3": 198295559,
    "chr7": 159345973,
    "chr9": 138394717,
    "chr10": 133797422,
    "chr12": 133275309,
    "chr13": 114364328,
    "chr15": 101991189,
    "chr17": 83257441,
    "chr18": 80373285,
    "chr19": 58617616,
    "chr22": 50818468,
}

FORMAT_LINES: tuple[str, ...] = (
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths of REF and ALTs">',
    '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions of alternate alleles">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">',
)
INFO_LINES: tuple[str, ...] = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
    'Format: Allele|Consequence|IMPACT|SYMBOL">',
    '##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: '
    "'Allele | Annotation | Annotation_Impact | Gene_Name'\">",
    '##INFO=<ID=BCSQ,Number=.,Type=String,Description="Local consequence annotation from '
    'BCFtools/csq. Format: Consequence|gene|transcript">',
    '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
    '##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">',
    '##INFO=<ID=MATEID,Number=.,Type=String,Description="ID of mate breakends">',
)
#: Phasing FORMAT fields as GATK declares them (PS by the VCF spec; PGT/PID GATK's own).
PHASE_FORMAT_LINES: tuple[str, ...] = (
    '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phasing set (typically the position of '
    'the first variant in the set)">',
    '##FORMAT=<ID=PGT,Number=1,Type=String,Description="Physical phasing haplotype information, '
    "describing how the alternate alleles are phased in relation to one another; will always be "
    'heterozygous and is not intended to describe called alleles">',
    '##FORMAT=<ID=PID,Number=1,Type=String,Description="Physical phasing ID information, where '
    "each unique ID within a given sample (but not across samples) connects records within a "
    'phasing group">',
)
FILTER_LINES: tuple[str, ...] = (
    '##FILTER=<ID=PASS,Description="All filters passed">',
    '##FILTER=<ID=weak_evidence,Description="Mutation does not meet likelihood threshold">',
    '##FILTER=<ID=germline,Description="Evidence indicates this site is germline, not somatic">',
)
ALT_LINES: tuple[str, ...] = ('##ALT=<ID=DEL,Description="Deletion">',)

_FIXED_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")


def vcf_text(
    records: Sequence[str | Sequence[object]] = (),
    *,
    samples: Sequence[str] = ("TUMOR",),
    contigs: Mapping[str, int] | None = GRCH38_CONTIGS,
    format_lines: Sequence[str] = FORMAT_LINES,
    info_lines: Sequence[str] = INFO_LINES,
    filter_lines: Sequence[str] = FILTER_LINES,
    extra_header: Sequence[str] = (),
    fileformat: str = "VCFv4.2",
) -> str:
    """The text of a VCF file. ``samples=()`` gives a sites-only file (no FORMAT column)."""
    lines = [f"##fileformat={fileformat}", *filter_lines]
    lines.extend(
        f"##contig=<ID={name},length={length}>" for name, length in (contigs or {}).items()
    )
    lines.extend(info_lines)
    lines.extend(ALT_LINES)
    if samples:
        lines.extend(format_lines)
    lines.extend(extra_header)
    columns = list(_FIXED_COLUMNS)
    if samples:
        columns.extend(["FORMAT", *samples])
    lines.append("\t".join(columns))
    for record in records:
        lines.append(record if isinstance(record, str) else "\t".join(str(f) for f in record))
    return "\n".join(lines) + "\n"


def write_vcf(directory: Path, text: str, form: Form = "vcf", name: str = "input") -> Path:
    """Write ``text`` as ``directory/name.<form>`` and return the path."""
    plain = directory / f"{name}.vcf"
    plain.write_text(text)
    if form == "vcf":
        return plain
    if form == "vcf.gz":
        compressed = directory / f"{name}.vcf.gz"
        pysam.tabix_compress(str(plain), str(compressed), force=True)
        plain.unlink()
        return compressed
    binary = directory / f"{name}.bcf"
    with (
        pysam.VariantFile(str(plain)) as source,
        pysam.VariantFile(str(binary), "wb", header=source.header) as sink,
    ):
        for record in source:
            sink.write(record)
    plain.unlink()
    return binary


#: The full annotation header lines of SnpEff (ANN, its 16 fields) and bcftools csq (BCSQ), as
#: the tools write them (field lists as in tests/test_consequence.py).
SNPEFF_ANN_LINE = (
    '##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: '
    "'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | "
    "Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | "
    "CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">"
)
BCFTOOLS_BCSQ_LINE = (
    '##INFO=<ID=BCSQ,Number=.,Type=String,Description="Haplotype-aware consequence annotation '
    "from BCFtools/csq, see http://samtools.github.io/bcftools/howtos/csq-calling.html for "
    'details. Format: Consequence|gene|transcript|biotype|strand|amino_acid_change|dna_change">'
)
