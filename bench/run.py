#!/usr/bin/env python3
"""Benchmark harness for resistance-annotator (issue 7). Not a test: it measures and reports.

Generates synthetic somatic VCFs with ``../shared/bench/make_vcf.py`` (cached outside the
repository), runs the annotator and the baseline tools on the same files in the same run,
prints wall times, peak RSS and the ratios the issue sets targets for, and records the
results with the machine, date and versions in ``bench/RESULTS.md``.

    python bench/run.py --quick     # `make bench-quick`: 100k and 1M records
    python bench/run.py             # `make bench`: 100k, 1M and 5M records

Every command is timed by this script (wall clock around fork/exec; peak RSS and CPU time
from GNU time, or a minimal fork/wait4 helper), so numerator and denominator of a ratio are
measured the same way. See bench/README.md for the options and what each row means.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import importlib.util
import io
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
RESULTS_MD = REPO / "bench" / "RESULTS.md"
DEFAULT_BENCH_DIR = "/tmp/resistance-annotator-bench"  # noqa: S108 (a cache, not a temp file)
DEFAULT_SHARED = REPO.parent / "shared" / "bench"
SEED = 1
TUMOR_TYPE = "LUAD"
SIZES = {"100k": 100_000, "1m": 1_000_000, "5m": 5_000_000}
#: make_vcf.py's 34 gene spans (genes.bed) cover 3,976,342 bp, 0.13% of a 3.1 Gb genome: the
#: share of a whole-genome VCF's records they hold when variants fall uniformly. The default
#: inputs put 10% of the records there (78x enriched), so the records in the rule regions grow
#: with the file and no indexed reader (bcftools -R included) can be size-independent on them.
SPARSE_GENE_FRACTION = 0.0013
#: Gene fractions of the inputs named v<size>.<key>: ``sparse``, the genome's density; ``same``
#: (100k records only), about as many records in the gene spans as v5m.sparse, so that the
#: pair differs in the records outside them only. v5m.sparse holds 5M x f records placed in
#: the spans and about as many again among the records placed uniformly (f of them fall in the
#: spans); 100k x (f' + f) = 5M x 2f gives f' = f x (2 x 50 - 1). Measured (bcftools view -R
#: genes.bed): 12,822 and 13,019 records; 5,658 and 5,109 in the annotator's rule regions.
DENSITIES = {
    "sparse": SPARSE_GENE_FRACTION,
    "same": round(SPARSE_GENE_FRACTION * (2 * SIZES["5m"] / SIZES["100k"] - 1), 6),
}
QUICK_SIZES = ("100k", "1m")
FULL_SIZES = ("100k", "1m", "5m")
REF_SIZE = "1m"  # reference rows (the facts) and the --out-vcf comparison use this size

# Baseline tools: name -> (what needs it, how to install).
TOOLS = {
    "bcftools": ("every ratio's denominator, bcftools annotate", "apt-get install -y bcftools"),
    "bgzip": ("bgzip -d -@2 row, python line split row", "apt-get install -y tabix"),
    "zcat": ("zcat row", "apt-get install -y gzip"),
}
OPTIONAL_TOOLS = {"vcfanno": "vcfanno reference row (the issue's 3.6 s) is not measured"}


# ------------------------------------------------------------------------------------------
# Running and timing one command
# ------------------------------------------------------------------------------------------


@dataclass
class Result:
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds
    rc: int = 0
    timed_out: bool = False
    findings: int | None = None

    @property
    def ok(self) -> bool:
        return self.rc == 0 and bool(self.times)

    @property
    def wall(self) -> float:
        return statistics.median(self.times)

    @property
    def cpu_s(self) -> float:
        return statistics.median(self.cpu) if self.cpu else 0.0

    @property
    def peak_mb(self) -> float:
        return max(self.rss_kb, default=0) / 1024.0


@dataclass
class Measure:
    key: str  # unique, e.g. "annot:findings:noidx:v1m"
    label: str  # human-readable measurement
    inp: str  # input id, e.g. "v1m" or "v1m.csq" ("-" for none)
    cmd: list[str] | str  # argv, or a bash pipeline string
    stdout: Path | None = None  # None: /dev/null
    annotator: bool = False
    hf_name: str = ""  # summarize_hyperfine.py measurement name
    tsv: Path | None = None  # findings TSV to count
    outputs: tuple[Path, ...] = ()  # deleted before every run (no stale results)
    min_runs: int = 1  # runs of one pass even past the repeat budget (a target's commands)
    result: Result = field(default_factory=Result)

    def shell_text(self) -> str:
        if isinstance(self.cmd, str):
            return self.cmd
        text = " ".join(_quote(a) for a in self.cmd)
        if self.stdout is None:
            text += " > /dev/null"
        return text


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


# Peak RSS must come from a process forked by a small parent: a child forked from this Python
# process carries its high-water mark through exec (Linux keeps the pre-exec mm's peak), so
# `wait4` here would report at least this script's size. GNU time (package `time`) forks the
# command and reports its own child's peak; without it, a minimal Python does the same
# (its ~10 MB then sets a floor on the small tools' RSS).
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
_RSS_HELPER = """import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, st, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write("%d %.2f %.2f\\n" % (ru.ru_maxrss, ru.ru_utime, ru.ru_stime))
rc = os.waitstatus_to_exitcode(st)
sys.exit(rc if rc >= 0 else 128 - rc)
"""


def rss_wrapper(rss_file: Path) -> list[str]:
    if GNU_TIME:
        return [GNU_TIME, "-f", "%M %U %S", "-o", str(rss_file)]
    return [sys.executable, "-I", "-S", "-c", _RSS_HELPER, str(rss_file)]


def read_usage(rss_file: Path) -> tuple[int, float]:
    """(peak RSS kB, user + system s) from the wrapper's last line ("RSS USER SYS"; GNU time
    may first say how the command ended)."""
    try:
        lines = rss_file.read_text().splitlines()
    except OSError:
        return 0, 0.0
    for line in reversed(lines):
        f = line.split()
        if len(f) == 3 and f[0].isdigit():
            try:
                return int(f[0]), float(f[1]) + float(f[2])
            except ValueError:
                break
    return 0, 0.0


def run_once(
    m: Measure, timeout: float, log: Path, cwd: Path | None = None
) -> tuple[float, int, float, int, bool]:
    """Run ``m`` once: (wall s, peak RSS kB, CPU s, exit code, timed out)."""
    argv = ["bash", "-o", "pipefail", "-c", m.cmd] if isinstance(m.cmd, str) else m.cmd
    rss_file = log.with_suffix(".rss")
    for stale in (rss_file, *m.outputs):
        stale.unlink(missing_ok=True)
    with (
        open(m.stdout or os.devnull, "wb") as out,
        open(log, "ab") as err,
    ):
        err.write(("$ " + m.shell_text() + "\n").encode())
        err.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603
            [*rss_wrapper(rss_file), *argv],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            start_new_session=True,  # its own process group: killed as one on timeout
        )
        killed = threading.Event()

        def kill() -> None:
            # Kill the command, not its time wrapper, so the wrapper still reports the peak
            # RSS so far; the whole group (all started by this script) only as a fallback.
            killed.set()
            try:
                kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            except OSError:
                kids = []
            for kid in kids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(kid), signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)  # the wrapper exits once its command is gone
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # leftovers of a pipeline

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            proc.wait()
        except BaseException:  # Ctrl-C, SIGTERM: do not leave the command running
            kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    rc = proc.returncode
    rss, cpu = read_usage(rss_file)
    return wall, rss, cpu, rc, killed.is_set()


def measure(m: Measure, args: argparse.Namespace, logdir: Path) -> None:
    """Run ``m`` (again: a denominator is measured before and after its numerator)."""
    log = logdir / (re.sub(r"[^\w.-]+", "_", m.key) + ".log")
    r = m.result
    if not r.times:
        log.unlink(missing_ok=True)
    elif not r.ok:
        return
    this_pass: list[float] = []
    while True:
        wall, rss, cpu, rc, timed_out = run_once(m, args.timeout, log, args.run_cwd)
        this_pass.append(wall)
        r.times.append(wall)
        r.rss_kb.append(rss)
        r.cpu.append(cpu)
        if rc != 0 or timed_out:
            r.rc, r.timed_out = rc, timed_out
            break
        # cheap commands are repeated (median reported); expensive ones run once, but a
        # target's at least ``min_runs`` times
        if len(this_pass) >= args.runs or (
            sum(this_pass) >= args.repeat_budget and len(this_pass) >= m.min_runs
        ):
            break
    if m.tsv is not None and m.tsv.exists() and r.ok:
        with open(m.tsv) as fh:
            r.findings = max(0, sum(1 for _ in fh) - 1)
    status = ""
    if r.timed_out:
        status = f"  TIMED OUT after {args.timeout:.0f} s"
    elif r.rc != 0:
        status = f"  FAILED (exit {r.rc}); log: {log}"
    print(
        f"  {m.label:<44} {m.inp:<9} {fmt_wall(r):>9} s  CPU {r.cpu_s:7.2f} s  {r.peak_mb:5.0f} MB"
        f"  ({len(r.times)} run{'s' if len(r.times) > 1 else ''}){status}",
        flush=True,
    )
    if r.rc != 0 and not r.timed_out:
        tail = log.read_text(errors="replace").splitlines()[-8:]
        print("\n".join("      | " + line for line in tail), flush=True)


# ------------------------------------------------------------------------------------------
# Inputs (cached outside the repository)
# ------------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_make_vcf(shared: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_vcf", shared / "make_vcf.py")
    if spec is None or spec.loader is None:
        sys.exit(f"bench: cannot load {shared / 'make_vcf.py'}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ensure_vcf(
    data: Path, shared: Path, size: str, csq: bool, density: str = ""
) -> tuple[Path, Path]:
    """(indexed path, unindexed path) of the input; generated once, then reused. ``density``
    (a key of ``DENSITIES``): records inside the gene spans at that fraction instead of
    make_vcf.py's default 10%."""
    name = f"v{size}{'.csq' if csq else ''}{'.' + density if density else ''}.vcf.gz"
    idx, noidx = data / "idx" / name, data / "noidx" / name
    gen_args = ["--records", str(SIZES[size]), "--seed", str(SEED), "--index", "--threads", "2"]
    if not csq:
        gen_args.append("--no-csq")
    if density:
        gen_args += ["--gene-fraction", str(DENSITIES[density])]
    stamp = idx.with_name(name + ".stamp")
    want = json.dumps({"make_vcf": sha256(shared / "make_vcf.py"), "args": gen_args})
    tbi = idx.with_name(name + ".tbi")
    fresh = stamp.exists() and stamp.read_text() == want and idx.exists() and tbi.exists()
    if not fresh:
        idx.parent.mkdir(parents=True, exist_ok=True)
        tmp = idx.with_name("tmp." + name)
        print(f"  generating {name} ({SIZES[size]:,} records; one time, cached) ...", flush=True)
        t0 = time.perf_counter()
        subprocess.run(  # noqa: S603
            [sys.executable, str(shared / "make_vcf.py"), *gen_args, "--out", str(tmp)],
            check=True,
        )
        tmp.rename(idx)
        tmp.with_name(tmp.name + ".tbi").rename(tbi)
        stamp.write_text(want)
        print(f"  generated {idx} in {time.perf_counter() - t0:.0f} s", flush=True)
    noidx.parent.mkdir(parents=True, exist_ok=True)
    for stale in (noidx.with_name(name + ".tbi"), noidx.with_name(name + ".csi")):
        stale.unlink(missing_ok=True)
    if not fresh or not noidx.exists() or not os.path.samefile(idx, noidx):
        noidx.unlink(missing_ok=True)
        try:
            os.link(idx, noidx)  # same bytes, no index beside it
        except OSError:
            shutil.copy2(idx, noidx)
    return idx, noidx


