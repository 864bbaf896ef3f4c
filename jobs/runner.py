"""The job table and the two ways to run it: everything once (`run_once`), or one job by name.

Both the embedded scheduler and the Celery tasks call `run_job(ctx, name)` /
`run_sync(ctx, connection_id)`: the same functions, each under a job_runs record. The mode is
configuration (which context, which clock), never a second code path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from .acceptance import deem_acceptances
from .connections import active_connections
from .context import JobContext, utcnow
from .late_fees import charge_late_fees
from .maintenance import housekeeping, refresh_tokens
from .outbox import drain_outbox
from .pause_work import flag_pause_work
from .reminders import remind
from .runs import Counts, recorded
from .sync import sync_connection
from .tables import SyncStateRow
from .webhooks import process_webhooks

Job = Callable[[JobContext, datetime], Counts]

JOBS: dict[str, Job] = {
    "drain_outbox": drain_outbox,
    "process_webhooks": process_webhooks,
    "deem_acceptances": deem_acceptances,
    "remind": remind,
    "charge_late_fees": charge_late_fees,
    "flag_pause_work": flag_pause_work,
    "refresh_tokens": refresh_tokens,
    "housekeeping": housekeeping,
}
ONCE_ORDER = ("refresh_tokens", "deem_acceptances", "drain_outbox", "process_webhooks", "sync", "remind",
              "charge_late_fees", "drain_outbox", "flag_pause_work")


def run_job(ctx: JobContext, name: str, now: datetime | None = None) -> Counts:
    job = JOBS[name]
    return recorded(ctx, name, lambda: job(ctx, now or utcnow()))


def run_sync(ctx: JobContext, connection_id: int, now: datetime | None = None) -> Counts:
    return recorded(
        ctx, "sync_connection", lambda: sync_connection(ctx, connection_id, now or utcnow()),
        connection_id,
    )


def connections_due(ctx: JobContext, now: datetime) -> list[int]:
    """Connections a webhook asked to sync, or whose last sync is older than the interval."""
    every = timedelta(seconds=ctx.settings.worker.sync_seconds)
    with ctx.sessions() as session:
        active = active_connections(session)
        fresh = set(
            session.scalars(
                select(SyncStateRow.connection_id).where(
                    SyncStateRow.last_synced_at > now - every,
                    or_(SyncStateRow.requested_at.is_(None),
                        SyncStateRow.requested_at <= SyncStateRow.last_synced_at),
                )
            )
        )
    return [c for c in active if c not in fresh]


def sync_due(ctx: JobContext, now: datetime | None = None) -> int:
    """Sync every connection that is due, one after another; returns how many were due."""
    due = connections_due(ctx, now or utcnow())
    for connection_id in due:
        run_sync(ctx, connection_id)
    return len(due)


def sync_all(ctx: JobContext, connection_id: int | None = None) -> int:
    """`milepost sync [--connection ID]`: sync now, due or not."""
    with ctx.sessions() as session:
        targets = [connection_id] if connection_id is not None else active_connections(session)
    for target in targets:
        run_sync(ctx, target)
    return len(targets)


def run_once(ctx: JobContext, now: datetime | None = None) -> dict[str, Counts]:
    """`milepost worker --once`: every job that is due, once, in an order where each feeds the
    next (acceptances deemed before the drain, payments synced before fees are judged). A job
    that runs twice (the drain, again for late-fee drafts) reports the sum of both runs."""
    results: dict[str, Counts] = {}
    for name in ONCE_ORDER:
        counts = {"connections": sync_due(ctx, now)} if name == "sync" else run_job(ctx, name, now)
        earlier = results.get(name, {})
        results[name] = {key: earlier.get(key, 0) + value for key, value in counts.items()}
    return results
