"""Creating, updating and deleting QuickBooks entities: the rules every entity shares.

python-quickbooks sends every attribute it knows, with "" and 0 as defaults; QuickBooks treats
those as absent. Updates must carry the current ``SyncToken`` (else fault 5010), full updates
replace the writable fields and sparse ones merge. Names (Customer ``DisplayName``, Item
``Name``...) are unique per company (fault 6240). Amounts are computed in ``Decimal`` and
stored as JSON numbers, because that is what the platform puts on the wire.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from . import catalogue, schema
from .books import Company
from .errors import QBOError, not_found, required, stale
from .field_rules import check_lengths, check_name_characters

# path segment -> entity name, for everything the v3 API serves here
ENTITIES = {name.lower(): name for name in (
    "Customer", "Item", "Account", "TaxCode", "Class", "Term", "Invoice", "Estimate",
    "CreditMemo", "Payment", "Attachable", "CompanyInfo", "Vendor", "Employee",
    "PaymentMethod", "Department", "TaxRate", "TaxAgency", "CompanyCurrency", "ExchangeRate",
    "SalesReceipt", "RefundReceipt", "Deposit", "Preferences")}
NAME_FIELD = {"Customer": "DisplayName", "Item": "Name", "Account": "Name", "Class": "Name",
              "Term": "Name", "TaxCode": "Name", "Vendor": "DisplayName",
              "Employee": "DisplayName", "PaymentMethod": "Name", "Department": "Name",
              "TaxAgency": "DisplayName", "TaxRate": "Name"}
NAME_LISTS = set(NAME_FIELD) | {"CompanyCurrency"}
TRANSACTIONS = {"Invoice", "Estimate", "CreditMemo", "Payment"}
READ_ONLY = {"Id", "SyncToken", "MetaData", "domain", "sparse", "Balance", "TotalAmt",
             "HomeBalance", "HomeTotalAmt", "UnappliedAmt", "InvoiceLink", "FullyQualifiedName",
             "BalanceWithJobs", "status"}
CREATE_ONLY_READS = {"Balance", "BalanceWithJobs"}
WRITE_PROTECTED = {"TaxCode", "CompanyInfo", "TaxRate"}


def D(value: Any) -> Decimal:
    """A Decimal from a wire value; "" and None are zero, as QuickBooks reads them."""
    if value in ("", None):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise QBOError(2040, "Invalid Number", f"Invalid number: {value!r}") from None


def num(value: Decimal) -> int | float:
    """The JSON number QuickBooks would write.

    Amounts are rounded to cents by the caller; a float's repr of such a Decimal (or of a rate
    like 1.0834) is its shortest round-trip form, so the digits on the wire are exact.
    """
    return int(value) if value == value.to_integral_value() else float(value)


def clean(value: Any) -> Any:
    """Drop python-quickbooks' empty-string defaults, recursively; Decimals become numbers."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v != "" and v is not None}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, Decimal):
        return num(value)
    return value


def entity_name(segment: str) -> str:
    name = ENTITIES.get(segment.lower())
    if name is None:
        raise QBOError(4000, "Unsupported Operation",
                       f"Operation {segment} is not supported.", status=400)
    return name


def fetch(company: Company, entity: str, entity_id: Any) -> dict:
    obj = company.get(entity, str(entity_id))
    if obj is None:
        raise not_found(entity, str(entity_id))
    return obj


def check_sync_token(existing: dict, body: dict, entity: str) -> None:
    sent = body.get("SyncToken")
    if sent in (None, ""):
        raise required("SyncToken")
    if str(sent) != str(existing["SyncToken"]):
        raise stale(entity, existing["Id"])


def bump(obj: dict) -> None:
    obj["SyncToken"] = str(int(obj["SyncToken"]) + 1)


def check_unique_name(company: Company, entity: str, obj: dict) -> None:
    field = NAME_FIELD.get(entity)
    if field is None:
        return
    name = str(obj.get(field) or "").strip()
    if not name:
        if entity == "Customer" and (obj.get("GivenName") or obj.get("CompanyName")):
            name = " ".join(str(obj.get(k, "")) for k in ("GivenName", "FamilyName")).strip() \
                or str(obj["CompanyName"])
            obj[field] = name
        else:
            raise required(field)
    folded = name.casefold()
    # Customer, Vendor and Employee share one name space (Intuit's Customer reference)
    for table in catalogue.PEOPLE if entity in catalogue.PEOPLE else (entity,):
        for other in company.table(table).values():
            if (table, other["Id"]) != (entity, obj.get("Id")) and \
                    str(other.get(field, "")).casefold() == folded:
                raise QBOError(6240, "Duplicate Name Exists Error",
                               f"The name supplied already exists. : Another customer, vendor "
                               f"or employee is already using this name. Please use a "
                               f"different name. Id={other['Id']}", element=field)
    if "FullyQualifiedName" in schema.load().members(entity)[0]:
        obj["FullyQualifiedName"] = name


def merge_for_update(existing: dict, body: dict) -> dict:
    """A full update replaces writable fields; a sparse one overlays the ones sent."""
    sparse = body.get("sparse") in (True, "true", "True")
    incoming = {k: v for k, v in clean(body).items() if k not in READ_ONLY}
    if sparse:
        merged = {**existing, **incoming}
    else:
        merged = {k: v for k, v in existing.items() if k in READ_ONLY}
        merged.update(incoming)
    merged["Id"] = existing["Id"]
    merged["SyncToken"] = existing["SyncToken"]
    return merged


def prepare_name_list(company: Company, entity: str, obj: dict, created: bool) -> dict:
    """Defaults QuickBooks fills in for list entities (customers, items, ...)."""
    obj.setdefault("Active", True)
    if entity == "Customer":
        if created:
            obj["Balance"] = 0
            obj["BalanceWithJobs"] = 0
        obj.setdefault("CurrencyRef", {"value": company.currency})
        obj.setdefault("Taxable", False)
        obj.setdefault("Job", False)
        obj.setdefault("BillWithParent", False)
        obj.setdefault("PreferredDeliveryMethod", "Email")
        if not company.multicurrency:
            obj["CurrencyRef"] = {"value": company.currency}
    if entity == "Item":
        obj.setdefault("Type", "Service")
        for field in ("UnitPrice", "QtyOnHand"):
            if field in obj:
                obj[field] = num(D(obj[field]))
        if obj["Type"] in ("Service", "NonInventory") and not obj.get("IncomeAccountRef"):
            raise required("IncomeAccountRef")
    catalogue.prepare(company, entity, obj, created)
    check_name_characters(entity, obj)
    check_lengths(entity, obj)
    check_unique_name(company, entity, obj)
    return obj


def save_name_list(company: Company, entity: str, body: dict, now: datetime) -> tuple[dict, str]:
    """Create or update a list entity; returns the stored object and the webhook operation."""
    if entity in WRITE_PROTECTED:
        raise QBOError(4000, "Unsupported Operation", f"{entity} cannot be written here")
    if body.get("Id") not in (None, "", 0, "0"):
        existing = fetch(company, entity, body["Id"])
        check_sync_token(existing, body, entity)
        obj = prepare_name_list(company, entity, merge_for_update(existing, body), False)
        bump(obj)
        return company.put(entity, obj, now, created=False), "Update"
    obj = {k: v for k, v in clean(body).items() if k not in READ_ONLY}
    obj = prepare_name_list(company, entity, obj, True)
    obj["Id"] = company.new_id()
    obj["SyncToken"] = "0"
    return company.put(entity, obj, now, created=True), "Create"
