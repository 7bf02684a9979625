"""Options of one value given twice are refused (click would keep the last one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import main
from tests.golden_cases import TEST_DATA

DEMO = str(TEST_DATA / "demo.grch38.vep.vcf.gz")


@pytest.mark.parametrize(
    ("repeated", "named"),
    [
        (["--fusions", "a.tsv", "--fusions", "b.tsv"], "--fusions"),
        (["--cnv=a.cns", "--cnv", "b.cns"], "--cnv"),
        (["--tumor-type", "COAD"], "--tumor-type"),
        (["--out-json", "x.json", "--out-json", "y.json"], "--out-json"),
    ],
)
def test_an_option_of_one_value_given_twice_is_a_usage_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], repeated: list[str], named: str
) -> None:
    code = main(["annotate", DEMO, "--tumor-type", "LUAD", *repeated])
    err = capfd.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        f"resistance-annotator: error: {named} is given more than once; it takes one value "
        "(give it once: a later value would replace an earlier one)"
    ]
    assert list(tmp_path.iterdir()) == []


def test_flags_and_values_after_a_double_dash_are_not_counted(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    argv = ["annotate", "--quiet", "--quiet", "--tumor-type", "LUAD", "--out-json", str(out)]
    assert main([*argv, "--", DEMO]) == 0, capfd.readouterr().err
    assert out.exists()
