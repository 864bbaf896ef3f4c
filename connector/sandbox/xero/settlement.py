"""Money against invoices: payments, credit-note, prepayment and overpayment allocations.

Xero applies money only to AUTHORISED documents and never beyond what is outstanding. An
invoice's AmountPaid is the sum of its live payments, AmountCredited the sum of allocations
to it, and AmountDue what remains; at zero the invoice becomes PAID with FullyPaidOnDate the
date of the money that cleared it, and deleting a payment moves it back to AUTHORISED.
Prepayments and overpayments come into being as RECEIVE-PREPAYMENT / RECEIVE-OVERPAYMENT bank
transactions, as in Xero, and are then allocated like credit notes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connector.sandbox.xero.books import Organisation, new_id
from connector.sandbox.xero.dates import parse_body_date
from connector.sandbox.xero.documents import ItemRejected, resolve_contact
from connector.sandbox.xero.lines import ZERO, amount_type, apply_totals, build_lines
from connector.sandbox.xero.wire import decimal_of

CREDIT_SOURCES = {"CreditNotes": "CreditNoteID", "Prepayments": "PrepaymentID",
                  "Overpayments": "OverpaymentID"}


def _object_at(raw: dict[str, Any], key: str) -> dict[str, Any]:
    """A nested object of the body, or an empty one when it is missing or not an object."""
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def _invoice_of(org: Organisation, raw: Any) -> dict[str, Any]:
    raw = raw if isinstance(raw, dict) else {}
    invoice = org.get("Invoices", raw.get("InvoiceID"))
    if invoice is None and raw.get("InvoiceNumber"):
        invoice = org.find("Invoices", "InvoiceNumber", str(raw["InvoiceNumber"]))
    if invoice is None:
        raise ItemRejected(["Invoice could not be found"])
    return invoice


def _amount(raw: Any) -> Decimal:
    try:
        amount = decimal_of(raw)
    except ValueError as exc:
        raise ItemRejected([str(exc)]) from exc
    if amount is None or amount <= 0:
        raise ItemRejected(["Payment amount must be greater than zero"])
    return amount


def _date(raw: Any, now: datetime) -> date:
    try:
        return parse_body_date(raw) or now.date()
    except ValueError as exc:
        raise ItemRejected(["Date is not a valid date"]) from exc


def create_payment(org: Organisation, raw: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Apply a payment to an AUTHORISED invoice; returns the stored payment."""
    invoice = _invoice_of(org, raw.get("Invoice"))
    account_raw = _object_at(raw, "Account")
    account = org.get("Accounts", account_raw.get("AccountID")) or (
        org.find("Accounts", "Code", str(account_raw.get("Code"))) if account_raw.get("Code") else None)
    errors = []
    if account is None:
        errors.append("Account could not be found")
    elif account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
        errors.append("Account type is invalid for making a payment to/from")
    if invoice["Status"] != "AUTHORISED":
        errors.append("Payments can only be made against Authorised documents")
    amount = _amount(raw.get("Amount"))
    if invoice["Status"] == "AUTHORISED" and amount > invoice["AmountDue"]:
        errors.append("Payment amount exceeds the amount outstanding on this document")
    if errors:
        raise ItemRejected(errors, {"InvoiceID": invoice["InvoiceID"]})
    assert account is not None  # noqa: S101 - guarded by the error check above
    payment = {
        "PaymentID": new_id(), "Date": _date(raw.get("Date"), now), "Amount": amount,
        "BankAmount": amount, "CurrencyRate": Decimal(1), "Reference": str(raw.get("Reference") or ""),
        "IsReconciled": bool(raw.get("IsReconciled", False)), "Status": "AUTHORISED",
        "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
        "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
        "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"],
                    "Type": invoice["Type"], "Contact": invoice["Contact"]},
        "HasAccount": True, "HasValidationErrors": False,
    }
    org.save("Payments", payment, now)
    settle(org, invoice, now)
    return payment


