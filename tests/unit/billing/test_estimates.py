"""An accepted estimate or quote as a schedule (issue 12): the total kept to the cent, split
per line or by a template, and anything not accepted refused with the books' own word."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connector.billing.errors import ScheduleInvalid
from connector.billing.estimates import (
    Estimate,
    EstimateLine,
    ImportChoices,
    refusal,
    schedule_from_estimate,
)
from connector.billing.model import Customer, SourceDocument
from connector.billing.money import Money
from connector.billing.schedule import build_schedule


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def estimate(total: str, *lines: str, accepted: bool = True, status: str = "Accepted",
             platform: str = "quickbooks") -> Estimate:
    kind = "estimate" if platform == "quickbooks" else "quote"
    return Estimate(
        source=SourceDocument(platform, kind, "41", "1007"), status=status, accepted=accepted,
        currency="USD", total=usd(total), customer_id="58",
        customer=Customer("Amy's Bird Sanctuary", "birds@example.com"),
        lines=tuple(EstimateLine(f"Phase {n}", usd(a)) for n, a in enumerate(lines, start=1)),
        issued=date(2026, 10, 20),
    )


def parsed(found: Estimate, template: str = "per-line", emails: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    raw = schedule_from_estimate(found, ImportChoices("EST-1", template, emails, "America/New_York"))
    return build_schedule(raw, default_time_zone="UTC")


def test_one_milestone_per_line_keeps_each_line_amount() -> None:
    schedule = parsed(estimate("5600.54", "1200.10", "3400.45", "999.99"))

    assert schedule.project.contract_total == usd("5600.54")
    assert schedule.project.contract_date == date(2026, 10, 20)
    assert schedule.project.customer.email == "birds@example.com"
    assert [m.fixed_amount for m in schedule.milestones] == [usd("1200.10"), usd("3400.45"), usd("999.99")]
    assert [m.name for m in schedule.milestones] == ["Phase 1", "Phase 2", "Phase 3"]
    assert {m.approver.email for m in schedule.milestones} == {"birds@example.com"}  # the customer


def test_a_discount_is_spread_over_the_lines_and_the_parts_still_sum_to_the_total() -> None:
    schedule = parsed(estimate("100.00", "50.00", "50.00", "50.00", "0.00"))  # 150 less a discount

    amounts = [m.fixed_amount for m in schedule.milestones]
    assert amounts == [usd("33.34"), usd("33.33"), usd("33.33")]  # the zero line is no milestone
    assert sum((a.amount for a in amounts if a), Decimal(0)) == Decimal("100.00")


def test_a_template_splits_the_total_and_the_approvers_go_one_per_milestone_in_order() -> None:
    schedule = parsed(estimate("1234.57", "1234.57"), "three-phase", ("a@x.example", "b@x.example"))

    assert schedule.project.contract_total == usd("1234.57")
    assert [m.name for m in schedule.milestones] == ["Kickoff deposit", "Midpoint", "Final delivery"]
    assert [m.approver.email for m in schedule.milestones] == ["a@x.example", "b@x.example", "b@x.example"]


def test_an_estimate_without_priced_lines_is_refused_by_validation_as_a_file_would_be() -> None:
    with pytest.raises(ScheduleInvalid) as refused:
        parsed(estimate("0.00"))
    assert refused.value.errors


@pytest.mark.parametrize(("platform", "status", "words"), [
    ("quickbooks", "Pending", "QuickBooks estimate 1007 is Pending, not Accepted"),
    ("quickbooks", "Closed", "is Closed, not Accepted"),
    ("xero", "DRAFT", "Xero quote 1007 is DRAFT, not ACCEPTED"),
    ("xero", "DECLINED", "is DECLINED, not ACCEPTED"),
])
def test_a_document_not_accepted_is_refused_with_the_books_own_status(platform, status, words) -> None:
    assert words in (refusal(estimate("10.00", "10.00", accepted=False, status=status,
                                      platform=platform)) or "")


def test_an_accepted_document_is_not_refused() -> None:
    assert refusal(estimate("10.00", "10.00")) is None
