"""The QuickBooks entities a billing connector meets beyond invoices (issue 10, findings 13,
19 and 21), read and written through python-quickbooks' own models.

Sources: Intuit's API reference pages for Customer ("DisplayName ... must be unique across all
Customer, Employee, and Vendor objects"), Vendor, Employee, PaymentMethod, Department, TaxRate
(read-only; created through TaxService), TaxAgency (create, read, query), CompanyCurrency and
ExchangeRate (multicurrency companies only), SalesReceipt, RefundReceipt (DepositToAccountRef
required), Deposit, Preferences ("only a very small subset ... writable"), and Invoice
(a DiscountLineDetail's DiscountAccountRef must name an account; the SubTotalLine precedes
the discount line it is the base of). Every answer is checked against Intuit's schema by the
``recorder`` fixture.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from decimal import Decimal

import pytest
import quickbooks.objects
import requests
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.base import Ref
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.companycurrency import CompanyCurrency
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.department import Department
from quickbooks.objects.deposit import Deposit, DepositLine, DepositLineDetail
from quickbooks.objects.detailline import (
    DiscountLine,
    DiscountLineDetail,
    SalesItemLine,
    SalesItemLineDetail,
)
from quickbooks.objects.employee import Employee
from quickbooks.objects.estimate import Estimate
from quickbooks.objects.exchangerate import ExchangeRate
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.paymentmethod import PaymentMethod
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.taxagency import TaxAgency
from quickbooks.objects.taxrate import TaxRate
from quickbooks.objects.vendor import Vendor

from connector.sandbox.quickbooks.records import ENTITIES, NAME_LISTS
from connector.sandbox.quickbooks.seed import MULTICURRENCY_REALM

from .quickbooks_support import authorize, client, new_customer, new_invoice, pay

PREFERENCE_BLOCKS = ("AccountingInfoPrefs", "ProductAndServicesPrefs", "SalesFormsPrefs",
                     "EmailMessagesPrefs", "VendorAndPurchasesPrefs", "TimeTrackingPrefs",
                     "TaxPrefs", "CurrencyPrefs", "ReportPrefs", "OtherPrefs")


@pytest.fixture(name="qb_multi")
def qb_multi_fixture(qbo_info, recorder):  # type: ignore[no-untyped-def]
    return client(qbo_info, authorize(qbo_info, MULTICURRENCY_REALM), recorder)


def _ref(value: str) -> Ref:
    ref = Ref()
    ref.value = value
    return ref


def _sales_line(amount: str, item: str = "3") -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = Decimal(amount)
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = _ref(item)
    return line


def _discount_line(amount: str, account: str | None = None) -> DiscountLine:
    line = DiscountLine()
    line.Amount = Decimal(amount)
    line.DiscountLineDetail = DiscountLineDetail()
    line.DiscountLineDetail.PercentBased = False
    if account is not None:
        line.DiscountLineDetail.DiscountAccountRef = _ref(account)
    return line


# finding 13: Vendor and Employee, and one name space for Customer, Vendor and Employee

def test_a_customer_cannot_take_a_vendors_display_name(qb):
    vendor = Vendor()
    vendor.DisplayName = "Harbour Lofts LLC"
    vendor.save(qb=qb)

    with pytest.raises(QuickbooksException) as refused:
        new_customer(qb, "Harbour Lofts LLC")

    assert refused.value.error_code == 6240
    assert refused.value.message == "Duplicate Name Exists Error"
    assert "customer, vendor or employee" in refused.value.detail
    assert Customer.filter(DisplayName="Harbour Lofts LLC", qb=qb) == []


def test_vendors_and_employees_cannot_take_a_customers_or_each_others_name(qb):
    new_customer(qb, "Kestrel Joinery")
    vendor, employee = Vendor(), Employee()
    vendor.DisplayName = "kestrel joinery"
    employee.GivenName, employee.FamilyName = "Emily", "Platt"  # a seeded employee's name

    with pytest.raises(QuickbooksException) as vendor_refused:
        vendor.save(qb=qb)
    with pytest.raises(QuickbooksException) as employee_refused:
        employee.save(qb=qb)
    other = Vendor()
    other.DisplayName = "Emily Platt"
    with pytest.raises(QuickbooksException) as other_refused:
        other.save(qb=qb)

    assert {vendor_refused.value.error_code, employee_refused.value.error_code,
            other_refused.value.error_code} == {6240}


def test_vendors_and_employees_are_created_read_and_updated(qb):
    vendor = Vendor()
    vendor.DisplayName = "Tern Scaffolding"
    vendor.PrimaryEmailAddr = {"Address": "ap@tern.example"}  # type: ignore[assignment]
    employee = Employee()
    employee.GivenName, employee.FamilyName = "Rangi", "Parata"

    saved_vendor, saved_employee = vendor.save(qb=qb), employee.save(qb=qb)
    saved_vendor.CompanyName = "Tern Scaffolding Ltd"
    updated = saved_vendor.save(qb=qb)

    assert Vendor.get(saved_vendor.Id, qb=qb).CompanyName == "Tern Scaffolding Ltd"
    assert updated.SyncToken == "1"
    assert updated.PrimaryEmailAddr.Address == "ap@tern.example"
    assert Employee.get(saved_employee.Id, qb=qb).DisplayName == "Rangi Parata"
    assert {v.DisplayName for v in Vendor.all(qb=qb)} >= {"Tern Scaffolding", "Hicks Hardware"}


# finding 21: complete preferences, and their sparse update

def test_preferences_carry_every_block_a_company_has(qb):
    prefs = Preferences.get(qb=qb)

    for block in PREFERENCE_BLOCKS:
        assert getattr(prefs, block) is not None, block
    assert prefs.AccountingInfoPrefs.FirstMonthOfFiscalYear == "January"
    assert prefs.ProductAndServicesPrefs.ForSales is True
    assert prefs.EmailMessagesPrefs.InvoiceMessage.Subject
    assert prefs.ReportPrefs.ReportBasis == "Accrual"
    assert prefs.CurrencyPrefs.HomeCurrency.value == "USD"
    assert prefs.SalesFormsPrefs.AllowDiscount is True


def test_preferences_saved_by_python_quickbooks_change_the_writable_field(qb):
    prefs = Preferences.get(qb=qb)
    prefs.SalesFormsPrefs.AllowShipping = True
    prefs.ReportPrefs.ReportBasis = "Cash"

    saved = prefs.save(qb=qb)

    assert saved.SyncToken == str(int(prefs.SyncToken) + 1)
    again = Preferences.get(qb=qb)
    assert again.SalesFormsPrefs.AllowShipping is True
    assert again.ReportPrefs.ReportBasis == "Cash"


def test_a_sparse_preferences_update_touches_only_what_it_sends(qb, qbo_info):
    prefs = Preferences.get(qb=qb)
    body = {"Id": prefs.Id, "SyncToken": prefs.SyncToken, "sparse": True,
            "EmailMessagesPrefs": {"InvoiceMessage": {"Subject": "Milestone invoice",
                                                      "Message": "Thank you."}}}

    answer = qb.update_object("Preferences", json.dumps(body))

    saved = answer["Preferences"]
    assert saved["EmailMessagesPrefs"]["InvoiceMessage"]["Subject"] == "Milestone invoice"
    assert saved["SalesFormsPrefs"]["AllowDiscount"] is True
    with pytest.raises(QuickbooksException) as stale:
        qb.update_object("Preferences", json.dumps(body))
    assert stale.value.error_code == 5010


def test_a_read_only_preference_cannot_be_changed(qb):
    prefs = Preferences.get(qb=qb)
    body = {"Id": prefs.Id, "SyncToken": prefs.SyncToken, "sparse": True,
            "AccountingInfoPrefs": {"FirstMonthOfFiscalYear": "July"}}

    with pytest.raises(ValidationException) as refused:
        qb.update_object("Preferences", json.dumps(body))

    assert refused.value.error_code == 2010
    assert "FirstMonthOfFiscalYear" in refused.value.detail
    assert Preferences.get(qb=qb).AccountingInfoPrefs.FirstMonthOfFiscalYear == "January"


# finding 21: the other entities, read through python-quickbooks' models

def test_python_quickbooks_reads_every_list_entity_the_sandbox_serves(qb):
    expected = {PaymentMethod: ("Name", "Cash"), Department: ("Name", "Head Office"),
                TaxRate: ("Name", "California"), Vendor: ("DisplayName", "Hicks Hardware"),
                Employee: ("DisplayName", "Emily Platt"),
                TaxAgency: ("DisplayName", "California Department of Tax and Fee Administration")}
    for kind, (field, value) in expected.items():
        rows = kind.all(qb=qb)
        assert value in [getattr(row, field) for row in rows], kind.__name__
        one = kind.get(rows[0].Id, qb=qb)
        assert getattr(one, field) == getattr(rows[0], field)
        assert one.SyncToken == "0"
    rate = TaxRate.all(qb=qb)[0]
    assert rate.RateValue == Decimal("7.25")
    assert rate.AgencyRef.value == "1"


def test_currencies_and_exchange_rates_are_served_when_multicurrency_is_on(qb_multi, qb):
    currencies = CompanyCurrency.all(qb=qb_multi)
    rates = ExchangeRate.filter(SourceCurrencyCode="EUR", qb=qb_multi)

    assert {c.Code for c in currencies} == {"EUR", "GBP", "CAD"}
    assert [r.Rate for r in rates] == [Decimal("1.08")]
    assert rates[0].TargetCurrencyCode == "USD"
    assert CompanyCurrency.all(qb=qb) == []


def test_a_currency_is_added_and_an_exchange_rate_set(qb_multi):
    currency = CompanyCurrency()
    currency.Code = "AUD"
    saved = currency.save(qb=qb_multi)
    rate = ExchangeRate()
    rate.SourceCurrencyCode = "AUD"
    rate.Rate = Decimal("0.66")
    rate.AsOfDate = "2026-11-30"

    answer = rate.save(qb=qb_multi)

    assert saved.Name == "Australian Dollar"
    assert answer.Rate == Decimal("0.66")
    found = ExchangeRate.filter(SourceCurrencyCode="AUD", qb=qb_multi)
    assert [(r.Rate, r.AsOfDate) for r in found] == [(Decimal("0.66"), "2026-11-30")]


def test_payment_methods_departments_and_tax_agencies_can_be_created(qb):
    method, department, agency = PaymentMethod(), Department(), TaxAgency()
    method.Name = "Wire"
    department.Name = "Workshop"
    agency.DisplayName = "Oregon Department of Revenue"

    saved = [method.save(qb=qb), department.save(qb=qb), agency.save(qb=qb)]

    assert [s.SyncToken for s in saved] == ["0", "0", "0"]
    assert PaymentMethod.get(saved[0].Id, qb=qb).Type == "NON_CREDIT_CARD"
    assert Department.get(saved[1].Id, qb=qb).FullyQualifiedName == "Workshop"
    assert TaxAgency.get(saved[2].Id, qb=qb).DisplayName == "Oregon Department of Revenue"


def test_a_tax_rate_cannot_be_written_through_the_entity(qb, qbo_info):
    """TaxRate is read-only; rates are made with the TaxService endpoint."""
    with pytest.raises(ValidationException) as refused:
        qb.create_object("TaxRate", json.dumps({"Name": "Sonoma", "RateValue": 1.5}))
    assert refused.value.error_code == 4000


def test_a_sales_receipt_is_paid_in_full_into_undeposited_funds(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    receipt = SalesReceipt()
    receipt.CustomerRef = customer.to_ref()
    receipt.Line = [_sales_line("300.00")]
    receipt.PaymentMethodRef = _ref("2")

    saved = receipt.save(qb=qb)

    read = SalesReceipt.get(saved.Id, qb=qb)
    assert read.TotalAmt == Decimal("300.00")
    assert read.Balance == 0
    assert read.DepositToAccountRef.value == "4"
    assert read.PaymentMethodRef.name == "Check"
    assert [r.Id for r in SalesReceipt.filter(CustomerRef=customer.Id, qb=qb)] == [saved.Id]


def test_a_refund_receipt_needs_the_account_it_is_paid_from(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    refund = RefundReceipt()
    refund.CustomerRef = customer.to_ref()
    refund.Line = [_sales_line("50.00")]

    with pytest.raises(ValidationException) as refused:
        refund.save(qb=qb)
    refund.DepositToAccountRef = _ref("5")
    saved = refund.save(qb=qb)

    assert refused.value.error_code == 2020
    assert RefundReceipt.get(saved.Id, qb=qb).TotalAmt == Decimal("50.00")
    assert saved.DepositToAccountRef.name == "Checking"


def test_a_deposit_banks_a_payment_from_undeposited_funds(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    payment = pay(qb, new_invoice(qb, customer, "400.00"), "400.00")
    deposit = Deposit()
    deposit.DepositToAccountRef = _ref("5")
    line = DepositLine()
    line.Amount = Decimal("400.00")
    line.LinkedTxn = [{"TxnId": payment.Id, "TxnType": "Payment", "TxnLineId": "0"}]
    other = DepositLine()
    other.Amount = Decimal("25.00")
    other.DepositLineDetail = DepositLineDetail()
    other.DepositLineDetail.AccountRef = _ref("8")
    deposit.Line = [line, other]

    saved = deposit.save(qb=qb)

    read = Deposit.get(saved.Id, qb=qb)
    assert read.TotalAmt == Decimal("425.00")
    assert read.DepositToAccountRef.value == "5"
    assert len(read.Line) == 2


def test_a_deposit_linking_an_unknown_payment_is_refused(qb):
    deposit = Deposit()
    deposit.DepositToAccountRef = _ref("5")
    line = DepositLine()
    line.Amount = Decimal("10.00")
    line.LinkedTxn = [{"TxnId": "999999", "TxnType": "Payment"}]
    deposit.Line = [line]

    with pytest.raises(ValidationException) as refused:
        deposit.save(qb=qb)

    assert refused.value.error_code == 2500


# finding 19: discount lines

def test_the_subtotal_line_comes_before_the_discount_line(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [_sales_line("1000.00"), _discount_line("50.00")]

    saved = invoice.save(qb=qb)

    assert [line.DetailType for line in saved.Line] == [
        "SalesItemLineDetail", "SubTotalLineDetail", "DiscountLineDetail"]
    assert saved.TotalAmt == Decimal("950.00")
    assert saved.Line[2].DiscountLineDetail.DiscountAccountRef.name == "Discounts given"


def test_a_discount_posting_to_an_unknown_account_is_refused(qb, sandbox):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [_sales_line("1000.00"), _discount_line("50.00", account="4242")]

    with pytest.raises(ValidationException) as refused:
        invoice.save(qb=qb)

    assert refused.value.error_code == 2500
    assert refused.value.message == "Invalid Reference Id"
    assert Invoice.filter(CustomerRef=customer.Id, qb=qb) == []


def test_preferences_are_refused_to_a_request_without_a_token(qbo_info):
    """The new write path sits behind the same authentication as every other."""
    url = f"{qbo_info['api_base']}/company/{qbo_info['companies'][0]['realm_id']}/preferences"
    answer = requests.post(url, json={"Id": "1", "SyncToken": "0"}, timeout=10)
    assert answer.status_code == 401


def _sdk_model(entity: str):  # type: ignore[no-untyped-def]
    for module in pkgutil.iter_modules(quickbooks.objects.__path__):
        loaded = importlib.import_module(f"quickbooks.objects.{module.name}")
        for _, kind in inspect.getmembers(loaded, inspect.isclass):
            if getattr(kind, "qbo_object_name", "") == entity and hasattr(kind, "from_json") \
                    and (hasattr(kind, "all") or hasattr(kind, "get")):
                return kind
    return None


def test_python_quickbooks_parses_every_entity_type_the_sandbox_serves(qb_multi, sandbox):
    """Each entity the v3 API answers for has a python-quickbooks model, and that model reads
    every stored row of it, after one of each transaction has been made."""
    customer = Customer.all(qb=qb_multi)[0]
    for kind in (SalesReceipt, RefundReceipt, Estimate, CreditMemo):
        sale = kind()
        sale.CustomerRef = customer.to_ref()
        sale.Line = [_sales_line("20.00")]
        if kind in (SalesReceipt, RefundReceipt):
            sale.DepositToAccountRef = _ref("5")
        sale.save(qb=qb_multi)
    payment = pay(qb_multi, new_invoice(qb_multi, customer, "80.00"), "80.00")
    deposit = Deposit()
    deposit.DepositToAccountRef = _ref("5")
    line = DepositLine()
    line.Amount = Decimal("80.00")
    line.LinkedTxn = [{"TxnId": payment.Id, "TxnType": "Payment"}]
    deposit.Line = [line]
    deposit.save(qb=qb_multi)
    company = sandbox.state.quickbooks.company(MULTICURRENCY_REALM)

    for entity in sorted(set(ENTITIES.values()) - {"CompanyInfo", "Preferences", "Attachable"}):
        model = _sdk_model(entity)
        assert model is not None, entity
        stored = company.table(entity)
        assert stored, f"the sandbox serves no {entity}"
        rows = model.where("Active IN (true, false)", qb=qb_multi) \
            if entity in NAME_LISTS else model.all(qb=qb_multi)
        assert len(rows) == len(stored), entity
        for row in rows:
            key = row.SourceCurrencyCode if entity == "ExchangeRate" else row.Id
            assert key in stored, (entity, key)
            assert row.SyncToken == stored[key]["SyncToken"], entity
    assert CompanyInfo.get(1, qb=qb_multi).CompanyName == "Milepost Global Ltd"


def test_an_exchange_rate_is_read_by_currency_and_date(qb_multi):
    """Intuit's ExchangeRate reference: GET /exchangerate?sourcecurrencycode=&asofdate=."""
    url = f"{qb_multi.api_url}/company/{qb_multi.company_id}/exchangerate"

    answer = qb_multi.get(url, params={"sourcecurrencycode": "GBP", "asofdate": "2026-11-30"})
    rate = ExchangeRate.from_json(answer["ExchangeRate"])

    assert (rate.SourceCurrencyCode, rate.TargetCurrencyCode) == ("GBP", "USD")
    assert rate.Rate == Decimal("1.27")
    assert rate.AsOfDate == "2026-11-30"
