"""Business days and approval deadlines, in the project's own time zone and holiday calendar.

Rule (documented for users): the approval window is N business days *after* the day of
submission. The day of submission is day 0; a submission made on a weekend or public holiday
counts as made on the next business day. The deadline is the end of the last business day,
23:59:59.999999 local time, so an approver always gets N full working days.
Example: submitted Tuesday 24 Nov 2026 with a US calendar and 3 days: Wed 25, (Thanksgiving,
Thu 26, skipped), Fri 27, (weekend skipped), Mon 30 -> deadline Mon 30 Nov 23:59:59.999999.

Public holidays come from the `holidays` package for the project's country code; nothing is
hand-rolled here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays

from .errors import BillingError, DateOutOfRange, UnknownCalendar

END_OF_DAY = time(23, 59, 59, 999999)


class UnknownTimeZone(BillingError, ValueError):
    def __init__(self, name: object) -> None:
        super().__init__(f"unknown time zone {name!r}: use an IANA name such as America/New_York")
        self.name = name


def days_after(day: date, days: int, field: str) -> date:
    """`day` plus `days` calendar days; DateOutOfRange (naming `field`) instead of the bare
    OverflowError when the sum leaves the calendar."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise DateOutOfRange(field, day, days) from None


def check_calendar(code: str) -> str:
    """Return the upper-cased country code, or raise UnknownCalendar."""
    if not isinstance(code, str) or code.upper() not in holidays.list_supported_countries():
        raise UnknownCalendar(code)
    return code.upper()


def check_time_zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, or UnknownTimeZone (never a silent UTC fallback)."""
    if not isinstance(name, str) or name not in _zone_names():
        raise UnknownTimeZone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - guarded above
        raise UnknownTimeZone(name) from exc


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=64)
def _holidays_for(code: str) -> holidays.HolidayBase:
    # The package expands years lazily on lookup, so one object serves every year.
    return holidays.country_holidays(check_calendar(code))


def is_business_day(day: date, calendar: str) -> bool:
    """Monday to Friday and not a public holiday of the calendar's country."""
    return day.weekday() < 5 and day not in _holidays_for(calendar)


def holiday_name(day: date, calendar: str) -> str | None:
    return _holidays_for(calendar).get(day)


def next_business_day_on_or_after(day: date, calendar: str) -> date:
    while not is_business_day(day, calendar):
        day += timedelta(days=1)
    return day


def previous_business_day(day: date, calendar: str) -> date:
    """The last business day strictly before `day`."""
    day -= timedelta(days=1)
    while not is_business_day(day, calendar):
        day -= timedelta(days=1)
    return day


def add_business_days(start: date, days: int, calendar: str) -> date:
    """The date `days` business days after `start` (start itself is not counted).

    A start on a weekend or holiday is first moved to the next business day.
    """
    if days < 0:
        raise ValueError("business days must not be negative")
    day = next_business_day_on_or_after(start, calendar)
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, calendar):
            remaining -= 1
    return day


def local_date(at: datetime, time_zone: str) -> date:
    """The calendar date of an instant in the project's zone (invoice dates are local)."""
    _require_aware(at)
    return at.astimezone(check_time_zone(time_zone)).date()


def end_of_day(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=check_time_zone(time_zone))


def approval_deadline(
    submitted_at: datetime, business_days: int, calendar: str, time_zone: str
) -> datetime:
    """When silence becomes deemed acceptance: the end of the Nth business day after submission,
    in the project's time zone."""
    submitted_on = local_date(submitted_at, time_zone)
    return end_of_day(add_business_days(submitted_on, business_days, calendar), time_zone)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
