"""Bulk seeding of a Xero organisation: many contacts, invoices and payments in one call.

For benchmarks (100,000 invoices) the rows are built directly rather than request by request,
but in the shapes the API's own code gives them: one AUTHORISED invoice is computed by
`documents.upsert` and `settlement.settle` (lines, tax, totals, AmountDue) and each seeded invoice is a copy with its
own InvoiceID, InvoiceNumber, line ids and contact; each payment is shaped as
`settlement.create_payment` stores it and leaves its invoice as `settle` would (PAID, AmountDue
0, the payment listed). Nothing is journalled for webhooks: nobody worked in the books.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.sandbox.seeding import clone, count_of, id_range
from connector.sandbox.xero.books import Organisation, new_id
from connector.sandbox.xero.documents import INVOICE, ItemRejected, upsert
from connector.sandbox.xero.lines import ZERO, cents
from connector.sandbox.xero.settlement import settle

DUE_DAYS = 30


def seed_organisation(org: Organisation, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Add `contacts` contacts, `invoices` AUTHORISED invoices of `amount` (over the new
    contacts, or the existing ones when none are asked for) and `payments` payments, each
    paying one new invoice in full, oldest first. Leaves nothing in the journal."""
    start = len(org.journal)
    try:
        contacts, invoices, payments = (count_of(body, n) for n in ("contacts", "invoices", "payments"))
    except ValueError as error:
        raise ItemRejected([str(error)]) from None
    if payments > invoices:
        raise ItemRejected(["payments may not outnumber invoices: each pays one new invoice"])
    try:
        amount = cents(Decimal(str(body.get("amount", "100.00"))))
    except InvalidOperation:
        raise ItemRejected(["amount must be a decimal number such as 100.00"]) from None
    if amount <= 0:
        raise ItemRejected(["amount must be more than zero"])
    made_contacts = _contacts(org, contacts, now)
    payers = made_contacts or [c for c in org.all("Contacts") if c.get("ContactStatus") == "ACTIVE"]
    if invoices and not payers:
        raise ItemRejected(["the organisation has no contacts to invoice; ask for some"])
    made_invoices = _invoices(org, payers, invoices, amount, now)
    made_payments = _payments(org, made_invoices[:payments], now)
    del org.journal[start:]
    return {"contacts": id_range([c["ContactID"] for c in made_contacts]),
            "invoices": id_range([i["InvoiceID"] for i in made_invoices]),
            "payments": id_range([p["PaymentID"] for p in made_payments])}


def _contacts(org: Organisation, count: int, now: datetime) -> list[dict[str, Any]]:
    taken = {str(c.get("Name", "")).lower() for c in org.all("Contacts")}
    run = len(org.records["Contacts"]) + 1
    made = []
    for number in range(1, count + 1):
        name = f"Bulk {run} Customer {number:06d}"
        if name.lower() in taken:
            raise ItemRejected([f"a contact named {name!r} already exists"])
        made.append(org.save("Contacts", {
            "ContactID": new_id(), "Name": name,
            "EmailAddress": f"ap+{run}-{number}@bulk.example", "ContactStatus": "ACTIVE",
            "IsCustomer": True, "IsSupplier": False, "Addresses": [], "Phones": [],
            "ContactPersons": [], "HasAttachments": False, "HasValidationErrors": False}, now))
    return made


def _invoices(org: Organisation, payers: list[dict[str, Any]], count: int, amount: Decimal,
              now: datetime) -> list[dict[str, Any]]:
    if not count:
        return []
    sequences = dict(org.sequences)
    template = upsert(org, INVOICE, {
        "Type": "ACCREC", "Status": "AUTHORISED", "Contact": {"ContactID": payers[0]["ContactID"]},
        "DueDate": (now.date() + timedelta(days=DUE_DAYS)).isoformat(),
        "LineAmountTypes": "Exclusive",
        "LineItems": [{"Description": "Milestone", "Quantity": "1", "UnitAmount": str(amount),
                       "AccountCode": "200", "TaxType": "NONE"}]}, now)
    template = settle(org, template, now)  # as the API leaves an AUTHORISED invoice
    del org.records["Invoices"][template["InvoiceID"]]
    org.sequences = sequences  # the template is not kept, so it takes no number
    made = []
    for index in range(count):
        contact = payers[index % len(payers)]
        invoice = clone(template)
        invoice.update(InvoiceID=new_id(), InvoiceNumber=org.next_number("INV"),
                       Contact={"ContactID": contact["ContactID"], "Name": contact["Name"]})
        for line in invoice["LineItems"]:
            line["LineItemID"] = new_id()
        made.append(org.save("Invoices", invoice, now))
    return made


def _payments(org: Organisation, paid: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    if not paid:
        return []
    bank = org.find("Accounts", "Code", "090")
    if bank is None:
        raise ItemRejected(["the organisation has no bank account 090 to pay into"])
    made = []
    for invoice in paid:
        amount = invoice["AmountDue"]
        payment = org.save("Payments", {
            "PaymentID": new_id(), "Date": now.date(), "Amount": amount, "BankAmount": amount,
            "CurrencyRate": Decimal(1), "Reference": "", "IsReconciled": False,
            "Status": "AUTHORISED", "PaymentType": "ACCRECPAYMENT",
            "Account": {"AccountID": bank["AccountID"], "Code": bank["Code"]},
            "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"],
                        "Type": invoice["Type"], "Contact": invoice["Contact"]},
            "HasAccount": True, "HasValidationErrors": False}, now)
        invoice.update(
            AmountPaid=amount, AmountCredited=ZERO, AmountDue=invoice["Total"] - amount,
            Payments=[{"PaymentID": payment["PaymentID"], "Date": payment["Date"],
                       "Amount": amount, "Reference": "", "CurrencyRate": Decimal(1),
                       "HasAccount": True, "HasValidationErrors": False}],
            CreditNotes=[], Prepayments=[], Overpayments=[], Status="PAID",
            FullyPaidOnDate=payment["Date"])
        org.save("Invoices", invoice, now)
        made.append(payment)
    return made