def delete_payment(org: Organisation, payment: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Xero deletes a payment by its status; the invoice owes the money again."""
    if payment["Status"] == "DELETED":
        raise ItemRejected(["This payment has already been deleted"])
    payment = {**payment, "Status": "DELETED"}
    org.save("Payments", payment, now)
    invoice = org.get("Invoices", payment["Invoice"]["InvoiceID"])
    if invoice is not None:
        settle(org, invoice, now)
    return payment


def allocate(org: Organisation, collection: str, source: dict[str, Any], raw: dict[str, Any],
             now: datetime) -> dict[str, Any]:
    """Allocate part of a credit note, prepayment or overpayment to an invoice."""
    invoice = _invoice_of(org, raw.get("Invoice"))
    amount = _amount(raw.get("Amount"))
    errors = []
    if source["Status"] != "AUTHORISED":
        errors.append("Only AUTHORISED credit can be allocated")
    if invoice["Status"] != "AUTHORISED":
        errors.append("Allocations can only be made against Authorised documents")
    elif amount > invoice["AmountDue"]:
        errors.append("The amount being allocated exceeds the amount outstanding on the invoice")
    if amount > source.get("RemainingCredit", ZERO):
        errors.append("The amount being allocated exceeds the remaining credit")
    if source["Contact"]["ContactID"] != invoice["Contact"]["ContactID"]:
        errors.append("The invoice and the credit must belong to the same contact")
    if errors:
        raise ItemRejected(errors, {"InvoiceID": invoice["InvoiceID"]})
    allocation = {"AllocationID": new_id(), "Amount": amount, "Date": _date(raw.get("Date"), now),
                  "Invoice": {"InvoiceID": invoice["InvoiceID"],
                              "InvoiceNumber": invoice["InvoiceNumber"]},
                  "IsDeleted": False}
    remaining = source["RemainingCredit"] - amount
    source = {**source, "Allocations": [*source.get("Allocations", []), allocation],
              "RemainingCredit": remaining, "AppliedAmount": source.get("AppliedAmount", ZERO) + amount}
    if remaining == 0:
        source["Status"] = "PAID"
    org.save(collection, source, now)
    settle(org, invoice, now)
    return allocation


def settle(org: Organisation, invoice: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Recompute what is paid, credited and due on an invoice, and whether it is PAID."""
    invoice_id = invoice["InvoiceID"]
    payments = [p for p in org.all("Payments")
                if p["Invoice"]["InvoiceID"] == invoice_id and p["Status"] == "AUTHORISED"]
    credits: dict[str, list[dict[str, Any]]] = {name: [] for name in CREDIT_SOURCES}
    dates = [p["Date"] for p in payments]
    for collection, id_field in CREDIT_SOURCES.items():
        for source in org.all(collection):
            for alloc in source.get("Allocations", []):
                if alloc["Invoice"]["InvoiceID"] == invoice_id and not alloc.get("IsDeleted"):
                    credits[collection].append({id_field: source[id_field],
                                                "AppliedAmount": alloc["Amount"],
                                                "Date": alloc["Date"]})
                    dates.append(alloc["Date"])
    paid = sum((p["Amount"] for p in payments), ZERO)
    credited = sum((c["AppliedAmount"] for rows in credits.values() for c in rows), ZERO)
    invoice = {**invoice, "AmountPaid": paid, "AmountCredited": credited,
               "AmountDue": invoice["Total"] - paid - credited,
               "Payments": [{"PaymentID": p["PaymentID"], "Date": p["Date"], "Amount": p["Amount"],
                             "Reference": p["Reference"], "CurrencyRate": p["CurrencyRate"],
                             "HasAccount": True, "HasValidationErrors": False}
                            for p in payments]}
    invoice.update({name: rows for name, rows in credits.items()})
    if invoice["Status"] in ("AUTHORISED", "PAID"):
        cleared = invoice["AmountDue"] == 0 and invoice["Total"] > 0
        invoice["Status"] = "PAID" if cleared else "AUTHORISED"
        invoice["FullyPaidOnDate"] = max(dates) if cleared and dates else None
    return org.save("Invoices", invoice, now)


def create_bank_transaction(org: Organisation, raw: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A bank transaction; RECEIVE-PREPAYMENT/-OVERPAYMENT also create the credit they hold."""
    errors: list[str] = []
    kind = str(raw.get("Type") or "")
    if kind not in ("RECEIVE", "SPEND", "RECEIVE-PREPAYMENT", "RECEIVE-OVERPAYMENT"):
        errors.append(f"Type '{kind}' is not supported for bank transactions")
    bank_raw = _object_at(raw, "BankAccount")
    bank = org.get("Accounts", bank_raw.get("AccountID")) or (
        org.find("Accounts", "Code", str(bank_raw.get("Code"))) if bank_raw.get("Code") else None)
    if bank is None or bank["Type"] != "BANK":
        errors.append("A valid BankAccount must be specified")
    contact = resolve_contact(org, raw.get("Contact"), now, errors)
    if contact is None and kind.endswith("PAYMENT"):
        errors.append("A Contact must be specified for this type of transaction")
    amount_types = amount_type(raw.get("LineAmountTypes"), errors)
    record: dict[str, Any] = {
        "BankTransactionID": new_id(), "Type": kind, "Contact": contact,
        "Date": _date(raw.get("Date"), now), "Reference": str(raw.get("Reference") or ""),
        "Status": "AUTHORISED", "LineAmountTypes": amount_types, "IsReconciled": False,
        "CurrencyCode": org.currency, "HasAttachments": False,
        "LineItems": build_lines(org, raw.get("LineItems"), amount_types, errors),
    }
    if errors:
        raise ItemRejected(errors)
    assert bank is not None  # noqa: S101 - guarded by the error check above
    record["BankAccount"] = {"AccountID": bank["AccountID"], "Code": bank["Code"], "Name": bank["Name"]}
    apply_totals(org, record)
    if kind in ("RECEIVE-PREPAYMENT", "RECEIVE-OVERPAYMENT"):
        collection = "Prepayments" if kind == "RECEIVE-PREPAYMENT" else "Overpayments"
        id_field = CREDIT_SOURCES[collection]
        credit = {id_field: new_id(), "Type": kind, "Contact": contact, "Date": record["Date"],
                  "Status": "AUTHORISED", "LineAmountTypes": amount_types,
                  "LineItems": record["LineItems"], "SubTotal": record["SubTotal"],
                  "TotalTax": record["TotalTax"], "Total": record["Total"],
                  "RemainingCredit": record["Total"], "AppliedAmount": ZERO,
                  "CurrencyCode": org.currency, "CurrencyRate": Decimal(1), "Allocations": [],
                  "HasAttachments": False}
        if collection == "Overpayments":
            credit["Reference"] = record["Reference"]
        org.save(collection, credit, now)
        record[id_field] = credit[id_field]
    return org.save("BankTransactions", record, now)
