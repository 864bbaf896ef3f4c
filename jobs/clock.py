"""APScheduler 3: the embedded worker's scheduler, and the scale-out clock.

`embedded_scheduler(ctx)` runs the jobs themselves in the scheduler's own thread pool
(`milepost worker`, `milepost run`). `enqueueing_scheduler(enqueue)` runs nothing but
`enqueue(task, args)` calls on the same timetable (`milepost clock` in front of Celery).

The timetable: the outbox and the "is any connection due?" check every couple of seconds (an
acceptance becomes a draft invoice within seconds, and a webhook's sync request is picked up as
fast; both checks are one cheap query when idle); the other jobs at the `[worker]` intervals.
Every job has `max_instances=1` and `coalesce=True`: a slow run is never stacked on itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from connector.config import WorkerSettings

from .context import JobContext, utcnow
from .runner import connections_due, run_job, sync_due

log = logging.getLogger("milepost.jobs.clock")
FAST_SECONDS = 2.0
HOUSEKEEPING_SECONDS = 86400

Enqueue = Callable[[str, tuple[Any, ...]], None]


def timetable(worker: WorkerSettings, fast: float = FAST_SECONDS) -> dict[str, float]:
    """Job name -> seconds between runs."""
    return {
        "drain_outbox": min(fast, worker.drain_outbox_seconds),
        "sync_due": fast,
        "deem_acceptances": worker.deem_acceptances_seconds,
        "remind": worker.reminders_seconds,
        "charge_late_fees": worker.late_fees_seconds,
        "flag_pause_work": worker.late_fees_seconds,
        "refresh_tokens": worker.refresh_tokens_seconds,
        "housekeeping": HOUSEKEEPING_SECONDS,
    }


def _scheduler(blocking: bool, threads: int) -> BaseScheduler:
    kind = BlockingScheduler if blocking else BackgroundScheduler
    return kind(
        executors={"default": ThreadPoolExecutor(threads)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        timezone="UTC",
    )


def embedded_scheduler(ctx: JobContext, *, blocking: bool = False, threads: int = 4,
                       fast: float = FAST_SECONDS) -> BaseScheduler:
    """The worker: jobs run in this scheduler's thread pool. Call `.start()`, later `.shutdown()`."""
    scheduler = _scheduler(blocking, threads)
    for name, seconds in timetable(ctx.settings.worker, fast).items():
        if name == "sync_due":
            target: Callable[[], object] = lambda: sync_due(ctx)  # noqa: E731
        else:
            target = lambda name=name: run_job(ctx, name)  # type: ignore[misc]  # noqa: E731
        scheduler.add_job(target, "interval", seconds=seconds, id=name, name=name,
                          next_run_time=utcnow())
    return scheduler


def enqueueing_scheduler(ctx: JobContext, enqueue: Enqueue, *, blocking: bool = True,
                         fast: float = FAST_SECONDS) -> BaseScheduler:
    """The clock: puts tasks on the queue on the same timetable, runs none of them itself."""
    scheduler = _scheduler(blocking, 2)
    syncs = _SyncEnqueuer(ctx, enqueue)
    for name, seconds in timetable(ctx.settings.worker, fast).items():
        if name == "sync_due":
            target: Callable[[], object] = syncs  # noqa: E731
        else:
            target = lambda name=name: enqueue(name, ())  # type: ignore[misc]  # noqa: E731
        scheduler.add_job(target, "interval", seconds=seconds, id=name, name=name,
                          next_run_time=utcnow())
    return scheduler


class _SyncEnqueuer:
    """Enqueue a due connection's sync, but not again while that task is surely still queued
    (`REQUEUE_SECONDS`), so a backlog of workers does not grow a backlog of duplicate syncs."""

    REQUEUE_SECONDS = 30.0

    def __init__(self, ctx: JobContext, enqueue: Enqueue) -> None:
        self._ctx, self._enqueue = ctx, enqueue
        self._sent: dict[int, float] = {}

    def __call__(self) -> None:
        now = utcnow()
        for connection_id in connections_due(self._ctx, now):
            last = self._sent.get(connection_id)
            if last is not None and now.timestamp() - last < self.REQUEUE_SECONDS:
                continue
            self._sent[connection_id] = now.timestamp()
            self._enqueue("sync_connection", (connection_id,))
