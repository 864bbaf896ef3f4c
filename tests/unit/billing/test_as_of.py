"""A milestone's state at a past moment, read back from its audit trail (`report --at`)."""

from __future__ import annotations

from connector.billing.as_of import state_at
from connector.billing.model import AuditEvent, MilestoneState

from .conftest import acme, at

S = MilestoneState


def move(day: int, from_state: S, to_state: S, kind: str = "moved") -> AuditEvent:
    return AuditEvent("ACME-WEB", 2, kind, at(2026, 11, day, 15), "Dana Lee", from_state=from_state, to_state=to_state)


TRAIL = [move(10, S.PLANNED, S.SUBMITTED), move(12, S.SUBMITTED, S.ACCEPTED), move(12, S.ACCEPTED, S.INVOICE_DUE)]


def test_the_state_is_where_the_last_transition_by_then_led():
    m = acme().milestones[1]
    assert [state_at(m, TRAIL, at(2026, 11, d, 16)).state for d in (9, 10, 11, 12)] == [
        S.PLANNED, S.SUBMITTED, S.SUBMITTED, S.INVOICE_DUE]


def test_the_trail_order_says_which_transition_came_last_whatever_the_stamps():
    m = acme().milestones[1]
    worker = move(11, S.INVOICE_DUE, S.INVOICED)  # the worker stamped its clock, before the command's --at
    assert state_at(m, [*TRAIL, worker], at(2026, 11, 13)).state is S.INVOICED


def test_a_change_order_recorded_late_does_not_date_the_current_state_back():
    m = acme().milestones[1]
    late_order = move(1, S.INVOICE_DUE, S.INVOICE_DUE, kind="change_order.change")
    assert state_at(m, [late_order, *TRAIL], at(2026, 11, 5, 16)).state is S.PLANNED


def test_a_milestone_whose_trail_has_no_transition_keeps_its_state():
    m = acme().milestones[1]
    only_an_order = [move(1, S.PLANNED, S.PLANNED, kind="change_order.change")]
    assert state_at(m, only_an_order, at(2026, 11, 5)) is m
