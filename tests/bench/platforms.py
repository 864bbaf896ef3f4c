"""Milepost against the sandbox over real HTTP: reads, the outbox drain, the payment sync.

The sandbox runs in this process (a thread), with its platform rate limits off and no rate
gate in the job context: these figures are what the code can do, not what QuickBooks (500
calls a minute per company) or Xero (60) allow. One company or organisation at a time, jobs
run in-process exactly as the embedded worker runs them (`run_job`, `run_sync`).

- reads: `SELECT * FROM Item` through the gateway (python-quickbooks, token custody, the
  fault translator) and the same query as a bare keep-alive `requests` GET.
- drain: from acceptance (the API's `decide`, which writes the intent in the acceptance's
  transaction) to the draft invoice stored in the books and recorded in the outbox.
- sync: payments recorded by a "bookkeeper" in the books, brought home by one sync: QuickBooks
  through CDC, Xero through If-Modified-Since; a payment counts once the store has it.
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
from sqlalchemy import func, select

from connector.billing.model import AuditEvent
from connector.billing.schedule import build_schedule
from connector.sandbox.client import SandboxServer
from connector.store import links, service
from connector.store.db import transaction
from connector.store.models import InvoiceRow, OutboxRow
from connector.web import create_app
from connector.web.decisions import Decision, decide
from jobs.runner import run_job, run_sync
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
    token = next(g.access_token for g in reversed(sandbox.state.quickbooks.grants)
                 if g.realm_id == realm and not g.revoked)
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


# -- the outbox drain ----------------------------------------------------------------------------
def _projects(stack: Stack, connection: int, count: int, currency: str) -> list[str]:
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


def _accept_and_drain(stack: Stack, keys: list[str]) -> int:
    ctx = stack.context()
    for key in keys:
        decide(ctx.sessions, key, 1, Decision("accept", "Dana Lee", _now()))
    while run_job(ctx, "drain_outbox").get("created", 0):
        pass
    with ctx.sessions() as session:
        pending = session.scalar(select(func.count()).where(OutboxRow.status != "done"))
    if pending:
        raise RuntimeError(f"{pending} intents were not drained")
    return len(keys)


def outbox_drain(stack: Stack, connection: int, intents: int, currency: str, sample: int) -> dict[str, Any]:
    return measure("intents", lambda: _projects(stack, connection, intents, currency),
                   lambda keys: _accept_and_drain(stack, keys),
                   lambda: _projects(stack, connection, max(1, intents // sample), currency))


# -- the payment sync ----------------------------------------------------------------------------
def _pay_a_little(stack: Stack, connection: int, platform: str, company: str, invoices: list[InvoiceRow]) -> int:
    """A bookkeeper records 1.00 on each of `invoices` (approving a Xero draft first); how many."""
    run_sync(stack.context(), connection)  # the cursor is now, so the timed sync reads only what follows
    control = stack.sandbox.control
    for invoice in invoices:
        if platform == "quickbooks":
            control.record_payment(company, invoice.platform_id, amount="1.00")
        else:
            control.xero(f"invoices/{invoice.platform_id}/authorise", company)
            control.xero("payments", company, invoice_id=invoice.platform_id, amount="1.00")
    return len(invoices)


def payment_sync(stack: Stack, connection: int, platform: str, company: str, sample: int) -> dict[str, Any]:
    """The timed sync brings home a payment on each invoice but the last 1/`sample` of them;
    the memory run, those last ones (each invoice is paid and approved once)."""
    with stack.context().sessions() as session:
        invoices = list(session.scalars(select(InvoiceRow).where(InvoiceRow.connection_id == connection)
                                        .order_by(InvoiceRow.id)))
    few = max(1, len(invoices) // (sample + 1))
    if len(invoices) < 2:
        raise RuntimeError(f"the payment sync needs two invoices or more, found {len(invoices)}")

    def run(expected: int) -> int:
        synced = run_sync(stack.context(), connection).get("payments", 0)
        if synced != expected:
            raise RuntimeError(f"synced {synced} payments, expected {expected}")
        return synced

    return measure("payments", lambda: _pay_a_little(stack, connection, platform, company, invoices[:-few]),
                   run, lambda: _pay_a_little(stack, connection, platform, company, invoices[-few:]))


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
