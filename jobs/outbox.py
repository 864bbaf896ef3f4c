"""drain_outbox: every pending invoice intent becomes exactly one draft invoice.

Crash safety, step by step:
1. claim (own transaction): rows go `processing`, attempts + 1. A worker killed after this
   leaves the row `processing`; `reclaim_stale` puts it back after `reclaim_after_seconds`.
2. the gateway call (no transaction open). A retry of an intent that was claimed before
   (attempts > 1) passes `outcome_unknown=True`, so the gateway looks the key up before it
   creates; the create itself carries the platform's idempotency key (requestid /
   Idempotency-Key). So a kill -9 anywhere in between yields one invoice, not two.
3. complete (own transaction, the row re-read under lock): only a row still `processing`
   is completed, so two workers that both delivered (after a reclaim) record one invoice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.platforms.errors import NeedsReconnect, PlatformError, RetriableError
from connector.store import outbox as store_outbox
from connector.store.db import transaction
from connector.store.models import ConnectionRow, OutboxRow

from .connections import connection_for, mapping_for
from .context import JobContext
from .runs import Counts, describe

log = logging.getLogger("milepost.jobs.outbox")
BATCH = 10


def drain_outbox(ctx: JobContext, now: datetime, *, limit: int = 200) -> Counts:
    """Carry pending intents to the platforms until none is left (or `limit` were tried)."""
    counts = {"created": 0, "failed": 0, "retry": 0, "reclaimed": 0}
    with transaction(ctx.sessions) as session:
        counts["reclaimed"] = store_outbox.reclaim_stale(
            session, timedelta(seconds=ctx.reclaim_after_seconds), now
        )
    tried = 0
    while tried < limit:
        with transaction(ctx.sessions) as session:
            claimed = store_outbox.claim_pending(session, limit=BATCH)
        if not claimed:
            break
        for item in claimed:
            tried += 1
            counts[_deliver(ctx, item, now)] += 1
    return counts


def _deliver(ctx: JobContext, item: store_outbox.ClaimedIntent, now: datetime) -> str:
    intent = item.intent
    with ctx.sessions() as session:
        connection_id = connection_for(session, intent.project_key, item.connection_id)
        mapping = mapping_for(session, connection_id) if connection_id is not None else None
        platform = _platform(session, connection_id)
    if connection_id is None or mapping is None:
        return _put_back(ctx, item.id, "no active connection to create the invoice in")
    try:
        gateway = ctx.gateway_for(connection_id)
        customer = gateway.find_or_create_customer(intent.customer)
        resolved = gateway.resolve_settings(mapping, intent.lines)
        made = gateway.create_draft_invoice(
            intent, customer, resolved, outcome_unknown=item.attempts > 1
        )
    except NeedsReconnect as error:
        return _put_back(ctx, item.id, describe(error))
    except Exception as error:  # noqa: BLE001 - recorded on the row; the drain goes on
        retry = isinstance(error, RetriableError) or not isinstance(error, PlatformError)
        with transaction(ctx.sessions) as session:
            status = store_outbox.fail(
                session, item.id, describe(error), max_attempts=ctx.settings.worker.max_attempts,
                retryable=retry,
            )
        log.warning("intent %s: %s", intent.idempotency_key, describe(error))
        return "retry" if status == store_outbox.PENDING else "failed"
    created = store_outbox.CreatedInvoice(
        platform=platform, platform_id=made.platform_id, number=made.number or "",
        status=made.status, total=made.total.amount, balance=made.total.amount,
        due_date=intent.due_date, connection_id=connection_id,
    )
    with transaction(ctx.sessions) as session:
        if _still_processing(session, item.id):
            store_outbox.complete(session, item.id, created, now)
    return "created"


def _platform(session: Session, connection_id: int | None) -> str:
    row = session.get(ConnectionRow, connection_id) if connection_id is not None else None
    return row.platform if row is not None else ""


def _still_processing(session: Session, outbox_id: int) -> bool:
    query = select(OutboxRow.status).where(OutboxRow.id == outbox_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query).one() == store_outbox.PROCESSING


def _put_back(ctx: JobContext, outbox_id: int, why: str) -> str:
    """Not the intent's fault (no company, grant dead): wait without spending an attempt."""
    with transaction(ctx.sessions) as session:
        row = session.get(OutboxRow, outbox_id)
        if row is not None and row.status == store_outbox.PROCESSING:
            row.status, row.attempts, row.last_error = store_outbox.PENDING, row.attempts - 1, why
    return "retry"
