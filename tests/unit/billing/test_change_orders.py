"""Specification: change orders move the schedule and the total, never an invoiced amount."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.billing.allocation import scheduled_amounts
from connector.billing.change_orders import apply_change_order
from connector.billing.errors import ChangeOrderRejected
from connector.billing.model import ChangeOrder, MilestoneState, Trigger
from connector.billing.money import Money

from .conftest import acme

USD = "USD"


def order(**kw) -> ChangeOrder:
    return ChangeOrder(reference="CO-1", approver="Dana Lee", on=date(2026, 12, 1), reason="scope", **kw)


def with_discovery_invoiced():
    s = acme()
    ms = list(s.milestones)
    ms[1] = replace(ms[1], state=MilestoneState.INVOICED, billed=Money("10000.00", USD))
    return s.project, ms


def test_adding_a_milestone_raises_the_total_by_its_amount():
    s = acme()
    extra = replace(s.milestones[3], seq=5, name="Blog", percent=None, fixed_amount=Money("4000.00", USD))
    project, ms, events = apply_change_order(s.project, s.milestones, order(add=(extra,)))
    assert project.contract_total == Money("54000.00", USD)
    assert scheduled_amounts(project, ms)[5] == Money("4000.00", USD)
    assert sum(a.amount for a in scheduled_amounts(project, ms).values()) == Decimal("54000.00")
    assert [e.kind for e in events] == ["change_order", "change_order.add"]
    assert events[0].data["contract_total"] == "50000.00 -> 54000.00"


def test_percentages_follow_the_new_contract_total():
    s = acme()
    project, ms, _ = apply_change_order(s.project, s.milestones, order(contract_total=Money("60000.00", USD)))
    amounts = scheduled_amounts(project, ms)
    assert [str(a) for a in amounts.values()] == ["6000.00", "12000.00", "18000.00", "24000.00"]


def test_an_invoiced_milestone_keeps_its_amount_when_the_total_changes():
    project, ms = with_discovery_invoiced()
    project, ms, _ = apply_change_order(project, ms, order(contract_total=Money("60000.00", USD)))
    amounts = scheduled_amounts(project, ms)
    assert amounts[2] == Money("10000.00", USD)
    assert sum(a.amount for a in amounts.values()) == Decimal("60000.00")


def test_changing_or_removing_an_invoiced_milestone_is_refused_and_names_it():
    project, ms = with_discovery_invoiced()
    with pytest.raises(ChangeOrderRejected, match="milestone 2 \\(Discovery complete\\) is already invoiced") as err:
        apply_change_order(project, ms, order(change=((2, {"amount": "12000.00"}),)))
    assert err.value.seq == 2
    with pytest.raises(ChangeOrderRejected, match="milestone 2"):
        apply_change_order(project, ms, order(remove=(2,)))


def test_changing_amount_deliverable_and_date_of_an_open_milestone_keeps_history_in_events():
    s = acme()
    co = order(change=((3, {"amount": "20000.00", "deliverable": "Designs v2", "planned_date": "2026-12-18"}),))
    project, ms, events = apply_change_order(s.project, s.milestones, co)
    m3 = next(m for m in ms if m.seq == 3)
    assert (m3.fixed_amount, m3.deliverable, m3.planned_date) == (Money("20000.00", USD), "Designs v2", date(2026, 12, 18))
    assert project.contract_total == Money("55000.00", USD)
    assert events[1].data["amount"] == "15000.00 -> 20000.00"
    assert events[1].data["deliverable"] == "Designs and prototype -> Designs v2"


def test_a_removed_milestone_is_kept_flagged_and_the_total_drops():
    s = acme()
    project, ms, _ = apply_change_order(s.project, s.milestones, order(remove=(3,)))
    assert project.contract_total == Money("35000.00", USD)
    assert [m.seq for m in ms if m.removed] == [3]
    assert 3 not in scheduled_amounts(project, ms)


def test_a_reused_sequence_number_is_refused():
    s = acme()
    dup = replace(s.milestones[0], trigger=Trigger.ON_ACCEPTANCE)
    with pytest.raises(ChangeOrderRejected, match="milestone 1 already exists"):
        apply_change_order(s.project, s.milestones, order(add=(dup,)))


def test_a_new_total_below_what_is_invoiced_is_refused():
    project, ms = with_discovery_invoiced()
    with pytest.raises(ChangeOrderRejected, match="leave nothing"):
        apply_change_order(project, ms, order(contract_total=Money("10000.00", USD)))


@st.composite
def random_orders(draw):
    kinds = draw(st.lists(st.sampled_from(["add", "change", "remove", "total"]), min_size=1, max_size=4))
    add, change, remove, total = [], [], [], None
    for kind in kinds:
        seq = draw(st.integers(1, 5))
        cents = draw(st.integers(1, 3_000_000))
        amount = Money(Decimal(cents) / 100, USD)
        if kind == "add":
            add.append(seq + 4)
        elif kind == "change":
            change.append((seq, {"amount": str(amount)}))
        elif kind == "remove":
            remove.append(seq)
        else:
            total = Money(Decimal(draw(st.integers(1, 20_000_000))) / 100, USD)
    return add, change, remove, total, amount


@settings(max_examples=200, deadline=None)
@given(random_orders(), st.sets(st.integers(1, 4), min_size=1))
def test_invoiced_amounts_never_change_under_any_change_order(case, invoiced_seqs):
    add_seqs, change, remove, total, amount = case
    s = acme()
    before_amounts = scheduled_amounts(s.project, s.milestones)
    ms = [
        replace(m, state=MilestoneState.PAID, billed=before_amounts[m.seq]) if m.seq in invoiced_seqs else m
        for m in s.milestones
    ]
    template = s.milestones[3]
    adds = tuple({seq: replace(template, seq=seq, percent=None, fixed_amount=amount) for seq in add_seqs}.values())
    co = order(add=adds, change=tuple(dict(change).items()), remove=tuple(set(remove)), contract_total=total)
    try:
        project, after, _ = apply_change_order(s.project, ms, co)
    except ChangeOrderRejected:
        return
    amounts = scheduled_amounts(project, after)
    for seq in invoiced_seqs:
        assert amounts[seq] == before_amounts[seq]
    assert sum(a.amount for a in amounts.values()) == project.contract_total.amount


# -- issue 8, finding 12 -------------------------------------------------------------------------

def test_issue8_finding12_lowering_an_invoiced_milestone_is_a_credit_of_the_difference_citing_the_order():
    project, ms = with_discovery_invoiced()
    before = scheduled_amounts(project, ms)

    project, ms, events = apply_change_order(project, ms, order(change=((2, {"amount": "8000.00"}),)))

    [credit] = [e for e in events if e.kind == "change_order.credit"]
    assert (credit.seq, credit.data["credit"], credit.data["reference"]) == (2, "2000.00", "CO-1")
    m2 = next(m for m in ms if m.seq == 2)
    assert (m2.billed, m2.state, m2.amended_by) == (Money("8000.00", USD), MilestoneState.INVOICED, "CO-1 of 2026-12-01")
    assert project.contract_total == Money("48000.00", USD)
    after = scheduled_amounts(project, ms)
    assert {seq: after[seq] for seq in (1, 3, 4)} == {seq: before[seq] for seq in (1, 3, 4)}


def test_issue8_finding12_an_invoiced_milestone_cannot_be_raised_or_lowered_once_paid():
    project, ms = with_discovery_invoiced()
    paid = [replace(m, state=MilestoneState.PAID, paid=m.billed) if m.seq == 2 else m for m in ms]
    with pytest.raises(ChangeOrderRejected, match="fully paid: a refund is made in the books"):
        apply_change_order(project, paid, order(change=((2, {"amount": "8000.00"}),)))
    with pytest.raises(ChangeOrderRejected, match="may only lower its amount"):
        apply_change_order(project, ms, order(change=((2, {"deliverable": "v2"}),)))


def partly_accepted_design():
    s = acme()
    ms = [replace(m, state=MilestoneState.PARTIALLY_ACCEPTED, accepted_amount=Money("4000.00", USD),
                  billed=Money("4000.00", USD)) if m.seq == 3 else m for m in s.milestones]
    return s.project, ms


def test_issue8_finding12_a_change_order_may_change_the_unbilled_remainder_of_a_partially_accepted_milestone():
    project, ms = partly_accepted_design()  # 15,000.00, of which 4,000.00 accepted and billed

    project, ms, events = apply_change_order(project, ms, order(change=((3, {"amount": "12000.00"}),)))

    m3 = next(m for m in ms if m.seq == 3)
    assert scheduled_amounts(project, ms)[3] == Money("12000.00", USD)
    assert (m3.billed, m3.accepted_amount, m3.state) == (
        Money("4000.00", USD), Money("4000.00", USD), MilestoneState.PARTIALLY_ACCEPTED)
    assert events[1].data["remainder"] == "11000.00 -> 8000.00"
    assert project.contract_total == Money("47000.00", USD)
    with pytest.raises(ChangeOrderRejected, match="4000.00 accepted: its new amount must stay above that"):
        apply_change_order(project, ms, order(change=((3, {"amount": "4000.00"}),)))
