"""The Xero gateway, through the unmodified xero-python.

Every call goes: a slot from the rate gate -> the SDK (token from custody through the getter,
`_request_timeout` always) -> `translate_xero_error` on failure, under the one retry policy.
Creates carry an `Idempotency-Key` derived from the milestone key, so Xero replays instead of
creating twice; and when a create's outcome is unknown the invoice is looked up by the key in
its Reference before anything is sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import urllib3
from tenacity import Retrying
from xero_python.accounting import (
    AccountingApi,
    Allocations,
    Contacts,
    CreditNotes,
    Invoice,
    Invoices,
    RequestEmpty,
)
from xero_python.exceptions import OpenApiException

from connector.billing.estimates import Estimate
from connector.billing.model import Customer, InvoiceIntent, InvoiceLine
from connector.billing.money import Money
from mappings import xero as xmap
from mappings.customers import email_match, name_candidates
from mappings.facts import CreditNoteFact, InvoiceStatusFact, PaymentFact, to_decimal
from mappings.settings import CompanyLists, MappingSettings, Ref, ResolvedSettings

from .company_lists import KeptLists, Key
from .endpoints import XeroEndpoints
from .errors import Conflict, NotFound, ValidationRejected
from .gateway import Attachment, ChangeBatch, CreatedInvoice, TokenSource
from .header_keys import header_safe
from .limits import RateGate
from .refusal import Refusal, once_more_after_refresh
from .retry import create_once, platform_retrying
from .xero_client import accounting_api, build_api_client, request_timeout
from .xero_faults import translate_xero_error
from .xero_quotes import accepted_quotes, read_quote

T = TypeVar("T")
K = TypeVar("K")
PLATFORM = "xero"
PAGE_SIZE = 1000
IDEMPOTENCY_KEY_MAX = 128
MODIFIED_MARGIN = timedelta(seconds=5)  # re-read a little: facts are idempotent, gaps are not
DEFAULT_PAGE_SIZE = 100  # what Xero answers when pageSize is not honoured
MAX_READS = 2000
OLDEST_FIRST = "UpdatedDateUTC ASC"


def idempotency_key_for(*parts: str) -> str:
    """The `Idempotency-Key` header of one logical write: ASCII, at most Xero's 128
    characters, the same for the same parts in every process (`header_keys`)."""
    return header_safe(":".join(parts), IDEMPOTENCY_KEY_MAX)


def literal(value: str) -> str:
    """A string literal for Xero's `where` filters."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class XeroGateway:
    platform = PLATFORM

    def __init__(
        self,
        endpoints: XeroEndpoints,
        tenant_id: str,
        tokens: TokenSource,
        *,
        connection_id: str | None = None,
        gate: RateGate | None = None,
        retrying: Callable[[], Retrying] = platform_retrying,
        pool_manager: Any = None,
        lists_key: Key | None = None,
        refusal: Refusal | None = None,
    ) -> None:
        self._endpoints = endpoints
        self._tokens = tokens
        self._refusal = refusal
        self._tenant = tenant_id
        self._connection = connection_id or tenant_id
        self._gate = gate
        self._retrying = retrying
        self._api = accounting_api(endpoints, build_api_client(endpoints, tokens, pool_manager))
        self._timeout = request_timeout(endpoints)
        self._lists = KeptLists(self._read_lists, lists_key)
        self._base_currency: str | None = None

    def __repr__(self) -> str:
        return f"XeroGateway(tenant={self._tenant!r})"

    # -- plumbing -----------------------------------------------------------------------------
    def _once(self, op: Callable[[AccountingApi], T], creating: bool = False) -> T:
        """One try; refused for its credentials, once more after a forced refresh (refusal.py)."""
        return once_more_after_refresh(lambda: self._send(op, creating),
                                       lambda: self._tokens().access_token, self._refusal)

    def _send(self, op: Callable[[AccountingApi], T], creating: bool = False) -> T:
        try:
            if self._gate is None:
                return op(self._api)
            with self._gate.slot(PLATFORM, self._connection):
                return op(self._api)
        except (OpenApiException, urllib3.exceptions.HTTPError) as exc:
            raise translate_xero_error(exc, creating=creating) from exc

    def call(self, op: Callable[[AccountingApi], T], creating: bool = False) -> T:
        """Run one SDK operation under the rate gate, the fault translator and the retry policy."""
        return self._retrying()(lambda: self._once(op, creating))

    def _kw(self) -> dict[str, Any]:
        return {"_request_timeout": self._timeout}

    @property
    def tenant_id(self) -> str:
        return self._tenant

    def request_options(self) -> dict[str, Any]:
        """The keyword arguments every SDK call takes (the timeout), for the readers beside."""
        return self._kw()

    # -- quotes (xero_quotes.py) ------------------------------------------------------------------
    def accepted_estimates(self) -> list[Estimate]:
        """The organisation's ACCEPTED quotes, to choose one to import."""
        return accepted_quotes(self)

    def estimate(self, reference: str) -> Estimate:
        """The quote with that QuoteID or QuoteNumber, whatever its status, with its contact."""
        return read_quote(self, reference)

    # -- contacts ---------------------------------------------------------------------------------
    def find_or_create_customer(self, customer: Customer, known_id: str | None = None) -> Ref:
        """The stored id, then the exact name (any case), then the e-mail only when exactly one
        contact has it and the names agree; else a new contact, under the first free name.
        `Ref.how` says which, for the sync log."""
        if known_id:
            try:
                found = self.call(lambda api: api.get_contact(self._tenant, known_id, **self._kw())).contacts
            except NotFound:
                found = []
            if found and _active(found[0]):
                return _contact_ref(found[0], "stored id")
        # Xero's `==` compares with case while a contact's name is unique without it, so both
        # lookups lower the field (Xero's "Requests and responses" page: ToLower()).
        candidates = name_candidates(customer)
        for number, name in enumerate(candidates):
            taken = [c for c in self._contacts_where(f"Name.ToLower()=={literal(name.lower())}")
                     if (c.name or "").casefold() == name.casefold()]
            if taken and (number == 0 or (taken[0].email_address or "").casefold() == customer.email.casefold()):
                return _contact_ref(taken[0], "name" if number == 0 else "name and e-mail")
            if taken:
                continue
            if number == 0 and customer.email and (contact := self._contact_by_email(customer)) is not None:
                return _contact_ref(contact, "e-mail, names agreeing")
            try:
                return _contact_ref(self._create_contact(customer, name), "created")
            except Conflict:
                continue
        raise Conflict(f"no free contact name for customer {customer.name!r}", platform=PLATFORM)

    def _contact_by_email(self, customer: Customer) -> Any | None:
        wanted = customer.email.casefold()
        found = [c for c in self._contacts_where(f"EmailAddress.ToLower()=={literal(customer.email.lower())}")
                 if (c.email_address or "").casefold() == wanted]
        chosen = email_match(customer, [(str(c.contact_id), str(c.name or "")) for c in found])
        return next((c for c in found if str(c.contact_id) == chosen), None)

    def _contacts_where(self, condition: str) -> list[Any]:
        result = self.call(lambda api: api.get_contacts(self._tenant, where=condition, **self._kw()))
        return [c for c in result.contacts or [] if _active(c)]

    def _create_contact(self, customer: Customer, name: str) -> Any:
        body = Contacts(contacts=[xmap.contact_model(customer, name)])
        key = idempotency_key_for("milepost-contact", self._tenant, name, customer.email)
        result = self.call(
            lambda api: api.create_contacts(self._tenant, body, summarize_errors=True, idempotency_key=key, **self._kw()),
            creating=True,
        )
        return result.contacts[0]

    # -- settings ---------------------------------------------------------------------------------
    def company_lists(self) -> CompanyLists:
        """The organisation's lists, kept a few minutes per connection (company_lists.py)."""
        return self._lists.get()

    def _read_lists(self) -> CompanyLists:
        items = self.call(lambda api: api.get_items(self._tenant, **self._kw())).items or []
        accounts = self.call(lambda api: api.get_accounts(self._tenant, **self._kw())).accounts or []
        rates = self.call(lambda api: api.get_tax_rates(self._tenant, **self._kw())).tax_rates or []
        tracking = self.call(lambda api: api.get_tracking_categories(self._tenant, **self._kw()))
        currencies = self.call(lambda api: api.get_currencies(self._tenant, **self._kw())).currencies or []
        return CompanyLists(
            currencies=tuple(sorted(_value(c.code) for c in currencies if c.code)),
            items=tuple(Ref(str(i.item_id), str(i.code)) for i in items),
            accounts=tuple(
                Ref(str(a.account_id), str(a.code)) for a in accounts if a.code and _value(a.status) != "ARCHIVED"
            ),
            tax_codes=tuple(Ref(str(r.tax_type), str(r.name)) for r in rates if _value(r.status) != "DELETED"),
            tracking=tuple(
                (str(c.name), tuple(str(o.name) for o in c.options or []))
                for c in tracking.tracking_categories or []
            ),
        )

    def resolve_settings(self, settings: MappingSettings, lines: Sequence[InvoiceLine] = ()) -> ResolvedSettings:
        return self._lists.resolve_settings(settings, lines, platform=PLATFORM, require_account=True)

    def check_currency(self, currency: str) -> None:
        self._lists.check_currency(currency, platform=PLATFORM, books=f"Xero organisation {self._tenant}")

    # -- invoices ---------------------------------------------------------------------------------
    def create_draft_invoice(
        self,
        intent: InvoiceIntent,
        customer_ref: Ref,
        settings: ResolvedSettings,
        attachments: Sequence[Attachment] = (),
        *,
        outcome_unknown: bool = False,
    ) -> CreatedInvoice:
        key = intent.idempotency_key
        body = Invoices(invoices=[xmap.invoice_model(intent, customer_ref.id, settings)])
        idem = idempotency_key_for(key)

        def create() -> CreatedInvoice:
            result = self._once(
                lambda api: api.create_invoices(
                    self._tenant, body, summarize_errors=True, unitdp=4, idempotency_key=idem, **self._kw()
                ),
                creating=True,
            )
            return _created(_checked(result.invoices[0]))

        try:
            invoice = create_once(self._retrying(), create, lambda: self.find_invoice_by_key(key),
                                  outcome_unknown=outcome_unknown)
        except ValidationRejected:
            self._lists.forget()  # perhaps an account or item was removed: read the lists again
            raise
        there = self.attachment_names(invoice.platform_id) if invoice.found_existing or outcome_unknown else {}
        ids = tuple(
            there.get(file.filename) or self._attach(invoice.platform_id, key, file) for file in attachments
        )
        return replace(invoice, attachments=ids)

    def attachment_names(self, invoice_id: str) -> dict[str, str]:
        """File name -> attachment id of the files already on an invoice, so a retry after an
        unknown outcome uploads only what is missing."""
        result = self.call(lambda api: api.get_invoice_attachments(self._tenant, invoice_id, **self._kw()))
        return {str(a.file_name): str(a.attachment_id) for a in result.attachments or [] if a.file_name}

    def find_invoice_by_key(self, idempotency_key: str) -> CreatedInvoice | None:
        condition = f"Reference.Contains({literal(xmap.key_marker(idempotency_key))})"
        result = self.call(lambda api: api.get_invoices(self._tenant, where=condition, **self._kw()))
        for invoice in result.invoices or []:
            if xmap.key_from_reference(invoice.reference) == idempotency_key and _value(invoice.status) != "DELETED":
                return _created(invoice, found=True)
        return None

    def _attach(self, invoice_id: str, key: str, file: Attachment) -> str:
        idem = idempotency_key_for(key, "attachment", file.filename)
        content = file.data(PLATFORM)
        result = self.call(
            lambda api: api.create_invoice_attachment_by_file_name(
                self._tenant, invoice_id, file.filename, content, include_online=True,
                idempotency_key=idem, **self._kw(),
            ),
            creating=True,
        )
        return str(result.attachments[0].attachment_id)

    def get_invoice(self, platform_id: str) -> Invoice:
        return self.call(lambda api: api.get_invoice(self._tenant, platform_id, **self._kw())).invoices[0]

    def void_invoice(self, platform_id: str) -> InvoiceStatusFact:
        """A draft is deleted, an approved invoice without payments is voided; one with payments
        must be credited instead, which Xero (and we) refuse to do silently."""
        current = self.get_invoice(platform_id)
        status = _value(current.status)
        if status in ("DRAFT", "SUBMITTED"):
            target = "DELETED"
        elif status == "AUTHORISED" and not current.payments:
            target = "VOIDED"
        elif status in ("VOIDED", "DELETED"):
            return xmap.invoice_fact(current)
        else:
            raise ValidationRejected(f"invoice {current.invoice_number} is {status} with payments: credit it instead", platform=PLATFORM)
        change = Invoices(invoices=[Invoice(invoice_id=platform_id, status=target)])
        self.call(lambda api: api.update_invoice(self._tenant, platform_id, change, **self._kw()))
        return xmap.invoice_fact(self.get_invoice(platform_id))

    def credit_invoice(
        self, platform_id: str, reason: str, idempotency_key: str, amount: Money | None = None,
        *, outcome_unknown: bool = False,
    ) -> CreditNoteFact:
        """A credit note whose Total is exactly `amount` (default: all still due), split like
        the invoice's lines, allocated in full to it. With `outcome_unknown` (an earlier try may
        have reached Xero) the note is first looked up by the key in its Reference, and only
        what it has not allocated yet is allocated."""
        invoice = self.get_invoice(platform_id)
        credit = amount or xmap.invoice_fact(invoice).balance
        note = self.find_credit_by_key(idempotency_key) if outcome_unknown else None
        if note is None:
            rates = {str(r.tax_type): to_decimal(r.effective_rate) for r in
                     self.call(lambda api: api.get_tax_rates(self._tenant, **self._kw())).tax_rates or []}
            body = CreditNotes(credit_notes=[xmap.credit_note_model(invoice, credit, reason, idempotency_key, rates)])
            idem = idempotency_key_for(idempotency_key, "credit")
            note = self.call(
                lambda api: api.create_credit_notes(self._tenant, body, summarize_errors=True, idempotency_key=idem, **self._kw()),
                creating=True,
            ).credit_notes[0]
        remaining = to_decimal(note.remaining_credit if note.remaining_credit is not None else note.total)
        left = Money(min(remaining, xmap.invoice_fact(self.get_invoice(platform_id)).balance.amount), credit.currency)
        if left.amount > 0:
            allocation = Allocations(allocations=[xmap.allocation_model(platform_id, left, invoice.date)])
            alloc_idem = idempotency_key_for(idempotency_key, "allocation")
            self.call(
                lambda api: api.create_credit_note_allocation(
                    self._tenant, note.credit_note_id, allocation, idempotency_key=alloc_idem, **self._kw()
                ),
                creating=True,
            )
        return xmap.credit_note_fact(
            self.call(lambda api: api.get_credit_note(self._tenant, note.credit_note_id, **self._kw())).credit_notes[0]
        )

    def find_credit_by_key(self, idempotency_key: str) -> Any | None:
        """The credit note carrying the key in its Reference (not voided or deleted), if any."""
        condition = f"Reference.Contains({literal(xmap.key_marker(idempotency_key))})"
        result = self.call(lambda api: api.get_credit_notes(self._tenant, where=condition, **self._kw()))
        for note in result.credit_notes or []:
            if xmap.key_from_reference(note.reference) == idempotency_key and \
                    _value(note.status) not in ("DELETED", "VOIDED"):
                return note
        return None

    def send_invoice(self, platform_id: str, to: str | None = None) -> None:
        self.call(lambda api: api.email_invoice(self._tenant, platform_id, RequestEmpty(), **self._kw()))

    # -- company ----------------------------------------------------------------------------------
    def _organisation(self) -> Any:
        orgs = self.call(lambda api: api.get_organisations(self._tenant, **self._kw())).organisations
        return orgs[0] if orgs else None

    def company_name(self) -> str:
        org = self._organisation()
        return str((org.name or org.legal_name or "") if org is not None else "")

    # -- changes ----------------------------------------------------------------------------------
    def base_currency(self) -> str:
        if self._base_currency is None:
            org = self._organisation()
            self._base_currency = _value(org.base_currency) if org is not None else "USD"
        return self._base_currency

    def _currency_of(self, payment: Any, known: dict[str, str]) -> str:
        """The paid invoice's currency: from this batch, else the invoice, else the org's."""
        invoice_id = _invoice_id(payment)
        if invoice_id and invoice_id not in known:
            try:
                known[invoice_id] = _value(self.get_invoice(invoice_id).currency_code)
            except NotFound:
                known[invoice_id] = self.base_currency()
        return known.get(invoice_id) or self.base_currency()

    def _modified_since(self, read: Callable[[AccountingApi, datetime | None, int], Any], attribute: str,
                        ident: str, since: datetime | None, keep: Callable[[Any], K | None]) -> Feed[K]:
        """Everything modified at or after `since`, oldest first, read by keyset: after a full
        page the next read starts again at page 1 from the last row's second, so a row changed
        while the pages are read moves behind the reader and the rows after it never shift
        into a page already read. Rows read twice keep their later version. Only a full page
        within one second pages on by number. Nothing is returned until the last page is read,
        so the cursor never passes an unread page. Each row is made what `keep` gives (None:
        dropped) as its page is read, so the SDK's models of a page go before the next."""
        found: dict[str, K] = {}
        newest: datetime | None = None
        page = 1
        for _ in range(MAX_READS):

            def one(api: AccountingApi, since: datetime | None = since, page: int = page) -> Any:
                return read(api, since, page)

            answer = self.call(one)
            batch = getattr(answer, attribute) or []
            for row in batch:
                stamp, kept = _aware(getattr(row, "updated_date_utc", None)), keep(row)
                if stamp is not None and (newest is None or stamp > newest):
                    newest = stamp
                if kept is None:
                    found.pop(str(getattr(row, ident)), None)
                else:
                    found[str(getattr(row, ident))] = kept
            if _last_page(answer, batch, page):
                return Feed(list(found.values()), newest)
            last = _header_time(_aware(getattr(batch[-1], "updated_date_utc", None)))
            if last is not None and (since is None or last > since):
                since, page = last, 1
            else:
                page += 1
        raise ValidationRejected(f"{attribute} did not end after {MAX_READS} pages", platform=PLATFORM)

    def changes_since(self, cursor: datetime | None, invoices: Collection[str] | None = None) -> ChangeBatch:
        """See `AccountingGateway.changes_since`: with `invoices`, an invoice not among them is
        kept only when it carries a Milepost key (made while the pages were read)."""
        since = _header_time(cursor - MODIFIED_MARGIN) if cursor else None
        tenant, kw = self._tenant, {"order": OLDEST_FIRST, "page_size": PAGE_SIZE, **self._kw()}
        currencies: dict[str, str] = {}
        kept: set[str] = set()  # invoices in the batch

        def modified(since: datetime | None) -> dict[str, Any]:
            return {"if_modified_since": since} if since else {}

        def ours(invoice_id: str) -> bool:
            return invoices is None or invoice_id in invoices or invoice_id in kept

        def invoice(row: Invoice) -> InvoiceStatusFact | None:
            invoice_id = str(row.invoice_id)
            if not (xmap.key_from_reference(row.reference) or ours(invoice_id)):
                return None
            kept.add(invoice_id)
            if row.currency_code:
                currencies[invoice_id] = _value(row.currency_code)
            return xmap.invoice_fact(row)

        def payment(row: Any) -> PaymentFact | None:
            if not ours(_invoice_id(row)):
                return None
            return xmap.payment_fact(row, self._currency_of(row, currencies))

        facts = self._modified_since(
            lambda api, s, p: api.get_invoices(tenant, page=p, **modified(s), **kw), "invoices", "invoice_id",
            since, invoice)
        payments = self._modified_since(
            lambda api, s, p: api.get_payments(tenant, page=p, **modified(s), **kw), "payments", "payment_id",
            since, payment)
        notes = self._modified_since(
            lambda api, s, p: api.get_credit_notes(tenant, page=p, **modified(s), **kw), "credit_notes",
            "credit_note_id", since, xmap.credit_note_fact)
        return ChangeBatch(
            invoices=tuple(facts.kept),
            payments=tuple(payments.kept),
            credit_notes=tuple(notes.kept),
            next_cursor=next_cursor(cursor, [feed.stamps for feed in (facts, payments, notes)]),
            full_resync=cursor is None,
        )


