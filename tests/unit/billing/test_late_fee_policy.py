"""Specification: the late-fee policy says whether a period's fee is its own invoice or a line.

`late_fee = { ..., as = "line" | "invoice" }`, default "invoice"; anything else is a problem
named with its field, and the choice survives a round trip through the schedule file.
"""

from __future__ import annotations

import pytest

from connector.billing.errors import ScheduleInvalid
from connector.billing.schedule import dump_schedule, load_schedule

from .conftest import ACME

POLICY = 'grace_days = 5 }'


def acme_with(policy: str) -> str:
    text = ACME.replace("{extra_project}", "")
    assert POLICY in text
    return text.replace(POLICY, policy)


def test_a_late_fee_is_its_own_invoice_unless_the_policy_says_line():
    plain = load_schedule(acme_with(POLICY), "toml").project.late_fee
    invoice = load_schedule(acme_with('grace_days = 5, as = "invoice" }'), "toml").project.late_fee
    line = load_schedule(acme_with('grace_days = 5, as = "line" }'), "toml").project.late_fee

    assert (plain.as_separate_invoice, invoice.as_separate_invoice) == (True, True)
    assert line.as_separate_invoice is False


def test_an_unknown_late_fee_form_is_refused_naming_the_field():
    with pytest.raises(ScheduleInvalid) as refused:
        load_schedule(acme_with('grace_days = 5, as = "email" }'), "toml")

    [problem] = [p for p in refused.value.errors if p.field == "project.late_fee.as"]
    assert "'email'" in problem.message


def test_the_line_policy_survives_writing_the_schedule_back():
    parsed = load_schedule(acme_with('grace_days = 5, as = "line" }'), "toml")

    again = load_schedule(dump_schedule(parsed.project, parsed.milestones), "toml")

    assert again.project.late_fee.as_separate_invoice is False
