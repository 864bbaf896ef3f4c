"""Sales transactions as QuickBooks computes them: lines, totals, deposit, balance, links.

``TotalAmt`` is the sum of the sales lines less discounts plus tax; an invoice's ``Balance`` is
``TotalAmt - Deposit`` less what payments have applied. A payment lowers the balance of the
invoices its lines link to, adds itself to their ``LinkedTxn`` and bumps their ``SyncToken``
(so a connector holding an old copy gets fault 5010, as in production). A payment line linking
a credit memo uses that much of its ``RemainingCredit`` instead of money.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .books import Company, company_date
from .catalogue import DISCOUNT_ACCOUNT
from .errors import QBOError, business_rule, invalid_reference, required
from .receipts import RECEIPTS, finish_receipt
from .records import (
    READ_ONLY,
    D,
    bump,
    check_sync_token,
    clean,
    fetch,
    merge_for_update,
    num,
)

CENT = Decimal("0.01")
EXCHANGE_RATES = {"EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CAD": Decimal("0.73"),
                  "USD": Decimal(1)}
SALES = {"Invoice", "Estimate", "CreditMemo"} | RECEIPTS


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _reference(company: Company, entity: str, ref: Any) -> dict:
    value = ref.get("value") if isinstance(ref, dict) else None
    if not value:
        raise required(f"{entity}Ref")
    obj = company.get(entity, str(value))
    if obj is None or obj.get("Active") is False:
        raise invalid_reference(entity, str(value))
    return obj


def _sales_line(company: Company, line: dict) -> Decimal:
    detail = line.get("SalesItemLineDetail") or {}
    item = _reference(company, "Item", detail.get("ItemRef") or {"value": "1"})
    detail.setdefault("ItemRef", {"value": item["Id"], "name": item["Name"]})
    detail["ItemRef"].setdefault("name", item["Name"])
    qty, price = D(detail.get("Qty")), D(detail.get("UnitPrice"))
    if "Amount" not in line or line["Amount"] in ("", None):
        line["Amount"] = num(money(qty * price))
    amount = money(D(line["Amount"]))
    if qty and price and money(qty * price) != amount:
        raise QBOError(6070, "Amount is not equal to UnitPrice * Qty",
                       f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
                       element="Line.Amount")
    for field in ("Qty", "UnitPrice", "TaxInclusiveAmt"):
        if field in detail and not D(detail[field]):
            del detail[field]
    detail.setdefault("TaxCodeRef", {"value": "NON"})
    line["SalesItemLineDetail"] = detail
    return amount


def compute_lines(company: Company, obj: dict) -> Decimal:
    """Number the lines, price them, add the SubTotal line; returns the total before tax."""
    lines = [line for line in obj.get("Line") or [] if line.get("DetailType") != "SubTotalLineDetail"]
    if not lines:
        raise required("Line")
    subtotal, discount = Decimal(0), Decimal(0)
    for number, line in enumerate(lines, start=1):
        kind = line.get("DetailType")
        line["Id"], line["LineNum"] = str(number), number
        for empty in ("LinkedTxn", "CustomField"):
            if not line.get(empty):
                line.pop(empty, None)
        if kind == "SalesItemLineDetail":
            subtotal += _sales_line(company, line)
        elif kind == "DiscountLineDetail":
            detail = line.get("DiscountLineDetail") or {}
            _discount_account(company, detail)
            if detail.get("PercentBased"):
                line["Amount"] = num(money(subtotal * D(detail.get("DiscountPercent")) / 100))
            discount += money(D(line.get("Amount")))
        elif kind == "DescriptionOnly":
            line.setdefault("DescriptionLineDetail", {})
            line.pop("Amount", None)
        else:
            raise QBOError(2010, "Request has invalid or unsupported property",
                           f"Property Name:DetailType specified is unsupported or invalid: {kind}")
    # QuickBooks answers the SubTotal line before the discount it is the base of
    discounts = [line for line in lines if line.get("DetailType") == "DiscountLineDetail"]
    lines = [line for line in lines if line.get("DetailType") != "DiscountLineDetail"]
    lines.append({"Amount": num(subtotal), "DetailType": "SubTotalLineDetail",
                  "SubTotalLineDetail": {}})
    obj["Line"] = lines + discounts
    return subtotal - discount


def _discount_account(company: Company, detail: dict) -> None:
    """The discount posts to the account named, or to the company's default discount account."""
    ref = detail.get("DiscountAccountRef") or {"value": DISCOUNT_ACCOUNT[0]}
    account = _reference(company, "Account", ref)
    detail["DiscountAccountRef"] = {"value": account["Id"], "name": account["Name"]}


