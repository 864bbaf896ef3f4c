"""Invoice intents to QuickBooks Online invoices, and QuickBooks objects back to domain facts.

QuickBooks has no draft invoice: Milepost's "draft" is an invoice that is never emailed
(`EmailStatus=NotSet`) until someone sends it. The milestone's idempotency key travels twice:
in `DocNumber` (`doc_number_for`: 21 characters, one per key, so it can be queried) and whole in
`PrivateNote` (which the customer never sees), so a lookup confirms the exact key.

Payloads are plain dicts in QuickBooks' JSON shape, with Decimal amounts; the gateway turns
them into python-quickbooks objects with `from_json`. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connector.billing.model import Customer, InvoiceIntent
from connector.billing.money import Money

from . import credit_split
from .estimates import linked_estimate
from .facts import (
    DELETED,
    DRAFT,
    OPEN,
    VOIDED,
    CreditNoteFact,
    InvoiceStatusFact,
    PaymentFact,
    status_from_amounts,
    to_decimal,
)
from .settings import Ref, ResolvedLine, ResolvedSettings

DOC_NUMBER_MAX = 21
DESCRIPTION_MAX = 4000  # a line's Description (QuickBooks refuses longer with fault 2050)
PRIVATE_NOTE_MAX = 4000
CUSTOMER_MEMO_MAX = 1000
DISPLAY_NAME_MAX = 500
KEY_MARKER = "Milepost key: "


_READABLE_KEY = re.compile(r"milepost:([A-Za-z0-9._-]+):(\d+|deposit):(\d+)")
_SANITIZE = re.compile(r"[^A-Za-z0-9._-]")
DOC_HASH = 8  # hex digits of SHA-256 of the exact key


def doc_number_for(key: str) -> str:
    """A DocNumber of at most 21 characters, one per idempotency key.

    A milestone's or deposit's key whose project key is plain ASCII without `:` reads as it
    always did: `milepost:ACME-WEB:2:1` is `ACME-WEB-2-1`, `milepost:ACME-WEB:deposit:1` is
    `ACME-WEB-deposit-1` (read from the right, the last two parts are unambiguous, so no two
    such keys meet). Any other key (a `:` or other characters in the project key, a partial,
    monthly, late-fee or void key, or one too long) becomes its sanitized head and `-h` with
    8 hex digits of the SHA-256 of the exact key: `X:WEB` and `X-WEB` sanitize alike but hash
    apart, and a hashed number never looks like a readable one (those end in a number).
    """
    if (match := _READABLE_KEY.fullmatch(key)) is not None:
        readable = "-".join(match.groups())
        if len(readable) <= DOC_NUMBER_MAX:
            return readable
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:DOC_HASH]
    head = _SANITIZE.sub("-", key.removeprefix("milepost:"))[: DOC_NUMBER_MAX - DOC_HASH - 2]
    return f"{head}-h{digest}"


def legacy_doc_number(key: str) -> str:
    """The DocNumber releases before issue 9 gave a key (`:` became `-`, a long key kept 14
    characters and 6 hex digits), so an invoice created then is still found by its key."""
    body = key.removeprefix("milepost:").replace(":", "-")
    if len(body) <= DOC_NUMBER_MAX:
        return body
    return f"{body[: DOC_NUMBER_MAX - 7]}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"


def doc_numbers_to_search(key: str) -> tuple[str, ...]:
    """The numbers an invoice for `key` may carry: today's, then the legacy one if it differs."""
    numbers = (doc_number_for(key), legacy_doc_number(key))
    return tuple(dict.fromkeys(numbers))


def private_note_for(intent: InvoiceIntent) -> str:
    """Memo, reference and key; when too long the memo and reference give way, never the key
    (the lookup after an unknown outcome reads it back)."""
    return keyed_note("\n".join(part for part in (intent.memo, intent.reference) if part),
                      intent.idempotency_key)


def keyed_note(text: str, key: str) -> str:
    tail = f"\n{KEY_MARKER}{key}"
    return text[: max(0, PRIVATE_NOTE_MAX - len(tail))] + tail


def key_from_private_note(note: str | None) -> str | None:
    for line in (note or "").splitlines():
        if line.startswith(KEY_MARKER):
            return line[len(KEY_MARKER) :].strip()
    return None


def _ref(ref: Ref) -> dict[str, str]:
    return {"value": ref.id, "name": ref.name}


