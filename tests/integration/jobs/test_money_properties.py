"""Whatever happens to a contract, in whatever order, on either platform, the money adds up.

Issue 8's property: random sequences of signature, submission, acceptance, partial acceptance,
progress steps (milestone 3 bills by progress), change orders, credits and voids from Milepost,
voids in the books and payments are run against the sandbox through the API, the store and the
worker (drain, then sync, after every step). After each step:
- per milestone, what its live invoices bill for it, less its credits, is what it says it billed;
- the sum billed never exceeds the contract total;
- deposit credited never exceeds deposit received (the cash on the deposit invoice in the books,
  on its before-tax basis), and the report's deposit `received` says so;
- retainage released never exceeds retainage withheld;
- the report's `paid` is, to the cent, the cash the sandbox's books hold against the project's
  invoices;
- every Xero credit note is allocated in full.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connector.billing import change_orders
from connector.billing.intents import received_net
from connector.billing.lifecycle import intent_gross
from connector.billing.model import ChangeOrder, Milestone
from connector.billing.money import Money
from connector.billing.progress import record_progress
from connector.platforms.limits import Budget, RateGate
from connector.store import credits, service
from connector.store.billing import biller
from connector.store.db import transaction
from connector.store.models import InvoiceRow, OutboxRow, ProjectRow
from connector.store.repository import BillingRepository
from jobs.runner import run_job, sync_all
from tests.jobs_harness import API_KEY, schedule_json

pytestmark = pytest.mark.slow
PROGRESS = 3  # the milestone billed by progress steps
# Every step drains and syncs, and the examples share a connection: with the real budgets a sync
# is held back (skipped) within a minute and the report lags the books, which is not what this
# test is about. The sandbox's own limits are off for the module (`unlimited`).
ROOMY = {"quickbooks": Budget(rates=("100000/minute",), concurrency=8),
         "xero": Budget(rates=("100000/minute",), concurrency=4)}

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["sign", "submit", "accept", "partial", "progress", "change", "credit", "void",
                         "void_in_books", "pay", "pay_part"]),
        st.integers(min_value=1, max_value=5),  # milestone
        st.integers(min_value=10, max_value=90),  # percent (partial) or share paid
    ),
    min_size=4,
    max_size=9,
)


@pytest.fixture(autouse=True)
def unlimited(sandbox):
    sandbox.control.set_rate_limits(False)
    yield
    sandbox.control.set_rate_limits(True)


def post(stack, path: str, body: dict[str, Any]) -> int:
    """The API call a project tool would make; a refusal (4xx) is a step that did not happen."""
    answer = requests.post(f"{stack.url}/api/v1{path}", json=body, timeout=30,
                           headers={"Authorization": f"Bearer {API_KEY}"})
    assert answer.status_code < 500, answer.text
    return answer.status_code


class Contract:
    """One project on one platform's books, and the steps a person takes on it."""

    def __init__(self, stack, platform: str, connection: int, company: str) -> None:
        self.stack, self.platform, self.connection, self.company = stack, platform, connection, company
        self.key = f"P{uuid.uuid4().hex[:8].upper()}"
        data = schedule_json(self.key, deposit=True)
        data["project"]["deposit"] = {"percent": "10", "credit": "pro_rata"}
        data["project"]["retainage_percent"] = "10"
        data["milestones"][PROGRESS - 1]["billing"] = "progress"
        assert post(stack, "/schedules", {**data, "connection": connection}) < 300
        self.ctx = stack.context()
        self.ctx.gate = RateGate(budgets=ROOMY)  # rate holds have tests of their own (test_rate_holds)

    def invoices(self) -> list[InvoiceRow]:
        with self.stack.reading() as session:
            project = session.query(ProjectRow).filter_by(key=self.key).one()
            return list(session.query(InvoiceRow).filter_by(project_id=project.id).order_by(InvoiceRow.id))

    def _is_deposit(self, invoice: InvoiceRow) -> bool:
        with self.stack.reading() as session:
            key = session.scalar(select(OutboxRow.idempotency_key).where(OutboxRow.id == invoice.outbox_id))
        return bool(key and key.endswith(":deposit:1"))

    def milestones(self) -> list[Milestone]:
        with self.stack.reading() as session:
            return BillingRepository(session).load(self.key)[1]

    def live(self) -> list[InvoiceRow]:
        return [i for i in self.invoices() if i.status not in ("voided", "deleted")]

    def step(self, action: str, seq: int, share: int) -> None:
        at = datetime.now(UTC)
        path = f"/projects/{self.key}/milestones/{seq}"
        if action == "sign":
            with transaction(self.ctx.sessions) as session:
                try:
                    service.sign_project(session, self.key, at, "Dana Lee", biller(at))
                except Exception:  # noqa: BLE001 - signed already: the step did not happen
                    session.rollback()
        elif action == "submit":
            post(self.stack, f"{path}/submit", {"by": "Sam", "evidence": ["requirements document"]})
        elif action == "accept":
            post(self.stack, f"{path}/accept", {"by": "Dana Lee"})
        elif action == "partial":
            post(self.stack, f"{path}/partial", {"by": "Dana Lee", "percent": str(share)})
        elif action == "progress":
            self._progress(share)
        elif action == "void":
            post(self.stack, f"{path}/void", {"reason": "scope changed", "reopen": True})
        elif action == "change":
            self._change_order(seq, share)
        elif action == "credit":
            self._credit(seq, share)
        elif self.live():
            self._in_the_books(action, share)
        run_job(self.ctx, "drain_outbox")
        sync_all(self.ctx)

    def _progress(self, share: int) -> None:
        """`milepost milestone progress KEY 3 --percent P`: P is the share drawn, moved past the
        percent already complete so a step always goes forward (100% at most)."""
        at = datetime.now(UTC)
        [current] = [m for m in self.milestones() if m.seq == PROGRESS]
        percent = min(current.percent_complete + share, Decimal(100))
        with transaction(self.ctx.sessions) as session:
            try:
                service.transition(
                    session, self.key, PROGRESS,
                    lambda p, m, schedule: record_progress(p, m, at, "Dana Lee", percent, ["site photos"],
                                                           schedule=schedule),
                    bill=biller(at))
            except Exception:  # noqa: BLE001 - refused (complete, voided, invoiced): nothing changed
                session.rollback()

    def _change_order(self, seq: int, share: int) -> None:
        with transaction(self.ctx.sessions) as session:
            project, _ = BillingRepository(session).load(self.key)
            total = project.contract_total + Money(Decimal(share * 100), project.currency)
            order = ChangeOrder(reference=f"CO-{share}", approver="Dana Lee", on=date.today(),
                                reason="more pages", contract_total=total)
            try:
                service.apply_change_order(session, self.key, order, change_orders.apply_change_order)
            except Exception:  # noqa: BLE001 - refused (an invoiced milestone): nothing changed
                session.rollback()

    def _credit(self, seq: int, share: int) -> None:
        """`milepost invoice credit` of a share of what is still owed on the milestone's invoice."""
        rows = self.stack.api("GET", f"/projects/{self.key}/report")["milestones"]
        invoice = next((r["invoice"] for r in rows if r["seq"] == seq and r["invoice"]), None)
        if invoice is None or Decimal(invoice["balance"]) <= 0:
            return
        if self.platform == "xero" and invoice["status"] == "draft":
            self.stack.sandbox.control.xero(f"invoices/{invoice['id']}/authorise", self.company)
            sync_all(self.ctx)
        amount = (Decimal(invoice["balance"]) * share / 100).quantize(Decimal("0.01"))
        if amount > 0:
            post(self.stack, f"/projects/{self.key}/milestones/{seq}/credit",
                 {"amount": str(amount), "reason": "goodwill", "by": "Dana Lee"})

    def _in_the_books(self, action: str, share: int) -> None:
        control = self.stack.sandbox.control
        invoice = self.live()[share % len(self.live())]
        if action == "void_in_books":
            # both platforms refuse to void an invoice with payments applied; a deposit invoice
            # voided after later invoices credited it is corrected on the next invoice
            # (test_intents), so the books here void milestone invoices only
            if invoice.amount_paid == 0 and not self._is_deposit(invoice):
                if self.platform == "quickbooks":
                    control.void_invoice(self.company, invoice.platform_id)
                else:  # Xero voids an approved invoice and deletes a draft
                    verb = "delete" if invoice.status == "draft" else "void"
                    control.xero(f"invoices/{invoice.platform_id}/{verb}", self.company)
            return
        if self.platform == "xero" and invoice.status == "draft":
            control.xero(f"invoices/{invoice.platform_id}/authorise", self.company)
        amount = (invoice.balance * share / 100).quantize(Decimal("0.01")) if action == "pay_part" else None
        if invoice.balance <= 0 or amount == 0:
            return
        if self.platform == "quickbooks":
            control.record_payment(self.company, invoice.platform_id,
                                   amount=str(amount) if amount else None)
        else:
            control.xero("payments", self.company, invoice_id=invoice.platform_id,
                         **({"amount": str(amount)} if amount else {}))

    # -- what must hold ----------------------------------------------------------------------
    def check(self) -> None:
        with self.stack.reading() as session:
            repo = BillingRepository(session)
            project, milestones = repo.load(self.key)
            live = repo.queued_intents(self.key)
            credited = credits.credited(session, self.key)
        zero = Money.zero(project.currency)
        for m in milestones:
            invoiced = sum((intent_gross(i, m.seq) for i in live), zero) - credited.get(m.seq, zero)
            assert invoiced == (m.billed or zero), \
                f"milestone {m.seq}: invoices less credits bill {invoiced}, it says {m.billed}"
        assert sum((m.billed or zero for m in milestones), zero) <= project.contract_total

        def lines(kind: str) -> Money:
            return sum((line.amount for i in live for line in i.lines if line.kind == kind), zero)

        received = self.deposit_received_in_the_books(lines("deposit"))
        assert -lines("deposit_credit") <= received, f"deposit credited {-lines('deposit_credit')}, received {received}"
        assert lines("retainage_release") <= -lines("retainage"), "more retainage released than held"
        report = self.stack.api("GET", f"/projects/{self.key}/report")
        if report["deposit"] is not None:
            assert Decimal(report["deposit"]["received"]) == received.amount
        assert Decimal(report["paid"]) == self.cash_in_the_books()
        if self.platform == "xero":
            for note in self.books("CreditNotes"):
                assert Decimal(str(note.get("RemainingCredit", 0))) == 0, f"credit note {note['CreditNoteID']} unallocated"

    def books(self, collection: str) -> list[dict[str, Any]]:
        state = self.stack.sandbox.state
        with state.lock:
            return list(state.xero.organisation(self.company).all(collection))

    def deposit_received_in_the_books(self, invoiced: Money) -> Money:
        """The cash on the live deposit invoice, as the share of its total (tax included) paid
        times what was invoiced before tax."""
        deposit = [i for i in self.live() if self._is_deposit(i)]
        if not deposit or invoiced.amount <= 0:
            return Money.zero(invoiced.currency)
        return received_net(invoiced, Money(deposit[0].total, invoiced.currency),
                            Money(self.cash_in_the_books({deposit[0].platform_id}), invoiced.currency))

    def cash_in_the_books(self, ids: set[str] | None = None) -> Decimal:
        ids = ids if ids is not None else {i.platform_id for i in self.invoices()}
        state = self.stack.sandbox.state
        if self.platform == "quickbooks":
            with state.lock:
                payments = list(state.quickbooks.company(self.company).table("Payment").values())
            # a credit memo applied by a zero-total Payment is a line of its own: not cash
            return sum((Decimal(str(line["Amount"])) * (-1 if link.get("TxnType") == "CreditMemo" else 1)
                        for p in payments if any(str(link.get("TxnId")) in ids for line in p.get("Line", [])
                                                 for link in line.get("LinkedTxn", []))
                        for line in p.get("Line", []) for link in line.get("LinkedTxn", [])[:1]
                        if link.get("TxnType") in ("Invoice", "CreditMemo")), Decimal(0))
        return sum((Decimal(str(p["Amount"])) for p in self.books("Payments")
                    if str((p.get("Invoice") or {}).get("InvoiceID")) in ids
                    and p.get("Status", "AUTHORISED") != "DELETED"), Decimal(0))


