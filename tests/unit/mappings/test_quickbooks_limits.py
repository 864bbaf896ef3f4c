"""QuickBooks' text rules in the mapping: DisplayName characters, line lengths, the keyed note.

Sources: Intuit's Customer reference (no colon, tab or new line in a name: fault 2040) and
Invoice reference (line Description 4,000 characters, PrivateNote 4,000: fault 2050).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from connector.billing.model import Customer, InvoiceIntent, InvoiceLine
from connector.billing.money import Money
from mappings import quickbooks as qbmap


def _intent(**changes: object) -> InvoiceIntent:
    intent = InvoiceIntent(
        idempotency_key="milepost:ACME-WEB:2:1", project_key="ACME-WEB",
        customer=Customer("Dana Reyes", "ap@acme.example", "Acme Corp"), currency="USD",
        invoice_date=date(2026, 11, 2), due_date=date(2026, 12, 2), payment_terms_days=30,
        lines=(InvoiceLine("M2 Design approved", Money(Decimal("100.00"), "USD")),),
        reference="ACME-WEB M2", seq=2)
    return dataclasses.replace(intent, **changes)


def test_a_display_name_loses_colons_tabs_and_line_breaks_the_same_way_every_time() -> None:
    assert qbmap.display_name("Acme: West\tCoast\nLtd") == "Acme - West Coast Ltd"
    assert qbmap.display_name("Acme:West") == qbmap.display_name("Acme : West") == "Acme - West"
    assert len(qbmap.display_name("x" * 600)) == 500


def test_a_long_description_is_split_between_words_and_nothing_is_lost() -> None:
    text = " ".join(["milestone"] * 1000)  # 9,999 characters

    parts = qbmap.description_parts(text)

    assert all(len(part) <= 4000 for part in parts)
    assert len(parts) == 3
    assert " ".join(parts) == text


def test_the_key_survives_a_memo_longer_than_the_private_note() -> None:
    note = qbmap.private_note_for(_intent(memo="m" * 5000))

    assert len(note) == 4000
    assert qbmap.key_from_private_note(note) == "milepost:ACME-WEB:2:1"
