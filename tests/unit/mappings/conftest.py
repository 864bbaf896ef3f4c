from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connector.billing.model import Customer, InvoiceIntent, InvoiceLine
from connector.billing.money import Money


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


@pytest.fixture
def intent() -> InvoiceIntent:
    """Milestone 2 of ACME-WEB: the design milestone, less 10% retainage."""
    return InvoiceIntent(
        idempotency_key="milepost:ACME-WEB:2:1",
        project_key="ACME-WEB",
        customer=Customer(name="Dana Reyes", email="ap@acme.example", company="Acme Corp"),
        currency="USD",
        invoice_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        payment_terms_days=30,
        lines=(
            InvoiceLine("M2 Design approved: wireframes and visual design", usd("1234.57")),
            InvoiceLine("Retainage withheld (10%)", usd("-123.46"), kind="retainage"),
            InvoiceLine("Stock photography (3 images)", usd("100.00"), quantity=Decimal(3)),
        ),
        reference="ACME-WEB M2",
        seq=2,
        memo="Accepted by Pat Lee on 2026-10-30",
    )
