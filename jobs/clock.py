"""APScheduler 3: the embedded worker's scheduler, and the scale-out clock.

`embedded_scheduler(ctx)` runs the jobs themselves in the scheduler's own thread pool
(`milepost worker`, `milepost run`). `enqueueing_scheduler(enqueue)` runs nothing but
`enqueue(task, args)` calls on the same timetable (`milepost clock` in front of Celery).

The timetable: the outbox, the stored webhook deliveries and the "is any connection due?" check
every second (an acceptance becomes a draft invoice within a second or two, and a webhook's
sync request is picked up as fast; each check is one cheap query when idle: `make bench` put
the 95th percentile from acceptance to draft past 2 s with a 2 s tick, the tick's own wait
being most of it); the other jobs at the `[worker]` intervals.
The clock sends a connection's sync again as soon as the last one it sent has run (`SyncEnqueuer`).
Every job has `max_instances=1` and `coalesce=True`: a slow run is never stacked on itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connector.config import WorkerSettings
from connector.store.models import JobRunRow

from .context import JobContext, utcnow
from .runner import connections_due, run_job, sync_due

log = logging.getLogger("milepost.jobs.clock")
FAST_SECONDS = 1.0
HOUSEKEEPING_SECONDS = 86400

Enqueue = Callable[[str, tuple[Any, ...]], None]


def timetable(worker: WorkerSettings, fast: float = FAST_SECONDS) -> dict[str, float]:
    """Job name -> seconds between runs."""
    return {
        "drain_outbox": min(fast, worker.drain_outbox_seconds),
        "process_webhooks": fast,
        "sync_due": fast,
        "deem_acceptances": worker.deem_acceptances_seconds,
        "remind_approvers": worker.deem_acceptances_seconds,  # a reminder is due at 09:00 local
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
    syncs = SyncEnqueuer(ctx, enqueue)
    for name, seconds in timetable(ctx.settings.worker, fast).items():
        if name == "sync_due":
            target: Callable[[], object] = syncs  # noqa: E731
        else:
            target = lambda name=name: enqueue(name, ())  # type: ignore[misc]  # noqa: E731
        scheduler.add_job(target, "interval", seconds=seconds, id=name, name=name,
                          next_run_time=utcnow())
    return scheduler


class SyncEnqueuer:
    """The clock's sync tick: enqueue each due connection's sync, and again as soon as that
    sync has run, so a webhook's request is picked up on the next tick, not an interval later.

    While the task last sent for a connection is surely still waiting in the queue or running
    (no sync of it that started after the send has finished, per job_runs), the connection is
    not sent again: a backlog of workers does not grow a backlog of duplicate syncs. A task
    nobody has finished `REQUEUE_SECONDS` after its send (a lost message, a killed worker, a
    very slow sync) is sent again; the per-connection lock turns a duplicate away harmlessly.
    """

    REQUEUE_SECONDS = 30.0

    def __init__(self, ctx: JobContext, enqueue: Enqueue, *,
                 due: Callable[[datetime], list[int]] | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._ctx, self._enqueue, self._clock = ctx, enqueue, clock
        self._due = due or (lambda now: connections_due(ctx, now))
        self._sent: dict[int, datetime] = {}

    def __call__(self) -> list[int]:
        """Send what may be sent now; returns the connections sent."""
        now = self._clock()
        due = self._due(now)
        waiting = [c for c in due if c in self._sent]
        finished = last_finished_syncs(self._ctx.sessions, waiting) if waiting else {}
        sent = [c for c in due
                if may_enqueue(self._sent.get(c), finished.get(c), now, self.REQUEUE_SECONDS)]
        for connection_id in sent:
            self._sent[connection_id] = now
            self._enqueue("sync_connection", (connection_id,))
        return sent


def may_enqueue(sent_at: datetime | None, finished_run_started: datetime | None, now: datetime,
                requeue_seconds: float) -> bool:
    """May a due connection's sync be sent now? Yes if none was sent, or a sync that started
    after the last send has finished (that send was taken), or the send is long overdue."""
    if sent_at is None:
        return True
    if finished_run_started is not None and finished_run_started >= sent_at:
        return True
    return (now - sent_at).total_seconds() >= requeue_seconds


def last_finished_syncs(sessions: sessionmaker[Session], connection_ids: list[int]) -> dict[int, datetime]:
    """Connection -> when the latest of its *finished* sync runs started (one query)."""
    with sessions() as session:
        rows = session.execute(
            select(JobRunRow.connection_id, func.max(JobRunRow.started_at))
            .where(JobRunRow.job == "sync_connection", JobRunRow.connection_id.in_(connection_ids),
                   JobRunRow.finished_at.is_not(None))
            .group_by(JobRunRow.connection_id)
        ).all()
    return {int(c): _aware(started) for c, started in rows if c is not None and started is not None}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
