"""The records of the billing domain: immutable values and nothing else.

A contract (`Project`) has a schedule of `Milestone`s. Every change to either is a new value
made with `dataclasses.replace` by the pure functions in `lifecycle`, `change_orders` and
`progress`, which also return the `AuditEvent` that explains it; the store persists both in one
transaction. Nothing here knows about files, databases, HTTP or the accounting platforms.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .money import Money


class Trigger(enum.StrEnum):
    """What makes a milestone billable."""

    ON_SIGNATURE = "on_signature"  # deposit / kickoff: billable once the contract is signed
    ON_ACCEPTANCE = "on_acceptance"  # billable once the approver accepts (or the window lapses)
    ON_DATE = "on_date"  # billable on its planned date


class BillingMode(enum.StrEnum):
    MILESTONE = "milestone"  # the whole amount on acceptance
    PROGRESS = "progress"  # the newly completed share, by percent complete


class MilestoneState(enum.StrEnum):
    """The life of a milestone, from plan to paid. The report prints these values."""

    PLANNED = "planned"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"
    DEEMED_ACCEPTED = "deemed_accepted"
    INVOICE_DUE = "invoice_due"
    INVOICED = "invoiced"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOIDED = "voided"


class RetainageRelease(enum.StrEnum):
    FINAL = "final"  # all retainage is released on the final milestone's invoice


class DepositCredit(enum.StrEnum):
    FINAL = "final"  # the whole deposit is credited on the final milestone's invoice
    PRO_RATA = "pro_rata"  # each milestone invoice credits its share of the deposit


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    company: str | None = None


@dataclass(frozen=True)
class Approver:
    name: str
    email: str
    role: str = ""


@dataclass(frozen=True)
class LateFeePolicy:
    """Charged on the overdue balance once `grace_days` have passed after the due date."""

    percent_per_month: Decimal = Decimal(0)
    flat: Decimal = Decimal(0)
    grace_days: int = 0
    as_separate_invoice: bool = True  # False: a line on the next invoice


@dataclass(frozen=True)
class RetainageStep:
    """Withhold `percent` of each invoice while the billed share of the contract is below
    `until_billed_percent` (None: for the rest of the contract)."""

    percent: Decimal
    until_billed_percent: Decimal | None = None


@dataclass(frozen=True)
class RetainagePolicy:
    steps: tuple[RetainageStep, ...] = ()

    @property
    def is_active(self) -> bool:
        return any(step.percent > 0 for step in self.steps)


@dataclass(frozen=True)
class Deposit:
    """An advance invoiced at signature and credited on later invoices.

    Exactly one of `percent` (of the contract total) and `amount` is set.
    """

    percent: Decimal | None = None
    amount: Money | None = None
    credit: DepositCredit = DepositCredit.FINAL


@dataclass(frozen=True)
class Project:
    """One contract."""

    key: str
    name: str
    customer: Customer
    currency: str
    contract_total: Money
    contract_date: date
    time_zone: str
    payment_terms_days: int
    approval_window_days: int
    holiday_calendar: str
    pause_work_after_days: int | None = None
    late_fee: LateFeePolicy = field(default_factory=LateFeePolicy)
    retainage: RetainagePolicy = field(default_factory=RetainagePolicy)
    deposit: Deposit | None = None
    signed_at: datetime | None = None
    version: int = 1


@dataclass(frozen=True)
class Milestone:
    """One named deliverable of a contract's schedule.

    The amount is given either as `fixed_amount` or as `percent` of the contract total in
    force when it is invoiced; `amount_for` in `allocation` resolves it.
    """

    seq: int
    name: str
    deliverable: str
    acceptance_criteria: str
    approver: Approver
    trigger: Trigger
    evidence_required: tuple[str, ...] = ()
    planned_date: date | None = None
    fixed_amount: Money | None = None
    percent: Decimal | None = None
    billing_mode: BillingMode = BillingMode.MILESTONE
    state: MilestoneState = MilestoneState.PLANNED
    submitted_at: datetime | None = None
    approval_deadline: datetime | None = None
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    # The share accepted so far when acceptance is partial, or progress-billed percent.
    accepted_amount: Money | None = None
    percent_complete: Decimal = Decimal(0)
    # What has been put on invoices, and what has been paid, for this milestone.
    billed: Money | None = None
    paid: Money | None = None
    evidence: tuple[str, ...] = ()
    generation: int = 1  # bumps when a rejected/voided milestone is billed again
    version: int = 1  # optimistic-locking counter, bumped by every transition
    removed: bool = False  # taken out by a change order (history keeps it)
    amended_by: str = ""  # the change order that last amended it: "CO-1 of 2026-12-14"


@dataclass(frozen=True)
class AuditEvent:
    """One entry of the append-only trail: who did what, when, why, with which evidence."""

    project_key: str
    seq: int | None  # None for project-level events (change orders, signature)
    kind: str  # e.g. "submitted", "accepted", "deemed_accepted", "change_order"
    at: datetime
    actor: str
    from_state: MilestoneState | None = None
    to_state: MilestoneState | None = None
    reason: str = ""
    evidence: tuple[str, ...] = ()
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeOrder:
    """A written change to the schedule. Invoiced amounts never change."""

    reference: str
    approver: str
    on: date
    reason: str
    add: tuple[Milestone, ...] = ()
    # seq -> new values (keys: "amount", "percent", "deliverable", "planned_date", "name")
    change: tuple[tuple[int, dict[str, object]], ...] = ()
    remove: tuple[int, ...] = ()
    # A new contract total, when the change is to the price rather than to one milestone;
    # otherwise the total follows the added/changed/removed amounts.
    contract_total: Money | None = None


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    amount: Money
    kind: str = "milestone"  # milestone | deposit | deposit_credit | retainage | retainage_release | pass_through | support | late_fee | note
    quantity: Decimal = Decimal(1)
    item_code: str | None = None  # per-line override of the connection's default sales item
    seq: int | None = None  # the milestone a milestone/progress line bills (monthly invoices)


@dataclass(frozen=True)
class SourceDocument:
    """The accepted estimate (QuickBooks) or quote (Xero) a project was imported from, so its
    invoices can point back to it: `platform_id` is the Estimate Id / QuoteID, `number` what
    people read (DocNumber / QuoteNumber)."""

    platform: str  # "quickbooks" | "xero"
    kind: str  # "estimate" | "quote"
    platform_id: str
    number: str


@dataclass(frozen=True)
class InvoiceIntent:
    """What to invoice for one billable event; the outbox carries it to the platform.

    `idempotency_key` is stable across retries and processes:
    `milepost:{project key}:{milestone seq or 'deposit' or 'monthly-YYYY-MM'}:{generation}`.
    """

    idempotency_key: str
    project_key: str
    customer: Customer
    currency: str
    invoice_date: date
    due_date: date
    payment_terms_days: int
    lines: tuple[InvoiceLine, ...]
    reference: str  # printed on the invoice: "ACME-WEB M2"
    seq: int | None = None
    evidence: tuple[str, ...] = ()
    memo: str = ""
    # Set by the drain from the store (never in the outbox payload): the estimate or quote the
    # project came from, when the invoice goes to the same books.
    source: SourceDocument | None = None

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + line.amount
        return total


@dataclass(frozen=True)
class Payment:
    """A payment seen on the platform against one invoice."""

    platform_id: str
    on: date
    amount: Money
    method: str = ""
