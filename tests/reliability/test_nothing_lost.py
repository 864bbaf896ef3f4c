"""Nothing lost when the platforms or the infrastructure misbehave (issue 9).

Each case runs real `milepost` worker processes against the suite's own PostgreSQL (and, in
Celery mode, its own Redis), the sandbox over HTTP with slowed answers so the fault lands
mid-drain, injects one fault, and ends the same way (`books.settle`): every intent invoiced
exactly once in the sandbox's books, every payment made there home in Milepost.
"""

from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import select, update

from connector.store.models import ConnectionRow, OutboxRow, ProjectRow
from tests.e2e.conftest import make_stack  # noqa: F401 - the fixture, on this suite's sandbox
from tests.jobs_harness import Stack, schedule_json, stop_process

from .books import outbox_counts, settle, wait_for

pytestmark = pytest.mark.slow

INTENTS = 8
OUTAGE_SECONDS = 10
LATENCY = 0.25  # seconds per QuickBooks answer: a drain of 8 intents takes several seconds


def accept_many(stack: Stack, connection: int, count: int = INTENTS, prefix: str = "P") -> list[str]:
    keys = [f"{prefix}{n:02d}" for n in range(count)]
    for key in keys:
        stack.import_and_accept(key, connection)
    return keys


def invoices_made(stack: Stack) -> int:
    return len(stack.invoices())


def connection_status(stack: Stack, connection: int) -> str:
    with stack.reading() as session:
        return str(session.scalars(select(ConnectionRow.status).where(ConnectionRow.id == connection)).one())


def test_redis_down_10s_mid_drain_in_celery_mode(make_stack, own_postgres, own_redis, redis_server,  # noqa: F811
                                                  outcomes) -> None:
    stack = make_stack(own_postgres, sync_seconds=1, broker_url=own_redis)
    connection, realm = stack.connect_quickbooks()
    accept_many(stack, connection)
    stack.sandbox.control.set_latency(quickbooks=LATENCY)
    env = {"MILEPOST_WORKER__SYNC_SECONDS": "1", "MILEPOST_WORKER__BROKER_URL": own_redis,
           "MILEPOST_RECLAIM_AFTER_SECONDS": "15"}
    worker = stack.spawn("worker", "--celery", "--concurrency", "2", **env)
    stack.spawn("clock", **env)

    wait_for(lambda: 0 < invoices_made(stack) < INTENTS, 60, every=0.1)
    redis_server.stop()
    time.sleep(OUTAGE_SECONDS)
    redis_server.start()
    # Celery's worker sometimes exits when the broker goes away while it restores an unacked
    # message (kombu's redis transport: "Unrecoverable error: AttributeError ... 'hostname'",
    # celery/kombu#970 and #582 show the same path). A supervisor (the Procfile's process
    # manager) starts it again; the suite does the same, and says so in the table.
    restarted = worker.poll() is not None
    if restarted:
        stack.spawn("worker", "--celery", "--concurrency", "2", **env)

    assert "failed" not in outbox_counts(stack)
    settle(stack, realm, outcomes, "Redis down (Celery mode)",
           f"own redis-server stopped {OUTAGE_SECONDS} s mid-drain, then started empty"
           + ("; the Celery worker exited and was started again" if restarted else ""))


def test_postgres_down_10s_mid_drain(make_stack, own_postgres, postgres_cluster, outcomes) -> None:  # noqa: F811
    stack = make_stack(own_postgres, sync_seconds=1)
    connection, realm = stack.connect_quickbooks()
    accept_many(stack, connection)
    stack.sandbox.control.set_latency(quickbooks=LATENCY)
    stack.spawn("worker", MILEPOST_WORKER__SYNC_SECONDS="1", MILEPOST_RECLAIM_AFTER_SECONDS="3")

    wait_for(lambda: 0 < invoices_made(stack) < INTENTS, 60, every=0.1)
    postgres_cluster.stop("fast")
    time.sleep(OUTAGE_SECONDS)
    postgres_cluster.start()

    assert "failed" not in outbox_counts(stack)
    settle(stack, realm, outcomes, "PostgreSQL down",
           f"own cluster stopped (pg_ctl stop -m fast) {OUTAGE_SECONDS} s mid-drain")


