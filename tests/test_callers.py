"""Caller-specific VAF and depth: detection from the header, one table row per caller.

Each synthetic header copies the lines the caller itself writes; the comment above it names
where those lines were read (public repositories, as stored by the project's search tool).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.errors import UsageError
from annotator.models import Variant
from annotator.readers.vcf import VcfReader
from annotator.readers.vcf_header import CALLER_CHOICES, CALLERS
from tests.vcfgen import FORMS, Form, vcf_text, write_vcf

DATA = Path(__file__).parent / "data"

GT_LINE = '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">'

# GATK 4 Mutect2 (FORMAT lines as in lima1/PureCN issue #194, a Mutect2 tumor-only VCF;
# ##source/##tumor_sample as in Mutect2 mitochondrial VCFs stored from public repositories).
MUTECT2_FORMAT = (
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt '
    'alleles in the order listed">',
    '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions of alternate alleles in '
    'the tumor">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth (reads with '
    'MQ=255 or with bad mates are filtered)">',
    GT_LINE,
)
MUTECT2_HEADER = ("##source=Mutect2", "##tumor_sample=TUMOR", "##normal_sample=NORMAL")

# Strelka somatic SNVs: tests/data/vcf2maf.test_strelka.grch37.vcf (Strelka, 2012) has the same
# FORMAT lines as Strelka 2.9 (Illumina/strelka src/c++/lib/applications/strelka/
# strelka_streams.cpp); the VAF formula is the user guide's "Somatic variant allele
# frequencies" (Illumina/strelka docs/userGuide/README.md).
STRELKA_SNV_FORMAT = (
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth for tier1 (used+filtered)">',
    '##FORMAT=<ID=FDP,Number=1,Type=Integer,Description="Number of basecalls filtered from '
    'original read depth for tier1">',
    *(
        f"##FORMAT=<ID={base}U,Number=2,Type=Integer,Description=\"Number of '{base}' alleles "
        'used in tiers 1,2">'
        for base in "ACGT"
    ),
)
# Strelka 2 somatic indels: strelka_streams.cpp (same repository) writes these FORMAT lines.
STRELKA_INDEL_FORMAT = (
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth for tier1">',
    '##FORMAT=<ID=DP2,Number=1,Type=Integer,Description="Read depth for tier2">',
    '##FORMAT=<ID=TAR,Number=2,Type=Integer,Description="Reads strongly supporting alternate '
    'allele for tiers 1,2">',
    '##FORMAT=<ID=TIR,Number=2,Type=Integer,Description="Reads strongly supporting indel allele '
    'for tiers 1,2">',
    '##FORMAT=<ID=TOR,Number=2,Type=Integer,Description="Other reads (weak support or '
    'insufficient indel breakpoint overlap) for tiers 1,2">',
)
STRELKA_HEADER = ("##source=strelka", "##source_version=2.9.10")
STRELKA_INFO = ('##INFO=<ID=SOMATIC,Number=0,Type=Flag,Description="Somatic mutation">',)

# VarDict paired mode: AstraZeneca-NGS/VarDict var2vcf_paired.pl (v1.8.2) header; the record
# values are those of a VarDict line quoted in a public pipeline script (DP 195, VD 19, AF 0.0974).
VARDICT_FORMAT = (
    GT_LINE,
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Total Depth">',
    '##FORMAT=<ID=VD,Number=1,Type=Integer,Description="Variant Depth">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt '
    'alleles in the order listed">',
    '##FORMAT=<ID=ALD,Number=2,Type=Integer,Description="Variant forward, reverse reads">',
    '##FORMAT=<ID=RD,Number=2,Type=Integer,Description="Reference forward, reverse reads">',
    '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele Frequency">',
)
VARDICT_HEADER = ("##source=VarDict_v1.8.2",)

# FreeBayes: ##source and FORMAT lines as freebayes writes them (freeBayes v1.3.6 headers and
# the AO/RO/AD declarations stored from public repositories); INFO AF is its genotype-based
# estimate, not the sample's VAF.
FREEBAYES_FORMAT = (
    GT_LINE,
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read Depth">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Number of observation for each allele">',
    '##FORMAT=<ID=RO,Number=1,Type=Integer,Description="Reference allele observation count">',
    '##FORMAT=<ID=AO,Number=A,Type=Integer,Description="Alternate allele observation count">',
)
FREEBAYES_INFO = (
    '##INFO=<ID=AF,Number=A,Type=Float,Description="Estimated allele frequency in the range '
    '(0,1]">',
)
FREEBAYES_HEADER = ("##source=freeBayes v1.3.6", "##phasing=none")

# VarScan 2 somatic --output-vcf: header of a VarScan2 VCF shown in a public tutorial
# (HCC1395.varscan2.vcf.gz); the record is a VarScan somatic line quoted in a public script
# (NORMAL 0/0:.:41:41:0:0%:39,2,0,0, TUMOR 0/1:.:31:27:4:12.9%:25,2,3,1).
VARSCAN_FORMAT = (
    GT_LINE,
    '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype Quality">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read Depth">',
    '##FORMAT=<ID=RD,Number=1,Type=Integer,Description="Depth of reference-supporting bases '
    '(reads1)">',
    '##FORMAT=<ID=AD,Number=1,Type=Integer,Description="Depth of variant-supporting bases '
    '(reads2)">',
    '##FORMAT=<ID=FREQ,Number=1,Type=String,Description="Variant allele frequency">',
    '##FORMAT=<ID=DP4,Number=1,Type=String,Description="Strand read counts: ref/fwd, ref/rev, '
    'var/fwd, var/rev">',
)
VARSCAN_HEADER = ("##source=VarScan2",)
VARSCAN_INFO = (
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth of quality bases">',
    '##INFO=<ID=SOMATIC,Number=0,Type=Flag,Description="Indicates if record is a somatic '
    'mutation">',
)
VARSCAN_RECORD = (
    "chr7\t140753336\t.\tA\tT\t.\tPASS\tDP=72;SOMATIC\tGT:GQ:DP:RD:AD:FREQ:DP4"
    "\t0/0:.:41:41:0:0%:39,2,0,0\t0/1:.:31:27:4:12.9%:25,2,3,1"
)

# DeepVariant 1.1: FORMAT lines and values of a DeepVariant VCF stored from a public repository
# (0/1:43:243:120,123:0.506173:49,0,43).
DEEPVARIANT_FORMAT = (
    GT_LINE,
    '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Conditional genotype quality">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Read depth for each allele">',
    '##FORMAT=<ID=VAF,Number=A,Type=Float,Description="Variant allele fractions.">',
    '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled genotype likelihoods '
    'rounded to the closest integer">',
)
DEEPVARIANT_HEADER = ("##DeepVariant_version=1.1.0",)

# Octopus: ##octopus=<version,command,...> as luntergroup/octopus writes it (make_vcf_header);
# AD, ADP and AF (Number=R, "AD / ADP") as listed by its annotation docs
# (docs/guides/filtering/annotations); GT is always phased with PS (docs/guides/advanced/vcf).
OCTOPUS_FORMAT = (
    GT_LINE,
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Number of read overlapping the position">',
    '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Empirical allele depth">',
    '##FORMAT=<ID=ADP,Number=1,Type=Integer,Description="Number of reads overlapping the '
    'position that could be assigned to an allele">',
    '##FORMAT=<ID=AF,Number=R,Type=Float,Description="Empirical allele frequency (AD / ADP)">',
)
OCTOPUS_HEADER = (
    '##octopus=<version=0.7.4,command="octopus -R ref.fa -I tumor.bam --annotations AD ADP AF">',
)

# PCGR's single-sample convention: tests/data/pcgr.T001-COAD.grch38.vcf.gz.
PCGR_INFO = (
    '##INFO=<ID=TVAF,Number=.,Type=Float,Description="Allelic fraction of alternative allele in '
    'tumor">',
    '##INFO=<ID=TDP,Number=.,Type=Integer,Description="Read depth across variant site in tumor">',
)
SITES_INFO = (
    '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele Frequency">',
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="Total Depth">',
)


@pytest.fixture(params=FORMS)
def form(request: pytest.FixtureRequest) -> Form:
    form: Form = request.param
    return form


def read(
    tmp_path: Path,
    records: list[str],
    *,
    form: Form = "vcf",
    sample: str | None = "TUMOR",
    caller: str = "auto",
    samples: tuple[str, ...] = ("NORMAL", "TUMOR"),
    format_lines: tuple[str, ...] = (),
    info_lines: tuple[str, ...] = (),
    header: tuple[str, ...] = (),
) -> tuple[list[Variant], VcfReader]:
    text = vcf_text(
        records,
        samples=samples,
        format_lines=format_lines,
        info_lines=info_lines,
        extra_header=header,
    )
    path = write_vcf(tmp_path, text, form)
    with VcfReader(path, sample=sample if samples else None, caller=caller) as reader:
        return list(reader), reader


def evidence(variants: list[Variant]) -> list[tuple[float | None, int | None]]:
    return [(v.vaf, v.depth) for v in variants]


# One test per caller: its own fields decide, even where the generic ones would differ.


def test_mutect2_af_and_dp(tmp_path: Path, form: Form) -> None:
    # AF is Mutect2's model estimate, so it need not equal AD's ratio: AF must win.
    record = (
        "chr12\t25245350\t.\tC\tA,T\t.\tPASS\t.\tGT:AD:AF:DP"
        "\t0/0:50,0,0:0.01,0.01:50\t0/1/2:60,30,10:0.31,0.11:100"
    )
    variants, reader = read(
        tmp_path, [record], form=form, format_lines=MUTECT2_FORMAT, header=MUTECT2_HEADER
    )
    assert reader.caller == "mutect2"
    assert [v.vaf for v in variants] == [pytest.approx(0.31), pytest.approx(0.11)]
    assert [v.depth for v in variants] == [100, 100]


@pytest.mark.parametrize(
    "line",
    [
        "##source=Mutect2",
        "##source=FilterMutectCalls",
        "##MutectVersion=2.2",
        '##GATKCommandLine=<ID=Mutect2,CommandLine="Mutect2 --output t.vcf",Version="4.2.0.0">',
    ],
)
def test_mutect2_header_lines(tmp_path: Path, line: str) -> None:
    record = (
        "chr7\t140753336\t.\tA\tT\t.\tPASS\t.\tGT:AD:AF:DP\t0/0:40,0:0.02:40\t0/1:30,10:0.25:40"
    )
    _, reader = read(tmp_path, [record], format_lines=MUTECT2_FORMAT, header=(line,))
    assert reader.caller == "mutect2"


def test_strelka2_snv_tier1_counts(tmp_path: Path, form: Form) -> None:
    # REF C, ALT T: tier-1 TU / (TU + CU) = 10 / (10 + 30); tier-2 values differ on purpose.
    records = [
        "chr7\t100\t.\tC\tT\t.\tPASS\tSOMATIC\tDP:FDP:AU:CU:GU:TU"
        "\t40:0:0,0:40,41:0,0:0,0\t45:2:1,1:30,35:0,0:10,14",
        # Two ALTs: each against the REF count alone.
        "chr7\t200\t.\tG\tA,T\t.\tPASS\tSOMATIC\tDP:FDP:AU:CU:GU:TU"
        "\t40:0:0,0:0,0:40,40:0,0\t50:0:10,10:0,0:30,30:10,10",
        # REF N has no base count: no VAF, depth still read.
        "chr7\t300\t.\tN\tT\t.\tPASS\tSOMATIC\tDP:FDP:AU:CU:GU:TU"
        "\t40:0:0,0:0,0:0,0:0,0\t33:0:0,0:0,0:0,0:5,5",
    ]
    variants, reader = read(
        tmp_path,
        records,
        form=form,
        format_lines=STRELKA_SNV_FORMAT,
        info_lines=STRELKA_INFO,
        header=STRELKA_HEADER,
    )
    assert reader.caller == "strelka2"
    assert evidence(variants) == [(0.25, 45), (0.25, 50), (0.25, 50), (None, 33)]


def test_strelka2_indel_tier1_tir_tar(tmp_path: Path, form: Form) -> None:
    # TIR / (TIR + TAR) in tier 1: 57 / (57 + 19), as in the indel record of the real file.
    record = (
        "chr7\t100\t.\tCG\tC\t.\tPASS\tSOMATIC\tDP:DP2:TAR:TIR:TOR"
        "\t91:91:87,89:0,0:3,1\t89:89:19,19:57,58:12,11"
    )
    variants, reader = read(
        tmp_path,
        [record],
        form=form,
        format_lines=STRELKA_INDEL_FORMAT,
        info_lines=STRELKA_INFO,
        header=STRELKA_HEADER,
    )
    assert reader.caller == "strelka2"
    assert variants[0].vaf == pytest.approx(57 / 76)
    assert variants[0].depth == 89


def test_vardict_af_and_dp(tmp_path: Path, form: Form) -> None:
    record = (
        "chr7\t100\t.\tG\tT\t128\tPASS\t.\tGT:DP:VD:ALD:RD:AD:AF"
        "\t0/1:195:19:4,15:119,57:176,19:0.0974\t0/1:112:5:1,4:68,39:107,5:0.0446"
    )
    variants, reader = read(
        tmp_path,
        [record],
        form=form,
        samples=("TUMOR", "NORMAL"),
        format_lines=VARDICT_FORMAT,
        header=VARDICT_HEADER,
    )
    assert reader.caller == "vardict"
    assert variants[0].vaf == pytest.approx(0.0974)
    assert variants[0].depth == 195


def test_freebayes_ao_ro(tmp_path: Path, form: Form) -> None:
    records = [
        # AO / (RO + sum AO): 12 / 48 and 6 / 48; DP (50) counts reads of no allele too.
        "chr7\t100\t.\tA\tC,T\t.\t.\tAF=0.5,0.5\tGT:DP:AD:RO:AO\t0/1/2:50:30,12,6:30:12,6",
        # No DP: RO + sum AO.
        "chr7\t200\t.\tA\tC\t.\t.\tAF=0.5\tGT:DP:AD:RO:AO\t0/1:.:30,10:30:10",
    ]
    variants, reader = read(
        tmp_path,
        records,
        form=form,
        samples=("TUMOR",),
        format_lines=FREEBAYES_FORMAT,
        info_lines=FREEBAYES_INFO,
        header=FREEBAYES_HEADER,
    )
    assert reader.caller == "freebayes"
    assert evidence(variants) == [(0.25, 50), (0.125, 50), (0.25, 40)]


def test_varscan2_freq_percent(tmp_path: Path, form: Form) -> None:
    variants, reader = read(
        tmp_path,
        [VARSCAN_RECORD],
        form=form,
        format_lines=VARSCAN_FORMAT,
        info_lines=VARSCAN_INFO,
        header=VARSCAN_HEADER,
    )
    assert reader.caller == "varscan2"
    assert variants[0].vaf == pytest.approx(0.129)  # FREQ 12.9%, not AD/DP 4/31
    assert variants[0].depth == 31


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("12.9%", 0.129), ("0%", 0.0), ("100%", 1.0), (".", 0.2), ("n/a", 0.2), ("250%", 0.2)],
)
def test_varscan2_freq_missing_or_odd_falls_back_to_ad_rd(
    tmp_path: Path, freq: str, expected: float
) -> None:
    record = (
        f"chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT:GQ:DP:RD:AD:FREQ:DP4\t0/1:.:50:40:10:{freq}:20,20,5,5"
    )
    variants, _ = read(
        tmp_path,
        [record],
        samples=("TUMOR",),
        format_lines=VARSCAN_FORMAT,
        header=VARSCAN_HEADER,
    )
    assert variants[0].vaf == pytest.approx(expected)  # AD / (AD + RD) = 10 / 50
    assert variants[0].depth == 50


def test_varscan2_freq_rewritten_as_float_is_not_trusted(tmp_path: Path) -> None:
    # bcbio rewrites FREQ as a Float: 0.5 could be a fraction or a percent, so counts decide.
    format_lines = tuple(
        line.replace("ID=FREQ,Number=1,Type=String", "ID=FREQ,Number=1,Type=Float")
        for line in VARSCAN_FORMAT
    )
    record = "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT:DP:RD:AD:FREQ\t0/1:50:40:10:0.5"
    variants, _ = read(
        tmp_path, [record], samples=("TUMOR",), format_lines=format_lines, header=VARSCAN_HEADER
    )
    assert variants[0].vaf == pytest.approx(0.2)


def test_varscan2_one_alt_fields_on_two_alts(tmp_path: Path) -> None:
    record = "chr7\t100\t.\tA\tT,C\t.\tPASS\t.\tGT:DP:RD:AD:FREQ\t1/2:50:0:30:60%"
    variants, _ = read(
        tmp_path, [record], samples=("TUMOR",), format_lines=VARSCAN_FORMAT, header=VARSCAN_HEADER
    )
    assert evidence(variants) == [(None, 50), (None, 50)]


def test_deepvariant_vaf(tmp_path: Path, form: Form) -> None:
    record = (
        "chr7\t100\t.\tG\tA\t49.8\tPASS\t.\tGT:GQ:DP:AD:VAF:PL\t0/1:43:243:120,123:0.506173:49,0,43"
    )
    variants, reader = read(
        tmp_path,
        [record],
        form=form,
        samples=("HG002",),
        sample=None,
        format_lines=DEEPVARIANT_FORMAT,
        header=DEEPVARIANT_HEADER,
    )
    assert reader.caller == "deepvariant"
    assert variants[0].vaf == pytest.approx(0.506173)  # not AD's 123 / 243
    assert variants[0].depth == 243


def test_octopus_af_number_r_and_ad_adp(tmp_path: Path, form: Form) -> None:
    records = [
        # AF is Number=R: the REF's fraction comes first.
        "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT:DP:PS:AD:ADP:AF\t0|1:60:100:30,20:50:0.6,0.4",
        # No AF: AD / ADP (ADP counts reads assigned to some allele).
        "chr7\t200\t.\tA\tT,C\t.\tPASS\t.\tGT:DP:PS:AD:ADP\t1|2:60:100:10,20,10:50",
        # Octopus without --annotations: GT, DP and PS only.
        "chr7\t300\t.\tA\tT\t.\tPASS\t.\tGT:DP:PS\t1|0:70:100",
    ]
    variants, reader = read(
        tmp_path,
        records,
        form=form,
        samples=("TUMOR",),
        format_lines=OCTOPUS_FORMAT,
        header=OCTOPUS_HEADER,
    )
    assert reader.caller == "octopus"
    assert evidence(variants) == [(pytest.approx(0.4), 60), (0.4, 60), (0.2, 60), (None, 70)]
    assert [(v.phase_set, v.haplotype) for v in variants] == [
        ("100", 1),
        ("100", 0),
        ("100", 1),
        ("100", 0),
    ]


def test_info_tvaf_tdp(tmp_path: Path, form: Form) -> None:
    records = [
        "chr7\t100\t.\tA\tT\t.\tPASS\tTVAF=0.25;TDP=40\tGT\t0/1",
        "chr7\t200\t.\tA\tT,C\t.\tPASS\tTVAF=0.25,0.125;TDP=80\tGT\t1/2",
        "chr7\t300\t.\tA\tT\t.\tPASS\t.\tGT\t0/1",
    ]
    variants, reader = read(
        tmp_path,
        records,
        form=form,
        samples=("T001",),
        sample=None,
        format_lines=(GT_LINE,),
        info_lines=PCGR_INFO,
    )
    assert reader.caller == "info"
    assert evidence(variants) == [(0.25, 40), (0.25, 80), (0.125, 80), (None, None)]


def test_info_af_dp_of_a_sites_only_file(tmp_path: Path, form: Form) -> None:
    records = ["chr7\t100\t.\tA\tT\t.\tPASS\tAF=0.3;DP=90", "chr7\t200\t.\tA\tT\t.\tPASS\t."]
    variants, reader = read(
        tmp_path, records, form=form, samples=(), info_lines=SITES_INFO, caller="info"
    )
    assert reader.caller == "info"
    assert evidence(variants) == [(pytest.approx(0.3), 90), (None, None)]


def test_sites_only_info_af_is_not_a_vaf_unless_asked(tmp_path: Path) -> None:
    """Regression: a sites-only file's INFO AF may be a population frequency (gnomAD)."""
    records = ["chr7\t100\t.\tA\tT\t.\tPASS\tAF=0.3;DP=90"]
    variants, reader = read(tmp_path, records, samples=(), info_lines=SITES_INFO)
    assert reader.caller == "generic"
    assert evidence(variants) == [(None, None)]


