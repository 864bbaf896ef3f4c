"""The URL map of `/api.xro/2.0/`: which handler serves which path, under which endpoint name.

Endpoint names (`GET Invoices`, `PUT Invoices/Attachments`...) are what request counts and
fault rules use; a record's own URL shares its collection's name. Whatever else arrives under
the prefix is answered in Xero's shapes, not Flask's HTML pages: an unknown resource with
Xero's 404 text, a known one with the wrong method with a 405 and an `Allow` header. Every
answer carries a `Xero-Correlation-Id` (a fresh UUID), as Xero's do.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from connector.sandbox.xero import reads, writes
from connector.sandbox.xero.api import endpoint, render_error
from connector.sandbox.xero.errors import XeroError, not_found, problem
from connector.sandbox.xero.webhooks import renderer
from connector.sandbox.xero.wire import correlated

PREFIX = "/api.xro/2.0"
READABLE = ("Contacts", "Items", "Accounts", "TaxRates", "TrackingCategories", "Currencies",
            "Invoices", "Quotes", "CreditNotes", "Payments", "Prepayments", "Overpayments",
            "BankTransactions")
SINGLE = ("Contacts", "Items", "Accounts", "Invoices", "Quotes", "CreditNotes", "Payments",
          "Prepayments", "Overpayments", "BankTransactions")
WRITABLE = ("Invoices", "CreditNotes", "Quotes", "Contacts", "Items", "Payments",
            "BankTransactions")
UPDATABLE = ("Invoices", "Contacts", "CreditNotes", "Quotes", "Items")
METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH"]


def _register_renderer(setup: Any) -> None:
    state = setup.app.extensions["milepost_sandbox"]
    state.webhooks.register("xero", renderer(state))


def blueprint() -> Blueprint:
    bp = Blueprint("xero_api", __name__, url_prefix=PREFIX)
    bp.record_once(_register_renderer)
    bp.after_request(correlated)

    def add(rule: str, name: str, view: Any, methods: list[str], label: str) -> None:
        bp.add_url_rule(rule, endpoint=name, view_func=endpoint(label)(view), methods=methods)

    for coll in READABLE:
        add(f"/{coll}", f"list_{coll}", reads.list_view(coll), ["GET"], coll)
    for coll in SINGLE:
        add(f"/{coll}/<record_id>", f"one_{coll}", reads.one_view(coll), ["GET"], coll)
    for coll in WRITABLE:
        add(f"/{coll}", f"put_{coll}", writes.write_view(coll, "PUT"), ["PUT"], coll)
        if coll != "Payments":
            add(f"/{coll}", f"post_{coll}", writes.write_view(coll, "POST"), ["POST"], coll)
    add("/Payments", "post_Payments", writes.write_view("Payments", "PUT"), ["POST"], "Payments")
    for coll in UPDATABLE:
        add(f"/{coll}/<record_id>", f"update_{coll}", writes.update_one(coll), ["POST"], coll)
    add("/Payments/<record_id>", "update_Payments", writes.payment_status, ["POST"], "Payments")
    for coll in ("CreditNotes", "Prepayments", "Overpayments"):
        add(f"/{coll}/<record_id>/Allocations", f"alloc_{coll}", writes.allocations(coll),
            ["PUT"], f"{coll}/Allocations")
    add("/Invoices/<record_id>/Attachments", "attachments", reads.attachments_view, ["GET"],
        "Invoices/Attachments")
    add("/Invoices/<record_id>/Attachments/<name>", "attachment", reads.attachment_content,
        ["GET"], "Invoices/Attachments")
    add("/Invoices/<record_id>/Attachments/<file_name>", "put_attachment",
        writes.put_attachment, ["PUT", "POST"], "Invoices/Attachments")
    add("/Invoices/<record_id>/OnlineInvoice", "online", reads.online_invoice, ["GET"],
        "Invoices/OnlineInvoice")
    add("/Invoices/<record_id>/Email", "email", writes.email_invoice, ["POST"], "Invoices/Email")
    add("/Organisation", "organisation", reads.organisation_view, ["GET"], "Organisation")
    bp.add_url_rule("/", endpoint="unserved_root", view_func=unserved, methods=METHODS)
    bp.add_url_rule("/<path:rest>", endpoint="unserved", view_func=unserved, methods=METHODS)
    return bp


def unserved(rest: str = "") -> Response:
    """The catch-all: 405 when another method serves this path, else Xero's 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in METHODS:
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        if not str(rule.endpoint).endswith((".unserved", ".unserved_root")):
            allowed.append(method)
    if allowed:
        return render_error(XeroError(405, problem(405, "Method Not Allowed",
                                                   f"{request.method} is not allowed here"),
                                      {"Allow": ", ".join(allowed)}))
    return render_error(not_found())
