"""Issue 9 finding 7: project keys `X:WEB` and `X-WEB` gave the same QuickBooks DocNumber, so
the second invoice was refused with 6140 (duplicate document number; the sandbox refuses
duplicates as a company with "warn if duplicate" does) and failed for good."""

from __future__ import annotations

from jobs.runner import run_job
from tests.jobs_harness import books_invoice


def test_keys_that_differ_by_a_colon_and_a_dash_both_invoice(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    stack.import_and_accept("X:WEB", connection)
    stack.import_and_accept("X-WEB", connection)

    run_job(stack.context(), "drain_outbox")

    invoices = stack.invoices()
    numbers = [books_invoice(stack.sandbox, realm, invoice.platform_id)["DocNumber"] for invoice in invoices]
    assert stack.outbox_statuses() == ["done", "done"]
    assert len(set(numbers)) == 2
    assert "X-WEB-1-1" in numbers  # the plain key keeps the number it always had
    assert all(len(number) <= 21 for number in numbers)
