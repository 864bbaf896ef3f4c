"""``/v3/company/{realm}/...``: the QuickBooks Online accounting API, as python-quickbooks calls it.

Every route goes through ``gate.guarded`` (auth, limits, faults, latency, replay) and answers
in QuickBooks' envelope: ``{"<Entity>": {...}, "time": "..."}``. Writes take the sandbox lock
and publish webhooks for every entity they changed.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, request

from ..state import SandboxState, current_state
from . import attachments, catalogue, feeds, operations, preferences, schema
from .books import Company, qbo_time
from .errors import QBOError, business_rule, json_fault
from .gate import guarded
from .records import bump, check_sync_token, fetch
from .unserved import served_entity
from .webhooks import publish

MIN_MINOR_VERSION = 75


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status=status,
                    mimetype="application/json")


def _body() -> dict:
    raw = request.get_data()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise QBOError(2010, "Request has invalid or unsupported property",
                       "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise QBOError(2010, "Request has invalid or unsupported property", "Expected an object")
    return body


def _company(state: SandboxState, realm_id: str) -> Company:
    company = state.quickbooks.company(realm_id)
    if company is None:
        raise QBOError(3100, "ApplicationAuthorizationFailed", f"Unknown company {realm_id}",
                       status=403, fault_type="AUTHENTICATION")
    return company


def _with_link(obj: dict, realm_id: str) -> dict:
    """``InvoiceLink`` is only returned when asked for with ``include=invoiceLink``."""
    if obj.get("BillEmail") and "invoicelink" in request.args.get("include", "").lower():
        obj = {**obj, "InvoiceLink": f"{request.host_url}quickbooks/app/invoice/"
                                     f"{realm_id}/{obj['Id']}"}
    return obj


def _endpoint(segment: str) -> str:
    return f"{request.method} {segment.lower()}"


def _serve(realm_id: str, endpoint: str, work: Callable[[SandboxState, Company], Any]) -> Response:
    state = current_state()

    def handler() -> Response:
        try:
            with state.lock:
                company = _company(state, realm_id)
                answer = work(state, company)
                if isinstance(answer, Response):
                    return answer
                answer["time"] = qbo_time(state.clock.now(), millis=True)
                return _json(answer)
        except QBOError as error:
            return json_fault(error, qbo_time(state.clock.now(), millis=True))

    return guarded(state, realm_id, endpoint, handler)


def _write(state: SandboxState, company: Company, entity: str) -> dict:
    body, now = _body(), state.clock.now()
    schema.check_request(entity, body)
    operation = request.args.get("operation", "").lower()
    include = request.args.get("include", "").lower()
    if operation == "delete":
        obj, changes = operations.delete(company, entity, body, now)
    elif operation == "void" and entity == "Invoice":
        obj, changes = operations.void_invoice(company, body, now)
    elif operation == "update" and include == "void" and entity == "Payment":
        obj, changes = operations.void_payment(company, body, now)
    elif entity == "Attachable":
        obj = attachments.save_attachable(company, body, now, None, state.quickbooks.files,
                                          request.host_url.rstrip("/"))
        changes = [("Attachable", obj["Id"], "Create" if obj["SyncToken"] == "0" else "Update")]
    elif operation in ("", "create", "update"):
        allow = "allowduplicatedocnum" in include
        obj, changes = operations.save(company, entity, body, now, allow_duplicate=allow)
    else:
        raise QBOError(4000, "Unsupported Operation", f"Operation {operation} is not supported.")
    publish(state, company.realm_id, changes)
    return {entity: _with_link(copy.deepcopy(obj), company.realm_id)}


def send_invoice(state: SandboxState, company: Company, entity: str, entity_id: str,
                 email: str | None) -> dict:
    """What the bookkeeper's Send button and ``POST /invoice/{id}/send`` both do."""
    obj = fetch(company, entity, entity_id)
    address = email or (obj.get("BillEmail") or {}).get("Address")
    if not address:
        raise business_rule("Email Address is missing: supply sendTo or BillEmail", "BillEmail")
    now = state.clock.now()
    obj["BillEmail"] = {"Address": address}
    obj["EmailStatus"] = "EmailSent"
    obj["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": qbo_time(now)}
    bump(obj)
    company.put(entity, obj, now, created=False)
    publish(state, company.realm_id, [(entity, obj["Id"], "Emailed")])
    return obj


