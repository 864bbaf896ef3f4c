"""A credit's lines: split like the invoice's, totalling the amount credited to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from xero_python.accounting import Contact, Invoice, LineAmountTypes, LineItem

from connector.billing.money import Money
from mappings import quickbooks as qbmap
from mappings import xero as xmap
from mappings.credit_split import exclusive_net, split_like, tax_on

RATES = {"OUTPUT2": Decimal(20), "NONE": Decimal(0)}


def xero_invoice(*lines: tuple[str, str, str]) -> Invoice:
    """Exclusive lines (account, tax type, net amount) with Xero's per-line tax filled in."""
    return Invoice(
        contact=Contact(contact_id="c-1"), date=date(2026, 12, 1), currency_code="GBP",
        line_amount_types=LineAmountTypes.EXCLUSIVE,
        line_items=[LineItem(description="x", account_code=account, tax_type=tax, line_amount=Decimal(net),
                             tax_amount=tax_on(Decimal(net), RATES[tax], "GBP")) for account, tax, net in lines]
        + [LineItem(description="Approval window: 3 business days")],
    )


def xero_total(note) -> Decimal:  # type: ignore[no-untyped-def]
    """The note's Total as Xero computes it from its lines."""
    kind = note.line_amount_types.value
    total = Decimal(0)
    for line in note.line_items:
        amount, rate = line.line_amount, RATES[line.tax_type]
        total += amount if kind == "Inclusive" else amount + tax_on(amount, rate, "GBP")
    return total


def test_a_xero_credit_note_keeps_the_invoices_tax_types_and_totals_the_amount() -> None:
    invoice = xero_invoice(("200", "OUTPUT2", "1000.00"), ("260", "NONE", "500.00"))

    note = xmap.credit_note_model(invoice, Money(Decimal("1700.00"), "GBP"), "CO-1", "milepost:K:1:1:credit-1", RATES)

    assert note.line_amount_types.value == "Exclusive"
    assert [(line.account_code, line.tax_type) for line in note.line_items] == [("200", "OUTPUT2"), ("260", "NONE")]
    assert xero_total(note) == Decimal("1700.00")


def test_when_no_net_in_cents_gives_the_amount_the_lines_are_stated_tax_included() -> None:
    # 20% on top: a net of 0.02 gives 0.02, of 0.03 gives 0.04; no net gives 0.03
    assert exclusive_net(Money(Decimal("0.03"), "GBP"), Decimal(20)) is None
    invoice = xero_invoice(("200", "OUTPUT2", "1000.00"))

    note = xmap.credit_note_model(invoice, Money(Decimal("0.03"), "GBP"), "goodwill", "milepost:K:1:1:credit-1", RATES)

    assert note.line_amount_types.value == "Inclusive"
    assert xero_total(note) == Decimal("0.03")


def test_groups_without_a_positive_amount_take_no_share() -> None:
    parts = split_like(Money(Decimal("100.00"), "USD"), [("work", Decimal("1000")), ("retainage", Decimal("-100"))])

    assert parts == [("work", Money(Decimal("100.00"), "USD"))]


def test_a_quickbooks_memo_totals_the_amount_with_the_invoices_share_of_tax() -> None:
    invoice = {
        "Id": "7", "CustomerRef": {"value": "58"}, "TotalAmt": Decimal("1080.00"),
        "TxnTaxDetail": {"TotalTax": Decimal("80.00"), "TxnTaxCodeRef": {"value": "3"}},
        "Line": [
            {"Amount": Decimal("1000.00"), "DetailType": "SalesItemLineDetail",
             "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "TaxCodeRef": {"value": "TAX"}}},
            {"Amount": Decimal("1000.00"), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
        ],
    }

    memo = qbmap.credit_memo_payload(invoice, Money(Decimal("540.00"), "USD"), "CO-1", "milepost:K:1:1:credit-1")

    net = sum(line["Amount"] for line in memo["Line"])
    assert (net, memo["TxnTaxDetail"]["TotalTax"]) == (Decimal("500.00"), Decimal("40.00"))
    assert memo["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert memo["PrivateNote"].endswith("milepost:K:1:1:credit-1")  # found again by its key