def test_info_af_is_not_read_when_there_is_a_sample(tmp_path: Path) -> None:
    # With a sample column INFO AF may be anything (FreeBayes: genotype-based); FORMAT decides.
    record = "chr7\t100\t.\tA\tT\t.\tPASS\tAF=0.5;DP=90\tGT:AD:DP\t0/1:30,10:40"
    variants, reader = read(
        tmp_path,
        [record],
        samples=("TUMOR",),
        format_lines=MUTECT2_FORMAT,
        info_lines=SITES_INFO,
    )
    assert reader.caller == "generic"
    assert evidence(variants) == [(0.25, 40)]


# Choosing the caller.


def test_caller_argument_overrides_detection(tmp_path: Path) -> None:
    # A VarScan file read as 'generic': its AD is the ALT depth alone (Number=1), so no VAF.
    variants, reader = read(
        tmp_path,
        [VARSCAN_RECORD],
        caller="generic",
        format_lines=VARSCAN_FORMAT,
        header=VARSCAN_HEADER,
    )
    assert reader.caller == "generic"
    assert evidence(variants) == [(None, 31)]
    variants, reader = read(
        tmp_path, [VARSCAN_RECORD], caller="VarScan2", format_lines=VARSCAN_FORMAT
    )
    assert reader.caller == "varscan2"
    assert variants[0].vaf == pytest.approx(0.129)


