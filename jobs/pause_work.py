"""flag_pause_work: a project whose oldest unpaid invoice is too long overdue is flagged.

The threshold is the project's `pause_work_after_days` (the billing core's `pause_work_due`).
A flag carries its reason (which invoice, how many days), shows in the admin app and the
report (they read `pause_flags`), and is announced by a signed POST to the configured URL:
`X-Milepost-Signature: base64(HMAC-SHA256(secret, raw body))`, the same scheme the platforms
use towards us. When the invoice is paid the flag clears itself, announced the same way.
Both are also queued as `project.pause_work` for webhook subscribers (`paused` true or false),
in the flag's own transaction, and delivered from the outbox like every outbound event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import date, datetime

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.late_fees import days_overdue, pause_work_due
from connector.store import webhook_events
from connector.store.db import transaction
from connector.store.models import InvoiceRow, ProjectRow
from connector.store.records import project_from_row
from mappings.facts import OPEN, PARTIALLY_PAID

from .context import JobContext
from .runs import Tally, one_item
from .tables import PauseFlagRow

log = logging.getLogger("milepost.jobs.pause_work")
NOTIFY_TIMEOUT_SECONDS = 10


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def flag_pause_work(ctx: JobContext, now: datetime) -> Tally:
    """Flag or clear each project in its own transaction; one whose data cannot be judged is
    recorded (`failed`, with its key) and the others are still flagged."""
    tally = Tally(flagged=0, cleared=0)
    notices: list[dict[str, object]] = []
    with ctx.sessions() as session:
        projects = list(session.execute(select(ProjectRow.id, ProjectRow.key).order_by(ProjectRow.id)).all())
    for project_id, key in projects:
        with one_item(tally, f"project {key}"):
            with transaction(ctx.sessions) as session:
                notice = _judge(session, project_id, now)
            if notice is not None:
                tally["flagged" if notice["paused"] else "cleared"] += 1
                notices.append(notice)
    for notice in notices:
        _notify(ctx, {**notice, "at": now.isoformat()})
    return tally


def _judge(session: Session, project_id: int, now: datetime) -> dict[str, object] | None:
    """Flag or clear one project; the notice to send, or None when nothing changed."""
    project_row = session.get(ProjectRow, project_id)
    if project_row is None:
        return None
    project = project_from_row(project_row)
    oldest = _oldest_unpaid(session, project_row.id)
    flag = session.get(PauseFlagRow, project_row.id)
    active = flag is not None and flag.cleared_at is None
    due = pause_work_due(project, oldest[0] if oldest else None, now)
    if due and not active:
        assert oldest is not None
        days = days_overdue(project, oldest[0], now)
        reason = (f"invoice {oldest[1]} is {days} days overdue (pause work after "
                  f"{project.pause_work_after_days})")
        if flag is None:
            flag = PauseFlagRow(project_id=project_row.id, flagged_at=now, reason=reason)
            session.add(flag)
        flag.flagged_at, flag.reason, flag.cleared_at = now, reason, None
        webhook_events.pause_work(session, project_row.id, True, reason, now)
        return {"project": project.key, "paused": True, "reason": reason}
    if active and not due:
        assert flag is not None
        flag.cleared_at = now
        webhook_events.pause_work(session, project_row.id, False, "paid", now)
        return {"project": project.key, "paused": False, "reason": "paid"}
    return None


def _oldest_unpaid(session: Session, project_id: int) -> tuple[date, str] | None:
    row = session.execute(
        select(InvoiceRow.due_date, InvoiceRow.number, InvoiceRow.platform_id)
        .where(InvoiceRow.project_id == project_id, InvoiceRow.balance > 0,
               InvoiceRow.status.in_((OPEN, PARTIALLY_PAID)), InvoiceRow.due_date.is_not(None))
        .order_by(InvoiceRow.due_date)
        .limit(1)
    ).first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1] or row[2]


def _notify(ctx: JobContext, notice: dict[str, object]) -> None:
    if not ctx.pause_webhook_url:
        return
    body = json.dumps({"event": "pause_work", **notice}, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if ctx.pause_webhook_secret:
        headers["X-Milepost-Signature"] = sign(ctx.pause_webhook_secret, body)
    try:
        requests.post(ctx.pause_webhook_url, data=body, headers=headers, timeout=NOTIFY_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        log.warning("pause-work notification not delivered: %s", type(error).__name__)
