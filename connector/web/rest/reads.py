"""The read endpoints: projects, milestones, invoices, payments and history, as lists of
cursor pages (`paging`) and one by one. Each record is built through its answer model.

Only the calling key's organisation's records are read (`keys.organisation`): another's are
not found, by id as in lists.

A milestone's `amount` is its scheduled value, which depends on the whole schedule
(percentages split by largest remainder), so each project on a page is loaded once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Response
from sqlalchemy.orm import Session

from connector.billing.allocation import scheduled_amounts
from connector.billing.money import Money
from connector.store import listing
from connector.store.links import links
from connector.store.models import AuditEventRow, InvoiceRow, MilestoneRow, PaymentRow, ProjectRow
from connector.store.repository import BillingRepository

from ..keys import organisation
from ..resources import resources
from . import answers as a
from .paging import ListQuery, ProjectListQuery, page_request, send_page
from .problems import problem, problem_response
from .routes import route


def _text(value: Any) -> str | None:
    """A stored decimal (a percent) as written, without PostgreSQL's padding of trailing zeros."""
    return None if value is None else f"{value.normalize():f}" if value else "0"


def _money(value: Any, currency: str) -> str | None:
    """A stored amount in the currency's minor unit (NUMERIC(18, 4) keeps four places)."""
    return None if value is None else str(Money(value, currency))


def project_json(row: ProjectRow, connection: int | None) -> dict[str, Any]:
    return {
        "key": row.key, "name": row.name,
        "customer": {"name": row.customer_name, "email": row.customer_email, "company": row.customer_company},
        "currency": row.currency, "contract_total": _money(row.contract_total, row.currency),
        "contract_date": row.contract_date, "time_zone": row.time_zone,
        "payment_terms_days": row.payment_terms_days, "approval_window_days": row.approval_window_days,
        "holiday_calendar": row.holiday_calendar, "pause_work_after_days": row.pause_work_after_days,
        "signed_at": row.signed_at, "connection": connection, "version": row.version,
        "created_at": row.created_at, "updated_at": row.updated_at,
    }


def milestone_json(row: MilestoneRow, key: str, currency: str, amount: Any) -> dict[str, Any]:
    return {
        "project": key, "seq": row.seq, "name": row.name, "deliverable": row.deliverable,
        "acceptance_criteria": row.acceptance_criteria,
        "approver": {"name": row.approver_name, "role": row.approver_role, "email": row.approver_email},
        "trigger": row.trigger, "billing": row.billing_mode, "percent": _text(row.percent),
        "amount": None if amount is None else str(amount), "state": row.state,
        "planned_date": row.planned_date, "submitted_at": row.submitted_at,
        "approval_deadline": row.approval_deadline, "accepted_at": row.accepted_at,
        "accepted_by": row.accepted_by, "accepted_amount": _money(row.accepted_amount, currency),
        "percent_complete": _text(row.percent_complete), "billed": _money(row.billed, currency),
        "paid": _money(row.paid, currency), "evidence": list(row.evidence or ()), "removed": row.removed,
        "version": row.version, "updated_at": row.updated_at,
    }


def invoice_json(row: InvoiceRow, key: str, idempotency_key: str | None, seqs: Sequence[int]) -> dict[str, Any]:
    return {
        "id": row.id, "project": key, "milestones": list(seqs), "idempotency_key": idempotency_key,
        "connection": row.connection_id, "platform": row.platform, "platform_id": row.platform_id,
        "number": row.number, "status": row.status, "currency": row.currency,
        "total": _money(row.total, row.currency), "amount_paid": _money(row.amount_paid, row.currency),
        "balance": _money(row.balance, row.currency),
        "due_date": row.due_date, "created_at": row.created_at, "updated_at": row.updated_at,
    }


def payment_json(row: PaymentRow, invoice: InvoiceRow, key: str) -> dict[str, Any]:
    return {"id": row.id, "project": key, "invoice": invoice.id, "platform_id": row.platform_id,
            "on": row.on, "amount": _money(row.amount, invoice.currency), "currency": invoice.currency,
            "method": row.method, "recorded_at": row.recorded_at}


def event_json(row: AuditEventRow, key: str) -> dict[str, Any]:
    return {"id": row.id, "project": key, "seq": row.seq, "kind": row.kind, "at": row.at,
            "actor": row.actor, "from_state": row.from_state, "to_state": row.to_state,
            "reason": row.reason or "", "evidence": list(row.evidence or ()),
            "data": dict(row.data or {}), "recorded_at": row.recorded_at}


