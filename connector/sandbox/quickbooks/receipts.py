"""Money taken or given back at once: SalesReceipt, RefundReceipt, and the Deposit that banks it.

A sales receipt is a sale paid on the spot: its lines and totals are an invoice's, its
``Balance`` is 0 and the money lands in ``DepositToAccountRef`` (Undeposited Funds unless
another account is named). A refund receipt is the same in reverse and QuickBooks requires
the account the refund is paid from (Intuit's RefundReceipt reference: DepositToAccountRef is
required). A deposit moves money into a bank account: lines either link a payment or sales
receipt waiting in Undeposited Funds or name the account the money comes from; ``TotalAmt``
is the sum of the lines.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from .books import Company, company_date
from .errors import QBOError, invalid_reference, required
from .records import READ_ONLY, D, bump, check_sync_token, clean, fetch, merge_for_update, num

RECEIPTS = {"SalesReceipt", "RefundReceipt"}
UNDEPOSITED_FUNDS = "4"
DEPOSITABLE = {"Payment", "SalesReceipt"}


def _account(company: Company, ref: object, element: str) -> dict:
    value = ref.get("value") if isinstance(ref, dict) else None
    if not value:
        raise required(element)
    account = company.get("Account", str(value))
    if account is None or account.get("Active") is False:
        raise invalid_reference("Account", str(value))
    return account


def finish_receipt(company: Company, entity: str, obj: dict, sent_due_date: bool) -> None:
    """What a receipt adds to the sales computation: paid in full, into an account."""
    if entity == "RefundReceipt" and not obj.get("DepositToAccountRef"):
        raise required("DepositToAccountRef")
    ref = obj.get("DepositToAccountRef") or {"value": UNDEPOSITED_FUNDS}
    account = _account(company, ref, "DepositToAccountRef")
    obj["DepositToAccountRef"] = {"value": account["Id"], "name": account["Name"]}
    if obj.get("PaymentMethodRef"):
        method = company.get("PaymentMethod", str(obj["PaymentMethodRef"].get("value")))
        if method is None:
            raise invalid_reference("PaymentMethod", str(obj["PaymentMethodRef"].get("value")))
        obj["PaymentMethodRef"] = {"value": method["Id"], "name": method["Name"]}
    if not sent_due_date:
        obj.pop("DueDate", None)
    obj["Balance"] = 0
    if "HomeTotalAmt" in obj:
        obj["HomeBalance"] = 0
    if entity == "RefundReceipt":
        obj["RemainingCredit"] = 0


def _deposit_line(company: Company, line: dict) -> Decimal:
    amount = D(line.get("Amount"))
    if amount <= 0:
        raise QBOError(6000, "A business validation error has occurred while processing your "
                             "request", "Business Validation Error: A deposit line needs an "
                                        "amount more than zero", element="Line.Amount")
    links = line.get("LinkedTxn") or []
    for link in links:
        kind, txn_id = str(link.get("TxnType")), str(link.get("TxnId"))
        if kind not in DEPOSITABLE or company.get(kind, txn_id) is None:
            raise invalid_reference(kind, txn_id)
    if not links:
        line["DetailType"] = "DepositLineDetail"
        detail = line.get("DepositLineDetail") or {}
        account = _account(company, detail.get("AccountRef"), "DepositLineDetail.AccountRef")
        detail["AccountRef"] = {"value": account["Id"], "name": account["Name"]}
        line["DepositLineDetail"] = detail
    else:
        line.pop("DetailType", None)
        line.pop("DepositLineDetail", None)
    line["Amount"] = num(amount)
    return amount


def save_deposit(company: Company, body: dict, now: datetime) -> tuple[dict, str]:
    """Create or update a deposit; returns the stored deposit and the webhook operation."""
    updating = body.get("Id") not in (None, "", 0, "0")
    if updating:
        existing = fetch(company, "Deposit", body["Id"])
        check_sync_token(existing, body, "Deposit")
        obj = merge_for_update(existing, body)
        bump(obj)
    else:
        obj = {k: v for k, v in clean(body).items() if k not in READ_ONLY}
        obj["Id"], obj["SyncToken"] = company.new_id(), "0"
    account = _account(company, obj.get("DepositToAccountRef"), "DepositToAccountRef")
    obj["DepositToAccountRef"] = {"value": account["Id"], "name": account["Name"]}
    lines = obj.get("Line") or []
    if not lines:
        raise required("Line")
    total = sum((_deposit_line(company, line) for line in lines), Decimal(0))
    for number, line in enumerate(lines, start=1):
        line["Id"], line["LineNum"] = str(number), number
    obj["TotalAmt"] = num(total)
    obj.setdefault("TxnDate", company_date(now))
    obj["CurrencyRef"] = obj.get("CurrencyRef") or {"value": company.currency}
    stored = company.put("Deposit", obj, now, created=not updating)
    return stored, "Update" if updating else "Create"
