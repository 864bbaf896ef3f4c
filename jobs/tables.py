"""The background work's own tables, beside the store's: what the jobs must remember.

The schema comes from the `0003_background_jobs` Alembic revision; these classes mirror it.

- `sync_state`: per connection, the change-feed cursor (advanced only after the facts it
  covers are committed), the mapping settings drafts are created with, and when a webhook last
  asked for a sync.
- `webhook_events`: one row per platform event id, so a replayed or duplicated delivery finds
  its id taken and changes nothing.
- `webhook_deliveries` (revision `0009_rel2_webhook_deliveries`): each verified delivery as
  received, until `process_webhooks` has turned it into events and sync requests.
- `invoice_reminders`: one row per (invoice, reminder kind), so a reminder is sent once.
- `pause_flags`: the pause-work flag of a project, its reason, and when it cleared.
- `sync_log`: what a sync changed that a person should see (a bookkeeper's edit or deletion).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.store.models import Base, utcnow
from connector.store.types import UTCDateTime


class SyncStateRow(Base):
    __tablename__ = "sync_state"

    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    cursor: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookEventRow(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(200))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    events: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)


class InvoiceReminderRow(Base):
    __tablename__ = "invoice_reminders"
    __table_args__ = (UniqueConstraint("invoice_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PauseFlagRow(Base):
    __tablename__ = "pause_flags"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified: Mapped[str] = mapped_column(String(32), default="")


class SyncLogRow(Base):
    __tablename__ = "sync_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    invoice_platform_id: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(Text)