def _dates(company: Company, obj: dict, now: datetime) -> None:
    obj.setdefault("TxnDate", company_date(now))
    if obj.get("DueDate"):
        return
    days = 0
    term_ref = obj.get("SalesTermRef")
    if term_ref:
        days = int(_reference(company, "Term", term_ref).get("DueDays", 0))
    obj["DueDate"] = (date.fromisoformat(obj["TxnDate"]) + timedelta(days=days)).isoformat()


def _currency(company: Company, obj: dict, customer: dict) -> Decimal:
    currency = (customer.get("CurrencyRef") or {}).get("value", company.currency)
    sent = (obj.get("CurrencyRef") or {}).get("value") if isinstance(obj.get("CurrencyRef"), dict) else None
    if sent and sent != currency:
        # a customer has one currency and its transactions are in it (no silent re-pricing)
        raise business_rule(f"The transaction currency {sent} does not match the currency "
                            f"{currency} of customer {customer.get('DisplayName', customer['Id'])}",
                            "CurrencyRef")
    obj["CurrencyRef"] = {"value": currency}
    if not company.multicurrency:
        obj.pop("ExchangeRate", None)
        return Decimal(1)
    sent = D(obj.get("ExchangeRate"))
    rate = sent if sent and currency != company.currency else EXCHANGE_RATES.get(currency, 1)
    obj["ExchangeRate"] = num(Decimal(rate))
    return Decimal(rate)


