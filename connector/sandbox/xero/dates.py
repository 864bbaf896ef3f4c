"""Xero's date formats: MS-JSON on the wire, ISO or RFC 1123 in headers.

Xero answers every date as `/Date(1539993600000+0000)/` (milliseconds since the epoch, UTC)
with an ISO `...String` twin, and accepts MS-JSON, plain ISO dates or ISO datetimes in request
bodies. xero-python sends `If-Modified-Since` as `datetime.isoformat()` (naive when the caller's
datetime is naive); other clients send RFC 1123. Naive values are read as UTC, as Xero does.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime

_MS_JSON = re.compile(r"^/Date\((-?\d+)([+-]\d{2,4})?\)/$")


def ms_json(value: datetime | date) -> str:
    """Render a date or an aware datetime the way Xero's JSON does."""
    moment = as_utc_datetime(value)
    millis = int(moment.timestamp() * 1000)
    return f"/Date({millis}+0000)/"


def iso_string(value: datetime | date) -> str:
    """The `DateString`/`UpdatedDateUTCString` twin Xero sends next to MS-JSON dates."""
    return as_utc_datetime(value).strftime("%Y-%m-%dT%H:%M:%S")


def as_utc_datetime(value: datetime | date) -> datetime:
    """Dates are midnight UTC; naive datetimes are UTC (Xero's convention)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=UTC)


def parse_body_date(value: object) -> date | None:
    """A date as a request body may carry it: MS-JSON, `YYYY-MM-DD` or an ISO datetime.

    Returns None for a missing or empty value and raises ValueError for anything else
    unreadable, so the caller can report it as a validation error.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    match = _MS_JSON.match(value.strip())
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC).date()
    text = value.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def parse_if_modified_since(header: str | None) -> datetime | None:
    """The `If-Modified-Since` header in ISO 8601 or RFC 1123; None when absent or unreadable.

    An unreadable header is ignored rather than refused: Xero then answers the full list.
    """
    if not header:
        return None
    text = header.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return as_utc_datetime(moment)
