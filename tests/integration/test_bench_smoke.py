"""The benchmarks still run: `python -m tests.bench --tiny` end to end, figures not judged.

Only the shape of results.json is checked (every figure there, each a positive number of
units per second, with a peak memory taken over a positive number of units); how fast is for
a person comparing runs, never a test.
"""

from __future__ import annotations

import json

import pytest

from tests.bench.__main__ import main

pytestmark = pytest.mark.slow

FIGURES = [
    "allocation_7_milestones", "report_7_milestones", "allocation_10_projects",
    "report_10_projects", "import_10_projects_sqlite", "sandbox_reads_sdk",
    "sandbox_reads_raw_http", "outbox_drain_quickbooks_sqlite", "sync_quickbooks_cdc",
    "outbox_drain_xero_sqlite", "sync_xero_if_modified_since", "webhook_answer_quickbooks",
]
STARTUP = ["cli_help_s", "cli_report_s"]  # wall seconds (median of 5) and peak RSS per start


def test_a_tiny_bench_run_writes_every_figure_with_the_machine_it_ran_on(tmp_path, capsys) -> None:
    out = tmp_path / "results.json"

    assert main(["--tiny", "--no-postgres", "--out", str(out)]) == 0

    document = json.loads(out.read_text())
    assert sorted(document["results"]) == sorted(FIGURES + STARTUP)
    for name, figure in document["results"].items():
        if name in STARTUP:
            assert min(figure["median_s"], figure["peak_kib"]) > 0, name
            assert figure["runs"] == 5
            continue
        assert min(figure["count"], figure["per_second"], figure["peak_kib"], figure["peak_count"]) > 0, name
    assert document["machine"]["cpus"] > 0
    assert document["machine"]["python"]
    assert "sync_xero_if_modified_since" in capsys.readouterr().out
