"""Specification: what goes on each invoice, in the seed's words, under a stable key."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from connector.billing import lifecycle as lc
from connector.billing.change_orders import apply_change_order
from connector.billing.intents import deposit_balance, deposit_intent, invoice_intent_for
from connector.billing.model import ChangeOrder, InvoiceIntent, MilestoneState
from connector.billing.money import Money

from .conftest import acme, at

USD = "USD"


def accepted_discovery(extra: str = ""):
    s = acme(extra)
    project, schedule = s.project, list(s.milestones)
    m, _ = lc.submit(project, schedule[1], at(2026, 11, 17, 15), "Sam", ["reqs-v1.3.pdf"])
    m, _ = lc.accept(project, m, at(2026, 11, 20, 16), "Dana Lee")
    return project, [m if x.seq == 2 else x for x in schedule], m


def test_milestone_intent_uses_the_seed_wording_exactly():
    project, schedule, m = accepted_discovery()
    intent = invoice_intent_for(project, schedule, m, date(2026, 11, 20))
    first, second = intent.lines[0].description.split("\n")
    assert first == "Milestone 2: Discovery complete (per contract dated 2026-11-02)"
    assert second == (
        "Deliverable: Requirements document v1.3, accepted 2026-11-20 by Dana Lee (Project lead)"
    )
    assert intent.memo == "Approval window: 3 business days | Payment terms: Net 7"
    assert intent.lines[0].amount == Money("10000.00", USD)
    assert (intent.invoice_date, intent.due_date) == (date(2026, 11, 20), date(2026, 11, 27))
    assert intent.idempotency_key == "milepost:ACME-WEB:2:1"
    assert intent.reference == "ACME-WEB M2"
    assert intent.evidence == ("reqs-v1.3.pdf",)


def test_deemed_acceptance_says_the_window_lapsed():
    s = acme()
    project, schedule = s.project, list(s.milestones)
    m, _ = lc.submit(project, schedule[1], at(2026, 11, 17, 15), "Sam", ["doc"])
    m, _ = lc.deem_accepted(project, m, at(2026, 11, 23, 12))
    intent = invoice_intent_for(project, schedule, m, date(2026, 11, 23))
    assert intent.lines[0].description.endswith(
        "Deliverable: Requirements document v1.3, deemed accepted 2026-11-20 (approval window lapsed)"
    )


def test_partial_shares_each_get_their_own_key_and_bill_only_the_new_share():
    s = acme()
    project, schedule = s.project, list(s.milestones)
    m, _ = lc.submit(project, schedule[1], at(2026, 11, 17, 15), "Sam", ["doc"])
    m, _ = lc.accept_partially(project, m, at(2026, 11, 18, 15), "Dana Lee", schedule=schedule, percent="40")
    first = invoice_intent_for(project, schedule, m, date(2026, 11, 18))
    assert first.idempotency_key == "milepost:ACME-WEB:2:1:partial-4000.00"
    assert first.total == Money("4000.00", USD)
    assert "partially accepted 2026-11-18 by Dana Lee (Project lead) (4,000.00 of 10,000.00)" in first.lines[0].description
    m, _ = lc.mark_invoice_due(project, m, first, at(2026, 11, 18, 15))
    assert m.state is MilestoneState.PARTIALLY_ACCEPTED
    m, _ = lc.accept(project, m, at(2026, 11, 24, 15), "Dana Lee")
    rest = invoice_intent_for(project, schedule, m, date(2026, 11, 24))
    assert rest.idempotency_key == "milepost:ACME-WEB:2:1"
    assert rest.total == Money("6000.00", USD)


def test_deposit_is_invoiced_at_signature_and_credited_on_the_final_invoice():
    s = acme('deposit = { percent = "10" }')
    project, _ = lc.sign(s.project, at(2026, 11, 2, 15), "Dana Lee")
    deposit = deposit_intent(project, date(2026, 11, 2))
    assert deposit.idempotency_key == "milepost:ACME-WEB:deposit:1"
    assert deposit.total == Money("5000.00", USD)
    assert deposit.lines[0].description.startswith("Deposit: 10% of 50,000.00")
    schedule = [replace(m, state=MilestoneState.ACCEPTED) for m in s.milestones]
    kinds = []
    prior: list[InvoiceIntent] = [deposit]
    for i, m in enumerate(schedule):
        intent = invoice_intent_for(project, schedule, m, date(2026, 12, 1), prior_intents=prior,
                                    deposit_received=deposit.total)
        prior.append(intent)
        kinds.append([(line.kind, str(line.amount)) for line in intent.lines])
        schedule[i] = replace(m, state=MilestoneState.INVOICED, billed=intent.lines[0].amount)
    assert kinds[:3] == [[("milestone", "5000.00")], [("milestone", "10000.00")], [("milestone", "15000.00")]]
    assert kinds[3] == [("milestone", "20000.00"), ("deposit_credit", "-5000.00")]
    assert prior[-1].total == Money("15000.00", USD)


def test_pro_rata_deposit_is_credited_in_proportion_and_settles_exactly_on_the_final():
    s = acme('deposit = { amount = "1000.00", credit = "pro_rata" }')
    project, _ = lc.sign(s.project, at(2026, 11, 2, 15))
    prior: list[InvoiceIntent] = [deposit_intent(project, date(2026, 11, 2))]
    schedule = [replace(m, state=MilestoneState.ACCEPTED) for m in s.milestones]
    credits = []
    for i, m in enumerate(schedule):
        intent = invoice_intent_for(project, schedule, m, date(2026, 12, 1), prior_intents=prior,
                                    deposit_received=prior[0].total)
        prior.append(intent)
        credits.append(str(sum(line.amount.amount for line in intent.lines if line.kind == "deposit_credit")))
        schedule[i] = replace(m, state=MilestoneState.INVOICED, billed=intent.lines[0].amount)
    assert credits == ["-100.00", "-200.00", "-300.00", "-400.00"]


def test_retainage_steps_down_after_half_the_contract_is_billed_and_is_released_on_the_final():
    s = acme('retainage = { steps = [{ percent = "10", until_billed_percent = "50" }, { percent = "5" }] }')
    project = s.project
    schedule = [replace(m, state=MilestoneState.ACCEPTED) for m in s.milestones]
    prior: list[InvoiceIntent] = []
    withheld = {}
    for seq in (4, 3, 2, 1):  # billed out of order so the step-down shows
        i = seq - 1
        intent = invoice_intent_for(project, schedule, schedule[i], date(2026, 12, 1), prior_intents=prior)
        prior.append(intent)
        withheld[seq] = [(line.kind, str(line.amount)) for line in intent.lines[1:]]
        schedule[i] = replace(schedule[i], state=MilestoneState.INVOICED, billed=intent.lines[0].amount)
    assert withheld == {
        4: [("retainage", "-2000.00")],  # 0% billed before: 10%
        3: [("retainage", "-1500.00")],  # 40% billed before: 10%
        2: [("retainage", "-500.00")],  # 70% billed before: 5%
        1: [("retainage_release", "4000.00")],  # final: everything withheld comes back
    }


def bill_in_order(project, schedule, prior, seqs, received=None):
    """Invoice the milestones `seqs` in that order, each accepted, recording what it billed
    (the deposit, when there is one, received in full unless `received` says otherwise)."""
    issued = {}
    for seq in seqs:
        i = seq - 1
        paid = received if received is not None else next(
            (p.total for p in prior if p.idempotency_key.endswith(":deposit:1")), None)
        intent = invoice_intent_for(project, schedule, schedule[i], date(2026, 12, 1), prior_intents=prior,
                                    deposit_received=paid)
        prior.append(intent)
        issued[seq] = intent
        schedule[i] = replace(schedule[i], state=MilestoneState.INVOICED, billed=intent.lines[0].amount)
    return issued


def test_a_change_order_does_not_change_the_deposit_already_invoiced():
    """Issue 8, finding 2: the deposit invoiced at signature was 10% of 50,000.00; a change order
    then raised the contract to 52,500.00. Later invoices credit the 5,000.00 received, not 10%
    of the new total."""
    s = acme('deposit = { percent = "10" }')
    project, _ = lc.sign(s.project, at(2026, 11, 2, 15), "Dana Lee")
    prior: list[InvoiceIntent] = [deposit_intent(project, date(2026, 11, 2))]
    project, schedule, _ = apply_change_order(project, s.milestones, ChangeOrder(
        reference="CO-1", approver="Dana Lee", on=date(2026, 11, 10), reason="more pages",
        contract_total=Money("52500.00", USD)))
    schedule = [replace(m, state=MilestoneState.ACCEPTED) for m in schedule]

    final = bill_in_order(project, schedule, prior, (1, 2, 3, 4))[4]

    [credit] = [line for line in final.lines if line.kind == "deposit_credit"]
    assert (credit.description, str(credit.amount)) == ("Less deposit received (5,000.00)", "-5000.00")
    balance = deposit_balance(project, prior, prior[0].total)
    assert (str(balance.invoiced), str(balance.received), str(balance.credited), str(balance.remaining)) == (
        "5000.00", "5000.00", "5000.00", "0.00")


def test_a_deposit_credit_on_a_voided_invoice_returns_to_the_deposit():
    """Issue 8, finding 3 (the domain's half): with the voided invoice's intent no longer among
    the live ones, the re-billed milestone gets its whole pro-rata credit back."""
    s = acme('deposit = { amount = "1000.00", credit = "pro_rata" }')
    project, _ = lc.sign(s.project, at(2026, 11, 2, 15))
    prior: list[InvoiceIntent] = [deposit_intent(project, date(2026, 11, 2))]
    schedule = [replace(m, state=MilestoneState.ACCEPTED) for m in s.milestones]
    issued = bill_in_order(project, schedule, prior, (2,))
    live = [i for i in prior if i is not issued[2]]  # voided in the books
    schedule[1] = replace(schedule[1], state=MilestoneState.ACCEPTED, billed=None, generation=2)

    again = invoice_intent_for(project, schedule, schedule[1], date(2026, 12, 5), prior_intents=live,
                               deposit_received=live[0].total)

    assert [str(line.amount) for line in again.lines if line.kind == "deposit_credit"] == ["-200.00"]
    assert str(deposit_balance(project, live, live[0].total).remaining) == "1000.00"


def test_an_unpaid_deposit_is_not_credited_on_an_accepted_milestone():
    """Issue 8 (deposit as a balance): the deposit was invoiced at signature but nothing was
    received; milestone 2 is accepted. Crediting "Less deposit received" for cash never received
    would take it off the customer's bill twice over (once credited, once still owed)."""
    s = acme('deposit = { amount = "1000.00", credit = "pro_rata" }')
    project, _ = lc.sign(s.project, at(2026, 11, 2, 15))
    prior: list[InvoiceIntent] = [deposit_intent(project, date(2026, 11, 2))]
    schedule = [replace(m, state=MilestoneState.ACCEPTED) for m in s.milestones]

    unpaid = bill_in_order(project, schedule, prior, (2,), received=Money("0.00", USD))[2]

    assert [line.kind for line in unpaid.lines] == ["milestone"]
    balance = deposit_balance(project, prior, Money("0.00", USD))
    assert (str(balance.invoiced), str(balance.received), str(balance.credited)) == ("1000.00", "0.00", "0.00")


def test_a_deposit_received_late_is_credited_on_the_next_invoice_up_to_what_was_received():
    """Pro rata: milestone 2 (20% of the contract) was invoiced before the deposit was paid, so
    it credited nothing; 250.00 of the 1,000.00 then arrived. Milestone 3 (30%) brings the
    credit up to the share billed so far (500.00) but no further than the 250.00 received."""
    s = acme('deposit = { amount = "1000.00", credit = "pro_rata" }')
    project, _ = lc.sign(s.project, at(2026, 11, 2, 15))
    prior: list[InvoiceIntent] = [deposit_intent(project, date(2026, 11, 2))]
    schedule = [replace(m, state=MilestoneState.ACCEPTED) for m in s.milestones]
    bill_in_order(project, schedule, prior, (2,), received=Money("0.00", USD))

    late = bill_in_order(project, schedule, prior, (3,), received=Money("250.00", USD))[3]
    paid = bill_in_order(project, schedule, prior, (1,), received=Money("1000.00", USD))[1]

    assert [(line.description, str(line.amount)) for line in late.lines if line.kind == "deposit_credit"] == [
        ("Less deposit received (250.00)", "-250.00")]
    assert [str(line.amount) for line in paid.lines if line.kind == "deposit_credit"] == ["-350.00"]  # 60% billed


def test_a_final_invoice_takes_off_the_unpaid_deposit_as_still_owed_not_as_received():
    """Credit mode `final`, 2,000.00 of the 5,000.00 deposit received: the final invoice credits
    the 2,000.00 received and takes the other 3,000.00 off as still owed on the deposit invoice,
    so the live invoices add up to the contract total and no more than was received is credited."""
    s = acme('deposit = { percent = "10" }')
    project, _ = lc.sign(s.project, at(2026, 11, 2, 15), "Dana Lee")
    prior: list[InvoiceIntent] = [deposit_intent(project, date(2026, 11, 2))]
    schedule = [replace(m, state=MilestoneState.ACCEPTED) for m in s.milestones]
    received = Money("2000.00", USD)

    final = bill_in_order(project, schedule, prior, (1, 2, 3, 4), received=received)[4]

    assert [(line.kind, str(line.amount)) for line in final.lines[1:]] == [
        ("deposit_credit", "-2000.00"), ("deposit_unpaid", "-3000.00")]
    assert "still owed on the deposit invoice" in final.lines[2].description
    assert sum((i.total for i in prior), Money.zero(USD)) == project.contract_total
    balance = deposit_balance(project, prior, received)
    assert (str(balance.received), str(balance.credited), str(balance.netted), str(balance.remaining)) == (
        "2000.00", "2000.00", "3000.00", "0.00")


def test_retainage_over_released_after_a_void_is_withheld_again_saying_why():
    """Issue 8, finding 4: milestone 4 was billed last and released everything withheld; then
    milestone 1's invoice (which withheld 500.00) was voided in the books. Re-billing milestone 1
    must not leave the live invoices 500.00 above the contract."""
    s = acme('retainage = { steps = [{ percent = "10" }] }')
    project = s.project
    schedule = [replace(m, state=MilestoneState.ACCEPTED) for m in s.milestones]
    prior: list[InvoiceIntent] = []
    issued = bill_in_order(project, schedule, prior, (1, 2, 3, 4))
    assert [(line.kind, str(line.amount)) for line in issued[4].lines[1:]] == [("retainage_release", "3000.00")]
    live = [i for i in prior if i is not issued[1]]
    schedule[0] = replace(schedule[0], state=MilestoneState.ACCEPTED, billed=None, generation=2)

    again = invoice_intent_for(project, schedule, schedule[0], date(2026, 12, 5), prior_intents=live)

    assert sum((i.total for i in [*live, again]), Money.zero(USD)) == project.contract_total
    [withheld] = [line for line in again.lines if line.kind == "retainage"]
    assert str(withheld.amount) == "-500.00"
    assert "released earlier was withheld on an invoice since voided" in withheld.description


def test_issue8_finding12_lines_of_an_invoice_issued_after_a_change_order_cite_it():
    s = acme()
    co = ChangeOrder("CO-1", "Dana Lee", date(2026, 12, 14), "Prototype dropped",
                     change=((3, {"deliverable": "Designs only"}),), contract_total=Money("48000.00", USD))
    project, schedule, _ = apply_change_order(s.project, s.milestones, co)
    m3 = next(m for m in schedule if m.seq == 3)
    m3, _ = lc.accept(project, m3, at(2026, 12, 18, 16), "Dana Lee")

    intent = invoice_intent_for(project, schedule, m3, date(2026, 12, 18))

    first = intent.lines[0].description.split("\n")[0]
    assert first == "Milestone 3: Design approved (per contract dated 2026-11-02, as amended by CO-1 of 2026-12-14)"
    untouched = next(m for m in schedule if m.seq == 4)  # its share of the new total changed too
    assert untouched.amended_by == "CO-1 of 2026-12-14"


def test_no_deposit_is_credited_before_it_is_invoiced_and_a_voided_deposit_is_taken_back():
    """A milestone billed before signature credits nothing; when the deposit invoice is voided
    in the books after an invoice credited it, the next invoice reverses that credit."""
    s = acme('deposit = { amount = "1000.00", credit = "pro_rata" }')
    schedule = [replace(m, state=MilestoneState.ACCEPTED) for m in s.milestones]
    unsigned = invoice_intent_for(s.project, schedule, schedule[0], date(2026, 11, 3))
    assert [line.kind for line in unsigned.lines] == ["milestone"]

    project, _ = lc.sign(s.project, at(2026, 11, 4, 15))
    deposit = deposit_intent(project, date(2026, 11, 4))
    prior: list[InvoiceIntent] = [deposit]
    bill_in_order(project, schedule, prior, (2,))  # credits 200.00
    live = [i for i in prior if i is not deposit]  # the deposit invoice voided in the books

    nxt = invoice_intent_for(project, schedule, schedule[2], date(2026, 12, 5), prior_intents=live)

    [line] = [line for line in nxt.lines if line.kind == "deposit_credit"]
    assert (str(line.amount), line.description) == (
        "200.00", "Deposit credit reversed: 200.00 credited on earlier invoices for a deposit invoice since voided")
