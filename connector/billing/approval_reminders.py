"""When an approver is reminded that silence will soon count as acceptance.

The rule, in one place: a submission whose window ends at the end of business day D (see
`calendar.approval_deadline`) is reminded at 09:00 local time on the business day before D, in
the project's time zone and holiday calendar, so the approver has that day and D to answer.
Example: submitted Tuesday 24 Nov 2026, US calendar, 3 days: the deadline is the end of Monday
30 Nov; the business day before it is Friday 27 Nov (the weekend is skipped), so the reminder
goes at 09:00 New York time on Friday 27 Nov.

A window so short that the reminder day is the day of submission (one business day) gets no
reminder: the message sent on submission already names the deadline. A reminder that could
not go on its day (the worker was down) still goes while the window is open; once it has
lapsed, the notice of deemed acceptance says what happened instead.
"""

from __future__ import annotations

from datetime import datetime, time

from .calendar import check_time_zone, local_date, previous_business_day
from .model import Milestone, MilestoneState, Project

REMINDER_TIME = time(9, 0)  # the start of a working day, not midnight


def reminder_at(project: Project, m: Milestone) -> datetime | None:
    """When the approver of this submission is reminded; None when it gets no reminder."""
    if m.state is not MilestoneState.SUBMITTED or m.approval_deadline is None or m.submitted_at is None:
        return None
    zone = project.time_zone
    day = previous_business_day(local_date(m.approval_deadline, zone), project.holiday_calendar)
    if day <= local_date(m.submitted_at, zone):
        return None
    return datetime.combine(day, REMINDER_TIME, tzinfo=check_time_zone(zone))


def reminder_due(project: Project, m: Milestone, now: datetime) -> bool:
    """Should the reminder go now: its time has come and the window is still open?"""
    at = reminder_at(project, m)
    return at is not None and m.approval_deadline is not None and at <= now <= m.approval_deadline
