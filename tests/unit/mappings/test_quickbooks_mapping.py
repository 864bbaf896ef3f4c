"""Intent -> QuickBooks Invoice, and QuickBooks objects -> facts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from quickbooks.objects.invoice import Invoice

from connector.billing.model import InvoiceIntent, InvoiceLine
from mappings import quickbooks as qb
from mappings.facts import DELETED, DRAFT, PAID, PARTIALLY_PAID, VOIDED
from mappings.settings import CompanyLists, MappingSettings, Ref, resolve_settings

from .conftest import usd

BOOKS = CompanyLists(
    items=(Ref("1", "Services"), Ref("9", "Retainage")),
    tax_codes=(Ref("NON", "NON"),),
    terms=(Ref("3", "Net 30"),),
)
SETTINGS = MappingSettings(
    sales_item="Services", tax_code="NON", terms="Net 30", kind_items=(("retainage", "Retainage"),)
)
ACME = Ref("58", "Acme Corp")


def payload_for(intent: InvoiceIntent) -> dict:
    resolved = resolve_settings(SETTINGS, BOOKS, intent.lines, require_item=True)
    return qb.invoice_payload(intent, ACME, resolved)


def test_the_invoice_is_unsent_and_carries_the_key_in_doc_number_and_private_note(intent) -> None:
    payload = payload_for(intent)

    assert payload["EmailStatus"] == "NotSet"
    assert payload["DocNumber"] == "ACME-WEB-2-1"
    assert qb.key_from_private_note(payload["PrivateNote"]) == "milepost:ACME-WEB:2:1"
    assert payload["CustomerRef"] == {"value": "58", "name": "Acme Corp"}
    assert payload["CurrencyRef"] == {"value": "USD"}
    assert (payload["TxnDate"], payload["DueDate"]) == ("2026-11-02", "2026-12-02")
    assert payload["SalesTermRef"]["value"] == "3"


def test_lines_keep_the_intents_wording_and_the_total_is_exact(intent) -> None:
    payload = payload_for(intent)

    assert [line["Description"] for line in payload["Line"]] == [
        "M2 Design approved: wireframes and visual design",
        "Retainage withheld (10%)",
        "Stock photography (3 images)",
        "Accepted by Pat Lee on 2026-10-30",  # the memo, printed for the customer
    ]
    assert payload["Line"][-1]["DetailType"] == "DescriptionOnly"
    assert "Amount" not in payload["Line"][-1]
    assert sum((line.get("Amount", Decimal(0)) for line in payload["Line"]), Decimal(0)) == intent.total.amount
    assert intent.total.amount == Decimal("1211.11")
    retainage = payload["Line"][1]["SalesItemLineDetail"]
    assert retainage["ItemRef"]["value"] == "9"


def test_a_quantity_that_would_not_divide_the_amount_exactly_becomes_one(intent) -> None:
    photos = payload_for(intent)["Line"][2]["SalesItemLineDetail"]

    assert (photos["Qty"], photos["UnitPrice"]) == (Decimal(1), Decimal("100.00"))
    even = replace(intent, lines=(InvoiceLine("Hours", usd("300.00"), quantity=Decimal(4)),))
    hours = payload_for(even)["Line"][0]["SalesItemLineDetail"]
    assert (hours["Qty"], hours["UnitPrice"]) == (Decimal(4), Decimal("75"))


def test_the_sdk_object_serialises_amounts_as_exact_strings(intent) -> None:
    invoice = Invoice.from_json(payload_for(intent))

    wire = json.loads(invoice.to_json())

    assert wire["DocNumber"] == "ACME-WEB-2-1"
    assert [line["Amount"] for line in wire["Line"] if line["DetailType"] != "DescriptionOnly"] == [
        "1234.57", "-123.46", "100.00"]


def test_the_gateway_sends_the_sdks_own_document_without_its_indent(intent) -> None:
    from connector.platforms.quickbooks import _sdk_json  # the body create_draft_invoice sends

    invoice = Invoice.from_json(payload_for(intent))

    sent = _sdk_json(invoice)

    assert json.loads(sent) == json.loads(invoice.to_json())
    assert "\n" not in sent


def test_long_keys_get_distinct_doc_numbers_within_21_characters() -> None:
    one = qb.doc_number_for("milepost:A-VERY-LONG-PROJECT-KEY:12:1")
    two = qb.doc_number_for("milepost:A-VERY-LONG-PROJECT-KEY:12:2")

    assert len(one) <= 21
    assert len(two) <= 21
    assert one != two
    assert one == qb.doc_number_for("milepost:A-VERY-LONG-PROJECT-KEY:12:1")


def test_invoice_facts_follow_balance_and_sending() -> None:
    base = {"Id": "130", "DocNumber": "ACME-WEB-2-1", "TotalAmt": Decimal("1000.00"),
            "CurrencyRef": {"value": "USD"}, "PrivateNote": "Milepost key: milepost:ACME-WEB:2:1"}

    unsent = qb.invoice_fact({**base, "Balance": Decimal("1000.00"), "EmailStatus": "NotSet"})
    partly = qb.invoice_fact({**base, "Balance": Decimal("600.00")})
    paid = qb.invoice_fact({**base, "Balance": Decimal("0")})
    voided = qb.invoice_fact({**base, "TotalAmt": 0, "Balance": 0, "PrivateNote": "Voided"})
    deleted = qb.invoice_fact({"Id": "131", "status": "Deleted"})

    assert unsent.status == DRAFT
    assert unsent.idempotency_key == "milepost:ACME-WEB:2:1"
    assert (partly.status, partly.amount_paid, partly.balance) == (PARTIALLY_PAID, usd("400.00"), usd("600.00"))
    assert paid.status == PAID
    assert voided.status == VOIDED
    assert deleted.status == DELETED


def test_a_payment_applied_to_two_invoices_gives_one_fact_each() -> None:
    payment = {
        "Id": "201", "TxnDate": "2026-11-20", "TotalAmt": Decimal("700.00"),
        "CurrencyRef": {"value": "USD"}, "PaymentMethodRef": {"name": "Check"},
        "Line": [
            {"Amount": Decimal("400.00"), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
            {"Amount": Decimal("300.00"), "LinkedTxn": [{"TxnId": "131", "TxnType": "Invoice"}]},
        ],
    }

    facts = qb.payment_facts(payment)

    assert [(f.invoice_platform_id, f.amount) for f in facts] == [("130", usd("400.00")), ("131", usd("300.00"))]
    assert facts[0].on == date(2026, 11, 20)
    assert facts[0].method == "Check"


def test_a_credit_application_is_a_credit_not_money_received() -> None:
    application = {
        "Id": "202", "TxnDate": "2026-11-21", "TotalAmt": Decimal("0"), "CurrencyRef": {"value": "USD"},
        "Line": [
            {"Amount": Decimal("300.00"), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
            {"Amount": Decimal("300.00"), "LinkedTxn": [{"TxnId": "77", "TxnType": "CreditMemo"}]},
        ],
    }

    assert qb.payment_facts(application) == []
    [credit] = qb.credit_applications(application)
    assert (credit.platform_id, credit.status, credit.total) == ("77", "applied", usd("300.00"))
    assert credit.applied_to == (("130", usd("300.00")),)


def test_a_payment_partly_settled_by_credit_counts_only_its_cash() -> None:
    payment = {
        "Id": "203", "TxnDate": "2026-11-22", "TotalAmt": Decimal("600.00"), "CurrencyRef": {"value": "USD"},
        "Line": [
            {"Amount": Decimal("1000.00"), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
            {"Amount": Decimal("400.00"), "LinkedTxn": [{"TxnId": "77", "TxnType": "CreditMemo"}]},
        ],
    }

    assert [(f.invoice_platform_id, f.amount) for f in qb.payment_facts(payment)] == [("130", usd("600.00"))]
    assert [c.applied_to for c in qb.credit_applications(payment)] == [(("130", usd("400.00")),)]


def test_credit_covering_two_invoices_is_set_against_them_in_order() -> None:
    payment = {
        "Id": "204", "TotalAmt": Decimal("100.00"), "CurrencyRef": {"value": "USD"},
        "Line": [
            {"Amount": Decimal("250.00"), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
            {"Amount": Decimal("150.00"), "LinkedTxn": [{"TxnId": "131", "TxnType": "Invoice"}]},
            {"Amount": Decimal("300.00"), "LinkedTxn": [{"TxnId": "77", "TxnType": "CreditMemo"}]},
        ],
    }

    assert [(f.invoice_platform_id, f.amount) for f in qb.payment_facts(payment)] == [("131", usd("100.00"))]
    [credit] = qb.credit_applications(payment)
    assert credit.applied_to == (("130", usd("250.00")), ("131", usd("50.00")))


def test_a_voided_credit_application_applies_nothing() -> None:
    voided = {"Id": "202", "TotalAmt": 0, "PrivateNote": "Voided", "Line": [
        {"Amount": Decimal("300.00"), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
        {"Amount": Decimal("300.00"), "LinkedTxn": [{"TxnId": "77", "TxnType": "CreditMemo"}]},
    ]}

    assert qb.payment_facts(voided) == []
    assert qb.credit_applications(voided) == []


def test_customer_display_names_fall_back_to_company_and_person_then_email() -> None:
    from connector.billing.model import Customer
    from mappings.customers import name_candidates

    names = name_candidates(Customer("Dana Reyes", "ap@acme.example", "Acme Corp"))

    assert names == ["Acme Corp", "Acme Corp (Dana Reyes)", "Acme Corp <ap@acme.example>"]


def test_doc_numbers_tell_a_colon_from_a_dash_in_the_project_key() -> None:
    """Issue 9 finding 7: `X:WEB` and `X-WEB` gave the same DocNumber, so QuickBooks refused
    the second invoice with 6140 (duplicate document number)."""
    colon, dash = qb.doc_number_for("milepost:X:WEB:1:1"), qb.doc_number_for("milepost:X-WEB:1:1")

    assert colon != dash
    assert dash == "X-WEB-1-1"  # a plain key reads as it always did (README)
    assert len(colon) <= 21
    assert colon.startswith("X-WEB-1-1")


def test_doc_numbers_are_distinct_for_many_awkward_keys_and_stable() -> None:
    keys = [f"milepost:{project}:{rest}" for project in
            ("X:WEB", "X-WEB", "X WEB", "X_WEB", "Ōtaki", "Otaki", "A-1", "A", "A-1-2", "A:1",
             "A-monthly-2026", "LONG-PROJECT-KEY-FOR-A-BIG-CLIENT")
            for rest in ("1:1", "1:2", "2:1", "12:1", "deposit:1", "monthly-2026-11:1",
                         "1:1:void", "1:1:partial-40.00", "late-fee:INV-7:1")]

    numbers = {qb.doc_number_for(key) for key in keys}

    assert len(numbers) == len(keys)
    assert all(len(number) <= 21 for number in numbers)
    assert all(number.isascii() for number in numbers)
    assert [qb.doc_number_for(key) for key in keys] == [qb.doc_number_for(key) for key in keys]


def test_an_invoice_created_under_the_old_doc_number_is_still_searched_for() -> None:
    assert qb.doc_numbers_to_search("milepost:X:WEB:1:1") == (qb.doc_number_for("milepost:X:WEB:1:1"),
                                                              "X-WEB-1-1")
    assert qb.doc_numbers_to_search("milepost:ACME-WEB:2:1") == ("ACME-WEB-2-1",)
