"""`milepost report KEY [--format table|json|csv]`: where a contract stands, from stored facts.

The figures come from `connector.billing.report`; this module only gathers the facts from the
store and prints them. JSON is the documented public form (amounts as decimal strings); the
table adds the construction-style columns (a schedule of values); CSV has the same columns.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from connector.billing.report import TABLE_COLUMNS, Report, build_report, table_rows
from connector.store.repository import BillingRepository

from .context import Context, parse_at

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

TABLE_WIDTH = 200  # amounts and headings are never cut: wider than a terminal beats "1000…"
_NUMERIC = {c for c in TABLE_COLUMNS if c not in ("seq", "name", "state")}


def add_parser(sub: SubParsers) -> None:
    p = sub.add_parser("report", help="where a contract stands")
    p.add_argument("key")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument("--at", help="the moment to report at (ISO 8601; default now)")
    p.set_defaults(handler=cmd_report)


def load_report(ctx: Context, key: str, at_text: str | None) -> Report:
    with ctx.ready()() as session:
        repo = BillingRepository(session)
        project, milestones = repo.load(key)
        invoices = repo.invoice_views(key)
        intents = repo.queued_intents(key)
    at = parse_at(at_text, project.time_zone)
    return build_report(project, milestones, invoices, at, intents=intents)


def cmd_report(ctx: Context, args: argparse.Namespace) -> int:
    report = load_report(ctx, args.key, args.at)
    if args.format == "json":
        ctx.out.print(json.dumps(report.as_json(), indent=2), markup=False, highlight=False)
    elif args.format == "csv":
        ctx.out.print(report_csv(report), markup=False, end="")
    else:
        wide = Console(file=ctx.out.file, width=max(ctx.out.width, TABLE_WIDTH), highlight=False)
        wide.print(report_table(report))
        ctx.out.print(summary_line(report), markup=False)
    return 0


def report_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.replace(" ", "_") for c in TABLE_COLUMNS])
    writer.writerows(table_rows(report))
    return buffer.getvalue()


def report_table(report: Report) -> Table:
    table = Table(title=f"{report.key} — contract total {report.contract_total} {report.currency}")
    for column in TABLE_COLUMNS:
        numeric = column in _NUMERIC or column == "seq"
        table.add_column(column, justify="right" if numeric else "left", no_wrap=column != "name")
    for row in table_rows(report):
        table.add_row(*row)
    return table


def summary_line(report: Report) -> str:
    parts = [
        f"billed {report.billed}",
        f"paid {report.paid}",
        f"outstanding {report.outstanding}",
        f"overdue {report.overdue}",
        f"accepted, unbilled {report.accepted_unbilled}",
        f"remaining {report.remaining}",
        f"retainage held {report.retainage_held}",
    ]
    pause = "PAUSE WORK" if report.pause_work else "no pause"
    return f"{report.currency}: " + ", ".join(parts) + f"; {pause}"
