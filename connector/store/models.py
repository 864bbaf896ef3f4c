"""The tables. Rows hold what the domain records hold, plus the bookkeeping the store needs.

The schema is created and changed only by the Alembic migrations in `migrations/`; these
classes mirror them for queries. Money is `Amount` (exact Decimal on every backend), instants
are `UTCDateTime`. History tables (`project_versions`, `milestone_versions`, `audit_events`)
are append-only: nothing updates or deletes their rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .types import Amount, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Amount(), dict[str, Any]: JSON()}


class ProjectRow(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str] = mapped_column(String(320))
    customer_company: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    contract_total: Mapped[Decimal]
    contract_date: Mapped[date] = mapped_column(Date)
    time_zone: Mapped[str] = mapped_column(String(64))
    payment_terms_days: Mapped[int]
    approval_window_days: Mapped[int]
    holiday_calendar: Mapped[str] = mapped_column(String(16))
    pause_work_after_days: Mapped[int | None]
    # Policies as JSON of decimal strings: they are read and written whole, never queried.
    late_fee: Mapped[dict[str, Any]]
    retainage: Mapped[dict[str, Any]]
    deposit: Mapped[dict[str, Any] | None]
    signed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    milestones: Mapped[list[MilestoneRow]] = relationship(
        back_populates="project", order_by="MilestoneRow.seq"
    )


class ProjectVersionRow(Base):
    """The project's terms as they stood at each version (change orders move the total)."""

    __tablename__ = "project_versions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    version: Mapped[int]
    terms: Mapped[dict[str, Any]]
    change_order_id: Mapped[int | None] = mapped_column(ForeignKey("change_orders.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class MilestoneRow(Base):
    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("project_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    deliverable: Mapped[str] = mapped_column(Text)
    acceptance_criteria: Mapped[str] = mapped_column(Text)
    approver_name: Mapped[str] = mapped_column(String(200))
    approver_role: Mapped[str] = mapped_column(String(200))
    approver_email: Mapped[str] = mapped_column(String(320))
    trigger: Mapped[str] = mapped_column(String(32))
    evidence_required: Mapped[list[str]] = mapped_column(JSON)
    planned_date: Mapped[date | None] = mapped_column(Date)
    fixed_amount: Mapped[Decimal | None]
    percent: Mapped[Decimal | None] = mapped_column(Amount(20, 10))
    billing_mode: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32), index=True)
    submitted_at: Mapped[datetime | None]
    approval_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[str | None] = mapped_column(String(200))
    accepted_amount: Mapped[Decimal | None]
    percent_complete: Mapped[Decimal] = mapped_column(Amount(20, 10))
    billed: Mapped[Decimal | None]
    paid: Mapped[Decimal | None]
    evidence: Mapped[list[str]] = mapped_column(JSON)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    # Optimistic lock: every write is UPDATE ... WHERE version = :expected.
    version: Mapped[int] = mapped_column(Integer, default=1)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The change order that last amended it, "CO-1 of 2026-12-14" (0009); "" when none did.
    amended_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    project: Mapped[ProjectRow] = relationship(back_populates="milestones")


class MilestoneVersionRow(Base):
    """Every version a milestone has had: one row per persisted change, never edited."""

    __tablename__ = "milestone_versions"
    __table_args__ = (UniqueConstraint("milestone_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id"), index=True)
    version: Mapped[int]
    data: Mapped[dict[str, Any]]
    change_order_id: Mapped[int | None] = mapped_column(ForeignKey("change_orders.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    seq: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeOrderRow(Base):
    __tablename__ = "change_orders"
    __table_args__ = (UniqueConstraint("project_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    reference: Mapped[str] = mapped_column(String(100))
    approver: Mapped[str] = mapped_column(String(200))
    on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]]
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceRow(Base):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(100), default="")
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The file itself (0006), so drain_outbox can attach it; None when only a name was given.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    content_type: Mapped[str | None] = mapped_column(String(100))


class ConnectionRow(Base):
    """A company's QuickBooks realm or Xero tenant; the gateway's migrations add the rest."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(32), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxRow(Base):
    """One row per event that must reach the outside once: an invoice intent, a credit or void
    request (carried to the platform), or an e-mail (kind "mail", sent over SMTP; 0015)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # null for e-mail, which carries its project's key in the payload (0015)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    seq: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    # "invoice": the payload is an invoice intent; "void": void or credit an invoice (0007)
    kind: Mapped[str] = mapped_column(String(16), default="invoice", server_default="invoice")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # why it last waited or failed: waiting, auth, infrastructure, retry, refused (0011)
    cause: Mapped[str | None] = mapped_column(String(16))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id"))
    payload: Mapped[dict[str, Any]]
    # not claimed again before this instant (a retry's backoff); null: at once (0015)
    not_before: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LateFeeChargeRow(Base):
    """A period's late fee waiting for (or put on) the project's next invoice intent (0007)."""

    __tablename__ = "late_fee_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    period_key: Mapped[str] = mapped_column(String(200), unique=True)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text)
    intent_key: Mapped[str | None] = mapped_column(String(200))  # None: still waiting
    charged_at: Mapped[datetime] = mapped_column(default=utcnow)
    billed_at: Mapped[datetime | None]


class InvoiceRow(Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("platform", "connection_id", "platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    platform: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal]
    amount_paid: Mapped[Decimal]
    balance: Mapped[Decimal]
    due_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InvoiceMilestoneRow(Base):
    """Which milestones an invoice bills, and how much of each (a monthly invoice bills several)."""

    __tablename__ = "invoice_milestones"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id"), primary_key=True)
    amount: Mapped[Decimal]


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("invoice_id", "platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    platform_id: Mapped[str] = mapped_column(String(100))
    on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]
    method: Mapped[str] = mapped_column(String(64), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobRunRow(Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64), index=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
