"""refresh_tokens and housekeeping: keeping grants alive and tables small.

Tokens are refreshed before they expire (custody's margin) by the same single-writer path the
gateways use, so the refresh job and a busy gateway never both spend one refresh token.
Housekeeping forgets what only matters for a while: finished job runs after `JOB_RUN_DAYS`,
webhook event ids and processed webhook deliveries after `EVENT_DAYS` (platforms stop retrying
long before), and sync log lines
after `SYNC_LOG_DAYS`. Portal links carry their own signed expiry, so nothing is stored for them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from connector.platforms import custody
from connector.platforms.errors import NeedsReconnect
from connector.platforms.token_endpoint import quickbooks_refresher, xero_refresher
from connector.store import hook_messages
from connector.store.db import transaction
from connector.store.models import ConnectionRow, JobRunRow

from .context import JobContext, utcnow
from .runs import Counts, Tally, one_item
from .tables import SyncLogRow, WebhookDeliveryRow, WebhookEventRow

JOB_RUN_DAYS, EVENT_DAYS, SYNC_LOG_DAYS = 30, 30, 90


def refresh_tokens(ctx: JobContext, now: datetime) -> Tally:
    """Each due grant on its own: a refresh that fails (a platform fault, or any other of its
    own) is recorded with its connection and the others are still refreshed."""
    counts = Tally(refreshed=0, needs_reconnect=0, failed=0)
    with ctx.sessions() as session:
        due = custody.due_for_refresh(session, now)
        platforms = dict(session.execute(select(ConnectionRow.id, ConnectionRow.platform)).all())
    qb, xero = ctx.endpoints() if due else (None, None)
    for connection_id in due:
        refresher = (quickbooks_refresher(qb, utcnow) if platforms.get(connection_id) == "quickbooks"  # type: ignore[arg-type]
                     else xero_refresher(xero, utcnow))  # type: ignore[arg-type]
        with one_item(counts, f"connection {connection_id}"):
            try:
                custody.refresh_if_needed(ctx.sessions, connection_id, refresher, ctx.cipher, now=now)
                counts["refreshed"] += 1
            except NeedsReconnect:
                counts["needs_reconnect"] += 1
    return counts


def housekeeping(ctx: JobContext, now: datetime) -> Counts:
    with transaction(ctx.sessions) as session:
        runs = session.execute(
            delete(JobRunRow).where(JobRunRow.finished_at < now - timedelta(days=JOB_RUN_DAYS))
        ).rowcount  # type: ignore[attr-defined]
        events = session.execute(
            delete(WebhookEventRow).where(WebhookEventRow.received_at < now - timedelta(days=EVENT_DAYS))
        ).rowcount  # type: ignore[attr-defined]
        lines = session.execute(
            delete(SyncLogRow).where(SyncLogRow.at < now - timedelta(days=SYNC_LOG_DAYS))
        ).rowcount  # type: ignore[attr-defined]
        deliveries = session.execute(
            delete(WebhookDeliveryRow).where(WebhookDeliveryRow.processed_at < now - timedelta(days=EVENT_DAYS))
        ).rowcount  # type: ignore[attr-defined]
        hook_ids = hook_messages.forget_old(session, now)
    return {"job_runs": runs, "webhook_events": events, "sync_log": lines, "webhook_deliveries": deliveries,
            "hook_messages": hook_ids}
