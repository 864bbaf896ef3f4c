"""`python -m tests.bench [--tiny] [--out FILE] [--no-postgres]`: Milepost's speed and memory.

Prints each figure and writes them all, with the machine's details, to tests/bench/results.json
(git-ignored). Nothing here asserts a time: a figure is a measurement, to compare between
commits on one machine. `--tiny` runs every benchmark on a handful of items (the smoke test
uses it to prove the benchmarks still run). A full run (`make bench`) takes about three minutes
on two cores: each figure's work is timed once, and its memory peak taken on a tenth of it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.sandbox.client import SandboxServer

from .billing import run_billing
from .machine import machine_details, postgres_schema
from .platforms import build_stack, outbox_drain, payment_sync, sandbox_reads, webhook_flood
from .startup import FIGURES as STARTUP_FIGURES
from .startup import run_startup, show_startup

RESULTS = Path(__file__).with_name("results.json")


@dataclass(frozen=True)
class Sizes:
    requests: int
    intents: int
    projects: int
    repeats: int
    sample: int  # memory peaks are taken over 1/sample of each figure's items
    webhook_entities: int = 3000


FULL = Sizes(requests=1000, intents=100, projects=1000, repeats=2000, sample=10)
TINY = Sizes(requests=10, intents=2, projects=10, repeats=10, sample=2, webhook_entities=20)


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
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    figures: dict[str, Any] = {}
    with SandboxServer() as sandbox:
        sandbox.control.set_rate_limits(False)
        for backend, url in urls.items():
            stack = build_stack(sandbox, url())
            try:
                if backend == "sqlite":
                    reads = sandbox_reads(sandbox, stack, sizes.requests, sizes.sample)
                    figures["sandbox_reads_sdk"], figures["sandbox_reads_raw_http"] = reads["sdk"], reads["raw_http"]
                connection, realm = stack.connect_quickbooks()
                if backend == "sqlite":
                    figures["webhook_answer_quickbooks"] = webhook_flood(stack, realm, sizes.webhook_entities, sizes.sample)
                figures[f"outbox_drain_quickbooks_{backend}"] = outbox_drain(
                    stack, connection, sizes.intents, "USD", sizes.sample)
                if backend == "sqlite":
                    figures["sync_quickbooks_cdc"] = payment_sync(stack, connection, "quickbooks", realm, sizes.sample)
                    [(xero, tenant), *_] = stack.connect_xero()
                    figures["outbox_drain_xero_sqlite"] = outbox_drain(stack, xero, sizes.intents, "NZD", sizes.sample)
                    figures["sync_xero_if_modified_since"] = payment_sync(stack, xero, "xero", tenant, sizes.sample)
            finally:
                stack.stop()
    return figures


def show(name: str, figure: dict[str, Any]) -> None:
    memory = (f"  peak {figure['peak_kib']:>9,.1f} KiB over {figure['peak_count']}"
              if "peak_kib" in figure else "")
    print(f"{name:<34} {figure['per_second']:>11,.1f} {figure['unit']}/s "  # noqa: T201
          f"({figure['count']} in {figure['seconds']:.3f} s){memory}")


def run_bench(tiny: bool = False, out: Path = RESULTS, use_postgres: bool = True) -> dict[str, Any]:
    """Every benchmark; the document written to `out` (also returned)."""
    sizes = TINY if tiny else FULL
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="milepost-bench-") as scratch, \
            databases(use_postgres, Path(scratch)) as urls:
        details = machine_details(postgres=use_postgres)
        figures = run_billing(sizes.projects, sizes.repeats, urls, sizes.sample)
        figures.update(run_platforms(sizes, urls))
        figures.update(run_startup())
    document = {"machine": details, "mode": "tiny" if tiny else "full",
                "sizes": vars(sizes), "wall_seconds": round(time.monotonic() - started, 1),
                "results": figures}
    out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a handful of items each (smoke run)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where to write (default {RESULTS})")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    document = run_bench(args.tiny, args.out, not args.no_postgres)
    print(f"Milepost benchmarks ({document['mode']}) on {document['machine']['cpu']}, "  # noqa: T201
          f"{document['machine']['cpus']} CPUs, Python {document['machine']['python']}")
    for name, figure in document["results"].items():
        (show_startup if name in STARTUP_FIGURES else show)(name, figure)
    print(f"wall time {document['wall_seconds']} s; written to {args.out}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
