"""The cash-flow forecast's rule, on a history written in the test (dates worked out by hand).

Today is Wednesday 2 December 2026, so week 1 runs Mon 30 Nov - Sun 6 Dec, week 2 from 7 Dec,
week 3 from 14 Dec, and so on. Acme (ap@acme.example) paid 100.00 ten days late and 300.00 four
days late: expected lateness (10*100 + 4*300) / 400 = 5.5 -> 6 days, early 4, late 10. Beispiel
GmbH has no history: the due date, 7 days early to 30 days late. Payment terms are 7 days, the
approval window 3 US business days.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from connector.billing.calendar import approval_deadline
from connector.billing.forecast import (
    NO_HISTORY,
    DueInvoice,
    Forecast,
    Lateness,
    PaidRecord,
    Schedule,
    build_forecast,
    customer_lateness,
)
from connector.billing.model import MilestoneState
from connector.billing.money import Money
from connector.billing.schedule import load_schedule

from .conftest import ACME, at

TODAY = date(2026, 12, 2)
ACME_KEY, EURO_KEY = "email:ap@acme.example", "email:ap@beispiel.example"


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


HISTORY = [
    PaidRecord(ACME_KEY, date(2026, 10, 1), date(2026, 10, 11), usd("100.00")),
    PaidRecord(ACME_KEY, date(2026, 10, 15), date(2026, 10, 19), usd("300.00")),
]


def acme_schedule() -> Schedule:
    """ACME-WEB at 50,000.01 (10/20/30/40%: 5,000.00, 10,000.00, 15,000.00, 20,000.01): the
    kickoff is on an invoice intent already, discovery was submitted on Tue 1 Dec (deadline Fri
    4 Dec), design and launch are planned for Fri 11 Dec and Fri 15 Jan."""
    text = ACME.replace("{extra_project}", "").replace('"50000.00"', '"50000.01"')
    parsed = load_schedule(text, "toml")
    kickoff, discovery, design, launch = parsed.milestones
    submitted = at(2026, 12, 1, 15)
    deadline = approval_deadline(submitted, 3, "US", parsed.project.time_zone)
    return Schedule(parsed.project, (
        replace(kickoff, state=MilestoneState.INVOICE_DUE, billed=usd("5000.00")),
        replace(discovery, state=MilestoneState.SUBMITTED, submitted_at=submitted, approval_deadline=deadline),
        design,
        launch,
    ), ACME_KEY)


INVOICES = [
    # partly paid: what is left of it, after payments and credits, is the balance
    DueInvoice("invoice", "ACME-WEB", ACME_KEY, usd("1000.37"), date(2026, 12, 1), 1, "1041"),
    DueInvoice("invoice", "ACME-OLD", ACME_KEY, usd("400.05"), date(2026, 11, 10), None, "1007"),
    DueInvoice("draft", "ACME-WEB", ACME_KEY, usd("250.00"), date(2026, 12, 9), None, "1042"),
    DueInvoice("invoice", "BEISPIEL", EURO_KEY, Money(Decimal("2000.10"), "EUR"), date(2026, 12, 20), None, "INV-0003"),
]


@pytest.fixture
def forecast() -> Forecast:
    return build_forecast(TODAY, 10, INVOICES, [acme_schedule()], HISTORY)


def weekly(forecast: Forecast, currency: str, scenario: str) -> dict[int | str, str]:
    """{week number: figure} for the weeks with money in them, and "later"."""
    found = next(c for c in forecast.currencies if c.currency == currency)
    figures: dict[int | str, str] = {w.number: str(getattr(f, scenario))
                                     for w, f in zip(forecast.weeks, found.weeks, strict=True)
                                     if getattr(f, scenario).amount}
    if getattr(found.later, scenario).amount:
        figures["later"] = str(getattr(found.later, scenario))
    return figures


def test_a_customers_lateness_weighs_each_payment_by_its_amount():
    assert customer_lateness(HISTORY) == {ACME_KEY: Lateness(early=4, expected=6, late=10, payments=2)}
    early_payer = [PaidRecord("c", date(2026, 10, 10), date(2026, 10, 7), usd("10.00")),
                   PaidRecord("c", date(2026, 10, 10), date(2026, 10, 10), usd("30.00"))]
    assert customer_lateness(early_payer)["c"] == Lateness(-3, -1, 0, 2)  # -0.75 days -> -1


def test_the_expected_weekly_figures_to_the_cent_per_currency(forecast: Forecast):
    assert [c.currency for c in forecast.currencies] == ["EUR", "USD"]
    assert (forecast.weeks[0].start, forecast.weeks[-1].end) == (date(2026, 11, 30), date(2027, 2, 7))
    # the overdue 1007 counts in week 1; 1041 (due 1 Dec) + 6 days; discovery: deadline 4 Dec +
    # 7 + 6 = 17 Dec; design: submitted 11 Dec, deemed 16 Dec, + 7 + 6 = 29 Dec; launch: 15 Jan,
    # window over Martin Luther King Day to 21 Jan, + 7 + 6 = 3 Feb
    assert weekly(forecast, "USD", "expected") == {
        1: "400.05", 2: "1000.37", 3: "10000.00", 5: "15000.00", 10: "20000.01"}
    assert weekly(forecast, "EUR", "expected") == {3: "2000.10"}
    usd_total = next(c for c in forecast.currencies if c.currency == "USD").total
    assert str(usd_total.expected) == "46400.43"  # the draft is not in it


def test_early_and_late_scenarios_move_each_item_by_its_range(forecast: Forecast):
    # early: accepted today (2 Dec) or on the planned day, paid 4 days late
    assert weekly(forecast, "USD", "early") == {
        1: "1400.42", 2: "10000.00", 4: "15000.00", 9: "20000.01"}
    assert weekly(forecast, "USD", "late") == {
        1: "400.05", 2: "1000.37", 4: "10000.00", 5: "15000.00", 10: "20000.01"}
    # no history: 7 days early to 30 days late, so the late euro falls in week 8
    assert weekly(forecast, "EUR", "early") == {2: "2000.10"}
    assert weekly(forecast, "EUR", "late") == {8: "2000.10"}


def test_each_item_names_its_invoice_or_milestone_with_its_range(forecast: Forecast):
    items = forecast.as_json()["items"]
    discovery = next(i for i in items if i["project"] == "ACME-WEB" and i["seq"] == 2)
    assert discovery == {
        "source": "submitted", "project": "ACME-WEB", "seq": 2, "milestone": "Discovery complete",
        "invoice": None, "currency": "USD", "amount": "10000.00", "due_date": "2026-12-11",
        "early": "2026-12-13", "expected": "2026-12-17", "late": "2026-12-21", "week": 3,
        "lateness_days": {"early": 4, "expected": 6, "late": 10, "payments": 2},
    }
    euro = next(i for i in items if i["invoice"] == "INV-0003")
    assert (euro["source"], euro["amount"], euro["expected"], euro["lateness_days"]["payments"]) == (
        "invoice", "2000.10", "2026-12-20", 0)
    assert [(i["seq"], i["source"]) for i in items if i["project"] == "ACME-WEB"] == [
        (1, "invoice"), (2, "submitted"), (3, "planned"), (4, "planned")]  # the kickoff's intent is not counted twice


def test_drafts_and_undated_milestones_are_listed_apart_and_counted_nowhere():
    undated = acme_schedule()
    launch = undated.milestones[3]
    undated = replace(undated, milestones=(*undated.milestones[:3], replace(launch, planned_date=None)))
    forecast = build_forecast(TODAY, 10, INVOICES, [undated], HISTORY)
    assert [(d.number, str(d.amount)) for d in forecast.drafts] == [("1042", "250.00")]
    assert [(u.seq, str(u.amount)) for u in forecast.undated] == [(4, "20000.01")]
    usd_total = next(c for c in forecast.currencies if c.currency == "USD").total
    assert str(usd_total.expected) == "26400.42"


def test_money_past_the_last_week_is_later_and_overdue_money_is_week_one():
    forecast = build_forecast(TODAY, 2, INVOICES, [acme_schedule()], HISTORY)
    assert weekly(forecast, "USD", "expected") == {1: "400.05", 2: "1000.37", "later": "45000.01"}


def test_a_planned_milestone_whose_day_has_passed_is_submitted_today_at_the_earliest():
    schedule = acme_schedule()
    design = replace(schedule.milestones[2], planned_date=date(2026, 11, 1))
    forecast = build_forecast(date(2026, 12, 2), 10, [], [replace(schedule, milestones=(design,))], [])
    item = forecast.items[0]
    # today (Wed 2 Dec) + 3 business days = Mon 7 Dec, + 7 days terms = 14 Dec, no history
    assert (item.early, item.due_date, item.expected, item.late) == (
        date(2026, 12, 2), date(2026, 12, 14), date(2026, 12, 14), date(2027, 1, 13))
    assert item.lateness == NO_HISTORY


def test_weeks_must_be_at_least_one():
    with pytest.raises(ValueError, match="weeks"):
        build_forecast(TODAY, 0, [], [], [])
