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
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from connector.billing import lifecycle
from connector.billing.allocation import format_percent
from connector.billing.model import AuditEvent, InvoiceIntent, Milestone, Project
from connector.billing.money import D, Money
from connector.billing.progress import MonthlyCharge, monthly_intent, record_progress
from connector.store import service
from connector.store.billing import biller
from connector.store.repository import BillingRepository

from .context import CommandError, Context, parse_at

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def add_parsers(sub: SubParsers) -> None:
    """Register `monthly`, and `progress` under the already registered `milestone` command."""
    add_progress_parser(_subcommands_of(sub.choices["milestone"]))
    p = sub.add_parser("monthly", help="queue a month's invoice: its milestones, pass-through costs, support")
    p.add_argument("key")
    p.add_argument("--month", required=True, help="the month, YYYY-MM")
    p.add_argument("--pass-through", action="append", default=[], metavar="DESCRIPTION=AMOUNT",
                   help='a pass-through cost, e.g. "Stock photos=120.00" (repeatable)')
    p.add_argument("--support", action="append", default=[], metavar="DESCRIPTION=HOURS@RATE",
                   help='support time, e.g. "Support=3@90.00" (repeatable)')
    p.add_argument("--date", help="the invoice date (default: the month's last day)")
    p.add_argument("--by", default="cli", help="who records it (audit trail)")
    p.set_defaults(handler=cmd_monthly)


def _subcommands_of(parser: argparse.ArgumentParser) -> SubParsers:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise LookupError(f"{parser.prog} has no subcommands")


def add_progress_parser(msub: SubParsers) -> None:
    p = msub.add_parser("progress", help="record percent complete (with evidence) and bill the new share")
    p.add_argument("key")
    p.add_argument("seq", type=int)
    p.add_argument("--percent", required=True, help="percent complete now, e.g. 40")
    p.add_argument("--evidence", nargs="+", metavar="FILE", help="evidence files (at least one)")
    p.add_argument("--by", default="cli", help="who confirms the progress")
    p.add_argument("--at", help="when it was confirmed (ISO 8601; default now)")
    p.add_argument("--monthly", action="store_true",
                   help="leave the new share for the month's monthly invoice instead of billing it now")
    p.set_defaults(handler=cmd_progress)


# --- progress -------------------------------------------------------------------------------


def cmd_progress(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.ready()() as session:
        project, _ = BillingRepository(session).load(args.key)
    at = parse_at(args.at, project.time_zone)
    files = [Path(f) for f in args.evidence or ()]
    for file in files:
        if not file.is_file():
            raise CommandError(f"--evidence: no such file {str(file)!r}")
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


@dataclass(frozen=True)
class MonthlyRequest:
    key: str
    month: str
    invoice_date: date
    pass_through: tuple[str, ...]
    support: tuple[str, ...]


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


def queue_monthly_invoice(
    session: Session, request: MonthlyRequest, at: datetime, by: str
) -> InvoiceIntent:
    """Queue the month's invoice and mark the milestones on it invoice due, in `session`'s
    transaction. A month is invoiced once: a second request is refused, not merged."""
    repo = BillingRepository(session)
    project, schedule = repo.load(request.key)
    on = month_end(request.month)
    charges = [parse_pass_through(i, project.currency, on) for i in request.pass_through]
    charges += [parse_support(i, project.currency, on) for i in request.support]
    intent = monthly_intent(project, schedule, request.month, charges, request.invoice_date)
    if any(row.idempotency_key == intent.idempotency_key for row in repo.outbox(request.key)):
        raise CommandError(f"{request.key}: the monthly invoice for {request.month} is already queued")
    repo.enqueue(intent)
    for seq in dict.fromkeys(line.seq for line in intent.lines if line.seq is not None):
        service.transition(
            session, request.key, seq,
            lambda p, m, _s: lifecycle.mark_invoice_due(p, m, intent, at, by),
        )
    repo.append_event(AuditEvent(
        project_key=request.key, seq=None, kind="monthly_invoice", at=at, actor=by,
        data={"month": request.month, "idempotency_key": intent.idempotency_key,
              "total": str(intent.total), "lines": str(len(intent.lines))},
    ))
    return intent


def cmd_monthly(ctx: Context, args: argparse.Namespace) -> int:
    last_day = month_end(args.month)
    try:
        invoice_date = date.fromisoformat(args.date) if args.date else last_day
    except ValueError:
        raise CommandError(f"--date: {args.date!r} is not an ISO 8601 date") from None
    request = MonthlyRequest(
        args.key, args.month, invoice_date, tuple(args.pass_through), tuple(args.support)
    )
    with ctx.transaction() as session:
        intent = queue_monthly_invoice(session, request, datetime.now(UTC), args.by)
    ctx.out.print(
        f"{args.key}: monthly invoice {args.month} queued, {len(intent.lines)} lines, "
        f"total {intent.total} {intent.currency}, due {intent.due_date.isoformat()}",
        markup=False,
    )
    for line in intent.lines:
        first = line.description.splitlines()[0]
        ctx.out.print(f"  {line.kind:<13} {line.amount!s:>12}  {first}", markup=False)
    return 0
