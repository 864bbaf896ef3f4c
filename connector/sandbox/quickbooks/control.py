"""Bookkeeper actions for QuickBooks under ``/_sandbox/quickbooks/{realm}/...``.

What a person does inside QuickBooks (record a customer's payment, send, void or delete an
invoice, void a payment, edit an estimate, change a company setting, turn multicurrency on,
give a customer its currency, disconnect the app) goes through the same code as the API, so
webhooks, CDC and balances move exactly as they would. ``seed`` fills a company with many
customers, invoices and payments at once for benchmarks (see ``bulk.py``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from ..state import current_state
from .api import send_invoice
from .books import Company
from .bulk import seed_books
from .errors import QBOError
from .operations import delete, save, void_invoice, void_payment
from .records import bump, fetch
from .seed import CURRENCY_NAMES
from .transactions import paid_on
from .webhooks import publish

TRANSACTIONS = ("Invoice", "Estimate", "CreditMemo", "Payment")


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
    except ValueError as error:
        return jsonify({"error": str(error)}), 400


def _currency(value: Any) -> str:
    code = str(value or "").upper()
    if code not in CURRENCY_NAMES:
        raise ValueError(f"currency must be one of {sorted(CURRENCY_NAMES)}")
    return code


def _has_transactions(company: Company, customer_id: str | None = None) -> bool:
    return any(customer_id in (None, (obj.get("CustomerRef") or {}).get("value"))
               for entity in TRANSACTIONS for obj in company.table(entity).values())


def currency_prefs(company: Company) -> dict[str, Any]:
    return {"MultiCurrencyEnabled": company.multicurrency,
            "HomeCurrency": {"value": company.currency}}


def set_multicurrency(company: Company, body: dict[str, Any]) -> dict[str, Any]:
    """Settings > Advanced > Currency, as QuickBooks allows it: multicurrency cannot be turned
    off again, and the home currency cannot change once it is on (Intuit, "About
    multicurrency": https://quickbooks.intuit.com/community/Getting-Started/About-Multi-currency/
    m-p/185951). That it cannot change once there are transactions either is an assumption
    (README table)."""
    enable = body.get("enabled")
    if enable is not None and not isinstance(enable, bool):
        raise ValueError("enabled must be true or false")
    if enable is False and company.multicurrency:
        raise ValueError("QuickBooks cannot turn multicurrency off once it is on")
    home = body.get("home_currency")
    if home is not None and _currency(home) != company.currency:
        if company.multicurrency:
            raise ValueError("the home currency cannot change once multicurrency is on")
        if _has_transactions(company):
            raise ValueError("the home currency cannot change once the company has transactions")
        old, company.currency = company.currency, _currency(home)
        new_ref = {"value": company.currency, "name": CURRENCY_NAMES[company.currency]}
        for entity in ("Customer", "Account"):
            for obj in company.table(entity).values():
                if (obj.get("CurrencyRef") or {}).get("value") == old:
                    obj["CurrencyRef"] = dict(new_ref)
    if enable:
        company.multicurrency = True
    return currency_prefs(company)


def set_customer_currency(company: Company, customer_id: str, currency: Any,
                          now: Any) -> tuple[dict, list]:
    """A customer's currency, as set when it is created in QuickBooks: a foreign one needs
    multicurrency, and it cannot change once the customer has transactions."""
    customer = fetch(company, "Customer", customer_id)
    code = _currency(currency)
    if code == (customer.get("CurrencyRef") or {}).get("value"):
        return customer, []
    if code != company.currency and not company.multicurrency:
        raise ValueError("turn multicurrency on before giving a customer a foreign currency")
    if _has_transactions(company, customer["Id"]):
        raise ValueError("QuickBooks cannot change the currency of a customer with transactions")
    customer["CurrencyRef"] = {"value": code, "name": CURRENCY_NAMES[code]}
    bump(customer)
    company.put("Customer", customer, now, created=False)
    return customer, [("Customer", customer["Id"], "Update")]


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

    @bp.post("/quickbooks/<realm_id>/payments/<payment_id>/void")
    def void_a_payment(realm_id: str, payment_id: str):  # type: ignore[no-untyped-def]
        def action(state, company, now):  # type: ignore[no-untyped-def]
            payment = fetch(company, "Payment", payment_id)
            return void_payment(company, {"Id": payment_id,
                                          "SyncToken": payment["SyncToken"]}, now)
        return _act(realm_id, action)

    @bp.post("/quickbooks/<realm_id>/revoke")
    def quickbooks_revoke(realm_id: str):  # type: ignore[no-untyped-def]
        """The customer disconnects the app: its tokens for this company stop working."""
        def action(state, company, now):  # type: ignore[no-untyped-def]
            return {"revoked": state.quickbooks.revoke(realm_id)}, []
        return _act(realm_id, action)

    @bp.post("/quickbooks/<realm_id>/multicurrency")
    def quickbooks_multicurrency(realm_id: str):  # type: ignore[no-untyped-def]
        body = _payload()

        def action(state, company, now):  # type: ignore[no-untyped-def]
            before = currency_prefs(company)
            after = set_multicurrency(company, body)
            return after, [("Preferences", "1", "Update")] if after != before else []
        return _act(realm_id, action)

    @bp.post("/quickbooks/<realm_id>/customers/<customer_id>/currency")
    def customer_currency(realm_id: str, customer_id: str):  # type: ignore[no-untyped-def]
        currency = _payload().get("currency")

        def action(state, company, now):  # type: ignore[no-untyped-def]
            return set_customer_currency(company, customer_id, currency, now)
        return _act(realm_id, action)

    @bp.post("/quickbooks/<realm_id>/seed")
    def quickbooks_seed(realm_id: str):  # type: ignore[no-untyped-def]
        """``{"customers", "invoices", "payments", "amount"?}`` built directly (bulk.py)."""
        body = _payload()
        return _act(realm_id, lambda state, company, now: seed_books(company, body, now))

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
