"""What a signed webhook body must look like before its events are read.

A correct signature proves who sent the body, not that it is the shape the receivers walk: a
signed body that is a string, a number, a list where a table belongs (or the reverse), or an
event id no column holds is answered 400 and recorded nowhere. The shapes are those the
platforms document: QuickBooks' classic `eventNotifications` (and the CloudEvents array),
Xero's `events` (an intent-to-receive probe is `events: []`).
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from connector.billing.schema import text_problem

EVENT_ID = 200  # webhook_events.event_id
IDENTIFIER = StrictStr | StrictInt | None


class _Loose(BaseModel):
    """Fields the receivers do not read are the platforms' business."""

    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)


class _Entity(_Loose):
    name: Any = None
    id: Any = None


class _DataChange(_Loose):
    entities: list[_Entity] | None = None


class _Notice(_Loose):
    realmId: IDENTIFIER = None  # noqa: N815 - Intuit's name
    dataChangeEvent: _DataChange | None = None  # noqa: N815


class _Classic(_Loose):
    eventNotifications: list[_Notice] | None = None  # noqa: N815


class _CloudEvent(_Loose):
    id: IDENTIFIER = None
    intuitaccountid: IDENTIFIER = None


class _XeroEvent(_Loose):
    tenantId: IDENTIFIER = None  # noqa: N815 - Xero's name


class _Xero(_Loose):
    events: list[_XeroEvent] | None = Field(default=None)


_QUICKBOOKS: TypeAdapter[Any] = TypeAdapter(_Classic | list[_CloudEvent])
_XERO: TypeAdapter[Any] = TypeAdapter(_Xero)


def _ids_fit(values: list[Any]) -> bool:
    return all(text_problem(str(v), EVENT_ID) is None for v in values if v is not None)


def quickbooks_shape_ok(payload: Any) -> bool:
    try:
        _QUICKBOOKS.validate_python(payload)
    except ValidationError:
        return False
    if isinstance(payload, list):
        return _ids_fit([e.get("id") for e in payload] + [e.get("intuitaccountid") for e in payload])
    return _ids_fit([n.get("realmId") for n in payload.get("eventNotifications") or []])


def xero_shape_ok(payload: Any) -> bool:
    try:
        _XERO.validate_python(payload)
    except ValidationError:
        return False
    return _ids_fit([e.get("tenantId") for e in payload.get("events") or []])
