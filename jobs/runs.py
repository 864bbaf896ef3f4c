"""Every job run leaves a record: start, end, outcome, counts, and the platform's error.

`recorded(ctx, job, connection_id)` wraps a job body: the `job_runs` row is written when the
run starts (so a crash leaves a `running` row an operator can see) and finished with `ok`,
`error` or `skipped`, or `partial` when the body finished but some items failed (it returns a
`Tally` whose `problems` say which and why; they become the run's error text). Errors are stored as their message: platform errors are already scrubbed
of secrets, and anything else passes through `redact` before it is kept. A run that went well
and did nothing is forgotten when it finishes (`connector.store.job_runs.forget_idle`), so the
sync log holds what a person can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from connector.platforms.errors import PlatformError, redact
from connector.store.db import transaction
from connector.store.job_runs import finish_job, forget_idle, start_job

from .context import JobContext, utcnow

log = logging.getLogger("milepost.jobs")
Counts = dict[str, int]

OK, ERROR, SKIPPED, PARTIAL = "ok", "error", "skipped", "partial"
MAX_PROBLEMS_SHOWN = 10


class Tally(dict[str, int]):
    """A job's counts, plus one line per item that failed while the job went on with the rest."""

    def __init__(self, *args: object, **kwargs: int) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.problems: list[str] = []

    def problem(self, count: str, message: str) -> None:
        self[count] = self.get(count, 0) + 1
        self.problems.append(message)

    def summary(self) -> str | None:
        if not self.problems:
            return None
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        more = len(self.problems) - len(shown)
        return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


class Skip(Exception):  # noqa: N818 - a signal, not a failure
    """Raised by a job body that found nothing it may do now (lock held, grant dead)."""


def describe(error: BaseException) -> str:
    """An error as operators see it: the platform's message, code and request id, no secret."""
    if isinstance(error, PlatformError):
        return str(error)
    return redact(f"{type(error).__name__}: {error}")


def recorded(
    ctx: JobContext, job: str, body: Callable[[], Counts], connection_id: int | None = None,
    now: datetime | None = None,
) -> Counts:
    """Run `body` under a job_runs record; errors are recorded and logged, never raised."""
    with transaction(ctx.sessions) as session:
        run_id = start_job(session, job, connection_id, at=utcnow())
    outcome, counts, error = OK, {}, None
    try:
        counts = body()
        if isinstance(counts, Tally) and counts.problems:
            outcome, error = PARTIAL, redact(counts.summary())
    except Skip as why:
        outcome, error = SKIPPED, str(why)
    except Exception as exc:  # noqa: BLE001 - a job's failure is recorded, the worker lives on
        outcome, error = ERROR, describe(exc)
        log.warning("job %s (connection %s) failed: %s", job, connection_id, error)
    with transaction(ctx.sessions) as session:
        finish_job(session, run_id, outcome, counts, error, at=utcnow())
        session.flush()
        forget_idle(session, run_id)  # a run that did nothing and went well is not worth a line
    return counts
