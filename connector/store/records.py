"""Translation between the domain's frozen records and rows / JSON, in both directions.

Kept apart from the repositories so the mapping is written once: the same functions fill a
row, snapshot a version into a history table and build the outbox payload. JSON carries
amounts as decimal strings and dates as ISO 8601, as the public interfaces do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connector.billing.model import (
    Approver,
    AuditEvent,
    BillingMode,
    Customer,
    Deposit,
    DepositCredit,
    InvoiceIntent,
    InvoiceLine,
    LateFeePolicy,
    Milestone,
    MilestoneState,
    Project,
    RetainagePolicy,
    RetainageStep,
    Trigger,
)
from connector.billing.money import Money
from connector.billing.report import InvoiceView

from .models import AuditEventRow, InvoiceRow, MilestoneRow, PaymentRow, ProjectRow


def _s(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _d(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _money(value: Decimal | None, currency: str) -> Money | None:
    return None if value is None else Money(value, currency)


def _amount(value: Money | None) -> Decimal | None:
    return None if value is None else value.amount


# --- projects -------------------------------------------------------------------------------


def policies_json(project: Project) -> dict[str, Any]:
    late = project.late_fee
    deposit = project.deposit
    return {
        "late_fee": {
            "percent_per_month": _s(late.percent_per_month),
            "flat": _s(late.flat),
            "grace_days": late.grace_days,
            "as_separate_invoice": late.as_separate_invoice,
        },
        "retainage": {
            "steps": [
                {"percent": _s(s.percent), "until_billed_percent": _s(s.until_billed_percent)}
                for s in project.retainage.steps
            ]
        },
        "deposit": None
        if deposit is None
        else {
            "percent": _s(deposit.percent),
            "amount": _s(_amount(deposit.amount)),
            "credit": deposit.credit.value,
        },
    }


def fill_project_row(row: ProjectRow, project: Project) -> ProjectRow:
    policies = policies_json(project)
    row.key = project.key
    row.name = project.name
    row.customer_name = project.customer.name
    row.customer_email = project.customer.email
    row.customer_company = project.customer.company
    row.currency = project.currency
    row.contract_total = project.contract_total.amount
    row.contract_date = project.contract_date
    row.time_zone = project.time_zone
    row.payment_terms_days = project.payment_terms_days
    row.approval_window_days = project.approval_window_days
    row.holiday_calendar = project.holiday_calendar
    row.pause_work_after_days = project.pause_work_after_days
    row.late_fee = policies["late_fee"]
    row.retainage = policies["retainage"]
    row.deposit = policies["deposit"]
    row.signed_at = project.signed_at
    row.version = project.version
    return row


def project_from_row(row: ProjectRow) -> Project:
    late = row.late_fee or {}
    deposit = row.deposit
    return Project(
        key=row.key,
        name=row.name,
        customer=Customer(row.customer_name, row.customer_email, row.customer_company),
        currency=row.currency,
        contract_total=Money(row.contract_total, row.currency),
        contract_date=row.contract_date,
        time_zone=row.time_zone,
        payment_terms_days=row.payment_terms_days,
        approval_window_days=row.approval_window_days,
        holiday_calendar=row.holiday_calendar,
        pause_work_after_days=row.pause_work_after_days,
        late_fee=LateFeePolicy(
            percent_per_month=_d(late.get("percent_per_month")) or Decimal(0),
            flat=_d(late.get("flat")) or Decimal(0),
            grace_days=int(late.get("grace_days", 0)),
            as_separate_invoice=bool(late.get("as_separate_invoice", True)),
        ),
        retainage=RetainagePolicy(
            tuple(
                RetainageStep(Decimal(s["percent"]), _d(s.get("until_billed_percent")))
                for s in (row.retainage or {}).get("steps", [])
            )
        ),
        deposit=None
        if deposit is None
        else Deposit(
            percent=_d(deposit.get("percent")),
            amount=_money(_d(deposit.get("amount")), row.currency),
            credit=DepositCredit(deposit.get("credit", "final")),
        ),
        signed_at=row.signed_at,
        version=row.version,
    )


def project_terms_json(project: Project) -> dict[str, Any]:
    """The project's terms as one JSON document, for project_versions."""
    terms: dict[str, Any] = {
        "name": project.name,
        "customer": asdict(project.customer),
        "currency": project.currency,
        "contract_total": str(project.contract_total),
        "contract_date": project.contract_date.isoformat(),
        "time_zone": project.time_zone,
        "payment_terms_days": project.payment_terms_days,
        "approval_window_days": project.approval_window_days,
        "holiday_calendar": project.holiday_calendar,
        "pause_work_after_days": project.pause_work_after_days,
        "signed_at": _iso(project.signed_at),
    }
    terms.update(policies_json(project))
    return terms


