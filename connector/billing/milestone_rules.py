"""The rules of one milestone, as a schedule file writes it: the milestone-level checks.

Used for every `[[milestones]]` table of a schedule (`validation.read_schedule`) and for
milestones that arrive on their own, such as those a change order adds (`read_milestones`), so
both follow exactly the same field rules and name problems the same way (`milestones[2].percent`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import ValidationProblem
from .field_reader import EMAIL, FieldReader
from .model import Approver, BillingMode, Milestone, Trigger
from .money import Money
from .schema import MilestoneShape, after_shape, check_shape


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
    reader = FieldReader()
    project = {"currency": currency, "contract_date": contract_date}
    built = []
    shape: list[ValidationProblem] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            reader.problem(f"{where}[{i}]", "not_table", "each milestone is a table")
            continue
        found, item = check_shape(item, MilestoneShape, f"{where}[{i}]")
        shape += found
        built.append(read_milestone(reader, item, f"{where}[{i}]", project))
    problems = after_shape(shape, reader.problems)
    if any(p.is_error for p in problems):
        return [], problems
    return [m for m in built if m is not None], problems


def read_milestone(r: FieldReader, m: Mapping[str, Any], w: str, project: Mapping[str, Any]) -> Milestone | None:
    """One `[[milestones]]` table named `w`, its problems recorded on `r`; `project` gives the
    `currency` and `contract_date` it is checked against. None when it cannot be built at all."""
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
    if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
        r.problem(f"{w}.evidence", "not_list", "evidence is a list of kinds, e.g. [\"report\"]")
        evidence = []
    if seq is None or trigger is None or approver is None:
        return None
    return Milestone(seq=seq, name=name, deliverable=deliverable, acceptance_criteria=criteria,
                     approver=approver, trigger=trigger, evidence_required=tuple(evidence),
                     planned_date=planned, fixed_amount=fixed, percent=percent, billing_mode=mode)


def _approver(r: FieldReader, m: Mapping[str, Any], w: str) -> Approver | None:
    a = r.table(m, "approver", w, required=True)
    if a is None:
        return None
    name = r.text(a, "name", f"{w}.approver")
    email = a.get("email")
    if not email:
        r.problem(f"{w}.approver.email", "approver_without_email", "the approver needs an email address")
    elif not isinstance(email, str) or not EMAIL.match(email):
        r.problem(f"{w}.approver.email", "bad_email", f"not an email address: {email!r}")
    role = r.text(a, "role", f"{w}.approver", required=False)
    return Approver(name=name, email=str(email or ""), role=role)


def _milestone_amount(r: FieldReader, m: Mapping[str, Any], w: str, currency: str | None) -> tuple[Money | None, Decimal | None]:
    has_amount, has_percent = m.get("amount") not in (None, ""), m.get("percent") not in (None, "")
    if has_amount == has_percent:
        r.problem(w, "amount_or_percent", "give exactly one of amount and percent")
        return None, None
    if has_amount:
        return r.amount(m["amount"], f"{w}.amount", currency), None
    return None, r.percent(m["percent"], f"{w}.percent")
