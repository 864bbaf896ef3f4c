"""QuickBooks webhooks: change events, batched per window, in either payload format.

The classic format groups entities per realm under ``eventNotifications``; the CloudEvents
format (Intuit's 2026 migration) is a JSON array with one event per change. Either way the
raw body is signed with the app's verifier token in ``intuit-signature``.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict

from ..state import SandboxState
from ..webhooks import sign
from .books import qbo_time

SERVICE = "quickbooks"
CLOUD_VERBS = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided",
               "Emailed": "emailed", "Merge": "merged"}


def classic_body(events: list[dict]) -> dict:
    by_realm: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        by_realm[event["realmId"]].append({k: event[k] for k in
                                           ("name", "id", "operation", "lastUpdated")})
    return {"eventNotifications": [
        {"realmId": realm, "dataChangeEvent": {"entities": entities}}
        for realm, entities in by_realm.items()]}


def cloudevents_body(events: list[dict], client_id: str) -> list[dict]:
    return [{
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": f"intuit.{client_id}",
        "type": f"qbo.{event['name'].lower()}.{CLOUD_VERBS.get(event['operation'], 'updated')}.v1",
        "datacontenttype": "application/json", "time": event["time"],
        "intuitentityid": event["id"], "intuitaccountid": event["realmId"], "data": {},
    } for event in events]


def renderer(state: SandboxState):  # type: ignore[no-untyped-def]
    """The outbox renderer for this sandbox's QuickBooks app (format: classic|cloudevents)."""
    app = state.apps["quickbooks"]

    def render(events: list[dict], fmt: str) -> tuple[bytes, dict[str, str]]:
        payload: object = cloudevents_body(events, app["client_id"]) if fmt == "cloudevents" \
            else classic_body(events)
        body = json.dumps(payload, separators=(",", ":")).encode()
        return body, {"intuit-signature": sign(app["webhook_verifier_token"], body)}

    return render


def publish(state: SandboxState, realm_id: str, changes: list[tuple[str, str, str]]) -> None:
    if not changes:
        return
    state.webhooks.register(SERVICE, renderer(state))
    now = state.clock.now()
    for entity, entity_id, operation in changes:
        state.webhooks.emit(SERVICE, {
            "realmId": realm_id, "name": entity, "id": entity_id, "operation": operation,
            "lastUpdated": qbo_time(now), "time": now.isoformat(timespec="milliseconds")})
