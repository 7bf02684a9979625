"""VcfReader: VCF, VCF.gz and BCF into one Variant per ALT allele, and clean errors."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

from annotator.errors import InputError, UsageError
from annotator.models import Phase, Variant, phase_between
from annotator.readers.vcf import VcfReader
from tests.vcfgen import FORMAT_LINES, FORMS, PHASE_FORMAT_LINES, Form, vcf_text, write_vcf

DATA = Path(__file__).parent / "data"

BRAF_V600E = "chr7\t140753336\trs113488022\tA\tT\t.\tPASS\t.\tGT:AD:AF:DP\t0/1:60,40:0.4:100"


@pytest.fixture(params=FORMS)
def form(request: pytest.FixtureRequest) -> Form:
    form: Form = request.param
    return form


def read(path: Path, sample: str | None = None) -> tuple[list[Variant], VcfReader]:
    with VcfReader(path, sample=sample) as reader:
        return list(reader), reader


def write(tmp_path: Path, form: Form, records: list[str], **header: Any) -> Path:
    return write_vcf(tmp_path, vcf_text(records, **header), form)


# Records and header, for every input form.


def test_reads_one_snv(tmp_path: Path, form: Form) -> None:
    path = write(tmp_path, form, [BRAF_V600E])
    variants, reader = read(path)
    assert variants == [
        Variant(
            chrom="chr7",
            pos=140753336,
            ref="A",
            alt="T",
            record_index=1,
            alt_index=0,
            alts=("T",),
            filters=(),
            vaf=variants[0].vaf,
            depth=100,
            variant_id="rs113488022",
            carried=True,  # GT 0/1
        )
    ]
    assert variants[0].vaf == pytest.approx(0.4)  # a float32 in the file
    assert variants[0].annotations == {}
    assert reader.records_read == 1
    header = reader.header
    assert header.path == str(path)
    assert header.samples == ("TUMOR",)
    assert header.sample == "TUMOR"
    assert header.contigs == {"chr7": 159345973, "chr12": 133275309, "chr17": 83257441}
    assert header.lines[0] == "##fileformat=VCFv4.2"
    assert header.lines[-1].startswith("#CHROM\tPOS")


def test_info_descriptions_are_unquoted(tmp_path: Path, form: Form) -> None:
    path = write(tmp_path, form, [BRAF_V600E])
    _, reader = read(path)
    descriptions = reader.header.info_descriptions
    assert descriptions["CSQ"] == (
        "Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL"
    )
    assert descriptions["ANN"] == (
        "Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name'"
    )


def test_multiallelic_record_with_af_number_a(tmp_path: Path, form: Form) -> None:
    record = "chr12\t25245350\t.\tC\tA,T\t.\tPASS\t.\tGT:AD:AF:DP\t0/1/2:50,30,20:0.3,0.2:120"
    variants, reader = read(write(tmp_path, form, [record]))
    assert [(v.alt, v.alt_index, v.alts) for v in variants] == [
        ("A", 0, ("A", "T")),
        ("T", 1, ("A", "T")),
    ]
    assert [v.vaf for v in variants] == [pytest.approx(0.3), pytest.approx(0.2)]
    assert [v.depth for v in variants] == [120, 120]  # DP wins over sum(AD)
    assert {v.record_index for v in variants} == {1}
    assert reader.records_read == 1


def test_multiallelic_record_with_ad_number_r(tmp_path: Path, form: Form) -> None:
    record = "chr12\t25245350\t.\tC\tA,T\t.\tPASS\t.\tGT:AD\t0/1/2:50,30,20"
    variants, _ = read(write(tmp_path, form, [record]))
    assert [v.vaf for v in variants] == [pytest.approx(0.3), pytest.approx(0.2)]
    assert [v.depth for v in variants] == [100, 100]  # no DP: sum(AD)


@pytest.mark.parametrize(
    ("fields", "values", "expected"),
    [
        ("AF:AD:DP", ".:.:.", [(None, None)]),
        ("AF:DP", ".:30", [(None, 30)]),
        ("AD:DP", "20,.:.", [(None, None)]),  # one count missing: no VAF, no sum
        ("AD:DP", "0,0:.", [(None, 0)]),  # no reads: no VAF
        ("AD", ".", [(None, None)]),
        ("AF:AD", ".:30,10", [(0.25, 40)]),  # AF missing: AD decides
        ("GT", "0/1", [(None, None)]),  # neither AF nor AD
    ],
)
def test_missing_values_are_none(
    tmp_path: Path, form: Form, fields: str, values: str, expected: list[tuple[float, int]]
) -> None:
    record = f"chr7\t140753336\t.\tA\tT\t.\tPASS\t.\t{fields}\t{values}"
    variants, _ = read(write(tmp_path, form, [record]))
    assert [(v.vaf, v.depth) for v in variants] == expected


def test_missing_af_of_one_allele_falls_back_to_ad(tmp_path: Path, form: Form) -> None:
    record = "chr12\t25245350\t.\tC\tA,T\t.\tPASS\t.\tGT:AF:AD\t0/1/2:0.5,.:40,40,20"
    variants, _ = read(write(tmp_path, form, [record]))
    assert [v.vaf for v in variants] == [pytest.approx(0.5), pytest.approx(0.2)]
    assert [v.depth for v in variants] == [100, 100]


def test_filters(tmp_path: Path, form: Form) -> None:
    records = [
        "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT\t0/1",
        "chr7\t200\t.\tA\tT\t.\t.\t.\tGT\t0/1",
        "chr7\t300\t.\tA\tT\t.\tweak_evidence;germline\t.\tGT\t0/1",
        "chr7\t400\t.\tA\tT\t.\tgermline\t.\tGT\t0/1",
    ]
    variants, _ = read(write(tmp_path, form, records))
    assert [v.filters for v in variants] == [(), (), ("weak_evidence", "germline"), ("germline",)]
    assert [v.passed for v in variants] == [True, True, False, False]


def test_skip_filtered_counts_failing_records_and_yields_the_others(
    tmp_path: Path, form: Form
) -> None:
    records = [
        "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT:AD\t0/1:6,4",
        "chr7\t200\t.\tA\tT,G\t.\tgermline\t.\tGT:AD\t1/2:0,5,5",
        "chr7\t250\t.\tA\t.\t.\tgermline\t.\tGT\t0/0",  # no ALT: no record counted
        "chr7\t300\t.\tA\tT\t.\t.\t.\tGT:AD\t0/1:5,5",
        "chr7\t400\t.\tA\tT\t.\tweak_evidence;germline\t.\tGT\t0/1",
    ]
    path = write(tmp_path, form, records)
    everything, _ = read(path)
    with VcfReader(path) as reader:
        reader.skip_filtered()
        variants = list(reader)
    assert variants == [v for v in everything if v.passed]
    assert [(v.pos, v.record_index, v.vaf) for v in variants] == [(100, 1, 0.4), (300, 4, 0.5)]
    assert (reader.records_read, reader.records_skipped, reader.alleles_skipped) == (5, 2, 3)


def test_skip_filtered_still_refuses_a_failing_record_with_an_invalid_allele(
    tmp_path: Path,
) -> None:
    records = [
        "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT\t0/1",
        "chr7\t200\t.\tA\tT?\t.\tgermline\t.\tGT\t0/1",
    ]
    with VcfReader(write(tmp_path, "vcf", records)) as reader:
        reader.skip_filtered()
        with pytest.raises(InputError, match=r"ALT 'T\?' is not a valid allele"):
            list(reader)


def test_repeated_values_are_read_alike(tmp_path: Path, form: Form) -> None:
    """REF, ALT and FILTER values met again (the reader shares them) read as the first time."""
    records = [
        f"chr7\t{pos}\t.\t{ref}\t{alts}\t.\t{filters}\t.\tGT\t0/1"
        for pos, (ref, alts, filters) in enumerate(
            [
                ("A", "T", "PASS"),
                ("A", "T,G", "germline"),
                ("A", "T", "weak_evidence;germline"),
                ("A", "T,G", "PASS"),
                ("AC", "A", "germline"),
                ("A", "T", "germline"),
            ],
            start=100,
        )
    ]
    variants, _ = read(write(tmp_path, form, records))
    assert [(v.pos, v.ref, v.alt, v.alts, v.filters) for v in variants] == [
        (100, "A", "T", ("T",), ()),
        (101, "A", "T", ("T", "G"), ("germline",)),
        (101, "A", "G", ("T", "G"), ("germline",)),
        (102, "A", "T", ("T",), ("weak_evidence", "germline")),
        (103, "A", "T", ("T", "G"), ()),
        (103, "A", "G", ("T", "G"), ()),
        (104, "AC", "A", ("A",), ("germline",)),
        (105, "A", "T", ("T",), ("germline",)),
    ]


def test_alt_dot_yields_nothing_but_is_counted(tmp_path: Path, form: Form) -> None:
    records = [
        "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT\t0/1",
        "chr7\t200\t.\tA\t.\t.\tPASS\t.\tGT\t0/0",
        "chr7\t300\t.\tG\tC\t.\tPASS\t.\tGT\t0/1",
    ]
    variants, reader = read(write(tmp_path, form, records))
    assert [(v.pos, v.record_index) for v in variants] == [(100, 1), (300, 3)]
    assert reader.records_read == 3


def test_symbolic_and_breakend_alts_are_yielded_as_is(tmp_path: Path, form: Form) -> None:
    records = [
        "chr7\t100\tsv1\tA\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=500\tGT\t0/1",
        "chr7\t600\tbnd1\tG\tG]chr17:198982]\t.\tPASS\tSVTYPE=BND\tGT\t0/1",
    ]
    variants, _ = read(write(tmp_path, form, records))
    assert [(v.alt, v.variant_id) for v in variants] == [
        ("<DEL>", "sv1"),
        ("G]chr17:198982]", "bnd1"),
    ]


# Structural-variant fields: INFO END, SVTYPE, MATEID.


def test_structural_variant_fields(tmp_path: Path, form: Form) -> None:
    records = [
        "chr7\t100\tsv1\tA\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=500\tGT\t0/1",
        "chr7\t600\tbnd_W\tG\tG]chr17:198982]\t.\tPASS\tSVTYPE=BND;MATEID=bnd_Y\tGT\t0/1",
        "chr17\t198982\tbnd_Y\tA\t]chr7:600]A\t.\tPASS\tSVTYPE=BND;MATEID=bnd_W\tGT\t0/1",
        "chr7\t700\t.\tA\tT\t.\tPASS\t.\tGT\t0/1",
    ]
    variants, _ = read(write(tmp_path, form, records))
    assert [(v.end, v.svtype, v.mate_id) for v in variants] == [
        (500, "DEL", None),
        (None, "BND", "bnd_Y"),
        (None, "BND", "bnd_W"),
        (None, None, None),
    ]


def test_mate_id_with_one_value_per_alt_is_split(tmp_path: Path) -> None:
    record = "chr7\t600\t.\tG\tG]chr17:100],G]chr17:200]\t.\tPASS\tMATEID=m1,m2\tGT\t1/2"
    variants, _ = read(write(tmp_path, "vcf", [record]))
    assert [v.mate_id for v in variants] == ["m1", "m2"]


def test_undeclared_structural_fields_are_not_read(tmp_path: Path) -> None:
    record = "chr7\t100\tsv1\tA\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=500\tGT\t0/1"
    variants, _ = read(write(tmp_path, "vcf", [record], info_lines=()))
    assert (variants[0].end, variants[0].svtype) == (None, None)


def test_real_breakends_with_mate_ids() -> None:
    variants, _ = read(DATA / "bcftools.norm.breakend.1.vcf")
    assert [(v.variant_id, v.mate_id, v.svtype, v.end) for v in variants] == [
        ("bnd_V", "bnd_U", None, None),
        ("bnd_U", "bnd_V", None, None),
    ]


def test_real_delly_deletion_and_breakend() -> None:
    variants, _ = read(DATA / "vcf2maf.test_delly.grch37.vcf", sample="TUMOR")
    by_id = {v.variant_id: v for v in variants}
    deletion = by_id["DEL00000578"]
    assert (deletion.alt, deletion.svtype, deletion.end) == ("<DEL>", "DEL", 66197751)
    breakend = by_id["BND00000094"]
    assert (breakend.alt, breakend.svtype, breakend.mate_id) == ("]15:80623247]C", "BND", None)
    assert breakend.end == 80623247  # DELLY writes the mate position as END


# Phase: GT with PS, and GATK's PGT/PID.

PHASED_FORMAT = (*FORMAT_LINES, *PHASE_FORMAT_LINES)


def read_phased(tmp_path: Path, form: Form, records: list[str]) -> list[Variant]:
    path = write(tmp_path, form, records, format_lines=PHASED_FORMAT)
    variants, _ = read(path)
    return variants


def phases(variants: list[Variant]) -> list[tuple[str | None, int | None]]:
    return [(v.phase_set, v.haplotype) for v in variants]


def test_phased_gt_with_ps(tmp_path: Path, form: Form) -> None:
    records = [
        "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT:PS\t0|1:100",
        "chr7\t200\t.\tA\tT\t.\tPASS\t.\tGT:PS\t1|0:100",
        "chr7\t300\t.\tA\tT\t.\tPASS\t.\tGT:PS\t0|1:100",
    ]
    variants = read_phased(tmp_path, form, records)
    assert phases(variants) == [("100", 1), ("100", 0), ("100", 1)]
    assert phase_between(variants[0], variants[1]) is Phase.TRANS
    assert phase_between(variants[0], variants[2]) is Phase.CIS


def test_multiallelic_phased_gt(tmp_path: Path, form: Form) -> None:
    records = [
        "chr12\t25245350\t.\tC\tA,T\t.\tPASS\t.\tGT:PS\t1|2:25245300",
        "chr12\t25245360\t.\tC\tA,T\t.\tPASS\t.\tGT:PS\t0|2:25245300",  # A not called
    ]
    variants = read_phased(tmp_path, form, records)
    assert phases(variants) == [
        ("25245300", 0),
        ("25245300", 1),
        ("25245300", None),
        ("25245300", 1),
    ]


def test_unphased_homozygous_haploid_and_missing_gt(tmp_path: Path, form: Form) -> None:
    records = [
        "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT:PS\t0/1:100",  # unphased: PS says nothing
        "chr7\t200\t.\tA\tT\t.\tPASS\t.\tGT:PS\t1|1:100",  # on both haplotypes
        "chr7\t300\t.\tA\tT\t.\tPASS\t.\tGT\t1",  # haploid
        "chr7\t400\t.\tA\tT\t.\tPASS\t.\tGT:PS\t.|.:100",
        "chr7\t500\t.\tA\tT\t.\tPASS\t.\tPS\t100",  # no GT in this record
        "chr7\t600\t.\tA\tT\t.\tPASS\t.\tGT:PS\t0|1:.",  # phased, PS missing
        "chr7\t700\t.\tA\tT\t.\tPASS\t.\tGT\t1|0",  # phased, no PS field
    ]
    variants = read_phased(tmp_path, form, records)
    assert phases(variants) == [
        (None, None),
        ("100", None),
        (None, None),
        ("100", None),
        (None, None),
        (None, 1),
        (None, 0),
    ]
    assert phase_between(variants[5], variants[6]) is Phase.UNKNOWN


def test_gatk_pgt_pid_take_precedence(tmp_path: Path, form: Form) -> None:
    records = [
        # GATK >= 4.0.12 Mutect2 (pVACtools issue #371, there on chr5): phased GT, PS,
        # and PGT/PID.
        "chr7\t172373622\t.\tC\tA\t.\tPASS\t.\tGT:AD:PGT:PID:PS"
        "\t0|1:8,4:0|1:172373622_C_A:172373622",
        # Older GATK: GT unphased, phase only in PGT/PID.
        "chr7\t172373627\t.\tC\tT\t.\tPASS\t.\tGT:AD:PGT:PID\t0/1:8,4:1|0:172373622_C_A",
        # PGT/PID missing on this record: GT and PS decide.
        "chr7\t172373700\t.\tG\tA\t.\tPASS\t.\tGT:AD:PGT:PID:PS\t0|1:8,4:.:.:172373700",
        # Homozygous ALT: PGT is heterozygous by design, but the ALT is on both haplotypes.
        "chr7\t172373710\t.\tG\tA\t.\tPASS\t.\tGT:AD:PGT:PID\t1/1:0,12:0|1:172373622_C_A",
    ]
    variants = read_phased(tmp_path, form, records)
    assert phases(variants) == [
        ("172373622_C_A", 1),
        ("172373622_C_A", 0),
        ("172373700", 1),
        ("172373622_C_A", None),
    ]
    assert phase_between(variants[0], variants[1]) is Phase.TRANS


def test_gatk_pgt_star_allele_site(tmp_path: Path) -> None:
    # GATK PR #6432: a SNP spanned by a phased deletion, GT 1|2 with ALT T,* and PGT 1|0.
    record = "chr1\t12\t.\tG\tT,*\t.\tPASS\t.\tGT:PGT:PID\t1|2:1|0:10_ACGT_A"
    variants = read_phased(tmp_path, "vcf", [record])
    assert phases(variants) == [("10_ACGT_A", 0), ("10_ACGT_A", None)]


def test_phase_of_the_chosen_sample(tmp_path: Path) -> None:
    record = "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT:PS\t0|0:50\t1|0:100"
    path = write(tmp_path, "vcf", [record], samples=("NORMAL", "TUMOR"), format_lines=PHASED_FORMAT)
    variants, _ = read(path, sample="TUMOR")
    assert phases(variants) == [("100", 0)]
    variants, _ = read(path, sample="NORMAL")
    assert phases(variants) == [("50", None)]


def test_sites_only_has_no_phase(tmp_path: Path) -> None:
    variants, _ = read(write(tmp_path, "vcf", ["chr7\t100\t.\tA\tT\t.\tPASS\t."], samples=()))
    assert phases(variants) == [(None, None)]


def test_consequence_annotations_are_kept_raw(tmp_path: Path, form: Form) -> None:
    csq = "T|missense_variant|MODERATE|BRAF,T|intron_variant|MODIFIER|BRAF"
    ann = "T|missense_variant|MODERATE|BRAF"
    bcsq = "missense|BRAF|ENST00000646891"
    records = [
        f"chr7\t140753336\t.\tA\tT\t.\tPASS\tCSQ={csq};ANN={ann};BCSQ={bcsq}\tGT\t0/1",
        "chr7\t140753337\t.\tA\tT\t.\tPASS\tCSQ=T|synonymous_variant|LOW|BRAF\tGT\t0/1",
        "chr7\t140753338\t.\tA\tT\t.\tPASS\t.\tGT\t0/1",
    ]
    variants, _ = read(write(tmp_path, form, records))
    assert [v.annotations for v in variants] == [
        {"CSQ": csq, "ANN": ann, "BCSQ": bcsq},
        {"CSQ": "T|synonymous_variant|LOW|BRAF"},
        {},
    ]


def test_undeclared_consequence_field_is_not_kept(tmp_path: Path) -> None:
    # Without its ##INFO line the sub-field names of CSQ are unknown.
    record = "chr7\t140753336\t.\tA\tT\t.\tPASS\tCSQ=T|missense_variant\tGT\t0/1"
    variants, _ = read(write(tmp_path, "vcf", [record], info_lines=()))
    assert variants[0].annotations == {}


def test_sites_only(tmp_path: Path, form: Form) -> None:
    records = ["chr7\t140753336\t.\tA\tT,G\t.\tPASS\t.", "chr7\t140753400\t.\tA\t.\t.\tPASS\t."]
    variants, reader = read(write(tmp_path, form, records, samples=()))
    assert reader.header.samples == ()
    assert reader.header.sample is None
    assert [(v.alt, v.vaf, v.depth) for v in variants] == [("T", None, None), ("G", None, None)]
    assert reader.records_read == 2


# Choice of the tumor sample.

TWO_SAMPLES = "chr7\t140753336\t.\tA\tT\t.\tPASS\t.\tGT:AD\t0/0:50,0\t0/1:30,10"


def test_sample_argument_chooses(tmp_path: Path, form: Form) -> None:
    path = write(tmp_path, form, [TWO_SAMPLES], samples=("NORMAL", "TUMOR"))
    variants, reader = read(path, sample="TUMOR")
    assert reader.header.sample == "TUMOR"
    assert reader.header.samples == ("NORMAL", "TUMOR")
    assert variants[0].vaf == pytest.approx(0.25)
    variants, _ = read(path, sample="NORMAL")
    assert variants[0].vaf == 0.0


def test_sample_argument_must_name_a_sample(tmp_path: Path) -> None:
    path = write(tmp_path, "vcf", [TWO_SAMPLES], samples=("NORMAL", "TUMOR"))
    with pytest.raises(UsageError) as caught:
        VcfReader(path, sample="TUMOUR")
    assert str(caught.value) == (
        f"{path}: sample 'TUMOUR' is not in the file (choose one of: NORMAL, TUMOR)"
    )


def test_tumor_sample_header_line_chooses(tmp_path: Path, form: Form) -> None:
    path = write(
        tmp_path,
        form,
        [TWO_SAMPLES],
        samples=("N1", "T1"),
        extra_header=["##normal_sample=N1", "##tumor_sample=T1"],
    )
    variants, reader = read(path)
    assert reader.header.sample == "T1"
    assert variants[0].vaf == pytest.approx(0.25)


def test_tumor_sample_header_line_must_name_a_sample(tmp_path: Path) -> None:
    path = write(
        tmp_path, "vcf", [TWO_SAMPLES], samples=("N1", "T1"), extra_header=["##tumor_sample=T9"]
    )
    with pytest.raises(InputError, match=r"##tumor_sample=T9 names no sample.*--sample"):
        VcfReader(path)


def test_only_sample_is_chosen(tmp_path: Path) -> None:
    path = write(tmp_path, "vcf", [BRAF_V600E], samples=("S1",))
    _, reader = read(path)
    assert reader.header.sample == "S1"


def test_several_samples_without_choice_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, "vcf", [TWO_SAMPLES], samples=("NORMAL", "TUMOR"))
    with pytest.raises(UsageError) as caught:
        VcfReader(path)
    message = str(caught.value)
    assert "2 samples (NORMAL, TUMOR)" in message
    assert "--sample" in message
    assert caught.value.exit_code == 2


def test_sample_argument_for_sites_only_file_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, "vcf", ["chr7\t100\t.\tA\tT\t.\tPASS\t."], samples=())
    with pytest.raises(UsageError, match="no sample columns"):
        VcfReader(path, sample="TUMOR")


# Bad input: one InputError naming the file (and the record), never a crash or a traceback.


def assert_one_line(error: InputError, path: Path) -> str:
    message = str(error)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.vcf"
    with pytest.raises(InputError) as caught:
        VcfReader(path)
    assert "file not found" in assert_one_line(caught.value, path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        VcfReader(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.vcf"
    path.write_bytes(b"")
    with pytest.raises(InputError) as caught:
        VcfReader(path)
    assert "the file is empty" in assert_one_line(caught.value, path)


def test_empty_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.vcf.gz"
    path.write_bytes(gzip.compress(b""))
    with pytest.raises(InputError, match="empty once decompressed"):
        VcfReader(path)


def test_binary_file_named_vcf(tmp_path: Path) -> None:
    path = tmp_path / "image.vcf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InputError) as caught:
        VcfReader(path)
    assert "not a VCF or BCF file" in assert_one_line(caught.value, path)


def test_text_file_that_is_not_a_vcf(tmp_path: Path) -> None:
    path = tmp_path / "calls.vcf"
    path.write_text("Hugo_Symbol\tChromosome\tStart_Position\nBRAF\t7\t140753336\n")
    with pytest.raises(InputError, match="it begins with 'Hugo_Symbol"):
        VcfReader(path)


def test_gzip_file_that_is_not_a_vcf(tmp_path: Path) -> None:
    path = tmp_path / "calls.vcf.gz"
    path.write_bytes(gzip.compress(b"chrom\tstart\tend\n7\t1\t2\n"))
    with pytest.raises(InputError, match="not a VCF or BCF file"):
        VcfReader(path)


def test_plain_gzip_vcf_is_read(tmp_path: Path) -> None:
    path = tmp_path / "input.vcf.gz"
    path.write_bytes(gzip.compress(vcf_text([BRAF_V600E]).encode()))
    variants, _ = read(path)
    assert [v.pos for v in variants] == [140753336]


def many_records(count: int) -> list[str]:
    return [f"chr7\t{1000 + i}\t.\tA\tT\t.\tPASS\t.\tGT:AD\t0/1:30,10" for i in range(count)]


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.999])
def test_truncated_gz(tmp_path: Path, keep: float) -> None:
    complete = write(tmp_path, "vcf.gz", many_records(20000))
    data = complete.read_bytes()
    path = tmp_path / "truncated.vcf.gz"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputError) as caught:
        VcfReader(path)
    assert "truncated" in assert_one_line(caught.value, path)


def test_truncated_bcf(tmp_path: Path) -> None:
    complete = write(tmp_path, "bcf", many_records(20000))
    data = complete.read_bytes()
    path = tmp_path / "truncated.bcf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        VcfReader(path)


def test_corrupt_block_mid_file(tmp_path: Path) -> None:
    # Complete BGZF framing, damaged data: htslib fails mid-file, after some records.
    path = write(tmp_path, "vcf.gz", many_records(20000))
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with VcfReader(path) as reader, pytest.raises(InputError) as caught:
        for _ in reader:
            pass
    message = assert_one_line(caught.value, path)
    assert caught.value.record == reader.records_read + 1
    assert reader.records_read > 0
    assert f"record {caught.value.record}: cannot read the record" in message


def test_malformed_position(tmp_path: Path, form: Form) -> None:
    records = ["chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT\t0/1", "chr7\tabc\t.\tA\tT\t.\tPASS\t.\tGT\t0/1"]
    path = write_vcf(tmp_path, vcf_text(records), "vcf")
    with VcfReader(path) as reader, pytest.raises(InputError) as caught:
        list(reader)
    assert caught.value.record == 2
    assert_one_line(caught.value, path)


def test_malformed_position_without_contig_lines(tmp_path: Path) -> None:
    # When the bad line is also the first of a contig the header does not declare, htslib
    # returns a record without alleles instead of failing; reading its REF would crash.
    records = [
        "chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT\t0/1",
        "chr12\tabc\t.\tA\tT\t.\tPASS\t.\tGT\t0/1",
    ]
    path = write_vcf(tmp_path, vcf_text(records, contigs=None), "vcf")
    with VcfReader(path) as reader, pytest.raises(InputError) as caught:
        list(reader)
    assert caught.value.record == 2
    assert "malformed record" in str(caught.value)


@pytest.mark.parametrize(
    "line",
    ["chr7 100 . A T . PASS . GT 0/1", "\x01\x02 binary junk", "chr7\t100\t.\tA"],
    ids=["spaces", "binary", "too-few-columns"],
)
def test_line_that_is_not_tab_separated_columns(tmp_path: Path, line: str) -> None:
    records = ["chr7\t100\t.\tA\tT\t.\tPASS\t.\tGT\t0/1", line]
    path = write_vcf(tmp_path, vcf_text(records), "vcf")
    with VcfReader(path) as reader, pytest.raises(InputError) as caught:
        list(reader)
    assert caught.value.record == 2
    assert_one_line(caught.value, path)


def test_blank_line_at_the_end_is_ignored(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, vcf_text([BRAF_V600E]) + "\n", "vcf")
    variants, reader = read(path)
    assert len(variants) == 1
    assert reader.records_read == 1


def test_cyvcf2_failure_on_vcf44_genotypes() -> None:
    # htslib's VCF 4.4 phasing test: cyvcf2 cannot parse the GT '/0|1' of record 2.
    path = DATA / "htslib.vcf44_1.vcf"
    with VcfReader(path, sample="HG00097") as reader, pytest.raises(InputError) as caught:
        list(reader)
    message = assert_one_line(caught.value, path)
    assert caught.value.record == 2
    assert reader.records_read == 1
    assert message.startswith(f"{path}, line 8, record 2: cannot read the record")


# Real files (tests/data/SOURCES.md).


def test_real_two_sample_file_needs_sample() -> None:
    path = DATA / "htslib.tabix_vcf_file.vcf"
    with pytest.raises(UsageError, match=r"2 samples \(A, B\).*--sample"):
        VcfReader(path)
    variants, reader = read(path, sample="B")
    assert reader.records_read == 15
    assert len({v.record_index for v in variants}) == 14  # record 10 has ALT '.'
    assert 10 not in {v.record_index for v in variants}
    by_record = {(v.record_index, v.alt_index): v for v in variants}
    assert by_record[3, 0].filters == ("q10",)
    assert by_record[3, 0].variant_id == "id3D"
    assert (by_record[4, 1].alt, by_record[4, 1].alts) == ("C", ("T", "C"))
    assert by_record[4, 1].filters == ("test",)
    assert by_record[4, 1].depth == 35
    assert by_record[1, 0].depth is None  # no DP in that record's FORMAT
    assert len([v for v in variants if v.record_index == 15]) == 305  # 305 ALT alleles


def test_real_sites_only_file_with_alt_dot() -> None:
    variants, reader = read(DATA / "cnvkit.nosample.vcf")
    assert variants == []
    assert reader.records_read == 1
    assert reader.header.sample is None


def test_real_tumor_normal_file_with_multiallelic_ad() -> None:
    path = DATA / "vcf2maf.test.grch37.vcf"
    with pytest.raises(UsageError, match="TUMOR, NORMAL"):
        VcfReader(path)
    variants, reader = read(path, sample="TUMOR")
    assert reader.records_read == 20
    pik3ca = next(v for v in variants if v.pos == 178936091)  # PIK3CA E545K
    assert (pik3ca.chrom, pik3ca.ref, pik3ca.alt) == ("3", "G", "A")
    assert pik3ca.vaf == pytest.approx(22 / 43)
    assert pik3ca.depth == 43
    apc = [(v.record_index, v.alt, v.vaf, v.depth) for v in variants if v.pos == 112174757]
    assert apc == [
        (13, "G", 0.0, 20),
        (13, "GGA", 0.4, 20),
        (14, "G", 0.6, 20),
        (14, "GCA", 0.4, 20),
        (15, "G", 0.4, 20),
        (15, "GGA", 0.0, 20),
        (16, "G", 0.0, 20),
        (16, "GGA", 0.4, 20),
    ]


def test_real_grch38_vcf_gz() -> None:
    variants, reader = read(DATA / "pcgr.T001-COAD.grch38.vcf.gz")
    assert reader.records_read == 3313
    assert len(variants) == 3313
    braf = [v for v in variants if (v.chrom, v.pos) == ("7", 140753336)]
    assert [(v.ref, v.alt) for v in braf] == [("A", "T")]  # BRAF V600E


@pytest.mark.parametrize(
    ("genotype", "carried"),
    [
        ("0/1", [True, False]),
        ("1|2", [True, True]),
        ("0/2", [False, True]),
        ("0/0", [False, False]),
        ("./1", [True, False]),
        ("./.", [None, None]),  # no allele called: says nothing
        (".", [None, None]),
        ("1", [True, False]),  # haploid
    ],
)
def test_carried_tells_whether_the_samples_gt_holds_each_alt(
    tmp_path: Path, genotype: str, carried: list[bool | None]
) -> None:
    record = f"chr7\t140753336\t.\tA\tT,C\t.\tPASS\t.\tGT:DP\t{genotype}:100"
    assert carried_both_ways(write(tmp_path, "vcf", [record]), None) == [carried, carried]


def carried_both_ways(path: Path, sample: str | None) -> list[list[bool | None]]:
    """``Variant.carried`` of each allele, read with the evidence and deferred."""
    found = []
    for defer in (False, True):
        with VcfReader(path, sample=sample) as reader:
            if defer:
                reader.defer_evidence()
            variants = []
            for variant in reader:
                if defer:
                    reader.read_evidence(variant)
                variants.append(variant)
        found.append([variant.carried for variant in variants])
    return found


def test_carried_is_unknown_without_gt(tmp_path: Path) -> None:
    record = "chr7\t140753336\t.\tA\tT\t.\tPASS\t.\tAD:DP\t60,40:100"
    variants, _reader = read(write(tmp_path, "vcf", [record]))
    assert [variant.carried for variant in variants] == [None]


@pytest.mark.parametrize(
    ("column", "carried"),
    [
        ("0/1:60,40,0", [True, False]),  # the second ALT: no read
        ("0/1:100,0,0", [False, False]),  # Mutect2's GT of a tumor without the ALT's reads
        ("0/2:60,5,0", [False, False]),  # the GT lacks ALT 1 though it has reads: GT decides
        ("./.:60,0,40", [False, None]),  # no GT call: the reads tell the first ALT
        ("./.:.,.,.", [False, False]),  # no call, no reads: another sample's call
        ("./.:0,0,0", [False, False]),
        ("0/1:0,0,0", [True, False]),  # no reads at the site: AD says nothing
        ("0/1:60,.,0", [True, False]),  # an AD value missing: AD says nothing
    ],
)
def test_with_other_samples_ad_without_the_alts_reads_is_not_carried(
    tmp_path: Path, column: str, carried: list[bool | None]
) -> None:
    record = f"chr7\t140753336\t.\tA\tT,C\t.\tPASS\t.\tGT:AD\t{column}\t0/1:50,50,0"
    path = write(tmp_path, "vcf.gz", [record], samples=("TUMOR", "OTHER"))
    assert carried_both_ways(path, "TUMOR") == [carried, carried]


def test_in_a_vcf_of_one_sample_ad_does_not_undo_the_gt(tmp_path: Path) -> None:
    record = "chr7\t140753336\t.\tA\tT\t.\tPASS\t.\tGT:AD\t0/1:100,0"
    variants, _reader = read(write(tmp_path, "vcf", [record]))
    assert [variant.carried for variant in variants] == [True]


def test_with_other_samples_a_record_without_ad_leaves_it_to_the_gt(tmp_path: Path) -> None:
    """AD declared in the header but not in this record's FORMAT (cyvcf2 gives None)."""
    record = "chr7\t140753336\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t0/0"
    path = write(tmp_path, "vcf", [record], samples=("TUMOR", "OTHER"))
    variants, _reader = read(path, sample="TUMOR")
    assert [variant.carried for variant in variants] == [True]
