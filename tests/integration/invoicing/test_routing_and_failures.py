"""Which books an intent goes to when nobody said, and what a failure does to the intent."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select, update

from connector.platforms.errors import NetworkError, OutcomeUnknown, RateLimited, ValidationRejected
from connector.store.db import make_engine, session_factory
from connector.store.links import linked_connection
from connector.store.models import ConnectionRow, OrganisationRow, OutboxRow
from jobs.runner import run_job
from tests.jobs_harness import schedule_json


def _accept_unlinked(stack, key: str = "ACME-WEB") -> None:
    stack.api("POST", "/schedules", schedule_json(key))
    stack.api("POST", f"/projects/{key}/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    stack.api("POST", f"/projects/{key}/milestones/1/accept", {"by": "Dana Lee"})


def _outbox(stack) -> list[OutboxRow]:
    engine = make_engine(stack.database_url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
    finally:
        engine.dispose()


def test_with_one_connection_an_unlinked_project_bills_there(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    _accept_unlinked(stack)

    run_job(stack.context(), "drain_outbox")

    [invoice] = stack.invoices()
    assert invoice.connection_id == connection


def test_an_unlinked_project_never_bills_into_another_organisations_only_connection(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    engine = make_engine(stack.database_url)
    try:
        with session_factory(engine).begin() as session:
            theirs = OrganisationRow(name="Another firm")
            session.add(theirs)
            session.flush()
            session.execute(update(ConnectionRow).where(ConnectionRow.id == connection)
                            .values(organisation_id=theirs.id))
    finally:
        engine.dispose()
    _accept_unlinked(stack)  # the default organisation's project, which has no connection

    run_job(stack.context(), "drain_outbox")

    assert stack.invoices() == []
    [row] = _outbox(stack)
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.last_error.startswith("no active connection")


def test_with_several_connections_an_unlinked_project_waits_and_says_how_to_link_it(stack, milepost) -> None:
    realm = stack.sandbox.control.add_quickbooks_company("Second Books Ltd")
    stack.connect_quickbooks()
    stack.connect_quickbooks(realm)
    _accept_unlinked(stack)

    run_job(stack.context(), "drain_outbox")

    [row] = _outbox(stack)
    expected = "project ACME-WEB is not linked to a connection: milepost project link ACME-WEB --connection ID"
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, expected)
    assert stack.invoices() == []
    shown = milepost("jobs", "--job", "drain_outbox")
    assert "drain_outbox: partial" in shown.out
    assert expected in shown.out

    assert milepost("project", "link", "ACME-WEB", "--connection", "2").code == 0
    run_job(stack.context(), "drain_outbox")
    [invoice] = stack.invoices()
    assert invoice.connection_id == 2


class Failing:
    """The real gateway, except that creating the draft raises `error`."""

    def __init__(self, real: Any, error: Exception) -> None:
        self._real, self._error = real, error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def create_draft_invoice(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error


@pytest.mark.parametrize(("error", "status", "logged_traceback"), [
    (ValueError("line 1 has no amount"), "failed", True),
    (KeyError("Invoice"), "failed", True),
    (ValidationRejected("Business Validation Error: bad date", platform="quickbooks"), "failed", False),
    (RateLimited("throttled", platform="quickbooks"), "pending", False),
    (NetworkError("connection reset", platform="quickbooks"), "pending", False),
    (OutcomeUnknown("no answer to the create", platform="quickbooks"), "pending", False),
])
def test_only_platform_faults_worth_retrying_are_retried(stack, caplog, error, status, logged_traceback) -> None:
    connection, _ = stack.connect_quickbooks()
    _accept_unlinked(stack)
    ctx = stack.context()
    real = ctx.gateway_for(connection)
    ctx.gateway_factory = lambda _id: Failing(real, error)

    with caplog.at_level(logging.WARNING, logger="milepost.jobs.outbox"):
        run_job(ctx, "drain_outbox")

    [row] = _outbox(stack)
    assert (row.status, row.attempts) == (status, 1)
    assert type(error).__name__ in row.last_error or str(error) in row.last_error
    records = [r for r in caplog.records if r.name == "milepost.jobs.outbox"]
    assert len(records) == 1
    assert (records[0].exc_info is not None) == logged_traceback


def _books_count(stack, realm: str, entity: str) -> int:
    with stack.sandbox.state.lock:
        return len(stack.sandbox.state.quickbooks.company(realm).table(entity))


def test_a_project_in_a_currency_the_company_cannot_bill_creates_nothing_and_names_both(stack, milepost) -> None:
    """Issue 8, finding 7: a BHD project linked to a USD-only QuickBooks company produced a USD
    invoice Milepost recorded as BHD. Now the intent fails before anything is created, with an
    error naming both currencies, and `milepost jobs` shows it."""
    realm = stack.sandbox.control.add_quickbooks_company("Dollar Books LLC", "USD")
    stack.connect_quickbooks(realm)
    data = schedule_json()
    data["project"]["currency"] = "BHD"
    stack.api("POST", "/schedules", data)
    stack.api("POST", "/projects/ACME-WEB/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    stack.api("POST", "/projects/ACME-WEB/milestones/1/accept", {"by": "Dana Lee"})
    customers = _books_count(stack, realm, "Customer")

    run_job(stack.context(), "drain_outbox")

    [row] = _outbox(stack)
    assert row.status == "failed"
    assert "the project bills in BHD" in row.last_error
    assert "keeps its books in USD with multicurrency off" in row.last_error
    assert (stack.invoices(), _books_count(stack, realm, "Invoice")) == ([], 0)
    assert _books_count(stack, realm, "Customer") == customers
    assert "the project bills in BHD" in milepost("jobs", "--job", "drain_outbox").out


def test_linking_a_project_to_a_company_that_cannot_bill_its_currency_is_refused(stack, milepost) -> None:
    """Issue 8, finding 7, at link time: the link is refused naming both currencies."""
    stack.connect_quickbooks()
    realm = stack.sandbox.control.add_quickbooks_company("Dollar Books LLC", "USD")
    dollars, _ = stack.connect_quickbooks(realm)
    data = schedule_json()
    data["project"]["currency"] = "BHD"
    stack.api("POST", "/schedules", data)

    refused = milepost("project", "link", "ACME-WEB", "--connection", str(dollars))

    assert refused.code == 1
    assert f"connection {dollars}: not linked: quickbooks: the project bills in BHD" in refused.err
    assert "keeps its books in USD" in refused.err
    with stack.reading() as session:
        assert linked_connection(session, "ACME-WEB") is None
