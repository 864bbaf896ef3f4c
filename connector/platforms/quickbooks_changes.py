"""Reading what changed in a QuickBooks company since a cursor.

Change Data Capture is the cheap way (one call for invoices, payments and credit memos), but it
looks back at most 30 days and "server responses can handle a maximum of 1,000 objects" in
total, across the entities asked for (Intuit's CDC reference). An answer holding 1,000 objects
is therefore treated as cut, never as complete: each entity is asked for on its own, and an
entity that still fills an answer by itself is read with paged queries on
`MetaData.LastUpdatedTime` (CDC has no upper bound, so a narrower window cannot isolate the
older changes); a query cannot see deletions, so only those the cut CDC answer held are
known then. An older (or missing) cursor or a refused CDC reads everything by query.

The next cursor is QuickBooks' own clock from the responses (`time`), never ours, so clock
skew cannot skip a change; when several reads make up one batch it is the earliest of their
clocks, so whatever changed while the later reads ran is read again next time.

Rows become facts as each answer or page arrives and only Milepost's are kept (`_Facts`), so a
first sync of a company with 100,000 invoices holds one page of JSON, not the company.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connector.billing.money import Money
from mappings import quickbooks as qbmap
from mappings.facts import (
    CreditNoteFact,
    InvoiceStatusFact,
    PaymentFact,
    status_from_amounts,
    to_decimal,
)

from .errors import ValidationRejected
from .gateway import ChangeBatch, Deletion
from .quickbooks_client import quote, select

if TYPE_CHECKING:
    from .quickbooks import QuickBooksGateway

CDC_WINDOW = timedelta(days=30) - timedelta(hours=1)  # a margin inside the documented 30 days
CDC_LIMIT = 1000  # objects in one CDC answer, all entities together
ENTITIES = ("Invoice", "Payment", "CreditMemo")
Rows = dict[str, list[dict[str, Any]]]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def server_time(result: dict[str, Any], fallback: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(result.get("time")))
    except ValueError:
        return fallback
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_changes(
    gateway: QuickBooksGateway, cursor: datetime | None, *, now: datetime, home_currency: str,
    invoices: Collection[str] | None = None,
) -> ChangeBatch:
    """What changed since `cursor`; with `invoices` (platform ids), only the facts of those
    invoices and of payments on them are kept (see `_Facts`)."""
    if cursor is not None and now - cursor < CDC_WINDOW:
        facts = _Facts(home_currency, invoices)
        try:
            server_time = _changed_since(gateway, cursor, now, facts)
        except ValidationRejected:
            pass  # QuickBooks refused the window: read by query instead
        else:
            return facts.batch(server_time, full=False)
    facts = _Facts(home_currency, invoices)
    server_time = _by_query(gateway, cursor, facts)
    return facts.batch(server_time, full=cursor is None or now - cursor >= CDC_WINDOW)


def _changed_since(gateway: QuickBooksGateway, cursor: datetime, now: datetime, facts: _Facts) -> datetime:
    """Every change since `cursor` into `facts`: one CDC call when its answer is under the
    cap, else one per entity, else that entity by query (see the module docstring). Invoices
    come before payments, so a payment on an invoice kept for its key is kept too."""
    rows, clock = _cdc(gateway, ENTITIES, cursor, now)
    if _total(rows) < CDC_LIMIT:
        for entity in ENTITIES:
            facts.add(entity, rows[entity])
        return clock
    del rows  # cut: each entity is read again on its own
    clocks = []
    for entity in ENTITIES:
        alone, entity_clock = _cdc(gateway, (entity,), cursor, now)
        if _total(alone) >= CDC_LIMIT:
            entity_clock = _query(gateway, entity, _since(cursor), facts)
            facts.add(entity, _deleted(alone[entity]))  # a query cannot see deletions
        else:
            facts.add(entity, alone[entity])
        clocks.append(entity_clock)
    return min(clocks)


def _deleted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if str(row.get("status", "")).lower() == "deleted"]


def _total(rows: Rows) -> int:
    return sum(len(found) for found in rows.values())


def _cdc(gateway: QuickBooksGateway, entities: tuple[str, ...], cursor: datetime, now: datetime) -> tuple[Rows, datetime]:
    result = gateway.call(lambda qb: qb.change_data_capture(",".join(entities), _stamp(cursor)))
    rows: Rows = {entity: [] for entity in entities}
    for response in result.get("CDCResponse") or []:
        for part in response.get("QueryResponse") or []:
            for entity in entities:
                rows[entity].extend(part.get(entity) or [])
    return rows, server_time(result, now)


def _since(cursor: datetime | None) -> str:
    return f"MetaData.LastUpdatedTime >= {quote(_stamp(cursor))}" if cursor else ""


def _by_query(gateway: QuickBooksGateway, cursor: datetime | None, facts: _Facts) -> datetime:
    """Every entity by query into `facts`; QuickBooks' clock when the first page of each was
    read, the earliest of them. A query sees no deletions."""
    return min(_query(gateway, entity, _since(cursor), facts) for entity in ENTITIES)


def _query(gateway: QuickBooksGateway, entity: str, where: str, facts: _Facts) -> datetime:
    """One entity by query, each page made facts and let go before the next is read, so a
    first sync of a company with 100,000 invoices holds a page of JSON at a time and the facts
    it keeps, not the rest (measured by `make bench`); QuickBooks' clock at the first page."""
    stamps = []
    for page, stamp in gateway.query_pages(select(entity, where), entity):
        facts.add(entity, page)
        stamps.append(stamp)
    return stamps[0]


