"""remind: payment reminders through the platform's own invoice e-mail, each sent once.

Which reminder is due for an invoice, by days to its due date in the project's time zone:
`before_due` (within `[reminders] before_due_days` days before it), `due` (on the day), `after_N` for
each N of `[reminders] after_due_days` (only the latest one reached, so a worker that was off
for a week sends one reminder, not three). Only invoices the bookkeeper has approved or sent
(open or partially paid) are reminded: a draft is never e-mailed behind their back.

Each reminder is claimed (a unique row per invoice and kind, committed) before the e-mail is
asked for, and the claim is withdrawn if the platform refuses, so two workers never both send.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connector.billing.calendar import local_date
from connector.config import ReminderSettings
from connector.store.db import transaction
from connector.store.models import InvoiceRow, ProjectRow
from mappings.facts import OPEN, PARTIALLY_PAID

from .context import JobContext
from .runs import Tally, one_item
from .tables import InvoiceReminderRow

log = logging.getLogger("milepost.jobs.reminders")
REMINDABLE = (OPEN, PARTIALLY_PAID)


def reminder_due(due: date, today: date, policy: ReminderSettings) -> str | None:
    """The reminder kind due today for an invoice due on `due`, if any."""
    days_left = (due - today).days
    if days_left == 0:
        return "due"
    if 0 < days_left <= policy.before_due_days:
        return "before_due"
    reached = [n for n in policy.after_due_days if -days_left >= n]
    return f"after_{max(reached)}" if reached else None


def remind(ctx: JobContext, now: datetime) -> Tally:
    """Each due reminder on its own: one the platform refuses (or that fails any other way of
    its own) is withdrawn and recorded with its invoice, and the others are still sent."""
    tally = Tally(sent=0, failed=0)
    if not ctx.settings.reminders.enabled:
        return tally
    for invoice_id, connection_id, platform_id, kind in _due(ctx, now, tally):
        claim = _claim(ctx, invoice_id, kind, now)
        if claim is None:
            continue
        with one_item(tally, f"reminder {kind} for invoice {platform_id}"):
            try:
                ctx.gateway_for(connection_id).send_invoice(platform_id)
            except Exception:
                _withdraw(ctx, claim)
                raise
            tally["sent"] += 1
            log.info("reminder %s sent for invoice %s (connection %s)", kind, platform_id, connection_id)
    return tally


def _due(ctx: JobContext, now: datetime, tally: Tally) -> list[tuple[int, int, str, str]]:
    with ctx.sessions() as session:
        rows = session.execute(
            select(InvoiceRow, ProjectRow.time_zone)
            .join(ProjectRow, ProjectRow.id == InvoiceRow.project_id)
            .where(InvoiceRow.status.in_(REMINDABLE), InvoiceRow.due_date.is_not(None),
                   InvoiceRow.connection_id.is_not(None))
        ).all()
        sent = {(r.invoice_id, r.kind) for r in session.scalars(select(InvoiceReminderRow))}
    due = []
    for invoice, time_zone in rows:
        if invoice.due_date is None:
            continue
        with one_item(tally, f"invoice {invoice.platform_id}"):
            kind = reminder_due(invoice.due_date, local_date(now, time_zone), ctx.settings.reminders)
            if kind is not None and invoice.connection_id is not None and (invoice.id, kind) not in sent:
                due.append((invoice.id, invoice.connection_id, invoice.platform_id, kind))
    return due


def _claim(ctx: JobContext, invoice_id: int, kind: str, now: datetime) -> int | None:
    try:
        with transaction(ctx.sessions) as session:
            row = InvoiceReminderRow(invoice_id=invoice_id, kind=kind, sent_at=now)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None  # another worker claimed it first


def _withdraw(ctx: JobContext, claim: int) -> None:
    with transaction(ctx.sessions) as session:
        row = session.get(InvoiceReminderRow, claim)
        if row is not None:
            session.delete(row)
