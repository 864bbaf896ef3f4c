"""The sandbox's Change Data Capture caps an answer the way Intuit's does (issue 9, finding 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from quickbooks.cdc import change_data_capture
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment

from tests.sandbox_books import change_other_invoices, pay_in_parts

from .quickbooks_support import new_customer, new_invoice


def test_cdc_answers_at_most_1000_objects_in_total_across_entities(sandbox, qb):
    """Intuit's Change Data Capture reference: "Server responses can handle a maximum of 1,000
    objects" - for the whole answer, not per entity."""
    since = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "900.00")
    change_other_invoices(sandbox.state, qb.company_id, 600)
    pay_in_parts(sandbox.state, qb.company_id, [invoice.Id], 500, "1.00")

    changes = change_data_capture([Invoice, Payment], since, qb=qb)
    payments_alone = change_data_capture([Payment], since, qb=qb)

    assert len(changes.Invoice) + len(changes.Payment) == 1000
    assert len(changes.Payment) < 500
    assert len(payments_alone.Payment) == 500
