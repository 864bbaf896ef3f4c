"""The writes of the v3 API: save, delete and void for every entity the sandbox serves.

Each operation returns the stored object and the changes it made, as (entity, id, operation)
triples, so the caller can publish webhooks for the invoice a payment touched as well as for
the payment itself, as QuickBooks does.
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal

from . import preferences
from .books import Company, company_date
from .catalogue import save_exchange_rate
from .errors import QBOError, business_rule, invalid_reference, required
from .field_rules import check_lengths
from .receipts import save_deposit
from .records import (
    NAME_LISTS,
    READ_ONLY,
    D,
    bump,
    check_sync_token,
    clean,
    fetch,
    num,
    save_name_list,
)
from .transactions import (
    SALES,
    applied_on,
    compute_sales,
    money,
    new_sales,
    refresh_credit_memo,
    refresh_customer_balance,
    refresh_invoice,
    updated_sales,
)

Change = tuple[str, str, str]


def _doc_number(company: Company, entity: str, obj: dict, allow_duplicate: bool) -> None:
    numbers = {o.get("DocNumber") for o in company.table(entity).values() if o["Id"] != obj["Id"]}
    if not obj.get("DocNumber"):
        while str(company.next_doc_number) in numbers:
            company.next_doc_number += 1
        obj["DocNumber"] = str(company.next_doc_number)
        company.next_doc_number += 1
    elif obj["DocNumber"] in numbers and not (allow_duplicate or company.allow_duplicate_doc_number):
        raise QBOError(6140, "Duplicate Document Number Error",
                       f"Duplicate Document Number Error : You must specify a different number. "
                       f"This number has already been used. DocNumber={obj['DocNumber']} is "
                       f"assigned to TxnType={entity}", element="DocNumber")


def _link_estimates(company: Company, invoice: dict, now: datetime) -> list[Change]:
    changes = []
    for link in invoice.get("LinkedTxn", []):
        if link.get("TxnType") != "Estimate":
            continue
        estimate = company.get("Estimate", str(link.get("TxnId")))
        if estimate is None:
            raise invalid_reference("Estimate", str(link.get("TxnId")))
        links = estimate.setdefault("LinkedTxn", [])
        if not any(t.get("TxnId") == invoice["Id"] for t in links):
            links.append({"TxnId": invoice["Id"], "TxnType": "Invoice"})
            estimate["TxnStatus"] = "Closed"
            bump(estimate)
            company.put("Estimate", estimate, now, created=False)
            changes.append(("Estimate", estimate["Id"], "Update"))
    return changes


def save_sales(company: Company, entity: str, body: dict, now: datetime,
               allow_duplicate: bool = False) -> tuple[dict, list[Change]]:
    updating = body.get("Id") not in (None, "", 0, "0")
    obj = updated_sales(company, entity, body) if updating else new_sales(company, entity, body, now)
    obj = compute_sales(company, entity, obj, now)
    for link in obj.get("LinkedTxn", []):
        if link.get("TxnType") == "Estimate" and company.get("Estimate", str(link.get("TxnId"))) is None:
            raise invalid_reference("Estimate", str(link.get("TxnId")))
    _doc_number(company, entity, obj, allow_duplicate)
    stored = company.put(entity, obj, now, created=not updating)
    changes: list[Change] = [(entity, stored["Id"], "Update" if updating else "Create")]
    if entity == "Invoice":
        changes += _link_estimates(company, stored, now)
        refresh_customer_balance(company, stored["CustomerRef"]["value"])
    return stored, changes


def _payment_lines(company: Company, payment: dict) -> Decimal:
    """Check each line against what it links; returns the money applied (credits used count
    against it, so a zero-total payment can apply a credit memo to an invoice)."""
    applied = Decimal(0)
    for line in payment.get("Line", []):
        amount = money(D(line.get("Amount")))
        line["Amount"] = num(amount)
        credit = any(link.get("TxnType") == "CreditMemo" for link in line.get("LinkedTxn", []))
        for link in line.get("LinkedTxn", []):
            if link.get("TxnType") in OPEN_AMOUNT:
                _check_link(company, payment, link["TxnType"], str(link.get("TxnId")), amount)
        applied += -amount if credit else amount
    if applied < 0:
        raise business_rule("The credits applied are more than the invoices they pay", "Line.Amount")
    return applied


OPEN_AMOUNT = {"Invoice": "balance", "CreditMemo": "remaining credit"}


def _check_link(company: Company, payment: dict, entity: str, txn_id: str, amount: Decimal) -> None:
    """A line may take no more than the linked invoice's balance or credit memo's credit."""
    target = company.get(entity, txn_id)
    if target is None:
        raise invalid_reference(entity, txn_id)
    if target["CustomerRef"]["value"] != payment["CustomerRef"]["value"]:
        raise business_rule(f"The {'invoice' if entity == 'Invoice' else 'credit memo'} "
                            "belongs to a different customer", "LinkedTxn")
    if entity == "Invoice":
        open_amount = D(target["TotalAmt"]) - D(target.get("Deposit"))
    else:
        open_amount = D(target["TotalAmt"])
    open_amount += _previously_applied(company, payment, entity, txn_id) - applied_on(company, entity, txn_id)
    if amount > open_amount:
        raise business_rule(f"The payment amount {amount} is more than the {OPEN_AMOUNT[entity]} "
                            f"{open_amount} of {entity} {txn_id}", "Line.Amount")


def _previously_applied(company: Company, payment: dict, entity: str, txn_id: str) -> Decimal:
    old = company.get("Payment", payment.get("Id", ""))
    if old is None:
        return Decimal(0)
    return sum((D(line.get("Amount")) for line in old.get("Line", [])
                for link in line.get("LinkedTxn", [])
                if link.get("TxnType") == entity and str(link.get("TxnId")) == txn_id),
               Decimal(0))


def _linked(payment: dict | None) -> set[tuple[str, str]]:
    """The (entity, id) pairs a payment's lines link: invoices paid and credit memos used."""
    if not payment:
        return set()
    return {(str(link.get("TxnType")), str(link.get("TxnId"))) for line in payment.get("Line", [])
            for link in line.get("LinkedTxn", []) if link.get("TxnType") in OPEN_AMOUNT}


