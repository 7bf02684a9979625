#!/usr/bin/env python3
"""Regenerate the synthetic, annotated tumour VCFs under test_data/.

Run from the repository root:

    .venv/bin/python test_data/make_test_data.py

The patient is synthetic. Every coordinate, allele, HGVS c./p. string, exon
number and Ensembl/RefSeq identifier written below was taken from a public
source; the source of each value is listed in test_data/README.md. Fields that
could not be verified are left empty on purpose (for example VEP cDNA_position,
and the HGVS of EGFR T790M on the alternative transcript in GRCh38). Read
counts, allele fractions and header provenance lines (##VEP, ##SnpEff*,
##bcftools_csq*, ##reference paths) are synthetic.

Only pysam is needed. Output is deterministic: running the script twice gives
byte-identical files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pysam

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------
# Contigs (primary assembly). Lengths: see README "Contig lengths".
# --------------------------------------------------------------------------
GRCH38_LENGTHS: list[tuple[str, int]] = [
    ("1", 248956422),
    ("2", 242193529),
    ("3", 198295559),
    ("4", 190214555),
    ("5", 181538259),
    ("6", 170805979),
    ("7", 159345973),
    ("8", 145138636),
    ("9", 138394717),
    ("10", 133797422),
    ("11", 135086622),
    ("12", 133275309),
    ("13", 114364328),
    ("14", 107043718),
    ("15", 101991189),
    ("16", 90338345),
    ("17", 83257441),
    ("18", 80373285),
    ("19", 58617616),
    ("20", 64444167),
    ("21", 46709983),
    ("22", 50818468),
    ("X", 156040895),
    ("Y", 57227415),
    ("MT", 16569),
]
GRCH37_LENGTHS: list[tuple[str, int]] = [
    ("1", 249250621),
    ("2", 243199373),
    ("3", 198022430),
    ("4", 191154276),
    ("5", 180915260),
    ("6", 171115067),
    ("7", 159138663),
    ("8", 146364022),
    ("9", 141213431),
    ("10", 135534747),
    ("11", 135006516),
    ("12", 133851895),
    ("13", 115169878),
    ("14", 107349540),
    ("15", 102531392),
    ("16", 90354753),
    ("17", 81195210),
    ("18", 78077248),
    ("19", 59128983),
    ("20", 63025520),
    ("21", 48129895),
    ("22", 51304566),
    ("X", 155270560),
    ("Y", 59373566),
    ("MT", 16569),
]


def ucsc(name: str) -> str:
    """GRCh38 'chr' naming (hg38 style: MT -> chrM)."""
    return "chrM" if name == "MT" else f"chr{name}"


def contigs(build: str, chr_prefix: bool) -> list[tuple[str, int]]:
    table = GRCH38_LENGTHS if build == "GRCh38" else GRCH37_LENGTHS
    return [(ucsc(n) if chr_prefix else n, ln) for n, ln in table]


# --------------------------------------------------------------------------
# Header text
# --------------------------------------------------------------------------
CSQ_FIELDS = (
    "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|"
    "HGVSp|cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|Existing_variation|"
    "STRAND|CANONICAL|MANE_SELECT|ENSP"
)
CSQ_HEADER = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl '
    f'VEP. Format: {CSQ_FIELDS}">'
)
ANN_HEADER = (
    "##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | "
    "Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | "
    "Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / "
    "CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">"
)
BCSQ_HEADER = (
    '##INFO=<ID=BCSQ,Number=.,Type=String,Description="Haplotype-aware consequence annotation '
    "from BCFtools/csq, see http://samtools.github.io/bcftools/howtos/csq-calling.html for "
    'details. Format: Consequence|gene|transcript|biotype|strand|amino_acid_change|dna_change">'
)
FILTER_LINES = [
    '##FILTER=<ID=PASS,Description="All filters passed">',
    '##FILTER=<ID=multiallelic,Description="Site filtered because too many alt alleles pass '
    'tumor LOD">',
    '##FILTER=<ID=weak_evidence,Description="Mutation does not meet likelihood threshold">',
]
FORMAT_AD = (
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt '
    'alleles in the order listed">'
)
FORMAT_AF = (
    '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions of alternate alleles '
    'in the tumor">'
)
FORMAT_DP = (
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth (reads with '
    'MQ=255 or with bad mates are filtered)">'
)
FORMAT_GT = '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">'

REFERENCE = {
    ("GRCh38", True): "file:///references/GRCh38/GRCh38_no_alt_analysis_set.fasta",
    ("GRCh38", False): "file:///references/GRCh38/Homo_sapiens.GRCh38.dna.primary_assembly.fa",
    ("GRCh37", False): "file:///references/GRCh37/Homo_sapiens.GRCh37.75.dna.primary_assembly.fa",
}


# --------------------------------------------------------------------------
# Annotation builders
# --------------------------------------------------------------------------
def csq(
    allele: str,
    consequence: str,
    impact: str,
    symbol: str,
    gene: str,
    feature: str,
    *,
    exon: str = "",
    hgvsc: str = "",
    hgvsp: str = "",
    cds: str = "",
    prot: str = "",
    aa: str = "",
    codons: str = "",
    existing: str = "",
    strand: str = "",
    canonical: str = "",
    mane: str = "",
    ensp: str = "",
    biotype: str = "protein_coding",
) -> str:
    """One VEP CSQ entry in the CSQ_FIELDS order (cDNA_position and INTRON left empty)."""
    values = [
        allele,
        consequence,
        impact,
        symbol,
        gene,
        "Transcript",
        feature,
        biotype,
        exon,
        "",
        hgvsc,
        hgvsp,
        "",
        cds,
        prot,
        aa,
        codons,
        existing,
        strand,
        canonical,
        mane,
        ensp,
    ]
    assert len(values) == len(CSQ_FIELDS.split("|"))
    return "|".join(values)


EGFR = ("EGFR", "ENSG00000146648")
KRAS = ("KRAS", "ENSG00000133703")
BRCA2 = ("BRCA2", "ENSG00000139618")
PIK3CA = ("PIK3CA", "ENSG00000121879")


def egfr_l858r(build: str) -> list[str]:
    sym, gid = EGFR
    common = {"aa": "L/R", "codons": "cTg/cGg", "strand": "1"}
    if build == "GRCh38":
        return [
            csq(
                "G",
                "missense_variant",
                "MODERATE",
                sym,
                gid,
                "ENST00000275493",
                exon="21/28",
                hgvsc="ENST00000275493.7:c.2573T>G",
                hgvsp="ENSP00000275493.2:p.Leu858Arg",
                cds="2573",
                prot="858",
                canonical="YES",
                mane="NM_005228.5",
                ensp="ENSP00000275493",
                **common,
            ),
            csq(
                "G",
                "missense_variant",
                "MODERATE",
                sym,
                gid,
                "ENST00000455089",
                hgvsc="ENST00000455089.5:c.2438T>G",
                hgvsp="ENSP00000415559.1:p.Leu813Arg",
                cds="2438",
                prot="813",
                ensp="ENSP00000415559",
                **common,
            ),
        ]
    return [
        csq(
            "G",
            "missense_variant",
            "MODERATE",
            sym,
            gid,
            "ENST00000275493",
            exon="21/28",
            hgvsc="ENST00000275493.2:c.2573T>G",
            hgvsp="ENSP00000275493.2:p.Leu858Arg",
            cds="2573",
            prot="858",
            canonical="YES",
            ensp="ENSP00000275493",
            **common,
        ),
        csq(
            "G",
            "missense_variant",
            "MODERATE",
            sym,
            gid,
            "ENST00000455089",
            hgvsc="ENST00000455089.1:c.2438T>G",
            hgvsp="ENSP00000415559.1:p.Leu813Arg",
            cds="2438",
            prot="813",
            ensp="ENSP00000415559",
            **common,
        ),
    ]


def egfr_t790m(build: str) -> list[str]:
    sym, gid = EGFR
    common = {"aa": "T/M", "codons": "aCg/aTg", "strand": "1"}
    if build == "GRCh38":
        return [
            csq(
                "T",
                "missense_variant",
                "MODERATE",
                sym,
                gid,
                "ENST00000275493",
                exon="20/28",
                hgvsc="ENST00000275493.7:c.2369C>T",
                hgvsp="ENSP00000275493.2:p.Thr790Met",
                cds="2369",
                prot="790",
                canonical="YES",
                mane="NM_005228.5",
                ensp="ENSP00000275493",
                **common,
            ),
            # numbering on this transcript not verified for codon 790: no HGVS given
            csq(
                "T",
                "missense_variant",
                "MODERATE",
                sym,
                gid,
                "ENST00000455089",
                strand="1",
                ensp="ENSP00000415559",
            ),
        ]
    return [
        csq(
            "T",
            "missense_variant",
            "MODERATE",
            sym,
            gid,
            "ENST00000275493",
            exon="20/28",
            hgvsc="ENST00000275493.2:c.2369C>T",
            hgvsp="ENSP00000275493.2:p.Thr790Met",
            cds="2369",
            prot="790",
            canonical="YES",
            ensp="ENSP00000275493",
            **common,
        ),
        csq(
            "T",
            "missense_variant",
            "MODERATE",
            sym,
            gid,
            "ENST00000454757",
            hgvsc="ENST00000454757.2:c.2210C>T",
            hgvsp="ENSP00000395243.2:p.Thr737Met",
            cds="2210",
            prot="737",
            ensp="ENSP00000395243",
            **common,
        ),
    ]


def kras_entries(
    build: str,
    allele: str,
    hgvs_c: str,
    hgvs_p: str,
    cds: str,
    prot: str,
    aa: str,
    codons: str,
    exon_4b: str,
    exon_4a: str,
    existing: str = "",
) -> list[str]:
    """KRAS-4B (ENST00000311936, MANE) and KRAS-4A (ENST00000256078): same c./p. numbering."""
    sym, gid = KRAS
    common = {
        "aa": aa,
        "codons": codons,
        "strand": "-1",
        "cds": cds,
        "prot": prot,
        "existing": existing,
    }
    if build == "GRCh38":
        return [
            csq(
                allele,
                "missense_variant",
                "MODERATE",
                sym,
                gid,
                "ENST00000311936",
                exon=exon_4b,
                hgvsc=f"ENST00000311936.8:{hgvs_c}",
                hgvsp=f"ENSP00000308495.3:{hgvs_p}",
                canonical="YES",
                mane="NM_004985.5",
                ensp="ENSP00000308495",
                **common,
            ),
            csq(
                allele,
                "missense_variant",
                "MODERATE",
                sym,
                gid,
                "ENST00000256078",
                hgvsc=f"ENST00000256078.9:{hgvs_c}",
                hgvsp=f"ENSP00000256078.4:{hgvs_p}",
                ensp="ENSP00000256078",
                **common,
            ),
        ]
    # GRCh37 / Ensembl 75: the Ensembl canonical transcript was KRAS-4A (ENST00000256078)
    return [
        csq(
            allele,
            "missense_variant",
            "MODERATE",
            sym,
            gid,
            "ENST00000256078",
            exon=exon_4a,
            hgvsc=f"ENST00000256078.4:{hgvs_c}",
            hgvsp=f"ENSP00000256078.4:{hgvs_p}",
            canonical="YES",
            ensp="ENSP00000256078",
            **common,
        ),
        csq(
            allele,
            "missense_variant",
            "MODERATE",
            sym,
            gid,
            "ENST00000311936",
            exon=exon_4b,
            hgvsc=f"ENST00000311936.3:{hgvs_c}",
            hgvsp=f"ENSP00000308495.3:{hgvs_p}",
            ensp="ENSP00000308495",
            **common,
        ),
    ]


def kras_g12d(build: str) -> list[str]:
    return kras_entries(
        build,
        "T",
        "c.35G>A",
        "p.Gly12Asp",
        "35",
        "12",
        "G/D",
        "gGt/gAt",
        "2/5",
        "2/6",
        existing="rs121913529",
    )


def kras_q61h_multi(build: str) -> list[str]:
    # Two ALT alleles at one site (T>G = c.183A>C, T>A = c.183A>T); VEP lists both alleles.
    return kras_entries(
        build, "G", "c.183A>C", "p.Gln61His", "183", "61", "Q/H", "caA/caC", "3/5", "3/6"
    ) + kras_entries(
        build, "A", "c.183A>T", "p.Gln61His", "183", "61", "Q/H", "caA/caT", "3/5", "3/6"
    )


def brca2_5946del(build: str) -> list[str]:
    sym, gid = BRCA2
    kw = {
        "cds": "5946",
        "prot": "1982",
        "aa": "S/X",
        "codons": "agT/ag",
        "strand": "1",
        "existing": "rs80359550",
    }
    if build == "GRCh38":
        return [
            csq(
                "-",
                "frameshift_variant",
                "HIGH",
                sym,
                gid,
                "ENST00000380152",
                exon="11/27",
                hgvsc="ENST00000380152.8:c.5946del",
                hgvsp="ENSP00000369497.3:p.Ser1982ArgfsTer22",
                canonical="YES",
                mane="NM_000059.4",
                ensp="ENSP00000369497",
                **kw,
            ),
            csq(
                "-",
                "frameshift_variant",
                "HIGH",
                sym,
                gid,
                "ENST00000544455",
                hgvsc="ENST00000544455.6:c.5946del",
                hgvsp="ENSP00000439902.1:p.Ser1982ArgfsTer22",
                ensp="ENSP00000439902",
                **kw,
            ),
        ]
    return [
        csq(
            "-",
            "frameshift_variant",
            "HIGH",
            sym,
            gid,
            "ENST00000544455",
            exon="11/28",
            hgvsc="ENST00000544455.1:c.5946del",
            hgvsp="ENSP00000439902.1:p.Ser1982ArgfsTer22",
            canonical="YES",
            ensp="ENSP00000439902",
            **kw,
        ),
        csq(
            "-",
            "frameshift_variant",
            "HIGH",
            sym,
            gid,
            "ENST00000380152",
            exon="11/27",
            hgvsc="ENST00000380152.3:c.5946del",
            hgvsp="ENSP00000369497.3:p.Ser1982ArgfsTer22",
            ensp="ENSP00000369497",
            **kw,
        ),
    ]


def pik3ca_h1047r(build: str) -> list[str]:
    sym, gid = PIK3CA
    version = "4" if build == "GRCh38" else "3"
    return [
        csq(
            "G",
            "missense_variant",
            "MODERATE",
            sym,
            gid,
            "ENST00000263967",
            exon="21/21",
            hgvsc=f"ENST00000263967.{version}:c.3140A>G",
            hgvsp="ENSP00000263967.3:p.His1047Arg",
            cds="3140",
            prot="1047",
            aa="H/R",
            codons="cAt/cGt",
            strand="1",
            canonical="YES",
            mane="NM_006218.4" if build == "GRCh38" else "",
            ensp="ENSP00000263967",
        ),
    ]


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------
@dataclass
class Rec:
    chrom: str  # no 'chr'
    pos: int
    ref: str
    alts: list[str]
    tumor_ad: list[int]
    normal_ad: list[int]
    tumor_dp: int | None = None
    normal_dp: int | None = None
    filt: str = "PASS"
    info: dict[str, str] = field(default_factory=dict)


def af_str(ad: Sequence[int], dp: int) -> str:
    total = sum(ad) or dp
    return ",".join(f"{a / total:.3f}".rstrip("0").rstrip(".") if a else "0" for a in ad[1:])


def gt_str(ad: Sequence[int], tumor: bool) -> str:
    if not tumor:
        return "0/0"
    n_alt = len(ad) - 1
    return "0/" + "/".join(str(i) for i in range(1, n_alt + 1))


def sample_str(ad: Sequence[int], dp: int | None, tumor: bool, fmt: str) -> str:
    depth = dp if dp is not None else sum(ad)
    values = {
        "GT": gt_str(ad, tumor),
        "AD": ",".join(map(str, ad)),
        "AF": af_str(ad, depth),
        "DP": str(depth),
    }
    return ":".join(values[k] for k in fmt.split(":"))


def record_line(rec: Rec, chrom_name: str, samples: Sequence[str], fmt: str) -> str:
    info = ";".join(f"{k}={v}" for k, v in rec.info.items()) or "."
    cols = [chrom_name, str(rec.pos), ".", rec.ref, ",".join(rec.alts), ".", rec.filt, info]
    if samples:
        cols.append(fmt)
        for s in samples:
            if s == "NORMAL":
                cols.append(sample_str(rec.normal_ad, rec.normal_dp, False, fmt))
            else:
                cols.append(sample_str(rec.tumor_ad, rec.tumor_dp, True, fmt))
    return "\t".join(cols)


# Background somatic SNVs: chromosome, GRCh38 pos, GRCh37 pos, REF, ALT, tumour DP,
# tumour AD, normal DP -- from sigven/pcgr examples/T001-COAD.grch38.vcf.gz and
# T001-COAD.grch37.vcf.gz (MIT), same call matched in both builds. Sites within
# 50 kb of any gene in gene_spans.tsv were excluded. No consequence was verified
# for these sites, so they carry no CSQ (see README).
BACKGROUND: list[tuple[str, int, int, str, str, int, str, int]] = [
    ("1", 1042010, 977390, "G", "A", 29, "21,8", 26),
    ("2", 1638843, 1642615, "C", "G", 53, "38,15", 73),
    ("3", 1148042, 1189726, "C", "T", 53, "37,16", 112),
    ("4", 1002083, 995871, "C", "T", 22, "11,10", 29),
    ("5", 491996, 492111, "C", "T", 44, "34,10", 126),
    ("6", 3849880, 3850114, "G", "A", 16, "7,9", 72),
    ("8", 3223750, 3081272, "A", "G", 68, "53,15", 167),
    ("9", 738355, 738355, "T", "C", 51, "34,17", 109),
    ("10", 3779468, 3821660, "G", "A", 33, "18,15", 50),
    ("11", 212728, 212728, "C", "T", 32, "24,8", 65),
    ("13", 19177321, 19751461, "C", "T", 89, "52,35", 206),
    ("14", 20311532, 20779691, "C", "T", 47, "34,13", 84),
    ("15", 21410914, 22053759, "C", "A", 130, "65,65", 229),
    ("16", 166029, 216028, "C", "T", 21, "9,12", 31),
    ("18", 2945676, 2945674, "G", "A", 40, "28,12", 97),
]


def background(build: str) -> list[Rec]:
    out = []
    for chrom, p38, p37, ref, alt, tdp, tad, ndp in BACKGROUND:
        out.append(
            Rec(
                chrom,
                p38 if build == "GRCh38" else p37,
                ref,
                [alt],
                tumor_ad=[int(x) for x in tad.split(",")],
                normal_ad=[ndp, 0],
                tumor_dp=tdp,
                normal_dp=ndp,
            )
        )
    return out


def luad_records(build: str) -> list[Rec]:
    """LUAD demo patient (files 1 and 2). Coordinates from hotspots.tsv."""
    g38 = build == "GRCh38"
    recs = [
        # EGFR L858R, VAF ~0.41
        Rec(
            "7",
            55191822 if g38 else 55259515,
            "T",
            ["G"],
            [243, 169],
            [301, 0],
            info={"CSQ": ",".join(egfr_l858r(build))},
        ),
        # EGFR T790M, VAF ~0.12
        Rec(
            "7",
            55181378 if g38 else 55249071,
            "C",
            ["T"],
            [341, 47],
            [276, 0],
            info={"CSQ": ",".join(egfr_t790m(build))},
        ),
        # KRAS G12D at low VAF (~0.05)
        Rec(
            "12",
            25245350 if g38 else 25398284,
            "C",
            ["T"],
            [494, 26],
            [388, 0],
            info={"CSQ": ",".join(kras_g12d(build))},
        ),
        # KRAS Q61H, two ALT alleles at one site (c.183A>C and c.183A>T)
        Rec(
            "12",
            25227341 if g38 else 25380275,
            "T",
            ["G", "A"],
            [402, 30, 18],
            [350, 0, 0],
            info={"CSQ": ",".join(kras_q61h_multi(build))},
        ),
        # BRCA2 c.5946del p.Ser1982ArgfsTer22
        Rec(
            "13",
            32340300 if g38 else 32914437,
            "GT",
            ["G"],
            [157, 144],
            [240, 0],
            info={"CSQ": ",".join(brca2_5946del(build))},
        ),
        # PIK3CA H1047R, FILTER weak_evidence
        Rec(
            "3",
            179234297 if g38 else 178952085,
            "A",
            ["G"],
            [91, 4],
            [88, 0],
            filt="weak_evidence",
            info={"CSQ": ",".join(pik3ca_h1047r(build))},
        ),
    ]
    return recs + background(build)


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------
def header_lines(
    build: str,
    chr_prefix: bool,
    extra: Iterable[str],
    fmt: str,
    samples: Sequence[str],
    tumor_tag: bool,
    source: Sequence[str],
) -> list[str]:
    lines = ["##fileformat=VCFv4.2", *FILTER_LINES]
    fmt_lines = {"AD": FORMAT_AD, "AF": FORMAT_AF, "DP": FORMAT_DP, "GT": FORMAT_GT}
    lines += [fmt_lines[k] for k in sorted(fmt.split(":"))]
    lines += list(extra)
    if tumor_tag and "NORMAL" in samples:
        lines.append("##normal_sample=NORMAL")
    lines += [f"##source={s}" for s in source]
    if tumor_tag:
        lines.append("##tumor_sample=TUMOR")
    lines += [f"##contig=<ID={n},length={ln}>" for n, ln in contigs(build, chr_prefix)]
    lines.append(f"##reference={REFERENCE[(build, chr_prefix)]}")
    cols = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
    if samples:
        cols += ["FORMAT", *samples]
    lines.append("\t".join(cols))
    return lines


def write_vcf(
    path: Path,
    build: str,
    chr_prefix: bool,
    recs: list[Rec],
    extra: Iterable[str],
    fmt: str = "GT:AD:AF:DP",
    samples: Sequence[str] = ("NORMAL", "TUMOR"),
    tumor_tag: bool = True,
    source: Sequence[str] = ("FilterMutectCalls", "Mutect2"),
) -> None:
    order = {n: i for i, (n, _) in enumerate(contigs(build, False))}
    recs = sorted(recs, key=lambda r: (order[r.chrom], r.pos))
    lines = header_lines(build, chr_prefix, extra, fmt, samples, tumor_tag, source)
    for r in recs:
        name = ucsc(r.chrom) if chr_prefix else r.chrom
        lines.append(record_line(r, name, samples, fmt))
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def bgzip_and_index(plain: Path, out_gz: Path, index: bool) -> None:
    pysam.tabix_compress(str(plain), str(out_gz), force=True)
    if index:
        pysam.tabix_index(str(out_gz), preset="vcf", force=True)


def write_bcf(src_vcf: Path, out_bcf: Path) -> None:
    with (
        pysam.VariantFile(str(src_vcf)) as vin,
        pysam.VariantFile(str(out_bcf), "wb", header=vin.header) as vout,
    ):
        for rec in vin:
            vout.write(rec)


def vep_meta(build: str) -> list[str]:
    assembly = "GRCh38.p14" if build == "GRCh38" else "GRCh37.p13"
    cache = "110_GRCh38" if build == "GRCh38" else "110_GRCh37"
    return [
        f'##VEP="v110" time="2024-01-15 09:00:00" cache="/opt/vep/.vep/homo_sapiens/{cache}" '
        f'assembly="{assembly}"',
        CSQ_HEADER,
    ]


def main() -> None:
    os.chdir(HERE)

    # 1. GRCh38 VEP demo, chr-prefixed, bgzipped + tabix
    tmp = HERE / "demo.grch38.vep.vcf"
    write_vcf(tmp, "GRCh38", True, luad_records("GRCh38"), vep_meta("GRCh38"))
    bgzip_and_index(tmp, HERE / "demo.grch38.vep.vcf.gz", index=True)
    tmp.unlink()

    # 2. GRCh37 VEP, no 'chr': .vcf, .vcf.gz, .bcf
    v37 = HERE / "luad.grch37.vep.vcf"
    write_vcf(v37, "GRCh37", False, luad_records("GRCh37"), vep_meta("GRCh37"))
    bgzip_and_index(v37, HERE / "luad.grch37.vep.vcf.gz", index=False)
    write_bcf(v37, HERE / "luad.grch37.vep.bcf")

    # 3. SnpEff ANN, GRCh38 (Ensembl naming, no 'chr'), NSCLC
    ann_del = (
        "A|disruptive_inframe_deletion|MODERATE|EGFR|ENSG00000146648|transcript|"
        "ENST00000275493.7|protein_coding|19/28|c.2235_2249del|p.Glu746_Ala750del||"
        "2235/3633|746/1210||"
    )
    ann_t790m = (
        "T|missense_variant|MODERATE|EGFR|ENSG00000146648|transcript|"
        "ENST00000275493.7|protein_coding|20/28|c.2369C>T|p.Thr790Met||"
        "2369/3633|790/1210||"
    )
    snpeff = [
        Rec("7", 55174771, "AGGAATTAAGAGAAGC", ["A"], [198, 131], [254, 0], info={"ANN": ann_del}),
        Rec("7", 55181378, "C", ["T"], [287, 33], [231, 0], info={"ANN": ann_t790m}),
    ]
    write_vcf(
        HERE / "luad.grch38.snpeff.vcf",
        "GRCh38",
        False,
        snpeff,
        [
            '##SnpEffVersion="5.2a (build 2023-10-24 14:24), by Pablo Cingolani"',
            '##SnpEffCmd="SnpEff  GRCh38.105 nsclc.filtered.vcf "',
            ANN_HEADER,
        ],
    )

    # 4. bcftools csq BCSQ, colorectal, tumour-only
    bcsq = [
        Rec(
            "1",
            114713909,
            "G",
            ["T"],
            [301, 97],
            [],
            info={"BCSQ": "missense|NRAS|ENST00000369535|protein_coding|-|61Q>61K|114713909G>T"},
        ),
        Rec(
            "7",
            140753336,
            "A",
            ["T"],
            [268, 72],
            [],
            info={"BCSQ": "missense|BRAF|ENST00000646891|protein_coding|-|600V>600E|140753336A>T"},
        ),
        Rec(
            "12",
            25245350,
            "C",
            ["T"],
            [255, 118],
            [],
            info={
                "BCSQ": "missense|KRAS|ENST00000311936|protein_coding|-|12G>12D|25245350C>T,"
                "missense|KRAS|ENST00000256078|protein_coding|-|12G>12D|25245350C>T"
            },
        ),
    ]
    write_vcf(
        HERE / "crc.grch38.bcsq.vcf",
        "GRCh38",
        True,
        bcsq,
        [
            "##bcftools_csqVersion=1.17+htslib-1.17",
            "##bcftools_csqCommand=csq -s - -f GRCh38_no_alt_analysis_set.fasta "
            "-g Homo_sapiens.GRCh38.110.chr.gff3.gz -Ov -o crc.grch38.bcsq.vcf "
            "crc.filtered.vcf.gz; "
            "Date=Mon Jan 15 09:00:00 2024",
            BCSQ_HEADER,
        ],
        fmt="GT:AD:DP",
        samples=("TUMOR",),
    )

    # 5. Tumour/normal VCF without ##tumor_sample / ##normal_sample
    l858r = [r for r in luad_records("GRCh38") if r.pos == 55191822]
    write_vcf(
        HERE / "tumor_normal_no_tag.vcf",
        "GRCh38",
        True,
        l858r,
        vep_meta("GRCh38"),
        tumor_tag=False,
        source=("Mutect2",),
    )


if __name__ == "__main__":
    main()
