"""`milepost forecast [KEY] [--weeks 12] [--format table|json|csv] [--at DATE]`: expected cash in.

The figures come from `connector.billing.forecast` (the rule, early/expected/late included) via
`connector.store.forecast.forecast_for`; this module only prints them. JSON is the documented
public form, the same as `GET /api/v1/forecast`; CSV has one row per currency and week.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from connector.billing.forecast import CurrencyForecast, Figures, Forecast, ForecastItem
from connector.store.forecast import DEFAULT_WEEKS, MAX_WEEKS, forecast_for

from .context import CommandError, Context
from .reporting import TABLE_WIDTH

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

CSV_COLUMNS = ("currency", "week", "start", "end", "early", "expected", "late")


def add_parser(sub: SubParsers) -> None:
    p = sub.add_parser("forecast", help="expected cash in per week and currency")
    p.add_argument("key", nargs="?", help="one project (default: all)")
    p.add_argument("--weeks", type=int, default=DEFAULT_WEEKS, help=f"how many weeks (1 to {MAX_WEEKS}; default {DEFAULT_WEEKS})")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument("--at", help="the day to forecast from (YYYY-MM-DD; default today, UTC)")
    p.set_defaults(handler=cmd_forecast)


def cmd_forecast(ctx: Context, args: argparse.Namespace) -> int:
    if not 1 <= args.weeks <= MAX_WEEKS:
        raise CommandError(f"--weeks: from 1 to {MAX_WEEKS}, got {args.weeks} [out_of_range]")
    today = _day(args.at)
    with ctx.ready()() as session:
        forecast = forecast_for(session, args.weeks, args.key, today)
    if args.format == "json":
        ctx.out.print(json.dumps(forecast.as_json(), indent=2), markup=False, highlight=False)
    elif args.format == "csv":
        ctx.out.print(forecast_csv(forecast), markup=False, end="")
    else:
        wide = Console(file=ctx.out.file, width=max(ctx.out.width, TABLE_WIDTH), highlight=False)
        print_tables(wide, forecast)
    return 0


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--at: {text!r} is not a date such as 2026-12-01 [iso_date]") from None
    if not 2000 <= day.year <= 2100:
        raise CommandError("--at: dates run from 2000-01-01 to 2100-12-31 [date_out_of_range]")
    return day


def forecast_csv(forecast: Forecast) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in forecast.currencies:
        for week, figures in zip(forecast.weeks, c.weeks, strict=True):
            writer.writerow([c.currency, week.number, week.start, week.end, *_three(figures)])
        writer.writerow([c.currency, "later", "", "", *_three(c.later)])
    return buffer.getvalue()


def print_tables(console: Console, forecast: Forecast) -> None:
    if not forecast.currencies:
        console.print(f"Nothing expected from {forecast.weeks[0].start} on.", markup=False)
    for c in forecast.currencies:
        console.print(weekly_table(forecast, c))
    if forecast.items:
        console.print(items_table("What it is made of", forecast.items))
    for title, listed in (("Unsent drafts (not counted)", forecast.drafts),
                          ("Milestones with no planned date (not counted)", forecast.undated)):
        if listed:
            console.print(items_table(title, listed))


def weekly_table(forecast: Forecast, c: CurrencyForecast) -> Table:
    table = Table(title=f"Expected cash in, {c.currency}, weeks from {forecast.weeks[0].start}")
    for column in ("week", "from", "to", "early", "expected", "late"):
        table.add_column(column, justify="left" if column in ("from", "to") else "right", no_wrap=True)
    for week, figures in zip(forecast.weeks, c.weeks, strict=True):
        table.add_row(str(week.number), str(week.start), str(week.end), *_three(figures))
    table.add_row("later", "", "", *_three(c.later))
    table.add_row("total", "", "", *_three(c.total), style="bold")
    return table


def items_table(title: str, items: tuple[ForecastItem, ...]) -> Table:
    table = Table(title=title)
    for column in ("source", "project", "seq", "milestone / invoice", "amount", "due", "early",
                   "expected", "late"):
        table.add_column(column, justify="right" if column in ("seq", "amount") else "left",
                         no_wrap=column != "milestone / invoice")
    for i in items:
        what = " · ".join(part for part in (i.name, f"invoice {i.number}" if i.number else "") if part)
        table.add_row(i.source, i.project_key, "" if i.seq is None else str(i.seq), what,
                      f"{i.amount} {i.amount.currency}", *(str(d or "") for d in (i.due_date, i.early, i.expected, i.late)))
    return table


def _three(figures: Figures) -> list[str]:
    return [str(figures.early), str(figures.expected), str(figures.late)]
