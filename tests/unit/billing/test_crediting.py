"""Specification: what a credit may be, and what it takes off a milestone's billing."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from connector.billing.crediting import (
    CreditRefused,
    check_creditable,
    checked_amount,
    credit_net,
    credit_requested,
)
from connector.billing.model import MilestoneState
from connector.billing.money import Money

from .conftest import acme, at

USD = "USD"


@pytest.mark.parametrize(("amount", "currency", "rule"), [
    ("0", "USD", "positive"), ("-1.00", "USD", "positive"), ("1.005", "USD", "minor_unit"),
    ("10.5", "JPY", "minor_unit"), ("1.0005", "BHD", "minor_unit"),
])
def test_an_amount_must_be_positive_and_in_the_currencys_minor_unit(amount: str, currency: str, rule: str) -> None:
    with pytest.raises(CreditRefused) as refused:
        checked_amount(Decimal(amount), currency)
    assert (refused.value.field, refused.value.rule) == ("amount", rule)


def test_a_credit_above_what_is_owed_or_on_a_milestone_without_an_invoice_is_refused() -> None:
    s = acme()
    invoiced = replace(s.milestones[1], state=MilestoneState.INVOICED, billed=Money("10000.00", USD))
    with pytest.raises(CreditRefused, match="above_balance"):
        check_creditable(invoiced, Money("600.01", USD), "goodwill", Money("600.00", USD))
    with pytest.raises(CreditRefused, match="not_invoiced"):
        check_creditable(s.milestones[2], Money("1.00", USD), "goodwill", Money("600.00", USD))
    check_creditable(invoiced, Money("600.00", USD), "goodwill", Money("600.00", USD))


def test_a_credit_lowers_the_milestone_and_the_contract_total_by_its_net() -> None:
    s = acme()
    m = replace(s.milestones[1], state=MilestoneState.INVOICED, billed=Money("10000.00", USD))
    net = credit_net(Money("1150.00", USD), Money("10000.00", USD), Money("11500.00", USD))

    project, new, event = credit_requested(s.project, m, at(2026, 12, 1, 12), "Sam", "goodwill",
                                           amount=Money("1150.00", USD), net=net, key="k", invoice="INV-1")

    assert net == Money("1000.00", USD)
    assert (new.billed, project.contract_total) == (Money("9000.00", USD), Money("49000.00", USD))
    assert event.data["contract_total"] == "50000.00 -> 49000.00"
