"""Scale-out: the same job functions as Celery tasks (`celery -A jobs worker`).

Tasks are acknowledged late and rejected when their worker dies (`acks_late`,
`task_reject_on_worker_lost`), so a task whose worker was killed runs again elsewhere; every
job is idempotent, so running twice is harmless. One prefetched task per worker process keeps a
slow sync from holding others hostage. Locks and rate budgets live in Redis (the context's
CELERY mode), so "one sync per connection" and the platforms' limits hold across machines.

The broker is `[worker] broker_url`; there is no result backend (job_runs is the record).
"""

from __future__ import annotations

import threading
from typing import Any

from celery import Celery

from connector.config import load_settings

from .context import CELERY, JobContext, build_context
from .runner import run_job, run_sync

TASK_PREFIX = "milepost."
_context: list[JobContext] = []
_context_lock = threading.Lock()


def make_celery(broker_url: str) -> Celery:
    celery = Celery("milepost", broker=broker_url, include=["jobs.celery_app"])
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 900},
        worker_hijack_root_logger=False,
    )
    return celery


app = make_celery(load_settings().worker.broker_url)


def context() -> JobContext:
    """One context per worker process, built on first use (after the fork)."""
    with _context_lock:
        if not _context:
            _context.append(build_context(load_settings(), mode=CELERY))
        return _context[0]


def _job_task(name: str) -> Any:
    @app.task(name=TASK_PREFIX + name)
    def task() -> dict[str, int]:
        return run_job(context(), name)

    return task


drain_outbox = _job_task("drain_outbox")
process_webhooks = _job_task("process_webhooks")
deem_acceptances = _job_task("deem_acceptances")
remind_approvers = _job_task("remind_approvers")
remind = _job_task("remind")
charge_late_fees = _job_task("charge_late_fees")
flag_pause_work = _job_task("flag_pause_work")
refresh_tokens = _job_task("refresh_tokens")
housekeeping = _job_task("housekeeping")


@app.task(name=TASK_PREFIX + "sync_connection")
def sync_connection(connection_id: int) -> dict[str, int]:
    return run_sync(context(), int(connection_id))


def enqueue(name: str, args: tuple[Any, ...] = ()) -> None:
    """What the clock calls: put one task on the queue by its job name."""
    app.send_task(TASK_PREFIX + name, args=list(args))
