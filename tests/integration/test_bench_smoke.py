"""The benchmarks still run: `python -m tests.bench --tiny` end to end, figures not judged.

Only the shape of results.json is checked (every figure against the ceilings there, each with
how it was taken; every throughput figure a positive number of units per second with a peak
memory taken over a positive number of units), and the counts that are counts, not speeds: the
naive sync reads every seeded invoice, and the README's table renders from the file. How fast
is for a person comparing runs, never a test.
"""

from __future__ import annotations

import json

import pytest

from tests.bench.__main__ import main
from tests.bench.ceilings import TINY_LOADS
from tests.bench.goals import KEYS
from tests.bench.table import BEGIN, END, render, rewrite

pytestmark = [pytest.mark.slow, pytest.mark.redis]

THROUGHPUT = [
    "allocation_7_milestones", "report_7_milestones", "allocation_10_projects",
    "report_10_projects", "import_10_projects_sqlite", "sandbox_reads_sdk",
    "sandbox_reads_raw_http", "webhook_answer_quickbooks",
]
DETAILS = ["sync_calls", "ceiling", "latency", "peak_rss", "cpu", "cli"]


def test_a_tiny_bench_run_writes_every_figure_with_the_machine_it_ran_on(tmp_path, capsys) -> None:
    out = tmp_path / "results.json"

    assert main(["--tiny", "--no-postgres", "--out", str(out)]) == 0

    document = json.loads(out.read_text())
    figures = document["figures"]
    assert sorted(figures) == sorted(KEYS)
    assert figures["sync_calls_naive"] == TINY_LOADS.sync_invoices
    assert 0 < figures["sync_calls_milepost"] < figures["sync_calls_naive"]
    assert figures["ceiling_share"] > 0
    for key in ("latency_p50_s", "latency_p95_s", "latency_p99_s"):
        assert sorted(figures[key]) == ["celery", "embedded"], key
        assert min(figures[key].values()) > 0, key
    assert min(figures["peak_rss_mb"], figures["cpu_ms_per_invoice"], figures["cli_help_s"],
               figures["cli_report_s"]) > 0
    assert sorted(document["details"]) == sorted(DETAILS)
    assert sorted(document["results"]) == sorted(THROUGHPUT)
    for name, figure in document["results"].items():
        assert min(figure["count"], figure["per_second"], figure["peak_kib"], figure["peak_count"]) > 0, name
    assert document["machine"]["cpus"] > 0
    assert len(document["machine"]["load_average_at_start"]) == 3
    printed = capsys.readouterr().out
    assert "sync_calls_naive" in printed
    assert "webhook_answer_quickbooks" in printed

    table = rewrite(f"intro\n{BEGIN}\nold\n{END}\nrest", render(document))
    assert "old" not in table
    assert "`ceiling_share`" in table
    assert table.endswith(f"{END}\nrest")
