"""What each audit event led to: the invoice an acceptance queued, a credit note, a void."""

from __future__ import annotations

from connector.billing.history import InvoiceRef, project_history
from connector.billing.model import AuditEvent, MilestoneState

from .conftest import at

S = MilestoneState
KEY = "milepost:ACME-WEB:2:1"


def event(kind: str, seq: int | None = 2, **data: str) -> AuditEvent:
    return AuditEvent("ACME-WEB", seq, kind, at(2026, 11, 20, 15), "Dana Lee", data=data)


def led_to(events: list[AuditEvent], invoices=None, queued=None) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.led_to for h in project_history(events, invoices or {}, queued or {})]


TRAIL = [event("submitted"), event("accepted"), event("invoice_due", idempotency_key=KEY, amount="246.91")]


def test_an_acceptance_leads_to_the_invoice_its_intent_became():
    assert led_to(TRAIL, {KEY: InvoiceRef("1041", "xero", "partially_paid")}) == [
        "", "invoice 1041 (xero, partially paid)", "invoice 1041 (xero, partially paid)"]
    assert led_to(TRAIL, queued={KEY: "failed"}) == ["", "invoice queued (failed)", "invoice queued (failed)"]


def test_an_acceptance_is_not_credited_with_a_later_cycles_invoice():
    trail = [event("accepted"), event("voided"), event("reopened"), event("accepted"),
             event("invoice_due", idempotency_key="milepost:ACME-WEB:2:2")]
    found = led_to(trail, {"milepost:ACME-WEB:2:2": InvoiceRef("1050", "quickbooks", "open")})
    assert found[0] == ""
    assert found[3] == "invoice 1050 (quickbooks, open)"


def test_a_credit_asked_for_names_the_credit_note_once_the_books_made_it():
    asked = event("credit_requested", invoice="1041", idempotency_key="credit-1", amount="50.00")
    assert led_to([asked]) == ["credit queued on invoice 1041"]
    issued = event("credit_issued", invoice_id="qb-1041", credit_note="77", credit_number="CM-7",
                   idempotency_key="credit-1")
    assert led_to([asked, issued]) == ["credit note CM-7 on invoice 1041", "credit note CM-7 on invoice qb-1041"]


def test_a_void_names_the_invoice_and_the_table_line_says_the_move():
    voided = AuditEvent("ACME-WEB", 2, "voided", at(2026, 11, 25, 15), "Sam", S.INVOICED, S.VOIDED,
                        reason="CO-2 removed the milestone", data={"number": "1041", "invoice_id": "qb-1041"})
    entry = project_history([voided], {KEY: InvoiceRef("1041", "quickbooks", "voided")}, {})[0]
    assert entry.led_to == "invoice 1041 (quickbooks, voided)"
    assert entry.what == "voided (invoiced -> voided)"
    assert entry.as_json()["reason"] == "CO-2 removed the milestone"
