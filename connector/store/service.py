"""The unit-of-work layer: load records, call a pure domain function, persist everything at once.

Each function here takes an open `Session` inside a transaction (see `db.transaction`) and
never commits: the new milestone values, the audit event, the version history and, when the
event is billable, the outbox intent are written together or not at all (and so is the
outbound webhook event of a submission or acceptance, `webhook_events`). The domain functions
are passed in (`step`, `bill`, `apply`), so the store holds no billing rules of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing import intents, lifecycle
from connector.billing.calendar import local_date
from connector.billing.intents import PriorBilling
from connector.billing.model import AuditEvent, ChangeOrder, InvoiceIntent, Milestone, Project
from connector.billing.progress import MonthlyCharge, monthly_intent
from connector.billing.report import deposit_received
from mappings.settings import MappingSettings

from . import evidence, late_fee_lines, mail_outbox, records, webhook_events
from .errors import DuplicateChangeOrder, DuplicateMonthlyInvoice, MilestoneNotFound
from .mapping_rows import set_project_mapping
from .models import DEFAULT_ORGANISATION_ID, ChangeOrderRow
from .repository import BillingRepository

Step = Callable[[Project, Milestone, Sequence[Milestone]], tuple[Milestone, AuditEvent]]
"""A pure lifecycle step: (project, the milestone as it is, the whole schedule) -> the milestone
as it becomes, and the event that says why."""


@dataclass(frozen=True)
class Billing:
    """What a billable event produces: the intent, and the milestone moved to invoice due."""

    intent: InvoiceIntent
    milestone: Milestone
    event: AuditEvent


Biller = Callable[[Project, Sequence[Milestone], Milestone, PriorBilling], Billing | None]
"""Given the project, its schedule, a just-transitioned milestone and what was billed before
(the live intents, the deposit received): the billing, if the milestone is now billable (see
`store.billing.biller`)."""

ChangeOrderFn = Callable[
    [Project, Sequence[Milestone], ChangeOrder],
    tuple[Project, Sequence[Milestone], Sequence[AuditEvent]],
]


def import_schedule(
    session: Session, project: Project, milestones: Sequence[Milestone], event: AuditEvent,
    *, mapping: Mapping[str, Any] | None = None, organisation_id: int = DEFAULT_ORGANISATION_ID,
) -> None:
    """Store a new, validated schedule as a project of `organisation_id`; a duplicate key raises
    DuplicateProject. `mapping` is the project's `[project.mapping]`; an unknown key in it
    raises ValueError naming it."""
    MappingSettings.from_dict(mapping)
    repo = BillingRepository(session)
    repo.add_project(project, list(milestones), organisation_id)
    repo.append_event(event)
    if mapping:
        set_project_mapping(session, project.key, dict(mapping))


def transition(
    session: Session,
    key: str,
    seq: int,
    step: Step,
    *,
    bill: Biller | None = None,
    evidence_files: Sequence[Path] = (),
    evidence_policy: evidence.EvidencePolicy | None = None,
    uploads: Sequence[evidence.Upload] = (),
    repo: BillingRepository | None = None,
) -> Milestone:
    """Apply one lifecycle step to a stored milestone, and bill it when it became billable.

    Raises the domain's error (IllegalTransition...) untouched, ConcurrentUpdate when another
    writer changed the milestone since it was read, or EvidenceRefused for a file (on disk, or
    `uploads` received by the API) the policy (default: the working folder, every platform's
    rules) refuses. Returns the milestone as stored. `repo`: the caller's repository on
    `session`, when it has read rows this step needs.
    """
    repo = repo or BillingRepository(session)
    project, schedule = repo.load(key)
    current = next((m for m in schedule if m.seq == seq), None)
    if current is None:
        raise MilestoneNotFound(key, seq)
    policy = evidence_policy or evidence.EvidencePolicy.build()
    files = _inspected_evidence(repo, key, seq, evidence_files, policy, uploads)
    new, event = step(project, current, schedule)
    stored = repo.save_milestone(key, new, current.version)
    repo.append_event(event)
    webhook_events.milestone_changed(session, event, stored)  # subscribers told, in this transaction
    mail_outbox.queue_for_event(session, project, new, event)  # the approver's, when e-mail is on
    for read in files:  # one file's bytes in memory at a time
        file = read()
        repo.add_evidence(key, seq, file.name, file.sha256, len(file.content), event.actor,
                          content=file.content, content_type=file.content_type)
        session.flush()
    if bill is not None:
        stored = _bill(repo, key, stored, bill)
    return stored


def _inspected_evidence(
    repo: BillingRepository, key: str, seq: int, paths: Sequence[Path], policy: evidence.EvidencePolicy,
    uploads: Sequence[evidence.Upload] = (),
) -> list[Callable[[], evidence.CheckedFile]]:
    """Every file checked, count first, before anything is written or read; a reader of each."""
    if not paths and not uploads:
        return []
    milestone_id = repo.milestone_row(repo.project_row(key), seq).id
    evidence.check_count(evidence.stored_names(repo.session, milestone_id),
                         [p.name for p in paths] + [u.name for u in uploads], policy.rules)
    readers: list[Callable[[], evidence.CheckedFile]] = []
    for i, path in enumerate(paths):
        where, found = f"evidence[{i}]", evidence.inspect_file(path, policy, f"evidence[{i}]")
        readers.append(lambda p=found, w=where: evidence.read_file(p, policy, w))  # type: ignore[misc]
    for i, upload in enumerate(uploads, start=len(paths)):
        where, received = f"evidence[{i}]", evidence.inspect_upload(upload, policy, f"evidence[{i}]")
        readers.append(lambda u=received, w=where: evidence.read_upload(u, policy, w))  # type: ignore[misc]
    return readers


def bill_milestone(session: Session, key: str, seq: int, bill: Biller) -> Milestone:
    """Bill a milestone that became billable without a step of its own (signature, date)."""
    repo = BillingRepository(session)
    _, current = repo.milestone(key, seq)
    return _bill(repo, key, current, bill)


def _bill(repo: BillingRepository, key: str, milestone: Milestone, bill: Biller) -> Milestone:
    project, schedule = repo.load(key)
    prior = repo.queued_intents(key)
    received = deposit_received(project, repo.invoice_views(key), prior)
    billing = bill(project, schedule, milestone, PriorBilling(tuple(prior), received))
    if billing is None:
        return milestone
    stored = repo.save_milestone(key, billing.milestone, milestone.version)
    repo.append_event(billing.event)
    repo.enqueue(_with_waiting_fees(repo, billing.intent, billing.event.at))
    return stored


def _with_waiting_fees(repo: BillingRepository, intent: InvoiceIntent, at: datetime) -> InvoiceIntent:
    """A new intent takes the project's late fees waiting for the next invoice (a policy of
    `as = "line"`); an intent already queued under its key is left as it was."""
    if any(row.idempotency_key == intent.idempotency_key for row in repo.outbox(intent.project_key)):
        return intent
    return late_fee_lines.add_waiting_fees(repo.session, intent, at)


def apply_change_order(
    session: Session, key: str, order: ChangeOrder, apply: ChangeOrderFn
) -> tuple[Project, list[Milestone]]:
    """Apply a written change order; every touched milestone gets a version linked to it."""
    repo = BillingRepository(session)
    project_row = repo.project_row(key)
    if session.scalars(
        select(ChangeOrderRow.id).where(
            ChangeOrderRow.project_id == project_row.id, ChangeOrderRow.reference == order.reference
        )
    ).first():
        raise DuplicateChangeOrder(key, order.reference)
    project, schedule = repo.load(key)
    new_project, new_schedule, events = apply(project, schedule, order)
    order_row = ChangeOrderRow(
        project_id=project_row.id,
        reference=order.reference,
        approver=order.approver,
        on=order.on,
        reason=order.reason,
        body=change_order_json(order),
    )
    session.add(order_row)
    session.flush()
    if new_project != project:
        repo.save_project(new_project, order_row.id)
    before = {m.seq: m for m in schedule}
    for milestone in new_schedule:
        old = before.get(milestone.seq)
        if old is None:
            repo.insert_milestone(project_row, milestone, order_row.id)
        elif old != milestone:
            repo.save_milestone(key, milestone, old.version, order_row.id)
    for event in events:
        repo.append_event(event)
    return repo.load(key)


def sign_project(
    session: Session, key: str, at: datetime, by: str, bill: Biller
) -> tuple[Project, list[int]]:
    """Record the signature; queue the deposit invoice and bill on_signature/on_date milestones.

    Returns the signed project and the sequence numbers that became invoice due.
    """
    repo = BillingRepository(session)
    project, schedule = repo.load(key)
    signed, event = lifecycle.sign(project, at, by)
    repo.save_project(signed, None)
    repo.append_event(event)
    if signed.deposit is not None:
        repo.enqueue(intents.deposit_intent(signed, local_date(at, signed.time_zone)))
    due = [m.seq for m in schedule if not m.removed and lifecycle.billable_without_acceptance(signed, m, at)]
    for seq in due:
        bill_milestone(session, key, seq, bill)
    return signed, due


def queue_monthly_invoice(
    session: Session,
    key: str,
    month: str,
    charges: Sequence[MonthlyCharge],
    invoice_date: date,
    at: datetime,
    by: str,
) -> InvoiceIntent:
    """Queue the month's invoice (`month` is `YYYY-MM`) and mark the milestones on it invoice
    due, in `session`'s transaction, for the CLI and the web app alike.

    A month is invoiced once: a second request raises DuplicateMonthlyInvoice rather than being
    merged, since the first may already be in the customer's books. Nothing billable in the
    month (no milestone, no charge) raises the domain's NotBillableYet.
    """
    repo = BillingRepository(session)
    project, schedule = repo.load(key)
    intent = monthly_intent(project, schedule, month, charges, invoice_date)
    if any(row.idempotency_key == intent.idempotency_key for row in repo.outbox(key)):
        raise DuplicateMonthlyInvoice(key, month)
    intent = late_fee_lines.add_waiting_fees(session, intent, at)
    repo.enqueue(intent)
    for seq in dict.fromkeys(line.seq for line in intent.lines if line.seq is not None):
        transition(session, key, seq, lambda p, m, _s: lifecycle.mark_invoice_due(p, m, intent, at, by))
    repo.append_event(AuditEvent(
        project_key=key, seq=None, kind="monthly_invoice", at=at, actor=by,
        data={"month": month, "idempotency_key": intent.idempotency_key,
              "total": str(intent.total), "lines": str(len(intent.lines))},
    ))
    return intent


def record_event(session: Session, event: AuditEvent) -> None:
    """Append a project-level event (signature, note) to the trail."""
    BillingRepository(session).append_event(event)


def change_order_json(order: ChangeOrder) -> dict[str, object]:
    return {
        "reference": order.reference,
        "approver": order.approver,
        "on": order.on.isoformat(),
        "reason": order.reason,
        "add": [records.milestone_json(m) for m in order.add],
        "change": [
            {"seq": seq, "values": {k: _plain(v) for k, v in values.items()}}
            for seq, values in order.change
        ],
        "remove": list(order.remove),
        "contract_total": None if order.contract_total is None else str(order.contract_total),
    }


def _plain(value: object) -> object:
    if value is None or isinstance(value, int | str | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value)
