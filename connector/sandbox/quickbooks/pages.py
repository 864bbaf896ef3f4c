"""What a customer reaches by following QuickBooks links: the attachment download
(``TempDownloadUri``) and the online invoice page (``InvoiceLink``)."""

from __future__ import annotations

import html

from flask import Blueprint, Response

from ..state import current_state


def pages_blueprint() -> Blueprint:
    bp = Blueprint("quickbooks_pages", __name__, url_prefix="/quickbooks")

    @bp.get("/download/<realm_id>/<attachable_id>")
    def download(realm_id: str, attachable_id: str):  # type: ignore[no-untyped-def]
        state = current_state()
        with state.lock:
            company = state.quickbooks.company(realm_id)
            obj = company.get("Attachable", attachable_id) if company else None
            content = state.quickbooks.files.get(f"{realm_id}/{attachable_id}")
        if obj is None or content is None:
            return Response("Not found", status=404)
        return Response(content, mimetype=obj.get("ContentType", "application/octet-stream"))

    @bp.get("/app/invoice/<realm_id>/<invoice_id>")
    def invoice_page(realm_id: str, invoice_id: str):  # type: ignore[no-untyped-def]
        state = current_state()
        with state.lock:
            company = state.quickbooks.company(realm_id)
            invoice = dict(company.get("Invoice", invoice_id) or {}) if company else {}
        if not invoice or company is None:
            return Response("This invoice is no longer available.", status=404)
        rows = "".join(
            f"<tr><td>{html.escape(str(line.get('Description', '')))}</td>"
            f"<td>{line.get('Amount', '')}</td></tr>"
            for line in invoice.get("Line", []) if line.get("DetailType") == "SalesItemLineDetail")
        body = (f"<!doctype html><html><head><title>Invoice {html.escape(invoice.get('DocNumber', ''))}"
                f"</title></head><body><h1>{html.escape(company.name)}</h1>"
                f"<h2>Invoice {html.escape(invoice.get('DocNumber', ''))}</h2>"
                f"<table>{rows}</table><p>Total: {invoice.get('TotalAmt')}</p>"
                f"<p>Balance due: {invoice.get('Balance')}</p></body></html>")
        return Response(body, mimetype="text/html")

    return bp
