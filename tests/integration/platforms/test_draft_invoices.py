"""A draft invoice per platform, over real HTTP with the unmodified SDKs, attachments included."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from connector.billing.model import InvoiceLine
from connector.billing.money import Money
from connector.platforms.errors import ConfigurationError
from connector.platforms.gateway import AccountingGateway, Attachment
from mappings.settings import MappingSettings

from .conftest import make_intent

EVIDENCE = (
    Attachment("acceptance-M2.pdf", b"%PDF-1.4 signed acceptance of milestone 2\n", "application/pdf"),
    Attachment("wireframes.png", b"\x89PNG\r\n\x1a\nfake image bytes", "image/png"),
)
QB_SETTINGS = MappingSettings(sales_item="Services", terms="Net 30", kind_items=(("retainage", "Retainage"),))
XERO_SETTINGS = MappingSettings(sales_account="200", tax_code="OUTPUT2", tracking=(("Project", "Website"),))


def test_quickbooks_draft_is_unsent_keyed_worded_and_carries_the_evidence(qbo, sandbox) -> None:
    intent = make_intent("milepost:ACME-WEB:2:1")
    assert isinstance(qbo, AccountingGateway)
    customer = qbo.find_or_create_customer(intent.customer)
    settings = qbo.resolve_settings(QB_SETTINGS, intent.lines)

    created = qbo.create_draft_invoice(intent, customer, settings, EVIDENCE)

    stored = qbo.get_invoice(created.platform_id)
    assert stored["EmailStatus"] == "NotSet"
    assert stored["DocNumber"] == "ACME-WEB-2-1"
    assert "milepost:ACME-WEB:2:1" in stored["PrivateNote"]
    assert [line.get("Description") for line in stored["Line"] if line.get("DetailType") == "SalesItemLineDetail"] == [
        "M2 Design approved: wireframes and visual design",
        "Retainage withheld (10%)",
    ]
    assert stored["DueDate"] == "2026-12-02"
    assert stored["SalesTermRef"]["value"] == "3"
    assert created.total == Money(Decimal("1111.11"), "USD")
    assert len(created.attachments) == 2
    attached = [
        a["FileName"] for a in qbo.query("SELECT * FROM Attachable", "Attachable")
        if any(ref["EntityRef"]["value"] == created.platform_id for ref in a["AttachableRef"])
    ]
    assert sorted(attached) == ["acceptance-M2.pdf", "wireframes.png"]


def test_xero_draft_is_an_accrec_draft_with_the_key_in_its_reference_and_attachments(xero) -> None:
    intent = make_intent("milepost:KOWHAI-FIT:2:1", currency="NZD")
    customer = xero.find_or_create_customer(intent.customer)
    settings = xero.resolve_settings(XERO_SETTINGS, intent.lines)

    created = xero.create_draft_invoice(intent, customer, settings, EVIDENCE)

    stored = xero.get_invoice(created.platform_id)
    assert (stored.type, stored.status.value if hasattr(stored.status, "value") else stored.status) == ("ACCREC", "DRAFT")
    assert stored.reference == "KOWHAI-FIT M2 [milepost:KOWHAI-FIT:2:1]"
    assert [line.description for line in stored.line_items] == [
        "M2 Design approved: wireframes and visual design",
        "Retainage withheld (10%)",
    ]
    assert stored.currency_code.value == "NZD"
    assert str(stored.due_date) == "2026-12-02"
    assert stored.sub_total == Decimal("1111.11")
    assert len(created.attachments) == 2
    assert stored.has_attachments is True


@pytest.mark.parametrize("platform", ["quickbooks", "xero"])
def test_creating_the_same_intent_again_returns_the_same_invoice(platform, qbo, xero) -> None:
    gateway, settings, currency = (qbo, QB_SETTINGS, "USD") if platform == "quickbooks" else (xero, XERO_SETTINGS, "NZD")
    intent = make_intent("milepost:ACME-WEB:3:1", currency=currency)
    customer = gateway.find_or_create_customer(intent.customer)
    resolved = gateway.resolve_settings(settings, intent.lines)

    first = gateway.create_draft_invoice(intent, customer, resolved)
    again = gateway.create_draft_invoice(intent, customer, resolved)
    after_crash = gateway.create_draft_invoice(intent, customer, resolved, outcome_unknown=True)

    assert first.platform_id == again.platform_id == after_crash.platform_id
    assert after_crash.found_existing is True
    assert gateway.find_invoice_by_key("milepost:ACME-WEB:3:1").platform_id == first.platform_id
    assert gateway.find_invoice_by_key("milepost:ACME-WEB:3:2") is None


def test_a_missing_code_is_named_before_anything_is_created(qbo, xero) -> None:
    intent = make_intent("milepost:ACME-WEB:4:1")

    with pytest.raises(ConfigurationError, match="'Gardening'"):
        qbo.resolve_settings(MappingSettings(sales_item="Gardening"), intent.lines)
    with pytest.raises(ConfigurationError, match="'999'"):
        xero.resolve_settings(MappingSettings(sales_account="999"), intent.lines)


def test_each_line_kind_books_to_its_own_account_and_a_late_fee_carries_no_tax(xero) -> None:
    """Issue 8, finding 8: one account and one tax code served every line, so in Xero retainage
    posted to sales account 200 with 15% GST, and a late fee carried GST too. Per line kind:
    retainage to 630 Retentions Receivable with no tax; a late fee, given no tax code of its
    own, takes the organisation's no-tax code."""
    base = make_intent("milepost:KOWHAI-FIT:2:1", currency="NZD")
    fee = InvoiceLine("Late fee on INV-7, month 1", Money(Decimal("30.00"), "NZD"), kind="late_fee")
    intent = replace(base, lines=(*base.lines, fee))
    settings = MappingSettings.from_dict({
        "sales_account": "200", "tax_code": "OUTPUT2",
        "kind_accounts": {"retainage": "630", "late_fee": "260"}, "kind_tax_codes": {"retainage": "NONE"},
    })
    customer = xero.find_or_create_customer(intent.customer)

    created = xero.create_draft_invoice(intent, customer, xero.resolve_settings(settings, intent.lines))

    stored = xero.get_invoice(created.platform_id)
    booked = [(line.account_code, line.tax_type) for line in stored.line_items]
    assert booked == [("200", "OUTPUT2"), ("630", "NONE"), ("260", "NONE")]
    assert stored.total_tax == Decimal("185.19")  # 15% of 1,234.57 only


def test_a_line_kind_the_company_has_no_code_for_is_named_before_anything_is_created(xero) -> None:
    settings = MappingSettings.from_dict({"sales_account": "200", "kind_accounts": {"retainage": "999"}})
    with pytest.raises(ConfigurationError, match="sales account '999' \\(retainage lines\\)"):
        xero.resolve_settings(settings)
    with pytest.raises(ValueError, match="unknown line kind\\(s\\) in kind_tax_codes: retainer"):
        MappingSettings.from_dict({"kind_tax_codes": {"retainer": "NONE"}})
