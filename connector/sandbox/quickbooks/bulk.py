"""Bulk seeding: thousands of customers, invoices and payments in one call, for benchmarks.

A benchmark of 100,000 invoices cannot create them one request at a time, and the write path
recomputes balances by scanning payments, so seeding builds the rows directly. Fidelity comes
from the API's own code all the same: one invoice per customer currency is computed by
``compute_sales`` (lines, SubTotal line, totals, dates, currency, balance) and each seeded
invoice is a copy of it with its own Id, DocNumber and customer; each payment is shaped as
``save_payment`` stores it and settles its invoice as ``refresh_invoice`` would (Balance 0, the
payment in ``LinkedTxn``, a new ``SyncToken``). Customers' balances are summed once at the end.
Seeding publishes no webhooks (nobody worked in the books), but CDC sees every row.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..seeding import clone, count_of, id_range
from .books import Company, company_date
from .operations import Change
from .records import D, num
from .seed import CURRENCY_NAMES
from .transactions import compute_sales, money


def seed_books(company: Company, body: dict[str, Any], now: datetime) -> tuple[dict, list[Change]]:
    """Add ``customers`` customers, ``invoices`` invoices (``amount`` each, spread over the new
    customers, or over the existing ones when none are asked for) and ``payments`` payments,
    each paying one of the new invoices in full, oldest first."""
    customers, invoices, payments = (count_of(body, n) for n in ("customers", "invoices", "payments"))
    if payments > invoices:
        raise ValueError("payments may not outnumber invoices: each pays one new invoice in full")
    try:
        amount = money(Decimal(str(body.get("amount", "100.00"))))
    except ArithmeticError:
        raise ValueError("amount must be a decimal number such as 100.00") from None
    if amount <= 0:
        raise ValueError("amount must be more than zero")
    made_customers = _customers(company, customers, now)
    payers = made_customers or [c for c in company.table("Customer").values()
                                if c.get("Active", True)]
    if invoices and not payers:
        raise ValueError("the company has no customers to invoice; ask for some")
    made_invoices = _invoices(company, payers, invoices, amount, now)
    made_payments = _payments(company, made_invoices[:payments], now)
    _balances(company, made_invoices)
    summary = {"customers": id_range([c["Id"] for c in made_customers]),
               "invoices": id_range([i["Id"] for i in made_invoices]),
               "payments": id_range([p["Id"] for p in made_payments])}
    return summary, []


def _customers(company: Company, count: int, now: datetime) -> list[dict]:
    taken = {str(c.get("DisplayName", "")).casefold() for c in company.table("Customer").values()}
    run = company.next_id
    made = []
    for number in range(1, count + 1):
        name = f"Bulk {run} Customer {number:06d}"
        if name.casefold() in taken:
            raise ValueError(f"a customer named {name!r} already exists")
        customer_id = company.new_id()
        made.append(company.put("Customer", {
            "Id": customer_id, "DisplayName": name, "CompanyName": name,
            "FullyQualifiedName": name, "PrintOnCheckName": name,
            "PrimaryEmailAddr": {"Address": f"ap+{run}-{number}@bulk.example"},
            "Balance": 0, "BalanceWithJobs": 0,
            "CurrencyRef": {"value": company.currency, "name": CURRENCY_NAMES.get(
                company.currency, company.currency)},
            "PreferredDeliveryMethod": "Email", "Active": True, "Job": False,
            "BillWithParent": False, "Taxable": False, "SyncToken": "0"}, now, created=True))
    return made


def _template(company: Company, customer: dict, amount: Decimal, now: datetime) -> dict:
    """One invoice as the API computes it (not stored), to copy for each seeded invoice."""
    proto = {"Id": "0", "SyncToken": "0", "CustomerRef": {"value": customer["Id"]},
             "Line": [{"DetailType": "SalesItemLineDetail", "Amount": num(amount),
                       "Description": "Milestone",
                       "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 1,
                                               "UnitPrice": num(amount)}}]}
    return compute_sales(company, "Invoice", proto, now)


def _invoices(company: Company, payers: list[dict], count: int, amount: Decimal,
              now: datetime) -> list[dict]:
    numbers = {str(o.get("DocNumber")) for o in company.table("Invoice").values()}
    templates: dict[str, dict] = {}
    made = []
    for index in range(count):
        customer = payers[index % len(payers)]
        currency = (customer.get("CurrencyRef") or {}).get("value", company.currency)
        if currency not in templates:
            templates[currency] = _template(company, customer, amount, now)
        invoice = clone(templates[currency])
        while str(company.next_doc_number) in numbers:
            company.next_doc_number += 1
        invoice.update(Id=company.new_id(), DocNumber=str(company.next_doc_number),
                       CustomerRef={"value": customer["Id"], "name": customer["DisplayName"]})
        company.next_doc_number += 1
        made.append(company.put("Invoice", invoice, now, created=True))
    return made


def _payments(company: Company, paid: list[dict], now: datetime) -> list[dict]:
    made = []
    for invoice in paid:
        customer = company.get("Customer", invoice["CustomerRef"]["value"]) or {}
        total = invoice["Balance"]
        payment = company.put("Payment", {
            "Id": company.new_id(), "SyncToken": "0", "CustomerRef": dict(invoice["CustomerRef"]),
            "TotalAmt": total, "UnappliedAmt": 0,
            "CurrencyRef": customer.get("CurrencyRef", {"value": company.currency}),
            "Line": [{"Amount": total, "LinkedTxn": [{"TxnId": invoice["Id"],
                                                      "TxnType": "Invoice"}]}],
            "TxnDate": company_date(now), "DepositToAccountRef": {"value": "4"},
            "ProcessPayment": False}, now, created=True)
        invoice["LinkedTxn"] = [*invoice.get("LinkedTxn", []),
                                {"TxnId": payment["Id"], "TxnType": "Payment"}]
        invoice["Balance"] = 0
        if "HomeBalance" in invoice:
            invoice["HomeBalance"] = 0
        invoice["SyncToken"] = str(int(invoice["SyncToken"]) + 1)
        company.put("Invoice", invoice, now, created=False)
        made.append(payment)
    return made


def _balances(company: Company, invoices: list[dict]) -> None:
    owed: dict[str, Decimal] = {}
    for invoice in invoices:
        key = invoice["CustomerRef"]["value"]
        owed[key] = owed.get(key, Decimal(0)) + D(invoice["Balance"])
    for customer_id, extra in owed.items():
        customer = company.get("Customer", customer_id)
        if customer is not None:
            customer["Balance"] = num(money(D(customer.get("Balance")) + extra))
            customer["BalanceWithJobs"] = customer["Balance"]
