"""When the approver is reminded: 09:00 local on the business day before the deadline's day."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from connector.billing import lifecycle
from connector.billing.approval_reminders import reminder_at, reminder_due
from tests.integration.store.samples import acme_milestones, acme_project

NEW_YORK = ZoneInfo("America/New_York")


def submitted(on: str, window: int = 3):
    project = replace(acme_project(), approval_window_days=window)
    milestone, _ = lifecycle.submit(project, acme_milestones()[0],
                                    datetime.fromisoformat(on).replace(tzinfo=NEW_YORK), "Sam", ("document",))
    return project, milestone


@pytest.mark.parametrize(("on", "window", "reminded"), [
    ("2026-11-24T10:00", 3, "2026-11-27T09:00"),  # deadline Mon 30 Nov (Thanksgiving skipped): Fri
    ("2026-11-16T10:00", 3, "2026-11-18T09:00"),  # Mon -> deadline Thu 19: Wed 18
    ("2026-11-20T16:00", 2, "2026-11-23T09:00"),  # Fri -> deadline Tue 24: Mon 23
    ("2026-11-21T11:00", 2, "2026-11-24T09:00"),  # a Saturday counts as Monday: deadline Wed 25
    ("2026-12-23T10:00", 2, "2026-12-24T09:00"),  # Wed -> Christmas skipped, deadline Mon 28: Thu 24
])
def test_the_reminder_is_at_nine_on_the_business_day_before_the_deadline(on, window, reminded) -> None:
    project, milestone = submitted(on, window)

    assert reminder_at(project, milestone) == datetime.fromisoformat(reminded).replace(tzinfo=NEW_YORK)


def test_a_one_day_window_gets_no_reminder_the_submission_message_names_the_deadline() -> None:
    project, milestone = submitted("2026-11-16T10:00", window=1)  # deadline Tue 17: reminder day Mon 16

    assert reminder_at(project, milestone) is None


def test_the_reminder_is_due_from_its_time_until_the_window_lapses_and_only_while_submitted() -> None:
    project, milestone = submitted("2026-11-24T10:00")
    at = lambda text: datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)  # noqa: E731

    assert [reminder_due(project, milestone, at(t)) for t in (
        "2026-11-27T08:59", "2026-11-27T09:00", "2026-11-30T23:59", "2026-12-01T00:00")] == [
        False, True, True, False]
    rejected, _ = lifecycle.reject(project, milestone, at("2026-11-25T10:00"), "Dana", "not yet")
    assert not reminder_due(project, rejected, at("2026-11-27T10:00"))