# --- milestones -----------------------------------------------------------------------------


def fill_milestone_row(row: MilestoneRow, milestone: Milestone) -> MilestoneRow:
    m = milestone
    row.seq = m.seq
    row.name = m.name
    row.deliverable = m.deliverable
    row.acceptance_criteria = m.acceptance_criteria
    row.approver_name = m.approver.name
    row.approver_role = m.approver.role
    row.approver_email = m.approver.email
    row.trigger = m.trigger.value
    row.evidence_required = list(m.evidence_required)
    row.planned_date = m.planned_date
    row.fixed_amount = _amount(m.fixed_amount)
    row.percent = m.percent
    row.billing_mode = m.billing_mode.value
    row.state = m.state.value
    row.submitted_at = m.submitted_at
    row.approval_deadline = m.approval_deadline
    row.accepted_at = m.accepted_at
    row.accepted_by = m.accepted_by
    row.accepted_amount = _amount(m.accepted_amount)
    row.percent_complete = m.percent_complete
    row.billed = _amount(m.billed)
    row.paid = _amount(m.paid)
    row.evidence = list(m.evidence)
    row.generation = m.generation
    row.version = m.version
    row.removed = m.removed
    row.amended_by = m.amended_by
    return row


def milestone_from_row(row: MilestoneRow, currency: str) -> Milestone:
    return Milestone(
        seq=row.seq,
        name=row.name,
        deliverable=row.deliverable,
        acceptance_criteria=row.acceptance_criteria,
        approver=Approver(row.approver_name, row.approver_email, row.approver_role),
        trigger=Trigger(row.trigger),
        evidence_required=tuple(row.evidence_required or ()),
        planned_date=row.planned_date,
        fixed_amount=_money(row.fixed_amount, currency),
        percent=row.percent,
        billing_mode=BillingMode(row.billing_mode),
        state=MilestoneState(row.state),
        submitted_at=row.submitted_at,
        approval_deadline=row.approval_deadline,
        accepted_at=row.accepted_at,
        accepted_by=row.accepted_by,
        accepted_amount=_money(row.accepted_amount, currency),
        percent_complete=row.percent_complete,
        billed=_money(row.billed, currency),
        paid=_money(row.paid, currency),
        evidence=tuple(row.evidence or ()),
        generation=row.generation,
        version=row.version,
        removed=row.removed,
        amended_by=row.amended_by or "",
    )


def milestone_json(m: Milestone) -> dict[str, Any]:
    """A milestone version as JSON (milestone_versions.data)."""
    return {
        "seq": m.seq,
        "name": m.name,
        "deliverable": m.deliverable,
        "acceptance_criteria": m.acceptance_criteria,
        "approver": asdict(m.approver),
        "trigger": m.trigger.value,
        "evidence_required": list(m.evidence_required),
        "planned_date": _iso(m.planned_date),
        "fixed_amount": _s(_amount(m.fixed_amount)),
        "percent": _s(m.percent),
        "billing_mode": m.billing_mode.value,
        "state": m.state.value,
        "submitted_at": _iso(m.submitted_at),
        "approval_deadline": _iso(m.approval_deadline),
        "accepted_at": _iso(m.accepted_at),
        "accepted_by": m.accepted_by,
        "accepted_amount": _s(_amount(m.accepted_amount)),
        "percent_complete": _s(m.percent_complete),
        "billed": _s(_amount(m.billed)),
        "paid": _s(_amount(m.paid)),
        "evidence": list(m.evidence),
        "generation": m.generation,
        "removed": m.removed,
        "amended_by": m.amended_by,
    }


