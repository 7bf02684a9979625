"""msi_event: --msi-status and MSIsensor score files into the MSI-H event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotator.biomarkers import (
    DEFAULT_MSI_THRESHOLD,
    MsisensorScore,
    msi_event,
    msi_result,
    parse_msi_status,
    read_msisensor,
)
from annotator.config import AnnotateConfig
from annotator.errors import InputError, UsageError
from annotator.models import VariantClass
from annotator.pipeline import run
from tests.runs import run_json

# The score file as the MSIsensor README shows it (ding-lab/msisensor, "Output").
README_SCORE = "Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n640\t75\t11.72\n"


def score_file(tmp_path: Path, percent: float, total: int = 640, unstable: int = 75) -> Path:
    path = tmp_path / "sample.msi"
    path.write_text(
        f"Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n{total}\t{unstable}\t{percent}\n",
        encoding="utf-8",
    )
    return path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sample.msi"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_threshold_is_the_msk_impact_cutoff() -> None:
    assert DEFAULT_MSI_THRESHOLD == 10.0


@pytest.mark.parametrize(
    ("status", "percent", "threshold", "expected"),
    [
        # status only
        ("MSI-H", None, 10.0, True),
        ("msi-h", None, 10.0, True),
        ("MSS", None, 10.0, False),
        ("MSI-L", None, 10.0, False),
        (None, None, 10.0, False),
        # file only: MSI-H at score >= threshold
        (None, 11.72, 10.0, True),
        (None, 10.0, 10.0, True),
        (None, 9.99, 10.0, False),
        (None, 0.0, 10.0, False),
        (None, 4.0, 3.5, True),  # MSIsensor-pro users calibrating their own cutoff
        (None, 15.0, 20.0, False),  # MSIsensor2's tumor-only cutoff
        # both, agreeing
        ("MSI-H", 25.0, 10.0, True),
        ("MSS", 1.2, 10.0, False),
        ("MSI-L", 4.0, 10.0, False),
    ],
)
def test_msi_status_and_score(
    tmp_path: Path, status: str | None, percent: float | None, threshold: float, expected: bool
) -> None:
    path = score_file(tmp_path, percent) if percent is not None else None
    event = msi_event(status, path, threshold=threshold)
    assert (event is not None) is expected
    if event is not None:
        assert event.gene == "MSI"
        assert event.event == "MSI-H"
        assert event.variant_class is VariantClass.OTHER
        assert event.variant is None
        assert event.label == "MSI-H"


@pytest.mark.parametrize(
    ("status", "percent"),
    [("MSI-H", 9.99), ("MSI-H", 0.0), ("MSS", 10.0), ("MSI-L", 35.2)],
)
def test_status_contradicting_the_score_is_a_usage_error(
    tmp_path: Path, status: str, percent: float
) -> None:
    path = score_file(tmp_path, percent)
    with pytest.raises(UsageError, match=f"--msi-status {status} contradicts") as caught:
        msi_event(status, path, threshold=10.0)
    assert str(path) in str(caught.value)
    assert caught.value.exit_code == 2


def test_details(tmp_path: Path) -> None:
    path = write(tmp_path, README_SCORE)
    from_status = msi_event("MSI-H", None, threshold=10.0)
    assert from_status is not None
    assert (from_status.source, from_status.detail) == ("--msi-status", "--msi-status MSI-H")
    from_file = msi_event(None, path, threshold=10.0)
    assert from_file is not None
    assert from_file.source == "MSIsensor"
    assert from_file.detail == "MSIsensor score 11.72% (75 of 640 sites; MSI-H at >= 10%)"
    both = msi_event("MSI-H", path, threshold=10.0)
    assert both is not None
    assert both.source == "--msi-status, MSIsensor"
    assert both.detail == (
        "--msi-status MSI-H; MSIsensor score 11.72% (75 of 640 sites; MSI-H at >= 10%)"
    )


@pytest.mark.parametrize(
    ("spelling", "status"),
    [
        ("MSI-H", "MSI-H"),
        ("msi_h", "MSI-H"),
        ("MSIH", "MSI-H"),
        ("MSI-high", "MSI-H"),
        (" MSI-L ", "MSI-L"),
        ("msi low", "MSI-L"),
        ("MSS", "MSS"),
        ("stable", "MSS"),
    ],
)
def test_status_spellings(spelling: str, status: str) -> None:
    assert parse_msi_status(spelling) == status


@pytest.mark.parametrize("spelling", ["MSI", "high", "dMMR", ""])
def test_unknown_status_is_a_usage_error(spelling: str) -> None:
    with pytest.raises(UsageError, match="use one of MSI-H, MSI-L, MSS"):
        msi_event(spelling, None, threshold=10.0)


@pytest.mark.parametrize("threshold", [0.0, -1.0, 100.5, float("nan")])
def test_threshold_out_of_range(threshold: float) -> None:
    with pytest.raises(UsageError, match="MSI score threshold"):
        msi_event("MSS", None, threshold=threshold)


# -- the score file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        README_SCORE,
        # spaces instead of tabs, as the README renders it, and a trailing blank line
        "Total_Number_of_Sites   Number_of_Somatic_Sites %\n640     75      11.72\n\n",
        # extra columns after the three (some pipelines add a QC status)
        "Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\tqc\n640\t75\t11.72\tPASS\n",
    ],
)
def test_read_msisensor(tmp_path: Path, text: str) -> None:
    assert read_msisensor(write(tmp_path, text)) == MsisensorScore(640, 75, 11.72)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="MSIsensor file not found"):
        msi_event(None, tmp_path / "nope.msi", threshold=10.0)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "MSIsensor file is empty"),
        ("msi_score\n11.7\n", 1, "not an MSIsensor score file: header is 'msi_score'"),
        ("Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n", None, "has no score row"),
        (README_SCORE + "640\t80\t12.5\n", None, "has 2 score rows, expected exactly one"),
        (
            "Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n640\t75\n",
            2,
            "score row has 2 values, expected 3",
        ),
        (
            "Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n640\t75\thigh\n",
            2,
            "% 'high' is not a number",
        ),
        (
            "Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n640.5\t75\t11.7\n",
            2,
            "Total_Number_of_Sites '640.5' is not a count of sites",
        ),
        (
            "Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n0\t0\t0.00\n",
            2,
            "evaluated no microsatellite site",
        ),
        (
            "Total_Number_of_Sites\tNumber_of_Somatic_Sites\t%\n64\t75\t117.19\n",
            2,
            "inconsistent",
        ),
    ],
)
def test_score_file_errors(tmp_path: Path, text: str, line: int | None, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        msi_event(None, write(tmp_path, text), threshold=10.0)
    assert caught.value.line == line


def test_bad_header_names_the_expected_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_msisensor(write(tmp_path, "sites\tsomatic\tpercent\n640\t75\t11.72\n"))
    assert "Total_Number_of_Sites, Number_of_Somatic_Sites or Number_of_Unstable_Sites, %" in str(
        caught.value
    )


def test_msisensor_pro_header(tmp_path: Path) -> None:
    # the header MSIsensor-pro writes (xjtu-omics/msisensor-pro cpp/sample.cpp, pourOutMsiScore)
    text = "Total_Number_of_Sites\tNumber_of_Unstable_Sites\t%\n2210\t612\t27.69\n"
    assert read_msisensor(write(tmp_path, text)) == MsisensorScore(2210, 612, 27.69)
    assert msi_event(None, write(tmp_path, text), threshold=10.0) is not None


@pytest.mark.parametrize(
    ("status", "percent", "expected"),
    [
        ("MSS", None, {"status": "MSS", "source": "--msi-status", "score_percent": None}),
        ("msi-l", None, {"status": "MSI-L", "source": "--msi-status", "threshold": None}),
        (None, 0.9, {"status": "not MSI-H", "source": "MSIsensor", "score_percent": 0.9}),
        (None, 11.72, {"status": "MSI-H", "threshold": 10.0, "unstable_sites": 75}),
        ("MSS", 3.0, {"status": "MSS", "source": "--msi-status, MSIsensor", "total_sites": 640}),
    ],
)
def test_every_msi_result_is_recorded(
    tmp_path: Path, status: str | None, percent: float | None, expected: dict[str, object]
) -> None:
    path = score_file(tmp_path, percent) if percent is not None else None
    result = msi_result(status, path, threshold=10.0)
    assert result is not None
    recorded = result.as_dict()
    assert {key: recorded[key] for key in expected} == expected


def test_no_msi_input_is_no_result() -> None:
    assert msi_result(None, None) is None


DEMO = Path(__file__).resolve().parents[1] / "test_data" / "demo.grch38.vep.vcf.gz"


def test_a_threshold_of_zero_is_refused_not_replaced_by_the_default(tmp_path: Path) -> None:
    # ``msi_threshold or DEFAULT`` used to read 0 as "not given" and annotate at 10 %
    with pytest.raises(UsageError, match="above 0"):
        run_json(DEMO, msi_file=score_file(tmp_path, 0.9), msi_threshold=0.0)


def test_a_threshold_without_a_score_file_is_refused() -> None:
    with pytest.raises(UsageError, match="--msi-file"):
        run_json(DEMO, msi_status="MSS", msi_threshold=20.0)


@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({}, None),
        ({"msi_status": "MSS"}, "MSS"),
        ({"percent": 0.9}, "not MSI-H"),
        ({"percent": 11.72}, "MSI-H"),
        ({"percent": 11.72, "msi_threshold": 20.0}, "not MSI-H"),
    ],
)
def test_the_json_records_the_msi_result(
    tmp_path: Path, options: dict[str, Any], status: str | None
) -> None:
    options = dict(options)
    if "percent" in options:
        options["msi_file"] = score_file(tmp_path, options.pop("percent"))
    msi = run_json(DEMO, tumor_type="COAD", **options)["biomarkers"]["msi"]
    assert (msi["status"] if msi is not None else None) == status


@pytest.mark.parametrize(("percent", "shown"), [(None, "Not given"), (0.9, "not MSI-H")])
def test_the_reports_show_the_msi_result(tmp_path: Path, percent: float | None, shown: str) -> None:
    out = tmp_path / "out"
    msi_file = score_file(tmp_path, percent) if percent is not None else None
    run(AnnotateConfig(input=DEMO, tumor_type="COAD", msi_file=msi_file, out_dir=out))
    markdown = (out / "TUMOR.report.md").read_text(encoding="utf-8")
    html = (out / "TUMOR.report.html").read_text(encoding="utf-8")
    if percent is None:
        assert f"**MSI.** {shown}" in markdown
        assert f"<strong>MSI.</strong> {shown}" in html
    else:
        assert f"| MSI status | {shown} |" in markdown
        assert "| MSIsensor score (% unstable sites) | 0.9 |" in markdown
        assert '<th scope="row">MSI status</th><td class="num">not MSI-H</td>' in html
