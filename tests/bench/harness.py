"""How a figure is taken: the work timed once on its own, its memory peak on a sample.

Each benchmark is a `setup()` that builds what the work needs (not timed) and a `run(state)`
that does the work and returns how many units it handled. The time comes from one run without
tracemalloc (which slows Python allocation down several times). The peak memory comes from a
second run under tracemalloc on `sample_setup()`: the same work on a tenth of the items in a
full run, so the whole bench fits in about three minutes on two cores. Every benchmark here
handles one item at a time (one transaction, one request, one intent), so its peak does not
grow with the number of items: `peak_count` says how many the peak was taken over. Peaks are of
Python allocations in this process: the in-process sandbox counts too when the work talks to
it, which is said where it matters.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

Setup = Callable[[], Any]
Run = Callable[[Any], int]


def _timed(setup: Setup, run: Run) -> tuple[int, float]:
    state = setup()
    gc.collect()
    started = time.perf_counter()
    count = run(state)
    return count, time.perf_counter() - started


def _peak(setup: Setup, run: Run) -> tuple[int, float]:
    state = setup()
    gc.collect()
    tracemalloc.start()
    try:
        count = run(state)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, round(peak / 1024, 1)


def measure(unit: str, setup: Setup, run: Run, sample_setup: Setup | None = None) -> dict[str, Any]:
    """One figure: `count` units in `seconds` and `per_second`; with a `sample_setup`, also
    `peak_kib` of a run over `peak_count` units of that sample."""
    count, seconds = _timed(setup, run)
    figure: dict[str, Any] = {
        "unit": unit, "count": count, "seconds": round(seconds, 4),
        "per_second": round(count / seconds, 1) if seconds > 0 else 0.0,
    }
    if sample_setup is not None:
        figure["peak_count"], figure["peak_kib"] = _peak(sample_setup, run)
    return figure
