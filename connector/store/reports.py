"""The project report as the store knew it at a moment, for the CLI, the API and the admin app.

`billing.report.build_report` computes the figures from facts; this module picks the facts as
of `at`, so nothing that happened after that instant shows (`milepost report --at`):
- invoice intents are the ones live then: an invoice voided in the books, or settled by a void
  from here, after `at` still counts (`BillingRepository.queued_intents(at=...)`);
- credits asked for after `at` are left out, and the billing they took off a milestone is put
  back (`restored`), as is the billing of an intent voided since;
- the contract total is the one before any change order dated after `at`'s day and recorded
  after `at`, and before any credit asked for after `at`;
- payments dated after `at`'s day, invoices first seen after `at`, and a status (void, credit)
  learned after it are left out by `build_report` itself.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.calendar import local_date
from connector.billing.invoicing import intent_gross
from connector.billing.model import MilestoneState, Project
from connector.billing.money import Money
from connector.billing.report import Report, build_report

from . import credits
from .models import ChangeOrderRow, ProjectVersionRow
from .repository import BillingRepository


def project_report(session: Session, key: str, at: datetime) -> Report:
    """The report of project `key` as of `at` (raises ProjectNotFound)."""
    repo = BillingRepository(session)
    project, milestones = repo.load(key)
    rows = repo.outbox(key)
    generations = {m.seq: m.generation for m in milestones if m.state is not MilestoneState.VOIDED}
    then = repo.queued_intents(key, at=at)
    now_keys = {i.idempotency_key for i in repo.queued_intents(key)}
    credited_then = credits.credited_by_milestone(rows, generations, project.currency, at)
    credited_now = credits.credited_by_milestone(rows, generations, project.currency)
    zero = Money.zero(project.currency)
    restored = {
        m.seq: credited_now.get(m.seq, zero) - credited_then.get(m.seq, zero)
        + sum((intent_gross(i, m.seq) for i in then if i.idempotency_key not in now_keys), zero)
        for m in milestones
    }
    total = (project.contract_total + credits.total_lowered_after(rows, at, project.currency)
             - _changed_after(session, repo, project, at))
    return build_report(replace(project, contract_total=total), milestones, repo.invoice_views(key), at,
                        intents=then, credits=credited_then, restored=restored)


def _changed_after(session: Session, repo: BillingRepository, project: Project, at: datetime) -> Money:
    """How much the change orders after `at` moved the contract total: dated after its day and
    recorded after it (one recorded by then counts, whatever its date, as a void or a credit
    counts from the moment the store learned of it; so does one dated by then)."""
    today = local_date(at, project.time_zone)
    versions = session.execute(
        select(ProjectVersionRow.terms, ChangeOrderRow.on, ChangeOrderRow.applied_at)
        .outerjoin(ChangeOrderRow, ChangeOrderRow.id == ProjectVersionRow.change_order_id)
        .where(ProjectVersionRow.project_id == repo.project_row(project.key).id)
        .order_by(ProjectVersionRow.version)
    ).all()
    moved = Decimal(0)
    before: Decimal | None = None
    for terms, on, applied_at in versions:
        total = Decimal(str(terms["contract_total"]))
        if before is not None and on is not None and on > today and applied_at > at:
            moved += total - before
        before = total
    return Money(moved, project.currency)
