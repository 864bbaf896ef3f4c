"""A row per job run (start, end, outcome, counts, error) so operators can see what the worker did."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import JobRunRow, utcnow


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
