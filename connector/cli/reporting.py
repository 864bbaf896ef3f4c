"""`milepost report KEY [--format table|json|csv]`: where a contract stands, from stored facts.

The figures come from `connector.billing.report`; this module only gathers the facts from the
store and prints them. JSON is the documented public form (amounts as decimal strings); the
table adds the construction-style columns (a schedule of values); CSV has the same columns.

Whether work should pause is the stored flag the worker's `flag_pause_work` keeps (the one the
admin app shows and the notification announced), not a second opinion worked out here: JSON
`pause_work` and `pause_work_reason`, and the table's footer, say what that flag says.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.console import Console

from connector.billing.report import TABLE_COLUMNS, Report, table_rows
from connector.store.organisations import Organisation
from connector.store.reports import project_report
from connector.store.repository import BillingRepository
from jobs.pause_flags import active_flags

from .context import Context, parse_at

if TYPE_CHECKING:
    from rich.table import Table

TABLE_WIDTH = 200  # amounts and headings are never cut: wider than a terminal beats "1000…"
_NUMERIC = {c for c in TABLE_COLUMNS if c not in ("seq", "name", "state")}


def load_report(ctx: Context, key: str, at_text: str | None) -> tuple[Report, str | None]:
    """The report and the stored pause-work reason (None when the project is not flagged)."""
    with ctx.ready()() as session:
        Organisation(session).project(key)  # the CLI acts for the default organisation
        project, _ = BillingRepository(session).load(key)
        report = project_report(session, key, parse_at(at_text, project.time_zone))
        reason = active_flags(session).get(key)
    return replace(report, pause_work=reason is not None), reason


def report_json(report: Report, pause_reason: str | None) -> dict[str, Any]:
    return {**report.as_json(), "pause_work_reason": pause_reason}


def cmd_report(ctx: Context, args: argparse.Namespace) -> int:
    report, reason = load_report(ctx, args.key, args.at)
    if args.format == "json":
        ctx.out.print(json.dumps(report_json(report, reason), indent=2), markup=False, highlight=False)
    elif args.format == "csv":
        ctx.out.print(report_csv(report), markup=False, end="")
    else:
        wide = Console(file=ctx.out.file, width=max(ctx.out.width, TABLE_WIDTH), highlight=False)
        wide.print(report_table(report))
        ctx.out.print(summary_line(report, reason), markup=False)
    return 0


def report_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.replace(" ", "_") for c in TABLE_COLUMNS])
    writer.writerows(table_rows(report))
    return buffer.getvalue()


def report_table(report: Report) -> Table:
    from rich.table import Table  # here: a JSON or CSV report never draws one

    table = Table(title=f"{report.key} — contract total {report.contract_total} {report.currency}")
    for column in TABLE_COLUMNS:
        numeric = column in _NUMERIC or column == "seq"
        table.add_column(column, justify="right" if numeric else "left", no_wrap=column != "name")
    for row in table_rows(report):
        table.add_row(*row)
    return table


def summary_line(report: Report, pause_reason: str | None = None) -> str:
    parts = [
        f"net of tax: billed {report.billed}",
        f"accepted, unbilled {report.accepted_unbilled}",
        f"remaining {report.remaining}",
        f"retainage held {report.retainage_held}",
        f"tax included: invoiced {report.invoiced}",
        f"credited {report.credited}",
        f"paid (cash) {report.paid}",
        f"outstanding {report.outstanding}",
        f"overdue {report.overdue}",
    ]
    if report.deposit is not None:
        d = report.deposit
        parts.append(f"deposit invoiced {d.invoiced}, received {d.received}, credited {d.credited}, "
                     f"remaining {d.remaining}")
    pause = "no pause"
    if report.pause_work:
        pause = f"PAUSE WORK ({pause_reason})" if pause_reason else "PAUSE WORK"
    return f"{report.currency}: " + ", ".join(parts) + f"; {pause}"
