"""The store keeps schedules exactly, writes a transition with its audit event and outbox intent
in one transaction, and keeps every version."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector.billing import lifecycle
from connector.billing.model import (
    AuditEvent,
    Deposit,
    DepositCredit,
    InvoiceIntent,
    InvoiceLine,
    LateFeePolicy,
    MilestoneState,
    RetainagePolicy,
    RetainageStep,
)
from connector.billing.money import Money
from connector.store import evidence, service
from connector.store.errors import ConcurrentUpdate, DuplicateProject, ProjectNotFound
from connector.store.repository import BillingRepository

from .samples import acme_milestones, acme_project

AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def imported(project_key: str = "ACME-WEB") -> AuditEvent:
    return AuditEvent(project_key=project_key, seq=None, kind="imported", at=AT, actor="tester")


def store_acme(sessions, project=None, milestones=None):
    project = project or acme_project()
    with sessions.begin() as session:
        service.import_schedule(session, project, milestones or acme_milestones(), imported())
    return project


def test_a_schedule_comes_back_exactly_as_imported(sessions):
    project = replace(
        acme_project(total="1234.57"),
        late_fee=LateFeePolicy(Decimal("1.5"), Decimal("25.00"), 5),
        retainage=RetainagePolicy(
            (RetainageStep(Decimal(10), Decimal(50)), RetainageStep(Decimal(5)))
        ),
        deposit=Deposit(amount=Money(Decimal("500.00"), "USD"), credit=DepositCredit.PRO_RATA),
    )
    store_acme(sessions, project)
    with sessions() as session:
        loaded, milestones = BillingRepository(session).load("ACME-WEB")
    assert loaded == project
    assert milestones == acme_milestones()


def test_importing_a_key_twice_is_refused_and_keeps_the_first(sessions):
    store_acme(sessions)
    other = replace(acme_project(total="1.00"), name="Impostor")
    with pytest.raises(DuplicateProject, match="ACME-WEB"), sessions.begin() as session:
        service.import_schedule(session, other, acme_milestones(), imported())
    with sessions() as session:
        loaded, _ = BillingRepository(session).load("ACME-WEB")
    assert loaded.name == "Website redesign"


def test_an_unknown_project_is_named_in_the_error(sessions):
    with pytest.raises(ProjectNotFound, match="NOPE"), sessions() as session:
        BillingRepository(session).load("NOPE")


def submit(project, milestone, schedule=()):
    return lifecycle.submit(project, milestone, AT, "Sam Contractor", ("document",))


def test_a_transition_is_stored_with_its_audit_event_and_a_new_version(sessions):
    store_acme(sessions)
    with sessions.begin() as session:
        stored = service.transition(session, "ACME-WEB", 1, submit)
    assert stored.state is MilestoneState.SUBMITTED
    with sessions() as session:
        repo = BillingRepository(session)
        _, milestones = repo.load("ACME-WEB")
        events = repo.events("ACME-WEB", seq=1)
        history = repo.milestone_history("ACME-WEB", 1)
    assert milestones[0].state is MilestoneState.SUBMITTED
    assert milestones[0].approval_deadline is not None
    assert [e.kind for e in events] == ["submitted"]
    assert events[0].actor == "Sam Contractor"
    assert events[0].evidence == ("document",)
    assert [h.data["state"] for h in history] == ["planned", "submitted"]
    assert [h.version for h in history] == [1, 2]


def test_a_refused_transition_writes_nothing(sessions):
    store_acme(sessions)
    with sessions.begin() as session:
        service.transition(session, "ACME-WEB", 1, submit)
    with pytest.raises(Exception, match="submitted"), sessions.begin() as session:
        service.transition(session, "ACME-WEB", 1, submit)
    with sessions() as session:
        repo = BillingRepository(session)
        assert [e.kind for e in repo.events("ACME-WEB", seq=1)] == ["submitted"]
        assert len(repo.milestone_history("ACME-WEB", 1)) == 2


def intent_for(project, milestone) -> InvoiceIntent:
    return InvoiceIntent(
        idempotency_key=f"milepost:{project.key}:{milestone.seq}:{milestone.generation}",
        project_key=project.key,
        customer=project.customer,
        currency=project.currency,
        invoice_date=date(2026, 11, 20),
        due_date=date(2026, 11, 27),
        payment_terms_days=7,
        lines=(InvoiceLine("Milestone 1: Discovery complete", Money(Decimal("10000.00"), "USD")),),
        reference=f"{project.key} M{milestone.seq}",
        seq=milestone.seq,
    )


def billing_of(project, schedule, milestone, prior):
    due = replace(milestone, state=MilestoneState.INVOICE_DUE)
    event = AuditEvent(project.key, milestone.seq, "invoice_due", AT, "milepost",
                       milestone.state, MilestoneState.INVOICE_DUE)
    return service.Billing(intent_for(project, milestone), due, event)


def test_a_billable_transition_queues_its_intent_in_the_same_transaction(sessions):
    store_acme(sessions)
    with sessions.begin() as session:
        stored = service.transition(session, "ACME-WEB", 1, submit, bill=billing_of)
    assert stored.state is MilestoneState.INVOICE_DUE
    with sessions() as session:
        repo = BillingRepository(session)
        outbox = repo.outbox("ACME-WEB")
        kinds = [e.kind for e in repo.events("ACME-WEB", seq=1)]
    assert [row.idempotency_key for row in outbox] == ["milepost:ACME-WEB:1:1"]
    assert outbox[0].status == "pending"
    assert outbox[0].payload["total"] == "10000.00"
    assert outbox[0].payload["lines"][0]["amount"] == "10000.00"
    assert kinds == ["submitted", "invoice_due"]


def test_when_billing_fails_the_transition_is_not_stored_either(sessions):
    store_acme(sessions)

    def broken_biller(project, schedule, milestone, prior):
        raise RuntimeError("intent builder exploded")

    with pytest.raises(RuntimeError), sessions.begin() as session:
        service.transition(session, "ACME-WEB", 1, submit, bill=broken_biller)
    with sessions() as session:
        repo = BillingRepository(session)
        _, milestones = repo.load("ACME-WEB")
        assert milestones[0].state is MilestoneState.PLANNED
        assert repo.events("ACME-WEB", seq=1) == []
        assert repo.outbox("ACME-WEB") == []


def test_the_same_intent_is_never_queued_twice(sessions):
    project = store_acme(sessions)
    intent = intent_for(project, acme_milestones()[0])
    with sessions.begin() as session:
        first = BillingRepository(session).enqueue(intent).id
    with sessions.begin() as session:
        second = BillingRepository(session).enqueue(intent).id
        assert len(BillingRepository(session).outbox("ACME-WEB")) == 1
    assert first == second


def test_a_writer_holding_a_stale_version_loses(sessions):
    store_acme(sessions)
    with sessions() as session:
        project, stale = BillingRepository(session).milestone("ACME-WEB", 1)
    with sessions.begin() as session:
        service.transition(session, "ACME-WEB", 1, submit)
    new, _ = submit(project, stale)
    with pytest.raises(ConcurrentUpdate, match="milestone 1"), sessions.begin() as session:
        BillingRepository(session).save_milestone("ACME-WEB", new, stale.version)


def test_evidence_files_are_fingerprinted_with_the_transition(sessions, tmp_path):
    store_acme(sessions)
    doc = tmp_path / "requirements.pdf"
    doc.write_bytes(b"%PDF-1.4 requirements v1.3")
    with sessions.begin() as session:
        service.transition(session, "ACME-WEB", 1, submit, evidence_files=[doc],
                           evidence_policy=evidence.EvidencePolicy.build(root=tmp_path))
    from sqlalchemy import select

    from connector.store.models import EvidenceRow

    with sessions() as session:
        row = session.scalars(select(EvidenceRow)).one()
    assert row.name == "requirements.pdf"
    assert row.size == len(b"%PDF-1.4 requirements v1.3")
    assert len(row.sha256) == 64


def test_a_change_order_keeps_every_version_and_links_it_to_the_order(sessions):
    from connector.billing.change_orders import apply_change_order
    from connector.billing.model import ChangeOrder

    store_acme(sessions)
    order = ChangeOrder("CO-1", "Dana Lee", date(2026, 12, 1), "Launch grows",
                        change=((3, {"amount": "30000.00"}),))
    with sessions.begin() as session:
        project, milestones = service.apply_change_order(session, "ACME-WEB", order,
                                                         apply_change_order)
    assert project.contract_total == Money(Decimal("55000.00"), "USD")
    with sessions() as session:
        repo = BillingRepository(session)
        history = repo.milestone_history("ACME-WEB", 3)
        terms = repo.project_history("ACME-WEB")
        events = repo.events("ACME-WEB")
    assert [h.data["percent"] for h in history] == ["50", None]
    assert [h.data["fixed_amount"] for h in history] == [None, "30000.00"]
    assert history[0].change_order_id is None
    assert history[1].change_order_id is not None
    assert [t.terms["contract_total"] for t in terms] == ["50000.00", "55000.00"]
    assert terms[1].change_order_id == history[1].change_order_id
    assert any(e.kind.startswith("change_order") for e in events)
