"""Outbound webhooks: each event fired by its real cause, posted from the outbox to a real HTTP
server, signed (checked here by the test's own HMAC), retried after a 500, delivered once per
event id."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select, update

from connector.platforms.custody import TokenCipher
from connector.store import api_keys
from connector.store.db import make_engine, session_factory, transaction
from connector.store.job_runs import recent_runs
from connector.store.models import InvoiceRow, OutboxRow
from jobs.runner import run_job, sync_all
from tests.jobs_harness import Stack, schedule_json
from tests.webhook_signatures import signature

from .conftest import Delivery, Receiver

ALL_EVENTS = ["milestone.submitted", "milestone.accepted", "invoice.created", "payment.received",
              "project.pause_work"]


def new_key(stack: Stack, scope: str = "write") -> api_keys.NewKey:
    engine = make_engine(stack.database_url)
    try:
        with transaction(session_factory(engine)) as db:
            return api_keys.create(db, "studio tracker", scope, TokenCipher([stack.token_key]))
    finally:
        engine.dispose()


def subscribe(stack: Stack, key: api_keys.NewKey, url: str, events: list[str]) -> requests.Response:
    return requests.post(f"{stack.url}/api/v1/subscriptions", json={"url": url, "events": events},
                         headers={"Authorization": f"Bearer {key.plaintext}"}, timeout=30)


def subscribed(stack: Stack, receiver: Receiver, events: list[str]) -> tuple[api_keys.NewKey, str]:
    key = new_key(stack)
    answer = subscribe(stack, key, receiver.url, events)
    assert answer.status_code == 201, answer.text
    return key, answer.json()["secret"]


def genuine(delivery: Delivery, secret: str) -> bool:
    """The test's own check: the signature over id.timestamp.body, and a fresh timestamp."""
    stamp = int(delivery.headers["webhook-timestamp"])
    expected = signature(secret, delivery.headers["webhook-id"], stamp, delivery.body)
    given = delivery.headers["webhook-signature"].split(" ")
    return expected in given and abs(time.time() - stamp) < 300


def message(delivery: Delivery) -> dict[str, Any]:
    return dict(json.loads(delivery.body))


def test_each_event_comes_from_its_real_cause_signed_and_once(stack, receiver) -> None:
    connection, realm = stack.connect_quickbooks()
    _, secret = subscribed(stack, receiver, ALL_EVENTS)
    ctx = stack.context()

    stack.import_and_accept("HOOK-WEB", connection)  # submitted, then accepted, through the API
    run_job(ctx, "drain_outbox")  # the draft invoice, then the queued events
    with ctx.sessions.begin() as session:  # as if the bookkeeper approved and sent it
        session.execute(update(InvoiceRow).values(status="open", due_date=date(2026, 12, 1)))
    late = datetime(2026, 12, 20, 15, tzinfo=UTC)
    run_job(ctx, "flag_pause_work", late)
    [invoice] = stack.invoices()
    stack.sandbox.control.record_payment(realm, invoice.platform_id)
    sync_all(ctx)  # the payment comes home from the sandbox's books
    run_job(ctx, "flag_pause_work", late)  # paid: the flag clears
    run_job(ctx, "drain_outbox")
    run_job(ctx, "drain_outbox")  # nothing left to send

    kinds = [message(d)["type"] for d in receiver.deliveries]
    assert kinds == ["milestone.submitted", "milestone.accepted", "invoice.created", "project.pause_work",
                     "payment.received", "project.pause_work"]
    assert all(genuine(d, secret) for d in receiver.deliveries)
    ids = [d.headers["webhook-id"] for d in receiver.deliveries]
    assert len(set(ids)) == len(ids)
    by_kind = {message(d)["type"]: message(d)["data"] for d in receiver.deliveries}
    assert by_kind["milestone.accepted"]["project"] == "HOOK-WEB"
    assert by_kind["milestone.accepted"]["by"] == "Dana Lee"
    assert by_kind["invoice.created"]["invoice"]["id"] == invoice.platform_id
    assert by_kind["payment.received"]["payment"]["amount"] == by_kind["invoice.created"]["invoice"]["total"]
    assert [message(d)["data"]["paused"] for d in receiver.deliveries if message(d)["type"] == "project.pause_work"] \
        == [True, False]


