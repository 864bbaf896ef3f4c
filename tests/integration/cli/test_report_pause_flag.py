"""`milepost report` says what the stored pause-work flag says, with its reason, in JSON and in
the table's footer, so the report, the admin app and the notification never disagree."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from connector.store.db import make_engine, session_factory
from connector.store.models import ProjectRow
from jobs.tables import PauseFlagRow

from .schedules import GOOD, import_with_evidence

REASON = "invoice 1001 is 24 days overdue (pause work after 15)"


@pytest.fixture
def acme(milepost, tmp_path):
    return import_with_evidence(milepost, tmp_path, GOOD, "requirements-v1.3.pdf", b"%PDF requirements")


def set_flag(database_url: str, cleared: bool = False) -> None:
    engine = make_engine(database_url)
    try:
        with session_factory(engine).begin() as session:
            project_id = session.scalar(select(ProjectRow.id).where(ProjectRow.key == "ACME-WEB"))
            now = datetime.now(UTC)
            session.add(PauseFlagRow(project_id=project_id, flagged_at=now, reason=REASON,
                                     cleared_at=now if cleared else None))
    finally:
        engine.dispose()


def test_a_flagged_project_reports_pause_work_with_the_stored_reason(milepost, acme, database_url):
    set_flag(database_url)

    data = json.loads(milepost("report", "ACME-WEB", "--format", "json").out)
    table = milepost("report", "ACME-WEB").out

    assert (data["pause_work"], data["pause_work_reason"]) == (True, REASON)
    assert f"PAUSE WORK ({REASON})" in " ".join(table.split())


def test_an_unflagged_or_cleared_project_reports_no_pause_and_no_reason(milepost, acme, database_url):
    before = json.loads(milepost("report", "ACME-WEB", "--format", "json").out)
    set_flag(database_url, cleared=True)
    after = json.loads(milepost("report", "ACME-WEB", "--format", "json").out)

    assert (before["pause_work"], before["pause_work_reason"]) == (False, None)
    assert (after["pause_work"], after["pause_work_reason"]) == (False, None)
    assert "no pause" in milepost("report", "ACME-WEB").out
