"""Invoices, credit notes and quotes: creation, update and Xero's status rules.

Invoices and credit notes move DRAFT -> SUBMITTED -> AUTHORISED -> PAID. A draft or submitted
document may be deleted; an authorised one may only be voided, and only while nothing has been
paid or allocated against it; PAID, VOIDED and DELETED documents are final. Quotes move DRAFT ->
SENT -> ACCEPTED/DECLINED -> INVOICED. An update names the document by id or number and may
change any field its status still allows. Every problem with an item is collected and raised
together as `ItemRejected`, which the API renders as one element of a ValidationException.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connector.sandbox.xero.books import Organisation, new_id
from connector.sandbox.xero.dates import iso_string, parse_body_date
from connector.sandbox.xero.lines import ZERO, amount_type, apply_totals, build_lines

FINAL = ("PAID", "VOIDED", "DELETED")
# One @, something on both sides, a dot in the domain, no spaces (Xero's Contacts page: "Email
# address must be valid."; its exact rule is not published).
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def valid_email(text: str) -> bool:
    return _EMAIL.fullmatch(text) is not None


class ItemRejected(Exception):
    """One item of a request failed validation; `messages` are Xero's texts for it."""

    def __init__(self, messages: list[str], element: dict[str, Any] | None = None) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages
        self.element = element or {}


@dataclass(frozen=True)
class Kind:
    collection: str
    id_field: str
    number_field: str
    label: str
    types: tuple[str, ...]
    moves: dict[str | None, tuple[str, ...]]


_LEDGER_MOVES: dict[str | None, tuple[str, ...]] = {
    None: ("DRAFT", "SUBMITTED", "AUTHORISED"),
    "DRAFT": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
    "SUBMITTED": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
    "AUTHORISED": ("AUTHORISED", "VOIDED"),
    "PAID": (), "VOIDED": (), "DELETED": (),
}
INVOICE = Kind("Invoices", "InvoiceID", "InvoiceNumber", "Invoice",
               ("ACCREC", "ACCRECCREDIT", "ACCPAY", "ACCPAYCREDIT"), _LEDGER_MOVES)
CREDIT_NOTE = Kind("CreditNotes", "CreditNoteID", "CreditNoteNumber", "Credit Note",
                   ("ACCRECCREDIT", "ACCPAYCREDIT"), _LEDGER_MOVES)
QUOTE = Kind("Quotes", "QuoteID", "QuoteNumber", "Quote", ("",), {
    None: ("DRAFT", "SENT"),
    "DRAFT": ("DRAFT", "SENT", "DELETED"),
    "SENT": ("SENT", "DRAFT", "ACCEPTED", "DECLINED", "DELETED"),
    "ACCEPTED": ("ACCEPTED", "SENT", "INVOICED", "DELETED"),
    "DECLINED": ("DECLINED", "SENT", "DELETED"),
    "INVOICED": ("INVOICED",), "DELETED": (),
})
_PREFIX = {"ACCREC": "INV", "ACCRECCREDIT": "CN", "ACCPAY": "BILL", "ACCPAYCREDIT": "BCN", "": "QU"}


def find_existing(org: Organisation, kind: Kind, raw: dict[str, Any],
                  create_only: bool = False) -> dict | None:
    """The document an item names by id or (POST only) by number. A PUT creates: its number
    is checked for uniqueness instead (Xero's Invoices page: "Invoice # must be unique.")."""
    found = org.get(kind.collection, raw.get(kind.id_field))
    if found is None and raw.get(kind.id_field):
        raise ItemRejected([f"{kind.label} with the specified {kind.id_field} could not be found"])
    if found is None and raw.get(kind.number_field) and kind is not QUOTE and not create_only:
        found = org.find(kind.collection, kind.number_field, str(raw[kind.number_field]))
        if found is not None and found.get("Status") in ("DELETED", "VOIDED"):
            found = None
    return found