def ensure_side_files(data: Path, shared: Path) -> tuple[Path, Path, Path]:
    """genes.bed (make_vcf's gene spans), hotspot table (tabix) and its header line."""
    bed = data / "genes.bed"
    if not bed.exists():
        subprocess.run(  # noqa: S603
            [
                sys.executable,
                str(shared / "make_vcf.py"),
                "--records",
                "0",
                "--genes-bed",
                str(bed),
            ],
            check=True,
        )
    table = data / "hotspots.tsv.gz"
    hdr = data / "hotspots.hdr"
    if not table.exists() or not table.with_name(table.name + ".tbi").exists():
        import pysam  # noqa: PLC0415 (the annotator's dependency; only needed here)

        mv = load_make_vcf(shared)
        order = {c: i for i, (c, _) in enumerate(mv.CONTIGS)}
        rows = sorted(mv.HOTSPOTS, key=lambda h: (order[h[1]], h[2]))
        plain = data / "hotspots.tsv"
        with open(plain, "w") as fh:
            for sym, chrom, pos, ref, alt, _cons, _c, hgvsp, _exon in rows:
                fh.write(f"{chrom}\t{pos}\t{ref}\t{alt}\t{sym}_{hgvsp[2:]}\n")
        pysam.tabix_index(str(plain), seq_col=0, start_col=1, end_col=1, force=True)
    hdr.write_text('##INFO=<ID=DRUGRULE,Number=.,Type=String,Description="benchmark rule id">\n')
    return bed, table, hdr


