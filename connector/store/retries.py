"""Failed intents, listed for a person and given another go (`milepost retry`, the admin page).

An intent fails for good when its platform refused it (a validation error, a missing setting)
or it ran out of attempts. Whatever caused that may since have been fixed in the books, so a
retry puts it back to pending with a fresh count of attempts; the drain then treats it like a
retry after an unknown outcome would be treated, and the idempotency key still stands between
it and a second invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.orm import Session

from .errors import StoreError
from .models import DEFAULT_ORGANISATION_ID, OutboxRow, ProjectRow
from .outbox import FAILED, PENDING


@dataclass(frozen=True)
class FailedIntent:
    id: int
    idempotency_key: str
    project_key: str
    kind: str
    connection_id: int | None
    attempts: int
    error: str
    failed_at: datetime


def _of_organisation(organisation_id: int, *criteria: ColumnElement[bool]) -> Select[int]:
    """The ids of the organisation's outbox rows meeting `criteria` (kept inside, so only the
    few failed rows are matched to projects): an intent's by its project row, an e-mail's by
    the project key its payload carries. An e-mail naming no project (or none we have) is the
    default organisation's, the one the deployment's own settings and CLI act for."""
    mail_key = OutboxRow.payload["project_key"].as_string()
    mine = ProjectRow.organisation_id == organisation_id
    if organisation_id == DEFAULT_ORGANISATION_ID:
        mine = mine | ProjectRow.id.is_(None)
    return (select(OutboxRow.id)
            .outerjoin(ProjectRow, (ProjectRow.id == OutboxRow.project_id)
                       | (OutboxRow.project_id.is_(None) & (ProjectRow.key == mail_key)))
            .where(mine, *criteria))


def failed_intents(session: Session, limit: int = 100,
                   organisation_id: int = DEFAULT_ORGANISATION_ID) -> list[FailedIntent]:
    """The organisation's failed intents (and e-mail messages, which belong to no project
    row), the latest failure first."""
    rows = session.execute(
        select(OutboxRow, ProjectRow.key).outerjoin(ProjectRow, ProjectRow.id == OutboxRow.project_id)
        .where(OutboxRow.id.in_(_of_organisation(organisation_id, OutboxRow.status == FAILED)))
        .order_by(OutboxRow.updated_at.desc(), OutboxRow.id.desc()).limit(limit)
    )
    return [FailedIntent(row.id, row.idempotency_key, key or str(row.payload.get("project_key") or ""),
                         row.kind, row.connection_id, row.attempts, row.last_error or "", row.updated_at)
            for row, key in rows]


def failed_counts(session: Session) -> dict[int | None, int]:
    """Connection id (None: not yet routed) -> how many of its intents failed."""
    rows = session.execute(
        select(OutboxRow.connection_id, func.count()).where(OutboxRow.status == FAILED)
        .group_by(OutboxRow.connection_id)
    )
    return {connection_id: int(count) for connection_id, count in rows}


def retry_intent(session: Session, intent_id: int, organisation_id: int = DEFAULT_ORGANISATION_ID) -> None:
    """One failed intent back to pending; StoreError naming why when it is not failed. Another
    organisation's intent is refused exactly as an unknown one."""
    ours = session.scalar(_of_organisation(organisation_id, OutboxRow.id == intent_id))
    row = session.get(OutboxRow, intent_id) if ours is not None else None
    if row is None:
        raise StoreError(f"no intent {intent_id}: see the failed intents on the admin page or `milepost jobs`")
    if row.status != FAILED:
        raise StoreError(f"intent {intent_id} ({row.idempotency_key}) is {row.status}, not failed: nothing to retry")
    row.status, row.attempts = PENDING, 0
    session.flush()


def retry_all_failed(session: Session, organisation_id: int = DEFAULT_ORGANISATION_ID) -> int:
    """Every failed intent of the organisation back to pending; how many."""
    result = session.execute(
        update(OutboxRow).where(OutboxRow.id.in_(_of_organisation(organisation_id, OutboxRow.status == FAILED)))
        .values(status=PENDING, attempts=0)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
