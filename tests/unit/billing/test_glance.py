"""Specification: the figures read at a glance (dashboard totals, the project page's rows, the
chart's series), derived from the report."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from connector.billing.glance import milestone_lines, progress_series, totals_by_currency
from connector.billing.money import Money
from connector.billing.report import build_report

from .conftest import acme, at
from .test_templates_progress_report import billed_and_invoiced

USD = "USD"


def test_totals_never_add_two_currencies_together():
    usd = build_report(acme().project, acme().milestones, [], at(2026, 12, 1))
    gbp_project = replace(acme().project, key="GB-1", currency="GBP", contract_total=Money("12000.00", "GBP"))
    gbp = replace(usd, key="GB-1", currency="GBP", contract_total=gbp_project.contract_total,
                  billed=Money("0", "GBP"), paid=Money("0", "GBP"), outstanding=Money("0", "GBP"),
                  overdue=Money("0", "GBP"))

    lines = totals_by_currency([usd, gbp, usd])

    assert [(t.currency, t.projects, str(t.contract_total)) for t in lines] == [
        ("GBP", 1, "12000.00"), ("USD", 2, "100000.00")]


def test_a_line_per_milestone_carries_its_invoice_paid_balance_and_days_overdue():
    cash = ((date(2026, 11, 25), Money("2000.00", USD)),)
    project, ms, intent, invoice = billed_and_invoiced(cash, balance="10000.00")
    report = build_report(project, ms, [invoice], at(2026, 12, 6, 15), intents=[intent])

    lines = {line.row.seq: line for line in milestone_lines(report, ms, at(2026, 12, 6, 15), date(2026, 12, 6))}

    two = lines[2]
    assert (two.invoice.number, two.due_date, two.planned_date) == ("INV-1", date(2026, 11, 26), date(2026, 11, 20))
    assert (str(two.balance), two.overdue_days) == ("10000.00", 10)  # due 26 Nov, read on 6 Dec
    assert (lines[3].invoice, lines[3].balance, lines[3].overdue_days) == (None, None, 0)


def test_a_draft_or_a_settled_invoice_is_never_overdue():
    project, ms, intent, invoice = billed_and_invoiced((), status="draft", balance="12000.00")
    report = build_report(project, ms, [invoice], at(2027, 1, 6, 15), intents=[intent])
    [draft] = [x for x in milestone_lines(report, ms, at(2027, 1, 6, 15), date(2027, 1, 6)) if x.row.seq == 2]
    assert draft.overdue_days == 0

    paid = replace(invoice, status="paid", balance=Money("0", USD),
                   payments=((date(2026, 11, 30), Money("12000.00", USD)),))
    report = build_report(project, ms, [paid], at(2027, 1, 6, 15), intents=[intent])
    [settled] = [x for x in milestone_lines(report, ms, at(2027, 1, 6, 15), date(2027, 1, 6)) if x.row.seq == 2]
    assert settled.overdue_days == 0


def test_the_series_climb_by_planned_date_invoice_date_and_payment_date():
    cash = ((date(2026, 11, 25), Money("1000.00", USD)), (date(2026, 11, 27), Money("2000.00", USD)))
    project, ms, intent, invoice = billed_and_invoiced(cash)
    report = build_report(project, ms, [invoice], at(2026, 12, 1, 15), intents=[intent])

    scheduled, billed, paid = progress_series(report, ms, [intent], [invoice], date(2026, 12, 1))

    assert [(d.isoformat(), str(m)) for d, m in scheduled.points] == [
        ("2026-11-02", "5000.00"), ("2026-11-20", "15000.00"), ("2026-12-11", "30000.00"),
        ("2027-01-15", "50000.00")]
    assert [(d.isoformat(), str(m)) for d, m in billed.points] == [("2026-11-19", "10000.00")]
    assert [(d.isoformat(), str(m)) for d, m in paid.points] == [
        ("2026-11-25", "1000.00"), ("2026-11-27", "3000.00")]


def test_a_payment_after_the_day_asked_about_is_not_in_the_series():
    cash = ((date(2026, 11, 25), Money("1000.00", USD)), (date(2026, 12, 3), Money("2000.00", USD)))
    project, ms, intent, invoice = billed_and_invoiced(cash)
    report = build_report(project, ms, [invoice], at(2026, 12, 1, 15), intents=[intent])

    _, _, paid = progress_series(report, ms, [intent], [invoice], date(2026, 12, 1))

    assert [str(m) for _, m in paid.points] == ["1000.00"]
