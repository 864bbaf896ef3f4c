"""Schedule validation: every problem at once, each naming its field and the rule it breaks.

`read_schedule` walks the raw schedule (the dict a TOML/JSON/CSV file parses to) once, converting
each field and recording a `ValidationProblem` for each one that is wrong, so a user fixes the
whole file in one go. Only a schedule without errors becomes a `Project` and its `Milestone`s.
Fields are named like `project.currency` or `milestones[2].percent` (the index is the position in
the file, counted from 0). Fewer than 3 or more than 7 milestones is a warning, not an error.

This module holds the schedule-level and project-level checks (the project's terms, the count
of milestones, duplicate sequence numbers, amounts summing to the total); one milestone's own
fields are checked in `milestone_rules`, and fields are converted by `field_reader.FieldReader`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .calendar import UnknownTimeZone, check_calendar, check_time_zone
from .errors import UnknownCalendar, ValidationProblem
from .field_reader import EMAIL, FieldReader
from .milestone_rules import read_milestone, read_milestones
from .model import (
    Customer,
    Deposit,
    DepositCredit,
    LateFeePolicy,
    Milestone,
    Project,
    RetainagePolicy,
    RetainageStep,
)
from .money import HUNDRED, ZERO, Money, UnknownCurrency, check_currency, minor_unit
from .schema import after_shape, check_shape

__all__ = ["MAX_MILESTONES", "MIN_MILESTONES", "ReadResult", "read_milestones", "read_schedule",
           "validate_schedule"]

MIN_MILESTONES, MAX_MILESTONES = 3, 7


@dataclass
class ReadResult:
    problems: list[ValidationProblem] = field(default_factory=list)
    project: Project | None = None
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def errors(self) -> list[ValidationProblem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[ValidationProblem]:
        return [p for p in self.problems if not p.is_error]


def validate_schedule(raw: Mapping[str, Any], *, default_time_zone: str = "UTC") -> list[ValidationProblem]:
    """Every problem in the raw schedule, errors and warnings, in file order."""
    return read_schedule(raw, default_time_zone=default_time_zone).problems


def read_schedule(raw: Mapping[str, Any], *, default_time_zone: str = "UTC") -> ReadResult:
    """Validate and, when there is no error, build the Project and its Milestones."""
    reader = FieldReader()
    if not isinstance(raw, Mapping):
        reader.problem("schedule", "not_table", "a schedule is a table with project and milestones")
        return ReadResult(reader.problems)
    shape, raw = check_shape(raw)
    project_raw = reader.table(raw, "project", "schedule", required=True) or {}
    fields = _project_fields(reader, project_raw, default_time_zone)
    milestones = _milestones(reader, raw.get("milestones"), fields)
    _check_totals(reader, fields, milestones)
    result = ReadResult(after_shape(shape, reader.problems))
    if not result.errors:
        result.project = Project(**fields)
        result.milestones = milestones
    return result


def _project_fields(r: FieldReader, p: Mapping[str, Any], default_tz: str) -> dict[str, Any]:
    w = "project"
    currency: str | None = None
    try:
        currency = check_currency(p.get("currency", ""))
    except UnknownCurrency:
        r.problem(f"{w}.currency", "unknown_currency", f"unknown currency {p.get('currency')!r}: use an ISO 4217 code such as USD")
    calendar = p.get("holiday_calendar", "")
    try:
        calendar = check_calendar(calendar)
    except UnknownCalendar:
        r.problem(f"{w}.holiday_calendar", "unknown_calendar", f"unknown holiday calendar {calendar!r}: use a country code such as US, GB or AU")
    time_zone = p.get("time_zone") or default_tz
    try:
        check_time_zone(time_zone)
    except UnknownTimeZone:
        r.problem(f"{w}.time_zone", "unknown_time_zone", f"unknown time zone {time_zone!r}: use an IANA name such as America/New_York")
    total = r.amount(p.get("contract_total"), f"{w}.contract_total", currency)
    contract_date = r.day(p.get("contract_date"), f"{w}.contract_date")
    fields: dict[str, Any] = {
        "key": r.text(p, "key", w),
        "name": r.text(p, "name", w),
        "customer": _customer(r, p),
        "currency": currency,
        "contract_total": total,
        "contract_date": contract_date,
        "time_zone": time_zone,
        "payment_terms_days": r.integer(p, "payment_terms_days", w),
        "approval_window_days": r.integer(p, "approval_window_days", w, minimum=1),
        "holiday_calendar": calendar,
        "pause_work_after_days": r.integer(p, "pause_work_after_days", w, default=-1),
        "late_fee": _late_fee(r, p, currency),
        "retainage": _retainage(r, p),
        "deposit": _deposit(r, p, currency, total),
    }
    if fields["pause_work_after_days"] == -1:
        fields["pause_work_after_days"] = None
    return fields


def _customer(r: FieldReader, p: Mapping[str, Any]) -> Customer | None:
    c = r.table(p, "customer", "project", required=True)
    if c is None:
        return None
    name = r.text(c, "name", "project.customer")
    email = r.text(c, "email", "project.customer")
    if email and not EMAIL.match(email):
        r.problem("project.customer.email", "bad_email", f"not an email address: {email!r}")
    company = r.text(c, "company", "project.customer", required=False) or None
    return Customer(name=name, email=email, company=company)


def _late_fee(r: FieldReader, p: Mapping[str, Any], currency: str | None) -> LateFeePolicy:
    lf = r.table(p, "late_fee", "project", required=False) or {}
    w = "project.late_fee"
    pct = r.percent(lf.get("percent_per_month", "0"), f"{w}.percent_per_month", allow_zero=True)
    flat = r.decimal(lf.get("flat", "0"), f"{w}.flat")
    if flat is not None and flat < 0:
        r.problem(f"{w}.flat", "negative", "the flat fee cannot be negative")
    grace = r.integer(lf, "grace_days", w, default=0)
    return LateFeePolicy(pct or ZERO, flat or ZERO, grace or 0, _fee_as_invoice(r, lf, w))


LATE_FEE_AS = ("invoice", "line")


def _fee_as_invoice(r: FieldReader, lf: Mapping[str, Any], w: str) -> bool:
    """`as = "invoice"` (the default: each period's fee is its own draft) or `as = "line"` (a
    line on the project's next invoice); the older `as_separate_invoice = true|false` still reads."""
    if "as" not in lf:
        return bool(lf.get("as_separate_invoice", True))
    value = lf["as"]
    if value not in LATE_FEE_AS:
        r.problem(f"{w}.as", "one_of", f"as must be \"invoice\" or \"line\", not {value!r}")
        return True
    return bool(value == "invoice")


def _retainage(r: FieldReader, p: Mapping[str, Any]) -> RetainagePolicy:
    w = "project.retainage"
    table = r.table(p, "retainage", "project", required=False)
    if table is not None:
        steps = []
        steps_raw = table.get("steps") or []
        for i, step in enumerate(steps_raw if isinstance(steps_raw, list) else []):
            if not isinstance(step, Mapping):
                r.problem(f"{w}.steps[{i}]", "not_table", "each retainage step is a table")
                continue
            pct = r.percent(step.get("percent"), f"{w}.steps[{i}].percent", allow_zero=True)
            until = step.get("until_billed_percent")
            limit = None if until is None else r.percent(until, f"{w}.steps[{i}].until_billed_percent")
            if pct is not None:
                steps.append(RetainageStep(pct, limit))
        return RetainagePolicy(tuple(steps))
    pct = r.percent(p.get("retainage_percent", "0"), "project.retainage_percent", allow_zero=True)
    return RetainagePolicy((RetainageStep(pct),) if pct else ())


def _deposit(r: FieldReader, p: Mapping[str, Any], currency: str | None, total: Money | None) -> Deposit | None:
    d = r.table(p, "deposit", "project", required=False)
    if d is None:
        return None
    w = "project.deposit"
    credit_raw = d.get("credit", "final")
    try:
        credit = DepositCredit(credit_raw)
    except ValueError:
        r.problem(f"{w}.credit", "bad_choice", f"credit must be final or pro_rata, got {credit_raw!r}")
        credit = DepositCredit.FINAL
    if ("percent" in d) == ("amount" in d):
        r.problem(w, "percent_or_amount", "give exactly one of percent and amount")
        return None
    if "percent" in d:
        pct = r.percent(d["percent"], f"{w}.percent")
        if pct is not None and pct >= HUNDRED:
            r.problem(f"{w}.percent", "deposit_too_large", "a deposit must be less than the contract")
        return Deposit(percent=pct, credit=credit)
    amount = r.amount(d["amount"], f"{w}.amount", currency)
    if amount is not None and total is not None and amount.amount >= total.amount:
        r.problem(f"{w}.amount", "deposit_too_large", "a deposit must be less than the contract total")
    return Deposit(amount=amount, credit=credit)


def _milestones(r: FieldReader, items: Any, project: Mapping[str, Any]) -> list[Milestone]:
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        r.problem("milestones", "required", "a schedule needs at least one milestone")
        return []
    if not MIN_MILESTONES <= len(items) <= MAX_MILESTONES:
        r.problem("milestones", "count", f"{len(items)} milestones: schedules usually have "
                  f"{MIN_MILESTONES} to {MAX_MILESTONES}", "warning")
    built: list[Milestone] = []
    seen: dict[int, int] = {}
    for i, item in enumerate(items):
        where = f"milestones[{i}]"
        if not isinstance(item, Mapping):
            r.problem(where, "not_table", "each milestone is a table")
            continue
        m = read_milestone(r, item, where, project)
        seq = item.get("seq")
        seq = int(seq) if isinstance(seq, str) and seq.strip().isdigit() else seq
        if isinstance(seq, int) and seq in seen:
            r.problem(f"{where}.seq", "duplicate", f"seq {seq} is already used by milestones[{seen[seq]}]")
        if isinstance(seq, int):
            seen.setdefault(seq, i)
        if m is not None:
            built.append(m)
    # Totals are only checked on a complete schedule, so a broken row does not also
    # produce a misleading "does not add up" line.
    complete = len(built) == len(items) and all(
        m.fixed_amount is not None or m.percent is not None for m in built
    )
    return built if complete else []


def _check_totals(r: FieldReader, project: Mapping[str, Any], milestones: list[Milestone]) -> None:
    total: Money | None = project.get("contract_total")
    if total is None or not milestones:
        return
    pct = sum((m.percent for m in milestones if m.percent is not None), ZERO)
    if pct > HUNDRED:
        r.problem("milestones", "percent_total_over_100", f"percentages add up to {pct}%, more than 100%")
        return
    fixed = sum((m.fixed_amount.amount for m in milestones if m.fixed_amount is not None), ZERO)
    scheduled = fixed + total.amount * pct / HUNDRED
    if abs(scheduled - total.amount) >= minor_unit(total.currency):
        shown = scheduled.quantize(minor_unit(total.currency))
        r.problem("milestones", "sum_mismatch", f"milestones add up to {shown}, not the contract total {total}")
