"""What draft invoices are booked against: the connection's settings, a project's own, no guesses."""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import select

from connector.platforms.company_lists import forget_company_lists
from connector.platforms.quickbooks import QuickBooksGateway
from connector.store.db import make_engine, session_factory
from connector.store.models import OutboxRow
from jobs.runner import run_job
from mappings.settings import MappingSettings
from tests.jobs_harness import books_invoice, schedule_json


def _items_on(stack, realm: str, invoice_id: str) -> list[str]:
    books = books_invoice(stack.sandbox, realm, invoice_id)
    return [line["SalesItemLineDetail"]["ItemRef"]["name"] for line in books["Line"]
            if line.get("DetailType") == "SalesItemLineDetail"]


def _accept(stack, key: str, connection: int, **project: object) -> None:
    schedule = schedule_json(key)
    schedule["project"].update(project)
    stack.api("POST", "/schedules", {**schedule, "connection": connection})
    stack.api("POST", f"/projects/{key}/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    stack.api("POST", f"/projects/{key}/milestones/1/accept", {"by": "Dana Lee"})


def test_connection_settings_are_checked_against_the_books_and_used_for_drafts(stack, milepost) -> None:
    connection, realm = stack.connect_quickbooks()

    refused = milepost("connections", "settings", str(connection), "--item", "Gardening", "--tax-code", "TAX")
    saved = milepost("connections", "settings", str(connection), "--item", "Consulting", "--terms", "Net 30")
    shown = milepost("connections", "settings", str(connection), "--format", "json")
    _accept(stack, "ACME-WEB", connection)
    run_job(stack.context(), "drain_outbox")

    assert refused.code == 1
    assert "'Gardening'" in refused.err
    assert "nothing saved" in refused.err
    assert saved.code == 0
    assert json.loads(shown.out) == {"sales_item": "Consulting", "terms": "Net 30"}
    [invoice] = stack.invoices()
    assert _items_on(stack, realm, invoice.platform_id) == ["Consulting"]
    assert books_invoice(stack.sandbox, realm, invoice.platform_id)["SalesTermRef"]["name"] == "Net 30"


def test_a_projects_own_mapping_wins_over_the_connections(stack, milepost) -> None:
    connection, realm = stack.connect_quickbooks()
    assert milepost("connections", "settings", str(connection), "--item", "Consulting").code == 0
    _accept(stack, "ACME-WEB", connection, mapping={"sales_item": "Design"})
    _accept(stack, "BETA-APP", connection)

    run_job(stack.context(), "drain_outbox")

    design, consulting = stack.invoices()
    assert _items_on(stack, realm, design.platform_id) == ["Design"]
    assert _items_on(stack, realm, consulting.platform_id) == ["Consulting"]


def test_a_real_connection_with_nothing_set_fails_the_intent_naming_the_setting(stack, milepost) -> None:
    connection, _ = stack.connect_quickbooks()
    _accept(stack, "ACME-WEB", connection)
    ctx = stack.context()
    ctx.settings = replace(ctx.settings, quickbooks=replace(ctx.settings.quickbooks, client_id="real-app"))

    run_job(ctx, "drain_outbox")

    engine = make_engine(stack.database_url)
    with session_factory(engine)() as session:
        [row] = session.scalars(select(OutboxRow))
        status, error = row.status, row.last_error
    engine.dispose()
    assert stack.invoices() == []
    assert status == "failed"
    assert f"connection {connection} has no sales item set: milepost connections settings {connection} --item" in error
    assert "has no sales item set" in milepost("jobs", "--job", "drain_outbox").out

    again = milepost("connections", "settings", str(connection), "--item", "Services")
    run_job(ctx, "drain_outbox")
    assert "1 failed intent(s) queued again" in again.out
    assert len(stack.invoices()) == 1


def test_the_second_invoice_for_a_customer_goes_to_the_stored_customer_without_a_search(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    _accept(stack, "ACME-WEB", connection)
    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    [first] = stack.invoices()
    customer_id = books_invoice(stack.sandbox, realm, first.platform_id)["CustomerRef"]["value"]
    gateway = ctx.gateway_for(connection)
    assert isinstance(gateway, QuickBooksGateway)
    # the bookkeeper renames the customer and changes its email: no search could find it now
    customer = gateway.call(lambda qb: qb.get_single_object("Customer", customer_id))["Customer"]
    renamed = {"Id": customer_id, "SyncToken": customer["SyncToken"], "sparse": True,
               "DisplayName": "Acme Corporation (HQ)", "PrimaryEmailAddr": {"Address": "ap@acme.example"}}
    gateway.call(lambda qb: qb.update_object("Customer", json.dumps(renamed)))
    queries = stack.sandbox.control.request_count("quickbooks", "POST query", realm)
    forget_company_lists(ctx.sessions, connection)
    ctx.gateway_for(connection).resolve_settings(MappingSettings(sales_item="Services"))  # lists only, kept
    for_lists = stack.sandbox.control.request_count("quickbooks", "POST query", realm) - queries

    _accept(stack, "BETA-APP", connection)
    before = stack.sandbox.control.request_count("quickbooks", "POST query", realm)
    run_job(ctx, "drain_outbox")  # the lists are kept a while: any query now would be a search
    searched = stack.sandbox.control.request_count("quickbooks", "POST query", realm) - before

    second = stack.invoices()[1]
    assert books_invoice(stack.sandbox, realm, second.platform_id)["CustomerRef"]["value"] == customer_id
    assert for_lists > 0  # the count does see queries
    assert searched == 0


def test_a_projects_mapping_is_edited_after_import_checked_against_its_company(stack, milepost) -> None:
    """Issue 8, "mapping per line kind": `milepost project mapping KEY` edits one project's
    booking after import; a code its linked company lacks is named and nothing is saved; the
    saved kind's item books that kind's lines."""
    connection, realm = stack.connect_quickbooks()
    stack.api("POST", "/schedules", {**schedule_json("ACME-WEB"), "connection": connection})

    refused = milepost("project", "mapping", "ACME-WEB", "--kind", "milestone.item=Gardening")
    saved = milepost("project", "mapping", "ACME-WEB", "--kind", "milestone.item=Consulting")
    shown = json.loads(milepost("project", "mapping", "ACME-WEB", "--format", "json").out)
    stack.api("POST", "/projects/ACME-WEB/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    stack.api("POST", "/projects/ACME-WEB/milestones/1/accept", {"by": "Dana Lee"})
    run_job(stack.context(), "drain_outbox")

    assert refused.code == 1
    assert "sales item 'Gardening' (milestone lines)" in refused.err
    assert saved.code == 0
    assert shown == {"kind_items": {"milestone": "Consulting"}}
    [invoice] = stack.invoices()
    assert _items_on(stack, realm, invoice.platform_id) == ["Consulting"]
