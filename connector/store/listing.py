"""Pages of stored records for the API's lists: keyset pages by id, filtered by change time.

A page is the rows whose id is greater than the last one the caller saw (`after`), at most
`limit` of them, in id order. Ids only grow, so a row inserted while a client walks the pages
lands after everything it has seen: nothing is read twice and nothing is skipped, whatever is
written meanwhile (an offset would shift under inserts). `updated_since` keeps the rows
changed at or after that instant (`updated_at`; for the append-only payments and audit events,
when the store recorded them). A client that walks with `updated_since` set to the moment it
began its previous walk sees every change at least once.

Every read is of one organisation's records (`of`: the organisation of the API key asking), so
a key never sees, even by id, what belongs to another.

One more row than asked is read, so the caller knows whether another page follows without a
second query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import (
    AuditEventRow,
    InvoiceMilestoneRow,
    InvoiceRow,
    MilestoneRow,
    OutboxRow,
    PaymentRow,
    ProjectRow,
)

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


@dataclass(frozen=True)
class PageRequest:
    after: int = 0  # the last id of the previous page
    limit: int = DEFAULT_LIMIT
    updated_since: datetime | None = None
    project: str | None = None  # a project key: only its records


@dataclass(frozen=True)
class Listing:
    """What a list is read from: its query, the id that orders it and the time that dates it."""

    query: Any  # a Select of the kind's row (and the columns it needs)
    id: Any  # its id column
    changed: Any  # the column that dates its last change
    project_key: Any


def _listing(kind: str, of: int) -> Listing:
    """What `kind` is read from, kept to the projects of organisation `of` (every query joins
    the project)."""
    found = _unscoped(kind)
    return Listing(found.query.where(ProjectRow.organisation_id == of), found.id, found.changed,
                   found.project_key)


def _unscoped(kind: str) -> Listing:
    if kind == "projects":
        return Listing(select(ProjectRow), ProjectRow.id, ProjectRow.updated_at, ProjectRow.key)
    if kind == "milestones":
        return Listing(select(MilestoneRow, ProjectRow).join(ProjectRow, ProjectRow.id == MilestoneRow.project_id),
                       MilestoneRow.id, MilestoneRow.updated_at, ProjectRow.key)
    if kind == "invoices":
        return Listing(select(InvoiceRow, ProjectRow.key, OutboxRow.idempotency_key)
                       .join(ProjectRow, ProjectRow.id == InvoiceRow.project_id)
                       .outerjoin(OutboxRow, OutboxRow.id == InvoiceRow.outbox_id),
                       InvoiceRow.id, InvoiceRow.updated_at, ProjectRow.key)
    if kind == "payments":
        return Listing(select(PaymentRow, InvoiceRow, ProjectRow.key)
                       .join(InvoiceRow, InvoiceRow.id == PaymentRow.invoice_id)
                       .join(ProjectRow, ProjectRow.id == InvoiceRow.project_id),
                       PaymentRow.id, PaymentRow.recorded_at, ProjectRow.key)
    if kind == "history":
        return Listing(select(AuditEventRow, ProjectRow.key).join(ProjectRow, ProjectRow.id == AuditEventRow.project_id),
                       AuditEventRow.id, AuditEventRow.recorded_at, ProjectRow.key)
    raise ValueError(f"nothing is listed as {kind!r}")


KINDS = ("projects", "milestones", "invoices", "payments", "history")


def page(session: Session, kind: str, request: PageRequest, of: int) -> tuple[list[Any], bool]:
    """The page's rows (as `select` returns them for `kind`) and whether more follow."""
    listing = _listing(kind, of)
    query = listing.query.where(listing.id > request.after)
    if request.updated_since is not None:
        query = query.where(listing.changed >= request.updated_since)
    if request.project is not None and listing.project_key is not None:
        query = query.where(listing.project_key == request.project)
    rows = list(session.execute(query.order_by(listing.id).limit(request.limit + 1)).all())
    return rows[:request.limit], len(rows) > request.limit


def one(session: Session, kind: str, row_id: int, of: int) -> Any | None:
    """The row of `kind` with this id, shaped as `page` gives it, or None."""
    listing = _listing(kind, of)
    return session.execute(listing.query.where(listing.id == row_id)).first()


def project(session: Session, key: str, of: int) -> Any | None:
    return session.execute(_listing("projects", of).query.where(ProjectRow.key == key)).first()


def milestone(session: Session, key: str, seq: int, of: int) -> Any | None:
    query = _listing("milestones", of).query.where(ProjectRow.key == key, MilestoneRow.seq == seq)
    return session.execute(query).first()


def invoice_milestones(session: Session, invoice_ids: list[int]) -> dict[int, list[int]]:
    """The milestone numbers each invoice bills (a monthly invoice bills several)."""
    found: dict[int, list[int]] = {}
    if not invoice_ids:
        return found
    for invoice_id, seq in session.execute(
        select(InvoiceMilestoneRow.invoice_id, MilestoneRow.seq)
        .join(MilestoneRow, MilestoneRow.id == InvoiceMilestoneRow.milestone_id)
        .where(InvoiceMilestoneRow.invoice_id.in_(invoice_ids)).order_by(MilestoneRow.seq)
    ):
        found.setdefault(invoice_id, []).append(seq)
    return found
