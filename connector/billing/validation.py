"""Schedule validation: every problem at once, each naming its field and the rule it breaks.

`read_schedule` walks the raw schedule (the dict a TOML/JSON/CSV file parses to) once, converting
each field and recording a `ValidationProblem` for each one that is wrong, so a user fixes the
whole file in one go. Only a schedule without errors becomes a `Project` and its `Milestone`s.
Fields are named like `project.currency` or `milestones[2].percent` (the index is the position in
the file, counted from 0). Fewer than 3 or more than 7 milestones is a warning, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .calendar import UnknownTimeZone, check_calendar, check_time_zone
from .errors import UnknownCalendar, ValidationProblem
from .model import (
    Approver,
    BillingMode,
    Customer,
    Deposit,
    DepositCredit,
    LateFeePolicy,
    Milestone,
    Project,
    RetainagePolicy,
    RetainageStep,
    Trigger,
)
from .money import HUNDRED, ZERO, D, Money, UnknownCurrency, check_currency, minor_unit

MIN_MILESTONES, MAX_MILESTONES = 3, 7
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


class _Reader:
    """Converts fields one by one, recording a problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[ValidationProblem] = []

    def problem(self, where: str, rule: str, message: str, severity: str = "error") -> None:
        self.problems.append(ValidationProblem(where, rule, message, severity))  # type: ignore[arg-type]

    def text(self, data: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(f"{where}.{key}", "required", f"{key} is required")
            return ""
        if not isinstance(value, str):
            self.problem(f"{where}.{key}", "not_text", f"{key} must be text")
            return ""
        return value.strip()

    def decimal(self, value: Any, where: str) -> Decimal | None:
        if isinstance(value, bool) or isinstance(value, float):
            self.problem(where, "not_decimal_string", 'write amounts as decimal strings, e.g. "12.50"')
            return None
        try:
            return D(value)
        except (ValueError, TypeError):
            self.problem(where, "not_decimal", f"not a decimal number: {value!r}")
            return None

    def integer(self, data: Mapping[str, Any], key: str, where: str, *, default: int | None = None,
                minimum: int = 0) -> int | None:
        value = data.get(key)
        if value is None or value == "":
            if default is None:
                self.problem(f"{where}.{key}", "required", f"{key} is required")
            return default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(f"{where}.{key}", "not_integer", f"{key} must be a whole number")
            return None
        if value < minimum:
            self.problem(f"{where}.{key}", "too_small", f"{key} must be at least {minimum}")
            return None
        return value

    def day(self, value: Any, where: str) -> date | None:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.problem(where, "bad_date", f"not an ISO 8601 date (YYYY-MM-DD): {value!r}")
            return None

    def amount(self, value: Any, where: str, currency: str | None) -> Money | None:
        number = self.decimal(value, where)
        if number is None:
            return None
        if number <= 0:
            self.problem(where, "not_positive", f"must be greater than zero, got {number}")
            return None
        if currency is None:
            return None
        if number != number.quantize(minor_unit(currency)):
            self.problem(where, "too_precise", f"{currency} amounts have at most "
                         f"{-minor_unit(currency).as_tuple().exponent} decimal places")  # type: ignore[operator]
            return None
        return Money(number, currency)

    def percent(self, value: Any, where: str, *, allow_zero: bool = False) -> Decimal | None:
        number = self.decimal(value, where)
        if number is None:
            return None
        if number > HUNDRED:
            self.problem(where, "percent_over_100", f"a percentage cannot exceed 100, got {number}")
            return None
        if number < 0 or (number == 0 and not allow_zero):
            self.problem(where, "not_positive", f"must be greater than zero, got {number}")
            return None
        return number

    def table(self, data: Mapping[str, Any], key: str, where: str, required: bool) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(f"{where}.{key}", "required", f"{key} is required")
            return None
        if not isinstance(value, Mapping):
            self.problem(f"{where}.{key}", "not_table", f"{key} must be a table")
            return None
        return value


def validate_schedule(raw: Mapping[str, Any], *, default_time_zone: str = "UTC") -> list[ValidationProblem]:
    """Every problem in the raw schedule, errors and warnings, in file order."""
    return read_schedule(raw, default_time_zone=default_time_zone).problems


def read_schedule(raw: Mapping[str, Any], *, default_time_zone: str = "UTC") -> ReadResult:
    """Validate and, when there is no error, build the Project and its Milestones."""
    reader = _Reader()
    if not isinstance(raw, Mapping):
        reader.problem("schedule", "not_table", "a schedule is a table with project and milestones")
        return ReadResult(reader.problems)
    project_raw = reader.table(raw, "project", "schedule", required=True) or {}
    fields = _project_fields(reader, project_raw, default_time_zone)
    milestones = _milestones(reader, raw.get("milestones"), fields)
    _check_totals(reader, fields, milestones)
    result = ReadResult(reader.problems)
    if not result.errors:
        result.project = Project(**fields)
        result.milestones = milestones
    return result


def read_milestones(
    items: Sequence[Mapping[str, Any]],
    *,
    currency: str,
    contract_date: date,
    where: str = "milestones",
) -> tuple[list[Milestone], list[ValidationProblem]]:
    """Milestones outside a whole schedule (e.g. added by a change order), by the schedule
    file's own field rules; problems are named `{where}[i].field`. On any error no milestone
    is returned, so nothing half-checked can be applied."""
    reader = _Reader()
    project = {"currency": currency, "contract_date": contract_date}
    built = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            reader.problem(f"{where}[{i}]", "not_table", "each milestone is a table")
            continue
        built.append(_milestone(reader, item, f"{where}[{i}]", project))
    if any(p.is_error for p in reader.problems):
        return [], reader.problems
    return [m for m in built if m is not None], reader.problems


def _project_fields(r: _Reader, p: Mapping[str, Any], default_tz: str) -> dict[str, Any]:
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


def _customer(r: _Reader, p: Mapping[str, Any]) -> Customer | None:
    c = r.table(p, "customer", "project", required=True)
    if c is None:
        return None
    name = r.text(c, "name", "project.customer")
    email = r.text(c, "email", "project.customer")
    if email and not _EMAIL.match(email):
        r.problem("project.customer.email", "bad_email", f"not an email address: {email!r}")
    company = r.text(c, "company", "project.customer", required=False) or None
    return Customer(name=name, email=email, company=company)


def _late_fee(r: _Reader, p: Mapping[str, Any], currency: str | None) -> LateFeePolicy:
    lf = r.table(p, "late_fee", "project", required=False) or {}
    w = "project.late_fee"
    pct = r.percent(lf.get("percent_per_month", "0"), f"{w}.percent_per_month", allow_zero=True)
    flat = r.decimal(lf.get("flat", "0"), f"{w}.flat")
    if flat is not None and flat < 0:
        r.problem(f"{w}.flat", "negative", "the flat fee cannot be negative")
    grace = r.integer(lf, "grace_days", w, default=0)
    separate = lf.get("as_separate_invoice", True)
    return LateFeePolicy(pct or ZERO, flat or ZERO, grace or 0, bool(separate))


def _retainage(r: _Reader, p: Mapping[str, Any]) -> RetainagePolicy:
    w = "project.retainage"
    table = r.table(p, "retainage", "project", required=False)
    if table is not None:
        steps = []
        for i, step in enumerate(table.get("steps") or []):
            pct = r.percent(step.get("percent"), f"{w}.steps[{i}].percent", allow_zero=True)
            until = step.get("until_billed_percent")
            limit = None if until is None else r.percent(until, f"{w}.steps[{i}].until_billed_percent")
            if pct is not None:
                steps.append(RetainageStep(pct, limit))
        return RetainagePolicy(tuple(steps))
    pct = r.percent(p.get("retainage_percent", "0"), "project.retainage_percent", allow_zero=True)
    return RetainagePolicy((RetainageStep(pct),) if pct else ())


def _deposit(r: _Reader, p: Mapping[str, Any], currency: str | None, total: Money | None) -> Deposit | None:
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


def _milestones(r: _Reader, items: Any, project: Mapping[str, Any]) -> list[Milestone]:
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
        m = _milestone(r, item, where, project)
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


def _milestone(r: _Reader, m: Mapping[str, Any], w: str, project: Mapping[str, Any]) -> Milestone | None:
    seq = r.integer(m, "seq", w, minimum=1)
    name = r.text(m, "name", w)
    deliverable = r.text(m, "deliverable", w, required=False)
    criteria = r.text(m, "acceptance_criteria", w, required=False)
    approver = _approver(r, m, w)
    trigger_raw = m.get("trigger", "on_acceptance")
    try:
        trigger = Trigger(trigger_raw)
    except ValueError:
        r.problem(f"{w}.trigger", "bad_trigger", f"trigger must be on_signature, on_acceptance or on_date, got {trigger_raw!r}")
        trigger = None
    mode_raw = m.get("billing", "milestone")
    try:
        mode = BillingMode(mode_raw)
    except ValueError:
        r.problem(f"{w}.billing", "bad_choice", f"billing must be milestone or progress, got {mode_raw!r}")
        mode = BillingMode.MILESTONE
    fixed, percent = _milestone_amount(r, m, w, project.get("currency"))
    planned = r.day(m["planned_date"], f"{w}.planned_date") if m.get("planned_date") else None
    contract_date = project.get("contract_date")
    if planned and contract_date and planned < contract_date:
        r.problem(f"{w}.planned_date", "before_contract_date", f"{planned} is before the contract date {contract_date}")
    if trigger is Trigger.ON_DATE and planned is None:
        r.problem(f"{w}.planned_date", "required", "an on_date milestone needs a planned_date")
    evidence = m.get("evidence", [])
    if isinstance(evidence, str) or not all(isinstance(e, str) for e in evidence):
        r.problem(f"{w}.evidence", "not_list", "evidence is a list of kinds, e.g. [\"report\"]")
        evidence = []
    if seq is None or trigger is None or approver is None:
        return None
    return Milestone(seq=seq, name=name, deliverable=deliverable, acceptance_criteria=criteria,
                     approver=approver, trigger=trigger, evidence_required=tuple(evidence),
                     planned_date=planned, fixed_amount=fixed, percent=percent, billing_mode=mode)


def _approver(r: _Reader, m: Mapping[str, Any], w: str) -> Approver | None:
    a = r.table(m, "approver", w, required=True)
    if a is None:
        return None
    name = r.text(a, "name", f"{w}.approver")
    email = a.get("email")
    if not email:
        r.problem(f"{w}.approver.email", "approver_without_email", "the approver needs an email address")
    elif not isinstance(email, str) or not _EMAIL.match(email):
        r.problem(f"{w}.approver.email", "bad_email", f"not an email address: {email!r}")
    role = r.text(a, "role", f"{w}.approver", required=False)
    return Approver(name=name, email=str(email or ""), role=role)


def _milestone_amount(r: _Reader, m: Mapping[str, Any], w: str, currency: str | None) -> tuple[Money | None, Decimal | None]:
    has_amount, has_percent = m.get("amount") not in (None, ""), m.get("percent") not in (None, "")
    if has_amount == has_percent:
        r.problem(w, "amount_or_percent", "give exactly one of amount and percent")
        return None, None
    if has_amount:
        return r.amount(m["amount"], f"{w}.amount", currency), None
    return None, r.percent(m["percent"], f"{w}.percent")


def _check_totals(r: _Reader, project: Mapping[str, Any], milestones: list[Milestone]) -> None:
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
