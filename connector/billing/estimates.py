"""An accepted estimate or quote from the books, as a schedule to review and import.

The rule, in one place. A QuickBooks estimate (TxnStatus `Accepted`) or a Xero quote (Status
`ACCEPTED`) is what the client already agreed to, so the project takes from it what the books
say, and nothing else:
- the currency, and the contract total: the estimate's amount before tax (its total less its
  tax), because Milepost's invoices add the tax the company's tax codes give; an untaxed
  estimate's total is the project's to the cent;
- the customer: the platform customer's own name and e-mail (its id is remembered by the store,
  so the invoices go to that customer and no other is ever created);
- the contract date: the estimate's date;
- the approver, unless the user names others: the customer's e-mail.
The milestones are either one per priced line (`per_line`), each the line's share of the total
(largest remainder, weighted by the line amounts, so a discount line is spread over the lines
and the parts sum to the total exactly), or a template's split of the total
(`templates.build_template`). The result is a raw schedule dict, validated by
`schedule.build_schedule` like any file, and written as TOML for review.

Anything not accepted is refused with the platform's own status word (`refusal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from . import templates
from .model import Customer, SourceDocument
from .money import Money, allocate

PER_LINE = "per-line"
NAME_MAX = 200
WEEKS_PER_MILESTONE = 3
_WORDS = {"quickbooks": ("QuickBooks", "estimate", "Accepted"), "xero": ("Xero", "quote", "ACCEPTED")}


@dataclass(frozen=True)
class EstimateLine:
    description: str
    amount: Money


@dataclass(frozen=True)
class Estimate:
    """An estimate (QuickBooks) or quote (Xero) as the books hold it, whatever its status."""

    source: SourceDocument
    status: str  # the platform's own word: Accepted, Pending, Closed / DRAFT, SENT, ACCEPTED
    accepted: bool
    currency: str
    total: Money  # before tax
    customer_id: str  # QuickBooks Customer Id / Xero ContactID
    customer: Customer
    lines: tuple[EstimateLine, ...]
    issued: date | None = None
    title: str = ""

    @property
    def label(self) -> str:
        """"QuickBooks estimate 1001", "Xero quote QU-0001": how messages name it."""
        books, kind, _ = _WORDS.get(self.source.platform, (self.source.platform, self.source.kind, ""))
        return f"{books} {kind} {self.source.number or self.source.platform_id}"


def refusal(estimate: Estimate) -> str | None:
    """Why this estimate cannot become a project (None when it can)."""
    if estimate.accepted:
        return None
    wanted = _WORDS.get(estimate.source.platform, ("", "", "accepted"))[2]
    return (f"{estimate.label} is {estimate.status or 'without a status'}, not {wanted}: only an "
            f"accepted {estimate.source.kind} becomes a project")


@dataclass(frozen=True)
class ImportChoices:
    """What the user chose for the schedule (CLI options or the admin form)."""

    key: str
    template: str = PER_LINE  # "per-line" or one of templates.TEMPLATES
    approver_emails: tuple[str, ...] = ()
    time_zone: str = "UTC"
    today: date | None = None  # the contract date of an estimate without a date


def schedule_from_estimate(estimate: Estimate, choices: ImportChoices) -> dict[str, Any]:
    """The raw schedule (the file's structure, amounts as decimal strings) for an estimate."""
    if choices.template != PER_LINE and choices.template not in templates.TEMPLATES:
        raise ValueError(f"unknown template {choices.template!r}: use {PER_LINE} or one of "
                         f"{', '.join(templates.TEMPLATES)}")
    contract_date = estimate.issued or choices.today
    if contract_date is None:
        raise ValueError(f"{estimate.label} has no date: give the import a date for the contract")
    answers: dict[str, Any] = {
        "key": choices.key, "name": _project_name(estimate), "customer_name": estimate.customer.name,
        "customer_email": estimate.customer.email, "contract_date": contract_date.isoformat(),
        "time_zone": choices.time_zone,
    }
    template = "three-phase" if choices.template == PER_LINE else choices.template
    raw = templates.build_template(template, estimate.total.amount, estimate.currency, answers)
    if estimate.customer.company:
        raw["project"]["customer"]["company"] = estimate.customer.company
    if choices.template == PER_LINE:
        raw["milestones"] = per_line_milestones(estimate, contract_date)
    emails = choices.approver_emails or ((estimate.customer.email,) if estimate.customer.email else ())
    _set_approvers(raw["milestones"], emails)
    return raw


def per_line_milestones(estimate: Estimate, start: date) -> list[dict[str, Any]]:
    """One milestone per priced line, each a fixed amount; the amounts sum to the total."""
    priced = [line for line in estimate.lines if line.amount.amount > 0]
    if not priced:
        return []  # validation names the empty schedule
    shares = allocate(estimate.total, [line.amount.amount for line in priced])
    milestones = []
    for seq, (line, share) in enumerate(zip(priced, shares, strict=True), start=1):
        text = " ".join(line.description.split()) or f"Line {seq} of {estimate.label}"
        name = text if len(text) <= NAME_MAX else text[: NAME_MAX - 1].rstrip() + "…"
        milestones.append({
            "seq": seq, "name": name, "deliverable": line.description.strip() or name,
            "acceptance_criteria": f"{name}: delivered as in {estimate.label}, approved by the approver",
            "approver": {"name": "Project lead", "role": "Project lead", "email": "approver@example.com"},
            "evidence": [], "trigger": "on_acceptance", "amount": f"{share.amount:f}",
            "planned_date": (start + timedelta(weeks=WEEKS_PER_MILESTONE * seq)).isoformat(),
        })
    return milestones


def _set_approvers(milestones: Sequence[dict[str, Any]], emails: Sequence[str]) -> None:
    """One e-mail approves every milestone; several go one per milestone in order, the last
    approving the rest. Without any, the customer who accepted the estimate approves."""
    for index, milestone in enumerate(milestones):
        if emails:
            email = emails[min(index, len(emails) - 1)]
            milestone["approver"] = {**milestone["approver"], "email": email,
                                     "name": email.split("@", 1)[0] or email}


def _project_name(estimate: Estimate) -> str:
    title = " ".join(estimate.title.split())
    name = f"{title} ({estimate.label})" if title else f"{estimate.label} for {estimate.customer.name}"
    return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"
