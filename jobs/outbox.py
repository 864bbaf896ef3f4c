"""drain_outbox: every pending invoice intent becomes exactly one draft invoice.

Crash safety, step by step:
1. claim (own transaction): rows go `processing`, attempts + 1. A worker killed after this
   leaves the row `processing`; `reclaim_stale` puts it back after `reclaim_after_seconds`.
2. the gateway call (no transaction open). A retry of an intent that was claimed before
   (attempts > 1) passes `outcome_unknown=True`, so the gateway looks the key up before it
   creates, and looks at the invoice's attachments before uploading any; the create itself
   carries the platform's idempotency key (requestid / Idempotency-Key). So a kill -9
   anywhere in between yields one invoice with one copy of each file, not two.
3. complete (own transaction, the row re-read under lock): only a row still `processing`
   is completed, so two workers that both delivered (after a reclaim) record one invoice.

What a failure does to the intent (by its cause):
- waiting (no connection chosen, the rate gate held a call back): back to pending, no attempt
  spent, tried again by the next drain;
- authentication (the grant refused even after one forced refresh: the connection is now
  `needs_reconnect` or `disconnected`): back to pending, no attempt spent, marked as waiting
  for authentication so reconnecting the company gives it (and any that failed for that
  before) a fresh start (`store.outbox.requeue_after_reconnect`);
- infrastructure (the database, Redis or the broker is down, `jobs.infrastructure`): not the
  intent's fault: it and the rest of the claimed batch go back to pending, no attempt spent,
  and the run ends recording the error (the next intent would meet the same outage). When
  even that cannot be written, the rows stay `processing` and are reclaimed later;
- a platform fault worth retrying (RetriableError: throttling, 5xx, network, unknown outcome):
  back to pending until `max_attempts`;
- anything else (a refused payload, a missing setting, a bug such as a ValueError): failed at
  once with its message; a bug is also logged once with its traceback.
An intent put back once is looked up by its key before it is created again (the outage or
refusal may have come after the create reached the platform). Every failure also goes into
the run's record, so `milepost jobs` says what went wrong.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from connector.billing.model import SourceDocument
from connector.platforms.endpoints import uses_sandbox
from connector.platforms.errors import HeldBack, NeedsReconnect, PlatformError, RetriableError
from connector.platforms.gateway import Attachment, CreatedInvoice
from connector.store import outbox as store_outbox
from connector.store.db import transaction
from connector.store.mapping_rows import remember_customer
from connector.store.models import OutboxRow
from mappings.settings import MappingSettings, Ref

from .batch_reads import BatchReads, ClaimedWithReads, with_reads
from .connections import mapping_from
from .context import JobContext
from .credits import drain_credits
from .deliveries import drain_webhooks
from .drains import drain_by_connection
from .infrastructure import is_infrastructure
from .mail import drain_mail
from .runs import Tally, describe
from .tables import SyncLogRow
from .voids import drain_voids

log = logging.getLogger("milepost.jobs.outbox")


@dataclass(frozen=True)
class Delivery:
    """Everything the gateway call needs that the store knows, read before any I/O."""

    connection_id: int
    platform: str
    mapping: MappingSettings
    customer_id: str | None
    attachments: tuple[Attachment, ...] = field(default=(), repr=False)
    source: SourceDocument | None = None  # the estimate or quote the project was imported from


def drain_outbox(ctx: JobContext, now: datetime, *, limit: int = 200) -> Tally:
    """Carry pending intents to the platforms until none is left (or each connection's lane
    tried `limit`, `jobs.drains`), then the pending credit requests (`jobs.credits`) and void
    requests (`jobs.voids`), so neither overtakes its invoice, and a credit asked before a void
    is issued before it; last the outbound webhook events (`jobs.deliveries`), those this run's
    invoices queued included, and queued e-mail (`jobs.mail`), including what this run's
    failures queued for the bookkeeper."""
    counts = Tally(created=0, failed=0, retry=0, reclaimed=0)
    with transaction(ctx.sessions) as session:
        counts["reclaimed"] = store_outbox.reclaim_stale(
            session, timedelta(seconds=ctx.reclaim_after_seconds), now
        )
    # a lane per connection, each with its gateway opened once (`jobs.drains`); the credits
    # start when every intent's lane is done, the voids when every credit's is; each claimed
    # batch comes with its store reads (`jobs.batch_reads`)
    drain_by_connection(
        ctx, now, counts, store_outbox.INVOICE,
        lambda s, n, skip, lane: with_reads(
            s, ctx.sessions, store_outbox.claim_pending(s, limit=n, skip=skip, connection=lane)),
        _deliver, lambda item: item.claimed.intent.idempotency_key, limit=limit)
    drain_credits(ctx, now, counts, limit=limit)
    drain_voids(ctx, now, counts, limit=limit)
    drain_webhooks(ctx, now, counts, limit=limit)
    drain_mail(ctx, now, counts, limit=limit)
    return counts


def _deliver(ctx: JobContext, claimed: ClaimedWithReads, now: datetime) -> tuple[str, str]:
    """One intent to its books: ("created" | "retry" | "failed", what went wrong)."""
    item, reads = claimed.claimed, claimed.reads
    intent = item.intent
    try:
        route = reads.route(item)
        delivery = _delivery(ctx, reads, item, route.connection_id) if route.connection_id else None
        if delivery is None:
            return _put_back(ctx, item.id, route.waiting), route.waiting
        gateway = ctx.gateway_for(delivery.connection_id)
        gateway.check_currency(intent.currency)  # before the customer: nothing is created
        customer = gateway.find_or_create_customer(intent.customer, known_id=delivery.customer_id)
        resolved = gateway.resolve_settings(delivery.mapping, intent.lines)
        made = gateway.create_draft_invoice(
            replace(intent, source=delivery.source), customer, resolved, delivery.attachments,
            outcome_unknown=item.attempts > 1 or item.put_back_before,
        )
    except SQLAlchemyError:
        raise  # the store is in trouble, not the intent: the caller puts it back, the run records it
    except NeedsReconnect as error:
        return _put_back(ctx, item.id, describe(error), store_outbox.AUTH), describe(error)
    except HeldBack as error:
        return _put_back(ctx, item.id, describe(error)), describe(error)
    except Exception as error:
        if is_infrastructure(error):
            raise  # Redis or the broker is down, not the intent's fault: put back by the caller
        return _failed(ctx, item, error), describe(error)
    with transaction(ctx.sessions) as session:
        if customer.id != delivery.customer_id:
            remember_customer(session, delivery.connection_id, intent.customer, customer.id, customer.name)
            session.add(SyncLogRow(connection_id=delivery.connection_id, message=_customer_decision(
                intent.customer.company or intent.customer.name, customer)))
        locked = _still_processing(session, item.id)  # held, so complete() finds it in the session
        if locked is not None:
            store_outbox.complete(session, locked.id, _created(made, intent.due_date, delivery), now)
    if customer.id != delivery.customer_id:
        reads.remember(delivery.connection_id, intent.customer, customer.id)  # now stored
    return "created", ""


def _customer_decision(wanted: str, found: Ref) -> str:
    """The sync log's line for a customer matched or created: a bookkeeper can check it."""
    if found.how == "created":
        return f"customer {wanted!r}: no customer in the books matched; created {found.name!r} (id {found.id})"
    return f"customer {wanted!r}: matched {found.name!r} (id {found.id}) by {found.how or 'lookup'}"


