"""What the Xero section of `/_sandbox/` offers: the info block and the bookkeeper's actions.

A test or demo plays the bookkeeper inside Xero through `/_sandbox/xero/{tenant}/...`:
approve (AUTHORISE), send, void or delete an invoice, record a full or partial payment, edit
a quote, add or remove a currency. Each action goes through the same rules as the API (a paid
invoice cannot be voided), changes the books under the sandbox lock and emits the webhooks Xero
would. The customer's side is here too: `revoke` (the app's consent is revoked: its refresh
token is refused and every connection of that consent goes) and `disconnect` (the organisation
is disconnected from the app: it leaves GET /connections and calls for it get 403). `seed`
fills an organisation for benchmarks (`bulk.py`). The webhook intent-to-receive check is run
from `/_sandbox/xero/webhooks/intent`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.numbers import get_currency_name, list_currencies
from flask import Blueprint, Response, jsonify, request

from connector.sandbox.state import SandboxState, current_state
from connector.sandbox.xero.books import Organisation, XeroState
from connector.sandbox.xero.bulk import seed_organisation
from connector.sandbox.xero.documents import INVOICE, QUOTE, ItemRejected, upsert
from connector.sandbox.xero.settlement import create_payment, settle
from connector.sandbox.xero.webhooks import emit_changes, intent_to_receive
from connector.sandbox.xero.wire import dumps, to_wire


def xero_info(state: SandboxState, base_url: str) -> dict[str, Any]:
    """The `xero` block of `/_sandbox/info`: where to point xero-python and Authlib."""
    base = base_url.rstrip("/")
    app = state.apps["xero"]
    with state.lock:
        orgs = [{"tenant_id": o.tenant_id, "name": o.name, "currency": o.currency,
                 "country": o.country} for o in state.xero.organisations.values()]
    return {
        "authorize_url": f"{base}/identity/connect/authorize",
        "token_url": f"{base}/connect/token",
        "revocation_url": f"{base}/connect/revocation",
        "discovery_url": f"{base}/.well-known/openid-configuration",
        "connections_url": f"{base}/connections",
        "api_base": f"{base}/api.xro/2.0",
        "identity_base": base,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "webhook_key": app["webhook_key"],
        "organisations": orgs,
    }


Action = Callable[[Organisation, dict[str, Any], Any], Any]


def _act(tenant_id: str, action: Action) -> Response:
    state = current_state()
    body = request.get_json(silent=True) or {}
    with state.lock:
        org = state.xero.organisation(tenant_id)
        if org is None:
            return jsonify({"error": f"unknown organisation {tenant_id}"}), 404  # type: ignore[return-value]
        point = org.mark()
        try:
            result = action(org, body, state.clock.now())
        except ItemRejected as failure:
            org.rollback(point)
            return jsonify({"error": failure.messages}), 400  # type: ignore[return-value]
        changes = org.changes(point[0])
    emit_changes(state, org, changes)
    return Response(dumps(result), mimetype="application/json")


def _invoice_status(status: str) -> Action:
    def action(org: Organisation, body: dict[str, Any], now: Any) -> Any:
        record = upsert(org, INVOICE, {"InvoiceID": body["invoice_id"], "Status": status}, now)
        org.save("Invoices", record, now)
        return settle(org, record, now) if status == "AUTHORISED" else record

    return action


def _send(org: Organisation, body: dict[str, Any], now: Any) -> Any:
    invoice = org.get("Invoices", body["invoice_id"])
    if invoice is None or invoice["Status"] not in ("AUTHORISED", "PAID"):
        raise ItemRejected(["Only approved invoices can be sent"])
    return org.save("Invoices", {**invoice, "SentToContact": True}, now)


def _payment(org: Organisation, body: dict[str, Any], now: Any) -> Any:
    invoice = org.get("Invoices", body["invoice_id"])
    if invoice is None:
        raise ItemRejected(["Invoice could not be found"])
    amount = body.get("amount") or invoice.get("AmountDue")
    return create_payment(org, {"Invoice": {"InvoiceID": invoice["InvoiceID"]},
                                "Account": {"Code": body.get("account_code", "090")},
                                "Amount": str(amount), "Date": body.get("date"),
                                "Reference": body.get("reference", "")}, now)


def _edit_quote(org: Organisation, body: dict[str, Any], now: Any) -> Any:
    changes = {k: v for k, v in body.items() if k != "quote_id"}
    record = upsert(org, QUOTE, {"QuoteID": body["quote_id"], **changes}, now)
    return org.save("Quotes", record, now)


CURRENCY_USERS = ("Invoices", "CreditNotes", "Quotes", "BankTransactions", "Prepayments",
                  "Overpayments")


def _currencies(org: Organisation, body: dict[str, Any], now: Any) -> Any:
    """Settings > Currencies: add a currency (`enabled` true, the default) or take one away.

    Xero itself never deletes a currency once added (https://help.xero.com/CurrencySettings);
    taking one away stands for an organisation that never added it, so it is refused for the
    base currency and for one that documents already use (README table)."""
    code = str(body.get("code") or "").upper()
    if code not in list_currencies():
        raise ItemRejected([f"'{code}' is not an ISO 4217 currency code"])
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ItemRejected(["enabled must be true or false"])
    existing = org.get("Currencies", code)
    if enabled and existing is None:
        org.save("Currencies", {"Code": code,
                                "Description": get_currency_name(code, locale="en")}, now)
    elif not enabled and existing is not None:
        if code == org.currency:
            raise ItemRejected([f"{code} is the base currency and cannot be removed"])
        if any(record.get("CurrencyCode") == code and record.get("Status") != "DELETED"
               for collection in CURRENCY_USERS for record in org.all(collection)):
            raise ItemRejected([f"{code} is used by transactions and cannot be removed"])
        org.journal.append(("Currencies", code, existing))
        del org.records["Currencies"][code]
    return {"Currencies": org.all("Currencies")}


def revoke_grants(xero: XeroState, tenant_id: str | None) -> int:
    """Revoke every consent that reaches the organisation (all when None), as Xero does when
    a refresh token is revoked: the refresh token is refused (`invalid_grant`) and all the
    consent's connections go, so its access token gets 403 for every tenant
    (https://developer.xero.com/documentation/guides/oauth2/auth-flow/#revoking-tokens)."""
    hits = [grant for grant in xero.grants.values() if tenant_id is None
            or any(c["tenantId"] == tenant_id for c in grant["connections"])]
    for grant in hits:
        grant["connections"] = []
        for token in [t for t, r in xero.refresh_tokens.items()
                      if r["grant_id"] == grant["grant_id"]]:
            del xero.refresh_tokens[token]
    return len(hits)


def _tenant_action(tenant_id: str, action: Callable[[XeroState, str], int], key: str) -> Any:
    state = current_state()
    with state.lock:
        org = state.xero.organisation(tenant_id)
        if org is None:
            return jsonify({"error": f"unknown organisation {tenant_id}"}), 404
        return jsonify({key: action(state.xero, org.tenant_id)})


def register_control(bp: Blueprint) -> None:
    """Mount the Xero bookkeeper actions on the shared `/_sandbox` blueprint."""
    actions: dict[str, Action] = {
        "authorise": _invoice_status("AUTHORISED"), "submit": _invoice_status("SUBMITTED"),
        "void": _invoice_status("VOIDED"), "delete": _invoice_status("DELETED"), "send": _send,
    }

    @bp.post("/xero/<tenant_id>/invoices/<invoice_id>/<verb>")
    def xero_invoice_action(tenant_id: str, invoice_id: str, verb: str):  # type: ignore[no-untyped-def]
        if verb not in actions:
            return jsonify({"error": f"unknown action {verb}", "actions": sorted(actions)}), 404
        return _act(tenant_id, lambda org, body, now: actions[verb](
            org, {**body, "invoice_id": invoice_id}, now))

    @bp.post("/xero/<tenant_id>/payments")
    def xero_payment(tenant_id: str):  # type: ignore[no-untyped-def]
        return _act(tenant_id, _payment)

    @bp.post("/xero/<tenant_id>/currencies")
    def xero_currencies(tenant_id: str):  # type: ignore[no-untyped-def]
        return _act(tenant_id, _currencies)

    @bp.post("/xero/<tenant_id>/revoke")
    def xero_revoke(tenant_id: str):  # type: ignore[no-untyped-def]
        return _tenant_action(tenant_id, revoke_grants, "revoked")

    @bp.post("/xero/<tenant_id>/disconnect")
    def xero_disconnect(tenant_id: str):  # type: ignore[no-untyped-def]
        return _tenant_action(tenant_id, lambda xero, tenant: xero.revoke(tenant), "removed")

    @bp.post("/xero/<tenant_id>/seed")
    def xero_seed(tenant_id: str):  # type: ignore[no-untyped-def]
        """`{"contacts", "invoices", "payments", "amount"?}`, built directly (bulk.py); no
        webhooks, so not through `_act`."""
        state = current_state()
        body = request.get_json(silent=True) or {}
        with state.lock:
            org = state.xero.organisation(tenant_id)
            if org is None:
                return jsonify({"error": f"unknown organisation {tenant_id}"}), 404
            try:
                return jsonify(seed_organisation(org, body, state.clock.now()))
            except ItemRejected as failure:
                return jsonify({"error": failure.messages}), 400

    @bp.post("/xero/<tenant_id>/quotes/<quote_id>/edit")
    def xero_edit_quote(tenant_id: str, quote_id: str):  # type: ignore[no-untyped-def]
        return _act(tenant_id, lambda org, body, now: _edit_quote(
            org, {**body, "quote_id": quote_id}, now))

    @bp.post("/xero/webhooks/intent")
    def xero_intent():  # type: ignore[no-untyped-def]
        url = (request.get_json(silent=True) or {}).get("url")
        if not url:
            return jsonify({"error": "url is required"}), 400
        return jsonify(to_wire(intent_to_receive(current_state(), url)))

    @bp.get("/xero/webhooks/intent")
    def xero_intent_results():  # type: ignore[no-untyped-def]
        state = current_state()
        with state.lock:
            return jsonify({"checks": to_wire(state.xero.intent_checks)})

    @bp.get("/xero/online/<tenant_id>/<invoice_id>")
    def xero_online_invoice(tenant_id: str, invoice_id: str):  # type: ignore[no-untyped-def]
        state = current_state()
        with state.lock:
            org = state.xero.organisation(tenant_id)
            invoice = org.get("Invoices", invoice_id) if org else None
        if invoice is None:
            return Response("not found", status=404)
        return Response(f"<!doctype html><title>{invoice['InvoiceNumber']}</title>"
                        f"<h1>Invoice {invoice['InvoiceNumber']}</h1>"
                        f"<p>Amount due: {invoice['AmountDue']} {invoice['CurrencyCode']}</p>",
                        mimetype="text/html")
