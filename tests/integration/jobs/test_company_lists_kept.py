"""A company's lists (items, accounts, tax codes, tracking) are read once, not per invoice.

Every draft is checked against the company's own lists; reading them costs four calls against
the platform's rate limit (Xero allows 60 a minute). A busy connection keeps them a few
minutes, reads them again when its mapping settings are saved, and never fails an intent on a
code that a kept list lacks without first reading the lists afresh.
"""

from __future__ import annotations

import pytest

from connector.platforms.errors import ConfigurationError
from connector.sandbox.xero.catalogue import upsert_item
from jobs.connections import configure_mapping
from jobs.runner import run_job
from mappings.settings import MappingSettings

LIST_READS = {
    "xero": ("GET Items", "GET Accounts", "GET TaxRates", "GET TrackingCategories"),
    "quickbooks": ("POST query",),
}


def bookkeeper_adds_item(sandbox, tenant: str, code: str, name: str) -> None:
    """The bookkeeper adds an item in Xero itself: Milepost's token only reads settings
    (accounting.settings.read), and the sandbox, like Xero, refuses it a write (issue 10, 6)."""
    state = sandbox.state
    with state.lock:
        org = state.xero.organisation(tenant)
        mark = len(org.journal)
        upsert_item(org, {"Code": code, "Name": name}, state.clock.now(), create_only=True)
        org.changes(mark)


def calls(stack, service: str, company: str) -> dict[str, int]:
    return {row["endpoint"]: row["count"] for row in stack.sandbox.control.stats()
            if row["service"] == service and row["company"] == company}


def spent(before: dict[str, int], after: dict[str, int], endpoints: tuple[str, ...]) -> int:
    return sum(after.get(e, 0) - before.get(e, 0) for e in endpoints)


def test_two_xero_invoices_read_the_organisations_lists_once(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    ctx = stack.context()
    stack.import_and_accept("ACME-WEB", connection)
    start = calls(stack, "xero", tenant)
    run_job(ctx, "drain_outbox")
    first = calls(stack, "xero", tenant)

    stack.import_and_accept("BETA-APP", connection)
    run_job(ctx, "drain_outbox")
    second = calls(stack, "xero", tenant)

    assert len(stack.invoices()) == 2
    assert spent(start, first, LIST_READS["xero"]) == 4
    assert spent(first, second, LIST_READS["xero"]) == 0
    assert sum(second.values()) - sum(first.values()) < sum(first.values()) - sum(start.values()) - 3


def test_two_quickbooks_invoices_query_the_companys_lists_once(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx = stack.context()
    stack.import_and_accept("ACME-WEB", connection)
    start = calls(stack, "quickbooks", realm)
    run_job(ctx, "drain_outbox")
    first = calls(stack, "quickbooks", realm)

    stack.import_and_accept("BETA-APP", connection)
    run_job(ctx, "drain_outbox")
    second = calls(stack, "quickbooks", realm)

    assert len(stack.invoices()) == 2
    assert spent(first, second, LIST_READS["quickbooks"]) <= spent(start, first, LIST_READS["quickbooks"]) - 4


def test_saving_the_mapping_settings_reads_the_lists_again(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    ctx = stack.context()
    stack.import_and_accept("ACME-WEB", connection)
    run_job(ctx, "drain_outbox")
    kept = calls(stack, "xero", tenant)

    configure_mapping(ctx.sessions, ctx.gateway_for, connection, {"sales_account": "200"})
    saved = calls(stack, "xero", tenant)
    stack.import_and_accept("BETA-APP", connection)
    run_job(ctx, "drain_outbox")

    assert spent(kept, saved, LIST_READS["xero"]) == 4
    assert spent(saved, calls(stack, "xero", tenant), LIST_READS["xero"]) == 0
    assert len(stack.invoices()) == 2


def test_a_code_added_in_the_books_after_the_lists_were_kept_is_found(stack) -> None:
    [(connection, tenant), *_] = stack.connect_xero()
    ctx = stack.context()
    wanted = MappingSettings(sales_account="200", sales_item="RUSH")
    with pytest.raises(ConfigurationError, match="RUSH"):
        ctx.gateway_for(connection).resolve_settings(wanted)  # the lists are kept from here on

    bookkeeper_adds_item(stack.sandbox, tenant, "RUSH", "Rush fee")
    resolved = ctx.gateway_for(connection).resolve_settings(wanted)

    assert resolved.item is not None
    assert resolved.item.name == "RUSH"