def compile_sources(tree: Path) -> None:
    """Byte-compile the measured ``annotator/`` as ``pip install`` does for a wheel: an editable
    install or a snapshot has no ``.pyc`` files, and with PYTHONDONTWRITEBYTECODE set (as on
    some machines) every run would compile every module again (~0.2 s of start-up)."""
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "compileall", "-q", str(tree / "annotator")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def warm_rules_cache(annotator: list[str], bench_dir: Path, cwd: Path | None) -> None:
    """Keep the annotator's validated rules in ``BENCH_DIR/rules-cache`` (unless
    ``RESISTANCE_ANNOTATOR_CACHE_DIR`` is set) with one run on the demo VCF, as any run after
    a user's first finds them (annotator/rules/cache.py): every measured run starts alike,
    none reads the YAML. The measured commands inherit the setting."""
    os.environ.setdefault("RESISTANCE_ANNOTATOR_CACHE_DIR", str(bench_dir / "rules-cache"))
    demo = Path(__file__).resolve().parent.parent / "test_data" / "demo.grch38.vep.vcf.gz"
    subprocess.run(  # noqa: S603
        [*annotator, "annotate", str(demo), "--tumor-type", "LUAD", "--out-json", os.devnull],
        cwd=cwd,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _returned_caveat(bed: Path, inputs: dict[str, tuple[Path, Path]]) -> str:
    """What summarize_hyperfine.py's "returned" counts mean for the inputs its own table of
    region hits lacks, with the records ``bcftools view -R genes.bed`` returns from them."""
    counted = []
    for name in ("v100k.sparse", "v100k.same"):
        if name not in inputs:
            continue
        done = subprocess.run(  # noqa: S603
            ["bcftools", "view", "-H", "-R", str(bed), str(inputs[name][0])],  # noqa: S607
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            lines = done.stdout.count(b"\n")
            counted.append(f"{name} {lines:,}")
    if not counted:
        return ""
    return (
        "For a region query, summarize_hyperfine.py takes the records returned from its own "
        "table, which knows only v100k, v1m and v5m (with .csq, and v1m/v5m .sparse): for "
        "v100k.sparse it counts the file's records, and it reads v100k.same as v100k with the "
        "measurement `same.…`. `bcftools view -H -R genes.bed` returns: "
        + ", ".join(counted)
        + " records.\n"
    )


def snapshot(rev: str, bench_dir: Path) -> tuple[str, Path]:
    """Export the committed tree at ``rev`` (``git archive``: read-only on the repository)."""
    out = subprocess.run(  # noqa: S603
        ["git", "-C", str(REPO), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    sha = out.stdout.strip()
    if out.returncode != 0 or not sha:
        sys.exit(f"bench: --rev {rev}: not a commit of {REPO}")
    dest = bench_dir / "snapshots" / sha[:12]
    if not (dest / "annotator" / "__main__.py").exists():
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        tar = subprocess.run(  # noqa: S603
            ["git", "-C", str(REPO), "archive", "--format=tar", sha],  # noqa: S607
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
            tf.extractall(tmp, filter="data")
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    return sha, dest


# ------------------------------------------------------------------------------------------
# Environment: tools, versions, machine
# ------------------------------------------------------------------------------------------


def first_line(argv: list[str], cwd: Path | None = None) -> str:
    try:
        out = subprocess.run(  # noqa: S603
            argv, capture_output=True, text=True, check=False, timeout=60, cwd=cwd
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


def machine_info() -> dict[str, str]:
    cpu = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def versions(annotator: list[str], args: argparse.Namespace) -> dict[str, str]:
    ver = first_line([*annotator, "--version"], args.run_cwd)
    v = {"resistance-annotator": ver.rsplit(" ", 1)[-1] if "version" in ver else ver}
    if args.rev:
        v["git"] = f"{args.rev_sha[:7]} (--rev {args.rev}: committed tree, not the working tree)"
        return {**v, **tool_versions()}
    head = first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    status = ["git", "--no-optional-locks", "-C", str(REPO), "status", "--porcelain", "-uno"]
    status += ["--", "annotator", "rules", "pyproject.toml"]  # what the annotator rows run
    dirty = subprocess.run(  # noqa: S603 (read-only; takes no index lock)
        status,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    v["git"] = head + (" + uncommitted changes in annotator/ or rules/" if dirty else "")
    return {**v, **tool_versions()}


def tool_versions() -> dict[str, str]:
    v: dict[str, str] = {}
    if shutil.which("bcftools"):
        out = subprocess.run(["bcftools", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
        lines = [*out.stdout.splitlines(), "", ""]
        v["bcftools"] = lines[0].removeprefix("bcftools ") + (
            f" (htslib {lines[1].rsplit(' ', 1)[-1]})" if "htslib" in lines[1] else ""
        )
    for tool in ("bgzip", "vcfanno"):
        if shutil.which(tool):
            v[tool] = first_line([tool, "--version"]).rsplit(" ", 1)[-1]
    v["python"] = platform.python_version()
    for mod in ("cyvcf2", "pysam"):
        try:
            v[mod] = __import__(mod).__version__
        except ImportError:
            v[mod] = "not installed"
    return v


# ------------------------------------------------------------------------------------------
# The plan
# ------------------------------------------------------------------------------------------


@dataclass
class Env:
    annotator: list[str]
    out: Path  # annotator and baseline outputs (overwritten each run)
    shared: Path  # ../shared/bench
    out_vcf: bool  # the annotator has --out-vcf
    bed: Path  # make_vcf's gene spans
    table: Path  # hotspot table for bcftools annotate
    hdr: Path  # its ##INFO header line
    inputs: dict[str, tuple[Path, Path]] = field(default_factory=dict)  # id -> (idx, noidx)


#: The annotator's findings series: tabix index, none, none and one process (--threads 1).
_SERIES = {
    "idx": "tabix index",
    "noidx": "no index",
    "noidx1": "no index, --threads 1",
    "tmb": "no index, TMB (--panel-size-mb 30)",
}


def _more_series(size: str, csq: bool, sizes: tuple[str, ...]) -> tuple[str, ...]:
    """The findings series run besides the default ones on an input without index."""
    if csq:
        # TMB in the same pass: every record naming a non-synonymous consequence is parsed
        # too (not an issue target; what the single pass costs).
        return ("tmb",) if size == REF_SIZE else ()
    # One process: what reading in two parts gains, and the memory of one process (the peak
    # RSS of the default run is the larger of its two processes').
    return ("noidx1",) if size != sizes[0] else ()


def _reference_rows(args: argparse.Namespace, env: Env, have: dict[str, bool]) -> list[Measure]:
    """The reference rows: the issue's facts, on the 1M-record files."""
    ann, out = env.annotator, env.out
    loops = str(env.shared / "vcf_loops.py")
    table, hdr = env.table, env.hdr
    py = sys.executable
    plan: list[Measure] = []
    ref = f"v{REF_SIZE}"
    noidx = env.inputs[ref][1]
    csq_noidx = env.inputs[f"{ref}.csq"][1]
    if have["zcat"]:
        plan.append(Measure(f"zcat:{ref}", "zcat", ref, ["zcat", str(noidx)], hf_name="zcat"))
    if have["bgzip"]:
        plan.append(
            Measure(
                f"bgzip:{ref}",
                "bgzip -d -@2",
                ref,
                ["bgzip", "-d", "-@2", "-c", str(noidx)],
                hf_name="bgzip_d_at2",
            )
        )
        plan.append(
            Measure(
                f"pysplit:{ref}",
                "python line split (bgzip -dc | py-text)",
                ref,
                f"bgzip -dc {noidx} | {py} {loops} py-text - > /dev/null",
                hf_name="py_text_split",
            )
        )
    # The Python loops of vcf_loops.py: (key, label, input, mode and arguments, hyperfine name).
    loop_rows = (
        ("cymin", "cyvcf2 loop CHROM/POS/REF/ALT (cy-min)", ref, ["cy-min", noidx], "cy_min"),
        ("pysammin", "pysam loop (pysam-min)", ref, ["pysam-min", noidx], "pysam_min"),
        (
            "cycsq",
            "cyvcf2 loop + CSQ split (cy-csq)",
            f"{ref}.csq",
            ["cy-csq", csq_noidx],
            "cy_csq_split",
        ),
        (
            "cywrite",
            "cyvcf2 read+write, one INFO tag (cy-write)",
            ref,
            ["cy-write", noidx, "--out", out / "cy_write.vcf.gz"],
            "cy_write_all_tag",
        ),
    )
    for key, label, inp, loop_args, hf_name in loop_rows:
        command = [py, loops, *(str(arg) for arg in loop_args)]
        plan.append(Measure(f"{key}:{inp}", label, inp, command, hf_name=hf_name))
    if have["bcftools"]:
        plan.append(
            Measure(
                f"bcfannot:{ref}",
                "bcftools annotate, one tag (-Oz)",
                ref,
                [
                    "bcftools",
                    "annotate",
                    "-a",
                    str(table),
                    "-h",
                    str(hdr),
                    "-c",
                    "CHROM,POS,REF,ALT,INFO/DRUGRULE",
                    "-Oz",
                    "-o",
                    str(out / "bcftools_annotate.vcf.gz"),
                    str(noidx),
                ],
                hf_name="bcftools_annotate",
            )
        )
    if env.out_vcf:
        plan.append(
            Measure(
                f"annot:outvcf:noidx:{ref}",
                "annotator --out-vcf, no index",
                ref,
                [
                    *ann,
                    "annotate",
                    str(noidx),
                    "--tumor-type",
                    args.tumor_type,
                    "--out-vcf",
                    str(out / f"{ref}.annotated.vcf.gz"),
                ],
                stdout=out / f"{ref}.outvcf.stdout",
                annotator=True,
                outputs=(
                    out / f"{ref}.annotated.vcf.gz",
                    out / f"{ref}.annotated.vcf.gz.tbi",
                ),
                hf_name="--out-vcf, no index",
            )
        )
        if have["bcftools"]:
            plan.append(plan[-2])  # bcftools annotate again, after the annotator
    return plan


def build_plan(args: argparse.Namespace, env: Env) -> list[Measure]:
    ann, out, bed = env.annotator, env.out, env.bed
    have = {t: bool(shutil.which(t)) for t in TOOLS}
    plan: list[Measure] = []

    def view_ou(path: Path, inp: str) -> Measure | None:
        if not have["bcftools"]:
            return None
        m = Measure(
            f"view_Ou:{inp}",
            "bcftools view -Ou (parse floor)",
            inp,
            ["bcftools", "view", "-Ou", "-o", "/dev/null", str(path)],
            hf_name="bcftools_view_Ou",
        )
        plan.append(m)
        return m

    def view_r(idx: Path, inp: str) -> None:
        if have["bcftools"]:
            plan.append(
                Measure(
                    f"view_R:{inp}",
                    "bcftools view -R genes.bed (indexed floor)",
                    inp,
                    ["bcftools", "view", "-Ou", "-o", "/dev/null", "-R", str(bed), str(idx)],
                    hf_name="bcftools_view_R",
                )
            )

    def findings(path: Path, inp: str, series: str) -> None:
        stem = f"{inp}.{series}"
        tsv = out / f"{stem}.findings.tsv"
        plan.append(
            Measure(
                f"annot:findings:{series}:{inp}",
                "annotator findings JSON+TSV, " + _SERIES[series],
                inp,
                [
                    *ann,
                    "annotate",
                    str(path),
                    "--tumor-type",
                    args.tumor_type,
                    "--out-json",
                    str(out / f"{stem}.findings.json"),
                    "--out-tsv",
                    str(tsv),
                    *(["--threads", "1"] if series == "noidx1" else []),
                    *(["--panel-size-mb", "30"] if series == "tmb" else []),
                ],
                annotator=True,
                tsv=tsv,
                outputs=(tsv, out / f"{stem}.findings.json"),
                hf_name="findings, " + _SERIES[series],
            )
        )

    for size in args.sizes:
        for csq in (False, True):
            inp = f"v{size}{'.csq' if csq else ''}"
            idx, noidx = env.inputs[inp]
            floor = view_ou(noidx, inp)
            findings(noidx, inp, "noidx")
            for series in _more_series(size, csq, args.sizes):
                findings(noidx, inp, series)
            if floor is not None:
                plan.append(floor)  # measured again after the annotator: one median of both
            if not csq or not args.quick:  # CSQ + index only in the full run
                if not csq:
                    view_r(idx, inp)
                findings(idx, inp, "idx")

    # The indexed path on inputs with the genome's density of records in the gene spans, and
    # on 100k records with as many in the gene spans as v5m.sparse (the file's size alone).
    for inp in (
        f"v{args.sizes[0]}.sparse",
        f"v{args.sizes[-1]}.sparse",
        *(["v100k.same"] if "v100k.same" in env.inputs else []),
    ):
        idx = env.inputs[inp][0]
        view_r(idx, inp)
        findings(idx, inp, "idx")

    # CSQ input with the genome's density of records in the gene spans, no index (context for
    # the CSQ targets, which are measured on the default inputs).
    for size in args.sizes[1:]:
        inp = f"v{size}.csq.sparse"
        noidx = env.inputs[inp][1]
        floor = view_ou(noidx, inp)
        findings(noidx, inp, "noidx")
        if floor is not None:
            plan.append(floor)

    plan.extend(_reference_rows(args, env, have))
    return plan


# ------------------------------------------------------------------------------------------
# Ratios and report
# ------------------------------------------------------------------------------------------


def fmt_wall(r: Result) -> str:
    if not r.times:
        return "-"
    return (">" if r.timed_out else "") + f"{r.wall:.2f}"


@dataclass
class Target:
    name: str
    goal: float
    num: str
    den: str
    value: float | None = None
    lower_bound: bool = False
    note: str = ""
    unit: str = "×"
    rss: bool = False  # a ratio of peak RSS, not of wall time

    def cells(self) -> tuple[str, str, str]:
        if self.value is None:
            goal = f"≤ {self.goal:g}{'×' if self.unit == '×' else ' MB'}"
            return "n/a", goal, self.note or "not measured"
        val = ("> " if self.lower_bound else "") + (
            f"{self.value:.2f}×" if self.unit == "×" else f"{self.value:.0f} MB"
        )
        if self.value > self.goal:
            status = "NOT MET"
        elif self.lower_bound:
            status = "unknown (timed out)"
        else:
            status = "met"
        return (
            val,
            f"≤ {self.goal:g}{'×' if self.unit == '×' else ' MB'}",
            status + (f" ({self.note})" if self.note else ""),
        )


def set_target_runs(plan: list[Measure], targets: list[Target], runs: int) -> None:
    """Give the commands of the wall-time targets at least ``runs`` runs in all, however long
    they take: one run of a 5M-record command is a coin toss on a shared host near a goal. A
    denominator measured before and after its annotator row (it is twice in ``plan``) gets
    half of them in each pass."""
    timed = {key for tg in targets if tg.unit == "×" and not tg.rss for key in (tg.num, tg.den)}
    passes = Counter(id(m) for m in plan)
    for m in plan:
        if m.key in timed:
            m.min_runs = -(-runs // passes[id(m)])


def _context_targets(by_key: dict[str, Measure], big: str, small: str) -> list[Target]:
    """Ratios that are no issue target but tell what the targets' inputs leave out: CSQ input
    at the genome's density of records in the gene spans, and the file's size alone."""
    t = [
        Target(
            f"VEP CSQ input at genome density (.csq.sparse), {size.upper()} records, no index:"
            " annotator / bcftools view -Ou (not an issue target: context for the CSQ rows)",
            goal,
            f"annot:findings:noidx:v{size}.csq.sparse",
            f"view_Ou:v{size}.csq.sparse",
        )
        for size, goal in (("1m", 1.0), ("5m", 0.8))
        if f"annot:findings:noidx:v{size}.csq.sparse" in by_key
    ]
    if big == "5m" and small == "100k":
        t.append(
            Target(
                "tabix index, as many records in the rule regions (v5m.sparse / v100k.same):"
                " annotator 5M / 100k records (not an issue target: the file's size alone)",
                1.2,
                "annot:findings:idx:v5m.sparse",
                "annot:findings:idx:v100k.same",
            )
        )
    return t


def compute_targets(
    by_key: dict[str, Measure], args: argparse.Namespace, out_vcf: bool
) -> list[Target]:
    big = args.sizes[-1]
    small = args.sizes[0]
    proxy = "" if big == "5m" else f"quick run: {big.upper()} stands in for 5M"
    t: list[Target] = []

    def ratio(tg: Target, rss: bool = False) -> Target:
        tg.rss = rss
        a, b = by_key.get(tg.num), by_key.get(tg.den)
        if a is None or b is None:
            missing = tg.num if a is None else tg.den
            tg.note = tg.note or f"{missing} not in this run"
            return tg
        if not a.result.ok and not a.result.timed_out:
            tg.note = f"{a.label} failed"
            return tg
        if not b.result.ok:
            tg.note = f"{b.label} failed"
            return tg
        if rss:
            tg.value = a.result.peak_mb / b.result.peak_mb
        else:
            tg.value = a.result.wall / b.result.wall
        tg.lower_bound = a.result.timed_out
        if proxy and "5M" in tg.name:
            tg.note = proxy
        return tg

    for csq in (False, True):
        sfx = ".csq" if csq else ""
        what = "VEP CSQ input: " if csq else ""
        t.append(
            ratio(
                Target(
                    f"{what}findings only, 1M records, no index: annotator / bcftools view -Ou",
                    1.0,
                    f"annot:findings:noidx:v1m{sfx}",
                    f"view_Ou:v1m{sfx}",
                )
            )
        )
        t.append(
            ratio(
                Target(
                    f"{what}findings only, 5M records, no index: annotator / bcftools view -Ou",
                    0.8,
                    f"annot:findings:noidx:v{big}{sfx}",
                    f"view_Ou:v{big}{sfx}",
                )
            )
        )
        tg = Target(
            f"{what}tabix index: annotator 5M / 100k records",
            1.2,
            f"annot:findings:idx:v{big}{sfx}",
            f"annot:findings:idx:v{small}{sfx}",
        )
        if csq and args.quick:
            tg.note = "full run only (make bench)"
            t.append(tg)
        else:
            t.append(ratio(tg))
        if not csq:
            tg = Target(
                "--out-vcf, 1M records: annotator / bcftools annotate one tag",
                1.0,
                "annot:outvcf:noidx:v1m",
                "bcfannot:v1m",
            )
            if out_vcf:
                t.append(ratio(tg))
            else:
                tg.note = "skipped: `annotate --help` has no --out-vcf yet"
                t.append(tg)
    t.append(
        ratio(
            Target(
                "tabix index, genome-density input (.sparse): annotator 5M / 100k records",
                1.2,
                f"annot:findings:idx:v{big}.sparse",
                f"annot:findings:idx:v{small}.sparse",
            )
        )
    )
    tg = Target(
        "peak RSS, findings, no index: 5M / 100k records",
        1.3,
        f"annot:findings:noidx:v{big}",
        f"annot:findings:noidx:v{small}",
    )
    t.append(ratio(tg, rss=True))
    tg = Target(
        "peak RSS, findings, no index, one process (--threads 1): 5M / 100k records",
        1.3,
        f"annot:findings:noidx1:v{big}",
        f"annot:findings:noidx:v{small}",  # 100k is read in one process anyway (< 16 MB)
    )
    t.append(ratio(tg, rss=True))
    m = by_key.get(f"annot:findings:noidx:v{big}")
    tg = Target(
        "peak RSS, findings, no index, 5M records", 300.0, m.key if m else "", "", unit="MB"
    )
    if m is not None and m.result.times:
        tg.value, tg.lower_bound = m.result.peak_mb, m.result.timed_out
        tg.note = proxy
    t.append(tg)
    t.extend(ratio(tg) for tg in _context_targets(by_key, big, small))
    return t


def render_tables(plan: list[Measure], targets: list[Target]) -> str:
    floor = {m.inp: m for m in plan if m.key.startswith("view_Ou:") and m.result.ok}
    lines = [
        "| measurement | input | records | wall s (median) | CPU s (user+sys) | runs "
        "| peak RSS MB | findings | wall × bcftools view -Ou |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in plan:
        r = m.result
        base = m.inp.split(".")[0][1:]
        recs = f"{SIZES[base]:,}" if base in SIZES else "-"
        rel = "-"
        f = floor.get(m.inp)
        if f is not None and r.times and (r.ok or r.timed_out):
            rel = (">" if r.timed_out else "") + f"{r.wall / f.result.wall:.2f}"
        wall = fmt_wall(r) if (r.ok or r.timed_out) else f"FAILED (exit {r.rc})"
        label = m.label.replace("|", "\\|")
        label = f"**{label}**" if m.annotator else label
        lines.append(
            f"| {label} | {m.inp} | {recs} | {wall} | {r.cpu_s:.2f} | {len(r.times)} | "
            f"{r.peak_mb if r.rss_kb else 0:.0f} | "
            f"{'' if r.findings is None else r.findings} | {rel} |"
        )
    lines += ["", "| target | measured | goal | status |", "|---|---:|---:|---|"]
    for tg in targets:
        val, goal, status = tg.cells()
        lines.append(f"| {tg.name} | {val} | {goal} | {status} |")
    return "\n".join(lines)


def export_hyperfine(plan: list[Measure], rundir: Path) -> Path:
    """hyperfine-style JSON per measurement, named as summarize_hyperfine.py expects."""
    hf = rundir / "hyperfine"
    hf.mkdir(parents=True, exist_ok=True)
    annot: dict[str, list[dict[str, object]]] = {}
    for m in plan:
        r = m.result
        if not r.ok:
            continue
        entry: dict[str, object] = {
            "command": m.hf_name or m.key,
            "mean": statistics.fmean(r.times),
            "stddev": statistics.stdev(r.times) if len(r.times) > 1 else None,
            "median": r.wall,
            "min": min(r.times),
            "max": max(r.times),
            "times": r.times,
            "memory_usage_byte": [kb * 1024 for kb in r.rss_kb],
            "exit_codes": [0] * len(r.times),
        }
        if m.annotator:
            annot.setdefault(m.inp, []).append(entry)
        else:
            (hf / f"{m.inp}.{m.hf_name}.json").write_text(json.dumps({"results": [entry]}))
    for inp, entries in annot.items():
        (hf / f"annot.{inp}.json").write_text(json.dumps({"results": entries}))
    return hf


def update_results_md(section_id: str, body: str) -> None:
    start, end = f"<!-- bench:{section_id} -->", f"<!-- /bench:{section_id} -->"
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else ""
    marker = "<!-- bench:runs (newest first; bench/run.py keeps one section per date and mode) -->"
    if marker not in text:
        text = (
            "# Benchmark results\n\n"
            "Written by `bench/run.py` (`make bench`, `make bench-quick`); see "
            "[README.md](README.md) for what each row measures. Ratios are measured in one run "
            "on one machine; compare runs only on the same machine class.\n\n" + marker + "\n"
        )
    block = f"{start}\n{body.rstrip()}\n{end}\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.replace(marker, marker + "\n\n" + block, 1)
    RESULTS_MD.write_text(re.sub(r"\n{3,}", "\n\n", text))


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="100k and 1M records, no CSQ+index series (make bench-quick)",
    )
    p.add_argument("--sizes", help="comma-separated subset of 100k,1m,5m (overrides --quick's)")
    p.add_argument(
        "--bench-dir",
        default=os.environ.get("BENCH_DIR", DEFAULT_BENCH_DIR),
        help="cache for generated inputs and outputs (default: $BENCH_DIR, else %(default)s)",
    )
    p.add_argument(
        "--shared-dir",
        default=os.environ.get("BENCH_SHARED", str(DEFAULT_SHARED)),
        help="directory holding make_vcf.py, vcf_loops.py, summarize_hyperfine.py",
    )
    p.add_argument(
        "--annotator",
        default=os.environ.get("BENCH_ANNOTATOR"),
        help="annotator command (default: resistance-annotator beside this python)",
    )
    p.add_argument(
        "--rev",
        default=os.environ.get("BENCH_REV"),
        help="measure the annotator as committed at this git revision (exported with git "
        "archive into BENCH_DIR/snapshots/, run with this venv's Python) instead of the "
        "working tree",
    )
    p.add_argument("--tumor-type", default=TUMOR_TYPE)
    p.add_argument("--runs", type=int, default=3, help="at most this many runs per command")
    p.add_argument(
        "--target-runs",
        type=int,
        default=3,
        help="run the commands of the wall-time targets at least this many times (median)",
    )
    p.add_argument(
        "--repeat-budget",
        type=float,
        default=5.0,
        help="repeat a command only while its runs total under this many seconds",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="kill a command after this many seconds; its time becomes a lower bound "
        "(default 300 with --quick, else 1800)",
    )
    p.add_argument("--no-results-md", action="store_true", help="do not update bench/RESULTS.md")
    p.add_argument("--check", action="store_true", help="exit 1 when a measured target is not met")
    a = p.parse_args(argv)
    a.sizes = (
        tuple(a.sizes.lower().split(",")) if a.sizes else (QUICK_SIZES if a.quick else FULL_SIZES)
    )
    if any(s not in SIZES for s in a.sizes):
        p.error("--sizes: choose from " + ",".join(SIZES))
    a.sizes = tuple(s for s in SIZES if s in a.sizes)
    if REF_SIZE not in a.sizes:
        a.sizes = tuple(s for s in SIZES if s in (*a.sizes, REF_SIZE))
    if a.timeout is None:
        a.timeout = 300.0 if a.quick else 1800.0
    return a


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # runs run_once's cleanup
    mode = "quick" if args.quick else "full"
    started = dt.datetime.now()
    t_start = time.perf_counter()
    shared = Path(args.shared_dir).resolve()
    for f in ("make_vcf.py", "vcf_loops.py", "summarize_hyperfine.py"):
        if not (shared / f).exists():
            sys.exit(f"bench: {shared / f} not found (set --shared-dir or BENCH_SHARED)")
    bench_dir = Path(args.bench_dir)
    args.run_cwd, args.rev_sha = None, ""
    if args.rev:
        # the snapshot's annotator package, with this venv's dependencies; run from the
        # snapshot so `python -m annotator` cannot pick up the working tree instead
        args.rev_sha, snap = snapshot(args.rev, bench_dir)
        args.run_cwd = snap
        annotator = ["env", f"PYTHONPATH={snap}", sys.executable, "-m", "annotator"]
        print(f"  annotator: {args.rev} = {args.rev_sha[:12]} exported to {snap}", flush=True)
    elif args.annotator:
        annotator = args.annotator.split()
    else:
        exe = Path(sys.executable).parent / "resistance-annotator"
        if not exe.exists():
            sys.exit(
                f"bench: {exe} not found: install the annotator first "
                "(`make test`, or `.venv/bin/pip install -e .`)"
            )
        annotator = [str(exe)]

    if args.rev:
        compile_sources(args.run_cwd)
    elif not args.annotator:
        compile_sources(Path(__file__).resolve().parent.parent)
    warm_rules_cache(annotator, bench_dir, args.run_cwd)

    data, out = bench_dir / "data", bench_dir / "out"
    rundir = bench_dir / "runs" / f"{started:%Y%m%d-%H%M%S}-{mode}"
    for d in (data, out, rundir):
        d.mkdir(parents=True, exist_ok=True)

    print(
        f"resistance-annotator benchmark ({mode}: {', '.join(s.upper() for s in args.sizes)} "
        f"records); cache {bench_dir}",
        flush=True,
    )
    missing = [t for t in TOOLS if not shutil.which(t)]
    for t in missing:
        print(
            f"  MISSING baseline tool {t}: not measured: {TOOLS[t][0]} (install: {TOOLS[t][1]})",
            flush=True,
        )
    for t, what in OPTIONAL_TOOLS.items():
        if not shutil.which(t):
            print(f"  not installed (optional): {t}: {what}", flush=True)
    help_text = subprocess.run(  # noqa: S603
        [*annotator, "annotate", "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=args.run_cwd,
    ).stdout
    out_vcf = "--out-vcf" in help_text
    if not out_vcf:
        print("  annotator has no --out-vcf yet (annotate --help): that row is skipped", flush=True)

    bed, table, hdr = ensure_side_files(data, shared)
    env = Env(annotator, out, shared, out_vcf, bed, table, hdr)
    for size in args.sizes:
        for csq in (False, True):
            env.inputs[f"v{size}{'.csq' if csq else ''}"] = ensure_vcf(data, shared, size, csq)
    for size in (args.sizes[0], args.sizes[-1]):
        env.inputs[f"v{size}.sparse"] = ensure_vcf(data, shared, size, False, "sparse")
    for size in args.sizes[1:]:
        env.inputs[f"v{size}.csq.sparse"] = ensure_vcf(data, shared, size, True, "sparse")
    if args.sizes[-1] == "5m":
        env.inputs["v100k.same"] = ensure_vcf(data, shared, "100k", False, "same")

    info = machine_info()
    vers = versions(annotator, args)
    plan = build_plan(args, env)
    set_target_runs(plan, compute_targets({}, args, out_vcf), args.target_runs)
    print(
        f"running {len({m.key for m in plan})} measurements (timeout {args.timeout:.0f} s each; "
        "a denominator runs again after its annotator row) ...",
        flush=True,
    )
    for m in plan:
        measure(m, args, rundir)
    by_key = {m.key: m for m in plan}
    unique = list(by_key.values())  # first-run order; a bracketing denominator appears twice
    targets = compute_targets(by_key, args, out_vcf)
    tables = render_tables(unique, targets)
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    elapsed = time.perf_counter() - t_start

    hf = export_hyperfine(unique, rundir)
    summary = subprocess.run(  # noqa: S603
        [sys.executable, str(shared / "summarize_hyperfine.py"), str(hf)],
        capture_output=True,
        text=True,
        check=False,
    )
    print("\n" + tables + "\n", flush=True)

    cd = f"cd {args.run_cwd} && " if args.run_cwd else ""
    cmd_lines = "\n".join(
        f"- {m.label} ({m.inp}): `{cd if m.annotator else ''}{m.shell_text()}`" for m in unique
    )
    cmd_lines = cmd_lines.replace(str(bench_dir), "$BENCH_DIR").replace(str(REPO) + "/", "")
    cmd_lines = cmd_lines.replace(str(shared), "../shared/bench")
    body = "\n".join(
        [
            f"## {started:%Y-%m-%d} · {'make bench-quick' if args.quick else 'make bench'}"
            + (f" · annotator at {args.rev_sha[:7]}" if args.rev else " · working tree"),
            "",
            f"- date: {started:%Y-%m-%d %H:%M} (local), took {elapsed / 60:.1f} min",
            f"- machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} RAM, "
            f"Linux {info['kernel']}; load average {info['load']} before, {load_after} after "
            "(shared machine: other jobs may have been running)",
            "- versions: " + "; ".join(f"{k} {v}" for k, v in vers.items()),
            f"- inputs: make_vcf.py --seed {SEED} (gene fraction 0.10, CSQ on every record in the "
            "`.csq` files), bgzipped; warm page cache; times are the median of up to "
            f"{args.runs} runs (cheap commands; a wall-time target's commands at least "
            f"{args.target_runs}), peak RSS the maximum over runs",
            "",
            tables,
            "",
            "<details><summary>Commands</summary>\n",
            cmd_lines,
            "\n</details>",
            "",
            "<details><summary>Per-record rates "
            "(../shared/bench/summarize_hyperfine.py)</summary>\n",
            _returned_caveat(env.bed, env.inputs),
            summary.stdout.strip()
            if summary.returncode == 0
            else f"summarize_hyperfine.py failed: {summary.stderr.strip()[-500:]}",
            "\n</details>",
        ]
    )
    (rundir / "RESULTS.section.md").write_text(body + "\n")
    if not args.no_results_md:
        section = f"{started:%Y-%m-%d}-{mode}" + (f"-{args.rev_sha[:7]}" if args.rev else "")
        update_results_md(section, body)
        print(f"updated {RESULTS_MD.relative_to(REPO)}; logs and JSON in {rundir}", flush=True)
    print(f"done in {elapsed / 60:.1f} min", flush=True)
    failed = [m.key for m in unique if not m.result.ok and not m.result.timed_out]
    if failed:
        print("FAILED: " + ", ".join(failed), file=sys.stderr)
        return 2
    if args.check and any(
        tg.value is not None and (tg.lower_bound or tg.value > tg.goal) for tg in targets
    ):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
