"""How fast the `milepost` command answers: `--help`, and `report KEY --format json`.

Each is started as a user starts it (the installed `milepost` script in a fresh interpreter),
`runs` times; the figure is the median wall time. The report reads the demo's project from a
SQLite file imported beforehand.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
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


def wall_seconds(args: Sequence[str], cwd: Path, runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([*_command(), *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
    return walls


def run_startup(runs: int = RUNS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="milepost-startup-") as folder:
        scratch = Path(folder)
        database = f"sqlite:///{scratch / 'report.db'}"
        (scratch / "acme.toml").write_text(SAMPLE_SCHEDULE, encoding="utf-8")
        for setup in (["init", "--no-config"], ["schedule", "import", "acme.toml"]):
            subprocess.run([*_command(), "--database", database, *setup], cwd=scratch, check=True,
                           stdout=subprocess.DEVNULL)
        walls = {"cli_help_s": wall_seconds(["--help"], scratch, runs),
                 "cli_report_s": wall_seconds(["--database", database, "report", KEY, "--format", "json"],
                                              scratch, runs)}
    return {**{name: round(statistics.median(times), 3) for name, times in walls.items()},
            "details": {name: {"runs": runs, "fastest_s": round(min(times), 3)} for name, times in walls.items()}}
