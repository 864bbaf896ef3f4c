"""The project report as the store knew it at a moment, for the CLI, the API and the admin app.

`billing.report.build_report` computes the figures from facts; this module picks the facts as
of `at`, so nothing that happened after that instant shows (`milepost report --at`):
- invoice intents are the ones live then: an invoice voided in the books, or settled by a void
  from here, after `at` still counts (`BillingRepository.queued_intents(at=...)`);
- credits asked for after `at` are left out, and the billing they took off a milestone is put
  back (`restored`), as is the billing of an intent voided since;
- the contract total is the one before any change order dated after `at`'s day and recorded
  after `at`, and before any credit asked for after `at`;
- each milestone stands as it did then: the state its audit trail had reached
  (`billing.as_of.state_at`), and its terms (name, deliverable, planned date, amount or percent,
  removed) without what a later change order (as above) changed; one it added is left out;
- payments dated after `at`'s day, invoices first seen after `at`, and a status (void, credit)
  learned after it are left out by `build_report` itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.as_of import state_at
from connector.billing.calendar import local_date
from connector.billing.invoicing import intent_gross
from connector.billing.model import Milestone, MilestoneState, Project
from connector.billing.money import Money
from connector.billing.report import Report, build_report

from . import credit_totals
from .models import ChangeOrderRow, MilestoneRow, MilestoneVersionRow, ProjectVersionRow
from .repository import BillingRepository


def project_report(session: Session, key: str, at: datetime) -> Report:
    """The report of project `key` as of `at` (raises ProjectNotFound)."""
    repo = BillingRepository(session)
    project, milestones = repo.load(key)
    rows = repo.outbox(key)
    generations = {m.seq: m.generation for m in milestones if m.state is not MilestoneState.VOIDED}
    then = repo.queued_intents(key, at=at)
    now_keys = {i.idempotency_key for i in repo.queued_intents(key)}
    credited_then = credit_totals.credited_by_milestone(rows, generations, project.currency, at)
    credited_now = credit_totals.credited_by_milestone(rows, generations, project.currency)
    zero = Money.zero(project.currency)
    restored = {
        m.seq: credited_now.get(m.seq, zero) - credited_then.get(m.seq, zero)
        + sum((intent_gross(i, m.seq) for i in then if i.idempotency_key not in now_keys), zero)
        for m in milestones
    }
    later = _later_orders(session, repo, project, at)
    total = (project.contract_total + credit_totals.total_lowered_after(rows, at, project.currency)
             - _changed_after(session, repo, project, later))
    events = repo.events(key)
    schedule = [state_at(m, events, at) for m in _terms_then(session, repo, project, milestones, later)]
    return build_report(replace(project, contract_total=total), schedule, repo.invoice_views(key), at,
                        intents=then, credits=credited_then, restored=restored)


def _later_orders(session: Session, repo: BillingRepository, project: Project, at: datetime) -> set[int]:
    """The change orders that came after `at`: dated after its day and recorded after it (one
    recorded by then counts, whatever its date, as a void or a credit counts from the moment the
    store learned of it; so does one dated by then)."""
    today = local_date(at, project.time_zone)
    orders = session.execute(select(ChangeOrderRow.id, ChangeOrderRow.on, ChangeOrderRow.applied_at)
                             .where(ChangeOrderRow.project_id == repo.project_row(project.key).id)).all()
    return {order for order, on, applied_at in orders if on > today and applied_at > at}


# what a change order may change of a milestone (`billing.change_orders`), as stored in its versions
_TERMS = ("name", "deliverable", "planned_date", "fixed_amount", "percent", "removed", "amended_by")


def _terms_then(
    session: Session, repo: BillingRepository, project: Project, milestones: Sequence[Milestone], later: set[int]
) -> list[Milestone]:
    """The schedule with each milestone's terms as they stood before the `later` change orders:
    its stored versions replayed, skipping the changes those orders made; a milestone one of them
    added is left out."""
    if not later:
        return list(milestones)
    rows = session.execute(
        select(MilestoneRow.seq, MilestoneVersionRow.data, MilestoneVersionRow.change_order_id)
        .join(MilestoneRow, MilestoneRow.id == MilestoneVersionRow.milestone_id)
        .where(MilestoneRow.project_id == repo.project_row(project.key).id)
        .order_by(MilestoneRow.seq, MilestoneVersionRow.version)
    ).all()
    versions: dict[int, list[tuple[dict[str, Any], int | None]]] = {}
    for seq, data, order in rows:
        versions.setdefault(seq, []).append((data, order))
    schedule = []
    for m in milestones:
        own = versions.get(m.seq, [])
        if not own:
            schedule.append(m)
            continue
        if own[0][1] in later:
            continue  # added by a change order that came later
        terms = {k: own[0][0].get(k) for k in _TERMS}
        for (before, _), (after, order) in pairwise(own):
            if order not in later:
                terms.update({k: after.get(k) for k in _TERMS if after.get(k) != before.get(k)})
        schedule.append(_with_terms(m, terms, project.currency))
    return schedule


def _with_terms(m: Milestone, terms: dict[str, Any], currency: str) -> Milestone:
    fixed, percent, planned = terms["fixed_amount"], terms["percent"], terms["planned_date"]
    return replace(
        m, name=terms["name"], deliverable=terms["deliverable"],
        planned_date=date.fromisoformat(planned) if planned else None,
        fixed_amount=Money(Decimal(fixed), currency) if fixed is not None else None,
        percent=Decimal(percent) if percent is not None else None,
        removed=bool(terms["removed"]), amended_by=terms["amended_by"] or "",
    )


def _changed_after(session: Session, repo: BillingRepository, project: Project, later: set[int]) -> Money:
    """How much the `later` change orders moved the contract total."""
    versions = session.execute(
        select(ProjectVersionRow.terms, ProjectVersionRow.change_order_id)
        .where(ProjectVersionRow.project_id == repo.project_row(project.key).id)
        .order_by(ProjectVersionRow.version)
    ).all()
    moved = Decimal(0)
    before: Decimal | None = None
    for terms, order in versions:
        total = Decimal(str(terms["contract_total"]))
        if before is not None and order in later:
            moved += total - before
        before = total
    return Money(moved, project.currency)
