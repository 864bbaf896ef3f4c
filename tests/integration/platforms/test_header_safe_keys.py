"""Issue 9 finding 4: a Xero contact named "Ōtaki Builders" could not be created (its name went
into the Idempotency-Key header, which http.client cannot encode), nor could a file with a
non-ASCII name be attached. Both go through now, and a retry replays rather than duplicates."""

from __future__ import annotations

from connector.billing.model import Customer
from connector.platforms.gateway import Attachment
from mappings.settings import MappingSettings

from .conftest import make_intent

OTAKI = Customer(name="Ōtaki Builders", email="ap@otaki.example", company="Ōtaki Builders")
HANDOVER = Attachment("Übergabe – Ōtaki.pdf", b"%PDF-1.4 handover note\n", "application/pdf")


def test_a_xero_contact_with_a_macron_is_created_once(xero) -> None:
    first = xero.find_or_create_customer(OTAKI)
    again = xero.find_or_create_customer(OTAKI)

    assert first.name == "Ōtaki Builders"
    assert again.id == first.id


def test_a_xero_draft_carries_an_attachment_with_a_non_ascii_name(xero) -> None:
    intent = make_intent("milepost:OTAKI:2:1", currency="NZD", customer=OTAKI)
    customer = xero.find_or_create_customer(intent.customer)
    settings = xero.resolve_settings(MappingSettings(sales_account="200", tax_code="NONE"), intent.lines)

    created = xero.create_draft_invoice(intent, customer, settings, (HANDOVER,))

    assert len(created.attachments) == 1
    assert list(xero.attachment_names(created.platform_id)) == [HANDOVER.filename]


def test_a_quickbooks_draft_for_a_customer_with_a_macron_carries_a_non_ascii_file(qbo) -> None:
    intent = make_intent("milepost:OTAKI:2:1", customer=OTAKI)
    customer = qbo.find_or_create_customer(intent.customer)
    settings = qbo.resolve_settings(MappingSettings(sales_item="Services"), intent.lines)

    created = qbo.create_draft_invoice(intent, customer, settings, (HANDOVER,))

    assert list(qbo.attachment_names(created.platform_id)) == [HANDOVER.filename]
