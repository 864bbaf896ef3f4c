"""Which projects are flagged to pause work now: the one read the report and the admin pages
need, apart from `pause_work.py` (the job that raises and clears the flags) so that reading it
loads none of the job machinery."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.store.models import DEFAULT_ORGANISATION_ID, ProjectRow

from .tables import PauseFlagRow


def active_flags(session: Session, organisation_id: int = DEFAULT_ORGANISATION_ID) -> dict[str, str]:
    """Project key -> reason, for every project of the organisation flagged now (the admin app
    and the report)."""
    rows = session.execute(
        select(ProjectRow.key, PauseFlagRow.reason)
        .join(PauseFlagRow, PauseFlagRow.project_id == ProjectRow.id)
        .where(PauseFlagRow.cleared_at.is_(None), ProjectRow.organisation_id == organisation_id)
    )
    return dict(rows.all())
