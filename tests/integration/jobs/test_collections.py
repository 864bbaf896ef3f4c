"""After the due date: reminders through the platform's e-mail, late fees once per period, and the
pause-work flag with its signed notification, cleared when paid."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

from sqlalchemy import select, update

from connector.store.models import InvoiceRow, OutboxRow
from jobs.pause_flags import active_flags
from jobs.runner import run_job, sync_all
from jobs.tables import InvoiceReminderRow


def drafted(stack):
    connection, realm = stack.connect_quickbooks()
    stack.import_and_accept("ACME-WEB", connection)
    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    return ctx, realm


def approve_with_due_date(ctx, due: date) -> None:
    """As if the bookkeeper approved and sent the draft (the sync would say `open`)."""
    with ctx.sessions.begin() as session:
        session.execute(update(InvoiceRow).values(status="open", due_date=due))


def test_a_draft_is_never_reminded_and_an_overdue_invoice_once_per_step(stack) -> None:
    ctx, _ = drafted(stack)
    after_week = datetime(2027, 1, 20, 15, tzinfo=UTC)  # due 2027-01-12: 8 days late

    with ctx.sessions.begin() as session:
        session.execute(update(InvoiceRow).values(due_date=date(2027, 1, 12)))
    assert run_job(ctx, "remind", after_week) == {"sent": 0, "failed": 0}  # still a draft

    approve_with_due_date(ctx, date(2027, 1, 12))
    first = run_job(ctx, "remind", after_week)
    again = run_job(ctx, "remind", after_week)

    assert (first, again) == ({"sent": 1, "failed": 0}, {"sent": 0, "failed": 0})
    with ctx.sessions() as session:
        assert list(session.scalars(select(InvoiceReminderRow.kind))) == ["after_7"]


def test_a_late_fee_is_queued_once_per_started_month_and_becomes_its_own_draft(stack) -> None:
    ctx, _ = drafted(stack)
    approve_with_due_date(ctx, date(2027, 1, 1))  # grace 5 days in the demo's policy
    in_month_one = datetime(2027, 1, 20, 15, tzinfo=UTC)
    in_month_two = datetime(2027, 2, 10, 15, tzinfo=UTC)

    counts = [run_job(ctx, "charge_late_fees", at)["queued"] for at in (in_month_one, in_month_one, in_month_two)]
    run_job(ctx, "drain_outbox")

    assert counts == [1, 0, 1]
    with ctx.sessions() as session:
        keys = list(session.scalars(select(OutboxRow.idempotency_key).where(OutboxRow.idempotency_key.like("%late-fee%"))))
        fees = list(session.scalars(select(InvoiceRow.total).where(InvoiceRow.outbox_id.in_(
            select(OutboxRow.id).where(OutboxRow.idempotency_key.like("%late-fee%"))))))
    assert [k.rsplit(":", 1)[1] for k in keys] == ["1", "2"]
    assert fees == [Decimal("150.00"), Decimal("150.00")]  # 1.5% of 10,000.00 each month


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((body, self.headers.get("X-Milepost-Signature", "")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_pause_work_flag_is_raised_signed_and_clears_itself_when_paid(stack) -> None:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Receiver.received = []
    try:
        ctx, realm = drafted(stack)
        ctx.pause_webhook_url = f"http://127.0.0.1:{server.server_port}/hook"
        ctx.pause_webhook_secret = "shared-secret"
        approve_with_due_date(ctx, date(2026, 12, 1))
        late = datetime(2026, 12, 20, 15, tzinfo=UTC)  # 19 days overdue; threshold 15

        flagged = run_job(ctx, "flag_pause_work", late)
        with ctx.sessions() as session:
            flags = active_flags(session)
        [invoice] = stack.invoices()
        stack.sandbox.control.record_payment(realm, invoice.platform_id)
        sync_all(ctx)
        cleared = run_job(ctx, "flag_pause_work", late)
        with ctx.sessions() as session:
            after = active_flags(session)
    finally:
        server.shutdown()
        server.server_close()

    assert flagged == {"flagged": 1, "cleared": 0}
    assert "19 days overdue" in flags["ACME-WEB"]
    assert cleared == {"flagged": 0, "cleared": 1}
    assert after == {}
    notices = [json.loads(body) for body, _ in Receiver.received]
    assert [(n["project"], n["paused"]) for n in notices] == [("ACME-WEB", True), ("ACME-WEB", False)]
    for body, signature in Receiver.received:
        expected = base64.b64encode(hmac.new(b"shared-secret", body, hashlib.sha256).digest()).decode()
        assert hmac.compare_digest(signature, expected)


def test_every_overdue_period_is_charged_even_one_in_which_the_job_did_not_run(stack) -> None:
    """Issue 8, finding 10: the job first runs in the third started month of lateness; the two
    months in which it did not run are still owed, each once, and never again."""
    ctx, _ = drafted(stack)
    approve_with_due_date(ctx, date(2027, 1, 1))  # grace 5 days: month 1 starts 2027-01-07
    in_month_three = datetime(2027, 3, 10, 15, tzinfo=UTC)

    counts = [run_job(ctx, "charge_late_fees", in_month_three)["queued"] for _ in range(2)]

    assert counts == [3, 0]
    with ctx.sessions() as session:
        keys = sorted(session.scalars(select(OutboxRow.idempotency_key).where(
            OutboxRow.idempotency_key.like("%late-fee%"))))
    assert [k.rsplit(":", 1)[1] for k in keys] == ["1", "2", "3"]
