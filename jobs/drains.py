"""One drain loop for every kind of outbox row (invoice intents, credits, voids).

Each row is carried once per run (a row put back waits for the next run); an outage met
mid-batch (`jobs.infrastructure`) puts the rest of the batch back with no attempt spent and
ends the run, which records the error; a dead grant puts the row back to wait for a reconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from connector import logs
from connector.store import outbox as store_outbox
from connector.store.db import transaction

from .context import JobContext
from .infrastructure import is_infrastructure
from .runs import Tally, describe

log = logging.getLogger("milepost.jobs.drains")
BATCH = 10


class Claimed(Protocol):
    @property
    def id(self) -> int: ...


C = TypeVar("C", bound=Claimed)


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
