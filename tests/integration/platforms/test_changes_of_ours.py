"""Issue 15: a first sync reads every invoice of the company, but keeps only Milepost's.

The sync applies facts to the invoices Milepost made and to nothing else, yet the change reading
kept a fact for each of a company's 100,000 invoices until the last page was read (the worker's
peak memory, `tests/bench`). Given the platform ids of Milepost's invoices, `changes_since` now
keeps their facts and the payments on them, across pages, and lets the rest go as each page is
read; an invoice carrying a Milepost key is kept too, as one made while the pages were read is
not among the ids yet.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from connector.billing.money import Money
from mappings.facts import PAID, PARTIALLY_PAID
from mappings.settings import MappingSettings
from tests.sandbox_books import change_other_invoices

from .test_changes import draft, sandbox_now

OTHERS = 2_500  # three query pages of 1,000, Milepost's invoices on the first and the last


def test_a_first_quickbooks_read_keeps_milepost_invoices_and_their_payments_across_pages(qbo, sandbox) -> None:
    realm, settings = qbo._realm, MappingSettings(sales_item="Services")
    early = draft(qbo, "milepost:ACME-WEB:1:1", settings)
    sandbox.control.seed_quickbooks(realm, customers=5, invoices=OTHERS, payments=1_200)
    late = draft(qbo, "milepost:ACME-WEB:2:1", settings)
    made_meanwhile = draft(qbo, "milepost:ACME-WEB:3:1", settings)  # not among the ids given
    sandbox.control.record_payment(realm, early.platform_id, amount="400.00")
    sandbox.control.record_payment(realm, late.platform_id)

    batch = qbo.changes_since(None, {early.platform_id, late.platform_id})

    facts = {f.platform_id: f for f in batch.invoices}
    assert set(facts) == {early.platform_id, late.platform_id, made_meanwhile.platform_id}
    assert (facts[early.platform_id].status, facts[late.platform_id].status) == (PARTIALLY_PAID, PAID)
    assert sorted((p.invoice_platform_id, p.amount.amount) for p in batch.payments) == sorted(
        [(early.platform_id, Decimal("400.00")), (late.platform_id, Decimal("1111.11"))])
    assert batch.full_resync is True
    assert batch.next_cursor is not None
    everything = qbo.changes_since(None)  # without ids, every invoice as before
    assert len(everything.invoices) >= OTHERS + 3
    assert len(everything.payments) == 1_200 + 2


def test_a_first_xero_read_keeps_milepost_invoices_and_their_payments_across_pages(xero, sandbox) -> None:
    tenant, settings = xero._tenant, MappingSettings(sales_account="200", tax_code="NONE")
    early = draft(xero, "milepost:KOWHAI-FIT:1:1", settings, "NZD")
    sandbox.control.seed_xero(tenant, contacts=5, invoices=OTHERS, payments=1_200)
    late = draft(xero, "milepost:KOWHAI-FIT:2:1", settings, "NZD")
    made_meanwhile = draft(xero, "milepost:KOWHAI-FIT:3:1", settings, "NZD")
    for invoice in (early, late):
        sandbox.control.xero(f"invoices/{invoice.platform_id}/authorise", tenant)
    sandbox.control.xero("payments", tenant, invoice_id=early.platform_id, amount="400.00")
    sandbox.control.xero("payments", tenant, invoice_id=late.platform_id)

    batch = xero.changes_since(None, {early.platform_id, late.platform_id})

    facts = {f.platform_id: f for f in batch.invoices}
    assert set(facts) == {early.platform_id, late.platform_id, made_meanwhile.platform_id}
    assert (facts[early.platform_id].status, facts[late.platform_id].status) == (PARTIALLY_PAID, PAID)
    assert sorted((p.invoice_platform_id, p.amount) for p in batch.payments) == sorted(
        [(early.platform_id, Money(Decimal("400.00"), "NZD")), (late.platform_id, Money(Decimal("1111.11"), "NZD"))])
    assert batch.next_cursor is not None
    everything = xero.changes_since(None)
    assert len(everything.invoices) >= OTHERS + 3
    assert len(everything.payments) == 1_200 + 2
    assert everything.next_cursor == batch.next_cursor  # the newest change read, kept or not


def test_a_cut_cdc_answer_read_by_query_keeps_milepost_invoice_and_its_payment(qbo, sandbox) -> None:
    """More than 1,000 invoices changed since the cursor: invoices are read by paged query
    (test_changes), and there too only Milepost's are kept, with the payment on it."""
    mine = draft(qbo, "milepost:ACME-WEB:1:1", MappingSettings(sales_item="Services"))
    cursor = qbo.changes_since(sandbox_now(sandbox) - timedelta(seconds=1), {mine.platform_id}).next_cursor
    change_other_invoices(sandbox.state, qbo._realm, 1_050)
    sandbox.control.record_payment(qbo._realm, mine.platform_id, amount="400.00")

    batch = qbo.changes_since(cursor, {mine.platform_id})

    assert [(f.platform_id, f.status) for f in batch.invoices] == [(mine.platform_id, PARTIALLY_PAID)]
    assert [(p.invoice_platform_id, p.amount.amount) for p in batch.payments] == [
        (mine.platform_id, Decimal("400.00"))]
    assert batch.full_resync is False
