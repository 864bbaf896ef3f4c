"""Customers, invoices, payments and estimates in the QuickBooks sandbox, through python-quickbooks.

Every JSON answer these tests receive is checked against Intuit's V3 schema by the
``recorder`` fixture (element names and enumerations). Business faults carry QuickBooks'
codes (5010 stale, 6000 business rule, 6070, 6140, 6240); python-quickbooks 0.9.12 raises
codes 5000-9999 as its base ``QuickbooksException`` (only 2000-4999 become
``ValidationException``), so that is what a connector must catch.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.estimate import Estimate
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment

from .quickbooks_support import new_customer, new_invoice, pay


def test_a_new_customer_can_be_found_by_name(qb):
    created = new_customer(qb, "Harbour Lofts LLC", "ap@harbour.example")

    found = Customer.filter(DisplayName="Harbour Lofts LLC", qb=qb)

    assert [c.Id for c in found] == [created.Id]
    assert found[0].PrimaryEmailAddr.Address == "ap@harbour.example"
    assert created.SyncToken == "0"


def test_customers_can_be_filtered_by_their_email_address(qb):
    wanted = new_customer(qb, "Harbour Lofts LLC", "ap@harbour.example")
    new_customer(qb, "Kestrel Joinery", "accounts@kestrel.example")

    found = Customer.filter(PrimaryEmailAddr="AP@harbour.example", qb=qb)

    assert [c.Id for c in found] == [wanted.Id]
    assert Customer.filter(PrimaryEmailAddr="nobody@harbour.example", qb=qb) == []


def test_a_duplicate_display_name_is_fault_6240(qb):
    new_customer(qb, "Harbour Lofts LLC")

    with pytest.raises(QuickbooksException) as refused:
        new_customer(qb, "harbour lofts llc")
    assert refused.value.error_code == 6240
    assert "already exists" in refused.value.detail


def test_invoice_total_is_the_sum_of_its_lines_and_balance_subtracts_the_deposit(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")

    invoice = new_invoice(qb, customer, "1000.00", "250.50", Deposit=Decimal("100.00"))

    assert invoice.TotalAmt == Decimal("1250.50")
    assert invoice.Balance == Decimal("1150.50")
    assert invoice.EmailStatus == "NotSet"
    assert invoice.DocNumber
    assert [line.DetailType for line in invoice.Line] == [
        "SalesItemLineDetail", "SalesItemLineDetail", "SubTotalLineDetail"]


def test_quantity_times_price_must_match_the_amount(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = Invoice()
    line = SalesItemLine()
    line.Amount = Decimal("100")
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Ref()
    line.SalesItemLineDetail.ItemRef.value = "3"
    line.SalesItemLineDetail.Qty = 2
    line.SalesItemLineDetail.UnitPrice = Decimal("75")
    invoice.Line = [line]
    invoice.CustomerRef = customer.to_ref()

    with pytest.raises(QuickbooksException) as refused:
        invoice.save(qb=qb)
    assert refused.value.error_code == 6070


def test_partial_then_full_payment_moves_the_balance_to_zero(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")

    first = pay(qb, invoice, "40.00")
    after_first = Invoice.get(invoice.Id, qb=qb)
    pay(qb, after_first, "60.00")
    after_second = Invoice.get(invoice.Id, qb=qb)

    assert after_first.Balance == Decimal("60")
    assert after_first.SyncToken == "1"
    assert [(t.TxnId, t.TxnType) for t in after_first.LinkedTxn] == [(first.Id, "Payment")]
    assert after_second.Balance == Decimal("0")
    assert len(after_second.LinkedTxn) == 2
    assert Customer.get(customer.Id, qb=qb).Balance == Decimal("0")


def test_customer_balance_follows_open_invoices(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "300.00")
    pay(qb, invoice, "120.00")

    assert Customer.get(customer.Id, qb=qb).Balance == Decimal("180")


def test_overpaying_an_invoice_is_refused(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")

    with pytest.raises(QuickbooksException) as refused:
        pay(qb, invoice, "100.01")
    assert refused.value.error_code == 6000
    assert Invoice.get(invoice.Id, qb=qb).Balance == Decimal("100")


def test_a_payment_makes_the_connectors_copy_of_the_invoice_stale(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")
    pay(qb, invoice, "10.00")

    invoice.PrivateNote = "edited from an old copy"
    with pytest.raises(QuickbooksException) as refused:
        invoice.save(qb=qb)
    assert refused.value.error_code == 5010


def test_an_update_with_the_current_sync_token_succeeds_and_bumps_it(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")

    invoice.PrivateNote = "milestone 1 of 4"
    updated = invoice.save(qb=qb)

    assert updated.SyncToken == "1"
    assert updated.PrivateNote == "milestone 1 of 4"
    assert updated.TotalAmt == Decimal("100")


def test_voiding_a_payment_restores_the_invoice_balance(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")
    payment = pay(qb, invoice, "25.00")

    payment.void(qb=qb)

    assert Invoice.get(invoice.Id, qb=qb).Balance == Decimal("100")
    assert Payment.get(payment.Id, qb=qb).TotalAmt == Decimal("0")


def test_void_and_delete_invoices(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    voided = new_invoice(qb, customer, "100.00")
    deleted = new_invoice(qb, customer, "50.00")

    voided.void(qb=qb)
    deleted.delete(qb=qb)

    after = Invoice.get(voided.Id, qb=qb)
    assert after.Balance == Decimal("0")
    assert after.TotalAmt == Decimal("0")
    assert after.PrivateNote == "Voided"
    assert Invoice.filter(Id=deleted.Id, qb=qb) == []


def test_an_invoice_with_payments_cannot_be_deleted(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")
    pay(qb, invoice, "10.00")

    with pytest.raises(QuickbooksException):
        Invoice.get(invoice.Id, qb=qb).delete(qb=qb)


def test_duplicate_doc_numbers_are_refused_unless_asked_for(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    new_invoice(qb, customer, "10.00", DocNumber="MP-1")

    with pytest.raises(QuickbooksException) as refused:
        new_invoice(qb, customer, "10.00", DocNumber="MP-1")
    assert refused.value.error_code == 6140

    again = Invoice()
    again.Line = Invoice.filter(DocNumber="MP-1", qb=qb)[0].Line[:1]
    again.CustomerRef = customer.to_ref()
    again.DocNumber = "MP-1"
    saved = again.save(qb=qb, params={"include": "allowduplicatedocnum"})
    assert saved.DocNumber == "MP-1"


def test_sending_an_invoice_marks_it_emailed_and_gives_an_invoice_link(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")

    invoice.send(qb=qb, send_to="ap@harbour.example")

    sent = qb.get_single_object("Invoice", invoice.Id, params={"include": "invoiceLink"})
    assert sent["Invoice"]["EmailStatus"] == "EmailSent"
    assert sent["Invoice"]["BillEmail"]["Address"] == "ap@harbour.example"
    assert "/quickbooks/app/invoice/" in sent["Invoice"]["InvoiceLink"]


def test_sending_without_any_address_is_refused(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")

    with pytest.raises(QuickbooksException):
        invoice.send(qb=qb)


def test_invoice_pdf_is_a_pdf(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")

    pdf = invoice.download_pdf(qb=qb)

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_an_invoice_from_an_estimate_closes_the_estimate(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    estimate = Estimate()
    estimate.CustomerRef = customer.to_ref()
    estimate.Line = new_invoice(qb, customer, "500.00").Line[:1]
    estimate = estimate.save(qb=qb)
    assert estimate.TxnStatus == "Pending"

    invoice = new_invoice(qb, customer, "500.00",
                          LinkedTxn=[{"TxnId": estimate.Id, "TxnType": "Estimate"}])

    closed = Estimate.get(estimate.Id, qb=qb)
    assert closed.TxnStatus == "Closed"
    assert [(t.TxnId, t.TxnType) for t in closed.LinkedTxn] == [(invoice.Id, "Invoice")]


def test_bookkeeper_actions_through_the_control_api(sandbox, qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "80.00")
    realm = qb.company_id

    sandbox.control.record_payment(realm, invoice.Id, "30.00")
    assert Invoice.get(invoice.Id, qb=qb).Balance == Decimal("50")
    sandbox.control.record_payment(realm, invoice.Id)
    assert Invoice.get(invoice.Id, qb=qb).Balance == Decimal("0")

    other = new_invoice(qb, customer, "10.00")
    sandbox.control.send_invoice(realm, other.Id, "ap@harbour.example")
    assert Invoice.get(other.Id, qb=qb).EmailStatus == "EmailSent"
    sandbox.control.void_invoice(realm, other.Id)
    assert Invoice.get(other.Id, qb=qb).TotalAmt == Decimal("0")


def test_the_bookkeeper_edits_an_estimate(sandbox, qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    estimate = Estimate()
    estimate.CustomerRef = customer.to_ref()
    estimate.Line = new_invoice(qb, customer, "500.00").Line[:1]
    estimate = estimate.save(qb=qb)

    sandbox.control.edit_estimate(qb.company_id, estimate.Id, TxnStatus="Accepted",
                                  PrivateNote="signed by the client")

    edited = Estimate.get(estimate.Id, qb=qb)
    assert edited.TxnStatus == "Accepted"
    assert edited.SyncToken == "1"
    assert edited.TotalAmt == Decimal("500")


def test_multicurrency_company_prices_in_the_customers_currency(qbo_info, recorder):
    # python-quickbooks sends ExchangeRate 1 unless told otherwise, and QuickBooks takes it
    from .quickbooks_support import authorize, client

    second = qbo_info["companies"][1]["realm_id"]
    qb = client(qbo_info, authorize(qbo_info, realm_hint=second), recorder)
    euro = Customer.filter(DisplayName="Euro Works GmbH", qb=qb)[0]

    invoice = new_invoice(qb, euro, "1000.00", ExchangeRate=Decimal("1.08"))

    assert invoice.CurrencyRef.value == "EUR"
    assert invoice.ExchangeRate == Decimal("1.08")
    assert invoice.HomeTotalAmt == Decimal("1080")


def test_a_full_update_keeps_payments_linked_even_if_the_client_sends_none(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")
    payment = pay(qb, invoice, "40.00")
    current = Invoice.get(invoice.Id, qb=qb)
    current.LinkedTxn = []
    current.PrivateNote = "re-sent by a connector without links"

    saved = current.save(qb=qb)

    assert [(t.TxnId, t.TxnType) for t in saved.LinkedTxn] == [(payment.Id, "Payment")]
    assert saved.Balance == Decimal("60")


def test_a_sparse_update_changes_only_what_it_sends(qb):
    customer = new_customer(qb, "Harbour Lofts LLC", "ap@harbour.example")

    qb.update_object("Customer", json.dumps({
        "Id": customer.Id, "SyncToken": customer.SyncToken, "sparse": True,
        "CompanyName": "Harbour Lofts"}))

    after = Customer.get(customer.Id, qb=qb)
    assert after.CompanyName == "Harbour Lofts"
    assert after.PrimaryEmailAddr.Address == "ap@harbour.example"
    assert after.SyncToken == "1"


def test_a_credit_memo_carries_its_total_as_remaining_credit(qb):
    from quickbooks.objects.creditmemo import CreditMemo

    customer = new_customer(qb, "Harbour Lofts LLC")
    memo = CreditMemo()
    memo.CustomerRef = customer.to_ref()
    memo.Line = new_invoice(qb, customer, "75.00").Line[:1]

    saved = memo.save(qb=qb)

    assert saved.TotalAmt == Decimal("75")
    assert saved.RemainingCredit == Decimal("75")


def _credit_memo(qb, customer, amount: str):
    from quickbooks.objects.creditmemo import CreditMemo

    memo = CreditMemo()
    memo.CustomerRef = customer.to_ref()
    memo.Line = new_invoice(qb, customer, amount).Line[:1]
    return memo.save(qb=qb)


def _apply_credit(qb, customer, invoice_id: str, memo_id: str, amount: str) -> dict:
    """QuickBooks' way to apply a credit memo: a Payment of TotalAmt 0 linking both."""
    body = {"CustomerRef": {"value": customer.Id}, "TotalAmt": 0, "Line": [
        {"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]},
        {"Amount": amount, "LinkedTxn": [{"TxnId": memo_id, "TxnType": "CreditMemo"}]},
    ]}
    return qb.create_object("Payment", json.dumps(body))["Payment"]


def test_a_zero_total_payment_applies_a_credit_memo_to_an_invoice(qb):
    from quickbooks.objects.creditmemo import CreditMemo

    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")
    memo = _credit_memo(qb, customer, "75.00")

    payment = _apply_credit(qb, customer, invoice.Id, memo.Id, "30.00")

    assert Decimal(str(payment["UnappliedAmt"])) == 0
    assert Invoice.get(invoice.Id, qb=qb).Balance == Decimal("70")
    after = CreditMemo.get(memo.Id, qb=qb)
    assert (after.RemainingCredit, after.Balance) == (Decimal("45"), Decimal("45"))


def test_a_credit_memo_cannot_give_more_than_its_remaining_credit(qb):
    from quickbooks.objects.creditmemo import CreditMemo

    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")
    memo = _credit_memo(qb, customer, "20.00")

    with pytest.raises(QuickbooksException) as refused:
        _apply_credit(qb, customer, invoice.Id, memo.Id, "30.00")
    assert refused.value.error_code == 6000
    assert Invoice.get(invoice.Id, qb=qb).Balance == Decimal("100")
    assert CreditMemo.get(memo.Id, qb=qb).RemainingCredit == Decimal("20")


def test_voiding_the_application_gives_the_credit_back(qb):
    from quickbooks.objects.creditmemo import CreditMemo

    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")
    memo = _credit_memo(qb, customer, "75.00")
    payment = _apply_credit(qb, customer, invoice.Id, memo.Id, "75.00")

    Payment.get(payment["Id"], qb=qb).void(qb=qb)

    assert Invoice.get(invoice.Id, qb=qb).Balance == Decimal("100")
    assert CreditMemo.get(memo.Id, qb=qb).RemainingCredit == Decimal("75")