class _Facts:
    """The batch being made, a page of rows at a time. Given `wanted` (invoice platform ids:
    Milepost's own), any other invoice and the payments on it are dropped as they are read:
    the sync applies nothing to an invoice it did not create, and a company's other invoices
    (100,000 of them in a first sync) would otherwise be held until the end. An invoice that
    carries a Milepost key is kept too: one made while the pages were read is not in `wanted`
    yet. Deletions are kept (an id each): a deleted payment names no invoice."""

    def __init__(self, currency: str, wanted: Collection[str] | None) -> None:
        self.currency, self.wanted = currency, wanted
        self.invoices: list[InvoiceStatusFact] = []
        self.payments: list[PaymentFact] = []
        self.memos: list[CreditNoteFact] = []
        self.applications: list[CreditNoteFact] = []
        self.deletions: list[Deletion] = []
        self.keyed: set[str] = set()  # invoices carrying a Milepost key

    def _ours(self, invoice_id: str) -> bool:
        return self.wanted is None or invoice_id in self.wanted or invoice_id in self.keyed

    def add(self, entity: str, rows: list[dict[str, Any]]) -> None:
        currency = self.currency
        for row in rows:
            if str(row.get("status", "")).lower() == "deleted":
                self.deletions.append(Deletion(entity, str(row["Id"])))
            elif entity == "Invoice":
                invoice_id = str(row["Id"])
                if qbmap.key_from_private_note(row.get("PrivateNote")):
                    self.keyed.add(invoice_id)
                if self._ours(invoice_id):  # the others are never made facts: CPU, not only memory
                    self.invoices.append(qbmap.invoice_fact(row, currency))
            elif entity == "Payment":
                self.payments += [f for f in qbmap.payment_facts(row, currency) if self._ours(f.invoice_platform_id)]
                self.applications += qbmap.credit_applications(row, currency)
            elif entity == "CreditMemo":
                self.memos.append(_credit_memo(row, currency))

    def batch(self, server_time: datetime, full: bool) -> ChangeBatch:
        return ChangeBatch(
            invoices=tuple(self.invoices),
            payments=tuple(self.payments),
            credit_notes=self._credit_notes(),
            deletions=tuple(self.deletions),
            next_cursor=server_time,
            full_resync=full,
        )

    def _credit_notes(self) -> tuple[CreditNoteFact, ...]:
        """Credit memos, each with what the payments in this batch applied of it.

        A payment applying a memo also changes the memo, so both usually arrive together; an
        application whose memo is not in the batch stays a fact of its own (total = applied)."""
        merged = [
            replace(memo, applied_to=tuple(
                pair for fact in self.applications if fact.platform_id == memo.platform_id
                for pair in fact.applied_to
            ))
            for memo in self.memos
        ]
        seen = {memo.platform_id for memo in self.memos}
        return (*merged, *(fact for fact in self.applications if fact.platform_id not in seen))


def _credit_memo(row: dict[str, Any], home_currency: str) -> CreditNoteFact:
    currency = str((row.get("CurrencyRef") or {}).get("value") or home_currency)
    total = Money(to_decimal(row.get("TotalAmt")), currency)
    remaining = Money(to_decimal(row.get("Balance")), currency)
    return CreditNoteFact(
        platform_id=str(row["Id"]),
        number=row.get("DocNumber"),
        status=status_from_amounts(total, remaining).replace("paid", "applied"),
        total=total,
    )
