"""Contacts and items: creation and update with Xero's uniqueness rules.

A contact's Name must be unique among active contacts, compared without case; an item's Code
must be unique. `PUT` only creates (a clash is a validation error); `POST` updates the record
named by its id, or by its name/code when no id is given, and creates it otherwise. A contact's
EmailAddress must look like an address ("Email address must be valid.", Xero's Contacts page)
and its DefaultCurrency must be one the organisation uses; keys Xero's document does not
describe are dropped, not stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connector.sandbox.xero.books import Organisation, new_id
from connector.sandbox.xero.documents import ItemRejected, valid_email
from connector.sandbox.xero.spec import known_only
from connector.sandbox.xero.wire import decimal_of

_CONTACT_FIELDS = ("FirstName", "LastName", "EmailAddress", "ContactNumber", "AccountNumber",
                   "TaxNumber", "CompanyNumber", "BankAccountDetails", "Addresses", "Phones",
                   "ContactPersons", "DefaultCurrency", "IsCustomer", "IsSupplier",
                   "AccountsReceivableTaxType", "PaymentTerms")


def _contact_problems(org: Organisation, raw: dict[str, Any]) -> list[str]:
    problems = []
    email = raw.get("EmailAddress")
    if email and not valid_email(str(email)):
        problems.append("Email address must be valid.")
    currency = raw.get("DefaultCurrency")
    if currency and org.get("Currencies", str(currency).upper()) is None:
        problems.append(f"The currency code '{currency}' is not enabled for this organisation.")
    return problems


def upsert_contact(org: Organisation, raw: dict[str, Any], now: datetime,
                   *, create_only: bool) -> dict[str, Any]:
    existing = org.get("Contacts", raw.get("ContactID"))
    if raw.get("ContactID") and existing is None:
        raise ItemRejected(["The contact with the specified ContactID could not be found"])
    name = str(raw.get("Name") or (existing or {}).get("Name") or "").strip()
    if not name:
        raise ItemRejected(["The contact name must be specified."])
    same_name = next((c for c in org.all("Contacts") if c["Name"].lower() == name.lower()
                      and c["ContactStatus"] == "ACTIVE"), None)
    if existing is None and same_name is not None and not create_only:
        existing = same_name
    if same_name is not None and same_name is not existing:
        raise ItemRejected([f"The contact name {name} is already assigned to another contact. "
                            "The contact name must be unique across all active contacts."])
    if len(name) > 255:
        raise ItemRejected(["The contact name must be 255 characters or fewer."])
    problems = _contact_problems(org, raw)
    if problems:
        raise ItemRejected(problems)
    raw = known_only("Contact", raw)
    if raw.get("DefaultCurrency"):
        raw["DefaultCurrency"] = str(raw["DefaultCurrency"]).upper()
    record = dict(existing) if existing else {
        "ContactID": new_id(), "ContactStatus": "ACTIVE", "Addresses": [], "Phones": [],
        "ContactPersons": [], "IsCustomer": False, "IsSupplier": False,
        "HasAttachments": False, "HasValidationErrors": False}
    record["Name"] = name
    for field_name in _CONTACT_FIELDS:
        if raw.get(field_name) is not None:
            record[field_name] = raw[field_name]
    status = str(raw.get("ContactStatus") or record["ContactStatus"]).upper()
    if status not in ("ACTIVE", "ARCHIVED"):
        raise ItemRejected([f"ContactStatus '{status}' is not valid"])
    record["ContactStatus"] = status
    return org.save("Contacts", record, now)


def upsert_item(org: Organisation, raw: dict[str, Any], now: datetime,
                *, create_only: bool) -> dict[str, Any]:
    existing = org.get("Items", raw.get("ItemID"))
    code = str(raw.get("Code") or (existing or {}).get("Code") or "").strip()
    if not code:
        raise ItemRejected(["Item code is required"])
    same_code = org.find("Items", "Code", code)
    if existing is None and same_code is not None and not create_only:
        existing = same_code
    if same_code is not None and same_code is not existing:
        raise ItemRejected([f"Item code '{code}' already exists"])
    record = dict(existing) if existing else {"ItemID": new_id(), "IsSold": True,
                                              "IsPurchased": False, "IsTrackedAsInventory": False}
    record["Code"] = code
    for field_name in ("Name", "Description", "PurchaseDescription", "IsSold", "IsPurchased"):
        if raw.get(field_name) is not None:
            record[field_name] = raw[field_name]
    record.setdefault("Name", code)
    for details in ("SalesDetails", "PurchaseDetails"):
        given = raw.get(details)
        if isinstance(given, dict):
            try:
                price = decimal_of(given.get("UnitPrice"))
            except ValueError as exc:
                raise ItemRejected([str(exc)]) from exc
            record[details] = {**given, **({"UnitPrice": price} if price is not None else {})}
    return org.save("Items", record, now)
