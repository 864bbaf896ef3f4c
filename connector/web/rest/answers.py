"""What the API answers: one pydantic model per answer, so the document describes exactly what
is sent (every answer is built through its model, `send`). Amounts are decimal strings,
instants ISO 8601 with their offset, dates ISO 8601."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeAlias

from flask import Response, jsonify
from pydantic import BaseModel, ConfigDict, Field, create_model

from .problems import ProblemItem

DecimalText: TypeAlias = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["1234.57"])]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


def send(model: type[Answer], data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """`data` checked against its model and sent as JSON."""
    answer = jsonify(model.model_validate(data).model_dump(mode="json"))
    answer.status_code = status
    answer.headers.update(headers or {})
    return answer


class Imported(Answer):
    key: str
    milestones: int = Field(description="how many milestones were imported")
    warnings: list[ProblemItem]


class Stepped(Answer):
    key: str
    seq: int
    state: str
    billed: DecimalText | None


class VoidQueued(Answer):
    key: str
    seq: int
    idempotency_key: str
    invoice: str | None = Field(description="the invoice's number (or platform id)")
    platform: str | None
    queued: bool = Field(description="false when the same void was already asked")


class CreditQueued(Answer):
    key: str
    seq: int
    idempotency_key: str
    invoice: str | None
    platform: str | None
    amount: DecimalText
    net: DecimalText
    queued: bool


class ReportInvoice(Answer):
    platform: str
    id: str
    number: str
    status: str
    total: DecimalText
    amount_paid: DecimalText
    balance: DecimalText


class ReportMilestone(Answer):
    seq: int
    name: str
    amount: DecimalText
    state: str
    approval_deadline: str | None
    invoiced: DecimalText
    credited: DecimalText
    billed: DecimalText
    paid: DecimalText
    invoice: ReportInvoice | None


class Basis(Answer):
    net: list[str]
    gross: list[str]


class Report(Answer):
    """Where the contract stands, as `milepost report --format json` prints it."""

    key: str
    currency: str
    contract_total: DecimalText
    billed: DecimalText
    accepted_unbilled: DecimalText
    remaining: DecimalText
    retainage_held: DecimalText
    invoiced: DecimalText
    credited: DecimalText
    paid: DecimalText
    outstanding: DecimalText
    overdue: DecimalText
    basis: Basis
    pause_work: bool
    pause_work_reason: str | None
    milestones: list[ReportMilestone]


class Customer(Answer):
    name: str
    email: str
    company: str | None


class Project(Answer):
    key: str
    name: str
    customer: Customer
    currency: str
    contract_total: DecimalText
    contract_date: date
    time_zone: str
    payment_terms_days: int
    approval_window_days: int
    holiday_calendar: str
    pause_work_after_days: int | None
    signed_at: datetime | None
    connection: int | None = Field(description="the connection it bills through, when linked")
    version: int
    created_at: datetime
    updated_at: datetime


class Approver(Answer):
    name: str
    role: str
    email: str


class Milestone(Answer):
    project: str
    seq: int
    name: str
    deliverable: str
    acceptance_criteria: str
    approver: Approver
    trigger: str
    billing: str
    percent: DecimalText | None
    amount: DecimalText | None = Field(description="its scheduled value (none once removed)")
    state: str
    planned_date: date | None
    submitted_at: datetime | None
    approval_deadline: datetime | None
    accepted_at: datetime | None
    accepted_by: str | None
    accepted_amount: DecimalText | None
    percent_complete: DecimalText
    billed: DecimalText | None
    paid: DecimalText | None
    evidence: list[str]
    removed: bool
    version: int
    updated_at: datetime


class Invoice(Answer):
    id: int
    project: str
    milestones: list[int] = Field(description="the milestones it bills")
    idempotency_key: str | None
    connection: int | None
    platform: str
    platform_id: str
    number: str | None
    status: str
    currency: str
    total: DecimalText
    amount_paid: DecimalText
    balance: DecimalText
    due_date: date | None
    created_at: datetime
    updated_at: datetime


class Payment(Answer):
    id: int
    project: str
    invoice: int
    platform_id: str
    on: date
    amount: DecimalText
    currency: str
    method: str
    recorded_at: datetime


class Event(Answer):
    """One entry of a project's history (the audit trail)."""

    id: int
    project: str
    seq: int | None
    kind: str
    at: datetime
    actor: str
    from_state: str | None
    to_state: str | None
    reason: str
    evidence: list[str]
    data: dict[str, Any]
    recorded_at: datetime


def page_of(item: type[Answer]) -> type[Answer]:
    """A page of `item`s, with the cursor of the next page (null on the last)."""
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"{item.__name__}Page", __base__=Answer,
        items=(list[item], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, Field(description="pass as `cursor` for the next page; null: the last page")),
        next=(str | None, Field(description="the next page's URL (also the Link header); null: the last page")),
    )


ProjectPage, MilestonePage, InvoicePage, PaymentPage, EventPage = (
    page_of(m) for m in (Project, Milestone, Invoice, Payment, Event))


class Document(BaseModel):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow", title="OpenAPIDocument")
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
