"""`milepost milestone progress` and `milepost monthly`: billing by percent complete and by month.

    milepost milestone progress ACME-WEB 3 --percent 40 --evidence build-log.pdf [--at DATETIME]
        [--by NAME] [--monthly]
    milepost monthly ACME-WEB --month 2026-11 --pass-through "Stock photos=120.00" \\
        --support "Support=3@90.00" [--date 2026-11-30] [--by NAME]

A progress step bills the newly completed share at once, unless `--monthly` leaves it for that
month's monthly invoice. The monthly invoice carries the milestones accepted (or progressed)
that month and not yet billed, then the charges: `--pass-through "DESCRIPTION=AMOUNT"` and
`--support "DESCRIPTION=HOURS@RATE"` (the line is HOURS x RATE, rounded to the currency's minor
unit). Each command is one transaction: the milestone steps, their audit events and the outbox
intent are written together or not at all.
"""

from __future__ import annotations

import argparse
import calendar
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from connector.billing.allocation import format_percent
from connector.billing.model import AuditEvent, Milestone, Project
from connector.billing.money import D, Money
from connector.billing.progress import MonthlyCharge, record_progress
from connector.store import service
from connector.store.billing import biller
from connector.store.repository import BillingRepository
from jobs.connections import evidence_policy

from .context import CommandError, Context, parse_at

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


# --- progress -------------------------------------------------------------------------------


def cmd_progress(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.ready()() as session:
        project, _ = BillingRepository(session).load(args.key)
    at = parse_at(args.at, project.time_zone)
    files = [Path(f) for f in args.evidence or ()]
    try:
        percent = D(args.percent)
    except ValueError:
        raise CommandError(f"--percent: {args.percent!r} is not a number") from None
    names = tuple(f.name for f in files)

    def step(p: Project, m: Milestone, schedule: Sequence[Milestone]) -> tuple[Milestone, AuditEvent]:
        return record_progress(p, m, at, args.by, percent, names, schedule=schedule)

    with ctx.transaction() as session:
        stored = service.transition(
            session, args.key, args.seq, step,
            bill=None if args.monthly else biller(at), evidence_files=files,
            evidence_policy=evidence_policy(ctx.settings, session, args.key) if files else None,
        )
    line = (
        f"{args.key} milestone {stored.seq} ({stored.name}): {stored.state.value}, "
        f"{format_percent(stored.percent_complete)}% complete"
    )
    line += f", billed {stored.billed}" if stored.billed is not None else ""
    line += "; the new share waits for the monthly invoice" if args.monthly else ""
    ctx.out.print(line, markup=False)
    return 0


# --- monthly --------------------------------------------------------------------------------


def month_end(month: str) -> date:
    """The last day of `YYYY-MM`, or CommandError for anything else."""
    if not _MONTH.match(month):
        raise CommandError(f"--month: {month!r} is not a month written YYYY-MM, e.g. 2026-11")
    year, number = int(month[:4]), int(month[5:])
    return date(year, number, calendar.monthrange(year, number)[1])


def parse_pass_through(item: str, currency: str, on: date) -> MonthlyCharge:
    """`"Stock photos=120.00"`: a pass-through cost billed at its amount."""
    description, sep, amount_text = item.rpartition("=")
    amount = _positive(amount_text) if sep and description.strip() else None
    if amount is None:
        raise CommandError(f'--pass-through {item!r}: expected DESCRIPTION=AMOUNT, e.g. "Stock photos=120.00"')
    return MonthlyCharge("pass_through", on, description.strip(), Money(amount, currency))


def parse_support(item: str, currency: str, on: date) -> MonthlyCharge:
    """`"Support=3@90.00"`: HOURS at RATE, billed as one line of HOURS x RATE."""
    description, sep, time_text = item.rpartition("=")
    hours_text, at_sign, rate_text = time_text.partition("@")
    hours, rate = _positive(hours_text), _positive(rate_text)
    if not (sep and at_sign and description.strip()) or hours is None or rate is None:
        raise CommandError(f'--support {item!r}: expected DESCRIPTION=HOURS@RATE, e.g. "Support=3@90.00"')
    wording = f"{description.strip()}: {format_percent(hours)} hours at {rate:f}"
    return MonthlyCharge("support", on, wording, Money(hours * rate, currency), quantity=hours)


def _positive(text: str) -> Decimal | None:
    try:
        number = D(text)
    except ValueError:
        return None
    return number if number > 0 else None


def monthly_charges(
    currency: str, month: str, pass_through: Sequence[str], support: Sequence[str]
) -> list[MonthlyCharge]:
    """The month's charges as written on the command line, dated the month's last day."""
    on = month_end(month)
    return [parse_pass_through(i, currency, on) for i in pass_through] + [
        parse_support(i, currency, on) for i in support
    ]


def cmd_monthly(ctx: Context, args: argparse.Namespace) -> int:
    last_day = month_end(args.month)
    try:
        invoice_date = date.fromisoformat(args.date) if args.date else last_day
    except ValueError:
        raise CommandError(f"--date: {args.date!r} is not an ISO 8601 date") from None
    with ctx.transaction() as session:
        project, _ = BillingRepository(session).load(args.key)
        charges = monthly_charges(project.currency, args.month, args.pass_through, args.support)
        intent = service.queue_monthly_invoice(
            session, args.key, args.month, charges, invoice_date, datetime.now(UTC), args.by
        )
    ctx.out.print(
        f"{args.key}: monthly invoice {args.month} queued, {len(intent.lines)} lines, "
        f"total {intent.total} {intent.currency}, due {intent.due_date.isoformat()}",
        markup=False,
    )
    for line in intent.lines:
        first = line.description.splitlines()[0]
        ctx.out.print(f"  {line.kind:<13} {line.amount!s:>12}  {first}", markup=False)
    return 0
