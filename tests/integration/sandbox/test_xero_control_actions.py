"""Issue 10: the control API plays the customer and the bookkeeper in Xero.

Each action is checked through xero-python, as Milepost would see its effect: a revoked
consent, a disconnected organisation, a currency added or taken away, invoices voided and
deleted, and a bulk seed of contacts, invoices and payments. The traffic is checked against
Xero's OpenAPI document by the `xero` fixture.
"""
# ruff: noqa: F811 - the shared fixtures are imported from test_xero_harness by name

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests
from xero_python.accounting import Contact, Contacts, CurrencyCode, Invoice, Invoices, LineItem
from xero_python.exceptions import AccountingBadRequestException, HTTPStatusException

from tests.integration.sandbox.test_xero_harness import (  # noqa: F401 - fixtures
    XeroClient,
    XeroSandbox,
    xero,
    xero_spec,
)


def refresh(xero: XeroSandbox, client: XeroClient) -> requests.Response:
    return requests.post(xero.info["token_url"], timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": client.token["refresh_token"],
        "client_id": xero.info["client_id"], "client_secret": xero.info["client_secret"]})


def invoice_in(client: XeroClient, tenant: str, currency: str, status: str = "DRAFT") -> Invoice:
    contact = client.accounting.create_contacts(
        tenant, Contacts(contacts=[Contact(name=f"Buyer in {currency} {status}")])).contacts[0]
    invoice = Invoice(type="ACCREC", contact=Contact(contact_id=contact.contact_id),
                      currency_code=CurrencyCode(currency), status=status, date=date(2026, 11, 2),
                      due_date=date(2026, 12, 2),
                      line_items=[LineItem(description="Milestone", quantity=1,
                                           unit_amount=Decimal("500.00"), account_code="200",
                                           tax_type="NONE")])
    return client.accounting.create_invoices(tenant, Invoices(invoices=[invoice])).invoices[0]


def test_revoking_the_consent_answers_403_and_refuses_the_refresh_token(xero: XeroSandbox) -> None:
    # Xero: revoking a refresh token "removes all their connections to your app"
    # (xero-node 4.10.1 revokeToken; developer.xero.com/documentation/guides/oauth2/auth-flow).
    client = xero.client()

    assert xero.control.revoke_xero_grant(xero.tenants[0]) == {"revoked": 1}

    for tenant in xero.tenants:
        with pytest.raises(HTTPStatusException) as raised:
            client.accounting.get_contacts(tenant)
        assert raised.value.status == 403
        assert b"AuthenticationUnsuccessful" in raised.value.body
    assert client.identity.get_connections() == []
    refused = refresh(xero, client)
    assert (refused.status_code, refused.json()) == (400, {"error": "invalid_grant"})


def test_disconnecting_an_organisation_leaves_the_others_connected(xero: XeroSandbox) -> None:
    client = xero.client()
    gone, kept = xero.tenants

    assert xero.control.disconnect_xero(gone) == {"removed": 1}

    assert [c.tenant_id for c in client.identity.get_connections()] == [kept]
    with pytest.raises(HTTPStatusException) as raised:
        client.accounting.get_invoices(gone)
    assert raised.value.status == 403
    assert client.accounting.get_contacts(kept).contacts
    assert refresh(xero, client).status_code == 200


def test_a_currency_added_can_be_invoiced_in_and_one_taken_away_cannot(xero: XeroSandbox) -> None:
    client = xero.client()
    tenant = xero.tenants[0]  # NZD, with AUD and USD

    listed = xero.control.set_xero_currency(tenant, "EUR")
    eur = invoice_in(client, tenant, "EUR")
    xero.control.set_xero_currency(tenant, "AUD", enabled=False)

    assert ("EUR", "Euro") in [(c["Code"], c["Description"]) for c in listed]
    assert eur.currency_code.value == "EUR"
    codes = {c.code.value for c in client.accounting.get_currencies(tenant).currencies}
    assert codes == {"NZD", "USD", "EUR"}
    with pytest.raises(AccountingBadRequestException) as refused:
        invoice_in(client, tenant, "AUD")
    assert b"The currency code 'AUD' is not enabled" in refused.value.body


