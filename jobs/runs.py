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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from connector import logs
from connector.platforms.errors import PlatformError, redact
from connector.store.db import transaction
from connector.store.job_runs import finish_job, forget_idle, is_idle, start_job

from .context import JobContext, utcnow
from .infrastructure import is_infrastructure

log = logging.getLogger("milepost.jobs")
Counts = dict[str, int]

OK, ERROR, SKIPPED, PARTIAL = "ok", "error", "skipped", "partial"
MAX_PROBLEMS_SHOWN = 10


class Tally(dict[str, int]):
    """A job's counts, plus one line per item that failed while the job went on with the rest."""

    def __init__(self, *args: object, **kwargs: int) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.problems: list[str] = []
        self.outcome = OK  # set by `recorded`: ok, partial, error or skipped

    @property
    def failed(self) -> bool:
        """Did the run fail, whole (error) or in part (some items counted `failed`)? Items that
        only wait (no connection yet, a rate hold, a reconnect) make a run partial, not failed."""
        return self.outcome == ERROR or (self.outcome == PARTIAL and self.get("failed", 0) > 0)

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


@contextmanager
def one_item(tally: Tally, label: str, count: str = "failed") -> Iterator[None]:
    """One project's, invoice's or connection's share of a job. A failure that is its own (bad
    data, a refusal, a bug) is logged and recorded with `label` (its key) in the run, and the
    job goes on with the rest; an outage (`jobs.infrastructure`) is everyone's and ends the run.
    Lines logged meanwhile carry `label` as their `item`."""
    try:
        with logs.bound(item=label):
            yield
    except Exception as error:
        if is_infrastructure(error):
            raise
        log.warning("%s failed: %s", label, describe(error), exc_info=not isinstance(error, PlatformError))
        tally.problem(count, f"{label}: {describe(error)}")


def describe(error: BaseException) -> str:
    """An error as operators see it: the platform's message, code and request id, no secret."""
    if isinstance(error, PlatformError):
        return str(error)
    return redact(f"{type(error).__name__}: {error}")


def recorded(
    ctx: JobContext, job: str, body: Callable[[], Counts], connection_id: int | None = None,
    now: datetime | None = None,
) -> Tally:
    """Run `body` under a job_runs record; errors are recorded and logged, never raised. The
    counts come back as a Tally whose `outcome` says how the run ended. Every line the body
    logs carries the job's name and run id (and the connection's id)."""
    with transaction(ctx.sessions) as session:
        run_id = start_job(session, job, connection_id, at=utcnow())
    outcome, counts, error = OK, {}, None
    with logs.bound(job=job, job_run_id=run_id, connection_id=connection_id):
        try:
            counts = body()
            if isinstance(counts, Tally) and counts.problems:
                outcome, error = PARTIAL, redact(counts.summary())
        except Skip as why:
            outcome, error = SKIPPED, str(why)
        except Exception as exc:  # noqa: BLE001 - a job's failure is recorded, the worker lives on
            outcome, error = ERROR, describe(exc)
            log.warning("job %s (connection %s) failed: %s", job, connection_id, error)
        if outcome == OK and not is_idle(outcome, counts):  # an idle run is not worth a line either
            log.info("job %s done: %s", job, ", ".join(f"{k} {v}" for k, v in counts.items()))
    with transaction(ctx.sessions) as session:
        finish_job(session, run_id, outcome, counts, error, at=utcnow())
        session.flush()
        forget_idle(session, run_id)  # a run that did nothing and went well is not worth a line
    result = counts if isinstance(counts, Tally) else Tally(counts)
    result.outcome = outcome
    return result
