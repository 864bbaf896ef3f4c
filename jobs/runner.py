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
from .mail import remind_approvers
from .maintenance import housekeeping, refresh_tokens
from .outbox import drain_outbox
from .pause_work import flag_pause_work
from .reminders import remind
from .runs import ERROR, OK, PARTIAL, Counts, Tally, recorded
from .sync import sync_connection
from .tables import SyncStateRow
from .webhooks import process_webhooks

Job = Callable[[JobContext, datetime], Counts]

JOBS: dict[str, Job] = {
    "drain_outbox": drain_outbox,
    "process_webhooks": process_webhooks,
    "deem_acceptances": deem_acceptances,
    "remind_approvers": remind_approvers,
    "remind": remind,
    "charge_late_fees": charge_late_fees,
    "flag_pause_work": flag_pause_work,
    "refresh_tokens": refresh_tokens,
    "housekeeping": housekeeping,
}
ONCE_ORDER = ("refresh_tokens", "deem_acceptances", "remind_approvers", "drain_outbox", "process_webhooks", "sync", "remind",
              "charge_late_fees", "drain_outbox", "flag_pause_work")


def run_job(ctx: JobContext, name: str, now: datetime | None = None) -> Tally:
    job = JOBS[name]
    return recorded(ctx, name, lambda: job(ctx, now or utcnow()))


def run_sync(ctx: JobContext, connection_id: int, now: datetime | None = None) -> Tally:
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


def _sync_each(ctx: JobContext, targets: list[int]) -> Tally:
    """Each connection's sync under its own record; one that fails leaves the others synced.
    Counts `connections` and `failed`; the outcome is partial when any sync failed."""
    tally = Tally(connections=len(targets), failed=0)
    for connection_id in targets:
        if run_sync(ctx, connection_id).failed:
            tally["failed"] += 1
    tally.outcome = PARTIAL if tally["failed"] else OK
    return tally


def sync_due(ctx: JobContext, now: datetime | None = None) -> int:
    """Sync every connection that is due, one after another; returns how many were due."""
    return _sync_each(ctx, connections_due(ctx, now or utcnow()))["connections"]


def sync_all(ctx: JobContext, connection_id: int | None = None) -> Tally:
    """`milepost sync [--connection ID]`: sync now, due or not; `connections` counts them,
    `failed` those whose sync failed (its run record says why)."""
    with ctx.sessions() as session:
        targets = [connection_id] if connection_id is not None else active_connections(session)
    return _sync_each(ctx, targets)


def run_once(ctx: JobContext, now: datetime | None = None) -> dict[str, Tally]:
    """`milepost worker --once`: every job that is due, once, in an order where each feeds the
    next (acceptances deemed before the drain, payments synced before fees are judged). A job
    that runs twice (the drain, again for late-fee drafts) reports the sum of both runs, and
    failed if either run did (`Tally.failed`: the command then exits 1)."""
    results: dict[str, Tally] = {}
    for name in ONCE_ORDER:
        if name == "sync":
            counts = _sync_each(ctx, connections_due(ctx, now or utcnow()))
        else:
            counts = run_job(ctx, name, now)
        earlier = results.get(name, Tally())
        keys = dict.fromkeys([*earlier, *counts])  # a count only one of the runs had is kept too
        merged = Tally({key: earlier.get(key, 0) + counts.get(key, 0) for key in keys})
        merged.outcome = next((o for o in (ERROR, PARTIAL) if o in (earlier.outcome, counts.outcome)), OK)
        results[name] = merged
    return results
