"""Write the synthetic reference, gene models and variants of tests/data/csq (see README.md).

Run from the repository root: ``.venv/bin/python tests/data/csq/make_synthetic.py``. The output
is deterministic (fixed seed); re-running it rewrites the three files byte for byte.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).parent
CONTIG = "synth1"
LENGTH = 760
SEED = 20240611


def codons(text: str) -> list[str]:
    return text.split()


# GENE1, + strand: 5'UTR 51-60, CDS 61-151 (exon 1), intron 152-251, CDS 252-310 (exon 2),
# 3'UTR 311-340. The exon boundary splits codon 31 (1 base | 2 bases): exon 2 CDS phase 2.
# Codons 22-23 (ATG AGA) and 46-47 (TTG ACG) put a TGA in the -1 frame, so that the two
# frameshift deletions below meet a new stop after 2 and 1 new residues.
GENE1_CODONS = codons(
    "ATG TCC GAC AAC GCT CTC GGA ACC TAC CAG "  # 1-10: codon 5 GCT (A), codon 10 CAG (Q)
    "GAG ATC CCA AGC CTG GTC AAT GCA TGG CAT "  # 11-20: codon 15 CTG (L), codon 20 CAT (H)
    "GAA ATG AGA GAA TTC ACG GTT CCT AGA TTG "  # 21-30: codon 25 TTC (F)
    "GAC ATC CAA GGC GTG TCA ACA GAT CCG CGC "  # 31-40: codon 35 GTG (V), codon 40 CGC (R)
    "TAT GAG TTC AAA AAG TTG ACG TGT CAC TAA"  # 41-50: codons 44-45 AAA AAG, stop
)

# GENE2, - strand: 5'UTR 690-700, CDS 689-631 (exon 1), intron 630-531, CDS 530-467 (exon 2),
# 3'UTR 466-401. The exon boundary splits codon 20 (2 bases | 1 base): exon 2 CDS phase 1.
GENE2_CODONS = codons(
    "ATG CCA GTT GAT AAG TCG CTA GGT ACA TTC "  # 1-10: codon 4 GAT (D)
    "CAG TGG GAC AGA GTC CCT AAC ATC GCA TCG "  # 11-20: codon 12 TGG (W)
    "GAG CTC AAA GTG ACC TAC CGA ATG GCT TCT "  # 21-30: codon 30 TCT (S)
    "GAA CAG TTG AGC GTA CCC AAT GGC ATA CAC "  # 31-40
    "TGA"  # 41: stop
)

COMPLEMENT = str.maketrans("ACGT", "TGCA")


def reverse_complement(sequence: str) -> str:
    return sequence.translate(COMPLEMENT)[::-1]


def build_contig() -> str:
    rng = random.Random(SEED)
    bases = [rng.choice("ACGT") for _ in range(LENGTH)]

    def put(start: int, sequence: str) -> None:  # 1-based start, + strand
        bases[start - 1 : start - 1 + len(sequence)] = list(sequence)

    cds1 = "".join(GENE1_CODONS)
    assert len(cds1) == 150
    put(61, cds1[:91])  # exon 1 CDS 61-151
    put(152, "GT")  # intron 1 donor
    put(250, "AG")  # intron 1 acceptor
    put(252, cds1[91:])  # exon 2 CDS 252-310

    cds2 = "".join(GENE2_CODONS)
    assert len(cds2) == 123
    exon1 = cds2[:59]  # transcript order, minus strand
    exon2 = cds2[59:]
    put(631, reverse_complement(exon1))  # 631-689
    put(629, "AC")  # intron donor GT on the minus strand at 630-629
    put(531, "CT")  # intron acceptor AG on the minus strand at 532-531
    put(467, reverse_complement(exon2))  # 467-530
    return "".join(bases)


GFF = """\
##gff-version 3
##sequence-region   synth1 1 760
synth1\tsynthetic\tgene\t51\t340\t.\t+\t.\tID=gene:ENSG00000000001;Name=GENE1;biotype=protein_coding;gene_id=ENSG00000000001;version=1
synth1\tsynthetic\tmRNA\t51\t340\t.\t+\t.\tID=transcript:ENST00000000001;Parent=gene:ENSG00000000001;Name=GENE1-201;biotype=protein_coding;tag=basic;transcript_id=ENST00000000001;version=1
synth1\tsynthetic\tfive_prime_UTR\t51\t60\t.\t+\t.\tParent=transcript:ENST00000000001
synth1\tsynthetic\texon\t51\t151\t.\t+\t.\tParent=transcript:ENST00000000001;Name=ENSE00000000001;exon_id=ENSE00000000001;rank=1;version=1
synth1\tsynthetic\tCDS\t61\t151\t.\t+\t0\tID=CDS:ENSP00000000001;Parent=transcript:ENST00000000001;protein_id=ENSP00000000001
synth1\tsynthetic\texon\t252\t340\t.\t+\t.\tParent=transcript:ENST00000000001;Name=ENSE00000000002;exon_id=ENSE00000000002;rank=2;version=1
synth1\tsynthetic\tCDS\t252\t310\t.\t+\t2\tID=CDS:ENSP00000000001;Parent=transcript:ENST00000000001;protein_id=ENSP00000000001
synth1\tsynthetic\tthree_prime_UTR\t311\t340\t.\t+\t.\tParent=transcript:ENST00000000001
###
synth1\tsynthetic\tgene\t401\t700\t.\t-\t.\tID=gene:ENSG00000000002;Name=GENE2;biotype=protein_coding;gene_id=ENSG00000000002;version=1
synth1\tsynthetic\tmRNA\t401\t700\t.\t-\t.\tID=transcript:ENST00000000002;Parent=gene:ENSG00000000002;Name=GENE2-201;biotype=protein_coding;tag=basic;transcript_id=ENST00000000002;version=1
synth1\tsynthetic\tthree_prime_UTR\t401\t466\t.\t-\t.\tParent=transcript:ENST00000000002
synth1\tsynthetic\texon\t401\t530\t.\t-\t.\tParent=transcript:ENST00000000002;Name=ENSE00000000004;exon_id=ENSE00000000004;rank=2;version=1
synth1\tsynthetic\tCDS\t467\t530\t.\t-\t1\tID=CDS:ENSP00000000002;Parent=transcript:ENST00000000002;protein_id=ENSP00000000002
synth1\tsynthetic\texon\t631\t700\t.\t-\t.\tParent=transcript:ENST00000000002;Name=ENSE00000000003;exon_id=ENSE00000000003;rank=1;version=1
synth1\tsynthetic\tCDS\t631\t689\t.\t-\t0\tID=CDS:ENSP00000000002;Parent=transcript:ENST00000000002;protein_id=ENSP00000000002
synth1\tsynthetic\tfive_prime_UTR\t690\t700\t.\t-\t.\tParent=transcript:ENST00000000002
###
"""

# (POS, REF, ALT, TUMOR GT, what it is). REF is checked against the contig below.
VARIANTS = (
    (73, "G", "A", "0/1", "GENE1 c.13G>A codon 5 GCT>ACT missense A5T"),
    (88, "C", "T", "0/1", "GENE1 c.28C>T codon 10 CAG>TAG nonsense Q10*"),
    (105, "G", "A", "0/1", "GENE1 c.45G>A codon 15 CTG>CTA synonymous L15="),
    (117, "GC", "G", "0/1", "GENE1 c.58del codon 20 frameshift H20Mfs*3"),
    (132, "ATTC", "A", "0/1", "GENE1 c.73_75del codon 25 TTC in-frame deletion F25del"),
    (152, "G", "A", "0/1", "GENE1 c.91+1G>A splice donor"),
    (263, "G", "A", "0/1", "GENE1 c.103G>A codon 35 GTG>ATG missense V35M (exon 2)"),
    (278, "C", "T,G", "1/2", "GENE1 c.118C>T/G codon 40 CGC>TGC/GGC R40C, R40G"),
    (293, "AA", "A", "0/1", "GENE1 c.134del K45Sfs*2, written right-shifted; norm: 289 CA>C"),
    (502, "A", "G", "0/1", "GENE2 c.88T>C codon 30 TCT>CCT missense S30P (exon 2)"),
    (531, "C", "T", "0/1", "GENE2 c.60-1G>A splice acceptor"),
    (654, "C", "T", "0/1", "GENE2 c.36G>A codon 12 TGG>TGA nonsense W12*"),
    (680, "C", "G", "0/1", "GENE2 c.10G>C codon 4 GAT>CAT missense D4H"),
)

VCF_HEADER = f"""\
##fileformat=VCFv4.2
##contig=<ID={CONTIG},length={LENGTH}>
##reference=synthetic.fa
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\tNORMAL
"""


def build_vcf(contig: str) -> str:
    lines = [VCF_HEADER]
    for pos, ref, alt, genotype, _what in VARIANTS:
        assert contig[pos - 1 : pos - 1 + len(ref)] == ref, (pos, ref)
        alts = alt.split(",")
        tumor_ad = ",".join(["30", *(["10"] * len(alts))])
        normal_ad = ",".join(["40", *(["0"] * len(alts))])
        depth_tumor = 30 + 10 * len(alts)
        lines.append(
            f"{CONTIG}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT:AD:DP\t"
            f"{genotype}:{tumor_ad}:{depth_tumor}\t0/0:{normal_ad}:40\n"
        )
    return "".join(lines)


def render() -> dict[str, str]:
    """File name -> content of the three data files."""
    contig = build_contig()
    wrapped = "\n".join(contig[i : i + 60] for i in range(0, LENGTH, 60))
    return {
        "synthetic.fa": f">{CONTIG} synthetic sequence for tests\n{wrapped}\n",
        "synthetic.gff3": GFF,
        "variants.vcf": build_vcf(contig),
    }


def main() -> None:
    for name, text in render().items():
        (HERE / name).write_text(text)


if __name__ == "__main__":
    main()
