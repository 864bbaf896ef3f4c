"""Issue 10: the control API plays the customer and the bookkeeper in QuickBooks.

Each action is checked through python-quickbooks, as Milepost would see its effect: a revoked
grant, multicurrency turned on, a customer's currency, a voided payment, and a bulk seed of
customers, invoices and payments (for the 100,000-invoice benchmarks). The schema recorder
checks every answer against Intuit's XSD.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import AuthorizationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment
from quickbooks.objects.preferences import Preferences

from connector.sandbox.quickbooks.seed import MULTICURRENCY_REALM, US_REALM

from .quickbooks_support import authorize, client, new_customer, new_invoice, pay


def test_revoking_the_grant_answers_401_and_refuses_the_refresh_token(sandbox, qbo_info):
    # Intuit: a revoked (disconnected) app's tokens answer 401 and refresh with invalid_grant
    # (https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq).
    auth = authorize(qbo_info)
    qb = client(qbo_info, auth)
    refresh_token = auth.refresh_token

    assert sandbox.control.qbo("revoke", auth.realm_id) == {"revoked": 1}

    with pytest.raises(AuthorizationException):
        Customer.all(qb=qb)
    with pytest.raises(AuthClientError) as refused:
        auth.refresh(refresh_token=refresh_token)
    assert b"invalid_grant" in refused.value.content


def test_multicurrency_turned_on_shows_in_preferences_and_cannot_be_turned_off(sandbox, qb):
    # Intuit, "About multicurrency": once on it cannot be turned off, and the home currency
    # cannot change (https://quickbooks.intuit.com/community/Getting-Started/About-Multi-currency/m-p/185951).
    assert Preferences.get(qb=qb).CurrencyPrefs.MultiCurrencyEnabled is False

    sandbox.control.set_multicurrency(US_REALM, enabled=None, home_currency="CAD")
    prefs = sandbox.control.set_multicurrency(US_REALM, enabled=True)

    read = Preferences.get(qb=qb).CurrencyPrefs
    assert (read.MultiCurrencyEnabled, read.HomeCurrency.value) == (True, "CAD")
    assert prefs == {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": "CAD"}}
    assert {c.CurrencyRef.value for c in Customer.all(qb=qb)} == {"CAD"}
    with pytest.raises(RuntimeError, match="cannot turn multicurrency off"):
        sandbox.control.set_multicurrency(US_REALM, enabled=False)
    with pytest.raises(RuntimeError, match="home currency cannot change"):
        sandbox.control.set_multicurrency(US_REALM, enabled=None, home_currency="USD")


def test_the_home_currency_cannot_change_once_the_company_has_transactions(sandbox, qb):
    new_invoice(qb, Customer.get(58, qb=qb), "10.00")

    with pytest.raises(RuntimeError, match="once the company has transactions"):
        sandbox.control.set_multicurrency(US_REALM, enabled=None, home_currency="GBP")


def test_a_customers_currency_is_set_and_its_invoices_follow_it(sandbox, qbo_info):
    auth = authorize(qbo_info, realm_hint=MULTICURRENCY_REALM)
    qb = client(qbo_info, auth)
    customer = new_customer(qb, "Maple Leaf Works")

    changed = sandbox.control.set_customer_currency(MULTICURRENCY_REALM, customer.Id, "CAD")
    invoice = new_invoice(qb, Customer.get(customer.Id, qb=qb), "100.00")

    assert changed["CurrencyRef"]["value"] == "CAD"
    assert changed["SyncToken"] == "1"
    assert Customer.get(customer.Id, qb=qb).CurrencyRef.value == "CAD"
    assert invoice.CurrencyRef.value == "CAD"
    # QuickBooks does not change the currency of a customer with transactions.
    with pytest.raises(RuntimeError, match="customer with transactions"):
        sandbox.control.set_customer_currency(MULTICURRENCY_REALM, customer.Id, "EUR")


def test_a_foreign_customer_currency_needs_multicurrency(sandbox, qb):
    with pytest.raises(RuntimeError, match="turn multicurrency on"):
        sandbox.control.set_customer_currency(US_REALM, "58", "EUR")
    assert Customer.get(58, qb=qb).CurrencyRef.value == "USD"


def test_the_bookkeeper_voids_a_payment_and_the_invoice_owes_again(sandbox, qb):
    invoice = new_invoice(qb, Customer.get(59, qb=qb), "250.00")
    payment = pay(qb, invoice, "250.00")
    assert Invoice.get(invoice.Id, qb=qb).Balance == Decimal("0")

    sandbox.control.void_payment(US_REALM, payment.Id)

    assert Invoice.get(invoice.Id, qb=qb).Balance == Decimal("250")
    assert Payment.get(payment.Id, qb=qb).TotalAmt == Decimal("0")
    assert Customer.get(59, qb=qb).Balance == Decimal("250")


def test_the_bookkeeper_voids_and_deletes_invoices(sandbox, qb):
    voided, deleted = (new_invoice(qb, Customer.get(58, qb=qb), "40.00") for _ in range(2))

    sandbox.control.void_invoice(US_REALM, voided.Id)
    sandbox.control.delete_invoice(US_REALM, deleted.Id)

    after = Invoice.get(voided.Id, qb=qb)
    assert (after.TotalAmt, after.Balance) == (Decimal("0"), Decimal("0"))
    assert [i.Id for i in Invoice.all(qb=qb)] == [voided.Id]


def test_a_bulk_seed_makes_customers_invoices_and_payments_in_one_call(sandbox, qb):
    made = sandbox.control.seed_quickbooks(US_REALM, customers=30, invoices=200, payments=75,
                                           amount="120.50")

    assert [made[k]["count"] for k in ("customers", "invoices", "payments")] == [30, 200, 75]
    counts = {entity: qb.query(f"SELECT COUNT(*) FROM {entity}")["QueryResponse"]["totalCount"]
              for entity in ("Invoice", "Payment")}
    assert counts == {"Invoice": 200, "Payment": 75}
    paid = Invoice.get(made["invoices"]["first_id"], qb=qb)
    open_ = Invoice.get(made["invoices"]["last_id"], qb=qb)
    assert (paid.TotalAmt, paid.Balance) == (Decimal("120.5"), Decimal("0"))
    assert [link.TxnType for link in paid.LinkedTxn] == ["Payment"]
    assert (open_.TotalAmt, open_.Balance) == (Decimal("120.5"), Decimal("120.5"))
    seeded = [c for c in Customer.all(max_results=1000, qb=qb) if c.DisplayName.startswith("Bulk")]
    assert len(seeded) == 30
    assert sum((c.Balance for c in seeded), Decimal(0)) == 125 * Decimal("120.50")


def test_a_seeded_invoice_reads_like_one_made_through_the_api(sandbox, qb):
    made = sandbox.control.seed_quickbooks(US_REALM, customers=1, invoices=1)
    seeded = Invoice.get(made["invoices"]["first_id"], qb=qb)
    through_api = new_invoice(qb, Customer.get(seeded.CustomerRef.value, qb=qb), "100.00")

    mine, theirs = seeded.to_dict(), through_api.to_dict()
    differ = {"Id", "DocNumber", "MetaData"}
    assert {k: v for k, v in mine.items() if k not in differ | {"Line"}} == \
        {k: v for k, v in theirs.items() if k not in differ | {"Line"}}
    assert [line["DetailType"] for line in mine["Line"]] == \
        [line["DetailType"] for line in theirs["Line"]]
    assert int(seeded.DocNumber) != int(through_api.DocNumber)


def test_a_bulk_seed_refuses_more_payments_than_invoices(sandbox):
    with pytest.raises(RuntimeError, match="payments may not outnumber invoices"):
        sandbox.control.seed_quickbooks(US_REALM, customers=1, invoices=2, payments=3)
