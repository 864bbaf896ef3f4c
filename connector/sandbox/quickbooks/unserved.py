"""What QuickBooks answers for a path or method it does not serve under ``/v3``.

Not Flask's HTML 404/405 pages: QuickBooks' REST layer answers 400 with a ValidationFault,
code 500, "Unsupported Operation", and a detail naming the path ("Operation Could not find
resource for relative : /v3/company/<realm>/vendor of full path: ... is not supported.") or
the method ("Operation No resource method found for DELETE, return 405 with Allow header is not
supported."), in JSON or, when the client asks for XML, in XML. A path under a company still
goes through authentication and the limits first, as every v3 request does.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from ..state import current_state
from .books import qbo_time
from .errors import QBOError
from .gate import guarded
from .records import ENTITIES

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
ENDPOINT = "quickbooks_unserved.unserved"


def unsupported(detail: str) -> QBOError:
    return QBOError(500, "Unsupported Operation", f"Operation {detail} is not supported.")


def missing_resource() -> QBOError:
    return unsupported(f"Could not find resource for relative : {request.path} of full path: "
                       f"{request.url}")


def served_entity(segment: str) -> str:
    """The entity a path segment names, or QuickBooks' fault for a resource it does not have."""
    name = ENTITIES.get(segment.lower())
    if name is None:
        raise missing_resource()
    return name


def _served_with_another_method() -> bool:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in ("GET", "POST"):
        if method == request.method:
            continue
        try:
            endpoint, values = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        segment = str(values.get("segment", "")).lower()
        if endpoint != ENDPOINT and (not segment or segment in ENTITIES):
            return True
    return False


def fault_answer(error: QBOError, now_text: str) -> Response:
    """The fault in the format asked for: XML when the client prefers it, else JSON."""
    accept = request.accept_mimetypes
    if accept.best_match(["application/json", "application/xml", "text/xml"]) in (
            "application/xml", "text/xml") and accept["application/json"] < accept["application/xml"]:
        body = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{now_text}">'
                f'<Fault type="{error.fault_type}"><Error code="{error.code}">'
                f"<Message>{escape(error.message)}</Message><Detail>{escape(error.detail)}</Detail>"
                f"</Error></Fault></IntuitResponse>")
        return Response(body, status=error.status, mimetype="application/xml")
    return Response(json.dumps({"Fault": error.fault(), "time": now_text}), status=error.status,
                    mimetype="application/json")


def unserved_blueprint() -> Blueprint:
    bp = Blueprint("quickbooks_unserved", __name__, url_prefix="/v3")

    @bp.route("/<path:rest>", methods=METHODS)
    def unserved(rest: str):  # type: ignore[no-untyped-def]
        state = current_state()
        error = unsupported(f"No resource method found for {request.method}, return 405 with "
                            f"Allow header") if _served_with_another_method() else missing_resource()

        def answer() -> Response:
            return fault_answer(error, qbo_time(state.clock.now(), millis=True))

        parts = rest.split("/")
        if len(parts) >= 3 and parts[0] == "company" and parts[1]:
            realm_id = parts[1]
            with state.lock:
                known = state.quickbooks.company(realm_id) is not None
            if known:
                return guarded(state, realm_id, f"{request.method} unserved", answer)
        return answer()

    return bp
