"""Specification: templates, progress and monthly billing, late fees, pause-work and the report."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from connector.billing import lifecycle as lc
from connector.billing.allocation import scheduled_amounts
from connector.billing.errors import InvalidShare
from connector.billing.intents import invoice_intent_for
from connector.billing.late_fees import late_fee_due, pause_work_due
from connector.billing.model import BillingMode, MilestoneState, Trigger
from connector.billing.money import Money
from connector.billing.progress import MonthlyCharge, monthly_intent, record_progress
from connector.billing.report import InvoiceView, build_report, table_rows
from connector.billing.schedule import build_schedule, load_schedule, raw_to_toml
from connector.billing.templates import build_template

from .conftest import acme, at

USD = "USD"


@pytest.mark.parametrize(
    ("name", "amounts"),
    [
        ("three-phase", ["15000.00", "20000.00", "15000.00"]),
        ("five-phase", ["5000.00", "9000.00", "9000.00", "13500.00", "6750.00", "6750.00"]),
        ("inspection", ["5000.00", "10000.00", "12500.00", "10000.00", "12500.00"]),
    ],
)
def test_templates_build_valid_schedules_that_cover_the_total(name, amounts):
    raw = build_template(name, "50000.00", "USD", {"key": "T-1", "contract_date": "2026-11-02"})
    parsed = load_schedule(raw_to_toml(raw), "toml")
    assert [str(a) for a in scheduled_amounts(parsed.project, parsed.milestones).values()] == amounts
    assert parsed.warnings == ()


def test_five_phase_has_the_seed_phases_after_a_kickoff_deposit_on_signature():
    parsed = build_schedule(build_template("five-phase", "50000.00", "USD"))
    assert [m.name for m in parsed.milestones] == [
        "Kickoff deposit", "Discovery complete", "Design approved", "Build complete", "QA passed", "Launch"]
    assert parsed.milestones[0].trigger is Trigger.ON_SIGNATURE


def test_inspection_schedule_withholds_retainage_stepping_down():
    parsed = build_schedule(build_template("inspection", "1000000", "USD"))
    assert [(s.percent, s.until_billed_percent) for s in parsed.project.retainage.steps] == [
        (Decimal(10), Decimal(50)), (Decimal(5), None)]
    assert all("inspection report" in m.evidence_required for m in parsed.milestones[1:])


def test_templates_respect_the_currency_minor_unit():
    parsed = build_schedule(build_template("three-phase", "100001", "JPY"))
    assert [str(a) for a in scheduled_amounts(parsed.project, parsed.milestones).values()] == [
        "30000", "40001", "30000"]


def progress_project():
    s = acme()
    ms = list(s.milestones)
    ms[2] = replace(ms[2], billing_mode=BillingMode.PROGRESS)
    return s.project, ms


def test_progress_billing_bills_only_the_newly_completed_share():
    project, ms = progress_project()
    m, _ = record_progress(project, ms[2], at(2026, 11, 30, 15), "Dana Lee", "25", ["build log"], schedule=ms)
    first = invoice_intent_for(project, ms, m, date(2026, 11, 30))
    assert (first.total, first.idempotency_key) == (Money("3750.00", USD), "milepost:ACME-WEB:3:1:progress-25")
    m, _ = lc.mark_invoice_due(project, m, first, at(2026, 11, 30, 15))
    m, _ = record_progress(project, m, at(2026, 12, 15, 15), "Dana Lee", "60", ["demo"], schedule=ms)
    second = invoice_intent_for(project, ms, m, date(2026, 12, 15))
    assert second.total == Money("5250.00", USD)  # 60% - 25% of 15,000.00
    m, _ = lc.mark_invoice_due(project, m, second, at(2026, 12, 15, 15))
    with pytest.raises(InvalidShare, match="forward"):
        record_progress(project, m, at(2026, 12, 16), "Dana", "50", ["x"], schedule=ms)
    m, _ = record_progress(project, m, at(2027, 1, 5, 15), "Dana Lee", "100", ["handover"], schedule=ms)
    assert m.state is MilestoneState.ACCEPTED
    last = invoice_intent_for(project, ms, m, date(2027, 1, 5))
    assert (last.total, last.idempotency_key) == (Money("6000.00", USD), "milepost:ACME-WEB:3:1")


def test_monthly_invoice_carries_the_months_milestones_and_charges():
    project, ms = progress_project()
    m2, _ = lc.accept(project, ms[1], at(2026, 11, 20, 15), "Dana Lee")
    ms[1] = m2
    charges = [
        MonthlyCharge("pass_through", date(2026, 11, 5), "Stock photos", Money("120.00", USD)),
        MonthlyCharge("support", date(2026, 11, 30), "Support: 3 hours at 90.00", Money("270.00", USD), Decimal(3)),
        MonthlyCharge("support", date(2026, 12, 1), "Next month", Money("90.00", USD)),
    ]
    intent = monthly_intent(project, ms, "2026-11", charges, date(2026, 11, 30))
    assert intent.idempotency_key == "milepost:ACME-WEB:monthly-2026-11:1"
    assert [(line.kind, str(line.amount), line.seq) for line in intent.lines] == [
        ("milestone", "10000.00", 2), ("pass_through", "120.00", None), ("support", "270.00", None)]
    m2, _ = lc.mark_invoice_due(project, m2, intent, at(2026, 11, 30, 15))
    assert (m2.state, m2.billed) == (MilestoneState.INVOICE_DUE, Money("10000.00", USD))


def test_late_fee_is_charged_per_started_month_after_grace_once_per_period():
    project = acme().project  # 1.5% a month, 5 grace days
    balance = Money("10000.00", USD)
    assert late_fee_due(project, "INV-130", balance, date(2026, 12, 1), date(2026, 12, 6)) is None
    fee = late_fee_due(project, "INV-130", balance, date(2026, 12, 1), date(2026, 12, 7))
    assert (fee.period, str(fee.amount), fee.period_key) == (1, "150.00", "milepost:ACME-WEB:late-fee:INV-130:1")
    # The first period runs from 7 Dec (after grace) to 6 Jan; a daily job keeps seeing it.
    same = late_fee_due(project, "INV-130", balance, date(2026, 12, 1), date(2027, 1, 6))
    assert same.period_key == fee.period_key
    second = late_fee_due(project, "INV-130", balance, date(2026, 12, 1), date(2027, 1, 7))
    assert (second.period, second.period_start) == (2, date(2027, 1, 7))


def test_pause_work_after_the_threshold_of_days_overdue():
    project = acme().project  # 15 days
    assert not pause_work_due(project, date(2026, 12, 1), at(2026, 12, 16, 17))
    assert pause_work_due(project, date(2026, 12, 1), at(2026, 12, 17, 17))
    assert not pause_work_due(project, None, at(2027, 6, 1))


def test_report_sums_billed_paid_outstanding_overdue_and_lists_milestones():
    s = acme()
    project, ms = s.project, list(s.milestones)
    m2, _ = lc.submit(project, ms[1], at(2026, 11, 17, 15), "Sam", ["doc"])
    m2, _ = lc.accept(project, m2, at(2026, 11, 19, 15), "Dana Lee")
    ms[1] = m2
    intent = invoice_intent_for(project, ms, m2, date(2026, 11, 19))
    m2, _ = lc.mark_invoice_due(project, m2, intent, at(2026, 11, 19, 15))
    m2, _ = lc.mark_invoiced(project, m2, at(2026, 11, 19, 16), platform="sandbox", invoice_id="130", number="1001")
    m2, _ = lc.record_payment(project, m2, Money("4000.00", USD), at(2026, 11, 25))
    ms[1] = m2
    m3, _ = lc.submit(project, ms[2], at(2026, 12, 7, 15), "Sam", [])
    ms[2] = m3
    invoice = InvoiceView("sandbox", "130", "1001", "open", Money("10000.00", USD), Money("4000.00", USD),
                          Money("6000.00", USD), date(2026, 11, 26), seq=2,
                          payments=((date(2026, 11, 25), Money("4000.00", USD)),))
    report = build_report(project, ms, [invoice], at(2026, 12, 20, 15), intents=[intent])
    data = report.as_json()
    assert {k: data[k] for k in ("billed", "paid", "outstanding", "overdue", "remaining", "accepted_unbilled")} == {
        "billed": "10000.00", "paid": "4000.00", "outstanding": "6000.00", "overdue": "6000.00",
        "remaining": "40000.00", "accepted_unbilled": "0.00"}
    assert data["pause_work"] is True  # 24 days overdue, threshold 15
    rows = {row["seq"]: row for row in data["milestones"]}
    assert rows[2]["state"] == "partially_paid"
    assert rows[2]["invoice"]["balance"] == "6000.00"
    assert rows[3]["approval_deadline"] == "2026-12-10T23:59:59.999999-05:00"
    assert rows[1]["invoice"] is None
    table = {r[0]: r for r in table_rows(report)}
    # seq, name, state, scheduled, previously billed, this period, to date, % complete, to finish, retainage
    assert table["2"][3:] == ["10000.00", "10000.00", "0.00", "10000.00", "100.0", "0.00", "0.00"]


def billed_and_invoiced(paid: tuple[tuple[date, Money], ...], status: str = "open", balance: str = "2600.00"):
    """ACME's milestone 2 (10,000.00) accepted, invoiced on 19 Nov with 20% tax (12,000.00)."""
    s = acme()
    project, ms = s.project, list(s.milestones)
    m2, _ = lc.submit(project, ms[1], at(2026, 11, 17, 15), "Sam", ["doc"])
    m2, _ = lc.accept(project, m2, at(2026, 11, 19, 15), "Dana Lee")
    intent = invoice_intent_for(project, ms, m2, date(2026, 11, 19))
    m2, _ = lc.mark_invoice_due(project, m2, intent, at(2026, 11, 19, 15))
    ms[1] = m2
    invoice = InvoiceView("xero", "inv-1", "INV-1", status, Money("12000.00", USD), Money("0", USD),
                          Money(balance, USD), date(2026, 11, 26), seq=2, payments=paid,
                          issued_at=at(2026, 11, 19, 16), changed_at=at(2026, 11, 28, 12))
    return project, ms, intent, invoice


