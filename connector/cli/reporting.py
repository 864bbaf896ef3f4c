"""`milepost report`: placeholder until connector.billing.report lands."""

from __future__ import annotations

import argparse

from .context import CommandError, Context


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="where a contract stands")
    p.add_argument("key")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument("--at", help="judge overdue invoices at this time (default now)")
    p.set_defaults(handler=cmd_report)


def cmd_report(ctx: Context, args: argparse.Namespace) -> int:
    raise CommandError("report: not yet")