def api_blueprint() -> Blueprint:
    bp = Blueprint("quickbooks_api", __name__, url_prefix="/v3/company/<realm_id>")

    @bp.after_request
    def tag(answer: Response) -> Response:
        answer.headers["intuit_tid"] = "1-" + uuid.uuid4().hex[:24]
        return answer

    @bp.route("/query", methods=["GET", "POST"])
    def query(realm_id: str):  # type: ignore[no-untyped-def]
        text = request.args.get("query") if request.method == "GET" else \
            request.get_data(as_text=True)
        return _serve(realm_id, _endpoint("query"), lambda state, company: {
            "QueryResponse": feeds.query_response(company, text or "")})

    @bp.get("/cdc")
    def cdc(realm_id: str):  # type: ignore[no-untyped-def]
        def work(state: SandboxState, company: Company) -> dict:
            since = feeds.parse_since(request.args.get("changedSince"), state.clock.now())
            return {"CDCResponse": feeds.cdc_response(
                company, request.args.get("entities", ""), since)}
        return _serve(realm_id, _endpoint("cdc"), work)

    @bp.post("/batch")
    def batch(realm_id: str):  # type: ignore[no-untyped-def]
        def work(state: SandboxState, company: Company) -> dict:
            changes: list[operations.Change] = []
            items = _body().get("BatchItemRequest") or []
            answers = feeds.batch_response(company, items, state.clock.now(), changes)
            publish(state, company.realm_id, changes)
            return {"BatchItemResponse": answers}
        return _serve(realm_id, _endpoint("batch"), work)

    @bp.post("/upload")
    def upload(realm_id: str):  # type: ignore[no-untyped-def]
        def work(state: SandboxState, company: Company) -> dict:
            obj = attachments.upload(company, request.get_data(),
                                     request.headers.get("Content-Type", ""), state.clock.now(),
                                     state.quickbooks.files, request.host_url.rstrip("/"))
            publish(state, company.realm_id, [("Attachable", obj["Id"], "Create")])
            return {"AttachableResponse": [{"Attachable": copy.deepcopy(obj)}]}
        return _serve(realm_id, _endpoint("upload"), work)

    @bp.get("/preferences")
    def preferences(realm_id: str):  # type: ignore[no-untyped-def]
        return _serve(realm_id, _endpoint("preferences"), lambda state, company: {
            "Preferences": company_preferences(company)})

    @bp.get("/exchangerate")
    def exchange_rate(realm_id: str):  # type: ignore[no-untyped-def]
        return _serve(realm_id, _endpoint("exchangerate"), lambda state, company: {
            "ExchangeRate": catalogue.read_exchange_rate(
                company, request.args.get("sourcecurrencycode"), request.args.get("asofdate"),
                state.clock.now())})

    @bp.post("/<segment>/<entity_id>/send")
    def send(realm_id: str, segment: str, entity_id: str):  # type: ignore[no-untyped-def]
        def work(state: SandboxState, company: Company) -> dict:
            entity = served_entity(segment)
            if entity not in ("Invoice", "Estimate", "CreditMemo"):
                raise QBOError(4000, "Unsupported Operation", f"{entity} cannot be sent")
            obj = send_invoice(state, company, entity, entity_id, request.args.get("sendTo"))
            return {entity: copy.deepcopy(obj)}
        return _serve(realm_id, _endpoint(f"{segment}/send"), work)

    @bp.get("/<segment>/<entity_id>/pdf")
    def pdf(realm_id: str, segment: str, entity_id: str):  # type: ignore[no-untyped-def]
        def work(state: SandboxState, company: Company) -> Response:
            obj = fetch(company, served_entity(segment), entity_id)
            return Response(attachments.invoice_pdf(obj, company), mimetype="application/pdf")
        return _serve(realm_id, _endpoint(f"{segment}/pdf"), work)

    @bp.get("/<segment>/<entity_id>")
    def read(realm_id: str, segment: str, entity_id: str):  # type: ignore[no-untyped-def]
        def work(state: SandboxState, company: Company) -> dict:
            entity = served_entity(segment)
            if entity == "CompanyInfo":
                return {"CompanyInfo": company_info(company)}
            # serialised under the lock by _serve, so no copy is needed for a read
            return {entity: _with_link(fetch(company, entity, entity_id), realm_id)}
        return _serve(realm_id, _endpoint(segment), work)

    @bp.post("/<segment>")
    def write(realm_id: str, segment: str):  # type: ignore[no-untyped-def]
        return _serve(realm_id, _endpoint(segment),
                      lambda state, company: _write(state, company, served_entity(segment)))

    return bp


def company_info(company: Company) -> dict:
    return {"Id": "1", "SyncToken": "0", "CompanyName": company.name, "LegalName": company.name,
            "Country": company.country, "SupportedLanguages": "en",
            "CompanyAddr": {"Line1": "1 Market St", "City": "San Francisco",
                            "CountrySubDivisionCode": "CA", "PostalCode": "94105"},
            "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
            "domain": "QBO", "sparse": False}


def company_preferences(company: Company) -> dict:
    """What a connector reads to decide how to build invoices for this company."""
    return copy.deepcopy(preferences.current(company, current_state().clock.now()))


__all__ = ["api_blueprint", "check_sync_token", "send_invoice"]
