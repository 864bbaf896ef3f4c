"""Two people acting on one milestone at the same moment: exactly one of them wins."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from connector.billing import lifecycle
from connector.billing.model import AuditEvent, MilestoneState
from connector.store import service
from connector.store.db import session_factory
from connector.store.errors import ConcurrentUpdate
from connector.store.repository import BillingRepository

from .samples import acme_milestones, acme_project

AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.mark.postgres
def test_concurrent_transitions_of_one_milestone_never_both_succeed(postgres_engine):
    sessions = session_factory(postgres_engine)
    with sessions.begin() as session:
        event = AuditEvent("ACME-WEB", None, "imported", AT, "tester")
        service.import_schedule(session, acme_project(), acme_milestones(), event)

    both_read = threading.Barrier(2, timeout=30)
    outcomes: dict[str, object] = {}

    def submit_as(person: str) -> None:
        def step(project, milestone, schedule):
            both_read.wait()  # each has loaded version 1 before either writes
            return lifecycle.submit(project, milestone, AT, person, ("document",))

        try:
            with sessions.begin() as session:
                service.transition(session, "ACME-WEB", 1, step)
            outcomes[person] = "ok"
        except Exception as exc:
            outcomes[person] = exc

    threads = [threading.Thread(target=submit_as, args=(p,)) for p in ("Ann", "Bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    winners = [p for p, o in outcomes.items() if o == "ok"]
    losers = [o for o in outcomes.values() if o != "ok"]
    assert len(winners) == 1
    assert len(losers) == 1
    assert isinstance(losers[0], ConcurrentUpdate)
    with sessions() as session:
        repo = BillingRepository(session)
        events = repo.events("ACME-WEB", seq=1)
        _, milestones = repo.load("ACME-WEB")
    assert [e.actor for e in events] == winners
    assert milestones[0].state is MilestoneState.SUBMITTED
    assert milestones[0].version == 2
