"""A milestone the domain refuses to deem does not stop the others, and the run says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from connector.billing import lifecycle
from connector.billing.errors import BillingError
from connector.billing.model import AuditEvent
from connector.store import service
from connector.store.job_runs import recent_runs
from connector.store.repository import BillingRepository
from jobs import acceptance
from jobs.runner import run_job
from tests.integration.store.samples import acme_milestones, acme_project

SUBMITTED = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # a Monday; 3 business days to answer
LATER = SUBMITTED + timedelta(days=10)


def store_acme(sessions) -> None:
    imported = AuditEvent(project_key="ACME-WEB", seq=None, kind="imported", at=SUBMITTED, actor="tester")
    with sessions.begin() as session:
        service.import_schedule(session, acme_project(), acme_milestones(), imported)


def test_one_refused_milestone_is_recorded_and_the_others_are_deemed(sessions, monkeypatch) -> None:
    store_acme(sessions)
    for seq in (1, 2):
        with sessions.begin() as session:
            service.transition(session, "ACME-WEB", seq,
                               lambda p, m, _s: lifecycle.submit(p, m, SUBMITTED, "Sam", ("report",)))
    real = lifecycle.deem_accepted

    def refuse_the_first(project, m, now):
        if m.seq == 1:
            raise BillingError("milestone 1: the schedule's amounts no longer add up")
        return real(project, m, now)

    monkeypatch.setattr(acceptance.lifecycle, "deem_accepted", refuse_the_first)
    ctx = SimpleNamespace(sessions=sessions)

    counts = run_job(ctx, "deem_acceptances", LATER)  # type: ignore[arg-type]

    with sessions() as session:
        _, schedule = BillingRepository(session).load("ACME-WEB")
        [run] = recent_runs(session, "deem_acceptances")
    assert [m.state.value for m in schedule[:2]] == ["submitted", "invoice_due"]
    assert (counts["deemed"], counts["failed"]) == (1, 1)
    assert run.outcome == "partial"
    assert run.counts == {"deemed": 1, "lapsed": 2, "failed": 1}
    assert run.error == "ACME-WEB milestone 1: BillingError: milestone 1: the schedule's amounts no longer add up"
