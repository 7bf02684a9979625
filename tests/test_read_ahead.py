"""The reader's batches (VcfReader.batches, _READ_AHEAD records at a time) and the resolving of
a batch's annotations ahead of the rest (inputs._resolved_ahead) change nothing a run gives:
not its results on real files, nor where an unreadable annotation is reported."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import annotator.readers.vcf as vcf_reader
from annotator.config import AnnotateConfig
from annotator.errors import InputError
from annotator.pipeline import run
from annotator.writers.json import write_json
from tests.vcfgen import vcf_text, write_vcf

ROOT = Path(__file__).resolve().parent.parent

#: Files of VEP, SnpEff and bcftools csq annotation, unannotated ones, two samples, and records
#: failing FILTER, with the sample to read where there are several.
FILES = [
    ("test_data/luad.grch37.vep.vcf", None),
    ("test_data/luad.grch38.snpeff.vcf", None),
    ("test_data/crc.grch38.bcsq.vcf", None),
    ("test_data/demo.grch38.vep.vcf.gz", None),
    ("tests/data/pcgr.T001-COAD.grch38.vcf.gz", None),
    ("tests/data/vcf2maf.test_mutect.grch37.vcf", "TUMOR"),
    ("tests/data/bcftools.split-vep.2.vep_csq.vcf", None),
]


def _findings_json(path: Path, sample: str | None) -> dict[str, object]:
    (result,) = run(
        AnnotateConfig(input=path, tumor_type="LUAD", sample=sample, prefilter=False, threads=1)
    )
    stream = io.StringIO()
    write_json(result, stream)
    document: dict[str, object] = json.loads(stream.getvalue())
    for key in ("command_line", "created"):
        document.pop(key, None)
    return document


@pytest.mark.parametrize(("name", "sample"), FILES)
def test_a_run_is_the_same_whatever_the_batch(
    name: str, sample: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ROOT / name
    usual = _findings_json(path, sample)
    # Batches ended by the annotations' size: one annotated record each.
    monkeypatch.setattr(vcf_reader, "_READ_AHEAD_TEXT", 1)
    assert _findings_json(path, sample) == usual
    for size in (1, 3):  # one record at a time, and batches that end inside the file
        monkeypatch.setattr(vcf_reader, "_READ_AHEAD", size)
        assert _findings_json(path, sample) == usual


def test_a_batch_ends_when_its_annotations_reach_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = ROOT / "test_data/luad.grch37.vep.vcf"
    with vcf_reader.VcfReader(path) as reader:
        whole = [len(batch) for batch in reader.batches()]
    assert len(whole) == 1  # a small file: one batch
    monkeypatch.setattr(vcf_reader, "_READ_AHEAD_TEXT", 1)
    with vcf_reader.VcfReader(path) as reader:
        batches = list(reader.batches())
    assert sum(map(len, batches)) == whole[0]
    assert len(batches) > 1
    # A batch ends with the first annotated record it reads (and its alleles): only the last
    # record of a batch is annotated.
    for batch in batches:
        annotated = {variant.record_index for variant in batch if variant.annotations}
        assert annotated <= {batch[-1].record_index}


CSQ_LINE = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
    'Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSp">'
)
GOOD = "CSQ=T|missense_variant|MODERATE|EGFR|ENST00000275493.7|ENSP00000275493.2:p.Thr790Met"
BAD = "CSQ=A|missense_variant|MODERATE|EGFR"  # two fields short of the header's six


def test_an_unreadable_annotation_is_reported_at_its_record(tmp_path: Path) -> None:
    """All in one batch: the failing record's bad annotation is never read (as before), and
    the passing one's is reported with its own record number, not earlier."""
    records = [
        f"chr7\t55181378\t.\tC\tT\t.\tPASS\t{GOOD}\tGT:AD\t0/1:60,40",
        f"chr7\t55181390\t.\tG\tA\t.\tweak_evidence\t{BAD}\tGT:AD\t0/1:70,30",
        f"chr7\t55181400\t.\tG\tA\t.\tPASS\t{GOOD}\tGT:AD\t0/1:70,30",
    ]
    text = vcf_text(records, info_lines=(CSQ_LINE,))
    (result,) = run(AnnotateConfig(input=write_vcf(tmp_path, text), tumor_type="LUAD"))
    assert result.summary.skipped_filtered == 1
    records.append(f"chr7\t55181410\t.\tG\tA\t.\tPASS\t{BAD}\tGT:AD\t0/1:70,30")
    text = vcf_text(records, info_lines=(CSQ_LINE,))
    path = write_vcf(tmp_path, text, name="bad")
    with pytest.raises(InputError) as raised:
        run(AnnotateConfig(input=path, tumor_type="LUAD"))
    assert raised.value.record == 4
    assert raised.value.path == str(path)