def test_a_500_is_retried_after_its_backoff_with_the_same_id_and_body_then_never_again(stack, receiver) -> None:
    _, secret = subscribed(stack, receiver, ["milestone.submitted"])
    receiver.answers = [500]
    stack.api("POST", "/schedules", schedule_json("RETRY-HOOK"))
    stack.api("POST", "/projects/RETRY-HOOK/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    ctx = stack.context()
    now = datetime.now(UTC)

    first = run_job(ctx, "drain_outbox", now)
    run_job(ctx, "drain_outbox", now + timedelta(seconds=5))  # still in its backoff: not sent
    assert [d.status for d in receiver.deliveries] == [500]
    assert first["retry"] == 1
    [run] = [r for r in recent_runs_of(stack, "drain_outbox") if r.error]
    assert "HTTP 500 from the subscriber" in run.error

    run_job(ctx, "drain_outbox", now + timedelta(seconds=31))
    run_job(ctx, "drain_outbox", now + timedelta(hours=2))

    first_try, second_try = receiver.deliveries
    assert (first_try.status, second_try.status) == (500, 200)
    assert first_try.headers["webhook-id"] == second_try.headers["webhook-id"]
    assert first_try.body == second_try.body
    assert genuine(first_try, secret)
    assert genuine(second_try, secret)
    with stack.reading() as session:
        assert list(session.scalars(select(OutboxRow.status).where(OutboxRow.kind == "webhook"))) == ["done"]


def test_an_unreachable_subscriber_fails_after_its_attempts_and_is_listed(stack, receiver) -> None:
    _, _ = subscribed(stack, receiver, ["milestone.submitted"])
    receiver.answers = [503] * 20
    stack.api("POST", "/schedules", schedule_json("DOWN-HOOK"))
    stack.api("POST", "/projects/DOWN-HOOK/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    ctx = stack.context()
    now = datetime.now(UTC)

    for hour in range(12):
        run_job(ctx, "drain_outbox", now + timedelta(hours=hour))

    assert len(receiver.deliveries) == ctx.settings.worker.max_attempts
    with stack.reading() as session:
        [row] = session.scalars(select(OutboxRow).where(OutboxRow.kind == "webhook")).all()
    assert (row.status, row.last_error) == ("failed", "HTTP 503 from the subscriber")


def test_a_revoked_keys_queued_events_are_dropped_unsent(stack, receiver) -> None:
    key, _ = subscribed(stack, receiver, ["milestone.submitted"])
    stack.api("POST", "/schedules", schedule_json("GONE-HOOK"))
    stack.api("POST", "/projects/GONE-HOOK/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    with stack.reading() as session, session.begin():
        api_keys.revoke(session, key.key.public_id)

    run_job(stack.context(), "drain_outbox")

    assert receiver.deliveries == []
    with stack.reading() as session:
        assert list(session.scalars(select(OutboxRow.status).where(OutboxRow.kind == "webhook"))) == ["done"]


def test_subscriptions_are_the_callers_own_and_their_urls_checked(stack, receiver) -> None:
    key, other = new_key(stack), new_key(stack)
    reader = new_key(stack, "read")
    auth = {"Authorization": f"Bearer {key.plaintext}"}
    made = subscribe(stack, key, receiver.url, ["invoice.created"]).json()

    assert subscribe(stack, key, "ftp://example.com/x", ["invoice.created"]).json()["errors"][0]["rule"] == "scheme"
    assert subscribe(stack, key, receiver.url, ["invoice.paid"]).json()["errors"][0]["rule"] == "unknown_event"
    assert subscribe(stack, reader, receiver.url, ["invoice.created"]).status_code == 403
    legacy = requests.post(f"{stack.url}/api/v1/subscriptions", json={"url": receiver.url, "events": ["invoice.created"]},
                           headers={"Authorization": "Bearer test-api-key-" + "x" * 20}, timeout=30)
    assert legacy.status_code == 403
    listed = requests.get(f"{stack.url}/api/v1/subscriptions", headers=auth, timeout=30).json()["subscriptions"]
    assert [s["id"] for s in listed] == [made["id"]]
    assert "secret" not in listed[0]
    others = requests.get(f"{stack.url}/api/v1/subscriptions",
                          headers={"Authorization": f"Bearer {other.plaintext}"}, timeout=30).json()
    assert others == {"subscriptions": []}
    not_theirs = requests.delete(f"{stack.url}/api/v1/subscriptions/{made['id']}",
                                 headers={"Authorization": f"Bearer {other.plaintext}"}, timeout=30)
    assert not_theirs.status_code == 404
    assert requests.delete(f"{stack.url}/api/v1/subscriptions/{made['id']}", headers=auth, timeout=30).status_code == 204
    assert requests.get(f"{stack.url}/api/v1/subscriptions", headers=auth, timeout=30).json() == {"subscriptions": []}


def recent_runs_of(stack: Stack, job: str) -> list[Any]:
    """The job's recorded runs, as `milepost jobs` lists them."""
    with stack.reading() as session:
        return recent_runs(session, job, limit=50)