def test_worker_killed_three_times_with_timeouts_after_commit(make_stack, own_postgres, outcomes) -> None:  # noqa: F811
    stack = make_stack(own_postgres, sync_seconds=1)
    connection, realm = stack.connect_quickbooks()
    accept_many(stack, connection)
    stack.sandbox.control.set_latency(quickbooks=LATENCY)
    stack.sandbox.control.set_fault("quickbooks", "timeout_after_commit", company=realm,
                                    endpoint="POST invoice", rate=0.3, seed=9)
    env = {"MILEPOST_WORKER__SYNC_SECONDS": "1", "MILEPOST_RECLAIM_AFTER_SECONDS": "1"}

    for _ in range(3):
        before = invoices_made(stack)
        worker = stack.spawn("worker", **env)
        wait_for(lambda before=before: invoices_made(stack) > before, 60, every=0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    survivor = stack.spawn("worker", **env)

    settle(stack, realm, outcomes, "worker killed",
           "SIGKILL three times mid-drain; 30% of invoice creates time out after commit")
    assert stop_process(survivor) == 0


def test_grant_revoked_at_the_platform_then_reconnected(make_stack, own_postgres, outcomes) -> None:  # noqa: F811
    stack = make_stack(own_postgres, sync_seconds=1)
    connection, realm = stack.connect_quickbooks()
    accept_many(stack, connection)
    stack.sandbox.control.set_latency(quickbooks=LATENCY)
    stack.spawn("worker", MILEPOST_WORKER__SYNC_SECONDS="1")

    wait_for(lambda: 0 < invoices_made(stack) < INTENTS, 60, every=0.1)
    stack.sandbox.control.revoke("quickbooks", realm)  # the company took Milepost's access away
    wait_for(lambda: connection_status(stack, connection) == "needs_reconnect", 30)
    waiting = outbox_counts(stack)
    stack.connect_quickbooks(realm)  # an admin reconnects the same company

    assert "failed" not in waiting
    assert waiting["pending"] > 0
    settle(stack, realm, outcomes, "grant revoked",
           f"QuickBooks grant revoked mid-drain ({waiting['pending']} intents waiting), then reconnected")


def test_a_poison_schedule_beside_healthy_ones(make_stack, own_postgres, outcomes) -> None:  # noqa: F811
    stack = make_stack(own_postgres, sync_seconds=1)
    connection, realm = stack.connect_quickbooks()
    keys = ["POISON", *(f"H{n:02d}" for n in range(INTENTS - 1))]
    for key in keys:  # submitted two weeks ago: every approval window has lapsed
        stack.api("POST", "/schedules", {**schedule_json(key), "connection": connection})
        stack.api("POST", f"/projects/{key}/milestones/1/submit",
                  {"by": "Sam", "at": "2026-11-16T10:00:00-05:00", "evidence": ["requirements document"]})
    with stack.reading() as session, session.begin():  # a row saved before bounds were checked
        session.execute(update(ProjectRow).where(ProjectRow.key == "POISON").values(payment_terms_days=3_000_000))

    once = stack.spawn("worker", "--once")
    assert once.wait(120) == 1  # a job had a failure: said by the exit code
    stack.spawn("worker", MILEPOST_WORKER__SYNC_SECONDS="1")

    settle(stack, realm, outcomes, "poison schedule",
           "payment_terms_days = 3000000 on 1 of 8 projects; worker --once exits 1, the 7 others bill")
    report = stack.api("GET", "/projects/POISON/report")
    assert report["milestones"][0]["state"] == "submitted"  # waiting for its data to be fixed
    with stack.reading() as session:
        assert not session.scalars(select(OutboxRow).join(ProjectRow).where(ProjectRow.key == "POISON")).all()
