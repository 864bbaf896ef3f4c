"""The scale-out clock sends a connection's sync again as soon as the last one has run.

A webhook asks for a sync now; the clock looks every couple of seconds. It must not make the
request wait a flat half-minute because it sent that connection's sync a moment ago and that
sync already ran in 50 ms, nor pile duplicate syncs into the queue while one is still waiting.
The clock reads job_runs to know which: a sync that started after the send and has finished
means the send was taken.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from connector.store.job_runs import finish_job, start_job
from connector.store.models import ConnectionRow
from jobs.clock import SyncEnqueuer, may_enqueue

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REQUEUE = SyncEnqueuer.REQUEUE_SECONDS


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(("sent", "finished_run_started", "now", "expected"), [
    pytest.param(None, None, at(0), True, id="never-sent"),
    pytest.param(at(0), None, at(2), False, id="still-queued"),
    pytest.param(at(0), at(-5), at(2), False, id="only-an-older-run-finished"),
    pytest.param(at(0), at(0.05), at(2), True, id="its-sync-ran"),
    pytest.param(at(0), None, at(REQUEUE), True, id="never-taken-so-sent-again"),
])
def test_when_a_due_connection_may_be_sent_again(sent, finished_run_started, now, expected) -> None:
    assert may_enqueue(sent, finished_run_started, now, REQUEUE) is expected


class Clock:
    """The clock's ticks at times the test chooses, sending to a list instead of Redis."""

    def __init__(self, sessions, due: list[int]) -> None:
        self.now, self.sessions, self.due, self.sent = T0, sessions, due, []
        self.enqueuer = SyncEnqueuer(SimpleNamespace(sessions=sessions),  # type: ignore[arg-type]
                                     lambda task, args: self.sent.append((task, *args)),
                                     due=lambda _now: list(self.due), clock=lambda: self.now)

    def tick(self, seconds_later: float) -> list[int]:
        self.now = self.now + timedelta(seconds=seconds_later)
        return self.enqueuer()

    def sync_runs(self, connection: int, started: float, finished: float | None) -> None:
        """A worker's sync of `connection`, `started`/`finished` seconds after the last tick."""
        with self.sessions.begin() as session:
            run = start_job(session, "sync_connection", connection, at=self.now + timedelta(seconds=started))
            if finished is not None:
                finish_job(session, run, "ok", {}, at=self.now + timedelta(seconds=finished))


@pytest.fixture
def connections(sessions) -> list[int]:
    with sessions.begin() as session:
        rows = [ConnectionRow(platform="quickbooks", tenant_id=f"realm-{n}") for n in range(2)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_a_webhook_after_a_quick_sync_is_picked_up_on_the_next_tick(sessions, connections) -> None:
    first, _ = connections
    clock = Clock(sessions, due=[first])
    assert clock.tick(0) == [first]
    clock.sync_runs(first, started=0.02, finished=0.07)  # the sync took 50 ms

    clock.due = [first]  # a webhook: a payment was recorded in the books
    assert clock.tick(2) == [first]
    assert clock.sent == [("sync_connection", first), ("sync_connection", first)]


def test_a_sync_still_queued_or_running_is_not_sent_twice(sessions, connections) -> None:
    first, second = connections
    clock = Clock(sessions, due=[first, second])
    assert clock.tick(0) == [first, second]

    assert clock.tick(2) == []  # both tasks still wait in the queue
    clock.sync_runs(first, started=0.5, finished=None)  # a worker took the first: running
    assert clock.tick(2) == []
    clock.sync_runs(second, started=0.5, finished=1.0)
    assert clock.tick(2) == [second]  # the second ran, and it is still due: sent again


def test_an_older_sync_finishing_does_not_count_as_the_queued_one(sessions, connections) -> None:
    first, _ = connections
    clock = Clock(sessions, due=[first])
    clock.sync_runs(first, started=-10, finished=1)  # began before the send, ends after it
    assert clock.tick(0) == [first]

    assert clock.tick(2) == []


def test_a_send_nobody_took_is_sent_again_after_the_guard(sessions, connections) -> None:
    first, _ = connections
    clock = Clock(sessions, due=[first])
    assert clock.tick(0) == [first]

    assert clock.tick(REQUEUE - 1) == []
    assert clock.tick(1) == [first]
