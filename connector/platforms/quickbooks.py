"""The QuickBooks Online gateway, through the unmodified python-quickbooks.

Every call goes: a fresh token (held_tokens, from custody) -> this company's client (quickbooks_client) ->
a slot from the rate gate -> the SDK -> `translate_quickbooks_error` on failure, all under the
one retry policy. Creates carry a `requestid` derived from the idempotency key, so QuickBooks
replays instead of creating twice; and when a create's outcome is unknown the invoice is looked
up by its DocNumber and PrivateNote key before anything is sent again.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException
from quickbooks.mixins import DecimalEncoder
from quickbooks.objects.attachable import Attachable
from quickbooks.objects.base import AttachableRef
from quickbooks.objects.base import Ref as QbRef
from quickbooks.objects.invoice import Invoice
from tenacity import Retrying

from connector.billing.estimates import Estimate
from connector.billing.model import Customer, InvoiceIntent, InvoiceLine
from connector.billing.money import Money
from mappings import quickbooks as qbmap
from mappings.customers import email_match, name_candidates
from mappings.facts import CreditNoteFact, InvoiceStatusFact, to_decimal
from mappings.settings import CompanyLists, MappingSettings, Ref, ResolvedSettings

from .company_lists import KeptLists, Key
from .endpoints import QuickBooksEndpoints
from .errors import Conflict, NotFound, ValidationRejected
from .gateway import Attachment, ChangeBatch, CreatedInvoice, TokenSource
from .limits import RateGate
from .quickbooks_changes import read_changes, server_time
from .quickbooks_client import TimedSession, build_client, quote, select
from .quickbooks_estimates import accepted_estimates, read_estimate
from .quickbooks_faults import translate_quickbooks_error
from .refusal import Refusal, once_more_after_refresh
from .retry import create_once, platform_retrying

T = TypeVar("T")
PLATFORM = "quickbooks"
_NAMESPACE = uuid.UUID("6f1c3b7e-6d1a-4f7e-9a57-8c1e0d6b2f41")


def request_id_for(*parts: str) -> str:
    """A stable requestid for one logical write: a name-based UUID (SHA-1 of the parts), so it
    is 36 ASCII characters (QuickBooks allows 50) whatever the parts hold, and the same in
    every process and on every retry."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


