"""The webhook receivers: signed events request a sync once; forged, replayed and foreign ones
change nothing and get the status codes the platforms expect."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import requests
from sqlalchemy import func, select

from connector.store.db import make_engine, session_factory
from jobs.tables import SyncStateRow, WebhookEventRow


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


def test_a_signed_quickbooks_event_requests_one_sync_and_its_replay_changes_nothing(stack) -> None:
    _, realm = stack.connect_quickbooks()
    body = qbo_body(realm)
    token = stack.settings.quickbooks.webhook_verifier_token

    first = post(stack, "quickbooks", body, signed(token, body))
    replay = post(stack, "quickbooks", body, signed(token, body))

    assert (first.status_code, first.json()) == (200, {"recorded": 1})
    assert (replay.status_code, replay.json()) == (200, {"recorded": 0})
    assert recorded(stack) == (1, 1)


def test_a_forged_quickbooks_event_is_refused_with_401_and_changes_nothing(stack) -> None:
    _, realm = stack.connect_quickbooks()
    body = qbo_body(realm)

    forged = post(stack, "quickbooks", body, signed("not-the-verifier-token", body))
    unsigned = post(stack, "quickbooks", body, None)
    tampered = post(stack, "quickbooks", qbo_body(realm, "131"),
                    signed(stack.settings.quickbooks.webhook_verifier_token, body))

    assert [forged.status_code, unsigned.status_code, tampered.status_code] == [401, 401, 401]
    assert recorded(stack) == (0, 0)


def test_an_event_for_an_unknown_company_is_acknowledged_and_changes_nothing(stack) -> None:
    stack.connect_quickbooks()
    body = qbo_body("4620816365000000000")

    answer = post(stack, "quickbooks", body, signed(stack.settings.quickbooks.webhook_verifier_token, body))

    assert (answer.status_code, answer.json()) == (200, {"recorded": 0})
    assert recorded(stack) == (0, 0)


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
    assert recorded(stack) == (1, 1)
