"""Specification: a milestone's life from plan to paid, and the moves that are refused."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.billing import lifecycle as lc
from connector.billing.errors import IllegalTransition, InvalidShare, NotBillableYet
from connector.billing.intents import invoice_intent_for
from connector.billing.model import MilestoneState as S
from connector.billing.money import Money

from .conftest import acme, at

USD = "USD"


def discovery():
    s = acme()
    return s.project, list(s.milestones), s.milestones[1]


def test_submission_attaches_evidence_and_starts_the_window():
    project, _, m = discovery()
    m2, event = lc.submit(project, m, at(2026, 11, 17, 15), "Sam Dev", ["reqs-v1.3.pdf"])
    assert m2.state is S.SUBMITTED
    assert m2.evidence == ("reqs-v1.3.pdf",)
    assert m2.approval_deadline.isoformat() == "2026-11-20T23:59:59.999999-05:00"
    assert (event.kind, event.from_state, event.to_state, event.actor) == (
        "submitted", S.PLANNED, S.SUBMITTED, "Sam Dev")
    assert m2.version == m.version + 1


def test_submission_without_the_required_evidence_is_refused():
    project, _, m = discovery()
    with pytest.raises(NotBillableYet, match="requirements document"):
        lc.submit(project, m, at(2026, 11, 17, 15), "Sam Dev", [])


def test_accept_then_invoice_then_pay_in_two_parts():
    project, schedule, m = discovery()
    m, _ = lc.submit(project, m, at(2026, 11, 17, 15), "Sam", ["doc"])
    m, ev = lc.accept(project, m, at(2026, 11, 19, 15), "Dana Lee")
    assert (m.state, ev.kind) == (S.ACCEPTED, "accepted")
    intent = invoice_intent_for(project, schedule, m, m.accepted_at.date())
    m, _ = lc.mark_invoice_due(project, m, intent, at(2026, 11, 19, 15))
    assert (m.state, m.billed) == (S.INVOICE_DUE, Money("10000.00", USD))
    m, _ = lc.mark_invoiced(project, m, at(2026, 11, 19, 16), platform="sandbox", invoice_id="130")
    m, _ = lc.record_payment(project, m, Money("4000.00", USD), at(2026, 11, 25))
    assert m.state is S.PARTIALLY_PAID
    m, _ = lc.record_payment(project, m, Money("6000.00", USD), at(2026, 11, 26))
    assert (m.state, m.paid) == (S.PAID, Money("10000.00", USD))


def test_a_rejected_milestone_goes_back_to_work_and_may_be_resubmitted():
    project, _, m = discovery()
    m, _ = lc.submit(project, m, at(2026, 11, 17, 15), "Sam", ["doc"])
    m, ev = lc.reject(project, m, at(2026, 11, 18, 15), "Dana Lee", "Missing the timeline")
    assert (m.state, ev.reason) == (S.REJECTED, "Missing the timeline")
    m, _ = lc.submit(project, m, at(2026, 11, 23, 15), "Sam", ["doc v2"])
    assert m.state is S.SUBMITTED
    assert m.approval_deadline.date().isoformat() == "2026-11-27"  # Thanksgiving skipped


def test_a_rejection_needs_a_reason():
    project, _, m = discovery()
    m, _ = lc.submit(project, m, at(2026, 11, 17, 15), "Sam", ["doc"])
    with pytest.raises(IllegalTransition, match="reason"):
        lc.reject(project, m, at(2026, 11, 18), "Dana", "  ")


def test_silence_past_the_deadline_is_deemed_acceptance_dated_at_the_deadline():
    project, schedule, m = discovery()
    m, _ = lc.submit(project, m, at(2026, 11, 17, 15), "Sam", ["doc"])
    with pytest.raises(NotBillableYet, match="still open"):
        lc.deem_accepted(project, m, at(2026, 11, 21, 4, 59))  # 23:59 on the 20th in New York
    assert lc.lapsed(project, [m], at(2026, 11, 21, 4, 59)) == []
    assert lc.lapsed(project, [m], at(2026, 11, 21, 5, 0)) == [m]
    m2, ev = lc.deem_accepted(project, m, at(2026, 11, 21, 9))
    assert m2.state is S.DEEMED_ACCEPTED
    assert m2.accepted_at == m.approval_deadline
    assert ev.at == m.approval_deadline


def test_a_rejection_after_the_deadline_is_refused_because_silence_already_accepted():
    project, _, m = discovery()
    m, _ = lc.submit(project, m, at(2026, 11, 17, 15), "Sam", ["doc"])
    with pytest.raises(IllegalTransition, match="lapsed"):
        lc.reject(project, m, at(2026, 11, 23, 15), "Dana", "too late")


def test_partial_acceptance_accepts_a_share_and_keeps_the_rest_open():
    project, schedule, m = discovery()
    m, _ = lc.submit(project, m, at(2026, 11, 17, 15), "Sam", ["doc"])
    m, ev = lc.accept_partially(project, m, at(2026, 11, 19), "Dana Lee", schedule=schedule, percent="40")
    assert (m.state, m.accepted_amount) == (S.PARTIALLY_ACCEPTED, Money("4000.00", USD))
    m, _ = lc.accept_partially(project, m, at(2026, 11, 20), "Dana Lee", schedule=schedule,
                               amount=Money("1000.00", USD))
    assert m.accepted_amount == Money("5000.00", USD)
    with pytest.raises(InvalidShare, match="accept it instead"):
        lc.accept_partially(project, m, at(2026, 11, 20), "Dana", schedule=schedule, percent="50")
    m, _ = lc.accept(project, m, at(2026, 11, 24), "Dana Lee")
    assert m.state is S.ACCEPTED


def test_an_on_signature_milestone_falls_due_when_the_contract_is_signed():
    project, schedule, kickoff = acme().project, list(acme().milestones), acme().milestones[0]
    with pytest.raises(NotBillableYet):
        invoice_intent_for(project, schedule, kickoff, project.contract_date)
    signed, ev = lc.sign(project, at(2026, 11, 2, 15), "Dana Lee")
    assert ev.kind == "signed"
    intent = invoice_intent_for(signed, schedule, kickoff, signed.contract_date)
    m, _ = lc.mark_invoice_due(signed, kickoff, intent, at(2026, 11, 2, 15))
    assert (m.state, m.billed) == (S.INVOICE_DUE, Money("5000.00", USD))
    with pytest.raises(IllegalTransition, match="on_signature"):
        lc.submit(signed, kickoff, at(2026, 11, 3), "Sam", ["x"])


def test_an_illegal_move_names_the_current_and_requested_state():
    project, _, m = discovery()
    with pytest.raises(IllegalTransition) as err:
        lc.accept(project, replace(m, state=S.PAID), at(2026, 11, 19), "Dana")
    assert "from paid to accepted" in str(err.value)
    assert (err.value.current, err.value.requested, err.value.seq) == ("paid", "accepted", 2)


def test_paid_milestones_cannot_be_voided_but_voided_ones_reopen_under_a_new_generation():
    project, _, m = discovery()
    with pytest.raises(IllegalTransition, match="from paid to voided"):
        lc.void(project, replace(m, state=S.PAID), at(2026, 12, 1), "ops", "mistake")
    voided, _ = lc.void(project, replace(m, state=S.INVOICED, billed=Money("10000.00", USD)),
                        at(2026, 12, 1), "ops", "wrong customer")
    assert (voided.state, voided.billed) == (S.VOIDED, None)
    reopened, _ = lc.reopen(project, voided, at(2026, 12, 2), "ops", "re-bill")
    assert (reopened.state, reopened.generation) == (S.PLANNED, 2)


# --- every step legal or refused, per the table ---------------------------------------------

def _attempt(project, schedule, m, step):
    now = at(2026, 11, 19, 15)
    if step == "submit":
        return lc.submit(project, m, now, "Sam", ["doc"])
    if step == "accept":
        return lc.accept(project, m, now, "Dana")
    if step == "partial":
        return lc.accept_partially(project, m, now, "Dana", schedule=schedule, percent="10")
    if step == "reject":
        return lc.reject(project, m, now, "Dana", "not yet")
    if step == "deem":
        return lc.deem_accepted(project, m, at(2027, 6, 1))
    if step == "invoice_due":
        intent = invoice_intent_for(project, schedule, m, now.date())
        return lc.mark_invoice_due(project, m, intent, now)
    if step == "invoiced":
        return lc.mark_invoiced(project, m, now, platform="sandbox", invoice_id="1")
    if step == "pay":
        return lc.record_payment(project, m, Money("1.00", USD), now)
    if step == "void":
        return lc.void(project, m, now, "ops", "cancelled")
    if step == "reopen":
        return lc.reopen(project, m, now, "ops", "again")
    raise AssertionError(step)


STEPS = ["submit", "accept", "partial", "reject", "deem", "invoice_due", "invoiced", "pay", "void", "reopen"]
TARGETS = {
    "submit": S.SUBMITTED, "accept": S.ACCEPTED, "partial": S.PARTIALLY_ACCEPTED,
    "reject": S.REJECTED, "deem": S.DEEMED_ACCEPTED, "void": S.VOIDED, "reopen": S.PLANNED,
}
REFUSALS = (IllegalTransition, NotBillableYet, InvalidShare)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(STEPS), min_size=1, max_size=25))
def test_no_sequence_of_steps_reaches_a_state_outside_the_table(steps):
    s = acme()
    project, schedule = s.project, list(s.milestones)
    m = schedule[1]
    for step in steps:
        before = m
        try:
            m, event = _attempt(project, schedule, m, step)
        except REFUSALS:
            assert m == before  # a refused step changes nothing
            continue
        target = TARGETS.get(step)
        assert target is None or lc.can_move(before.state, target), f"{step} from {before.state}"
        assert event.from_state is before.state
        assert m.state is before.state or lc.can_move(before.state, m.state)
        assert m.version == before.version + 1
        schedule = [m if x.seq == m.seq else x for x in schedule]
        if m.state in (S.INVOICE_DUE, S.INVOICED, S.PARTIALLY_PAID, S.PAID):
            assert m.billed is not None
            assert m.billed.amount > 0


@pytest.mark.parametrize("state", list(S))
def test_each_state_refuses_every_move_outside_its_row_of_the_table(state):
    project, schedule, m = discovery()
    m = replace(m, state=state, billed=Money("10000.00", USD), approval_deadline=None)
    for target in S:
        if lc.can_move(state, target):
            continue
        with pytest.raises(IllegalTransition):
            lc.check_move(m, target)
