"""Line items and document totals, computed the way Xero computes them.

Each line's unit amount is rounded to two places, or four when the request says `unitdp=4`
(Xero's Invoices page: "By default, unit amount will be rounded to two decimal places"); its
amount is quantity x unit amount less its discount, rounded to cents; its tax is
worked out per line from the tax type's rate, on top of the amount (`Exclusive`), inside it
(`Inclusive`) or not at all (`NoTax`); the document's SubTotal, TotalTax and Total are sums of
the rounded lines. Rounding is half away from zero, to two places, as Xero's ledger does.
Unknown account codes, tax types, item codes and tracking options are reported as Xero's
validation messages, all of them at once; so are numbers too large for a ledger (the bound is
an assumption listed in the sandbox README), which would otherwise overflow the arithmetic.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import has_request_context, request

from connector.sandbox.xero.books import Organisation, new_id
from connector.sandbox.xero.wire import decimal_of

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
LARGEST = Decimal("9999999999999.9999")  # 13 whole digits: see the README's assumptions


def unit_places() -> int:
    """4 when the request carries `unitdp=4`, otherwise Xero's default of 2."""
    if has_request_context():
        for key, value in request.args.items():
            if key.lower() == "unitdp" and value.strip() == "4":
                return 4
    return 2


def unit_rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount_type(raw: Any, errors: list[str]) -> str:
    if raw in (None, ""):
        return "Exclusive"
    for known in AMOUNT_TYPES:
        if str(raw).lower() == known.lower():
            return known
    errors.append(f"LineAmountTypes '{raw}' is not valid. Use Exclusive, Inclusive or NoTax.")
    return "Exclusive"


def build_lines(org: Organisation, raw_lines: Any, kind: str, errors: list[str]) -> list[dict]:
    """Typed, validated line items with LineAmount and TaxAmount filled in."""
    if raw_lines in (None, ""):
        return []
    if not isinstance(raw_lines, list):
        errors.append("LineItems must be a list")
        return []
    return [_line(org, raw, kind, errors) for raw in raw_lines if isinstance(raw, dict)]


def _line(org: Organisation, raw: dict[str, Any], kind: str, errors: list[str]) -> dict:
    line: dict[str, Any] = {"LineItemID": raw.get("LineItemID") or new_id()}
    item = _item(org, raw.get("ItemCode"), errors)
    sales = (item or {}).get("SalesDetails", {})
    line["Description"] = raw.get("Description") or (item or {}).get("Description", "")
    if item:
        line["ItemCode"] = item["Code"]
        line["Item"] = {"ItemID": item["ItemID"], "Code": item["Code"], "Name": item["Name"]}
    try:
        quantity = decimal_of(raw.get("Quantity"))
        unit = decimal_of(raw.get("UnitAmount"), sales.get("UnitPrice") if item else None)
        given_amount = decimal_of(raw.get("LineAmount"))
        discount = decimal_of(raw.get("DiscountRate"))
    except ValueError as exc:
        errors.append(str(exc))
        return line
    given = {"Quantity": quantity, "UnitAmount": unit, "LineAmount": given_amount}
    too_big = [name for name, value in given.items()
               if value is not None and (not value.is_finite() or abs(value) > LARGEST)]
    if too_big:
        errors.extend(f"{name} must be between -{LARGEST} and {LARGEST}" for name in too_big)
        return line
    try:
        if unit is not None:
            unit = unit_rounded(unit, unit_places())
            quantity = Decimal(1) if quantity is None else quantity
            amount = cents(quantity * unit * (1 - (discount or ZERO) / HUNDRED))
        else:
            amount = cents(given_amount or ZERO)
            quantity = quantity if quantity is not None else Decimal(1)
            unit = cents(amount / quantity) if quantity else amount
    except InvalidOperation:
        amount = LARGEST + 1
    if abs(amount) > LARGEST:
        errors.append(f"The line amount must be between -{LARGEST} and {LARGEST}")
        return line
    line.update(Quantity=quantity, UnitAmount=unit, LineAmount=amount)
    if discount:
        line["DiscountRate"] = discount
    account = _account(org, raw.get("AccountCode") or sales.get("AccountCode"), errors)
    if account:
        line["AccountCode"] = account["Code"]
        line["AccountID"] = account["AccountID"]
    line["TaxType"] = _tax_type(org, raw.get("TaxType"), account, kind, errors)
    tracking = _tracking(org, raw.get("Tracking"), errors)
    if tracking:
        line["Tracking"] = tracking
    return line


def _item(org: Organisation, code: Any, errors: list[str]) -> dict | None:
    if not code:
        return None
    item = org.find("Items", "Code", str(code))
    if item is None:
        errors.append(f"Item code '{code}' is not valid")
    return item


def _account(org: Organisation, code: Any, errors: list[str]) -> dict | None:
    if not code:
        return None
    account = org.find("Accounts", "Code", str(code))
    if account is None or account.get("Status") != "ACTIVE":
        errors.append(f"Account code '{code}' is not a valid code for this document.")
        return None
    return account


def _tax_type(org: Organisation, given: Any, account: dict | None, kind: str,
              errors: list[str]) -> str:
    if kind.lower() == "notax":
        return "NONE"
    if given:
        if org.get("TaxRates", str(given)) is None:
            errors.append(f"The TaxType code '{given}' does not exist or cannot be used for "
                          "this type of transaction.")
            return "NONE"
        return str(given)
    return str((account or {}).get("TaxType") or "NONE")


def _tracking(org: Organisation, raw: Any, errors: list[str]) -> list[dict]:
    out = []
    for entry in raw or []:
        category = org.find("TrackingCategories", "Name", str(entry.get("Name", "")))
        option = None
        if category:
            option = next((o for o in category["Options"]
                           if o["Name"].lower() == str(entry.get("Option", "")).lower()), None)
        if category is None or option is None:
            errors.append(f"The tracking option '{entry.get('Option')}' is not valid for the "
                          f"tracking category '{entry.get('Name')}'.")
            continue
        out.append({"TrackingCategoryID": category["TrackingCategoryID"],
                    "TrackingOptionID": option["TrackingOptionID"],
                    "Name": category["Name"], "Option": option["Name"]})
    return out


def rate_of(org: Organisation, tax_type: str) -> Decimal:
    record = org.get("TaxRates", tax_type)
    return record["EffectiveRate"] if record else ZERO


def apply_totals(org: Organisation, document: dict[str, Any]) -> None:
    """Fill each line's TaxAmount and the document's SubTotal, TotalTax, Total."""
    kind = str(document.get("LineAmountTypes", "Exclusive")).lower()
    subtotal = total_tax = discount_total = ZERO
    for line in document.get("LineItems", []):
        rate = ZERO if kind == "notax" else rate_of(org, line.get("TaxType", "NONE"))
        amount = line.get("LineAmount", ZERO)
        if kind == "inclusive":
            tax = cents(amount * rate / (HUNDRED + rate))
            subtotal += amount - tax
        else:
            tax = cents(amount * rate / HUNDRED)
            subtotal += amount
        line["TaxAmount"] = tax
        total_tax += tax
        if line.get("DiscountRate"):
            gross = cents(line["Quantity"] * line["UnitAmount"])
            discount_total += gross - amount
    document.update(SubTotal=subtotal, TotalTax=total_tax, Total=subtotal + total_tax)
    if discount_total:
        document["TotalDiscount"] = discount_total
    document["IsDiscounted"] = bool(discount_total)
