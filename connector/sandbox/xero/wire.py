"""Turning the sandbox's typed records into the bytes Xero would send, and back.

Records inside the sandbox hold Decimal amounts and date/datetime values so that arithmetic
and `where` comparisons are exact. Only here, at the JSON edge, do amounts become JSON numbers
and dates become MS-JSON strings. JSON has a single number type: a Decimal of at most 15
significant digits (every amount Xero shows) round-trips exactly through float's shortest
representation, which is the text the client then reads.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from connector.sandbox.xero.dates import ms_json

if TYPE_CHECKING:
    from flask import Response

APP_NAME = "Milepost sandbox"


def correlated(answer: Response) -> Response:
    """Xero's request id on every answer (a fresh UUID in `Xero-Correlation-Id`, as Xero
    sends): what its support asks for, and what Milepost's logs carry."""
    answer.headers["Xero-Correlation-Id"] = str(uuid.uuid4())
    return answer


def to_wire(value: Any) -> Any:
    """A JSON-ready copy of a record: Decimal -> number, date/datetime -> MS-JSON."""
    if isinstance(value, Mapping):
        return {key: to_wire(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent  # a letter for NaN and infinities
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, datetime | date):
        return ms_json(value)
    return value


def envelope(now: datetime, key: str, items: list[Any], **extra: Any) -> dict[str, Any]:
    """Xero's answer envelope: Id, Status, ProviderName, DateTimeUTC, then the collection."""
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": APP_NAME,
        "DateTimeUTC": ms_json(now),
    }
    body.update(extra)
    body[key] = items
    return body


def dumps(body: Any) -> bytes:
    return json.dumps(to_wire(body), separators=(",", ":")).encode()


def decimal_of(value: Any, default: Decimal | None = None) -> Decimal | None:
    """A request number as Decimal; json floats are read through their text, never as binary."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def loads_body(raw: bytes) -> Any:
    """Request JSON with floats parsed straight to Decimal (no binary rounding on the way in)."""
    return json.loads(raw or b"{}", parse_float=Decimal)
