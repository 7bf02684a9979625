"""Start-up runs with the cyclic garbage collector paused, and freezes what it built.

Importing the command line and the pipeline builds some 200,000 long-lived objects and next to
no garbage; collecting while they are built, and the full collection that reading the bundled
OncoTree then triggered, took about 60 ms of a demo run. ``annotator.cli`` pauses the collector
while its imports run and ``annotate`` while the pipeline's do, then freezes their objects
(``gc.freeze``). The installed command, whose process ends with the run, runs ``annotate``
without the collector. Each case runs in a fresh interpreter, whose collector statistics are
its own.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.runs import run_python
from tests.vcfgen import vcf_text, write_vcf

ROOT = Path(__file__).resolve().parents[1]
DEMO_VCF = ROOT / "test_data" / "demo.grch38.vep.vcf.gz"

# Prints, as JSON: the collections of each generation the block ran, whether the collector is
# on afterwards, and how many objects are frozen.
MEASURE = """
import gc, json, sys
def collections():
    return [generation["collections"] for generation in gc.get_stats()]
before = collections()
{block}
print(json.dumps({{
    "collections": [a - b for a, b in zip(collections(), before)],
    "enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
    "pipeline": "annotator.pipeline" in sys.modules,
}}))
"""


def measure(block: str, *args: str, cwd: Path) -> dict[str, object]:
    done = run_python("-c", MEASURE.format(block=block), *args, cwd=cwd)
    found: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_importing_the_command_line_collects_nothing_and_freezes(tmp_path: Path) -> None:
    found = measure("import annotator.cli", cwd=tmp_path)
    collections = found["collections"]
    assert isinstance(collections, list)
    # Unpacking the module's own code (before its first line runs) may start a few young
    # collections; its imports, over fifty of them when they were not paused, start none.
    assert collections[0] < 10
    assert collections[1:] == [0, 0]
    assert found["enabled"] is True
    assert isinstance(found["frozen"], int)
    assert found["frozen"] > 10_000


def test_a_collector_turned_off_stays_off(tmp_path: Path) -> None:
    found = measure("gc.disable()\nimport annotator.cli", cwd=tmp_path)
    assert found["enabled"] is False
    assert found["frozen"] == 0


def test_a_demo_run_needs_no_full_collection(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    block = (
        "from annotator.cli import main\n"
        "assert main(['annotate', sys.argv[1], '--tumor-type', 'LUAD', '--out-json', "
        "sys.argv[2], '--quiet']) == 0"
    )
    found = measure(block, str(DEMO_VCF), str(out), cwd=tmp_path)
    assert out.stat().st_size > 0
    assert found["pipeline"] is True, "the run itself must be seen"
    assert found["enabled"] is True
    collections = found["collections"]
    assert isinstance(collections, list)
    assert collections[2] == 0, "a full collection ran: is start-up still paused and frozen?"


# Runs ``annotate`` on argv[1] into argv[2], the installed command's way (``console``, which
# exits the process) or a library caller's (``main``), and writes a line to stderr for each
# collection that starts once the pipeline is imported.
RUN_COUNTING_COLLECTIONS = """
import gc, sys
from annotator import cli
def note(phase, info):
    if phase == "start" and "annotator.pipeline" in sys.modules:
        sys.stderr.write(f"collection of generation {{info['generation']}}\\n")
gc.callbacks.append(note)
args = ["annotate", sys.argv[1], "--tumor-type", "LUAD", "--out-json", sys.argv[2], "--quiet"]
{call}
"""


def collections_during_a_run(call: str, vcf: Path, tmp_path: Path) -> int:
    out = tmp_path / f"{len(call)}.json"
    done = run_python(
        "-c", RUN_COUNTING_COLLECTIONS.format(call=call), str(vcf), str(out), cwd=tmp_path
    )
    assert json.loads(out.read_text())["summary"]["alleles_in_rule_genes"] == 3000
    return done.stderr.count("collection of generation")


def test_the_installed_command_annotates_without_collections(tmp_path: Path) -> None:
    # 3000 alleles in EGFR (GRCh38 chr7:55019017-55211628): enough for a library caller's run,
    # whose collector stays on, to collect.
    records = [
        f"chr7\t{55_020_000 + 50 * index}\t.\tA\tG\t.\tPASS\t.\tGT:AD\t0/1:10,5"
        for index in range(3000)
    ]
    vcf = write_vcf(tmp_path, vcf_text(records, info_lines=()), "vcf.gz")
    assert collections_during_a_run("cli.main(args)", vcf, tmp_path) > 0
    assert collections_during_a_run("sys.argv[1:] = args\ncli.console()", vcf, tmp_path) == 0
