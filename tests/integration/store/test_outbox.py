"""The outbox carries each intent to the platform once, and records what came back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from connector.billing import lifecycle
from connector.billing.model import AuditEvent, MilestoneState
from connector.billing.money import D, Money
from connector.billing.progress import MonthlyCharge
from connector.billing.report import build_report
from connector.store import outbox, service
from connector.store.billing import biller
from connector.store.db import session_factory
from connector.store.errors import DuplicateMonthlyInvoice
from connector.store.models import InvoiceMilestoneRow, MilestoneRow
from connector.store.repository import BillingRepository

from .samples import acme_milestones, acme_project

SUBMITTED = datetime(2026, 11, 17, 21, 0, tzinfo=UTC)
ACCEPTED = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def accepted_project(sessions, seqs=(1,), *, bill=True):
    with sessions.begin() as session:
        event = AuditEvent("ACME-WEB", None, "imported", SUBMITTED, "tester")
        service.import_schedule(session, acme_project(), acme_milestones(), event)
    for seq in seqs:
        with sessions.begin() as session:
            service.transition(session, "ACME-WEB", seq,
                               lambda p, m, s: lifecycle.submit(p, m, SUBMITTED, "Sam", ("document",)))
        with sessions.begin() as session:
            service.transition(session, "ACME-WEB", seq,
                               lambda p, m, s: lifecycle.accept(p, m, ACCEPTED, "Dana Lee"),
                               bill=biller(ACCEPTED) if bill else None)


def created(number: str = "1001", total: str = "10000.00") -> outbox.CreatedInvoice:
    return outbox.CreatedInvoice(
        platform="quickbooks", platform_id=f"qb-{number}", number=number, status="draft",
        total=Decimal(total), balance=Decimal(total), due_date=date(2026, 11, 25),
    )


def test_a_claimed_intent_is_not_claimed_again(sessions):
    accepted_project(sessions)
    with sessions.begin() as session:
        first = outbox.claim_pending(session)
    with sessions.begin() as session:
        second = outbox.claim_pending(session)
    assert [c.intent.idempotency_key for c in first] == ["milepost:ACME-WEB:1:1"]
    assert first[0].attempts == 1
    assert second == []


def test_completing_records_the_invoice_and_moves_the_milestone_to_invoiced(sessions):
    accepted_project(sessions)
    with sessions.begin() as session:
        [claimed] = outbox.claim_pending(session)
    with sessions.begin() as session:
        outbox.complete(session, claimed.id, created(), ACCEPTED)
    with sessions() as session:
        repo = BillingRepository(session)
        project, milestones = repo.load("ACME-WEB")
        invoices = repo.invoice_views("ACME-WEB")
        rows = repo.outbox("ACME-WEB")
        # as of now: the store stamped the invoice with the real clock, after ACCEPTED
        report = build_report(project, milestones, invoices, datetime.now(UTC),
                              intents=repo.queued_intents("ACME-WEB"))
    assert milestones[0].state is MilestoneState.INVOICED
    assert rows[0].status == "done"
    assert invoices[0].seq == 1
    assert invoices[0].idempotency_key == "milepost:ACME-WEB:1:1"
    row = report.as_json()["milestones"][0]
    assert row["invoice"]["number"] == "1001"
    assert row["invoice"]["balance"] == "10000.00"


def test_a_monthly_invoice_moves_every_milestone_on_it_to_invoiced(sessions):
    accepted_project(sessions, seqs=(1, 2), bill=False)  # both accepted in November 2026
    with sessions.begin() as session:
        intent = service.queue_monthly_invoice(
            session, "ACME-WEB", "2026-11", [], date(2026, 11, 30), ACCEPTED, "Sam"
        )
    with sessions.begin() as session:
        [claimed] = outbox.claim_pending(session)
    with sessions.begin() as session:
        outbox.complete(session, claimed.id, created("1002", str(intent.total.amount)), ACCEPTED)
    with sessions() as session:
        _, milestones = BillingRepository(session).load("ACME-WEB")
        invoices = BillingRepository(session).invoice_views("ACME-WEB")
        shares = dict(session.execute(
            select(MilestoneRow.seq, InvoiceMilestoneRow.amount)
            .join(InvoiceMilestoneRow, InvoiceMilestoneRow.milestone_id == MilestoneRow.id)
        ).all())

    assert {m.seq: m.state for m in milestones} == {
        1: MilestoneState.INVOICED, 2: MilestoneState.INVOICED, 3: MilestoneState.PLANNED,
    }
    # each milestone is linked to the invoice with its own share, so payments reach both
    assert shares == {m.seq: m.billed.amount for m in milestones if m.billed is not None}
    assert sum(shares.values()) == intent.total.amount
    # the report shows it as the month's invoice, not as either milestone's own
    assert [(i.number, i.seq) for i in invoices] == [("1002", None)]


def test_a_month_is_queued_once(sessions):
    photos = MonthlyCharge("pass_through", date(2026, 11, 30), "Stock photos", Money(D("120.00"), "USD"))
    accepted_project(sessions, seqs=(1,), bill=False)
    with sessions.begin() as session:
        service.queue_monthly_invoice(session, "ACME-WEB", "2026-11", [photos], date(2026, 11, 30),
                                      ACCEPTED, "Sam")
    with pytest.raises(DuplicateMonthlyInvoice, match="already queued"), sessions.begin() as session:
        service.queue_monthly_invoice(session, "ACME-WEB", "2026-11", [photos], date(2026, 11, 30),
                                      ACCEPTED, "Sam")
    with sessions() as session:
        assert len(BillingRepository(session).outbox("ACME-WEB")) == 1


def test_a_failed_attempt_is_retried_until_the_limit_then_parked(sessions):
    accepted_project(sessions)
    statuses = []
    for _ in range(3):
        with sessions.begin() as session:
            [claimed] = outbox.claim_pending(session)
        with sessions.begin() as session:
            statuses.append(outbox.fail(session, claimed.id, "HTTP 503 from platform", max_attempts=3))
    assert statuses == ["pending", "pending", "failed"]
    with sessions() as session:
        [row] = BillingRepository(session).outbox("ACME-WEB")
    assert row.attempts == 3
    assert row.last_error == "HTTP 503 from platform"


def test_a_validation_failure_is_parked_at_once(sessions):
    accepted_project(sessions)
    with sessions.begin() as session:
        [claimed] = outbox.claim_pending(session)
    with sessions.begin() as session:
        status = outbox.fail(session, claimed.id, "unknown item code", max_attempts=8, retryable=False)
    assert status == "failed"


def test_rows_left_processing_by_a_dead_worker_are_reclaimed(sessions):
    accepted_project(sessions)
    with sessions.begin() as session:
        outbox.claim_pending(session)
    later = datetime.now(UTC) + timedelta(hours=1)
    with sessions.begin() as session:
        assert outbox.reclaim_stale(session, timedelta(minutes=15), now=later) == 1
    with sessions.begin() as session:
        assert len(outbox.claim_pending(session)) == 1


@pytest.mark.postgres
def test_two_workers_never_claim_the_same_intent(postgres_engine):
    sessions = session_factory(postgres_engine)
    accepted_project(sessions, seqs=(1, 2))
    with sessions.begin() as first:
        mine = outbox.claim_pending(first, limit=1)
        with sessions.begin() as second:  # a second worker, while the first holds its lock
            theirs = outbox.claim_pending(second, limit=10)
    assert len(mine) == 1
    assert len(theirs) == 1
    assert mine[0].intent.idempotency_key != theirs[0].intent.idempotency_key