# --- audit events ---------------------------------------------------------------------------


def audit_row(project_id: int, event: AuditEvent) -> AuditEventRow:
    return AuditEventRow(
        project_id=project_id,
        seq=event.seq,
        kind=event.kind,
        at=event.at,
        actor=event.actor,
        from_state=event.from_state.value if event.from_state else None,
        to_state=event.to_state.value if event.to_state else None,
        reason=event.reason,
        evidence=list(event.evidence),
        data={k: str(v) for k, v in event.data.items()},
    )


def audit_from_row(row: AuditEventRow, project_key: str) -> AuditEvent:
    return AuditEvent(
        project_key=project_key,
        seq=row.seq,
        kind=row.kind,
        at=row.at,
        actor=row.actor,
        from_state=MilestoneState(row.from_state) if row.from_state else None,
        to_state=MilestoneState(row.to_state) if row.to_state else None,
        reason=row.reason,
        evidence=tuple(row.evidence or ()),
        data=dict(row.data or {}),
    )


# --- invoice intents (the outbox payload) ---------------------------------------------------


def intent_json(intent: InvoiceIntent) -> dict[str, Any]:
    """The outbox payload: everything `mappings/` needs to build a platform invoice."""
    return {
        "idempotency_key": intent.idempotency_key,
        "project_key": intent.project_key,
        "customer": asdict(intent.customer),
        "currency": intent.currency,
        "invoice_date": intent.invoice_date.isoformat(),
        "due_date": intent.due_date.isoformat(),
        "payment_terms_days": intent.payment_terms_days,
        "reference": intent.reference,
        "seq": intent.seq,
        "evidence": list(intent.evidence),
        "memo": intent.memo,
        "total": str(intent.total),
        "lines": [
            {
                "description": line.description,
                "amount": str(line.amount),
                "kind": line.kind,
                "quantity": _s(line.quantity),
                "item_code": line.item_code,
                "seq": line.seq,
            }
            for line in intent.lines
        ],
    }


def intent_from_json(data: dict[str, Any]) -> InvoiceIntent:
    """The inverse of `intent_json`, for the outbox drainer."""
    currency = data["currency"]
    return InvoiceIntent(
        idempotency_key=data["idempotency_key"],
        project_key=data["project_key"],
        customer=Customer(**data["customer"]),
        currency=currency,
        invoice_date=date.fromisoformat(data["invoice_date"]),
        due_date=date.fromisoformat(data["due_date"]),
        payment_terms_days=int(data["payment_terms_days"]),
        reference=data["reference"],
        seq=data.get("seq"),
        evidence=tuple(data.get("evidence", ())),
        memo=data.get("memo", ""),
        lines=tuple(
            InvoiceLine(
                description=line["description"],
                amount=Money(Decimal(line["amount"]), currency),
                kind=line.get("kind", "milestone"),
                quantity=Decimal(line.get("quantity") or "1"),
                item_code=line.get("item_code"),
                seq=line.get("seq"),
            )
            for line in data["lines"]
        ),
    )


def invoice_view(
    row: InvoiceRow, seq: int | None, idempotency_key: str, payments: Iterable[PaymentRow] = ()
) -> InvoiceView:
    currency = row.currency
    return InvoiceView(
        platform=row.platform,
        id=row.platform_id,
        number=row.number or "",
        status=row.status,
        total=Money(row.total, currency),
        amount_paid=Money(row.amount_paid, currency),
        balance=Money(row.balance, currency),
        due_date=row.due_date,
        seq=seq,
        idempotency_key=idempotency_key,
        payments=tuple((p.on, Money(p.amount, currency)) for p in payments),
        issued_at=row.created_at,
        changed_at=row.updated_at,
    )


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()