class QuickBooksGateway:
    platform = PLATFORM

    def __init__(
        self,
        endpoints: QuickBooksEndpoints,
        realm_id: str,
        tokens: TokenSource,
        *,
        connection_id: str | None = None,
        gate: RateGate | None = None,
        retrying: Callable[[], Retrying] = platform_retrying,
        home_currency: str = "USD",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: requests.adapters.BaseAdapter | None = None,
        lists_key: Key | None = None,
        refusal: Refusal | None = None,
    ) -> None:
        self._endpoints = endpoints
        self._refusal = refusal
        self._realm = realm_id
        self._tokens = tokens
        self._connection = connection_id or realm_id
        self._gate = gate
        self._retrying = retrying
        self._home_currency = home_currency
        self._clock = clock
        self._transport = transport
        self._lists = KeptLists(self._read_lists, lists_key)
        self._clients = threading.local()  # a session remembers its last answer: one per thread

    def __repr__(self) -> str:
        return f"QuickBooksGateway(realm={self._realm!r})"

    # -- plumbing -----------------------------------------------------------------------------
    def _client(self) -> tuple[QuickBooks, TimedSession]:
        """This thread's client for the company, built once per gateway (keep-alive) and given
        the current token before every call."""
        access_token = self._tokens().access_token
        built: tuple[QuickBooks, TimedSession] | None = getattr(self._clients, "built", None)
        if built is None:
            session = TimedSession(access_token, self._endpoints.timeout_seconds)
            if self._transport is not None:
                session.mount("http://", self._transport)
                session.mount("https://", self._transport)
            built = self._clients.built = (build_client(self._endpoints, self._realm, access_token, session),
                                           session)
        built[1].access_token = access_token  # read by QuickBooks.process_request for each request
        return built

    def _once(self, op: Callable[[QuickBooks], T], creating: bool = False) -> T:
        """One try; refused for its credentials, once more after a forced refresh (refusal.py)."""
        return once_more_after_refresh(lambda: self._send(op, creating),
                                       lambda: self._tokens().access_token, self._refusal)

    def _send(self, op: Callable[[QuickBooks], T], creating: bool = False) -> T:
        client, session = self._client()
        try:
            if self._gate is None:
                return op(client)
            with self._gate.slot(PLATFORM, self._connection):
                return op(client)
        except (QuickbooksException, requests.RequestException) as exc:
            raise translate_quickbooks_error(
                exc,
                status=session.last_status,
                request_id=session.last_request_id,
                retry_after=session.last_retry_after,
                creating=creating,
            ) from exc

    def call(self, op: Callable[[QuickBooks], T], creating: bool = False) -> T:
        """Run one SDK operation under the rate gate, the fault translator and the retry policy."""
        return self._retrying()(lambda: self._once(op, creating))

    def _query_page(self, statement: str, entity: str) -> tuple[list[dict[str, Any]], datetime]:
        result = self.call(lambda qb: qb.query(statement))
        rows = list((result.get("QueryResponse") or {}).get(entity) or [])
        return rows, server_time(result, self._clock())

    def query(self, statement: str, entity: str) -> list[dict[str, Any]]:
        """Rows of one QuickBooks query, as JSON dicts with Decimal amounts."""
        return self._query_page(statement, entity)[0]

    def query_pages(self, statement: str, entity: str, page: int = 1000) -> Iterator[tuple[list[dict[str, Any]], datetime]]:
        """Every row, one page at a time, each with QuickBooks' clock when it was read, so a
        caller can keep what it needs of a page and let the rest go. Stops on a short page and
        refuses to loop past 1000 pages."""
        for number in range(1000):
            batch, stamp = self._query_page(
                f"{statement} STARTPOSITION {number * page + 1} MAXRESULTS {page}", entity
            )
            yield batch, stamp
            if len(batch) < page:
                return
        raise ValidationRejected(f"query for {entity} did not end after 1000 pages", platform=PLATFORM)

    def query_all_timed(self, statement: str, entity: str, page: int = 1000) -> tuple[list[dict[str, Any]], datetime]:
        """Every row, and QuickBooks' clock when the first page was read."""
        rows: list[dict[str, Any]] = []
        started: datetime | None = None
        for batch, stamp in self.query_pages(statement, entity, page):
            started = started or stamp
            rows.extend(batch)
        assert started is not None  # query_pages yields at least one page
        return rows, started

    def query_all(self, statement: str, entity: str) -> list[dict[str, Any]]:
        return self.query_all_timed(statement, entity)[0]

    # -- customers ------------------------------------------------------------------------------
    def find_or_create_customer(self, customer: Customer, known_id: str | None = None) -> Ref:
        """The stored id, then the exact name (DisplayName, any case), then the e-mail only
        when exactly one customer has it and the names agree; else a new customer, under the
        first free name. `Ref.how` says which, for the sync log."""
        if known_id:  # the stored mapping: one read by id, no search
            try:
                row = self.call(lambda qb: qb.get_single_object("Customer", known_id)).get("Customer") or {}
            except (NotFound, ValidationRejected):
                row = {}  # deleted or merged away in the books: match again
            if row and row.get("Active", True) not in (False, "false"):
                return _customer_ref(row, "stored id")
        # QuickBooks refuses ":", tabs and line breaks in a DisplayName: look up and create the
        # name it will hold, so "Acme: West" is found again as "Acme - West"
        candidates = list(dict.fromkeys(qbmap.display_name(name) for name in name_candidates(customer)))
        for number, name in enumerate(candidates):
            rows = [r for r in self._customers_where(f"DisplayName = {quote(name)}")
                    if str(r.get("DisplayName") or "").casefold() == name.casefold()]
            if rows and (number == 0 or _email(rows[0]) == customer.email.casefold()):
                return _customer_ref(rows[0], "name" if number == 0 else "name and e-mail")
            if rows:
                continue  # that fallback name belongs to someone else too
            if number == 0 and customer.email and (row := self._customer_by_email(customer)) is not None:
                return _customer_ref(row, "e-mail, names agreeing")
            try:
                return _customer_ref(self._create_customer(customer, name), "created")
            except Conflict:
                continue  # taken by a vendor, employee or inactive customer: next name
        raise Conflict(f"no free display name for customer {customer.name!r}", platform=PLATFORM)

    def _customer_by_email(self, customer: Customer) -> dict[str, Any] | None:
        """One query: QuickBooks filters Customer by PrimaryEmailAddr, so a large company's
        customer list is never read just to match one address. The answer is checked again,
        since QuickBooks may match more loosely than Milepost does."""
        wanted = customer.email.casefold()
        rows = [r for r in self._customers_where(f"PrimaryEmailAddr = {quote(customer.email)}")
                if _email(r) == wanted]
        chosen = email_match(customer, [(str(r["Id"]), str(r.get("DisplayName") or "")) for r in rows])
        return next((r for r in rows if str(r["Id"]) == chosen), None)

    def _customers_where(self, condition: str) -> list[dict[str, Any]]:
        try:
            return self.query(select("Customer", condition), "Customer")
        except ValidationRejected:
            return []  # a company whose query service refuses the filter: fall through

    def _create_customer(self, customer: Customer, name: str) -> dict[str, Any]:
        body = qbmap.customer_payload(customer, name)
        rid = request_id_for("customer", self._realm, name, customer.email)
        result = self.call(lambda qb: qb.create_object("Customer", _json(body), request_id=rid), creating=True)
        return dict(result["Customer"])

    # -- settings ---------------------------------------------------------------------------------
    def company_lists(self) -> CompanyLists:
        """The company's lists, kept a few minutes per connection (company_lists.py)."""
        return self._lists.get()

    def _read_lists(self) -> CompanyLists:
        refs = {
            entity: tuple(
                Ref(str(row["Id"]), str(row.get("Name") or row.get("FullyQualifiedName") or ""))
                for row in self.query_all(select(entity), entity)
                if row.get("Active", True) not in (False, "false")
            )
            for entity in ("Item", "TaxCode", "Class", "Term")
        }
        prefs = self.call(lambda qb: qb.get(f"{qb.api_url}/company/{qb.company_id}/preferences", {}))
        currency = (prefs.get("Preferences") or {}).get("CurrencyPrefs") or {}
        return CompanyLists(
            items=refs["Item"], tax_codes=refs["TaxCode"], classes=refs["Class"], terms=refs["Term"],
            home_currency=str((currency.get("HomeCurrency") or {}).get("value") or ""),
            multicurrency=currency.get("MultiCurrencyEnabled") in (True, "true"),
        )

    def resolve_settings(self, settings: MappingSettings, lines: Sequence[InvoiceLine] = ()) -> ResolvedSettings:
        return self._lists.resolve_settings(settings, lines, platform=PLATFORM, require_item=True)

    def check_currency(self, currency: str) -> None:
        self._lists.check_currency(currency, platform=PLATFORM, books=f"QuickBooks company {self._realm}")

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
        payload = qbmap.invoice_payload(intent, customer_ref, settings)
        body = _sdk_json(Invoice.from_json(payload))
        rid = request_id_for("invoice", self._realm, key)

        def create() -> CreatedInvoice:
            result = self._once(lambda qb: qb.create_object("Invoice", body, request_id=rid), True)
            return _created(qbmap.invoice_fact(result["Invoice"], intent.currency))

        try:
            invoice = create_once(self._retrying(), create, lambda: self.find_invoice_by_key(key),
                                  outcome_unknown=outcome_unknown)
        except ValidationRejected:
            self._lists.forget()  # perhaps an item or tax code was removed: read the lists again
            raise
        there = self.attachment_names(invoice.platform_id) if invoice.found_existing or outcome_unknown else {}
        ids = tuple(
            there.get(file.filename) or self._attach(invoice.platform_id, key, file) for file in attachments
        )
        return replace(invoice, attachments=ids)

    def attachment_names(self, invoice_id: str) -> dict[str, str]:
        """File name -> Attachable id of the files already on an invoice: a retry after an
        unknown outcome attaches only what is missing (a requestid is only replayed for a while)."""
        rows = self.query(
            select("Attachable", f"AttachableRef.EntityRef.Type = 'Invoice' AND "
                                 f"AttachableRef.EntityRef.value = {quote(invoice_id)}"),
            "Attachable",
        )
        return {str(row.get("FileName")): str(row["Id"]) for row in rows if row.get("FileName")}

    def find_invoice_by_key(self, idempotency_key: str) -> CreatedInvoice | None:
        for number in qbmap.doc_numbers_to_search(idempotency_key):
            for row in self.query(select("Invoice", f"DocNumber = {quote(number)}"), "Invoice"):
                if qbmap.key_from_private_note(row.get("PrivateNote")) == idempotency_key:
                    return _created(qbmap.invoice_fact(row, self._home_currency), found=True)
        return None

    def _attach(self, invoice_id: str, key: str, file: Attachment) -> str:
        attachable = Attachable()
        link = AttachableRef()
        link.EntityRef = QbRef()
        link.EntityRef.type, link.EntityRef.value = "Invoice", invoice_id
        link.IncludeOnSend = True
        attachable.AttachableRef.append(link)
        attachable.FileName, attachable.ContentType = file.filename, file.content_type
        rid = request_id_for("attachment", self._realm, key, file.filename)
        content = file.data(PLATFORM)
        result = self.call(
            lambda qb: qb.create_object("Attachable", attachable.to_json(), _file_bytes=content, request_id=rid),
            creating=True,
        )
        return str(result["AttachableResponse"][0]["Attachable"]["Id"])

    def get_invoice(self, platform_id: str) -> dict[str, Any]:
        result = self.call(lambda qb: qb.get_single_object("Invoice", platform_id))
        return dict(result["Invoice"])

    def void_invoice(self, platform_id: str) -> InvoiceStatusFact:
        """Void (QuickBooks keeps the number, zeroes the amounts). A stale SyncToken (someone
        edited it meanwhile) is met once by re-reading."""
        for _ in range(2):
            current = Invoice.from_json(self.get_invoice(platform_id))

            def void(qb: QuickBooks, invoice: Invoice = current) -> Any:
                return invoice.void(qb=qb)

            try:
                self.call(void)
                break
            except Conflict:
                continue
        return qbmap.invoice_fact(self.get_invoice(platform_id), self._home_currency)

    def credit_invoice(
        self, platform_id: str, reason: str, idempotency_key: str, amount: Money | None = None,
        *, outcome_unknown: bool = False,
    ) -> CreditNoteFact:
        """A CreditMemo whose TotalAmt is exactly `amount` (default: all still due), split like
        the invoice's lines, applied in full to it by a zero-total Payment. With
        `outcome_unknown` the memo is first looked up by its key, and only its remaining credit
        is applied."""
        invoice = self.get_invoice(platform_id)
        fact = qbmap.invoice_fact(invoice, self._home_currency)
        credit = amount or fact.balance
        memo = self.find_credit_by_key(idempotency_key) if outcome_unknown else None
        if memo is None:
            memo_body = _json(qbmap.credit_memo_payload(invoice, credit, reason, idempotency_key))
            rid = request_id_for("credit", self._realm, idempotency_key)
            memo = self.call(lambda qb: qb.create_object("CreditMemo", memo_body, request_id=rid), creating=True)["CreditMemo"]
        remaining = to_decimal(memo.get("RemainingCredit", memo.get("TotalAmt")))
        left = Money(min(remaining, fact.balance.amount), credit.currency)
        payment: dict[str, Any] = {}
        if left.amount > 0:
            apply_body = _json(qbmap.credit_application_payload(invoice, str(memo["Id"]), left))
            apply_rid = request_id_for("credit-apply", self._realm, idempotency_key)
            try:
                payment = self.call(
                    lambda qb: qb.create_object("Payment", apply_body, request_id=apply_rid), creating=True
                )["Payment"]
            except ValidationRejected:
                # The company refused the zero-sum application: the memo stays an open customer
                # credit (QuickBooks offers it on the next payment). Said, not hidden.
                payment = {}
        total = Money(to_decimal(memo.get("TotalAmt")), credit.currency)
        # What the books say was applied, not what was asked for.
        used = total - Money(remaining, credit.currency) + sum(
            (amount for applied in qbmap.credit_applications(payment, credit.currency)
             if applied.platform_id == str(memo["Id"])
             for invoice_id, amount in applied.applied_to if invoice_id == platform_id),
            Money.zero(credit.currency))
        return CreditNoteFact(
            platform_id=str(memo["Id"]),
            number=memo.get("DocNumber"),
            status="applied" if used == total else "partially_applied" if used.amount > 0 else "unapplied",
            total=total,
            applied_to=((platform_id, used),) if used.amount > 0 else (),
        )

    def find_credit_by_key(self, idempotency_key: str) -> dict[str, Any] | None:
        """The CreditMemo created under the key (DocNumber, confirmed by PrivateNote), if any."""
        number = qbmap.doc_number_for(idempotency_key)
        for row in self.query(select("CreditMemo", f"DocNumber = {quote(number)}"), "CreditMemo"):
            if qbmap.key_from_private_note(row.get("PrivateNote")) == idempotency_key:
                return row
        return None

    def send_invoice(self, platform_id: str, to: str | None = None) -> None:
        invoice = Invoice.from_json({"Id": platform_id})
        self.call(lambda qb: invoice.send(qb=qb, send_to=to))

    # -- estimates (quickbooks_estimates.py) --------------------------------------------------------
    def accepted_estimates(self) -> list[Estimate]:
        """The company's Accepted estimates, to choose one to import."""
        return accepted_estimates(self, self._home_currency)

    def estimate(self, reference: str) -> Estimate:
        """The estimate with that Id or DocNumber, whatever its status, with its customer."""
        return read_estimate(self, reference, self._home_currency)

    # -- company ----------------------------------------------------------------------------------
    def company_name(self) -> str:
        result = self.call(lambda qb: qb.get_single_object("CompanyInfo", pk=self._realm))
        info = (result.get("CompanyInfo") or {}) if isinstance(result, dict) else {}
        return str(info.get("CompanyName") or info.get("LegalName") or "")

    # -- changes ----------------------------------------------------------------------------------
    def changes_since(self, cursor: datetime | None, invoices: Collection[str] | None = None) -> ChangeBatch:
        return read_changes(self, cursor, now=self._clock(), home_currency=self._home_currency,
                            invoices=invoices)


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, cls=DecimalEncoder)


def _sdk_json(obj: Invoice) -> str:
    """What the SDK's `to_json()` sends (its own filter of unset fields, its Decimal strings,
    sorted keys), without the four-space indent that makes `json` use its pure-Python encoder:
    the same document, a fraction of the CPU."""
    return json.dumps(obj, cls=DecimalEncoder, default=obj.json_filter(), sort_keys=True)


def _customer_ref(row: dict[str, Any], how: str = "") -> Ref:
    return Ref(str(row["Id"]), str(row.get("DisplayName") or ""), how)


def _email(row: dict[str, Any]) -> str:
    return str((row.get("PrimaryEmailAddr") or {}).get("Address") or "").casefold()


def _created(fact: InvoiceStatusFact, found: bool = False) -> CreatedInvoice:
    return CreatedInvoice(
        platform_id=fact.platform_id,
        number=fact.number,
        status=fact.status,
        total=fact.total,
        found_existing=found,
    )

