"""Webhook receivers: `/webhooks/quickbooks` and `/webhooks/xero`. They verify and store.

What each answer means (the platforms retry what they do not see acknowledged):

    401  the signature is missing or wrong (HMAC-SHA256 of the raw body, base64, compared in
         constant time). The body is not parsed; the refusal is logged without it. For Xero this
         is also the right answer to a wrongly signed intent-to-receive probe.
    200  the verified delivery is stored, as received, in one transaction; nothing else is done
         before answering, so even 3,000 entities are answered at once (Intuit expects an
         answer within 3 s, Xero within 5 s). The `process_webhooks` job then records each event
         by its id (a replay changes nothing) and marks each known company "sync requested"
         (`jobs.webhooks`); events for companies Milepost does not know change nothing.
    400  a correctly signed body that is not JSON, or not the platform's shape (a string, a
         number, a list where a table belongs; see webhook_shapes): nothing stored.
    500  the delivery could not be stored (the database is down): the platform sends it again.

Every answer to Xero, errors included, has an empty body and no cookie, as its webhook
documentation requires (the app's error pages are not used under `/webhooks/`).
Secrets come from `[quickbooks] webhook_verifier_token` and `[xero] webhook_key`, or from the
sandbox's `/_sandbox/info` where it stands in for the platform (`WebResources.webhook_secret`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy.orm import Session, sessionmaker

from connector.config import Settings
from connector.store.db import transaction
from jobs.webhooks import quickbooks_events, store_delivery, xero_events

from .json_body import BodyRefused, read_json
from .webhook_shapes import quickbooks_shape_ok, xero_shape_ok

log = logging.getLogger("milepost.webhooks")
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
blueprint = bp

__all__ = ["bp", "blueprint", "quickbooks_events", "signature_ok", "xero_events"]


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
    if payload is None or not quickbooks_shape_ok(payload):
        return _empty(400)
    delivery = _store(sessions, "quickbooks", body)
    return Response(json.dumps({"stored": delivery}), status=200, mimetype="application/json")


@bp.post("/xero")
def xero() -> Response:
    _, sessions = _resources()
    body = request.get_data(cache=False)
    if not signature_ok(_secret("xero"), body, request.headers.get("x-xero-signature")):
        log.warning("Xero webhook refused: bad signature (%d bytes, not processed)", len(body))
        return _empty(401)
    payload = _json(body)
    if payload is None or not xero_shape_ok(payload):
        return _empty(400)
    if isinstance(payload, dict) and payload.get("events"):  # an intent-to-receive probe has none
        _store(sessions, "xero", body)
    return _empty(200)


def _json(body: bytes) -> Any:
    try:
        return read_json(body)
    except BodyRefused:
        return None


def _store(sessions: sessionmaker[Session], platform: str, body: bytes) -> int:
    with transaction(sessions) as session:
        return store_delivery(session, platform, body, datetime.now(UTC))
