"""Whatever people do to a stored contract, in whatever order, the store stays consistent.

Random sequences of submissions, acceptances, rejections, partial acceptances and lapses are
run through the store (each in its own transaction) on both backends. Refused steps leave no
trace; every recorded move is one the transition table allows; the stored state is the one the
audit trail ends in; and what the milestones say was billed is exactly what the outbox holds.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from connector.billing import lifecycle
from connector.billing.errors import BillingError
from connector.billing.model import AuditEvent
from connector.billing.money import Money
from connector.store import service
from connector.store.billing import biller
from connector.store.repository import BillingRepository

from .samples import acme_milestones, acme_project

START = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["submit", "accept", "reject", "partial", "deem"]),
        st.integers(min_value=1, max_value=3),
        st.integers(min_value=1, max_value=99),  # percent for partial
        st.integers(min_value=1, max_value=6),  # days since the previous step
    ),
    min_size=1,
    max_size=12,
)


def step_for(action: str, at: datetime, percent: int):
    def step(project, m, schedule):
        if action == "submit":
            return lifecycle.submit(project, m, at, "Sam", ("document",))
        if action == "accept":
            return lifecycle.accept(project, m, at, "Dana Lee")
        if action == "reject":
            return lifecycle.reject(project, m, at, "Dana Lee", "not yet")
        if action == "partial":
            return lifecycle.accept_partially(project, m, at, "Dana Lee", schedule=schedule,
                                              percent=Decimal(percent))
        return lifecycle.deem_accepted(project, m, at)

    return step


def snapshot(sessions, key):
    with sessions() as session:
        repo = BillingRepository(session)
        _, milestones = repo.load(key)
        return milestones, repo.events(key), repo.queued_intents(key)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_any_sequence_of_steps_keeps_the_store_consistent(sessions, actions):
    key = f"P-{uuid.uuid4().hex[:8]}"
    project = replace(acme_project(), key=key)
    with sessions.begin() as session:
        service.import_schedule(session, project, acme_milestones(),
                                AuditEvent(key, None, "imported", START, "tester"))
    at = START
    for action, seq, percent, days in actions:
        at += timedelta(days=days)
        before = snapshot(sessions, key)
        try:
            with sessions.begin() as session:
                service.transition(session, key, seq, step_for(action, at, percent), bill=biller(at))
        except BillingError:
            assert snapshot(sessions, key) == before  # a refused step leaves no trace
            continue
        event(f"{action} succeeded")
        milestones, events, _ = snapshot(sessions, key)
        assert milestones[seq - 1].version > before[0][seq - 1].version
        assert len(events) > len(before[1])

    milestones, events, intents = snapshot(sessions, key)
    for recorded in events:
        if recorded.seq is not None and recorded.from_state != recorded.to_state:
            assert lifecycle.can_move(recorded.from_state, recorded.to_state), recorded
    for m in milestones:
        moves = [e for e in events if e.seq == m.seq and e.to_state is not None]
        if moves:
            assert moves[-1].to_state is m.state
    keys = [i.idempotency_key for i in intents]
    assert len(keys) == len(set(keys))
    billed = sum((m.billed.amount for m in milestones if m.billed), Decimal(0))
    queued = sum((lifecycle.intent_gross(i).amount for i in intents), Decimal(0))
    assert Money(billed, "USD") == Money(queued, "USD")
