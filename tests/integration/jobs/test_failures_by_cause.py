"""Failures by cause (issue 9, findings 1 and 2): an outage of the infrastructure, or a grant the
platform stopped honouring, makes an intent wait, never fail for good; reconnecting the same
company brings every such intent home exactly once.

The revoked grants are the sandbox's `POST /_sandbox/revoke`: at QuickBooks the grant's tokens
stop working (401 AuthenticationFailed on calls, `invalid_grant` on refresh; Intuit's "Disconnect
URL" and "Refresh token" pages); at Xero the organisation leaves the consent's connections
(403 AuthenticationUnsuccessful for its tenant, and `GET /connections` no longer lists it;
Xero's "Removing connections" and "HTTP status codes" pages).
"""

from __future__ import annotations

from dataclasses import replace

import redis
from flask.testing import FlaskClient
from sqlalchemy import select, update

from connector.store.job_runs import recent_runs
from connector.store.models import ConnectionRow, OutboxRow
from connector.web import create_app
from jobs.runner import run_job
from tests.jobs_harness import Stack
from tests.people import signed_in_client


def outbox(stack: Stack) -> list[tuple[str, int, str | None]]:
    with stack.reading() as session:
        rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        return [(r.status, r.attempts, getattr(r, "cause", None)) for r in rows]


def status_of(stack: Stack, connection: int) -> str:
    with stack.reading() as session:
        return session.get(ConnectionRow, connection).status  # type: ignore[union-attr]


def quickbooks_invoices(stack: Stack, realm: str) -> list[str]:
    """DocNumbers of the invoices the sandbox company's books hold."""
    with stack.sandbox.state.lock:
        return [str(i.get("DocNumber")) for i in stack.sandbox.state.quickbooks.company(realm).table("Invoice").values()]


def admin_client(stack: Stack) -> FlaskClient:
    settings = replace(stack.settings, app=replace(stack.settings.app, secret_key="test-secret-key"))
    app = create_app(settings, environ={})
    app.config["TESTING"] = True
    return signed_in_client(app)


def test_redis_down_puts_the_intent_back_without_spending_an_attempt(stack, monkeypatch) -> None:
    connection, realm = stack.connect_quickbooks()
    stack.import_and_accept("ACME-WEB", connection)
    ctx = stack.context()

    def redis_is_down(*_args, **_kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(ctx.gate, "slot", redis_is_down)  # the rate gate's storage, in Celery mode
    run_job(ctx, "drain_outbox")

    assert outbox(stack) == [("pending", 0, "infrastructure")]
    with stack.reading() as session:
        [run] = recent_runs(session, "drain_outbox")
    assert run.outcome == "error"
    assert run.error == "ConnectionError: Error 111 connecting to 127.0.0.1:6399. Connection refused."

    monkeypatch.undo()
    run_job(ctx, "drain_outbox")
    assert [status for status, _, _ in outbox(stack)] == ["done"]
    assert len(quickbooks_invoices(stack, realm)) == 1


def test_a_grant_revoked_at_quickbooks_waits_then_reconnecting_brings_it_home(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    stack.import_and_accept("ACME-WEB", connection)
    stack.sandbox.control.revoke("quickbooks", realm)
    ctx = stack.context()

    run_job(ctx, "drain_outbox")
    run_job(ctx, "drain_outbox")  # waiting costs nothing, however often it is tried

    assert outbox(stack) == [("pending", 0, "auth")]
    assert status_of(stack, connection) == "needs_reconnect"
    dashboard = admin_client(stack).get("/admin/").get_data(as_text=True)
    alert = dashboard.split("Connections needing reconnect")[1].split("</section>")[0]
    assert "invalid_grant" in alert
    assert "Reconnect</button>" in alert

    again, _ = stack.connect_quickbooks(realm)  # the same company, a new consent
    run_job(ctx, "drain_outbox")

    assert again == connection
    assert status_of(stack, connection) == "active"
    assert [status for status, _, _ in outbox(stack)] == ["done"]
    assert len(quickbooks_invoices(stack, realm)) == 1


def test_an_intent_that_failed_for_authentication_before_is_requeued_by_the_reconnect(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    stack.import_and_accept("ACME-WEB", connection)
    with stack.reading() as session, session.begin():  # as an older Milepost left it
        session.execute(update(OutboxRow).values(
            status="failed", attempts=1, cause="auth",
            last_error="quickbooks: message=AuthenticationFailed; errorCode=003200; statusCode=401"))

    stack.connect_quickbooks(realm)
    run_job(stack.context(), "drain_outbox")

    assert [status for status, _, _ in outbox(stack)] == ["done"]
    assert len(quickbooks_invoices(stack, realm)) == 1


def test_an_organisation_removed_at_xero_is_disconnected_and_its_intent_waits(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    stack.import_and_accept("ACME-WEB", connection)
    stack.sandbox.control.revoke("xero", tenant)
    ctx = stack.context()

    run_job(ctx, "drain_outbox")

    assert outbox(stack) == [("pending", 0, "auth")]
    assert status_of(stack, connection) == "disconnected"

    reconnected = dict(stack.connect_xero())
    run_job(ctx, "drain_outbox")

    assert reconnected[connection] == tenant
    assert status_of(stack, connection) == "active"
    assert [status for status, _, _ in outbox(stack)] == ["done"]
    with stack.sandbox.state.lock:
        invoices = list(stack.sandbox.state.xero.organisation(tenant).records["Invoices"].values())
    assert len(invoices) == 1


def test_the_quickbooks_disconnect_landing_url_marks_a_revoked_connection_disconnected(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    client = admin_client(stack)

    forged = client.get(f"/oauth/quickbooks/disconnected?realmId={realm}")  # the grant still works
    assert forged.status_code == 200
    assert status_of(stack, connection) == "active"

    stack.sandbox.control.revoke("quickbooks", realm)  # the company disconnected the app
    landed = client.get(f"/oauth/quickbooks/disconnected?realmId={realm}")

    assert landed.status_code == 200
    assert status_of(stack, connection) == "disconnected"


def test_a_xero_consent_revoked_makes_the_connection_need_reconnecting(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    stack.import_and_accept("ACME-WEB", connection)
    stack.sandbox.control.revoke_xero_grant(tenant)  # refresh refused with invalid_grant

    run_job(stack.context(), "drain_outbox")

    assert outbox(stack) == [("pending", 0, "auth")]
    assert status_of(stack, connection) == "needs_reconnect"
