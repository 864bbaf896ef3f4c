"""`python -m tests.bench [--tiny] [--out FILE] [--no-postgres]`: Milepost's speed and memory.

Prints each figure and writes them all, with the machine's details (its load average too: the
machine may be shared), to tests/bench/results.json (git-ignored). Two kinds of figure:

- `figures`: Milepost against the platforms' ceilings (ceilings.py, startup.py), each with a
  goal (goals.py): calls per sync, share of the rate limits, acceptance-to-draft latency, the
  worker's memory and CPU, the command's start-up. `details` says how each was taken.
- `results`: throughput of the billing core and of Milepost's overhead around the platforms
  (billing.py, platforms.py), each timed once with its memory peak on a tenth of it.

Nothing here asserts a time: a figure is a measurement, to compare between commits on one
machine. `--tiny` runs every benchmark on a handful of items through the same code (the smoke
test uses it to prove the benchmarks still run). `make baseline` writes a full run to
baseline.json and renders the README's table from it (`python -m tests.bench.table`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .billing import run_billing
from .ceilings import (
    FULL_LOADS,
    TINY_LOADS,
    Loads,
    ceiling,
    cpu_per_draft,
    first_sync_memory,
    latencies,
    sync_calls,
)
from .goals import GOALS, shown, verdict
from .machine import machine_details, postgres_schema
from .platforms import build_stack, sandbox_reads, webhook_flood
from .processes import SandboxProcess, load_average
from .startup import run_startup

RESULTS = Path(__file__).with_name("results.json")


@dataclass(frozen=True)
class Sizes:
    requests: int
    projects: int
    repeats: int
    sample: int  # memory peaks are taken over 1/sample of each figure's items
    webhook_entities: int = 3000


FULL = Sizes(requests=1000, projects=1000, repeats=2000, sample=10)
TINY = Sizes(requests=10, projects=10, repeats=10, sample=2, webhook_entities=20)


@contextmanager
def databases(use_postgres: bool, scratch: Path) -> Iterator[dict[str, Callable[[], str]]]:
    """Backend name -> a maker of fresh, empty database URLs (dropped afterwards)."""
    made = iter(range(1_000_000))
    with ExitStack() as cleanup:
        found: dict[str, Callable[[], str]] = {
            "sqlite": lambda: f"sqlite:///{scratch / f'bench{next(made)}.db'}"}
        if use_postgres:
            found["postgres"] = lambda: cleanup.enter_context(postgres_schema())
        yield found


def run_platforms(sizes: Sizes, urls: dict[str, Callable[[], str]]) -> dict[str, Any]:
    """Milepost's own overhead per read and per webhook (sandbox limits off; see platforms.py)."""
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with SandboxProcess() as sandbox:
        sandbox.control.set_rate_limits(False)
        stack = build_stack(sandbox, urls["sqlite"]())
        try:
            reads = sandbox_reads(sandbox, stack, sizes.requests, sizes.sample)
            _, realm = stack.connect_quickbooks()
            return {"sandbox_reads_sdk": reads["sdk"], "sandbox_reads_raw_http": reads["raw_http"],
                    "webhook_answer_quickbooks": webhook_flood(stack, realm, sizes.webhook_entities, sizes.sample)}
        finally:
            stack.stop()


FIGURES = ("sync_calls", "ceiling", "latency", "peak_rss", "cpu", "cli")


def run_ceilings(loads: Loads, urls: dict[str, Callable[[], str]],
                 only: Collection[str] = FIGURES) -> tuple[dict[str, Any], dict[str, Any]]:
    """The figures against the platforms' ceilings (ceilings.py), and each one's details. The
    worker's database is PostgreSQL when there is one (as in production), else SQLite."""
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    database = urls.get("postgres", urls["sqlite"])
    figures: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for name, take in (
        ("sync_calls", lambda: sync_calls(loads, urls["sqlite"]())),
        ("ceiling", lambda: ceiling(loads, database())),
        ("latency", lambda: latencies(loads, {"embedded": database(), "celery": database()})),
        ("peak_rss", lambda: first_sync_memory(loads, database())),
        ("cpu", lambda: cpu_per_draft(loads, database())),
        ("cli", lambda: run_startup(loads.cli_runs)),
    ):
        if name not in only:
            continue
        started = time.monotonic()
        found = take()
        details[name] = {**found.pop("details"), "wall_seconds": round(time.monotonic() - started, 1)}
        figures.update(found)
        show_figures(found)
    return figures, details


def show_figures(found: dict[str, Any]) -> None:
    for goal in GOALS:
        if goal.keys[0] in found:
            said = "; ".join(f"{key} {shown(found[key])}" for key in goal.keys if key in found)
            mark = verdict(goal, found)
            print(f"{said}" + (f"  [goal {goal.goal}: {mark}]" if mark else ""), flush=True)  # noqa: T201


def show(name: str, figure: dict[str, Any]) -> None:
    memory = (f"  peak {figure['peak_kib']:>9,.1f} KiB over {figure['peak_count']}"
              if "peak_kib" in figure else "")
    print(f"{name:<34} {figure['per_second']:>11,.1f} {figure['unit']}/s "  # noqa: T201
          f"({figure['count']} in {figure['seconds']:.3f} s){memory}")


def run_bench(tiny: bool = False, out: Path = RESULTS, use_postgres: bool = True,
              only: Collection[str] | None = None) -> dict[str, Any]:
    """Every benchmark (or `only` those ceiling figures, for work on one of them); the document
    written to `out` (also returned)."""
    sizes, loads = (TINY, TINY_LOADS) if tiny else (FULL, FULL_LOADS)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="milepost-bench-") as scratch, \
            databases(use_postgres, Path(scratch)) as urls:
        details = machine_details(postgres=use_postgres)
        details["load_average_at_start"] = load_average()
        ceilings, how = run_ceilings(loads, urls, only or FIGURES)
        results: dict[str, Any] = {}
        if only is None:
            results = run_billing(sizes.projects, sizes.repeats, urls, sizes.sample)
            results.update(run_platforms(sizes, urls))
        details["load_average_at_end"] = load_average()
    document = {"machine": details, "mode": "tiny" if tiny else "full",
                "sizes": vars(sizes), "loads": vars(loads), "wall_seconds": round(time.monotonic() - started, 1),
                "figures": ceilings, "details": how, "results": results}
    out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a handful of items each (smoke run)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where to write (default {RESULTS})")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--only", type=lambda text: text.split(","), metavar="FIGURE,...",
                        help=f"only these ceiling figures, of: {', '.join(FIGURES)} (no throughput figures)")
    args = parser.parse_args(argv)
    unknown = set(args.only or ()) - set(FIGURES)
    if unknown:
        parser.error(f"--only: unknown figure {', '.join(sorted(unknown))}; known: {', '.join(FIGURES)}")
    document = run_bench(args.tiny, args.out, not args.no_postgres, args.only)
    print(f"Milepost benchmarks ({document['mode']}) on {document['machine']['cpu']}, "  # noqa: T201
          f"{document['machine']['cpus']} CPUs, Python {document['machine']['python']}")
    show_figures(document["figures"])
    for name, figure in document["results"].items():
        show(name, figure)
    print(f"wall time {document['wall_seconds']} s; written to {args.out}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
