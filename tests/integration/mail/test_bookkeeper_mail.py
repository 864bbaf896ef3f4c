"""The bookkeeper is e-mailed when an intent fails for good and when a connection needs
reconnecting: once per such event, in the same run that finds it."""

from __future__ import annotations

from sqlalchemy import select

from connector.store.models import ConnectionRow, OutboxRow
from jobs.runner import run_job
from tests.jobs_harness import Stack, schedule_json

from .conftest import BOOKKEEPER
from .test_approver_mail import text_and_html


def to_bookkeeper(inbox) -> list:
    return [m for m in inbox.messages if str(m["To"]) == BOOKKEEPER]


def test_an_intent_that_fails_for_good_is_emailed_to_the_bookkeeper_once(mail_stack, inbox) -> None:
    fail_an_intent(mail_stack)

    run_job(mail_stack.context(), "drain_outbox")
    run_job(mail_stack.context(), "drain_outbox")

    with mail_stack.reading() as session:
        [intent] = session.scalars(select(OutboxRow).where(OutboxRow.kind == "invoice"))
    assert intent.status == "failed"
    [notice] = to_bookkeeper(inbox)
    assert str(notice["Subject"]) == "Milepost: invoice for ACME-WEB failed"
    plain, html = text_and_html(notice)
    assert intent.idempotency_key in plain
    assert "the project bills in BHD" in plain
    assert f"milepost retry {intent.id}" in plain
    assert "http://127.0.0.1:5000/admin/" in html


def test_a_connection_needing_reconnect_is_emailed_to_the_bookkeeper_once(mail_stack, inbox) -> None:
    connection, realm = mail_stack.connect_quickbooks()
    mail_stack.import_and_accept("ACME-WEB", connection)
    mail_stack.sandbox.control.revoke("quickbooks", realm)

    for _ in range(3):  # the intent waits; the connection stays needs_reconnect: one notice
        run_job(mail_stack.context(), "drain_outbox")

    with mail_stack.reading() as session:
        row = session.get(ConnectionRow, connection)
        assert row is not None
        assert row.status == "needs_reconnect"
    [notice] = to_bookkeeper(inbox)
    assert str(notice["Subject"]).startswith("Milepost: reconnect ")
    assert "(quickbooks)" in str(notice["Subject"])
    plain, _html = text_and_html(notice)
    assert f"(connection {connection})" in plain
    assert "invalid_grant" in plain


def test_without_a_bookkeeper_address_only_approvers_are_emailed(no_bookkeeper_stack, inbox) -> None:
    fail_an_intent(no_bookkeeper_stack)

    run_job(no_bookkeeper_stack.context(), "drain_outbox")

    with no_bookkeeper_stack.reading() as session:
        assert session.scalars(select(OutboxRow.status).where(OutboxRow.kind == "invoice")).one() == "failed"
    assert to_bookkeeper(inbox) == []
    assert [str(m["To"]) for m in inbox.messages] == ["Dana Lee <dana@acme.example>"]


def fail_an_intent(stack: Stack) -> None:
    """A BHD project for a USD-only company: its intent fails for good on the first drain."""
    connection, _ = stack.connect_quickbooks(stack.sandbox.control.add_quickbooks_company("Dollar Books LLC", "USD"))
    bhd = schedule_json()
    bhd["project"]["currency"] = "BHD"
    stack.import_and_accept("ACME-WEB", connection, schedule=bhd)
