"""The gate every `/api.xro/2.0/` request passes, in the order Xero applies it.

Count the request, check the bearer token (401), the `xero-tenant-id` header against the
token's connections (403) and the token's scopes against the operation's (403
`insufficient_scope`), take a concurrency slot and count it against the per-tenant minute
and day windows and the per-app minute window (429 with `Retry-After` and
`X-Rate-Limit-Problem`), refuse a request whose parameters or body break Xero's OpenAPI
document (400 ValidationException, `spec.py`), apply any injected fault, replay an
`Idempotency-Key` seen before, then run the handler under the sandbox lock. Every answer carries the three
`X-*Limit-Remaining` headers. Writes are journalled per organisation so a rejected request
leaves nothing behind and the committed changes become webhook events.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import Response, request

from connector.sandbox.faults import Fault, with_fault
from connector.sandbox.idempotency import Conflict, StoredAnswer, fingerprint
from connector.sandbox.ratelimit import Refusal, Window
from connector.sandbox.state import SandboxState, current_state
from connector.sandbox.xero import spec
from connector.sandbox.xero.books import Organisation
from connector.sandbox.xero.errors import (
    XeroError,
    forbidden,
    insufficient_scope,
    problem,
    unauthorized,
    validation,
)
from connector.sandbox.xero.identity import bearer, grant_for_token, token_scopes
from connector.sandbox.xero.webhooks import emit_changes
from connector.sandbox.xero.wire import dumps, loads_body

SERVICE = "xero"
PREFIX = "/api.xro/2.0"
# Apps made since March 2026 get granular scopes instead of `accounting.transactions`; each
# covers the document's transaction endpoints of one family (Xero's "OAuth 2.0 scopes" page).
GRANULAR = {
    **dict.fromkeys(("Invoices", "CreditNotes", "Quotes", "PurchaseOrders", "RepeatingInvoices",
                     "LinkedTransactions"), "accounting.invoices"),
    **dict.fromkeys(("Payments", "BatchPayments", "Overpayments", "Prepayments"),
                    "accounting.payments"),
    **dict.fromkeys(("BankTransactions", "BankTransfers"), "accounting.banktransactions"),
    "ManualJournals": "accounting.manualjournals",
}
MINUTE_LIMIT, DAY_LIMIT, CONCURRENT_LIMIT, APP_MINUTE_LIMIT = 60, 5000, 5, 10_000
Handler = Callable[..., Any]


def windows(state: SandboxState, tenant: str) -> list[Window]:
    app_id = state.apps["xero"]["client_id"]
    return [Window((SERVICE, tenant, "minute"), MINUTE_LIMIT, 60, "minute"),
            Window((SERVICE, tenant, "day"), DAY_LIMIT, 86_400, "day"),
            Window((SERVICE, app_id, "appminute"), APP_MINUTE_LIMIT, 60, "appminute")]


def _limit_headers(remaining: dict[str, int]) -> dict[str, str]:
    return {"X-DayLimit-Remaining": str(remaining.get("day", DAY_LIMIT)),
            "X-MinLimit-Remaining": str(remaining.get("minute", MINUTE_LIMIT)),
            "X-AppMinLimit-Remaining": str(remaining.get("appminute", APP_MINUTE_LIMIT))}


def render_error(error: XeroError, headers: dict[str, str] | None = None) -> Response:
    body = error.body if isinstance(error.body, str) else dumps(error.body)
    mimetype = "text/plain" if isinstance(error.body, str) else "application/json"
    return Response(body, status=error.status, mimetype=mimetype,
                    headers={**(headers or {}), **error.headers})


def too_many(problem_name: str, retry_after: int, headers: dict[str, str]) -> Response:
    """Xero's 429: the limit that was hit and how long to wait."""
    extra = {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": problem_name}
    return render_error(XeroError(429, problem(429, "Too Many Requests",
                                               f"Rate limit exceeded: {problem_name}"), extra),
                        headers)


def _render_fault(fault: Fault, headers: dict[str, str]) -> Response:
    if fault.status == 429:
        return too_many("minute", 60, headers)
    if fault.status == 503:
        return render_error(XeroError(503, problem(503, "Service Unavailable",
                                                   "The Xero API is temporarily unavailable")),
                            headers)
    return render_error(XeroError(int(fault.status or 500), {
        "ErrorNumber": 500, "Type": "UnknownException",
        "Message": "An error occurred in Xero. Check the API Status page "
                   "http://status.developer.xero.com for current service status."}), headers)


def endpoint(name: str) -> Callable[[Handler], Handler]:
    """Wrap a handler `(org, **route_args) -> Response` with the full Xero gate."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def gate(**route_args: Any) -> Response:
            label = f"{request.method} {name}"
            return _gate(label, handler, route_args)

        return gate

    return wrap


def _gate(label: str, handler: Handler, route_args: dict[str, Any]) -> Response:
    state = current_state()
    tenant = (request.headers.get("xero-tenant-id") or "").strip().lower()
    state.count(SERVICE, tenant or "-", label)
    with state.lock:
        grant, detail = grant_for_token(state.xero, bearer())
        org = state.xero.organisation(tenant)
        connected = grant is not None and any(c["tenantId"] == tenant for c in grant["connections"])
        scopes = token_scopes(state.xero, bearer())
    if grant is None:
        return render_error(unauthorized(detail))
    if org is None or not connected:
        return render_error(forbidden())
    operation = _operation()
    if operation is not None and not scoped(operation, scopes):
        return render_error(insufficient_scope())
    slot = (SERVICE, tenant, "concurrent")
    if not state.limiter.enter(slot, CONCURRENT_LIMIT):
        return too_many("concurrent", 1, _limit_headers({}))
    try:
        admitted = state.limiter.admit(windows(state, tenant))
        if isinstance(admitted, Refusal):
            remaining = {w.problem: state.limiter.remaining(w) for w in windows(state, tenant)}
            return too_many(admitted.problem, admitted.retry_after, _limit_headers(remaining))
        headers = _limit_headers(admitted.remaining)
        latency = state.latency_ms.get(SERVICE, 0.0)
        if latency:
            time.sleep(latency / 1000)
        refused = _off_document(operation)
        if refused is not None:
            return render_error(refused, headers)
        fault = state.faults.before(SERVICE, tenant, label)
        return with_fault(fault, lambda: _replayable(state, org, handler, route_args, headers),
                          lambda f: _render_fault(f, headers))
    finally:
        state.limiter.leave(slot)


def _operation() -> spec.Operation | None:
    rule = request.url_rule.rule if request.url_rule is not None else ""
    return spec.operation(request.method, rule, PREFIX) if rule.startswith(PREFIX) else None


def scoped(operation: spec.Operation, held: set[str]) -> bool:
    """Whether the token's scopes include one the operation lists (or its granular twin)."""
    family = GRANULAR.get(operation.template.strip("/").split("/")[0])
    for needed in operation.scopes:
        if needed in held:
            return True
        if family and needed == "accounting.transactions" and family in held:
            return True
        if family and needed == "accounting.transactions.read" and (
                family in held or f"{family}.read" in held):
            return True
    return not operation.scopes


def _off_document(operation: spec.Operation | None) -> XeroError | None:
    """A 400 ValidationException for parameters or a JSON body outside Xero's document."""
    if operation is None:
        return None
    problems = spec.parameter_problems(operation, request.args, request.headers)
    raw = request.get_data()
    if operation.body_pointer is not None and raw.strip():
        try:
            body = loads_body(raw)
        except ValueError:
            return validation(["The request body is not valid JSON"])
        problems += spec.body_problems(operation, body)
    return validation(problems) if problems else None


def _replayable(state: SandboxState, org: Organisation, handler: Handler,
                route_args: dict[str, Any], headers: dict[str, str]) -> Response:
    key = request.headers.get("Idempotency-Key")
    if request.method not in ("PUT", "POST") or not key:
        return _run(state, org, handler, route_args, headers)
    print_ = fingerprint(request.method, request.full_path, request.get_data())
    try:
        stored = state.replay.claim(SERVICE, org.tenant_id, key, print_)
    except Conflict:
        return render_error(XeroError(409, problem(
            409, "Conflict", "This Idempotency-Key was already used for a different request")),
            headers)
    if stored is not None:
        return Response(stored.body, status=stored.status, headers=dict(stored.headers))
    answer = _run(state, org, handler, route_args, headers)
    if answer.status_code < 500:
        kept = tuple((k, v) for k, v in answer.headers.items()
                     if k.lower() in ("content-type",))
        state.replay.store(SERVICE, org.tenant_id, key,
                           StoredAnswer(answer.status_code, kept, answer.get_data(), print_))
    else:
        state.replay.release(SERVICE, org.tenant_id, key)
    return answer


def _run(state: SandboxState, org: Organisation, handler: Handler,
         route_args: dict[str, Any], headers: dict[str, str]) -> Response:
    with state.lock:
        point = org.mark()
        try:
            answer = handler(org, **route_args)
        except XeroError as error:
            org.rollback(point)
            return render_error(error, headers)
        except Exception:
            org.rollback(point)
            raise
        changes = org.changes(point[0])
    emit_changes(state, org, changes)
    if isinstance(answer, Response):
        answer.headers.update(headers)
        return answer
    return Response(dumps(answer), status=200, mimetype="application/json", headers=headers)