def _quantity_and_price(amount: Money, quantity: Decimal) -> tuple[Decimal, Decimal]:
    """Keep the line's quantity only when the unit price is exact; the total must not drift."""
    if quantity and quantity != 1:
        unit = amount.amount / quantity
        if unit * quantity == amount.amount and unit == unit.quantize(Decimal("0.0000001")):
            return quantity, unit
    return Decimal(1), amount.amount


def display_name(name: str) -> str:
    """A name QuickBooks takes as a DisplayName: no colon (it separates a parent from its
    sub-customer), tab or line break (fault 2040), at most 500 characters.

    "Acme: West Coast" becomes "Acme - West Coast"; the same name always gives the same
    result, so the next lookup finds the customer made from it."""
    text = " - ".join(part.strip() for part in name.split(":"))
    return " ".join(text.split())[:DISPLAY_NAME_MAX].strip()


def description_parts(text: str, limit: int = DESCRIPTION_MAX) -> list[str]:
    """`text` in pieces of at most `limit` characters, broken between words where it can be,
    so a long description is carried whole over several invoice lines instead of refused."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind(" ", limit // 2, limit + 1)
        cut = cut if cut > 0 else limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*parts, rest]


def description_line(text: str, number: int = 0) -> dict[str, Any]:
    """A DescriptionOnly line: printed on the invoice, with no amount."""
    line: dict[str, Any] = {"Description": text, "DetailType": "DescriptionOnly", "DescriptionLineDetail": {}}
    return {"LineNum": number, **line} if number else line


def line_payload(resolved: ResolvedLine, number: int, settings: ResolvedSettings) -> dict[str, Any]:
    line = resolved.line
    if resolved.item is None:
        raise ValueError(f"line {number} ({line.description}) has no sales item")
    qty, unit = _quantity_and_price(line.amount, line.quantity)
    detail: dict[str, Any] = {"ItemRef": _ref(resolved.item), "Qty": qty, "UnitPrice": unit}
    if resolved.tax_code is not None:
        detail["TaxCodeRef"] = {"value": resolved.tax_code.id}
    if settings.class_ref is not None:
        detail["ClassRef"] = _ref(settings.class_ref)
    return {
        "LineNum": number,
        "Description": description_parts(line.description)[0],
        "Amount": line.amount.amount,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": detail,
    }


def sales_lines(resolved: ResolvedLine, settings: ResolvedSettings) -> list[dict[str, Any]]:
    """The priced line, then DescriptionOnly lines with the rest of a description longer than
    QuickBooks' 4,000 characters (numbered by the caller)."""
    first = line_payload(resolved, 0, settings)
    return [first, *(description_line(part) for part in description_parts(resolved.line.description)[1:])]


def customer_memo(intent: InvoiceIntent) -> str:
    """QuickBooks' "message displayed on invoice" (1000 characters): reference and memo."""
    return "\n".join(part for part in (intent.reference, intent.memo) if part)[:CUSTOMER_MEMO_MAX]


def invoice_payload(
    intent: InvoiceIntent, customer_ref: Ref, settings: ResolvedSettings
) -> dict[str, Any]:
    """The QuickBooks Invoice for an intent: unsent, keyed, lines in the intent's own words.

    The memo goes where the customer reads it (a DescriptionOnly line after the amounts, and
    the customer memo), not only into PrivateNote, which only the bookkeeper sees."""
    lines = [part for line in intent.lines for part in sales_lines(settings.for_line(line), settings)]
    if intent.memo:  # "Approval window: 3 business days | Payment terms: Net 7", printed
        lines += [description_line(part) for part in description_parts(intent.memo)]
    lines = [{**line, "LineNum": number} for number, line in enumerate(lines, start=1)]
    payload: dict[str, Any] = {
        "CustomerRef": _ref(customer_ref),
        "CurrencyRef": {"value": intent.currency},
        "TxnDate": intent.invoice_date.isoformat(),
        "DueDate": intent.due_date.isoformat(),
        "DocNumber": doc_number_for(intent.idempotency_key),
        "PrivateNote": private_note_for(intent),
        "CustomerMemo": {"value": customer_memo(intent)},
        "EmailStatus": "NotSet",
        "PrintStatus": "NotSet",
        "Line": lines,
    }
    if intent.customer.email:
        payload["BillEmail"] = {"Address": intent.customer.email}
    if settings.terms is not None:
        payload["SalesTermRef"] = _ref(settings.terms)
    if linked := linked_estimate(intent.source):  # the project was imported from an estimate
        payload["LinkedTxn"] = linked
    return payload