def _delivery(ctx: JobContext, reads: BatchReads, item: store_outbox.ClaimedIntent, connection_id: int) -> Delivery:
    intent = item.intent
    platform = reads.platform(connection_id)
    mapping = mapping_from(connection_id, platform, reads.connection_mapping(connection_id),
                           reads.project_mapping(intent.project_key),
                           sandbox=uses_sandbox(ctx.settings, platform or ""))
    files = reads.files(intent.project_key, store_outbox.billed_milestones(intent))
    return Delivery(
        connection_id=connection_id,
        platform=platform or "",
        mapping=mapping,
        customer_id=reads.known_customer(connection_id, intent.customer),
        attachments=tuple(Attachment(f.filename, content_type=f.content_type, loader=f.load) for f in files),
        source=reads.source(intent.project_key, connection_id),
    )


def _created(made: CreatedInvoice, due: object, delivery: Delivery) -> store_outbox.CreatedInvoice:
    return store_outbox.CreatedInvoice(
        platform=delivery.platform, platform_id=made.platform_id, number=made.number or "",
        status=made.status, total=made.total.amount, balance=made.total.amount,
        due_date=due,  # type: ignore[arg-type]
        connection_id=delivery.connection_id,
    )


def _failed(ctx: JobContext, item: store_outbox.ClaimedIntent, error: Exception) -> str:
    """Only a platform fault worth retrying is retried; anything else fails the intent now."""
    retry = isinstance(error, RetriableError)
    if not isinstance(error, PlatformError):
        log.error("intent %s failed: %s", item.intent.idempotency_key, describe(error), exc_info=error)
    else:
        log.warning("intent %s: %s", item.intent.idempotency_key, describe(error))
    with transaction(ctx.sessions) as session:
        status = store_outbox.fail(
            session, item.id, describe(error), max_attempts=ctx.settings.worker.max_attempts,
            retryable=retry,
        )
    return "retry" if status == store_outbox.PENDING else "failed"


def _still_processing(session: Session, outbox_id: int) -> OutboxRow | None:
    """The claimed row, locked, while it is still processing (None once another worker completed it)."""
    query = select(OutboxRow).where(OutboxRow.id == outbox_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query).one()
    return row if row.status == store_outbox.PROCESSING else None


def _put_back(ctx: JobContext, outbox_id: int, why: str, cause: str = store_outbox.WAITING) -> str:
    """Not the intent's fault (no company chosen, grant dead, budget spent): wait without
    spending an attempt."""
    with transaction(ctx.sessions) as session:
        store_outbox.put_back(session, outbox_id, why, cause)
    return "retry"
