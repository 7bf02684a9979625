"""The benchmark harness runs the commands of the wall-time targets at least ``--target-runs``
times (bench/run.py is a script, not part of the package: loaded from its file)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

RUN_PY = Path(__file__).resolve().parents[1] / "bench" / "run.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run_under_test", RUN_PY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _measure(bench: ModuleType, key: str) -> object:
    return bench.Measure(key, key, "v", ["true"])


def test_the_wall_time_targets_commands_get_the_minimum(bench: ModuleType) -> None:
    args = bench.parse_args([])
    targets = bench.compute_targets({}, args, True)
    numerator = _measure(bench, "annot:findings:noidx:v5m.csq")
    floor = _measure(bench, "view_Ou:v5m.csq")
    indexed = _measure(bench, "annot:findings:idx:v5m")
    one_process = _measure(bench, "annot:findings:noidx1:v5m")  # an RSS target's only
    baseline = _measure(bench, "cy-min:v1m")  # no target's
    # The floor is measured before and after its annotator row: twice in the plan.
    plan = [floor, numerator, floor, indexed, one_process, baseline]
    bench.set_target_runs(plan, targets, 3)
    assert numerator.min_runs == 3
    assert indexed.min_runs == 3
    assert floor.min_runs == 2  # per pass: 4 in all
    assert one_process.min_runs == 1
    assert baseline.min_runs == 1


def test_a_pass_runs_min_runs_times_past_the_budget(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    walls = iter([9.0] * 10)
    monkeypatch.setattr(bench, "run_once", lambda *_args: (next(walls), 1000, 1.0, 0, False))
    args = bench.parse_args(["--runs", "5", "--repeat-budget", "5"])
    args.run_cwd = None  # set by main()
    slow, target = _measure(bench, "slow"), _measure(bench, "target")
    target.min_runs = 3
    bench.measure(slow, args, tmp_path)
    bench.measure(target, args, tmp_path)
    assert len(slow.result.times) == 1  # over the budget after one run
    assert len(target.result.times) == 3
