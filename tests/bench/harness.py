"""How a figure is taken: the work timed on its own, then run again under tracemalloc.

Each benchmark is a `setup()` that builds what the work needs (not timed) and a `run(state)`
that does the work and returns how many units it handled. The time comes from a run without
tracemalloc (which slows Python allocation down several times); the peak memory from a second
run, on a fresh setup, with tracemalloc on. Peaks are of Python allocations in this process:
the in-process sandbox counts too when the work talks to it, which is said where it matters.
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


def _peak_kib(setup: Setup, run: Run) -> float:
    state = setup()
    gc.collect()
    tracemalloc.start()
    try:
        run(state)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 1024, 1)


def measure(unit: str, setup: Setup, run: Run, *, memory: bool = True) -> dict[str, Any]:
    """One figure: `count` units in `seconds`, `per_second`, and `peak_kib` when asked."""
    count, seconds = _timed(setup, run)
    figure: dict[str, Any] = {
        "unit": unit, "count": count, "seconds": round(seconds, 4),
        "per_second": round(count / seconds, 1) if seconds > 0 else 0.0,
    }
    if memory:
        figure["peak_kib"] = _peak_kib(setup, run)
    return figure
