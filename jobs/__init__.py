"""Background work: the job functions, the APScheduler clock, the Celery app.

Map:
    context.py      JobContext: sessions, gateways, locks, rate gate (built per process)
    outbox.py       drain_outbox          intents -> draft invoices, exactly once
    acceptance.py   deem_acceptances      lapsed approval windows -> deemed acceptances
    sync.py         sync_connection       change feed -> invoice statuses, payments, sync log
    reminders.py    remind                platform invoice e-mails before/on/after due
    late_fees.py    charge_late_fees      a late-fee draft per overdue period, once
    pause_work.py   flag_pause_work       pause-work flags and their signed notification
    maintenance.py  refresh_tokens, housekeeping
    runs.py         job_runs records around every run; one_item isolates a project/invoice
    infrastructure.py  which failures are outages (database, Redis, broker), never the item's
    locks.py        one sync per connection (Redis, PostgreSQL advisory, or process lock)
    runner.py       the job table; run_once (`worker --once`), sync_due, sync_all
    clock.py        APScheduler 3: embedded scheduler, or the enqueueing clock
    celery_app.py   Celery app and tasks (`celery -A jobs worker`)
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # `celery -A jobs` looks for `jobs.app`; import Celery only when it is asked for.
    if name in ("app", "celery"):
        from .celery_app import app

        return app
    raise AttributeError(name)
