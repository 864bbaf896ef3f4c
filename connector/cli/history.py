"""`milepost history KEY [SEQ] [--format table|json]`: every audit event of a project or one of
its milestones (when, who, what, reason, evidence) and the invoice or credit it led to.

The events and their outcomes come from `connector.store.history.history_for`, the same call
the admin project page makes; JSON is a list of events, oldest first.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from connector.billing.history import HistoryEntry
from connector.store.history import history_for

from .context import Context
from .reporting import TABLE_WIDTH

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

COLUMNS = ("when (UTC)", "seq", "what", "who", "reason", "evidence", "led to")


def add_parser(sub: SubParsers) -> None:
    p = sub.add_parser("history", help="the audit trail: who did what, when, why, and what it led to")
    p.add_argument("key")
    p.add_argument("seq", type=int, nargs="?", help="one milestone (default: the whole project)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_history)


def cmd_history(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.ready()() as session:
        entries = history_for(session, args.key, args.seq)
    if args.format == "json":
        ctx.out.print(json.dumps([e.as_json() for e in entries], indent=2), markup=False, highlight=False)
        return 0
    wide = Console(file=ctx.out.file, width=max(ctx.out.width, TABLE_WIDTH), highlight=False)
    wide.print(history_table(args.key, args.seq, entries))
    return 0


def history_table(key: str, seq: int | None, entries: list[HistoryEntry]) -> Table:
    title = f"{key} milestone {seq}: history" if seq is not None else f"{key}: history"
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(column, justify="right" if column == "seq" else "left",
                         no_wrap=column in ("when (UTC)", "seq"), overflow="fold")
    for entry in entries:
        e = entry.event
        table.add_row(e.at.strftime("%Y-%m-%d %H:%M"), "" if e.seq is None else str(e.seq), entry.what,
                      e.actor, e.reason, ", ".join(e.evidence), entry.led_to, end_section=False)
    if not entries:
        table.caption = "no events recorded"
    return table