def _settle(company: Company, linked: set[tuple[str, str]], customer_id: str,
            now: datetime) -> list[Change]:
    changes: list[Change] = []
    for entity, txn_id in sorted(linked):
        target = company.get(entity, txn_id)
        if target is None:
            continue
        if entity == "Invoice":
            refresh_invoice(company, target, now)
        else:
            refresh_credit_memo(company, target, now)
        changes.append((entity, txn_id, "Update"))
    refresh_customer_balance(company, customer_id)
    return changes


def save_payment(company: Company, body: dict, now: datetime) -> tuple[dict, list[Change]]:
    updating = body.get("Id") not in (None, "", 0, "0")
    old = fetch(company, "Payment", body["Id"]) if updating else None
    if old is not None:
        check_sync_token(old, body, "Payment")
        incoming = {k: v for k, v in clean(body).items() if k not in READ_ONLY}
        sparse = body.get("sparse") in (True, "true", "True")
        base = old if sparse else {k: v for k, v in old.items() if k in READ_ONLY}
        payment = {**copy.deepcopy(base), **incoming}
        bump(payment)
    else:
        payment = {k: v for k, v in clean(body).items() if k not in READ_ONLY}
        payment["Id"], payment["SyncToken"] = company.new_id(), "0"
    if payment.get("TotalAmt") in ("", None) and body.get("TotalAmt") in ("", None):
        raise required("TotalAmt")
    customer = company.get("Customer", str((payment.get("CustomerRef") or {}).get("value")))
    if customer is None:
        raise invalid_reference("Customer", str(payment.get("CustomerRef")))
    payment["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
    total = money(D(body.get("TotalAmt") if body.get("TotalAmt") not in ("", None) else payment["TotalAmt"]))
    applied = _payment_lines(company, payment)
    if applied > total:
        raise business_rule("The amount applied is more than the payment amount", "TotalAmt")
    payment.update(TotalAmt=num(total), UnappliedAmt=num(total - applied),
                   CurrencyRef=customer.get("CurrencyRef", {"value": company.currency}))
    payment.setdefault("TxnDate", company_date(now))
    payment.setdefault("DepositToAccountRef", {"value": "4"})
    payment.setdefault("ProcessPayment", False)
    stored = company.put("Payment", payment, now, created=old is None)
    changes: list[Change] = [("Payment", stored["Id"], "Update" if old else "Create")]
    changes += _settle(company, _linked(old) | _linked(stored), customer["Id"], now)
    return stored, changes


def void_payment(company: Company, body: dict, now: datetime) -> tuple[dict, list[Change]]:
    payment = fetch(company, "Payment", body.get("Id"))
    check_sync_token(payment, body, "Payment")
    linked = _linked(payment)
    payment.update(Line=[], TotalAmt=0, UnappliedAmt=0, PrivateNote=voided_note(payment))
    bump(payment)
    company.put("Payment", payment, now, created=False)
    changes = [("Payment", payment["Id"], "Void")]
    return payment, changes + _settle(company, linked, payment["CustomerRef"]["value"], now)


def voided_note(obj: dict) -> str:
    """QuickBooks keeps the memo and puts "Voided - " in front of it (just "Voided" when empty)."""
    note = str(obj.get("PrivateNote") or "")
    return f"Voided - {note}" if note else "Voided"


def _check_no_payments(invoice: dict) -> None:
    if any(link.get("TxnType") == "Payment" for link in invoice.get("LinkedTxn", [])):
        raise business_rule("This transaction has payments applied. Delete or void the "
                            "payments first.", "LinkedTxn")


def void_invoice(company: Company, body: dict, now: datetime) -> tuple[dict, list[Change]]:
    invoice = fetch(company, "Invoice", body.get("Id"))
    check_sync_token(invoice, body, "Invoice")
    _check_no_payments(invoice)
    for line in invoice.get("Line", []):
        if "Amount" in line:
            line["Amount"] = 0
    invoice.update(TotalAmt=0, Balance=0, Deposit=0, PrivateNote=voided_note(invoice))
    if "HomeBalance" in invoice:
        invoice.update(HomeBalance=0, HomeTotalAmt=0)
    bump(invoice)
    company.put("Invoice", invoice, now, created=False)
    refresh_customer_balance(company, invoice["CustomerRef"]["value"])
    return invoice, [("Invoice", invoice["Id"], "Void")]


def delete(company: Company, entity: str, body: dict, now: datetime) -> tuple[dict, list[Change]]:
    if entity in NAME_LISTS:
        raise QBOError(4000, "Unsupported Operation",
                       f"Operation Delete is not supported for {entity}; make it inactive instead.")
    obj = fetch(company, entity, body.get("Id"))
    check_sync_token(obj, body, entity)
    changes: list[Change] = []
    if entity in OPEN_AMOUNT:
        _check_no_payments(obj)
    company.remove(entity, obj["Id"], now)
    changes.append((entity, obj["Id"], "Delete"))
    if entity == "Payment":
        changes += _settle(company, _linked(obj), obj["CustomerRef"]["value"], now)
    elif entity == "Invoice":
        refresh_customer_balance(company, obj["CustomerRef"]["value"])
    return {"Id": obj["Id"], "status": "Deleted", "domain": "QBO"}, changes


def save(company: Company, entity: str, body: dict, now: datetime,
         allow_duplicate: bool = False) -> tuple[dict, list[Change]]:
    """Create or update any writable entity (Attachable has its own module)."""
    check_lengths(entity, body)
    if entity in SALES:
        return save_sales(company, entity, body, now, allow_duplicate)
    if entity == "Payment":
        return save_payment(company, body, now)
    if entity == "Deposit":
        obj, operation = save_deposit(company, body, now)
        return obj, [(entity, obj["Id"], operation)]
    if entity == "Preferences":
        obj = preferences.update(company, body, now)
        return obj, [(entity, obj["Id"], "Update")]
    if entity == "ExchangeRate":
        return save_exchange_rate(company, body, now), []
    obj, operation = save_name_list(company, entity, body, now)
    return obj, [(entity, obj["Id"], operation)]
