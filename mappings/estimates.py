"""QuickBooks Estimates and Xero Quotes as the domain's `Estimate`, and the way back.

Both platforms' quirks for the documents a project is imported from, and nothing else:
- QuickBooks: accepted is `TxnStatus == "Accepted"` (Pending, Accepted, Closed, Rejected); the
  priced lines are `SalesItemLineDetail` (and bundles, `GroupLineDetail`); the amount before
  tax is `TotalAmt - TxnTaxDetail.TotalTax`. An invoice points back with
  `LinkedTxn [{TxnId, TxnType: "Estimate"}]` (QuickBooks then closes the estimate).
- Xero: accepted is `Status == ACCEPTED` (DRAFT, SENT, DECLINED, ACCEPTED, INVOICED, DELETED);
  the amount before tax is `Total - TotalTax` (a quote stated tax inclusive keeps its line
  amounts gross: only their proportions are used). Xero has no link from an invoice to a
  quote: the invoice's `Reference` starts with the quote number (`mappings.xero.reference_for`).
Nothing here does I/O.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from connector.billing.estimates import Estimate, EstimateLine
from connector.billing.model import Customer, SourceDocument
from connector.billing.money import Money

from .facts import to_decimal

QUICKBOOKS_ACCEPTED = "Accepted"
XERO_ACCEPTED = "ACCEPTED"
_QB_PRICED = ("SalesItemLineDetail", "GroupLineDetail")


def _qb_date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def quickbooks_estimate(obj: dict[str, Any], customer: dict[str, Any] | None,
                        home_currency: str) -> Estimate:
    """A QuickBooks Estimate (JSON) and its Customer (JSON, when read) as an `Estimate`."""
    currency = str((obj.get("CurrencyRef") or {}).get("value") or home_currency)
    gross = to_decimal(obj.get("TotalAmt"))
    tax = to_decimal((obj.get("TxnTaxDetail") or {}).get("TotalTax"))
    customer = customer or {}
    ref = obj.get("CustomerRef") or {}
    email = (str((customer.get("PrimaryEmailAddr") or {}).get("Address") or "")
             or str((obj.get("BillEmail") or {}).get("Address") or ""))
    lines = tuple(
        EstimateLine(_qb_line_text(line), Money(to_decimal(line.get("Amount")), currency))
        for line in obj.get("Line") or [] if line.get("DetailType") in _QB_PRICED
    )
    status = str(obj.get("TxnStatus") or "")
    return Estimate(
        source=SourceDocument("quickbooks", "estimate", str(obj["Id"]), str(obj.get("DocNumber") or "")),
        status=status,
        accepted=status == QUICKBOOKS_ACCEPTED,
        currency=currency,
        total=Money(gross - tax, currency),
        customer_id=str(ref.get("value") or ""),
        customer=Customer(
            name=str(customer.get("DisplayName") or ref.get("name") or ""),
            email=email,
            company=str(customer.get("CompanyName") or "") or None,
        ),
        lines=lines,
        issued=_qb_date(obj.get("TxnDate")),
        title=str((obj.get("CustomerMemo") or {}).get("value") or "").split("\n", 1)[0][:120],
    )


def _qb_line_text(line: dict[str, Any]) -> str:
    detail = line.get("SalesItemLineDetail") or line.get("GroupLineDetail") or {}
    item = detail.get("ItemRef") or detail.get("GroupItemRef") or {}
    return str(line.get("Description") or item.get("name") or "")


def linked_estimate(source: SourceDocument | None) -> list[dict[str, str]]:
    """QuickBooks' `LinkedTxn` of an invoice made from an imported estimate (else none)."""
    if source is None or source.platform != "quickbooks":
        return []
    return [{"TxnId": source.platform_id, "TxnType": "Estimate"}]


def _value(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def xero_quote(quote: Any, contact: Any | None = None) -> Estimate:
    """A xero-python `Quote` (and its `Contact`, read whole, for the e-mail) as an `Estimate`."""
    currency = _value(quote.currency_code) or "USD"
    net = to_decimal(quote.total) - to_decimal(quote.total_tax)
    who = contact if contact is not None else quote.contact
    status = _value(quote.status)
    issued = quote.date.date() if isinstance(quote.date, datetime) else quote.date
    return Estimate(
        source=SourceDocument("xero", "quote", str(quote.quote_id), str(quote.quote_number or "")),
        status=status,
        accepted=status == XERO_ACCEPTED,
        currency=currency,
        total=Money(net, currency),
        customer_id=str(getattr(who, "contact_id", "") or ""),
        customer=Customer(
            name=str(getattr(who, "name", "") or ""),
            email=str(getattr(who, "email_address", "") or ""),
        ),
        lines=tuple(
            EstimateLine(str(line.description or line.item_code or ""),
                         Money(to_decimal(line.line_amount), currency))
            for line in quote.line_items or [] if line.line_amount not in (None, "")
        ),
        issued=issued if isinstance(issued, date) else None,
        title=str(quote.title or ""),
    )


def quote_reference_prefix(source: SourceDocument | None) -> str:
    """What a Xero invoice's Reference starts with when its project came from a quote."""
    if source is None or source.platform != "xero":
        return ""
    return source.number or source.platform_id
