"""What the background work left for a person to read: bookkeepers' edits and pause-work flags.

The sync writes a `sync_log` row whenever the books overrule Milepost (an invoice edited,
voided or deleted there, a payment removed, a milestone reopened); the pause-work job keeps a
flag with its reason per project. Both are read here for the admin pages, from the store only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.store.models import InvoiceRow, ProjectRow
from connector.store.organisations import of_connections
from jobs.pause_flags import active_flags
from jobs.tables import SyncLogRow

RECENT_EDITS = 50


@dataclass(frozen=True)
class BookkeeperEdit:
    at: datetime
    connection_id: int
    message: str
    project_key: str | None  # None when the invoice is not one of ours any more


def bookkeeper_edits(session: Session, organisation_id: int, project_key: str | None = None,
                     limit: int = RECENT_EDITS) -> list[BookkeeperEdit]:
    """The newest sync-log rows of the organisation's connections first, all of them or those
    about one project's invoices."""
    query = (
        select(SyncLogRow.at, SyncLogRow.connection_id, SyncLogRow.message, ProjectRow.key)
        .where(of_connections(SyncLogRow.connection_id, organisation_id))
        .outerjoin(InvoiceRow, (InvoiceRow.platform_id == SyncLogRow.invoice_platform_id)
                   & (InvoiceRow.connection_id == SyncLogRow.connection_id))
        .outerjoin(ProjectRow, ProjectRow.id == InvoiceRow.project_id)
        .order_by(SyncLogRow.id.desc())
        .limit(limit)
    )
    if project_key is not None:
        query = query.where(ProjectRow.key == project_key)
    return [BookkeeperEdit(at, connection, message, key) for at, connection, message, key in session.execute(query)]


def pause_reasons(session: Session, organisation_id: int) -> dict[str, str]:
    """Project key -> why work should pause, for every project of the organisation flagged now
    (the stored flag, the same one the report and the outgoing notification use)."""
    return active_flags(session, organisation_id)
