"""The seam between Milepost's jobs and the books: one small interface, two implementations.

The jobs (drain_outbox, sync_connection, remind) call only this `AccountingGateway`;
`QuickBooksGateway` (python-quickbooks) and `XeroGateway` (xero-python) implement it, each
pointed at the real service or the sandbox by its endpoints. Every method raises only the
errors of `errors.py`, already retried where retrying is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from connector.billing.estimates import Estimate
from connector.billing.model import Customer, InvoiceIntent
from connector.billing.money import Money
from mappings.attachments import file_upload_allowed
from mappings.facts import CreditNoteFact, InvoiceStatusFact, PaymentFact
from mappings.settings import CompanyLists, MappingSettings, Ref, ResolvedSettings

from .custody import TokenSet
from .errors import ValidationRejected

TokenSource = Callable[[], TokenSet]
"""Gives a usable TokenSet: in production `lambda: refresh_if_needed(...)` from custody."""


@dataclass(frozen=True)
class Attachment:
    """An evidence file to put on the invoice (QuickBooks Attachable, Xero attachment).

    A stored file comes with a `loader` instead of its bytes, so a draft with several files
    holds one file in memory at a time, while it is uploaded (both SDKs take the upload as
    bytes: python-quickbooks base64-encodes them into its multipart body, xero-python sends
    them as the request body; neither takes a stream)."""

    filename: str
    content: bytes = field(default=b"", repr=False)
    content_type: str = "application/pdf"
    loader: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)

    def data(self, platform: str) -> bytes:
        """The bytes to upload, read now; ValidationRejected (never retried) when the platform's
        own limits (mappings.attachments) refuse the file. Evidence is checked when it is
        recorded, so this only stops a file stored before that check from being sent."""
        content = self.loader() if self.loader is not None else self.content
        problem = file_upload_allowed(self.filename, len(content), platform)
        if problem:
            raise ValidationRejected(f"{self.filename}: {problem}", platform=platform,
                                     code="attachment_refused")
        return content


@dataclass(frozen=True)
class CreatedInvoice:
    """What the books gave back for an intent; `found_existing` means a lookup found it."""

    platform_id: str
    number: str | None
    status: str
    total: Money
    found_existing: bool = False
    attachments: tuple[str, ...] = ()  # platform ids of the attachments


@dataclass(frozen=True)
class Deletion:
    entity: str  # "Invoice", "Payment", "CreditMemo"
    platform_id: str


@dataclass(frozen=True)
class ChangeBatch:
    """Everything that changed since a cursor. Store the facts, then `next_cursor`."""

    invoices: tuple[InvoiceStatusFact, ...] = ()
    payments: tuple[PaymentFact, ...] = ()
    credit_notes: tuple[CreditNoteFact, ...] = ()
    deletions: tuple[Deletion, ...] = ()
    next_cursor: datetime | None = None
    full_resync: bool = False  # the cursor was too old for the change feed


@runtime_checkable
class AccountingGateway(Protocol):
    platform: str

    def find_or_create_customer(self, customer: Customer, known_id: str | None = None) -> Ref:
        """The customer's platform ref: the stored mapping if still there, else the one with
        the same email, else the one with exactly the same name, else a new one (with a name
        made unique if the plain one is taken). Never a duplicate."""
        ...

    def company_lists(self) -> CompanyLists:
        """The company's own items, accounts, tax codes, classes, terms and tracking (kept a
        few minutes per connection): what the settings page offers to pick from."""
        ...

    def resolve_settings(
        self, settings: MappingSettings, lines: Sequence = ()
    ) -> ResolvedSettings:
        """Settings checked against the company's own lists; ConfigurationError names every
        missing code."""
        ...

    def check_currency(self, currency: str) -> None:
        """ConfigurationError naming both currencies when the company cannot bill in
        `currency` (checked before anything is created for an intent)."""
        ...

    def create_draft_invoice(
        self,
        intent: InvoiceIntent,
        customer_ref: Ref,
        settings: ResolvedSettings,
        attachments: Sequence[Attachment] = (),
        *,
        outcome_unknown: bool = False,
    ) -> CreatedInvoice:
        """Create the draft, once. Pass `outcome_unknown=True` when an earlier attempt (in a
        crashed process) may have reached the platform: the key is looked up first."""
        ...

    def find_invoice_by_key(self, idempotency_key: str) -> CreatedInvoice | None: ...

    def changes_since(self, cursor: datetime | None, invoices: Collection[str] | None = None) -> ChangeBatch:
        """What changed since `cursor` (None: everything). Given `invoices` (platform ids), the
        batch holds only the facts of those invoices and of payments on them, the rest let go
        page by page as it is read, so a first sync of a company's 100,000 invoices holds
        Milepost's few; deletions and credit notes are all kept."""
        ...

    def void_invoice(self, platform_id: str) -> InvoiceStatusFact: ...

    def credit_invoice(
        self, platform_id: str, reason: str, idempotency_key: str, amount: Money | None = None,
        *, outcome_unknown: bool = False,
    ) -> CreditNoteFact:
        """Credit (all that is still due, or `amount` of, tax included: the credit's total is
        exactly that) an approved invoice, split like its lines, and apply the credit to it in
        full. `outcome_unknown`: an earlier try may have reached the books; the credit is
        looked up by its key first and never issued twice."""
        ...

    def send_invoice(self, platform_id: str, to: str | None = None) -> None: ...

    def accepted_estimates(self) -> list[Estimate]:
        """The accepted estimates (QuickBooks) or quotes (Xero), to choose one to import; their
        customers are not read (`customer.email` may be empty)."""
        ...

    def estimate(self, reference: str) -> Estimate:
        """One estimate or quote by its platform id or its number, whatever its status, with
        its customer read whole; NotFound naming it when the books have neither."""
        ...

    def company_name(self) -> str:
        """The company's own name as its books give it (QuickBooks CompanyInfo, Xero
        Organisation), for naming a connection; errors.py errors when the books will not say."""
        ...
