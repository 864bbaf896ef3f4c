"""Xero webhooks: change events, signed with `x-xero-signature`, and intent-to-receive.

Xero sends INVOICE, CONTACT and CREDITNOTE events (payments show up as INVOICE updates),
batched in one body with sequence numbers and random entropy, signed as base64 HMAC-SHA256 of
the raw body with the app's webhook key. Before it delivers anything to a new URL it runs an
intent-to-receive check: empty event lists, some correctly and some wrongly signed; the
receiver passes only if it answers 200 to each good one and 401 to each bad one.
"""

from __future__ import annotations

import itertools
import json
import secrets
from typing import Any

from flask import request

from connector.sandbox.state import SandboxState
from connector.sandbox.webhooks import sign
from connector.sandbox.xero.books import Organisation

CATEGORIES = {"Invoices": ("INVOICE", "InvoiceID"), "Contacts": ("CONTACT", "ContactID"),
              "CreditNotes": ("CREDITNOTE", "CreditNoteID")}
_SEQUENCE = itertools.count(1)
INTENT_ROUNDS = (True, False, True, False)


def emit_changes(state: SandboxState, org: Organisation,
                 changes: list[tuple[str, str, bool]]) -> None:
    """Queue one event per changed invoice, contact or credit note (last write wins)."""
    seen: dict[tuple[str, str], bool] = {}
    for collection, key, created in changes:
        if collection in CATEGORIES:
            seen[(collection, key)] = seen.get((collection, key), False) or created
    if not seen:
        return
    base = request.host_url.rstrip("/") + "/api.xro/2.0"
    when = state.clock.now().replace(tzinfo=None).isoformat(timespec="milliseconds")
    for (collection, key), created in seen.items():
        category, _ = CATEGORIES[collection]
        event: dict[str, Any] = {
            "resourceUrl": f"{base}/{collection}/{key}", "resourceId": key,
            "eventDateUtc": when, "eventType": "CREATE" if created else "UPDATE",
            "eventCategory": category, "tenantId": org.tenant_id, "tenantType": "ORGANISATION",
        }
        if collection == "CreditNotes":
            record = org.get(collection, key) or {}
            event["data"] = {"Type": record.get("Type"), "Status": record.get("Status")}
        state.webhooks.emit("xero", event)


def renderer(state: SandboxState) -> Any:
    """The outbox renderer for Xero: one signed body per batch of events."""

    def render(events: list[dict], _format: str) -> tuple[bytes, dict[str, str]]:
        first = next(_SEQUENCE)
        for _ in events[1:]:
            next(_SEQUENCE)
        body = json.dumps({"events": events, "firstEventSequence": first,
                           "lastEventSequence": first + len(events) - 1,
                           "entropy": secrets.token_hex(10).upper()}).encode()
        return body, {"x-xero-signature": sign(state.apps["xero"]["webhook_key"], body)}

    return render


def intent_to_receive(state: SandboxState, url: str) -> dict[str, Any]:
    """Run Xero's intent-to-receive check against url and record whether it passed."""
    key = state.apps["xero"]["webhook_key"]
    rounds = []
    for good in INTENT_ROUNDS:
        body = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0,
                           "entropy": secrets.token_hex(10).upper()}).encode()
        signature = sign(key if good else secrets.token_urlsafe(48), body)
        row = state.webhooks.post("xero", url, body, {"x-xero-signature": signature},
                                  kind="intent")
        expected = 200 if good else 401
        rounds.append({"signed_correctly": good, "expected": expected, "status": row["status"],
                       "ok": row["status"] == expected})
    result = {"url": url, "at": state.clock.now(), "passed": all(r["ok"] for r in rounds),
              "rounds": rounds}
    with state.lock:
        state.xero.intent_checks.append(result)
    return result