# --- turning a page's rows into records ----------------------------------------------------

def _projects(db: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    linked = links(db)
    return [project_json(r.ProjectRow, linked.get(r.ProjectRow.key)) for r in rows]


def _milestones(db: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    repo, amounts = BillingRepository(db), {}
    for key in dict.fromkeys(r.ProjectRow.key for r in rows):
        project, schedule = repo.load(key)
        amounts[key] = scheduled_amounts(project, schedule)
    return [milestone_json(r.MilestoneRow, r.ProjectRow.key, r.ProjectRow.currency,
                           amounts[r.ProjectRow.key].get(r.MilestoneRow.seq)) for r in rows]


def _invoices(db: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    seqs = listing.invoice_milestones(db, [r.InvoiceRow.id for r in rows])
    return [invoice_json(r.InvoiceRow, r.key, r.idempotency_key, seqs.get(r.InvoiceRow.id, ())) for r in rows]


def _payments(db: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [payment_json(r.PaymentRow, r.InvoiceRow, r.key) for r in rows]


def _events(db: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [event_json(r.AuditEventRow, r.key) for r in rows]


Builder = Callable[[Session, Sequence[Any]], list[dict[str, Any]]]
KINDS: dict[str, tuple[Builder, type[a.Answer], type[a.Answer]]] = {
    "projects": (_projects, a.Project, a.ProjectPage),
    "milestones": (_milestones, a.Milestone, a.MilestonePage),
    "invoices": (_invoices, a.Invoice, a.InvoicePage),
    "payments": (_payments, a.Payment, a.PaymentPage),
    "history": (_events, a.Event, a.EventPage),
}


def _list(kind: str, query: type[ListQuery]) -> Response:
    asked, found = page_request(query)
    if asked is None:
        return problem_response(400, *found)
    build, _, page_model = KINDS[kind]
    with resources().sessions() as db:
        rows, more = listing.page(db, kind, asked, organisation(db).id)
        items = build(db, rows)
    return send_page(page_model, items, rows[-1][0].id if rows else None, more)


def _one(kind: str, row: Any, db: Session, what: str) -> Response:
    if row is None:
        return problem_response(404, problem(what, "not_found", f"no such {what}"))
    build, model, _ = KINDS[kind]
    return a.send(model, build(db, [row])[0])


def _list_view(kind: str, query: type[ListQuery]) -> Callable[[], Response]:
    def view() -> Response:
        return _list(kind, query)

    view.__name__ = f"list_{kind}"
    return view


def _read_view(kind: str, what: str) -> Callable[..., Response]:
    def view(**values: int) -> Response:
        with resources().sessions() as db:
            return _one(kind, listing.one(db, kind, values[f"{what}_id"], organisation(db).id), db, what)

    view.__name__ = f"read_{what}"
    return view


LISTS = (("projects", ListQuery, "List projects"), ("milestones", ProjectListQuery, "List milestones"),
         ("invoices", ProjectListQuery, "List invoices"), ("payments", ProjectListQuery, "List payments"),
         ("history", ProjectListQuery, "List history (audit events)"))
BY_ID = (("invoices", "invoice", "Read an invoice"), ("payments", "payment", "Read a payment"),
         ("history", "event", "Read a history event"))

for kind, query, summary in LISTS:
    route("GET", f"/{kind}", scope="read", tag=kind, summary=summary, answers={200: KINDS[kind][2]},
          query=query, headers={200: {"Link": 'the next page: `<URL>; rel="next"` (absent on the last page)'}},
          )(_list_view(kind, query))
for kind, what, summary in BY_ID:
    route("GET", f"/{kind}/<int:{what}_id>", scope="read", tag=kind, summary=summary,
          answers={200: KINDS[kind][1]})(_read_view(kind, what))


@route("GET", "/projects/<key>", scope="read", tag="projects", summary="Read a project",
       answers={200: a.Project})
def read_project(key: str) -> Response:
    with resources().sessions() as db:
        return _one("projects", listing.project(db, key, organisation(db).id), db, "project")


@route("GET", "/projects/<key>/milestones/<int:seq>", scope="read", tag="milestones",
       summary="Read a milestone", answers={200: a.Milestone})
def read_milestone(key: str, seq: int) -> Response:
    with resources().sessions() as db:
        return _one("milestones", listing.milestone(db, key, seq, organisation(db).id), db, "milestone")
