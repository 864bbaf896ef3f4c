"""A row per job run (start, end, outcome, counts, error) so operators can see what the worker did.

Only runs worth reading are kept: one that did nothing and went well (an idle `drain_outbox`
every two seconds) is forgotten when it finishes (`forget_idle`), so a failure is not pushed off
the page by idle runs; a failure stays listed (`standing_failures`) until a later run of the
same job and connection goes well, and that run is kept even when idle. Syncs are the exception: the clock reads a connection's finished syncs
(`jobs.clock.SyncEnqueuer`), so the latest idle sync of each connection is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from .models import DEFAULT_ORGANISATION_ID, JobRunRow, utcnow
from .organisations import of_connections

_latest = aliased(JobRunRow)


def start_job(session: Session, job: str, connection_id: int | None = None,
              at: datetime | None = None) -> int:
    row = JobRunRow(job=job, connection_id=connection_id, started_at=at or utcnow(), outcome="running")
    session.add(row)
    session.flush()
    return row.id


def finish_job(session: Session, run_id: int, outcome: str, counts: dict[str, int] | None = None,
               error: str | None = None, at: datetime | None = None) -> None:
    """`error` is shown to operators: a message without tokens or secrets."""
    row = session.get(JobRunRow, run_id)
    if row is None:
        raise LookupError(f"no job run {run_id}")
    row.finished_at = at or utcnow()
    row.outcome = outcome
    row.counts = dict(counts or {})
    row.error = error[:2000] if error else None


def recent_runs(session: Session, job: str | None = None, limit: int = 20) -> list[JobRunRow]:
    query = select(JobRunRow).order_by(JobRunRow.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRunRow.job == job)
    return list(session.scalars(query))


KEEP_LATEST_IDLE = frozenset({"sync_connection"})
_OK = "ok"
FAILED = ("error", "partial")


def is_idle(outcome: str, counts: dict[str, int] | None) -> bool:
    """A run that went well and did nothing: nothing to read in it."""
    return outcome == _OK and not any((counts or {}).values())


def forget_idle(session: Session, run_id: int) -> bool:
    """Drop a finished idle run (or, for a sync, the same connection's earlier idle syncs);
    True when the run itself was dropped."""
    row = session.get(JobRunRow, run_id)
    if row is None or not is_idle(row.outcome, row.counts):
        return False
    previous = session.scalars(
        select(JobRunRow.outcome).where(JobRunRow.job == row.job, JobRunRow.connection_id == row.connection_id,
                                        JobRunRow.id < run_id)
        .order_by(JobRunRow.id.desc()).limit(1)
    ).first()
    if previous in FAILED:
        return False  # kept: it is the success that clears that failure from the log
    if row.job not in KEEP_LATEST_IDLE:
        session.delete(row)
        return True
    earlier = session.scalars(
        select(JobRunRow).where(JobRunRow.job == row.job, JobRunRow.connection_id == row.connection_id,
                                JobRunRow.outcome == _OK, JobRunRow.id < run_id)
        .order_by(JobRunRow.id.desc()).limit(50)
    )
    idle = [old.id for old in earlier if is_idle(old.outcome, old.counts)]
    if idle:
        session.execute(delete(JobRunRow).where(JobRunRow.id.in_(idle)))
    return False


def eventful_runs(session: Session, limit: int = 25, job: str | None = None,
                  organisation_id: int = DEFAULT_ORGANISATION_ID) -> list[JobRunRow]:
    """The organisation's newest runs that did something or did not go well (idle syncs left
    out); see `of_connections` for whose a run is."""
    query = (select(JobRunRow).where(of_connections(JobRunRow.connection_id, organisation_id))
             .order_by(JobRunRow.id.desc()).limit(limit * 4 + 50))
    if job is not None:
        query = query.where(JobRunRow.job == job)
    found = [run for run in session.scalars(query) if not is_idle(run.outcome, run.counts)]
    return found[:limit]


def standing_failures(session: Session, organisation_id: int = DEFAULT_ORGANISATION_ID) -> list[JobRunRow]:
    """The latest failed (`error`) or partly failed (`partial`) run of each job and connection
    of the organisation that no later successful run of the same job and connection has
    cleared, newest first."""
    later_ok = (
        select(JobRunRow.id)
        .where(JobRunRow.job == _latest.job, JobRunRow.outcome == _OK, JobRunRow.id > _latest.id,
               (JobRunRow.connection_id == _latest.connection_id)
               | (JobRunRow.connection_id.is_(None) & _latest.connection_id.is_(None)))
        .exists()
    )
    rows = session.scalars(
        select(_latest).where(_latest.outcome.in_(FAILED), ~later_ok,
                              of_connections(_latest.connection_id, organisation_id))
        .order_by(_latest.id.desc())
    )
    seen: set[tuple[str, int | None]] = set()
    standing = []
    for run in rows:
        if (run.job, run.connection_id) not in seen:
            seen.add((run.job, run.connection_id))
            standing.append(run)
    return standing


def last_successful_syncs(session: Session) -> dict[int, JobRunRow]:
    """Connection id -> its latest sync that went well."""
    latest = (
        select(func.max(JobRunRow.id))
        .where(JobRunRow.job == "sync_connection", JobRunRow.outcome == _OK, JobRunRow.connection_id.is_not(None))
        .group_by(JobRunRow.connection_id)
    )
    rows = session.scalars(select(JobRunRow).where(JobRunRow.id.in_(latest)))
    return {int(run.connection_id): run for run in rows if run.connection_id is not None}


def sync_totals(session: Session) -> dict[int, dict[str, int]]:
    """Connection id -> what its recorded syncs brought home, summed (the runs kept, 30 days)."""
    totals: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(JobRunRow.connection_id, JobRunRow.counts)
        .where(JobRunRow.job == "sync_connection", JobRunRow.outcome.in_((_OK, "partial")),
               JobRunRow.connection_id.is_not(None))
    )
    for connection_id, counts in rows:
        mine = totals.setdefault(int(connection_id), {})
        for name, value in (counts or {}).items():
            mine[name] = mine.get(name, 0) + int(value or 0)
    return totals
