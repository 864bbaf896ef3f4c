"""`milepost clock`, with a due connection's sync re-enqueued as soon as the last one ran.

`python -m tests.e2e.prompt_clock` is `python -m connector.cli clock` with one change, for the
scale-out tests: `jobs.clock._SyncEnqueuer` holds a due connection back for a flat 30 seconds
after enqueueing its sync, even when that sync ran in 50 ms. With a poll interval of a few
seconds (or a webhook's request to sync now) the clock then syncs each connection at most
every 30 seconds, and the end-to-end tests spend most of their time waiting for that.

`PromptSyncEnqueuer` keeps the 30 seconds only for a task that is surely still queued: once a
sync of the connection has *started* since the last enqueue (a job_runs row), the connection
may be enqueued again as soon as it is due. This is the fix proposed for jobs/clock.py; until
it lands there, the tests run the clock through this adapter.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import jobs.clock
from connector.cli import main
from connector.store.models import JobRunRow
from jobs.context import utcnow
from jobs.runner import connections_due


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class PromptSyncEnqueuer(jobs.clock._SyncEnqueuer):
    def __call__(self) -> None:
        now = utcnow()
        due = connections_due(self._ctx, now)
        if not due:
            return
        with self._ctx.sessions() as session:
            started = dict(session.execute(
                select(JobRunRow.connection_id, func.max(JobRunRow.started_at))
                .where(JobRunRow.job == "sync_connection", JobRunRow.connection_id.in_(due))
                .group_by(JobRunRow.connection_id)
            ).all())
        for connection_id in due:
            last = self._sent.get(connection_id)
            ran = started.get(connection_id)
            taken = ran is not None and last is not None and _aware(ran).timestamp() >= last
            if last is not None and not taken and now.timestamp() - last < self.REQUEUE_SECONDS:
                continue
            self._sent[connection_id] = now.timestamp()
            self._enqueue("sync_connection", (connection_id,))


def spawn_prompt_clock(stack: Any, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """Start this clock beside `stack` (a tests.jobs_harness.Stack); its log goes to `log`,
    never to a pipe nobody reads (a full pipe would stall the clock mid-test)."""
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "tests.e2e.prompt_clock"],
                                   cwd=Path(__file__).resolve().parents[2], env=stack.env(**env),
                                   stdout=out, stderr=subprocess.STDOUT)
    stack.workers.append(process)
    return process


if __name__ == "__main__":
    jobs.clock._SyncEnqueuer = PromptSyncEnqueuer  # type: ignore[misc]
    sys.exit(main(["clock", *sys.argv[1:]]))
