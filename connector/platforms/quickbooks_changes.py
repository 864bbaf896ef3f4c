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
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connector.billing.money import Money
from mappings import quickbooks as qbmap
from mappings.facts import CreditNoteFact, InvoiceStatusFact, status_from_amounts, to_decimal

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
    gateway: QuickBooksGateway, cursor: datetime | None, *, now: datetime, home_currency: str
) -> ChangeBatch:
    if cursor is not None and now - cursor < CDC_WINDOW:
        try:
            rows, server_time = _changed_since(gateway, cursor, now)
        except ValidationRejected:
            pass  # QuickBooks refused the window: read by query instead
        else:
            return _batch(rows, server_time, home_currency, full=False)
    rows, invoices, server_time = _by_query(gateway, cursor, now, home_currency)
    return _batch(rows, server_time, home_currency, full=cursor is None or now - cursor >= CDC_WINDOW,
                  invoices=invoices)


def _changed_since(gateway: QuickBooksGateway, cursor: datetime, now: datetime) -> tuple[Rows, datetime]:
    """Every change since `cursor`: one CDC call when its answer is under the cap, else one
    per entity, else that entity by query (see the module docstring)."""
    rows, clock = _cdc(gateway, ENTITIES, cursor, now)
    if _total(rows) < CDC_LIMIT:
        return rows, clock
    clocks = []
    for entity in ENTITIES:
        alone, entity_clock = _cdc(gateway, (entity,), cursor, now)
        if _total(alone) >= CDC_LIMIT:
            found, entity_clock = gateway.query_all_timed(select(entity, _since(cursor)), entity)
            alone = {entity: found + _deleted(alone[entity])}  # a query cannot see deletions
        rows[entity] = alone[entity]
        clocks.append(entity_clock)
    return rows, min(clocks)


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


def _by_query(
    gateway: QuickBooksGateway, cursor: datetime | None, now: datetime, currency: str
) -> tuple[Rows, tuple[InvoiceStatusFact, ...], datetime]:
    """Every entity by query; invoices are made facts page by page, so a first sync of a
    company with 100,000 invoices holds their facts, not their JSON (a fifth of the memory,
    measured by `make bench`). A query sees no deletions, so there are none to keep."""
    where = _since(cursor)
    invoices: list[InvoiceStatusFact] = []
    stamps = []
    for page, stamp in gateway.query_pages(select("Invoice", where), "Invoice"):
        invoices += [qbmap.invoice_fact(row, currency) for row in page]
        stamps.append(stamp)
    server_time = stamps[0]
    rows: Rows = {"Invoice": []}
    for entity in ENTITIES[1:]:
        found, stamp = gateway.query_all_timed(select(entity, where), entity)
        rows[entity] = found
        server_time = min(server_time, stamp)
    return rows, tuple(invoices), server_time


def _batch(rows: Rows, server_time: datetime, currency: str, full: bool,
           invoices: tuple[InvoiceStatusFact, ...] = ()) -> ChangeBatch:
    """The batch from raw rows, with `invoices` already made facts (from a query) added."""
    deletions = [
        Deletion(entity, str(row["Id"]))
        for entity, found in rows.items()
        for row in found
        if str(row.get("status", "")).lower() == "deleted"
    ]
    live = {entity: [r for r in found if str(r.get("status", "")).lower() != "deleted"] for entity, found in rows.items()}
    return ChangeBatch(
        invoices=invoices + tuple(qbmap.invoice_fact(row, currency) for row in live["Invoice"]),
        payments=tuple(fact for row in live["Payment"] for fact in qbmap.payment_facts(row, currency)),
        credit_notes=_credit_notes(live, currency),
        deletions=tuple(deletions),
        next_cursor=server_time,
        full_resync=full,
    )


def _credit_notes(live: dict[str, list[dict[str, Any]]], currency: str) -> tuple[CreditNoteFact, ...]:
    """Credit memos, each with what the payments in this batch applied of it.

    A payment applying a memo also changes the memo, so both usually arrive together; an
    application whose memo is not in the batch stays a fact of its own (total = applied)."""
    applications = [fact for row in live["Payment"] for fact in qbmap.credit_applications(row, currency)]
    memos = [_credit_memo(row, currency) for row in live["CreditMemo"]]
    merged = [
        replace(memo, applied_to=tuple(
            pair for fact in applications if fact.platform_id == memo.platform_id for pair in fact.applied_to
        ))
        for memo in memos
    ]
    seen = {memo.platform_id for memo in memos}
    return (*merged, *(fact for fact in applications if fact.platform_id not in seen))


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
