"""Specification: what each milestone is worth, to the minor unit, summing to the contract."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from connector.billing.allocation import basis_text, format_amount, scheduled_amounts
from connector.billing.model import MilestoneState
from connector.billing.money import Money, allocate_percentages, minor_unit

from .conftest import acme


def test_twenty_thirty_fifty_of_1234_57_gives_the_leftover_cent_to_the_largest_remainder():
    parts = allocate_percentages(Money("1234.57", "USD"), [Decimal(20), Decimal(30), Decimal(50)])
    assert [str(p) for p in parts] == ["246.91", "370.37", "617.29"]


def test_yen_has_no_minor_unit_and_dinar_has_three():
    thirds = [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    yen = allocate_percentages(Money("1000", "JPY"), thirds)
    assert [str(p) for p in yen] == ["333", "333", "334"]
    dinar = allocate_percentages(Money("1.000", "BHD"), thirds)
    assert [str(p) for p in dinar] == ["0.333", "0.333", "0.334"]
    assert Money("1.2345", "BHD").amount == Decimal("1.235")


def test_schedule_amounts_are_the_percentages_of_the_contract_total():
    s = acme()
    amounts = scheduled_amounts(s.project, s.milestones)
    assert {seq: str(a) for seq, a in amounts.items()} == {
        1: "5000.00", 2: "10000.00", 3: "15000.00", 4: "20000.00"
    }


def test_basis_text_keeps_the_arithmetic_for_people():
    s = acme()
    m3 = s.milestones[2]
    assert basis_text(s.project, m3, Money("15000.00", "USD")) == "30% of 50,000.00"
    assert format_amount(Money("1234567", "JPY")) == "1,234,567"


def test_an_invoiced_milestone_keeps_its_amount_when_the_contract_total_moves():
    s = acme()
    invoiced = replace(s.milestones[1], state=MilestoneState.INVOICED, billed=Money("10000.00", "USD"))
    schedule = [s.milestones[0], invoiced, *s.milestones[2:]]
    bigger = replace(s.project, contract_total=Money("60000.00", "USD"))
    amounts = scheduled_amounts(bigger, schedule)
    assert amounts[2] == Money("10000.00", "USD")
    assert sum(a.amount for a in amounts.values()) == Decimal("60000.00")


@st.composite
def percent_schedules(draw):
    currency = draw(st.sampled_from(["USD", "JPY", "BHD", "EUR"]))
    unit = minor_unit(currency)
    units = draw(st.integers(min_value=1, max_value=10**9))
    total = Money(unit * units, currency)
    # Cut 100% into 1..7 parts with two decimals each.
    count = draw(st.integers(min_value=1, max_value=7))
    cuts = sorted(draw(st.lists(st.integers(1, 9999), min_size=count - 1, max_size=count - 1, unique=True)))
    bounds = [0, *cuts, 10000]
    percents = [Decimal(b - a) / 100 for a, b in zip(bounds, bounds[1:], strict=False)]
    fixed_units = draw(st.integers(min_value=0, max_value=units - 1))
    return total, percents, Money(unit * fixed_units, currency)


@given(percent_schedules())
def test_any_valid_schedule_allocates_exactly_the_contract_total(case):
    total, percents, fixed = case
    s = acme()
    project = replace(s.project, currency=total.currency, contract_total=total)
    template = s.milestones[1]
    milestones = [replace(template, seq=1, fixed_amount=fixed, percent=None)] if fixed.amount else []
    milestones += [
        replace(template, seq=i + 2, percent=p, fixed_amount=None) for i, p in enumerate(percents)
    ]
    amounts = scheduled_amounts(project, milestones)
    assert sum((a.amount for a in amounts.values()), Decimal(0)) == total.amount
    assert all(a.amount >= 0 and a.amount == a.amount.quantize(minor_unit(total.currency)) for a in amounts.values())