def customer_payload(customer: Customer, name: str) -> dict[str, Any]:
    """A new QuickBooks customer; `name` is already made unique by the gateway."""
    payload: dict[str, Any] = {"DisplayName": display_name(name)}
    if customer.company:
        payload["CompanyName"] = customer.company[:100]
    if customer.email:
        payload["PrimaryEmailAddr"] = {"Address": customer.email}
    return payload


def _currency(obj: dict[str, Any], default: str) -> str:
    ref = obj.get("CurrencyRef") or {}
    return str(ref.get("value") or default)


def _updated(obj: dict[str, Any]) -> datetime | None:
    stamp = (obj.get("MetaData") or {}).get("LastUpdatedTime")
    try:
        return datetime.fromisoformat(str(stamp)) if stamp else None
    except ValueError:
        return None


def invoice_fact(obj: dict[str, Any], home_currency: str = "USD") -> InvoiceStatusFact:
    """A QuickBooks Invoice (JSON) as a status fact.

    A CDC deletion carries only Id and MetaData; a voided invoice keeps its number with zero
    amounts and "Voided" in its PrivateNote.
    """
    currency = _currency(obj, home_currency)
    total = Money(to_decimal(obj.get("TotalAmt")), currency)
    balance = Money(to_decimal(obj.get("Balance")), currency)
    note = str(obj.get("PrivateNote") or "")
    if str(obj.get("status", "")).lower() == "deleted":
        status = DELETED
    elif total.is_zero() and note.lower().startswith("voided"):
        status = VOIDED
    else:
        status = status_from_amounts(total, balance)
        if status == OPEN and obj.get("EmailStatus", "NotSet") in ("NotSet", "NeedToSend"):
            status = DRAFT
    return InvoiceStatusFact(
        platform_id=str(obj["Id"]),
        number=obj.get("DocNumber"),
        status=status,
        total=total,
        amount_paid=total - balance if status not in (VOIDED, DELETED) else Money.zero(currency),
        balance=balance,
        idempotency_key=key_from_private_note(note),
        updated_at=_updated(obj),
    )


def payment_facts(obj: dict[str, Any], home_currency: str = "USD") -> list[PaymentFact]:
    """One fact per invoice a QuickBooks Payment brings cash to (unapplied cash is skipped).

    Only cash counts: credit a payment applies from a credit memo is not money received, so
    it is left to `credit_applications`. A credit application (TotalAmt 0) gives no fact.
    """
    currency = _currency(obj, home_currency)
    deleted = _is_void(obj)
    on = _txn_date(obj.get("TxnDate"))
    method = str((obj.get("PaymentMethodRef") or {}).get("name") or "")
    cash, _ = _cash_and_credit(obj)
    return [
        PaymentFact(
            platform_id=str(obj["Id"]),
            invoice_platform_id=invoice_id,
            on=on,
            amount=Money(amount, currency),
            method=method,
            deleted=deleted,
        )
        for invoice_id, amount in cash
    ]


def credit_applications(obj: dict[str, Any], home_currency: str = "USD") -> list[CreditNoteFact]:
    """The credit memos a QuickBooks Payment applies, one fact per memo.

    The Payment does not carry the memo's own number or total, so `total` here is what this
    payment applied and `number` is None; the CreditMemo itself, when read, says the rest.
    A voided or deleted payment applies nothing (QuickBooks gives the credit back).
    """
    if _is_void(obj):
        return []
    currency = _currency(obj, home_currency)
    _, credit = _cash_and_credit(obj)
    by_memo: dict[str, list[tuple[str, Money]]] = {}
    for memo_id, invoice_id, amount in credit:
        by_memo.setdefault(memo_id, []).append((invoice_id, Money(amount, currency)))
    return [
        CreditNoteFact(
            platform_id=memo_id,
            number=None,
            status="applied",
            total=sum((money for _, money in applied), Money.zero(currency)),
            applied_to=tuple(applied),
        )
        for memo_id, applied in by_memo.items()
    ]


def _is_void(obj: dict[str, Any]) -> bool:
    note = str(obj.get("PrivateNote") or "").lower()
    return str(obj.get("status", "")).lower() == "deleted" or note.startswith("voided")


def _linked_lines(obj: dict[str, Any], kind: str) -> list[tuple[str, Decimal]]:
    return [
        (str(linked["TxnId"]), to_decimal(line.get("Amount")))
        for line in obj.get("Line") or []
        for linked in line.get("LinkedTxn") or []
        if linked.get("TxnType") == kind
    ]


