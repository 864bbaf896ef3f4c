"""The inbound hook `POST /api/v1/hooks/<key id>`: signed per Standard Webhooks, replay-safe, the
API's own step. Signatures are computed by the test (`tests.webhook_signatures`)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connector.store import api_keys, hook_messages
from connector.store.db import transaction
from connector.store.key_rows import HookMessageRow
from connector.store.models import AuditEventRow, OutboxRow
from tests.webhook_signatures import signed

from .projects import api, database_key, import_and_submit, milestone, schedule


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def new_key(app: Flask, scope: str = "write") -> api_keys.NewKey:
    return database_key(app, scope, "Jira automation")


def message(kind: str = "milestone.accepted", seq: int = 1, **data: object) -> bytes:
    return json.dumps({"type": kind, "data": {"project": "ACME-WEB", "seq": seq, "by": "Dana Lee", **data}}).encode()


def hook(client: FlaskClient, key: api_keys.NewKey, body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/hooks/{key.key.public_id}", data=body, headers=headers)


def written(app: Flask) -> tuple[int, int, int]:
    """(audit events, outbox rows, remembered hook messages)."""
    with app.extensions["milepost"].sessions() as db:
        return tuple(db.scalar(select(func.count()).select_from(table))  # type: ignore[return-value]
                     for table in (AuditEventRow, OutboxRow, HookMessageRow))


def rules(answer) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(p["field"], p["rule"]) for p in answer.get_json()["errors"]}


def test_a_signed_message_accepts_the_milestone_once_and_its_replay_changes_nothing(app, client):
    import_and_submit(client)
    key = new_key(app)
    body = message()
    headers = signed(key.webhook_secret, "msg_jira_1001", body)

    first = hook(client, key, body, headers)

    assert first.status_code == 200, first.get_json()
    assert first.get_json()["state"] == "invoice_due"  # accepted, its invoice queued
    assert milestone(client)["state"] == "invoice_due"
    before = written(app)
    assert before[1] == 1  # the invoice intent, queued with the acceptance

    replay = hook(client, key, body, headers)

    assert replay.status_code == 200
    assert replay.get_json() == {**first.get_json(), "replayed": True}
    assert written(app) == before  # no second event, intent or remembered id
    fresh_id = hook(client, key, body, signed(key.webhook_secret, "msg_jira_1002", body))
    assert fresh_id.status_code == 409  # the same step under a new id meets the lifecycle


def test_a_message_can_submit_a_milestone(app, client):
    assert api(client, "POST", "/schedules", schedule()).status_code == 201
    key = new_key(app)
    body = message("milestone.submitted", evidence=["requirements-v1.3.pdf"])

    answer = hook(client, key, body, signed(key.webhook_secret, "msg_sub_1", body))

    assert answer.status_code == 200, answer.get_json()
    assert milestone(client)["state"] == "submitted"


def test_a_forged_message_is_refused_and_writes_nothing(app, client):
    import_and_submit(client)
    key, other = new_key(app), new_key(app)
    body = message()
    before = written(app)

    wrong_secret = hook(client, key, body, signed(other.webhook_secret, "msg_1", body))
    tampered = hook(client, key, message(seq=2), signed(key.webhook_secret, "msg_2", body))
    unsigned = hook(client, key, body, {"Content-Type": "application/json"})
    nonsense = hook(client, key, body, {**signed(key.webhook_secret, "msg_3", body), "webhook-signature": "v1"})

    assert wrong_secret.status_code == tampered.status_code == unsigned.status_code == nonsense.status_code == 401
    assert rules(wrong_secret) == rules(tampered) == rules(nonsense) == {("webhook-signature", "signature")}
    assert rules(unsigned) == {("webhook-id", "required")}
    assert milestone(client)["state"] == "submitted"
    assert written(app) == before


def test_a_stale_or_early_timestamp_is_refused_though_correctly_signed(app, client):
    import_and_submit(client)
    key = new_key(app)
    body = message()
    before = written(app)

    for offset in (-6 * 60, 6 * 60):
        answer = hook(client, key, body, signed(key.webhook_secret, f"msg_{offset}", body, int(time.time()) + offset))
        assert answer.status_code == 401
        assert rules(answer) == {("webhook-timestamp", "stale")}
    assert milestone(client)["state"] == "submitted"
    assert written(app) == before


def test_unknown_revoked_and_read_keys_are_refused(app, client):
    import_and_submit(client)
    revoked, reader = new_key(app), new_key(app, "read")
    with transaction(app.extensions["milepost"].sessions) as db:
        api_keys.revoke(db, revoked.key.public_id)
    body = message()

    assert hook(client, revoked, body, signed(revoked.webhook_secret, "msg_r", body)).status_code == 401
    unknown = client.post("/api/v1/hooks/0123456789ab", data=body, headers=signed(revoked.webhook_secret, "msg_u", body))
    assert unknown.status_code == 401
    read_only = hook(client, reader, body, signed(reader.webhook_secret, "msg_read", body))
    assert read_only.status_code == 403
    assert milestone(client)["state"] == "submitted"


def test_a_bad_step_is_refused_in_the_apis_shape_writes_nothing_and_its_id_stays_free(app, client):
    import_and_submit(client)
    key = new_key(app)
    before = written(app)
    no_by = json.dumps({"type": "milestone.accepted", "data": {"project": "ACME-WEB", "seq": 1}}).encode()
    odd = json.dumps({"type": "milestone.paid", "data": {"project": "ACME-WEB", "seq": "1", "by": "D",
                                                        "percnt": "5"}}).encode()
    unknown = message(seq=9)

    refused = hook(client, key, no_by, signed(key.webhook_secret, "msg_fix_me", no_by))
    assert refused.status_code == 400
    assert rules(refused) == {("data.by", "required")}
    odd_answer = hook(client, key, odd, signed(key.webhook_secret, "msg_odd", odd))
    assert rules(odd_answer) == {("type", "unknown_type"), ("data.seq", "integer"), ("data.percnt", "unknown_field")}
    assert hook(client, key, unknown, signed(key.webhook_secret, "msg_nine", unknown)).status_code == 404
    assert written(app) == before

    fixed = message()
    answer = hook(client, key, fixed, signed(key.webhook_secret, "msg_fix_me", fixed))
    assert answer.status_code == 200  # the refused message's id was not remembered
    assert milestone(client)["state"] == "invoice_due"


def test_remembered_message_ids_are_forgotten_after_a_day(app, client):
    import_and_submit(client)
    key = new_key(app)
    body = message()
    assert hook(client, key, body, signed(key.webhook_secret, "msg_day", body)).status_code == 200
    sessions = app.extensions["milepost"].sessions
    now = datetime.now(UTC)

    with transaction(sessions) as db:
        kept = hook_messages.forget_old(db, now + timedelta(hours=23))
    with transaction(sessions) as db:
        dropped = hook_messages.forget_old(db, now + timedelta(hours=25))

    assert (kept, dropped) == (0, 1)
