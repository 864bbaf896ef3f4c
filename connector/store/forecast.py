"""The cash-flow forecast's inputs, read from the store, and `forecast_for`: the one call the CLI,
the API and the dashboard make. The rule itself is `connector.billing.forecast`'s.

What is read: every synced payment against an invoice with a due date, for each customer's
lateness (across all projects, so one contract's history serves the next); the chosen projects'
invoices as the books last said (open or partly paid with a balance left; unsent drafts), their
invoice intents still in the outbox, and their schedules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.forecast import (  # noqa: E402,F401 - read here too
    DEFAULT_WEEKS,
    MAX_WEEKS,
    DueInvoice,
    Forecast,
    PaidRecord,
    Schedule,
    build_forecast,
)
from connector.billing.money import Money
from mappings.facts import DRAFT, OPEN, PARTIALLY_PAID

from . import records
from .mapping_rows import customer_key
from .models import DEFAULT_ORGANISATION_ID, InvoiceRow, PaymentRow, ProjectRow
from .organisations import Organisation
from .outbox import DONE, INVOICE
from .repository import BillingRepository


def forecast_for(session: Session, weeks: int = DEFAULT_WEEKS, key: str | None = None,
                 today: date | None = None, organisation_id: int = DEFAULT_ORGANISATION_ID) -> Forecast:
    """The forecast from `today` (default: today, UTC) over `weeks` weeks, for one project
    (`key`; ProjectNotFound when there is none) or all of the organisation's."""
    repo, scope = BillingRepository(session), Organisation(session, organisation_id)
    keys = [scope.project(key).key] if key is not None else scope.project_keys()
    invoices: list[DueInvoice] = []
    schedules: list[Schedule] = []
    for project_key in keys:
        project, milestones = repo.load(project_key)
        customer = customer_key(project.customer)
        schedules.append(Schedule(project, tuple(milestones), customer))
        invoices.extend(_owed_invoices(repo, project_key, customer))
        invoices.extend(_queued_intents(repo, project_key, customer))
    return build_forecast(today or datetime.now(UTC).date(), weeks, invoices, schedules, payment_history(session))


def payment_history(session: Session) -> list[PaidRecord]:
    """Every synced payment against an invoice with a due date, with its customer."""
    customers = {row.id: customer_key(records.project_from_row(row).customer)
                 for row in session.scalars(select(ProjectRow))}
    rows = session.execute(
        select(InvoiceRow.project_id, InvoiceRow.due_date, InvoiceRow.currency, PaymentRow.on, PaymentRow.amount)
        .join(PaymentRow, PaymentRow.invoice_id == InvoiceRow.id)
        .where(InvoiceRow.due_date.is_not(None))
        .order_by(PaymentRow.id)
    )
    return [PaidRecord(customers[project_id], due, on, Money(amount, currency))
            for project_id, due, currency, on, amount in rows if due is not None]


def _owed_invoices(repo: BillingRepository, key: str, customer: str) -> list[DueInvoice]:
    """Invoices with a balance left: sent ones count, unsent drafts are listed apart."""
    owed = []
    for view in repo.invoice_views(key):
        status = view.status.lower()
        if view.balance.amount <= 0 or status not in (DRAFT, OPEN, PARTIALLY_PAID):
            continue
        source = "draft" if status == DRAFT else "invoice"
        owed.append(DueInvoice(source, key, customer, view.balance, view.due_date, view.seq,
                               view.number or view.id))
    return owed


def _queued_intents(repo: BillingRepository, key: str, customer: str) -> list[DueInvoice]:
    """Invoice intents not yet in the books (pending, being sent, or failed and waiting for a
    retry): the customer owes them all the same."""
    queued = []
    for row in repo.outbox(key):
        if row.kind != INVOICE or row.status == DONE:
            continue
        intent = records.intent_from_json(row.payload)
        queued.append(DueInvoice("queued", key, customer, intent.total, intent.due_date, intent.seq))
    return queued

