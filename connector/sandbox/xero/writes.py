"""PUT and POST endpoints: batches with `summarizeErrors`, single-record actions.

A batch is applied item by item, each under its own journal mark. With summarizeErrors true
(the default) one rejected item rejects the whole request: everything is rolled back and the
answer is a 400 ValidationException listing each rejected item with its messages. With
summarizeErrors false the good items are kept and the rejected ones come back in the 200
answer flagged `HasErrors`/`HasValidationErrors` with their `ValidationErrors`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, request

from connector.sandbox.state import current_state
from connector.sandbox.xero import settlement
from connector.sandbox.xero.books import Organisation, new_id
from connector.sandbox.xero.catalogue import upsert_contact, upsert_item
from connector.sandbox.xero.documents import CREDIT_NOTE, INVOICE, QUOTE, ItemRejected, upsert
from connector.sandbox.xero.errors import XeroError, validation, validation_body
from connector.sandbox.xero.reads import arg, find_one, render
from connector.sandbox.xero.spec import known_only
from connector.sandbox.xero.wire import envelope, loads_body

Apply = Callable[[Organisation, dict[str, Any], datetime], dict[str, Any]]
_ERROR_FLAG = {"Invoices": "HasErrors", "CreditNotes": "HasErrors"}
_SCHEMA = {"Invoices": "Invoice", "CreditNotes": "CreditNote", "Quotes": "Quote",
           "Contacts": "Contact", "Items": "Item", "Payments": "Payment",
           "BankTransactions": "BankTransaction"}


def _body() -> Any:
    try:
        return loads_body(request.get_data())
    except ValueError as exc:
        raise validation(["The request body is not valid JSON"]) from exc


def _summarize() -> bool:
    return (arg("summarizeErrors") or "true").strip().lower() != "false"


def batch(collection: str, apply: Apply) -> Callable[[Organisation, Any], dict[str, Any]]:
    """Apply every item of `{collection: [...]}` (or a single object) with `apply`."""
    key = collection

    def run(org: Organisation, body: Any) -> dict[str, Any]:
        items = body.get(key) if isinstance(body, dict) and key in body else [body]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise validation([f"The request must contain a list of {key}"])
        now = current_state().clock.now()
        start = org.mark()
        answers, rejected = [], []
        for raw in items:
            point = org.mark()
            try:
                answers.append(render(org, collection, apply(org, raw, now)))
            except ItemRejected as failure:
                org.rollback(point)
                errors = [{"Message": text} for text in failure.messages]
                known = known_only(_SCHEMA[collection], raw)  # Xero echoes no unknown keys
                rejected.append({**known, **failure.element, "ValidationErrors": errors})
                answers.append({**known, _ERROR_FLAG.get(collection, "HasValidationErrors"): True,
                                "StatusAttributeString": "ERROR", "ValidationErrors": errors})
        if rejected and _summarize():
            org.rollback(start)
            raise XeroError(400, validation_body(rejected))
        return envelope(now, key, answers)

    return run


def _document(kind: Any, create_only: bool) -> Apply:
    def apply(org: Organisation, raw: dict[str, Any], now: datetime) -> dict[str, Any]:
        record = upsert(org, kind, raw, now, create_only=create_only)
        if kind is CREDIT_NOTE and record["Status"] == "AUTHORISED":
            record.setdefault("RemainingCredit", record["Total"])
            record.setdefault("Allocations", [])
        org.save(kind.collection, record, now)
        if kind is INVOICE and record["Status"] in ("AUTHORISED", "PAID"):
            record = settlement.settle(org, record, now)
        return record

    return apply


def _catalogue(function: Any, create_only: bool) -> Apply:
    return lambda org, raw, now: function(org, raw, now, create_only=create_only)


def write_view(collection: str, method: str) -> Callable[..., Any]:
    run = _batch_for(collection, method)
    return lambda org: run(org, _body())


def _batch_for(collection: str, method: str) -> Callable[[Organisation, Any], dict[str, Any]]:
    create_only = method == "PUT"
    table: dict[str, Apply] = {
        "Invoices": _document(INVOICE, create_only), "CreditNotes": _document(CREDIT_NOTE, create_only),
        "Quotes": _document(QUOTE, create_only), "Contacts": _catalogue(upsert_contact, create_only),
        "Items": _catalogue(upsert_item, create_only),
        "Payments": settlement.create_payment,
        "BankTransactions": settlement.create_bank_transaction,
    }
    return batch(collection, table[collection])


def update_one(collection: str) -> Callable[..., Any]:
    """POST /{Collection}/{id}: the body's item(s) apply to that record."""
    id_fields = {"Invoices": "InvoiceID", "Contacts": "ContactID", "CreditNotes": "CreditNoteID",
                 "Quotes": "QuoteID", "Items": "ItemID"}
    run = _batch_for(collection, "POST")

    def view(org: Organisation, record_id: str) -> Any:
        record = find_one(org, collection, record_id)
        body = _body()
        items = body.get(collection, [body]) if isinstance(body, dict) else []
        for item in items:
            if isinstance(item, dict):
                item[id_fields[collection]] = record[id_fields[collection]]
        return run(org, body)

    return view


