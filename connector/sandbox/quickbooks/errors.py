"""QuickBooks Online's failure shapes, byte for byte where it matters to python-quickbooks.

python-quickbooks decides which exception to raise from the body, not the status: a JSON
``Fault`` is mapped by its numeric code, a lowercase ``fault`` 401 becomes
``AuthorizationException``, and the XML ``ThrottleExceeded`` body of a 429 cannot be parsed as
JSON at all. The sandbox therefore renders each failure exactly as QuickBooks does.
"""

from __future__ import annotations

import json

from flask import Response

from ..faults import Fault
from .books import qbo_time


class QBOError(Exception):
    """A QuickBooks fault raised by a handler; rendered by the API blueprint."""

    def __init__(self, code: str | int, message: str, detail: str = "", *,
                 status: int = 400, element: str = "", fault_type: str = "ValidationFault"):
        super().__init__(message)
        self.code = str(code)
        self.message = message
        self.detail = detail
        self.status = status
        self.element = element
        self.fault_type = fault_type

    def fault(self) -> dict:
        return {"Error": [{"Message": self.message, "Detail": self.detail, "code": self.code,
                           "element": self.element}], "type": self.fault_type}


def not_found(entity: str, entity_id: str) -> QBOError:
    return QBOError(610, "Object Not Found",
                    f"Object Not Found : Something you're trying to use has been made inactive. "
                    f"Check the fields with accounts, customers, items, vendors or employees. "
                    f"({entity} {entity_id})", element="Id")


def stale(entity: str, entity_id: str) -> QBOError:
    return QBOError(5010, "Stale Object Error",
                    f"Stale Object Error : You and another user were working on the same thing. "
                    f"Please try again. ({entity} {entity_id})", element="SyncToken")


def required(field: str) -> QBOError:
    return QBOError(2020, "Required param missing, need to supply the required value for the API",
                    f"Required parameter {field} is missing in the request", element=field)


def invalid_reference(entity: str, value: str) -> QBOError:
    return QBOError(2500, "Invalid Reference Id",
                    f"Invalid Reference Id : {entity} assigned to this transaction has been "
                    f"deleted or does not exist ({value})")


def business_rule(detail: str, element: str = "") -> QBOError:
    return QBOError(6000, "A business validation error has occurred while processing your request",
                    f"Business Validation Error: {detail}", element=element)


def json_fault(error: QBOError, now_text: str) -> Response:
    body = json.dumps({"Fault": error.fault(), "time": now_text})
    return Response(body, status=error.status, mimetype="application/json")


def authentication_failed(detail: str) -> Response:
    """The 401 body: note the lowercase ``fault``/``error`` keys, unlike every other fault."""
    body: dict[str, object] = {"warnings": None, "intuitObject": None, "fault": {"error": [{
        "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        "detail": detail, "code": "3200", "element": None}], "type": "AUTHENTICATION"},
        "report": None, "queryResponse": None, "batchItemResponse": [],
        "attachableResponse": [], "syncErrorResponse": None, "requestId": None, "time": None,
        "status": None, "cdcresponse": []}
    return Response(json.dumps(body), status=401, mimetype="application/json",
                    headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'})


def forbidden(realm_id: str) -> Response:
    error = QBOError(3100, "message=ApplicationAuthorizationFailed; errorCode=003100; "
                           "statusCode=403", f"This app is not authorized for company {realm_id}",
                     status=403, fault_type="AUTHENTICATION")
    return Response(json.dumps({"Fault": error.fault()}), status=403,
                    mimetype="application/json")


THROTTLE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{time}">'
    '<Fault type="SERVICE"><Error code="3001">'
    "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
    "<Detail>The request limit was reached.  Try again later</Detail>"
    "</Error></Fault></IntuitResponse>"
)


def throttled(now_text: str) -> Response:
    """QuickBooks answers a throttle in XML even when JSON was asked for."""
    return Response(THROTTLE_XML.format(time=now_text), status=429, mimetype="application/xml")


def server_failure(status: int, now_text: str) -> Response:
    """A 500 is a JSON SystemFault (code 10000); a 503 comes from the gateway as HTML."""
    if status == 503:
        return Response("<html><body><h1>503 Service Unavailable</h1>"
                        "No server is available to handle this request.</body></html>",
                        status=503, mimetype="text/html")
    error = QBOError(10000, "An application error has occurred while processing your request",
                     "System Failure Error: An unexpected error occurred while accessing or "
                     "saving your data. Please wait a few minutes and try again.",
                     status=500, fault_type="SystemFault")
    return json_fault(error, now_text)


def render_injected(fault: Fault, when: object) -> Response:
    now_text = qbo_time(when, millis=True)  # type: ignore[arg-type]
    if fault.status == 429:
        return throttled(now_text)
    return server_failure(fault.status or 500, now_text)
