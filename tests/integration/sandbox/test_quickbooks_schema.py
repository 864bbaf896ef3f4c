"""The QuickBooks sandbox refuses request bodies that break Intuit's V3 schema (issue 10).

QuickBooks reads a JSON body into the classes generated from its XSDs, so an element the
entity does not have, a value of the wrong type or a word outside an enumeration is refused
with 400, a ValidationFault, code 2010 "Request has invalid or unsupported property" and
Jackson's words in the Detail. Sources: routablehq/python-quickbooks#80 ('Property
Name:Unrecognized field "PurchaseTaxInclusive" (class com.intuit.schema.finance.v3.Item), not
marked as ignorable') and #38 (code 2010), mcohen01/node-quickbooks#39 ("Can not construct
instance of java.math.BigDecimal"). python-quickbooks raises codes 2000-4999 as
ValidationException.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from decimal import Decimal
from pathlib import Path

import pytest
import quickbooks.objects
from quickbooks.batch import batch_create
from quickbooks.exceptions import ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from connector.sandbox.quickbooks import schema
from connector.sandbox.quickbooks.seed import US_REALM

from .quickbooks_support import new_customer, new_invoice

REPOSITORY = Path(__file__).resolve().parents[3]


def _invoices(sandbox) -> int:  # type: ignore[no-untyped-def]
    return len(sandbox.state.quickbooks.company(US_REALM).table("Invoice"))


def _invoice(customer: Customer) -> Invoice:
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = []
    return invoice


def test_an_element_the_entity_does_not_have_is_refused_with_2010(qb, sandbox):
    customer = new_customer(qb, "Harbour Lofts LLC")
    before = _invoices(sandbox)

    with pytest.raises(ValidationException) as refused:
        new_invoice(qb, customer, "100.00", Colour="teal")

    assert refused.value.error_code == 2010
    assert refused.value.message == "Request has invalid or unsupported property"
    assert 'Unrecognized field "Colour"' in refused.value.detail
    assert "com.intuit.schema.finance.v3.Invoice" in refused.value.detail
    assert _invoices(sandbox) == before


def test_an_unknown_element_inside_a_line_is_refused_naming_its_type(qb, sandbox):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = _invoice(customer)
    invoice.Line = [{"Amount": 100, "DetailType": "SalesItemLineDetail",
                     "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Discount": 5}}]

    with pytest.raises(ValidationException) as refused:
        invoice.save(qb=qb)

    assert refused.value.error_code == 2010
    assert 'Unrecognized field "Discount" (class com.intuit.schema.finance.v3.' \
           'SalesItemLineDetail)' in refused.value.detail
    assert _invoices(sandbox) == 0


def test_a_value_of_the_wrong_type_is_refused(qb, sandbox):
    customer = new_customer(qb, "Harbour Lofts LLC")

    with pytest.raises(ValidationException) as refused:
        new_invoice(qb, customer, "100.00", Deposit="fifty dollars")

    assert refused.value.error_code == 2010
    assert "java.math.BigDecimal from String value 'fifty dollars'" in refused.value.detail
    assert _invoices(sandbox) == 0


def test_a_date_that_is_not_a_date_is_refused(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")

    with pytest.raises(ValidationException) as refused:
        new_invoice(qb, customer, "100.00", DueDate="next Tuesday")

    assert refused.value.error_code == 2010
    assert "'next Tuesday'" in refused.value.detail


def test_a_word_outside_the_enumeration_is_refused(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")

    with pytest.raises(ValidationException) as refused:
        new_invoice(qb, customer, "100.00", PrintStatus="Sometimes")

    assert refused.value.error_code == 2010
    assert "PrintStatusEnum from String value 'Sometimes'" in refused.value.detail


def test_an_object_where_the_schema_has_a_string_is_refused(qb):
    customer = Customer()
    customer.DisplayName = {"first": "Harbour"}  # type: ignore[assignment]

    with pytest.raises(ValidationException) as refused:
        customer.save(qb=qb)

    assert refused.value.error_code == 2010
    assert "START_OBJECT" in refused.value.detail


def test_a_batch_item_breaking_the_schema_fails_alone(qb):
    good, bad = Customer(), Customer()
    good.DisplayName = "Kestrel Joinery"
    bad.DisplayName = "Harbour Lofts LLC"
    bad.Nickname = "Harbour"  # type: ignore[attr-defined]

    result = batch_create([good, bad], qb=qb)

    assert [c.DisplayName for c in result.successes] == ["Kestrel Joinery"]
    assert [f.Error[0].code for f in result.faults] == ["2010"]
    assert Customer.filter(DisplayName="Harbour Lofts LLC", qb=qb) == []


def test_the_sdk_defaults_and_amounts_as_strings_are_still_accepted(qb):
    """python-quickbooks sends "" for unset fields and SyncToken as a number; QuickBooks
    reads "" as absent and numbers as text (API-NOTES 1.2, probed)."""
    customer = new_customer(qb, "Harbour Lofts LLC")

    invoice = new_invoice(qb, customer, "100.00", TxnDate="", Deposit="10.00")

    assert invoice.Balance == Decimal("90.00")


def _sdk_entities():  # type: ignore[no-untyped-def]
    for module in pkgutil.iter_modules(quickbooks.objects.__path__):
        loaded = importlib.import_module(f"quickbooks.objects.{module.name}")
        for _, kind in inspect.getmembers(loaded, inspect.isclass):
            name = getattr(kind, "qbo_object_name", "")
            if kind.__module__ == loaded.__name__ and name and hasattr(kind, "save") \
                    and schema.load().entity_type(name):
                yield kind


def test_every_entity_python_quickbooks_can_save_passes_the_schema_as_it_sends_it():
    """What the SDK puts on the wire for a fresh object is valid, so the stricter sandbox
    refuses only what QuickBooks would."""
    kinds = list(_sdk_entities())
    assert len(kinds) > 30
    for kind in kinds:
        body = json.loads(kind().to_json())
        schema.check_request(kind.qbo_object_name, body)


def test_the_schema_is_read_from_the_repository_with_its_licence():
    """The sandbox must run from a clone: the XSDs ship in the package, with Apache-2.0 text."""
    assert schema.SPEC_DIR.is_relative_to(REPOSITORY / "connector")
    assert "Apache License" in (schema.SPEC_DIR / "LICENSE").read_text()
    assert "Invoice" in schema.load().types
