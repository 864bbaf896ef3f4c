"""Ready-made schedules, built from a total, a currency and a few answers.

Each template returns the raw schedule dict (the schedule file's structure, amounts as decimal
strings), so the CLI can write it as a file for the user to edit and `schedule.build_schedule`
can validate it. Percentages always cover the whole contract total.

* three-phase: kickoff deposit (on signature), midpoint, final: 30 / 40 / 30.
* five-phase: the seed's discovery, design, build, QA and launch (20/20/30/15/15, scaled to what
  a kickoff deposit on signature leaves: 10% by default; `kickoff_percent = 0` leaves it out).
* inspection: construction draws released by passed inspections, each needing the inspection
  report as evidence, with retainage 10% until half is billed and 5% after.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .money import HUNDRED, D

TEMPLATES = ("three-phase", "five-phase", "inspection")

_PHASES: dict[str, list[tuple[str, str, str, list[str], str]]] = {
    # name, deliverable, acceptance criteria, evidence, trigger
    "three-phase": [
        ("Kickoff deposit", "Signed contract and project kickoff", "Contract signed", [], "on_signature"),
        ("Midpoint", "Work complete to the agreed midpoint", "Midpoint review approved", ["progress report"], "on_acceptance"),
        ("Final delivery", "All deliverables handed over", "Final deliverables approved", ["delivery note"], "on_acceptance"),
    ],
    "five-phase": [
        ("Discovery complete", "Requirements document, scope summary, timeline", "Discovery doc approved by the project lead", ["requirements document"], "on_acceptance"),
        ("Design approved", "Designs and prototype", "Designs signed off", ["design files"], "on_acceptance"),
        ("Build complete", "Working software on staging", "Features complete on staging", ["staging link"], "on_acceptance"),
        ("QA passed", "Test report with no open blockers", "Acceptance tests pass", ["test report"], "on_acceptance"),
        ("Launch", "Live site and handover", "Site live and handed over", ["launch checklist"], "on_acceptance"),
    ],
    "inspection": [
        ("Mobilization", "Site set up, permits obtained", "Permits on file", [], "on_signature"),
        ("Foundation inspection passed", "Foundation complete", "Foundation inspection passed", ["inspection report"], "on_acceptance"),
        ("Framing inspection passed", "Framing complete", "Framing inspection passed", ["inspection report"], "on_acceptance"),
        ("Rough-in inspection passed", "Plumbing, electrical, mechanical rough-in", "Rough-in inspection passed", ["inspection report"], "on_acceptance"),
        ("Final inspection passed", "Certificate of occupancy", "Final inspection passed", ["inspection report", "certificate of occupancy"], "on_acceptance"),
    ],
}
_PERCENTS = {
    "three-phase": ["30", "40", "30"],
    "five-phase": ["20", "20", "30", "15", "15"],
    "inspection": ["10", "20", "25", "20", "25"],
}


def build_template(name: str, total: str | Decimal, currency: str, answers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The raw schedule for template `name`. Answers (all optional): key, name, customer_name,
    customer_email, approver_name, approver_role, approver_email, contract_date (ISO),
    time_zone, holiday_calendar, payment_terms_days, approval_window_days, weeks_per_phase,
    kickoff_percent (five-phase)."""
    if name not in TEMPLATES:
        raise ValueError(f"unknown template {name!r}: use one of {', '.join(TEMPLATES)}")
    a = dict(answers or {})
    contract_date = date.fromisoformat(str(a.get("contract_date", date(2026, 11, 2).isoformat())))
    phases = list(_PHASES[name])
    percents = [D(p) for p in _PERCENTS[name]]
    if name == "five-phase":
        phases, percents = _with_kickoff(phases, percents, D(a.get("kickoff_percent", "10")))
    project = _project(name, total, currency, contract_date, a)
    weeks = int(a.get("weeks_per_phase", 3))
    approver = {"name": a.get("approver_name", "Project lead"), "role": a.get("approver_role", "Project lead"),
                "email": a.get("approver_email", "approver@example.com")}
    milestones = [
        {
            "seq": i, "name": n, "deliverable": deliverable, "acceptance_criteria": criteria,
            "approver": dict(approver), "evidence": list(evidence), "trigger": trigger,
            "percent": f"{pct:f}",
            "planned_date": (contract_date + timedelta(weeks=weeks * (i - (1 if trigger == "on_signature" else 0)))).isoformat(),
        }
        for i, ((n, deliverable, criteria, evidence, trigger), pct) in enumerate(zip(phases, percents, strict=True), start=1)
    ]
    return {"project": project, "milestones": milestones}


def _with_kickoff(phases: list[Any], percents: list[Decimal], kickoff: Decimal) -> tuple[list[Any], list[Decimal]]:
    if kickoff <= 0:
        return phases, percents
    if kickoff >= HUNDRED:
        raise ValueError("the kickoff deposit must be less than 100%")
    kick: tuple[Any, ...] = ("Kickoff deposit", "Signed contract and kickoff meeting", "Contract signed", [], "on_signature")
    # Scale the five phases to what the kickoff leaves; exact, as the base percents are whole.
    rest = [(p * (HUNDRED - kickoff) / HUNDRED).normalize() for p in percents]
    return [kick, *phases], [kickoff, *rest]


def _project(name: str, total: str | Decimal, currency: str, contract_date: date, a: Mapping[str, Any]) -> dict[str, Any]:
    project: dict[str, Any] = {
        "key": a.get("key", "NEW-PROJECT"),
        "name": a.get("name", name.replace("-", " ").capitalize() + " project"),
        "currency": currency.upper(),
        "contract_total": f"{D(total):f}",
        "contract_date": contract_date.isoformat(),
        "time_zone": a.get("time_zone", "America/New_York"),
        "payment_terms_days": int(a.get("payment_terms_days", 7)),
        "approval_window_days": int(a.get("approval_window_days", 3)),
        "holiday_calendar": a.get("holiday_calendar", "US"),
        "pause_work_after_days": int(a.get("pause_work_after_days", 15)),
        "customer": {"name": a.get("customer_name", "Customer"), "email": a.get("customer_email", "ap@customer.example")},
        "late_fee": {"percent_per_month": "1.5", "flat": "0", "grace_days": 5},
    }
    if name == "inspection":
        project["retainage"] = {"steps": [{"percent": "10", "until_billed_percent": "50"}, {"percent": "5"}]}
    return project
