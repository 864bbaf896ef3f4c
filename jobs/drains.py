"""One drain loop for every kind of outbox row (invoice intents, credits, voids).

Each connection's rows are carried by a lane of their own, the lanes side by side on a thread
pool (at most `LANES` threads), so a company that answers slowly, or whose rate budget is
spent, holds up no other company's rows; within a lane rows go oldest first, one at a time.
Rows not bound to a connection yet have a lane of their own, which may reach a company (its
organisation's only one) while that company's lane does: the rate gate's budgets and
concurrency caps hold across lanes and workers, and remembering a customer both met is safe. Each lane opens its connection's gateway once (`ctx.one_pass`, per
thread) and keeps its own counts, added to the run's when every lane is done.

Each row is carried once per run (a row put back waits for the next run); `limit` bounds the
rows each lane tries in a run, so a busy company cannot use up a limit the others share. An
outage met mid-batch (`jobs.infrastructure`) puts the rest of the batch back with no attempt
spent and ends the run, which records the error: every other lane puts back what it claimed
and has not started, and claims no more. Any other error ends the run the same way (its own
lane's claimed rows are left for `reclaim_stale`, as its cause is unknown). A dead grant puts
the row back to wait for a reconnect.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
LANES = 24  # threads per drain at most: 10 QuickBooks companies and 10 Xero organisations fit


class Claimed(Protocol):
    @property
    def id(self) -> int: ...


C = TypeVar("C", bound=Claimed)
R = TypeVar("R", bound=InvoiceRequest)
T = TypeVar("T")
Claim = Callable[[Session, int, Collection[int], "int | None"], Sequence[C]]


@dataclass
class _Stop:
    """Set by the first lane that fails: the others claim no more and put back what is left."""

    event: threading.Event = field(default_factory=threading.Event)
    errors: list[Exception] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, error: Exception) -> None:
        with self.lock:
            self.errors.append(error)
        self.event.set()

    @property
    def cause(self) -> tuple[str, str]:
        """Why the lanes still going stop, and the cause their put-back rows are marked with."""
        with self.lock:
            error = self.errors[0]
        outage = is_infrastructure(error)
        why = describe(error) if outage else f"the drain stopped: {describe(error)}"
        return why, store_outbox.INFRASTRUCTURE if outage else store_outbox.WAITING


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
    """One lane for every row (mail, webhook deliveries: no connection to go by): claim and
    deliver until none is left or `limit` were tried; each outcome counted, each problem noted
    with the row's key."""
    _lane(ctx, now, counts, None, lambda s, n, skip, _: claim(s, n, skip), deliver, key_of, limit, _Stop())


def drain_by_connection(
    ctx: JobContext,
    now: datetime,
    counts: Tally,
    kind: str,
    claim: Claim[C],
    deliver: Callable[[JobContext, C, datetime], tuple[str, str]],
    key_of: Callable[[C], str],
    *,
    limit: int = 200,
) -> None:
    """Claim and deliver the pending outbox rows of `kind`, a lane per connection, until none is
    left or each lane tried `limit`; each outcome counted, each problem noted with the row's key."""
    with ctx.sessions() as session:
        connections = store_outbox.pending_connections(session, kind)
    if not connections:
        return
    stop = _Stop()

    def lane(connection: int | None) -> Tally:
        tally = Tally()
        try:
            with ctx.one_pass():
                _lane(ctx, now, tally, connection, claim, deliver, key_of, limit, stop)
        except Exception as error:
            stop.fail(error)
            raise
        return tally

    with ThreadPoolExecutor(min(LANES, len(connections)), thread_name_prefix="drain") as pool:
        # each lane logs with the run's fields (job, run id): a copy of this thread's context
        lanes = [pool.submit(contextvars.copy_context().run, lane, c) for c in connections]
    for done in lanes:
        if done.exception() is None:
            tally = done.result()
            for outcome, n in tally.items():
                counts[outcome] = counts.get(outcome, 0) + n
            counts.problems.extend(tally.problems)
    if stop.errors:
        raise stop.errors[0]  # the run records it; the next drain (or reclaim) carries on


def _lane(
    ctx: JobContext, now: datetime, counts: Tally, connection: int | None, claim: Claim[C],
    deliver: Callable[[JobContext, C, datetime], tuple[str, str]], key_of: Callable[[C], str],
    limit: int, stop: _Stop,
) -> None:
    """One connection's rows, oldest first, until none is left, `limit` were tried or another
    lane failed."""
    tried: set[int] = set()
    while len(tried) < limit and not stop.event.is_set():
        with transaction(ctx.sessions) as session:
            claimed = claim(session, min(BATCH, limit - len(tried)), tried, connection)
        if not claimed:
            return
        for index, item in enumerate(claimed):
            if stop.event.is_set():
                why, cause = stop.cause
                put_back_outage(ctx, [c.id for c in claimed[index:]], why, cause)
                return
            tried.add(item.id)
            try:
                with logs.bound(item=key_of(item)):  # its lines (platform calls too) carry its key
                    outcome, problem = deliver(ctx, item, now)
            except Exception as error:
                if is_infrastructure(error):
                    put_back_outage(ctx, [c.id for c in claimed[index:]], describe(error))
                raise
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


def put_back_outage(ctx: JobContext, outbox_ids: list[int], why: str,
                    cause: str = store_outbox.INFRASTRUCTURE) -> None:
    """An outage met mid-batch (`jobs.infrastructure`), or another lane's failure that ended the
    run (`cause` then says waiting): every claimed row not yet carried waits again, no attempt
    spent. If the database itself is what is down this cannot be written either; then the rows
    stay `processing` and `reclaim_stale` returns them."""
    try:
        with transaction(ctx.sessions) as session:
            for outbox_id in outbox_ids:
                store_outbox.put_back(session, outbox_id, why, cause)
    except Exception as error:  # noqa: BLE001 - the original outage is what the run records
        if not is_infrastructure(error):
            raise
        log.warning("%d outbox rows left for reclaim: %s", len(outbox_ids), describe(error))
