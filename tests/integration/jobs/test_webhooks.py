"""The webhook receivers: a signed delivery is stored and answered at once; the
`process_webhooks` job then records its events and requests a sync once. Forged, replayed and
foreign ones change nothing and get the status codes the platforms expect."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import requests
from sqlalchemy import func, select

from connector.store.db import make_engine, session_factory
from jobs.runner import run_job
from jobs.tables import SyncStateRow, WebhookDeliveryRow, WebhookEventRow


def signed(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def qbo_body(realm: str, invoice_id: str = "130", when: str = "2026-11-25T10:00:00Z") -> bytes:
    return json.dumps({"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [
        {"name": "Invoice", "id": invoice_id, "operation": "Update", "lastUpdated": when}]}}]}).encode()


def post(stack, platform: str, body: bytes, signature: str | None) -> requests.Response:
    header = "intuit-signature" if platform == "quickbooks" else "x-xero-signature"
    headers = {"Content-Type": "application/json", **({header: signature} if signature else {})}
    return requests.post(f"{stack.url}/webhooks/{platform}", data=body, headers=headers, timeout=10)


def recorded(stack) -> tuple[int, int]:
    """(event ids stored, connections with a sync requested)."""
    engine = make_engine(stack.database_url)
    with session_factory(engine)() as session:
        events = session.scalar(select(func.count()).select_from(WebhookEventRow))
        requested = session.scalar(
            select(func.count()).select_from(SyncStateRow).where(SyncStateRow.requested_at.is_not(None)))
    engine.dispose()
    return int(events or 0), int(requested or 0)


def stored(stack) -> int:
    """Deliveries stored by the receivers (processed or not)."""
    with stack.reading() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookDeliveryRow)) or 0)


def processed(stack) -> tuple[int, int]:
    """What the deliveries came to once the worker's `process_webhooks` has run."""
    run_job(stack.context(), "process_webhooks")
    return recorded(stack)


def test_a_signed_quickbooks_event_requests_one_sync_and_its_replay_changes_nothing(stack) -> None:
    _, realm = stack.connect_quickbooks()
    body = qbo_body(realm)
    token = stack.settings.quickbooks.webhook_verifier_token

    first = post(stack, "quickbooks", body, signed(token, body))
    before = recorded(stack)
    after_first = processed(stack)
    replay = post(stack, "quickbooks", body, signed(token, body))

    assert [first.status_code, replay.status_code] == [200, 200]
    assert before == (0, 0)  # stored, not yet processed: the answer does not wait for it
    assert after_first == (1, 1)
    assert processed(stack) == (1, 1)


def test_a_forged_quickbooks_event_is_refused_with_401_and_changes_nothing(stack) -> None:
    _, realm = stack.connect_quickbooks()
    body = qbo_body(realm)

    forged = post(stack, "quickbooks", body, signed("not-the-verifier-token", body))
    unsigned = post(stack, "quickbooks", body, None)
    tampered = post(stack, "quickbooks", qbo_body(realm, "131"),
                    signed(stack.settings.quickbooks.webhook_verifier_token, body))

    assert [forged.status_code, unsigned.status_code, tampered.status_code] == [401, 401, 401]
    assert stored(stack) == 0
    assert processed(stack) == (0, 0)


def test_an_event_for_an_unknown_company_is_acknowledged_and_changes_nothing(stack) -> None:
    stack.connect_quickbooks()
    body = qbo_body("4620816365000000000")

    answer = post(stack, "quickbooks", body, signed(stack.settings.quickbooks.webhook_verifier_token, body))

    assert answer.status_code == 200
    assert processed(stack) == (0, 0)


def test_xero_intent_to_receive_passes_and_forged_events_get_401(stack) -> None:
    [(_, tenant), *_] = stack.connect_xero()
    key = stack.settings.xero.webhook_key
    event = {"events": [{"tenantId": tenant, "eventCategory": "INVOICE", "eventType": "UPDATE",
                         "resourceId": "abc", "eventDateUtc": "2026-11-25T10:00:00"}],
             "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "X"}
    body = json.dumps(event).encode()

    check = stack.sandbox.control._call("POST", "/xero/webhooks/intent", {"url": f"{stack.url}/webhooks/xero"})
    good_probe = post(stack, "xero", b'{"events":[]}', signed(key, b'{"events":[]}'))
    bad_probe = post(stack, "xero", b'{"events":[]}', signed("wrong", b'{"events":[]}'))
    forged = post(stack, "xero", body, signed("wrong", body))
    first = post(stack, "xero", body, signed(key, body))
    replay = post(stack, "xero", body, signed(key, body))

    assert check["passed"] is True
    assert [good_probe.status_code, bad_probe.status_code] == [200, 401]
    assert good_probe.content == b""
    assert "Set-Cookie" not in good_probe.headers
    assert [forged.status_code, first.status_code, replay.status_code] == [401, 200, 200]
    assert processed(stack) == (1, 1)


def test_xero_error_answers_have_empty_bodies(stack) -> None:
    """Issue 9 finding 8: Xero's webhook documentation asks for empty bodies and no cookies
    ("Configuring your server", developer.xero.com/documentation/webhooks); the app's HTML
    error pages were sent instead."""
    [(_, tenant), *_] = stack.connect_xero()
    body = json.dumps({"events": [{"tenantId": tenant, "eventCategory": "INVOICE", "eventType": "UPDATE",
                                   "resourceId": "abc", "eventDateUtc": "2026-11-25T10:00:00"}]}).encode()
    key = stack.settings.xero.webhook_key

    forged = post(stack, "xero", body, signed("wrong", body))
    not_json = post(stack, "xero", b"<xml/>", signed(key, b"<xml/>"))
    wrong_method = requests.get(f"{stack.url}/webhooks/xero", timeout=10)

    assert [forged.status_code, not_json.status_code, wrong_method.status_code] == [401, 400, 405]
    assert [forged.content, not_json.content, wrong_method.content] == [b"", b"", b""]
    assert all("Set-Cookie" not in answer.headers for answer in (forged, not_json, wrong_method))


def test_a_delivery_that_cannot_be_stored_gets_an_empty_500_so_xero_sends_it_again(stack, tmp_path) -> None:
    from dataclasses import replace

    from connector.web import create_app

    broken = replace(stack.settings).with_database(f"sqlite:///{tmp_path}/missing/dir/milepost.db")
    client = create_app(broken, environ={}).test_client()
    body = b'{"events": [{"tenantId": "t", "eventCategory": "INVOICE", "eventType": "UPDATE"}]}'

    answer = client.post("/webhooks/xero", data=body,
                         headers={"x-xero-signature": signed(stack.settings.xero.webhook_key, body)})

    assert (answer.status_code, answer.data) == (500, b"")


def test_housekeeping_forgets_old_processed_deliveries_but_never_an_unprocessed_one(stack) -> None:
    from datetime import UTC, datetime, timedelta

    from connector.store.db import transaction
    from jobs.webhooks import store_delivery

    long_ago = datetime.now(UTC) - timedelta(days=40)
    with transaction(session_factory(make_engine(stack.database_url))) as session:
        done = store_delivery(session, "xero", b'{"events": []}', long_ago)
        waiting = store_delivery(session, "xero", b'{"events": []}', long_ago)
        session.get(WebhookDeliveryRow, done).processed_at = long_ago

    counts = run_job(stack.context(), "housekeeping")

    with stack.reading() as session:
        left = list(session.scalars(select(WebhookDeliveryRow.id)))
    assert counts["webhook_deliveries"] == 1
    assert left == [waiting]