def test_the_base_currency_or_one_in_use_cannot_be_taken_away(xero: XeroSandbox) -> None:
    client = xero.client()
    tenant = xero.tenants[0]
    invoice_in(client, tenant, "USD")

    with pytest.raises(RuntimeError, match="base currency"):
        xero.control.set_xero_currency(tenant, "NZD", enabled=False)
    with pytest.raises(RuntimeError, match="used by transactions"):
        xero.control.set_xero_currency(tenant, "USD", enabled=False)
    with pytest.raises(RuntimeError, match="ISO 4217"):
        xero.control.set_xero_currency(tenant, "ZZZ")


def test_the_bookkeeper_voids_and_deletes_invoices(xero: XeroSandbox) -> None:
    client = xero.client()
    tenant = xero.tenants[0]
    approved = invoice_in(client, tenant, "NZD", status="AUTHORISED")
    draft = invoice_in(client, tenant, "NZD")

    xero.control.xero_void_invoice(tenant, approved.invoice_id)
    xero.control.xero_delete_invoice(tenant, draft.invoice_id)

    statuses = [client.accounting.get_invoice(tenant, i.invoice_id).invoices[0].status
                for i in (approved, draft)]
    assert statuses == ["VOIDED", "DELETED"]
    with pytest.raises(RuntimeError, match="not of valid status for modification"):
        xero.control.xero_delete_invoice(tenant, approved.invoice_id)


def test_a_bulk_seed_makes_contacts_invoices_and_payments_in_one_call(xero: XeroSandbox) -> None:
    client = xero.client()
    tenant = xero.tenants[1]
    xero.control.configure_webhooks("xero", "http://127.0.0.1:9/nobody", window_seconds=60)

    made = xero.control.seed_xero(tenant, contacts=12, invoices=150, payments=60, amount="80.25")

    assert [made[k]["count"] for k in ("contacts", "invoices", "payments")] == [12, 150, 60]
    seen = [i for page in (1, 2) for i in client.accounting.get_invoices(tenant, page=page).invoices]
    assert len(seen) == 150
    assert sorted({i.status for i in seen}) == ["AUTHORISED", "PAID"]
    assert sum(i.status == "PAID" for i in seen) == 60
    paid = client.accounting.get_invoice(tenant, made["invoices"]["first_id"]).invoices[0]
    unpaid = client.accounting.get_invoice(tenant, made["invoices"]["last_id"]).invoices[0]
    assert (paid.total, paid.amount_paid, paid.amount_due) == (
        Decimal("80.25"), Decimal("80.25"), Decimal("0"))
    assert [p.amount for p in paid.payments] == [Decimal("80.25")]
    assert (unpaid.status, unpaid.amount_due) == ("AUTHORISED", Decimal("80.25"))
    assert len(client.accounting.get_payments(tenant).payments) == 60
    numbers = {i.invoice_number for i in seen}
    assert len(numbers) == 150
    assert xero.control.flush_webhooks("xero") == []  # nobody worked in the books


def test_a_seeded_invoice_reads_like_one_made_through_the_api(xero: XeroSandbox) -> None:
    client = xero.client()
    tenant = xero.tenants[0]
    made = xero.control.seed_xero(tenant, contacts=1, invoices=1)
    seeded = client.accounting.get_invoice(tenant, made["invoices"]["first_id"]).invoices[0]
    invoice = Invoice(type="ACCREC", contact=Contact(contact_id=seeded.contact.contact_id),
                      status="AUTHORISED", due_date=seeded.due_date, date=seeded.date,
                      line_items=[LineItem(description="Milestone", quantity=1,
                                           unit_amount=Decimal("100.00"), account_code="200",
                                           tax_type="NONE")])
    created = client.accounting.create_invoices(tenant, Invoices(invoices=[invoice])).invoices[0]
    through_api = client.accounting.get_invoice(tenant, created.invoice_id).invoices[0]

    differ = {"invoice_id", "invoice_number", "updated_date_utc", "line_items"}
    mine = {k: v for k, v in seeded.to_dict().items() if k not in differ}
    theirs = {k: v for k, v in through_api.to_dict().items() if k not in differ}
    assert mine == theirs
    assert [{k: v for k, v in line.to_dict().items() if k != "line_item_id"}
            for line in seeded.line_items] == \
        [{k: v for k, v in line.to_dict().items() if k != "line_item_id"}
         for line in through_api.line_items]
