"""What happens to every v3 request before and after its handler, in QuickBooks' order.

Authentication first (a bad token is a 401 whatever else is wrong), then the request counts,
the per-company limits (500/minute, 10 in flight, 40 batches/minute), injected faults, the
configured latency, and ``requestid`` replay: a repeated id returns the first answer and the
write does not happen twice, whatever the repeated request's body (Intuit: "instead of
performing the operation again or returning an error, the service sends back the same response
it sent for the original request"). A requestid over 50 characters is refused (2050).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Response, request

from ..faults import drop_connection
from ..idempotency import StoredAnswer, fingerprint
from ..ratelimit import Refusal, Window
from ..state import SandboxState
from .books import qbo_time
from .errors import (
    QBOError,
    authentication_failed,
    forbidden,
    json_fault,
    render_injected,
    throttled,
)
from .field_rules import check_request_id

SERVICE = "quickbooks"
PER_MINUTE = 500
CONCURRENT = 10
BATCHES_PER_MINUTE = 40


def authenticate(state: SandboxState, realm_id: str) -> Response | None:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    grant = state.quickbooks.access_index.get(token)
    if grant is None or grant.revoked:
        return authentication_failed("Token invalid or revoked")
    if grant.access_expires <= state.clock.timestamp():
        return authentication_failed("Token expired")  # never echo any part of a token
    if grant.realm_id != realm_id:
        return forbidden(realm_id)
    return None


def windows(realm_id: str, endpoint: str) -> list[Window]:
    rules = [Window((SERVICE, realm_id, "minute"), PER_MINUTE, 60, "minute")]
    if endpoint.endswith(" batch"):
        rules.append(Window((SERVICE, realm_id, "batch"), BATCHES_PER_MINUTE, 60, "batch"))
    return rules


# QuickBooks keys a replay by the requestid alone, so every request shares one fingerprint
ANY_REQUEST = fingerprint("quickbooks requestid")


def _replayed(state: SandboxState, realm_id: str, request_id: str) -> StoredAnswer | Response | None:
    try:
        check_request_id(request_id)
    except QBOError as error:
        return json_fault(error, qbo_time(state.clock.now(), millis=True))
    return state.replay.claim(SERVICE, realm_id, request_id, ANY_REQUEST)


def _remember(state: SandboxState, realm_id: str, request_id: str, answer: Response) -> None:
    stored = StoredAnswer(answer.status_code, tuple(
        (k, v) for k, v in answer.headers.items() if k.lower() == "content-type"),
        answer.get_data(), ANY_REQUEST)
    state.replay.store(SERVICE, realm_id, request_id, stored)


def _run_once(state: SandboxState, realm_id: str, handler: Callable[[], Response]) -> Response:
    request_id = request.args.get("requestid") if request.method == "POST" else None
    if not request_id:
        return handler()
    earlier = _replayed(state, realm_id, request_id)
    if isinstance(earlier, Response):
        return earlier
    if earlier is not None:
        return Response(earlier.body, status=earlier.status, headers=list(earlier.headers))
    try:
        answer = handler()
    except BaseException:
        state.replay.release(SERVICE, realm_id, request_id)
        raise
    if answer.status_code < 500:
        _remember(state, realm_id, request_id, answer)
    else:
        state.replay.release(SERVICE, realm_id, request_id)
    return answer


def guarded(state: SandboxState, realm_id: str, endpoint: str,
            handler: Callable[[], Response]) -> Response:
    """Run ``handler`` for one v3 request behind auth, limits, faults, latency and replay."""
    state.count(SERVICE, realm_id, endpoint)
    refused = authenticate(state, realm_id)
    if refused is not None:
        return refused
    admission = state.limiter.admit(windows(realm_id, endpoint))
    if isinstance(admission, Refusal):
        return throttled(qbo_time(state.clock.now(), millis=True))
    slot = (SERVICE, realm_id, "concurrent")
    if not state.limiter.enter(slot, CONCURRENT):
        return throttled(qbo_time(state.clock.now(), millis=True))
    try:
        fault = state.faults.before(SERVICE, realm_id, endpoint)
        if fault is not None and fault.status is not None:
            return render_injected(fault, state.clock.now())
        if fault is not None and fault.kind == "drop":
            return drop_connection()
        delay = state.latency_ms.get(SERVICE, 0) / 1000 + (
            fault.delay_seconds if fault is not None and fault.kind == "slow" else 0)
        if delay:
            time.sleep(delay)
        answer = _run_once(state, realm_id, handler)
        if fault is not None and fault.kind == "timeout_after_commit":
            return drop_connection()
        return answer
    finally:
        state.limiter.leave(slot)