def _cash_and_credit(
    obj: dict[str, Any],
) -> tuple[list[tuple[str, Decimal]], list[tuple[str, str, Decimal]]]:
    """Split what a Payment applies to each invoice into cash and credit.

    QuickBooks books a credit memo used by a payment as a line of its own, while the invoice's
    line holds cash and credit together. The Payment does not say which invoice took which
    credit, so credit is set against the invoice lines in their order; the rest is cash.
    Returns (invoice id, cash) and (memo id, invoice id, credit) rows.
    """
    credit_left: dict[str, Decimal] = {}
    for memo_id, amount in _linked_lines(obj, "CreditMemo"):
        credit_left[memo_id] = credit_left.get(memo_id, Decimal(0)) + amount
    cash: list[tuple[str, Decimal]] = []
    used: list[tuple[str, str, Decimal]] = []
    for invoice_id, amount in _linked_lines(obj, "Invoice"):
        covered = Decimal(0)
        for memo_id, left in credit_left.items():
            take = min(amount - covered, left)
            if take > 0:
                used.append((memo_id, invoice_id, take))
                credit_left[memo_id] = left - take
                covered += take
        if amount - covered > 0 or not covered:
            cash.append((invoice_id, amount - covered))
    return cash, used


def _txn_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10]) if value else date.min


def credit_memo_payload(invoice: dict[str, Any], amount: Money, reason: str, key: str) -> dict[str, Any]:
    """A CreditMemo whose TotalAmt is exactly `amount` (tax included), keyed like invoices,
    split like the invoice's item lines (same items, tax codes and classes; `credit_split`),
    its tax the invoice's share of tax in `amount`, so net + tax is `amount` to the cent."""
    lines = [line for line in invoice.get("Line") or [] if line.get("DetailType") == "SalesItemLineDetail"]
    if not lines:
        raise ValueError(f"invoice {invoice.get('Id')} has no item line to credit against")
    details: dict[tuple[str, str, str], dict[str, Any]] = {}
    groups: list[tuple[tuple[str, str, str], Decimal]] = []
    for line in lines:
        detail = line["SalesItemLineDetail"]
        group = (str(detail["ItemRef"].get("value")), str((detail.get("TaxCodeRef") or {}).get("value") or ""),
                 str((detail.get("ClassRef") or {}).get("value") or ""))
        details.setdefault(group, detail)
        groups.append((group, to_decimal(line.get("Amount"))))
    total = to_decimal(invoice.get("TotalAmt"))
    invoice_tax = to_decimal((invoice.get("TxnTaxDetail") or {}).get("TotalTax"))
    tax = Money(amount.amount * invoice_tax / total if total else Decimal(0), amount.currency)
    payload: dict[str, Any] = {
        "CustomerRef": invoice["CustomerRef"],
        "CurrencyRef": {"value": amount.currency},
        "DocNumber": doc_number_for(key),
        "PrivateNote": keyed_note(reason, key),
        "Line": [_credit_line(details[group], part, reason) for group, part in credit_split.split_like(amount - tax, groups)],
    }
    if invoice.get("GlobalTaxCalculation"):
        payload["GlobalTaxCalculation"] = invoice["GlobalTaxCalculation"]
    if tax.amount:
        payload["TxnTaxDetail"] = {"TotalTax": tax.amount, **{
            k: v for k, v in (invoice.get("TxnTaxDetail") or {}).items() if k == "TxnTaxCodeRef"}}
    return payload


def _credit_line(detail: dict[str, Any], part: Money, reason: str) -> dict[str, Any]:
    credit: dict[str, Any] = {"ItemRef": detail["ItemRef"], "Qty": Decimal(1), "UnitPrice": part.amount}
    for ref in ("TaxCodeRef", "ClassRef"):
        if detail.get(ref):
            credit[ref] = detail[ref]
    return {"Amount": part.amount, "Description": description_parts(reason)[0], "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": credit}


def credit_application_payload(invoice: dict[str, Any], memo_id: str, amount: Money) -> dict[str, Any]:
    """A zero-total Payment that applies a credit memo to an invoice (QuickBooks' way)."""
    return {
        "CustomerRef": invoice["CustomerRef"],
        "TotalAmt": Decimal(0),
        "Line": [
            {"Amount": amount.amount, "LinkedTxn": [{"TxnId": str(invoice["Id"]), "TxnType": "Invoice"}]},
            {"Amount": amount.amount, "LinkedTxn": [{"TxnId": memo_id, "TxnType": "CreditMemo"}]},
        ],
    }
