"""Bookkeeper actions for QuickBooks under ``/_sandbox/quickbooks/{realm}/...``.

What a person does inside QuickBooks (record a customer's payment, send, void or delete an
invoice, edit an estimate, change a company setting) goes through the same code as the API,
so webhooks, CDC and balances move exactly as they would.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from ..state import current_state
from .api import send_invoice
from .errors import QBOError
from .operations import delete, save, void_invoice
from .records import fetch
from .transactions import paid_on
from .webhooks import publish


def _payload() -> dict[str, Any]:
    return request.get_json(silent=True) or {}


def _act(realm_id: str, action):  # type: ignore[no-untyped-def]
    state = current_state()
    try:
        with state.lock:
            company = state.quickbooks.company(realm_id)
            if company is None:
                return jsonify({"error": f"unknown company {realm_id}"}), 404
            obj, changes = action(state, company, state.clock.now())
            publish(state, realm_id, changes)
            return jsonify(obj)
    except QBOError as error:
        return jsonify({"error": error.detail or error.message, "code": error.code}), 400


def register(bp: Blueprint) -> None:
    @bp.post("/quickbooks/<realm_id>/payments")
    def record_payment(realm_id: str):  # type: ignore[no-untyped-def]
        """Record a customer's payment on an invoice; no amount pays the whole balance."""
        body = _payload()

        def action(state, company, now):  # type: ignore[no-untyped-def]
            invoice = fetch(company, "Invoice", str(body.get("invoice_id")))
            amount = body.get("amount") or invoice["Balance"]
            payment = {"CustomerRef": invoice["CustomerRef"], "TotalAmt": str(amount),
                       "Line": [{"Amount": str(amount), "LinkedTxn": [
                           {"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]}
            if body.get("date"):
                payment["TxnDate"] = body["date"]
            if body.get("reference"):
                payment["PaymentRefNum"] = body["reference"]
            return save(company, "Payment", payment, now)
        return _act(realm_id, action)

    @bp.post("/quickbooks/<realm_id>/invoices/<invoice_id>/send")
    def send(realm_id: str, invoice_id: str):  # type: ignore[no-untyped-def]
        email = _payload().get("email")

        def action(state, company, now):  # type: ignore[no-untyped-def]
            return send_invoice(state, company, "Invoice", invoice_id, email), []
        return _act(realm_id, action)

    @bp.post("/quickbooks/<realm_id>/invoices/<invoice_id>/void")
    def void(realm_id: str, invoice_id: str):  # type: ignore[no-untyped-def]
        def action(state, company, now):  # type: ignore[no-untyped-def]
            invoice = fetch(company, "Invoice", invoice_id)
            return void_invoice(company, {"Id": invoice_id,
                                          "SyncToken": invoice["SyncToken"]}, now)
        return _act(realm_id, action)

    @bp.post("/quickbooks/<realm_id>/<segment>/<entity_id>/delete")
    def remove(realm_id: str, segment: str, entity_id: str):  # type: ignore[no-untyped-def]
        entity = {"invoices": "Invoice", "payments": "Payment", "estimates": "Estimate",
                  "creditmemos": "CreditMemo"}.get(segment, segment)

        def action(state, company, now):  # type: ignore[no-untyped-def]
            obj = fetch(company, entity, entity_id)
            return delete(company, entity, {"Id": entity_id, "SyncToken": obj["SyncToken"]}, now)
        return _act(realm_id, action)

    @bp.post("/quickbooks/<realm_id>/estimates/<estimate_id>/edit")
    def edit_estimate(realm_id: str, estimate_id: str):  # type: ignore[no-untyped-def]
        """Change an estimate as the bookkeeper would (fields overlay, e.g. TxnStatus, Line)."""
        changes = _payload()

        def action(state, company, now):  # type: ignore[no-untyped-def]
            estimate = fetch(company, "Estimate", estimate_id)
            body = {**changes, "Id": estimate_id, "SyncToken": estimate["SyncToken"],
                    "sparse": True}
            return save(company, "Estimate", body, now)
        return _act(realm_id, action)

    @bp.post("/quickbooks/<realm_id>/settings")
    def settings(realm_id: str):  # type: ignore[no-untyped-def]
        body = _payload()

        def action(state, company, now):  # type: ignore[no-untyped-def]
            if "allow_duplicate_doc_number" in body:
                company.allow_duplicate_doc_number = bool(body["allow_duplicate_doc_number"])
            return {"allow_duplicate_doc_number": company.allow_duplicate_doc_number}, []
        return _act(realm_id, action)

    @bp.get("/quickbooks/<realm_id>/invoices/<invoice_id>")
    def show_invoice(realm_id: str, invoice_id: str):  # type: ignore[no-untyped-def]
        def action(state, company, now):  # type: ignore[no-untyped-def]
            invoice = fetch(company, "Invoice", invoice_id)
            return {**invoice, "_paid": str(paid_on(company, invoice_id))}, []
        return _act(realm_id, action)
