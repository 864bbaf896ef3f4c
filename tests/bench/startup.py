"""How fast the `milepost` command starts: `--help`, and `report KEY --format json`.

Each is started as a user starts it (the installed `milepost` script, a fresh interpreter)
five times; the figure is the median wall time and the largest peak resident memory of the
five processes (the kernel's `ru_maxrss` for that child, so the interpreter and every module
it loaded count). A child's `ru_maxrss` also counts the memory of the process it was forked
from before it exec'd, so the command is started by a small starter interpreter (`STARTER`)
rather than by this one, which holds far more than `milepost --help` ever will. The report reads the demo's five-phase project from a SQLite file made
beforehand. Goals on the reference machine: `--help` under 0.3 s, the report under 0.6 s.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connector.cli.demo import SAMPLE_SCHEDULE
from connector.cli.sample import KEY

RUNS = 5


def _command() -> list[str]:
    """The `milepost` script beside this interpreter, as installed; else the module."""
    script = Path(sys.executable).with_name("milepost")
    return [str(script)] if script.exists() else [sys.executable, "-m", "connector.cli"]


# Forks, execs `milepost ...` with its output discarded, waits, and prints wall seconds, the
# child's ru_maxrss (KiB), its exit code and its CPU seconds (steadier than wall time on a
# machine others share).
STARTER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    sink = os.open(os.devnull, os.O_WRONLY)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status),
      usage.ru_utime + usage.ru_stime)
"""


def time_command(args: Sequence[str], cwd: Path, runs: int = RUNS) -> dict[str, Any]:
    """Median wall seconds and peak RSS (KiB) of `milepost ARGS` over `runs` starts."""
    walls, peaks, cpus = [], [], []
    for _ in range(runs):
        said = subprocess.run([sys.executable, "-I", "-S", "-c", STARTER, *_command(), *args], cwd=cwd,
                              capture_output=True, text=True, check=True).stdout.split()
        wall, peak, code, cpu = float(said[0]), int(said[1]), int(said[2]), float(said[3])
        if code != 0:
            raise RuntimeError(f"milepost {' '.join(args)} exited {code}")
        walls.append(wall)
        peaks.append(peak)
        cpus.append(cpu)
    return {"median_s": round(statistics.median(walls), 4), "runs": runs, "min_s": round(min(walls), 4),
            "cpu_s": round(statistics.median(cpus), 4), "peak_kib": max(peaks)}


def run_startup(runs: int = RUNS) -> dict[str, Any]:
    """`cli_help_s` and `cli_report_s` (median wall seconds), with each one's fastest start,
    CPU seconds and peak resident memory in `details`."""
    scratch = Path(tempfile.mkdtemp(prefix="milepost-startup-"))
    try:
        database = f"sqlite:///{scratch / 'report.db'}"
        (scratch / "acme.toml").write_text(SAMPLE_SCHEDULE, encoding="utf-8")
        for setup in (["init", "--no-config"], ["schedule", "import", "acme.toml"]):
            subprocess.run([*_command(), "--database", database, *setup], cwd=scratch, check=True,
                           stdout=subprocess.DEVNULL)
        timed = {
            "cli_help_s": time_command(["--help"], scratch, runs),
            "cli_report_s": time_command(["--database", database, "report", KEY, "--format", "json"],
                                         scratch, runs),
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {**{name: figure["median_s"] for name, figure in timed.items()},
            "details": {name: {"runs": figure["runs"], "fastest_s": figure["min_s"], "cpu_s": figure["cpu_s"],
                               "peak_rss_mb": round(figure["peak_kib"] / 1024, 1)}
                        for name, figure in timed.items()}}