def upsert(org: Organisation, kind: Kind, raw: dict[str, Any], now: datetime,
           *, create_only: bool = False) -> dict[str, Any]:
    """Create or update one document; raises ItemRejected with every problem found."""
    existing = find_existing(org, kind, raw, create_only)
    record: dict[str, Any] = dict(existing) if existing else {kind.id_field: new_id()}
    errors: list[str] = []
    old_status = existing.get("Status") if existing else None
    status = str(raw.get("Status") or old_status or "DRAFT").upper()
    _check_move(kind, old_status, status, existing, errors)
    if errors:
        raise ItemRejected(errors, _element(kind, record))
    if existing and status in ("DELETED", "VOIDED"):
        record["Status"] = status
        return record
    _merge_fields(org, kind, record, raw, now, errors)
    record["Status"] = status
    _check_ready(kind, record, errors)
    if errors:
        raise ItemRejected(errors, _element(kind, record))
    apply_totals(org, record)
    if kind is not QUOTE:
        record.setdefault("AmountPaid", ZERO)
        record.setdefault("AmountCredited", ZERO)
        record["AmountDue"] = record["Total"] - record["AmountPaid"] - record["AmountCredited"]
    return record


def _check_move(kind: Kind, old: str | None, new: str, existing: dict | None,
                errors: list[str]) -> None:
    if new not in kind.moves:
        errors.append(f"Status '{new}' is not a valid {kind.label} status")
    elif new not in kind.moves.get(old, ()):
        if old in FINAL or old == "INVOICED":
            errors.append(f"{kind.label} not of valid status for modification")
        elif old is None:
            errors.append(f"A new {kind.label.lower()} cannot be created with the status {new}.")
        elif new == "DELETED":
            errors.append(f"A {old} {kind.label.lower()} cannot be deleted. Void it instead.")
        elif new == "VOIDED":
            errors.append(f"Only an AUTHORISED {kind.label.lower()} can be voided.")
        else:
            errors.append(f"{kind.label} cannot move from {old or 'new'} to {new}.")
    elif new == "VOIDED" and existing and _has_money_against(existing):
        errors.append(f"This {kind.label.lower()} cannot be voided because it has payments or "
                      "credits allocated to it. Remove them first.")


def _has_money_against(record: dict[str, Any]) -> bool:
    return bool(record.get("AmountPaid") or record.get("AmountCredited")
                or record.get("Allocations") or record.get("Payments"))


def _merge_fields(org: Organisation, kind: Kind, record: dict[str, Any], raw: dict[str, Any],
                  now: datetime, errors: list[str]) -> None:
    if kind is not QUOTE:
        record["Type"] = str(raw.get("Type") or record.get("Type") or "")
        if record["Type"] not in kind.types:
            errors.append(f"Type '{record['Type']}' is not valid for a {kind.label.lower()}.")
    if "Contact" in raw or "Contact" not in record:
        record["Contact"] = resolve_contact(org, raw.get("Contact"), now, errors)
    for field_name in ("Date", "DueDate", "ExpiryDate", "ExpectedPaymentDate"):
        if field_name in raw:
            try:
                record[field_name] = parse_body_date(raw[field_name])
            except ValueError:
                errors.append(f"{field_name} is not a valid date")
    record.setdefault("Date", now.date())
    for text_field in ("Reference", "Url", "BrandingThemeID", "Title", "Summary", "Terms"):
        if raw.get(text_field) is not None:
            record[text_field] = str(raw[text_field])
    record["CurrencyCode"] = str(raw.get("CurrencyCode") or record.get("CurrencyCode") or org.currency)
    if org.get("Currencies", record["CurrencyCode"]) is None:
        errors.append(f"The currency code '{record['CurrencyCode']}' is not enabled for this organisation.")
    record.setdefault("CurrencyRate", 1)
    if "LineAmountTypes" in raw or "LineAmountTypes" not in record:
        record["LineAmountTypes"] = amount_type(raw.get("LineAmountTypes"), errors)
        if kind is QUOTE:  # the document's QuoteLineAmountTypes: EXCLUSIVE, INCLUSIVE, NOTAX
            record["LineAmountTypes"] = record["LineAmountTypes"].upper()
    if "LineItems" in raw:
        if record.get("AmountPaid") or record.get("AmountCredited"):
            errors.append("This document cannot be edited as it has a payment or credit note "
                          "allocated to it.")
        record["LineItems"] = build_lines(org, raw["LineItems"], record["LineAmountTypes"], errors)
    record.setdefault("LineItems", [])
    _number(org, kind, record, raw, errors)


