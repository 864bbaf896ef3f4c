"""Reading QuickBooks estimates for `schedule import --from-estimate` and the admin's list.

An estimate is found by its Id, or else by its DocNumber (what the bookkeeper reads on it);
its customer is read whole, for the e-mail and company name the project's customer takes.
The list reads every estimate page by page (QuickBooks cannot filter on TxnStatus) and keeps
the accepted ones, without reading their customers: it only has to be chosen from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector.billing.estimates import Estimate
from mappings import estimates as emap

from .errors import NotFound, ValidationRejected
from .quickbooks_client import quote, select

if TYPE_CHECKING:
    from .quickbooks import QuickBooksGateway

PLATFORM = "quickbooks"


def read_estimate(gateway: QuickBooksGateway, reference: str, home_currency: str) -> Estimate:
    """The estimate with Id (or else DocNumber) `reference`, and its customer; NotFound naming
    it when the company has neither."""
    row = _by_id(gateway, reference) if reference.isdigit() else None
    if row is None:
        rows = gateway.query(select("Estimate", f"DocNumber = {quote(reference)}"), "Estimate")
        row = rows[0] if rows else None
    if row is None:
        raise NotFound(f"QuickBooks has no estimate {reference!r} (neither its Id nor its number)",
                       platform=PLATFORM, code="estimate_not_found")
    customer_id = str((row.get("CustomerRef") or {}).get("value") or "")
    customer = None
    if customer_id:
        customer = gateway.call(lambda qb: qb.get_single_object("Customer", customer_id)).get("Customer")
    return emap.quickbooks_estimate(row, customer, home_currency)


OBJECT_NOT_FOUND = "610"


def _by_id(gateway: QuickBooksGateway, estimate_id: str) -> dict[str, Any] | None:
    try:
        found = gateway.call(lambda qb: qb.get_single_object("Estimate", estimate_id))
    except NotFound:
        return None
    except ValidationRejected as fault:
        if str(fault.code) == OBJECT_NOT_FOUND:
            return None  # QuickBooks answers an unknown id with a 610 "object not found" fault
        raise  # any other fault keeps its own code and message
    return dict(found.get("Estimate") or {}) or None


def accepted_estimates(gateway: QuickBooksGateway, home_currency: str) -> list[Estimate]:
    rows = gateway.query_all(select("Estimate"), "Estimate")
    return [emap.quickbooks_estimate(row, None, home_currency) for row in rows
            if row.get("TxnStatus") == emap.QUICKBOOKS_ACCEPTED]
