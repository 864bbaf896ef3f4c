"""Each figure against the platforms' ceilings, what it measures and the goal it is held to.

`__main__` prints every figure with whether it met its goal; `table` renders the README's
"Measured" table from a results file (the committed baseline).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Goal:
    keys: tuple[str, ...]
    what: str
    goal: str
    met: Callable[[dict[str, Any]], bool]


def _both(key: str, bound: float) -> Callable[[dict[str, Any]], bool]:
    return lambda f: all(v < bound for v in f[key].values())


GOALS = (
    Goal(("sync_calls_milepost", "sync_calls_naive"),
         "API calls for one sync of 20,000 invoices, 1% changed: Milepost's change feed vs reading each open invoice",
         "100 times fewer or better", lambda f: f["sync_calls_milepost"] * 100 <= f["sync_calls_naive"]),
    Goal(("ceiling_share",), "calls in the busiest minute over the calls allowed, 10 QuickBooks companies "
         "and 10 Xero organisations with a backlog, limits on, embedded worker",
         "0.9 or more", lambda f: f["ceiling_share"] >= 0.9),
    Goal(("responses_429", "duplicates"), "429s answered and invoices duplicated during that run",
         "0 and 0", lambda f: f["responses_429"] == 0 and f["duplicates"] == 0),
    Goal(("latency_p50_s",), "acceptance (API call) to draft in the books, 200 at 2 a second: median",
         "", lambda f: True),
    Goal(("latency_p95_s",), "the same, 95th percentile", "under 2 s in both modes", _both("latency_p95_s", 2)),
    Goal(("latency_p99_s",), "the same, 99th percentile", "", lambda f: True),
    Goal(("peak_rss_mb",), "worker's peak RSS, first sync of 100,000 invoices and 20,000 customers",
         "under 200 MB", lambda f: f["peak_rss_mb"] < 200),
    Goal(("cpu_ms_per_invoice",), "worker's CPU per draft, over 1,000 drafts", "under 5 ms",
         lambda f: f["cpu_ms_per_invoice"] < 5),
    Goal(("cli_help_s",), "`milepost --help`, median wall time of 5", "under 0.3 s", lambda f: f["cli_help_s"] < 0.3),
    Goal(("cli_report_s",), "`milepost report KEY --format json`, median of 5", "under 0.6 s",
         lambda f: f["cli_report_s"] < 0.6),
)
KEYS = tuple(key for goal in GOALS for key in goal.keys)


def shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{mode} {shown(v)}" for mode, v in value.items())
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def verdict(goal: Goal, figures: dict[str, Any]) -> str:
    if not goal.goal or not all(key in figures for key in goal.keys):
        return ""
    return "met" if goal.met(figures) else "missed"
