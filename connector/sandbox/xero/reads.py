"""GET endpoints: lists with Xero's filters and paging, single records, attachments.

Filters combine as Xero combines them: `If-Modified-Since` (UpdatedDateUTC at or after it),
`IDs`, `Statuses`, `InvoiceNumbers` and `ContactIDs` as comma lists, `where`, `order`,
`includeArchived`; then `page`/`pageSize` (1-based, 100 by default, at most 1000) with the
`pagination` block. Rendering adds the ISO `...String` twins and the contact's current name.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from flask import Response, request

from connector.sandbox.state import current_state
from connector.sandbox.xero.books import ID_FIELDS, Organisation
from connector.sandbox.xero.dates import parse_if_modified_since
from connector.sandbox.xero.documents import date_strings
from connector.sandbox.xero.errors import XeroError, bad_request, not_found
from connector.sandbox.xero.lines import unit_places, unit_rounded
from connector.sandbox.xero.where import WhereError, compile_where, field_value
from connector.sandbox.xero.wire import envelope

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000
ARCHIVABLE = ("Contacts", "Accounts", "TrackingCategories", "TaxRates")
_CSV_FILTERS = {"InvoiceNumbers": ["InvoiceNumber"], "ContactIDs": ["Contact", "ContactID"],
                "Statuses": ["Status"]}


def arg(name: str) -> str | None:
    """A query parameter, its name matched without case (clients differ)."""
    wanted = name.lower()
    for key, value in request.args.items():
        if key.lower() == wanted:
            return value
    return None


def render(org: Organisation, collection: str, record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    out.update(date_strings(record))
    contact_ref = record.get("Contact")
    if isinstance(contact_ref, dict):
        contact = org.get("Contacts", contact_ref.get("ContactID"))
        if contact is not None:
            out["Contact"] = {"ContactID": contact["ContactID"], "Name": contact["Name"],
                              "EmailAddress": contact.get("EmailAddress") or None,
                              "ContactStatus": contact["ContactStatus"],
                              "HasAttachments": False, "HasValidationErrors": False}
    places = unit_places()
    if places != 4 and isinstance(record.get("LineItems"), list):
        # stored to four places when written with unitdp=4; shown to two unless asked again
        out["LineItems"] = [{**line, "UnitAmount": unit_rounded(line["UnitAmount"], places)}
                            if isinstance(line.get("UnitAmount"), Decimal) else line
                            for line in record["LineItems"]]
    if collection in ("Invoices", "CreditNotes"):
        out.setdefault("SentToContact", False)
        out["HasAttachments"] = bool(record.get("Attachments"))
        out.setdefault("HasErrors", False)
    return out


def select(org: Organisation, collection: str) -> tuple[list[dict[str, Any]], dict | None]:
    """The records a list GET returns, and its pagination block when paged."""
    records = org.all(collection)
    since = parse_if_modified_since(request.headers.get("If-Modified-Since"))
    if since is not None:
        records = [r for r in records if r.get("UpdatedDateUTC") and r["UpdatedDateUTC"] >= since]
    ids = arg("IDs")
    if ids:
        wanted = {part.strip().lower() for part in ids.split(",") if part.strip()}
        records = [r for r in records if str(r[ID_FIELDS[collection]]).lower() in wanted]
    for name, path in _CSV_FILTERS.items():
        value = arg(name)
        if value:
            wanted = {part.strip().lower() for part in value.split(",") if part.strip()}
            records = [r for r in records if str(field_value(r, path) or "").lower() in wanted]
    if collection in ARCHIVABLE and (arg("includeArchived") or "").lower() != "true":
        records = [r for r in records if r.get("ContactStatus", r.get("Status")) != "ARCHIVED"]
    where = arg("where")
    if where:
        try:
            predicate = compile_where(where)
        except WhereError as exc:
            raise bad_request(str(exc)) from exc
        records = [r for r in records if predicate(r)]
    records = _ordered(records, arg("order"))
    return _paged(records)


def _ordered(records: list[dict[str, Any]], order: str | None) -> list[dict[str, Any]]:
    if not order:
        return records
    for clause in reversed([c.strip() for c in order.split(",") if c.strip()]):
        name, _, direction = clause.partition(" ")
        path = name.split(".")
        records = sorted(records, key=partial(_field_sort_key, path),
                         reverse=direction.strip().upper() == "DESC")
    return records


def _field_sort_key(path: list[str], record: dict[str, Any]) -> tuple[int, Any]:
    return _sort_key(field_value(record, path))


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    return (1, value.lower() if isinstance(value, str) else value)


def _paged(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict | None]:
    page_text = arg("page")
    if not page_text:
        return records, None
    try:
        page = max(1, int(page_text))
        size = int(arg("pageSize") or DEFAULT_PAGE_SIZE)
    except ValueError as exc:
        raise bad_request("page and pageSize must be whole numbers") from exc
    size = min(max(1, size), MAX_PAGE_SIZE)
    count = len(records)
    pagination = {"page": page, "pageSize": size, "pageCount": -(-count // size),
                  "itemCount": count}
    return records[(page - 1) * size: page * size], pagination


def list_view(collection: str) -> Any:
    def view(org: Organisation) -> dict[str, Any]:
        records, pagination = select(org, collection)
        items = [render(org, collection, r) for r in records]
        extra = {"pagination": pagination} if pagination else {}
        return envelope(current_state().clock.now(), collection, items, **extra)

    return view


def find_one(org: Organisation, collection: str, key: str) -> dict[str, Any]:
    """A record by id, or by its number/code where Xero allows that."""
    record = org.get(collection, key)
    alternates = {"Invoices": "InvoiceNumber", "Items": "Code", "Contacts": "ContactNumber",
                  "CreditNotes": "CreditNoteNumber"}
    if record is None and collection in alternates:
        record = org.find(collection, alternates[collection], key)
    if record is None:
        raise not_found()
    return record


def one_view(collection: str) -> Any:
    def view(org: Organisation, record_id: str) -> dict[str, Any]:
        record = find_one(org, collection, record_id)
        return envelope(current_state().clock.now(), collection,
                        [render(org, collection, record)])

    return view


def attachments_view(org: Organisation, record_id: str) -> dict[str, Any]:
    invoice = find_one(org, "Invoices", record_id)
    return envelope(current_state().clock.now(), "Attachments", invoice.get("Attachments", []))


def attachment_content(org: Organisation, record_id: str, name: str) -> Response:
    invoice = find_one(org, "Invoices", record_id)
    for meta in invoice.get("Attachments", []):
        if name in (meta["AttachmentID"], meta["FileName"]):
            return Response(org.blobs.get(meta["AttachmentID"], b""), mimetype=meta["MimeType"])
    raise not_found()


def online_invoice(org: Organisation, record_id: str) -> dict[str, Any]:
    invoice = find_one(org, "Invoices", record_id)
    if invoice["Status"] in ("DRAFT", "SUBMITTED", "DELETED") or invoice["Type"] != "ACCREC":
        raise XeroError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                              "Message": "An online invoice is only available for approved "
                                         "sales invoices."})
    url = f"{request.host_url.rstrip('/')}/_sandbox/xero/online/{org.tenant_id}/{invoice['InvoiceID']}"
    return envelope(current_state().clock.now(), "OnlineInvoices", [{"OnlineInvoiceUrl": url}])


def organisation_view(org: Organisation) -> dict[str, Any]:
    """GET Organisation: the one organisation the tenant header names (name, base currency)."""
    record = {"OrganisationID": org.tenant_id, "Name": org.name, "LegalName": org.name,
              "ShortCode": org.short_code, "BaseCurrency": org.currency,
              "CountryCode": org.country, "OrganisationType": "COMPANY",
              "OrganisationStatus": "ACTIVE", "IsDemoCompany": False}
    return envelope(current_state().clock.now(), "Organisations", [record])
