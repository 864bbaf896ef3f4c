"""``/_sandbox/``: the control API a test or a demo uses to play bookkeeper, customer and fate.

Shared controls (info, reset, faults, clock, stats, latency, webhooks, revoke, rate limits,
save) live here; each service registers its bookkeeper actions under
``/_sandbox/quickbooks/...`` and ``/_sandbox/xero/...`` through its ``register_control``.
"""

from __future__ import annotations

import importlib
import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, request

from .faults import FAULT_KINDS
from .state import current_state

log = logging.getLogger(__name__)


def _body() -> dict[str, Any]:
    return request.get_json(silent=True) or {}


def _base_url() -> str:
    return request.host_url.rstrip("/")


def _service_module(name: str) -> Any:
    """A service package, or None while it is missing or broken (the other still serves)."""
    try:
        return importlib.import_module(f"connector.sandbox.{name}")
    except Exception as error:  # noqa: BLE001 - one broken service must not take down both
        log.warning("sandbox service %s unavailable: %s", name, error)
        return None


def info_document(base_url: str) -> dict:
    """The JSON of ``/_sandbox/info``: everything a client needs to point an SDK here."""
    state = current_state()
    document: dict[str, Any] = {}
    for name, function in (("quickbooks", "quickbooks_info"), ("xero", "xero_info")):
        module = _service_module(name)
        if module is not None and hasattr(module, function) and \
                getattr(state, name, None) is not None:
            document[name] = getattr(module, function)(state, base_url)
    return document


def blueprint() -> Blueprint:
    bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")

    @bp.get("/info")
    def info():  # type: ignore[no-untyped-def]
        return jsonify(info_document(_base_url()))

    @bp.route("/identity", methods=["GET", "POST"])
    def identity():  # type: ignore[no-untyped-def]
        """Who is signed in at Intuit or Xero: {service, email, email_verified, given_name,
        family_name}; a reset brings back admin@example.com, verified."""
        state = current_state()
        if request.method == "POST":
            body = _body()
            service = body.get("service")
            if service not in state.people or not isinstance(body.get("email"), str):
                return jsonify({"error": "give service (quickbooks or xero) and email"}), 400
            with state.lock:
                state.people[service] = {
                    "email": body["email"], "email_verified": bool(body.get("email_verified", True)),
                    "given_name": str(body.get("given_name", "")),
                    "family_name": str(body.get("family_name", ""))}
        return jsonify(state.people)

    @bp.post("/reset")
    def reset():  # type: ignore[no-untyped-def]
        current_state().reset()
        return jsonify({"reset": True})

    @bp.post("/save")
    def save():  # type: ignore[no-untyped-def]
        state = current_state()
        state.save(_body().get("path"))
        return jsonify({"saved": str(state.state_file) if state.state_file else None})

    @bp.route("/faults", methods=["GET", "POST", "DELETE"])
    def faults():  # type: ignore[no-untyped-def]
        plan = current_state().faults
        if request.method == "POST":
            body = _body()
            allowed = {"service", "kind", "company", "endpoint", "rate", "count", "seed",
                       "delay_seconds"}
            try:
                rule = plan.add(**{k: v for k, v in body.items() if k in allowed})
            except (TypeError, ValueError) as error:
                return jsonify({"error": str(error), "kinds": FAULT_KINDS}), 400
            return jsonify(rule.to_json()), 201
        if request.method == "DELETE":
            rule_id = request.args.get("id") or _body().get("id")
            plan.remove(int(rule_id) if rule_id is not None else None)
        return jsonify({"rules": plan.rules()})

    @bp.route("/clock", methods=["GET", "POST"])
    def clock():  # type: ignore[no-untyped-def]
        clock = current_state().clock
        body = _body() if request.method == "POST" else {}
        try:
            if "set" in body:
                clock.set(datetime.fromisoformat(str(body["set"]).replace("Z", "+00:00")))
            if "advance" in body:
                clock.advance(float(body["advance"]))
        except ValueError as error:
            return jsonify({"error": str(error)}), 400
        if body.get("freeze") is True:
            clock.freeze()
        elif body.get("freeze") is False:
            clock.unfreeze()
        return jsonify({"now": clock.now().isoformat(), "frozen": clock.frozen})

    @bp.get("/stats")
    def stats():  # type: ignore[no-untyped-def]
        return jsonify({"requests": current_state().stats()})

    @bp.route("/latency", methods=["GET", "POST"])
    def latency():  # type: ignore[no-untyped-def]
        state = current_state()
        for service, value in _body().items():
            if service in state.latency_ms:
                state.latency_ms[service] = max(0.0, float(value))
        return jsonify(state.latency_ms)

    @bp.route("/ratelimits", methods=["GET", "POST"])
    def ratelimits():  # type: ignore[no-untyped-def]
        limiter = current_state().limiter
        if "enabled" in _body():
            limiter.enabled = bool(_body()["enabled"])
        return jsonify({"enabled": limiter.enabled})

    @bp.route("/webhooks", methods=["GET", "POST"])
    def webhooks():  # type: ignore[no-untyped-def]
        outbox = current_state().webhooks
        if request.method == "POST":
            body = _body()
            urls = body.get("urls")
            if urls is None and "url" in body:
                urls = [body["url"]] if body["url"] else []
            outbox.configure(str(body.get("service", "quickbooks")), urls=urls,
                             format=body.get("format"), window_seconds=body.get("window_seconds"),
                             enabled=body.get("enabled"))
        return jsonify(outbox.settings())

    @bp.get("/webhooks/log")
    def webhook_log():  # type: ignore[no-untyped-def]
        return jsonify({"deliveries": current_state().webhooks.log(request.args.get("service"))})

    @bp.post("/webhooks/flush")
    def webhook_flush():  # type: ignore[no-untyped-def]
        rows = current_state().webhooks.flush(_body().get("service"))
        return jsonify({"deliveries": rows})

    @bp.post("/revoke")
    def revoke():  # type: ignore[no-untyped-def]
        """QuickBooks: the grant to the realm is revoked (401, refresh refused). Xero: the
        organisation is disconnected from every grant (its calls 403, the others go on);
        `/xero/{tenant}/revoke` revokes the whole consent instead (xero/control.py)."""
        body = _body()
        service = body.get("service", "quickbooks")
        books = getattr(current_state(), service, None)
        if books is None or not hasattr(books, "revoke"):
            return jsonify({"error": f"unknown service {service!r}"}), 400
        with current_state().lock:
            count = books.revoke(body.get("company"))
        return jsonify({"revoked": count})

    for name in ("quickbooks", "xero"):
        module = _service_module(name)
        if module is not None and hasattr(module, "register_control"):
            try:
                module.register_control(bp)
            except Exception as error:  # noqa: BLE001 - keep the shared controls serving
                log.warning("sandbox %s controls not registered: %s", name, error)
    importlib.import_module("connector.sandbox.companies").register(bp)
    return bp