def connected(stack, platform: str) -> tuple[int, str]:
    """One connection per test (hypothesis runs its examples against the same stack)."""
    made = getattr(stack, "money_connection", None)
    if made is None:
        made = stack.connect_quickbooks() if platform == "quickbooks" else stack.connect_xero()[0]
        stack.money_connection = made
    return made


@pytest.mark.parametrize("platform", ["quickbooks", "xero"])
@settings(max_examples=6, deadline=None, derandomize=True,  # the same draws every run: CI never flakes on a new one
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
@example(steps=[("sign", 1, 10), ("submit", 1, 50), ("accept", 1, 50), ("pay_part", 1, 41),
                ("credit", 1, 50), ("credit", 1, 30)])  # always two credits, on a partly paid invoice
@example(steps=[("sign", 1, 10), ("progress", 3, 40), ("pay_part", 1, 50), ("progress", 3, 30),
                ("pay", 1, 0), ("progress", 3, 90)])  # a deposit paid late, credited by later progress steps
def test_the_money_adds_up_after_every_step(stack, platform, steps) -> None:
    connection, company = connected(stack, platform)
    contract = Contract(stack, platform, connection, company)
    for action, seq, share in steps:
        contract.step(action, seq, share)
        contract.check()


@pytest.mark.parametrize("platform", ["xero", "quickbooks"])
def test_a_milepost_void_of_a_partly_paid_invoice_keeps_the_money_adding_up(stack, platform) -> None:
    """Once reported from a property-test run: after `invoice void` of a partly paid Xero
    invoice (its unpaid balance credited, the cash kept), "invoiced - credited = billed" broke
    for the milestone. The steps alone, checked after each, and the milestone billed again."""
    connection, company = connected(stack, platform)
    contract = Contract(stack, platform, connection, company)
    for action, seq, share in [("sign", 1, 10), ("submit", 1, 50), ("accept", 1, 50),
                               ("pay_part", 1, 41),  # 41 % 2 live invoices: milestone 1's, not the deposit's
                               ("void", 1, 50), ("submit", 1, 50), ("accept", 1, 50), ("submit", 2, 50),
                               ("accept", 2, 50), ("pay", 1, 2)]:
        contract.step(action, seq, share)
        contract.check()
    milestone = next(m for m in contract.milestones() if m.seq == 1)
    assert (milestone.generation, str(milestone.billed)) == (2, "10000.00")
    paid = [i for i in contract.invoices() if i.amount_paid > 0]
    assert paid, "the partial payment stays recorded on the voided invoice"
