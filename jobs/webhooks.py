"""process_webhooks: stored webhook deliveries become recorded events and sync requests.

The receivers (`connector.web.webhooks`) only check the signature and store the delivery in
one transaction, so a delivery of 3,000 entities is answered at once (Intuit expects an answer
within 3 s and holds later deliveries until then; Xero allows 5 s). This job does the rest,
one delivery per transaction: every event is recorded by its id (an id already taken, from a
replay or a redelivery, changes nothing) and each known company with a new event is marked
"sync requested", which `sync_due` (or the clock's sync tick) picks up. Events for a company
Milepost does not know change nothing. A body that cannot be read is kept with its error, not
retried for ever.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.store.db import transaction
from connector.store.models import ConnectionRow

from .connections import sync_state
from .context import JobContext
from .runs import Counts
from .tables import WebhookDeliveryRow, WebhookEventRow

log = logging.getLogger("milepost.jobs.webhooks")
Event = tuple[str, str]  # (event id, company: realm id or tenant id)
CHUNK = 500  # event ids looked up per query


def store_delivery(session: Session, platform: str, body: bytes, now: datetime) -> int:
    """Keep a verified delivery for `process_webhooks`; its id."""
    row = WebhookDeliveryRow(platform=platform, body=body, received_at=now)
    session.add(row)
    session.flush()
    return row.id


def process_webhooks(ctx: JobContext, now: datetime, *, limit: int = 100) -> Counts:
    counts = {"deliveries": 0, "events": 0, "syncs_requested": 0}
    for _ in range(limit):
        with transaction(ctx.sessions) as session:
            delivery = session.scalars(
                select(WebhookDeliveryRow).where(WebhookDeliveryRow.processed_at.is_(None))
                .order_by(WebhookDeliveryRow.id).limit(1).with_for_update(skip_locked=True)
            ).first()
            if delivery is None:
                break
            new, requested = _process(session, delivery, now)
            counts["deliveries"] += 1
            counts["events"] += new
            counts["syncs_requested"] += requested
    return counts


def _process(session: Session, delivery: WebhookDeliveryRow, now: datetime) -> tuple[int, int]:
    delivery.processed_at = now
    try:
        events = parse(delivery.platform, json.loads(delivery.body))
    except ValueError as error:
        delivery.error = f"not JSON: {error}"
        return 0, 0
    new = record_events(session, delivery.platform, events, delivery.received_at)
    delivery.events = sum(new.values())
    for connection_id in new:
        sync_state(session, connection_id).requested_at = now
    return delivery.events, len(new)


def parse(platform: str, payload: Any) -> list[Event]:
    return quickbooks_events(payload) if platform == "quickbooks" else xero_events(payload)


def record_events(session: Session, platform: str, events: Iterable[Event], at: datetime) -> dict[int, int]:
    """Record the events not seen before; connection id -> how many of its events were new."""
    known = _connections(session, platform)
    wanted: dict[str, int] = {}
    for event_id, company in events:
        connection_id = known.get(company)
        if connection_id is None:
            log.info("%s webhook for unknown company %s ignored", platform, company)
            continue
        wanted.setdefault(event_id, connection_id)
    ids = list(wanted)
    taken: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        taken.update(session.scalars(
            select(WebhookEventRow.event_id).where(WebhookEventRow.platform == platform,
                                                   WebhookEventRow.event_id.in_(ids[start:start + CHUNK]))
        ))
    new: dict[int, int] = {}
    for event_id, connection_id in wanted.items():
        if event_id in taken:
            continue
        session.add(WebhookEventRow(platform=platform, event_id=event_id, connection_id=connection_id,
                                    received_at=at))
        new[connection_id] = new.get(connection_id, 0) + 1
    session.flush()
    return new


def quickbooks_events(payload: Any) -> list[Event]:
    """Classic `eventNotifications` or the CloudEvents array; ids for classic entities are
    derived from what the change is (entity, id, operation, lastUpdated), so a redelivery of
    the same change has the same id."""
    if isinstance(payload, list):
        return [(str(e.get("id")), str(e.get("intuitaccountid"))) for e in payload
                if isinstance(e, dict) and e.get("id") and e.get("intuitaccountid")]
    if not isinstance(payload, dict):
        return []
    events: list[Event] = []
    for notice in payload.get("eventNotifications") or []:
        realm = str(notice.get("realmId") or "")
        for entity in (notice.get("dataChangeEvent") or {}).get("entities") or []:
            what = "|".join(str(entity.get(k, "")) for k in ("name", "id", "operation", "lastUpdated"))
            events.append((_digest(realm + "|" + what), realm))
    return [e for e in events if e[1]]


def xero_events(payload: Any) -> list[Event]:
    """Xero events have no id of their own; the event's content (tenant, resource, type,
    time) identifies it. An intent-to-receive probe has no events at all."""
    if not isinstance(payload, dict):
        return []
    events: list[Event] = []
    for event in payload.get("events") or []:
        tenant = str(event.get("tenantId") or "")
        what = "|".join(str(event.get(k, "")) for k in
                        ("tenantId", "eventCategory", "eventType", "resourceId", "eventDateUtc"))
        if tenant:
            events.append((_digest(what), tenant))
    return events


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _connections(session: Session, platform: str) -> dict[str, int]:
    rows = session.execute(
        select(ConnectionRow.tenant_id, ConnectionRow.id).where(ConnectionRow.platform == platform)
    )
    return dict(rows.all())