@dataclass(frozen=True)
class Feed(Generic[K]):
    """What one feed's pages kept, and the newest change it read (kept or not): the cursor."""

    kept: list[K]
    newest: datetime | None

    @property
    def stamps(self) -> list[datetime]:
        return [self.newest] if self.newest else []


def next_cursor(cursor: datetime | None, feeds: Sequence[Sequence[datetime | None]]) -> datetime | None:
    """Where the next read starts: the earliest of the feeds' newest changes, counting only the
    feeds that brought something newer than the cursor (a row re-read inside the margin moves
    nothing). The three feeds are read one after another, so a feed read early may have
    changed again while a later one was read; starting from the earliest keeps that change."""
    newest = [max(known) for stamps in feeds
              if (known := [s for s in stamps if s is not None and (cursor is None or s > cursor)])]
    return min(newest) if newest else cursor


def _header_time(moment: datetime | None) -> datetime | None:
    """Xero reads If-Modified-Since as UTC without a zone and is reported to refuse fractions
    of a second: whole seconds, rounded down (re-reading a little is harmless)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _last_page(answer: Any, batch: list[Any], page: int) -> bool:
    """The answer's `pagination` says so; without one, a page shorter than Xero's default page
    size is the last (Xero may answer 100 rows whatever pageSize asked for)."""
    if not batch:
        return True
    pagination = getattr(answer, "pagination", None)
    count = getattr(pagination, "page_count", None)
    if count is not None:
        return page >= int(count)
    size = getattr(pagination, "page_size", None) or DEFAULT_PAGE_SIZE
    return len(batch) < min(int(size), PAGE_SIZE)


def _invoice_id(payment: Any) -> str:
    return str(getattr(payment.invoice, "invoice_id", "") or "")


def _value(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _active(contact: Any) -> bool:
    return _value(contact.contact_status) in ("", "ACTIVE")


def _contact_ref(contact: Any, how: str = "") -> Ref:
    return Ref(str(contact.contact_id), str(contact.name or ""), how)


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _checked(invoice: Invoice) -> Invoice:
    if invoice.has_errors or invoice.validation_errors:
        messages = "; ".join(str(e.message) for e in invoice.validation_errors or [])
        raise ValidationRejected(messages or "Xero refused the invoice", platform=PLATFORM)
    return invoice


def _created(invoice: Invoice, found: bool = False) -> CreatedInvoice:
    fact = xmap.invoice_fact(invoice)
    return CreatedInvoice(
        platform_id=fact.platform_id,
        number=fact.number,
        status=fact.status,
        total=fact.total,
        found_existing=found,
    )
