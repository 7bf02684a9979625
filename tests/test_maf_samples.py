"""A MAF as the annotate command reads it: its samples, what each is told, how it is known.

Regression tests of the MAF audit: a MAF with a header and no rows, notes of one sample's rows
given to every sample, cBioPortal's ``data_mutations.txt`` not known as a MAF, a UTF-8
byte-order mark, an empty ``Transcript_ID`` cell and the TMB event's source.
"""

from __future__ import annotations

from pathlib import Path

from tests.runs import run_json
from tests.test_maf import EGFR_L858R, write_maf


def test_tmb_event_of_a_maf_says_maf(tmp_path: Path) -> None:
    """The TMB-high event of a MAF's rows was said to come from a VCF."""
    maf = write_maf(tmp_path, EGFR_L858R)
    data = run_json(maf, "LUAD", panel_size_mb=0.1)  # 1 mutation over 0.1 Mb: 10/Mb
    (tmb,) = [event for event in data["events"] if event["gene"] == "TMB"]
    assert tmb["event"] == "TMB-high"
    assert tmb["source"] == "maf"
