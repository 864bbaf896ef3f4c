"""Specification: a payment deleted or voided in the books is taken back (the books win)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.billing import lifecycle as lc
from connector.billing.errors import IllegalTransition, InvalidShare
from connector.billing.model import MilestoneState as S
from connector.billing.money import Money

from .conftest import acme, at

USD = "USD"


def invoiced_discovery():
    """Milestone 2 of the sample schedule, invoiced for 10,000.00."""
    s = acme()
    m = replace(s.milestones[1], state=S.INVOICED, billed=Money("10000.00", USD))
    return s.project, m


def pay(project, m, amount, balance):
    m, _ = lc.record_payment(project, m, Money(amount, USD), at(2026, 11, 25),
                             invoice_balance=Money(balance, USD))
    return m


def test_deleting_the_only_payment_puts_the_milestone_back_to_invoiced():
    project, m = invoiced_discovery()
    m = pay(project, m, "10000.00", "0.00")
    assert m.state is S.PAID

    back, event = lc.take_back_payment(project, m, Money("10000.00", USD), at(2026, 11, 27),
                                       invoice_balance=Money("10000.00", USD), reference="P-9")

    assert (back.state, back.paid) == (S.INVOICED, None)
    assert (event.kind, event.from_state, event.to_state) == ("payment_removed", S.PAID, S.INVOICED)
    assert event.data["reference"] == "P-9"


def test_deleting_one_of_two_payments_leaves_the_milestone_partially_paid():
    project, m = invoiced_discovery()
    m = pay(project, pay(project, m, "4000.00", "6000.00"), "6000.00", "0.00")

    back, _ = lc.take_back_payment(project, m, Money("6000.00", USD), at(2026, 11, 27),
                                   invoice_balance=Money("6000.00", USD))

    assert (back.state, back.paid) == (S.PARTIALLY_PAID, Money("4000.00", USD))


def test_a_paid_milestone_can_be_voided_once_its_payments_are_taken_back():
    project, m = invoiced_discovery()
    m = pay(project, m, "10000.00", "0.00")
    with pytest.raises(IllegalTransition):
        lc.void(project, m, at(2026, 11, 27), "platform", "voided in the books")
    back, _ = lc.take_back_payment(project, m, Money("10000.00", USD), at(2026, 11, 27))

    voided, _ = lc.void(project, back, at(2026, 11, 28), "platform", "voided in the books")

    assert voided.state is S.VOIDED


def test_taking_back_more_than_was_recorded_is_refused_and_changes_nothing():
    project, m = invoiced_discovery()
    m = pay(project, m, "4000.00", "6000.00")
    with pytest.raises(InvalidShare, match="4000.00"):
        lc.take_back_payment(project, m, Money("5000.00", USD), at(2026, 11, 27))
    with pytest.raises(IllegalTransition):
        lc.take_back_payment(project, replace(m, state=S.INVOICED), Money("1.00", USD), at(2026, 11, 27))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=1, max_value=6000)), max_size=12))
def test_whatever_is_paid_and_taken_back_the_state_follows_what_is_left(moves):
    """Paid iff what is left reaches the bill, invoiced iff nothing is left, and every step is
    one the transition table allows."""
    project, m = invoiced_discovery()
    payments: list[Money] = []
    for add, cents in moves:
        amount = Money(f"{cents}.00", USD)
        left = sum((p.amount for p in payments), Money.zero(USD).amount)
        before = m
        if add and left + amount.amount <= 10000:
            m, _ = lc.record_payment(project, m, amount, at(2026, 11, 25))
            payments.append(amount)
        elif payments:
            m, _ = lc.take_back_payment(project, m, payments.pop(), at(2026, 11, 26))
        else:
            continue
        assert m.state is before.state or lc.can_move(before.state, m.state)
        left = sum((p.amount for p in payments), Money.zero(USD).amount)
        expected = S.INVOICED if left == 0 else S.PAID if left >= 10000 else S.PARTIALLY_PAID
        assert m.state is expected
        assert (m.paid.amount if m.paid else 0) == left
