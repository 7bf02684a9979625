"""--out-dir names each sample's files after the sample: two samples never share a name."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.config import AnnotateConfig
from annotator.errors import UsageError
from annotator.pipeline import run

HEADER = (
    "Hugo_Symbol\tChromosome\tStart_Position\tEnd_Position\tReference_Allele\t"
    "Tumor_Seq_Allele2\tVariant_Classification\tHGVSp_Short\tTumor_Sample_Barcode\tNCBI_Build\n"
)


def maf(tmp_path: Path, first: str, second: str) -> Path:
    path = tmp_path / "two.maf"
    path.write_text(
        HEADER
        + f"EGFR\t7\t55181378\t55181378\tC\tT\tMissense_Mutation\tp.T790M\t{first}\tGRCh38\n"
        + f"KRAS\t12\t25245350\t25245350\tC\tT\tMissense_Mutation\tp.G12D\t{second}\tGRCh38\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(("first", "second"), [("PT1/T1", "PT1_T1"), ("S1", "s1"), (".x", "x")])
def test_samples_whose_files_would_share_a_name_are_refused(
    tmp_path: Path, first: str, second: str
) -> None:
    out = tmp_path / "out"
    with pytest.raises(UsageError, match=f"samples '{first}' and '{second}'"):
        run(AnnotateConfig(input=maf(tmp_path, first, second), tumor_type="LUAD", out_dir=out))
    assert not out.exists()


def test_distinct_names_each_get_their_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(AnnotateConfig(input=maf(tmp_path, "PT1-T1", "PT1_T1"), tumor_type="LUAD", out_dir=out))
    assert sorted(path.name for path in out.glob("*.findings.json")) == [
        "PT1-T1.findings.json",
        "PT1_T1.findings.json",
    ]
