"""One drain loop for every kind of outbox row (invoice intents, credits, voids).

Each row is carried once per run (a row put back waits for the next run); an outage met
mid-batch (`jobs.infrastructure`) puts the rest of the batch back with no attempt spent and
ends the run, which records the error; a dead grant puts the row back to wait for a reconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from connector import logs
from connector.platforms.errors import NeedsReconnect, PlatformError, RetriableError
from connector.platforms.gateway import AccountingGateway
from connector.store import outbox as store_outbox
from connector.store.db import transaction
from connector.store.invoice_requests import ClaimedRequest, InvoiceRequest

from .context import JobContext
from .infrastructure import is_infrastructure
from .runs import Tally, describe

log = logging.getLogger("milepost.jobs.drains")
BATCH = 10


class Claimed(Protocol):
    @property
    def id(self) -> int: ...


C = TypeVar("C", bound=Claimed)
R = TypeVar("R", bound=InvoiceRequest)
T = TypeVar("T")


def drain(
    ctx: JobContext,
    now: datetime,
    counts: Tally,
    claim: Callable[[Session, int, Collection[int]], Sequence[C]],
    deliver: Callable[[JobContext, C, datetime], tuple[str, str]],
    key_of: Callable[[C], str],
    *,
    limit: int = 200,
) -> None:
    """Claim and deliver rows until none is left or `limit` were tried; each outcome counted,
    each problem noted with the row's key."""
    tried: set[int] = set()
    while len(tried) < limit:
        with transaction(ctx.sessions) as session:
            claimed = claim(session, BATCH, tried)
        if not claimed:
            return
        for index, item in enumerate(claimed):
            tried.add(item.id)
            try:
                with logs.bound(item=key_of(item)):  # its lines (platform calls too) carry its key
                    outcome, problem = deliver(ctx, item, now)
            except Exception as error:
                if is_infrastructure(error):
                    put_back_outage(ctx, [c.id for c in claimed[index:]], describe(error))
                raise  # the run records it; the next drain (or reclaim) carries on
            counts[outcome] = counts.get(outcome, 0) + 1
            if problem:
                counts.problems.append(f"{key_of(item)}: {problem}")


@dataclass(frozen=True)
class Undelivered:
    """A request that did not reach its books this time: the outcome to count, and why."""

    outcome: str  # "retry" | "failed"
    problem: str


def send_request(
    ctx: JobContext, item: ClaimedRequest[R], what: str, send: Callable[[AccountingGateway], T],
) -> T | Undelivered:
    """Send a claimed void or credit (`what`) through its connection's gateway: the gateway's
    answer, or Undelivered when there is no connection, the grant is dead (put back for a
    reconnect), or the call failed (retried if worth it, else failed). A database error or an
    outage propagates, for the drain to put the batch back."""
    request = item.request
    if item.connection_id is None:
        why = f"invoice {request.invoice_label} has no connection to {what} it through"
        return Undelivered(fail_request(ctx, item, what, ValueError(why)), why)
    try:
        return send(ctx.gateway_for(item.connection_id))
    except SQLAlchemyError:
        raise
    except NeedsReconnect as error:
        return Undelivered(put_back_for_reconnect(ctx, item.id, describe(error)), describe(error))
    except Exception as error:  # noqa: BLE001 - recorded on the row and the run; the drain goes on
        if is_infrastructure(error):
            raise  # Redis or the broker is down, not the request's fault: put back by the caller
        return Undelivered(fail_request(ctx, item, what, error), describe(error))


def fail_request(ctx: JobContext, item: ClaimedRequest[R], what: str, error: Exception) -> str:
    """Only a platform fault worth retrying is retried; anything else fails the request now."""
    retry = isinstance(error, RetriableError)
    key = item.request.idempotency_key
    if isinstance(error, PlatformError):
        log.warning("%s %s: %s", what, key, describe(error))
    else:
        log.error("%s %s failed: %s", what, key, describe(error), exc_info=error)
    with transaction(ctx.sessions) as session:
        status = store_outbox.fail(session, item.id, describe(error),
                                   max_attempts=ctx.settings.worker.max_attempts, retryable=retry)
    return "retry" if status == store_outbox.PENDING else "failed"


def put_back_for_reconnect(ctx: JobContext, outbox_id: int, why: str) -> str:
    """The grant is dead: wait for a reconnect without spending an attempt."""
    with transaction(ctx.sessions) as session:
        store_outbox.put_back(session, outbox_id, why, store_outbox.AUTH)
    return "retry"


def put_back_outage(ctx: JobContext, outbox_ids: list[int], why: str) -> None:
    """An outage met mid-batch (`jobs.infrastructure`): every claimed row not yet carried waits
    again, no attempt spent. If the database itself is what is down this cannot be written
    either; then the rows stay `processing` and `reclaim_stale` returns them."""
    try:
        with transaction(ctx.sessions) as session:
            for outbox_id in outbox_ids:
                store_outbox.put_back(session, outbox_id, why, store_outbox.INFRASTRUCTURE)
    except Exception as error:  # noqa: BLE001 - the original outage is what the run records
        if not is_infrastructure(error):
            raise
        log.warning("%d outbox rows left for reclaim: %s", len(outbox_ids), describe(error))
