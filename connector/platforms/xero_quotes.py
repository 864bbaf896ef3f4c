"""Reading Xero quotes for `schedule import --from-quote` and the admin's list.

A quote is found by its QuoteID, or else by its QuoteNumber (what people read on it, "QU-0042");
its contact is read whole, since the quote's own copy of it carries no e-mail. The list asks
Xero for `Status=ACCEPTED`, page by page, to the last page. It stops after MAX_PAGES pages
(10,000 quotes) with an error naming the limit rather than return part of the list as if it
were all: a quote past the limit is still imported by its number.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from connector.billing.estimates import Estimate
from mappings import estimates as emap

from .errors import NotFound, PlatformError

if TYPE_CHECKING:
    from .xero import XeroGateway

PLATFORM = "xero"
MAX_PAGES = 100
PAGE_SIZE = 100  # Xero's quote pages hold 100


def _is_id(reference: str) -> bool:
    try:
        uuid.UUID(reference)
    except ValueError:
        return False
    return True


def read_quote(gateway: XeroGateway, reference: str) -> Estimate:
    """The quote with QuoteID (or else QuoteNumber) `reference`, with its contact; NotFound
    naming it when the organisation has neither."""
    tenant, kw = gateway.tenant_id, gateway.request_options()
    found: list[Any] = []
    if _is_id(reference):
        try:
            found = gateway.call(lambda api: api.get_quote(tenant, reference, **kw)).quotes or []
        except NotFound:
            found = []
    if not found:
        found = [q for q in gateway.call(
            lambda api: api.get_quotes(tenant, quote_number=reference, **kw)).quotes or []
            if q.quote_number == reference]
    if not found:
        raise NotFound(f"Xero has no quote {reference!r} (neither its QuoteID nor its number)",
                       platform=PLATFORM, code="quote_not_found")
    quote = found[0]
    contact = None
    if quote.contact is not None and quote.contact.contact_id:
        contacts = gateway.call(lambda api: api.get_contact(tenant, quote.contact.contact_id, **kw)).contacts
        contact = contacts[0] if contacts else None
    return emap.xero_quote(quote, contact)


def accepted_quotes(gateway: XeroGateway) -> list[Estimate]:
    tenant, kw = gateway.tenant_id, gateway.request_options()
    quotes: list[Any] = []
    for page in range(1, MAX_PAGES + 1):
        def read(api: Any, page: int = page) -> Any:
            return api.get_quotes(tenant, status=emap.XERO_ACCEPTED, page=page, **kw)

        batch = gateway.call(read).quotes or []
        quotes.extend(batch)
        if len(batch) < PAGE_SIZE:  # the last page
            return [emap.xero_quote(q) for q in quotes
                    if emap.XERO_ACCEPTED == str(getattr(q.status, "value", q.status))]
    raise PlatformError(f"Xero lists more than {MAX_PAGES * PAGE_SIZE:,} accepted quotes ({MAX_PAGES} pages), "
                        "more than Milepost lists: import the quote by its number instead "
                        "(`milepost schedule import --from-quote QU-0042`)", platform=PLATFORM,
                        code="too_many_quotes")