def compute_sales(company: Company, entity: str, obj: dict, now: datetime) -> dict:
    """Fill in what QuickBooks computes for an invoice, estimate or credit memo."""
    customer = _reference(company, "Customer", obj.get("CustomerRef"))
    obj["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
    net = compute_lines(company, obj)
    tax = money(D((obj.get("TxnTaxDetail") or {}).get("TotalTax")))
    obj["TxnTaxDetail"] = {"TotalTax": num(tax)}
    total = money(net + tax)
    obj["TotalAmt"] = num(total)
    rate = _currency(company, obj, customer)
    sent_due_date = bool(obj.get("DueDate"))
    _dates(company, obj, now)
    obj.setdefault("PrintStatus", "NotSet")
    obj.setdefault("EmailStatus", "NotSet")
    obj.setdefault("LinkedTxn", [])
    if company.multicurrency:
        obj["HomeTotalAmt"] = num(money(total * rate))
    if entity == "Invoice":
        deposit = money(D(obj.get("Deposit")))
        if deposit > total:
            raise business_rule("The deposit cannot be more than the invoice total", "Deposit")
        obj["Deposit"] = num(deposit)
        link_payments(company, obj)  # a full update may have sent LinkedTxn: [] (SDK default)
        set_balance(obj, total - deposit - paid_on(company, obj["Id"]), rate, company)
    elif entity == "CreditMemo":
        link_payments(company, obj, "CreditMemo")
        set_balance(obj, total - applied_on(company, "CreditMemo", obj["Id"]), rate, company)
        obj["RemainingCredit"] = obj["Balance"]
    elif entity in RECEIPTS:
        finish_receipt(company, entity, obj, sent_due_date)
    else:
        obj.setdefault("TxnStatus", "Pending")
    return obj


def set_balance(obj: dict, balance: Decimal, rate: Decimal, company: Company) -> None:
    if balance < 0:
        raise business_rule("The amount applied is more than the balance due", "Balance")
    obj["Balance"] = num(money(balance))
    if company.multicurrency:
        obj["HomeBalance"] = num(money(balance * rate))


def paid_on(company: Company, invoice_id: str | None) -> Decimal:
    """What payments currently apply to an invoice, read from the payments themselves."""
    return applied_on(company, "Invoice", invoice_id)


def applied_on(company: Company, entity: str, txn_id: str | None) -> Decimal:
    """What payment lines currently link to an invoice (paid) or a credit memo (credit used).

    A credit memo is applied the way QuickBooks does it: a Payment (often of TotalAmt 0)
    with one line linking the invoice and one linking the credit memo, for the same amount.
    """
    if txn_id is None:
        return Decimal(0)
    total = Decimal(0)
    for payment in company.table("Payment").values():
        for line in payment.get("Line", []):
            if any(link.get("TxnType") == entity and str(link.get("TxnId")) == txn_id
                   for link in line.get("LinkedTxn", [])):
                total += D(line.get("Amount"))
    return total


def link_payments(company: Company, obj: dict, entity: str = "Invoice") -> None:
    """Rebuild the payment entries of ``LinkedTxn`` from the payments that apply to it."""
    links = [link for link in obj.get("LinkedTxn", []) if link.get("TxnType") != "Payment"]
    for payment in company.table("Payment").values():
        if any(str(link.get("TxnId")) == obj["Id"] and link.get("TxnType") == entity
               for line in payment.get("Line", []) for link in line.get("LinkedTxn", [])):
            links.append({"TxnId": payment["Id"], "TxnType": "Payment"})
    obj["LinkedTxn"] = links


def refresh_invoice(company: Company, invoice: dict, now: datetime) -> dict:
    """Recompute an invoice's balance and payment links after a payment changed."""
    rate = D(invoice.get("ExchangeRate") or 1)
    link_payments(company, invoice)
    balance = D(invoice["TotalAmt"]) - D(invoice.get("Deposit")) - paid_on(company, invoice["Id"])
    set_balance(invoice, balance, rate, company)
    bump(invoice)
    return company.put("Invoice", invoice, now, created=False)


def refresh_credit_memo(company: Company, memo: dict, now: datetime) -> dict:
    """Recompute a credit memo's remaining credit after a payment applying it changed."""
    rate = D(memo.get("ExchangeRate") or 1)
    link_payments(company, memo, "CreditMemo")
    set_balance(memo, D(memo["TotalAmt"]) - applied_on(company, "CreditMemo", memo["Id"]), rate, company)
    memo["RemainingCredit"] = memo["Balance"]
    bump(memo)
    return company.put("CreditMemo", memo, now, created=False)


def refresh_customer_balance(company: Company, customer_id: str) -> None:
    customer = company.get("Customer", customer_id)
    if customer is None:
        return
    open_total = sum((D(inv.get("Balance")) for inv in company.table("Invoice").values()
                      if inv.get("CustomerRef", {}).get("value") == customer_id), Decimal(0))
    customer["Balance"] = num(money(open_total))
    customer["BalanceWithJobs"] = customer["Balance"]


def is_voided(obj: dict) -> bool:
    """A void zeroes the amounts and prefixes the memo with "Voided" (operations.voided_note)."""
    return str(obj.get("PrivateNote") or "").startswith("Voided") and not D(obj.get("TotalAmt"))


def new_sales(company: Company, entity: str, body: dict, now: datetime) -> dict:
    obj = {k: v for k, v in clean(body).items() if k not in READ_ONLY}
    obj["Id"] = company.new_id()
    obj["SyncToken"] = "0"
    return obj


def updated_sales(company: Company, entity: str, body: dict) -> dict:
    existing = fetch(company, entity, body["Id"])
    check_sync_token(existing, body, entity)
    if entity == "Invoice" and is_voided(existing):
        raise business_rule("A voided transaction cannot be changed")
    merged = merge_for_update(existing, body)
    bump(merged)
    return merged