def payment_status(org: Organisation, record_id: str) -> dict[str, Any]:
    """POST /Payments/{id} with Status DELETED: the only change Xero allows to a payment."""
    payment = find_one(org, "Payments", record_id)
    body = _body()
    items = body.get("Payments", [body]) if isinstance(body, dict) else []
    status = str((items[0] if items else {}).get("Status", "")).upper()
    if status != "DELETED":
        raise validation(["A payment can only be deleted (Status DELETED)"])
    now = current_state().clock.now()
    try:
        payment = settlement.delete_payment(org, payment, now)
    except ItemRejected as failure:
        raise validation(failure.messages, {"PaymentID": record_id}) from failure
    return envelope(now, "Payments", [render(org, "Payments", payment)])


def allocations(collection: str) -> Callable[..., Any]:
    def view(org: Organisation, record_id: str) -> dict[str, Any]:
        source = find_one(org, collection, record_id)
        body = _body()
        items = body.get("Allocations", [body]) if isinstance(body, dict) else []
        now = current_state().clock.now()
        made = []
        for raw in items:
            try:
                made.append(settlement.allocate(org, collection, source, raw, now))
            except ItemRejected as failure:
                raise validation(failure.messages, failure.element) from failure
            source = find_one(org, collection, record_id)
        return envelope(now, "Allocations", made)

    return view


# Xero's Attachments page (developer.xero.com/documentation/api/accounting/attachments): at
# most 10 files per document, each at most 10 MB, of these types.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_DOCUMENT = 10
ATTACHMENT_TYPES = frozenset((
    "7z", "bmp", "csv", "doc", "docx", "eml", "gif", "jpeg", "jpg", "keynote", "msg", "numbers",
    "odf", "ods", "odt", "pages", "pdf", "png", "ppt", "pptx", "rar", "rtf", "tif", "tiff", "txt",
    "xls", "xlsx", "zip"))


def _attachment_problems(invoice: dict[str, Any], file_name: str, size: int) -> list[str]:
    problems = []
    extension = file_name.rpartition(".")[2].lower() if "." in file_name else ""
    if extension not in ATTACHMENT_TYPES:
        problems.append(f"Files of type .{extension or '(none)'} cannot be attached; allowed "
                        f"types are {', '.join(sorted(ATTACHMENT_TYPES))}.")
    if size > ATTACHMENT_MAX_BYTES:
        problems.append("The file is larger than the maximum attachment size of 10 MB.")
    others = [a for a in invoice.get("Attachments", []) if a["FileName"] != file_name]
    if len(others) >= ATTACHMENTS_PER_DOCUMENT:
        problems.append(f"A document can have at most {ATTACHMENTS_PER_DOCUMENT} attachments.")
    return problems


def put_attachment(org: Organisation, record_id: str, file_name: str) -> dict[str, Any]:
    invoice = dict(find_one(org, "Invoices", record_id))
    content = request.get_data()
    problems = _attachment_problems(invoice, file_name, len(content))
    if problems:
        raise validation(problems, {"InvoiceID": invoice["InvoiceID"]})
    attachment_id = new_id()
    meta = {"AttachmentID": attachment_id, "FileName": file_name,
            "Url": f"{request.host_url.rstrip('/')}/api.xro/2.0/Invoices/"
                   f"{invoice['InvoiceID']}/Attachments/{file_name}",
            "MimeType": request.mimetype or "application/octet-stream",
            "ContentLength": len(content),
            "IncludeOnline": (arg("IncludeOnline") or "").lower() == "true"}
    kept = [a for a in invoice.get("Attachments", []) if a["FileName"] != file_name]
    invoice["Attachments"] = [*kept, meta]
    org.blobs[attachment_id] = content
    now = current_state().clock.now()
    org.save("Invoices", invoice, now)
    return envelope(now, "Attachments", [meta])


def email_invoice(org: Organisation, record_id: str) -> Response:
    invoice = dict(find_one(org, "Invoices", record_id))
    contact = org.get("Contacts", invoice["Contact"]["ContactID"]) or {}
    if invoice["Status"] not in ("AUTHORISED", "PAID") or invoice["Type"] != "ACCREC":
        raise validation(["Only approved sales invoices can be emailed"])
    if not contact.get("EmailAddress"):
        raise validation(["The contact does not have an email address"])
    invoice["SentToContact"] = True
    org.save("Invoices", invoice, current_state().clock.now())
    return Response(status=204)