def _number(org: Organisation, kind: Kind, record: dict[str, Any], raw: dict[str, Any],
            errors: list[str]) -> None:
    wanted = raw.get(kind.number_field)
    if wanted:
        clash = org.find(kind.collection, kind.number_field, str(wanted))
        if clash is not None and clash[kind.id_field] != record[kind.id_field] \
                and clash.get("Status") not in ("DELETED", "VOIDED"):
            errors.append(f"{kind.label} # must be unique.")
        record[kind.number_field] = str(wanted)
    elif not record.get(kind.number_field):
        record[kind.number_field] = org.next_number(_PREFIX.get(record.get("Type", ""), "INV"))


def _check_ready(kind: Kind, record: dict[str, Any], errors: list[str]) -> None:
    """What Xero insists on before a document may leave DRAFT."""
    if record.get("Contact") is None:
        errors.append("A Contact must be specified for this type of transaction")
    if record["Status"] not in ("SUBMITTED", "AUTHORISED", "SENT"):
        return
    if not record["LineItems"]:
        errors.append(f"A {kind.label.lower()} must have at least one line item to be approved.")
    if kind is not QUOTE:
        for line in record["LineItems"]:
            if not line.get("AccountCode") and carries_an_amount(line):
                errors.append("Account code must be specified on every line item.")
                break
    if kind is INVOICE and record.get("Type") == "ACCREC" and not record.get("DueDate"):
        errors.append("Due Date is required.")


def carries_an_amount(line: dict[str, Any]) -> bool:
    """Xero accepts description-only lines (no item, quantity, price or amount: a heading or a
    memo) on approved documents; only a line that posts an amount needs an account code."""
    return bool(line.get("ItemCode") or line.get("UnitAmount") or line.get("LineAmount"))


def resolve_contact(org: Organisation, raw: Any, now: datetime,
                    errors: list[str]) -> dict[str, Any] | None:
    """The document's contact, by ContactID, ContactNumber or Name (a new name creates one)."""
    if not isinstance(raw, dict) or not any(raw.get(k) for k in ("ContactID", "ContactNumber", "Name")):
        return None
    contact = org.get("Contacts", raw.get("ContactID"))
    if raw.get("ContactID") and contact is None:
        errors.append("The contact with the specified ContactID could not be found")
        return None
    if contact is None and raw.get("ContactNumber"):
        contact = org.find("Contacts", "ContactNumber", str(raw["ContactNumber"]))
    if contact is None and raw.get("Name"):
        contact = org.find("Contacts", "Name", str(raw["Name"]))
        if contact is None and raw.get("EmailAddress") and not valid_email(str(raw["EmailAddress"])):
            errors.append("Email address must be valid.")
            return None
        if contact is None:
            contact = org.save("Contacts", {
                "ContactID": new_id(), "Name": str(raw["Name"]), "ContactStatus": "ACTIVE",
                "EmailAddress": str(raw.get("EmailAddress") or ""), "IsCustomer": True,
                "IsSupplier": False, "Addresses": [], "Phones": [], "ContactPersons": [],
                "HasAttachments": False, "HasValidationErrors": False}, now)
    if contact is None:
        errors.append("The contact could not be found")
        return None
    return {"ContactID": contact["ContactID"], "Name": contact["Name"]}


def _element(kind: Kind, record: dict[str, Any]) -> dict[str, Any]:
    return {kind.id_field: record.get(kind.id_field)}


def date_strings(record: dict[str, Any]) -> dict[str, Any]:
    """The ISO twins Xero adds next to MS-JSON dates."""
    extra = {}
    for field_name in ("Date", "DueDate", "ExpiryDate", "UpdatedDateUTC"):
        value = record.get(field_name)
        if isinstance(value, date | datetime):
            extra[f"{field_name}String"] = iso_string(value)
    return extra