def test_unknown_caller_is_a_usage_error(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, vcf_text([]), "vcf")
    with pytest.raises(UsageError) as caught:
        VcfReader(path, caller="mutect")
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        "unknown variant caller 'mutect' (choose one of: auto, mutect2, strelka2, vardict, "
        "freebayes, varscan2, deepvariant, octopus, info, generic)"
    )


def test_unknown_caller_is_reported_before_the_file_is_read(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown variant caller"):
        VcfReader(tmp_path / "absent.vcf", caller="gatk")


def test_choices_are_the_table() -> None:
    assert ("auto", *CALLERS) == CALLER_CHOICES


def test_two_callers_named_take_the_generic_fields(tmp_path: Path) -> None:
    record = "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT:AD:AF:DP\t0/1:30,10:0.3:40"
    variants, reader = read(
        tmp_path,
        [record],
        samples=("TUMOR",),
        format_lines=MUTECT2_FORMAT,
        header=("##source=VarDict_v1.8.2", "##source=strelka"),
    )
    assert reader.caller == "generic"
    assert variants[0].vaf == pytest.approx(0.3)


def test_no_caller_line_takes_the_generic_fields(tmp_path: Path) -> None:
    record = "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT:AD:DP\t0/1:30,10:40"
    variants, reader = read(tmp_path, [record], samples=("TUMOR",), format_lines=MUTECT2_FORMAT)
    assert reader.caller == "generic"
    assert evidence(variants) == [(0.25, 40)]


def test_caller_fields_absent_fall_back_to_the_generic_ones(tmp_path: Path) -> None:
    # A Strelka germline-style record (no AU..TU, no TIR): AD and DP still give VAF and depth.
    format_lines = (*STRELKA_SNV_FORMAT[2:], *MUTECT2_FORMAT[:1])
    record = "chr7\t100\t.\tA\tT\t.\tPASS\t.\tAD\t30,10"
    variants, reader = read(
        tmp_path,
        [record],
        samples=("S1",),
        sample="S1",
        format_lines=format_lines,
        header=STRELKA_HEADER,
    )
    assert reader.caller == "strelka2"
    assert evidence(variants) == [(0.25, 40)]


def test_caller_on_a_sites_only_file_gives_nothing(tmp_path: Path) -> None:
    variants, reader = read(
        tmp_path,
        ["chr7\t100\t.\tA\tT\t.\tPASS\tAF=0.3;DP=90"],
        samples=(),
        info_lines=SITES_INFO,
        header=FREEBAYES_HEADER,
    )
    assert reader.caller == "freebayes"
    assert evidence(variants) == [(None, None)]


# Real files (tests/data/SOURCES.md).


def test_real_strelka_somatic_snvs() -> None:
    path = DATA / "vcf2maf.test_strelka.grch37.vcf"
    with VcfReader(path, sample="TUMOR") as reader:
        variants = list(reader)
    assert reader.caller == "strelka2"
    assert reader.records_read == 240
    braf = next(v for v in variants if (v.chrom, v.pos) == ("7", 140453136))  # BRAF V600E
    assert (braf.ref, braf.alt) == ("A", "T")
    assert braf.vaf == pytest.approx(191 / (191 + 68))  # tier-1 TU / (TU + AU)
    assert braf.depth == 260
    first = variants[0]  # 1:12170228 C>T, TUMOR CU 0,0 TU 57,57
    assert (first.pos, first.vaf, first.depth) == (12170228, 1.0, 57)
    # The file's 7 indel records carry TAR/TIR that its header does not declare (SNV and indel
    # calls concatenated under the SNV header): undeclared fields are not read, so no VAF.
    indels = [v for v in variants if len(v.ref) != len(v.alt)]
    assert len(indels) == 7
    assert {v.vaf for v in indels} == {None}
    assert all(v.depth is not None for v in indels)
    assert all(v.vaf is not None for v in variants if len(v.ref) == len(v.alt) == 1)


def test_real_pcgr_tvaf_tdp() -> None:
    path = DATA / "pcgr.T001-COAD.grch38.vcf.gz"
    with VcfReader(path) as reader:
        variants = list(reader)
    assert reader.caller == "info"
    braf = next(v for v in variants if (v.chrom, v.pos) == ("7", 140753336))
    assert braf.vaf == pytest.approx(0.314814814815)  # INFO TVAF (17 of 54 reads)
    assert braf.depth == 54  # INFO TDP
    assert all(v.vaf is not None and v.depth is not None for v in variants)
