"""Webhook receivers: `/webhooks/quickbooks` and `/webhooks/xero`. They record and enqueue.

What each answer means (the platforms retry what they do not see acknowledged):

    401  the signature is missing or wrong (HMAC-SHA256 of the raw body, base64, compared in
         constant time). The body is not parsed; the refusal is logged without it. For Xero this
         is also the right answer to a wrongly signed intent-to-receive probe.
    200  accepted: every event is recorded by its id (a replay or duplicate finds its id taken
         and changes nothing), and each known company is marked "sync requested", which the
         worker's clock picks up within seconds. Events for a company Milepost does not know are
         acknowledged with 200 and change nothing: Intuit retries anything else for hours.
    400  a correctly signed body that is not JSON (nothing recorded).

Xero bodies get an empty 200/401 and no cookie, as its intent-to-receive check requires.
Secrets come from `[quickbooks] webhook_verifier_token` and `[xero] webhook_key`, or from the
sandbox's `/_sandbox/info` where it stands in for the platform (`WebResources.webhook_secret`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.config import Settings
from connector.store.models import ConnectionRow
from jobs.connections import sync_state
from jobs.tables import WebhookEventRow

log = logging.getLogger("milepost.webhooks")
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
blueprint = bp

Event = tuple[str, str]  # (event id, company: realm id or tenant id)


def signature_ok(secret: str | None, body: bytes, given: str | None) -> bool:
    """base64(HMAC-SHA256(secret, raw body)) == given, compared in constant time."""
    if not secret or not given:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, given.strip().encode())


def _resources() -> tuple[Settings, sessionmaker[Session]]:
    found = current_app.extensions["milepost"]
    return found.settings, found.sessions


def _secret(platform: str) -> str | None:
    return current_app.extensions["milepost"].webhook_secret(platform)  # type: ignore[no-any-return]


def _empty(status: int) -> Response:
    return Response(b"", status=status)


@bp.post("/quickbooks")
def quickbooks() -> Response:
    _, sessions = _resources()
    body = request.get_data(cache=False)
    if not signature_ok(_secret("quickbooks"), body, request.headers.get("intuit-signature")):
        log.warning("QuickBooks webhook refused: bad signature (%d bytes, not processed)", len(body))
        return _empty(401)
    payload = _json(body)
    if payload is None:
        return _empty(400)
    recorded = record_events(sessions, "quickbooks", quickbooks_events(payload))
    return Response(json.dumps({"recorded": recorded}), status=200, mimetype="application/json")


@bp.post("/xero")
def xero() -> Response:
    _, sessions = _resources()
    body = request.get_data(cache=False)
    if not signature_ok(_secret("xero"), body, request.headers.get("x-xero-signature")):
        log.warning("Xero webhook refused: bad signature (%d bytes, not processed)", len(body))
        return _empty(401)
    payload = _json(body)
    if payload is None:
        return _empty(400)
    record_events(sessions, "xero", xero_events(payload))
    return _empty(200)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def quickbooks_events(payload: Any) -> list[Event]:
    """Classic `eventNotifications` or the CloudEvents array; ids for classic entities are
    derived from what the change is (entity, id, operation, lastUpdated), so a redelivery of
    the same change has the same id."""
    if isinstance(payload, list):
        return [(str(e.get("id")), str(e.get("intuitaccountid"))) for e in payload
                if isinstance(e, dict) and e.get("id") and e.get("intuitaccountid")]
    events: list[Event] = []
    for notice in (payload or {}).get("eventNotifications") or []:
        realm = str(notice.get("realmId") or "")
        for entity in (notice.get("dataChangeEvent") or {}).get("entities") or []:
            what = "|".join(str(entity.get(k, "")) for k in ("name", "id", "operation", "lastUpdated"))
            events.append((_digest(realm + "|" + what), realm))
    return [e for e in events if e[1]]


def xero_events(payload: Any) -> list[Event]:
    """Xero events have no id of their own; the event's content (tenant, resource, type,
    time) identifies it. An intent-to-receive probe has no events at all."""
    events: list[Event] = []
    for event in (payload or {}).get("events") or []:
        tenant = str(event.get("tenantId") or "")
        what = "|".join(str(event.get(k, "")) for k in
                        ("tenantId", "eventCategory", "eventType", "resourceId", "eventDateUtc"))
        if tenant:
            events.append((_digest(what), tenant))
    return events


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def record_events(sessions: sessionmaker[Session], platform: str, events: Iterable[Event]) -> int:
    """Record new events and request a sync of each known company; returns how many were new."""
    now = datetime.now(UTC)
    new = 0
    with sessions() as session:
        known = _connections(session, platform)
    with sessions() as session:
        for event_id, company in events:
            connection_id = known.get(company)
            if connection_id is None:
                log.info("%s webhook for unknown company %s ignored", platform, company)
                continue
            try:
                with session.begin():
                    session.add(WebhookEventRow(platform=platform, event_id=event_id,
                                                connection_id=connection_id, received_at=now))
                    session.flush()
                    sync_state(session, connection_id).requested_at = now
                new += 1
            except IntegrityError:
                continue  # a replay or a duplicate delivery: already recorded
    return new


def _connections(session: Session, platform: str) -> dict[str, int]:
    rows = session.execute(
        select(ConnectionRow.tenant_id, ConnectionRow.id).where(ConnectionRow.platform == platform)
    )
    return dict(rows.all())
