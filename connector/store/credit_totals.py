"""What the credits asked on a project's invoices add up to, per milestone and after an instant.

Pure sums over the project's outbox rows, apart from `credits.py` (which asks for credits and
carries them to the books) so that a report, which only reads, loads none of that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from connector.billing.money import Money

from .models import OutboxRow

CREDIT = "credit"


def credited_by_milestone(
    rows: Sequence[OutboxRow], generations: dict[int, int], currency: str, at: datetime | None = None,
) -> dict[int, Money]:
    """Per milestone, the net of the credits asked for on its current generation's invoice
    (as its billing counts them from the request on, as it counts an invoice intent); `at`:
    asked for by then."""
    credited: dict[int, Money] = {}
    for row in rows:
        if row.kind != CREDIT or row.seq is None:
            continue
        if row.payload.get("generation") != generations.get(row.seq):
            continue
        if at is not None and asked_at(row) > at:
            continue
        credited[row.seq] = credited.get(row.seq, Money.zero(currency)) + Money(Decimal(row.payload["net"]), currency)
    return credited


def asked_at(row: OutboxRow) -> datetime:
    """When a credit was asked for: its request's own time, else when its row was written."""
    text = row.payload.get("at")
    return datetime.fromisoformat(text) if text else row.created_at


def total_lowered_after(rows: Sequence[OutboxRow], at: datetime, currency: str) -> Money:
    """The net of the credits asked for after `at` that lowered the contract total themselves."""
    return sum((Money(Decimal(row.payload["net"]), currency) for row in rows
                if row.kind == CREDIT and row.payload.get("lowers_total", True) and asked_at(row) > at),
               Money.zero(currency))
