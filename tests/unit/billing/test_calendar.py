"""Specification: approval windows count business days in the project's zone and calendar."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from connector.billing.calendar import (
    add_business_days,
    approval_deadline,
    check_calendar,
    is_business_day,
)
from connector.billing.errors import UnknownCalendar

from .conftest import at

NY = ZoneInfo("America/New_York")


def test_us_thanksgiving_is_skipped():
    # Tuesday 24 Nov 2026; Thursday 26 is Thanksgiving; the weekend follows.
    deadline = approval_deadline(at(2026, 11, 24, 15), 3, "US", "America/New_York")
    assert deadline == datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=NY)


def test_deadline_is_end_of_day_in_the_project_zone_with_its_offset():
    deadline = approval_deadline(at(2026, 11, 24, 15), 3, "US", "America/New_York")
    assert deadline.isoformat() == "2026-11-30T23:59:59.999999-05:00"


def test_a_weekend_submission_counts_from_the_next_business_day():
    saturday = at(2026, 11, 14, 12)
    assert approval_deadline(saturday, 1, "US", "America/New_York").date() == date(2026, 11, 17)


def test_the_local_date_decides_not_utc():
    # 03:00 UTC on Saturday 14 Nov is still Friday 13 Nov evening in New York.
    friday_evening = at(2026, 11, 14, 3)
    assert approval_deadline(friday_evening, 1, "US", "America/New_York").date() == date(2026, 11, 16)
    assert approval_deadline(friday_evening, 1, "US", "UTC").date() == date(2026, 11, 17)


def test_gb_boxing_day_and_christmas_are_not_business_days():
    # Thursday 24 Dec 2026: Christmas (Fri 25), weekend, Boxing Day observed Mon 28.
    deadline = approval_deadline(at(2026, 12, 24, 10), 1, "GB", "Europe/London")
    assert deadline.date() == date(2026, 12, 29)


def test_au_australia_day_is_skipped():
    # Friday 23 Jan 2026 in Sydney; Monday 26 Jan is Australia Day.
    assert add_business_days(date(2026, 1, 23), 1, "AU") == date(2026, 1, 27)
    assert not is_business_day(date(2026, 1, 26), "AU")
    assert is_business_day(date(2026, 1, 26), "US")


def test_an_unknown_calendar_is_refused():
    assert check_calendar("gb") == "GB"
    with pytest.raises(UnknownCalendar, match="'XX'"):
        check_calendar("XX")


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        approval_deadline(datetime(2026, 11, 24, 15), 3, "US", "America/New_York")  # noqa: DTZ001