def test_report_paid_is_cash_and_credits_are_their_own_figure_on_one_gross_basis():
    """Issue 8, finding 5: 3,000.00 received and a 6,400.00 credit note: `paid` is the cash, the
    credit is `credited`, and invoiced - credited - paid = outstanding, all tax included."""
    cash = ((date(2026, 11, 25), Money("1000.00", USD)), (date(2026, 11, 27), Money("2000.00", USD)))
    project, ms, intent, invoice = billed_and_invoiced(cash)

    data = build_report(project, ms, [invoice], at(2026, 12, 1, 15), intents=[intent]).as_json()

    assert {k: data[k] for k in ("billed", "invoiced", "credited", "paid", "outstanding")} == {
        "billed": "10000.00", "invoiced": "12000.00", "credited": "6400.00", "paid": "3000.00",
        "outstanding": "2600.00"}
    assert "billed" in data["basis"]["net"]
    assert {"invoiced", "credited", "paid", "outstanding", "overdue"} <= set(data["basis"]["gross"])


def test_a_draft_nobody_sent_is_never_overdue_nor_a_reason_to_pause_work():
    """Issue 8, finding 5: a draft past its due date is outstanding, not overdue."""
    project, ms, intent, invoice = billed_and_invoiced((), status="draft", balance="12000.00")

    report = build_report(project, ms, [invoice], at(2027, 1, 20, 15), intents=[intent])

    assert (str(report.outstanding), str(report.overdue), report.pause_work) == ("12000.00", "0.00", False)
    sent = build_report(project, ms, [replace(invoice, status="open")], at(2027, 1, 20, 15), intents=[intent])
    assert (str(sent.overdue), sent.pause_work) == ("12000.00", True)


def test_report_at_a_past_moment_leaves_out_what_happened_after_it():
    """Issue 8, finding 6: `report --at 2026-10-31` showed amounts billed in November. As of a
    moment: no billing, invoice, payment or credit the store learned of after it."""
    cash = ((date(2026, 11, 25), Money("1000.00", USD)), (date(2026, 11, 27), Money("2000.00", USD)))
    project, ms, intent, invoice = billed_and_invoiced(cash)

    october = build_report(project, ms, [invoice], at(2026, 10, 31, 15), intents=[intent]).as_json()
    mid = build_report(project, ms, [invoice], at(2026, 11, 26, 15), intents=[intent]).as_json()

    assert {k: october[k] for k in ("billed", "invoiced", "paid", "credited", "outstanding")} == {
        "billed": "0.00", "invoiced": "0.00", "paid": "0.00", "credited": "0.00", "outstanding": "0.00"}
    assert october["remaining"] == "50000.00"
    assert {k: mid[k] for k in ("billed", "invoiced", "paid", "credited", "outstanding")} == {
        "billed": "10000.00", "invoiced": "12000.00", "paid": "1000.00", "credited": "0.00",
        "outstanding": "11000.00"}
