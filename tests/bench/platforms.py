"""Milepost's own overhead around the platforms: reads through the gateway, a webhook's answer.

The sandbox runs in a process of its own (`SandboxProcess`), with its platform rate limits off
and no rate gate in the job context: these figures are what the code can do, not what
QuickBooks (500 calls a minute per company) or Xero (60) allow; `ceilings.py` measures those.

- reads: `SELECT * FROM Item` through the gateway (python-quickbooks, token custody, the
  fault translator) and the same query as a bare keep-alive `requests` GET.
- webhook: a signed QuickBooks delivery answered by the receiver (no platform call).
- `submitted_projects` makes projects waiting for acceptance, for the ceilings' backlogs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from datetime import UTC, datetime
from typing import Any

import requests

from connector.billing.model import AuditEvent
from connector.billing.schedule import build_schedule
from connector.sandbox.client import SandboxServer
from connector.store import links, service
from connector.store.db import transaction
from connector.web import create_app
from connector.web.decisions import Decision, decide
from tests.jobs_harness import Stack

from .billing import seven_milestones
from .harness import measure

_keys = itertools.count()


def _now() -> datetime:
    return datetime.now(UTC)


def build_stack(sandbox: SandboxServer, database_url: str) -> Stack:
    stack = Stack.build(sandbox, database_url)
    stack.context().gate = None  # measure the code, not the platforms' published limits
    return stack


# -- reads ---------------------------------------------------------------------------------------
def sandbox_reads(sandbox: SandboxServer, stack: Stack, requests_each: int, sample: int) -> dict[str, Any]:
    connection, realm = stack.connect_quickbooks()
    gateway = stack.context().gateway_for(connection)
    token = gateway._tokens().access_token  # type: ignore[attr-defined]
    url = f"{sandbox.url}/v3/company/{realm}/query"
    params = {"query": "SELECT * FROM Item", "minorversion": "75"}
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    few = max(1, requests_each // sample)

    def sdk(count: int) -> int:
        for _n in range(count):
            gateway.query("SELECT * FROM Item", "Item")  # type: ignore[attr-defined]
        return count

    def raw(state: tuple[requests.Session, int]) -> int:
        http, count = state
        for _n in range(count):
            http.get(url, params=params, headers=headers, timeout=10).raise_for_status()
        return count

    return {"sdk": measure("requests", lambda: requests_each, sdk, lambda: few),
            "raw_http": measure("requests", lambda: (requests.Session(), requests_each), raw,
                                lambda: (requests.Session(), few))}


# -- projects waiting for acceptance -------------------------------------------------------------
def submitted_projects(stack: Stack, connection: int, count: int, currency: str) -> list[str]:
    """Projects linked to the connection, milestone 1 submitted and waiting for acceptance."""
    keys = []
    sessions = stack.context().sessions
    for _n in range(count):
        raw = seven_milestones(f"D{next(_keys):05d}")
        raw["project"]["currency"] = currency
        parsed = build_schedule(raw)
        key = parsed.project.key
        event = AuditEvent(project_key=key, seq=None, kind="imported", at=_now(), actor="bench", data={})
        with transaction(sessions) as session:
            service.import_schedule(session, parsed.project, parsed.milestones, event)
            links.link_project(session, key, connection)
        decide(sessions, key, 1, Decision("submit", "Sam (studio)", _now(), evidence=("requirements document",)))
        keys.append(key)
    return keys


# -- a webhook flood -------------------------------------------------------------------------------
def webhook_flood(stack: Stack, realm: str, entities: int, sample: int) -> dict[str, Any]:
    """A signed QuickBooks delivery of `entities` entity changes: from the POST to the 200
    (the receiver stores the delivery and answers), per entity. Processing comes afterwards
    (`process_webhooks`) and is not part of the answer."""
    client = create_app(stack.settings, environ={}).test_client()
    secret = stack.settings.quickbooks.webhook_verifier_token or ""

    def delivery(count: int) -> tuple[bytes, str]:
        body = json.dumps({"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [
            {"name": "Invoice", "id": str(n), "operation": "Update", "lastUpdated": f"2026-12-01T10:00:{n % 60:02d}Z"}
            for n in range(count)]}}]}).encode()
        return body, base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()

    def answer(state: tuple[bytes, str, int]) -> int:
        body, signature, count = state
        reply = client.post("/webhooks/quickbooks", data=body, headers={"intuit-signature": signature})
        assert reply.status_code == 200, reply.status_code
        return count

    return measure("entities", lambda: (*delivery(entities), entities), answer,
                   lambda: (*delivery(max(1, entities // sample)), max(1, entities // sample)))
