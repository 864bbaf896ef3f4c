"""Issue 9 finding 7: project keys `X:WEB` and `X-WEB` gave the same QuickBooks DocNumber, so
the second invoice was refused with 6140 (duplicate document number; the sandbox refuses
duplicates as a company with "warn if duplicate" does) and failed for good.

Both fixes the issue allows are in: keys are restricted (issue 11's key rule refuses `:`), and
DocNumbers are derived injectively (`mappings.quickbooks.doc_number_for`), so keys that a
DocNumber must shorten or clean still get numbers of their own."""

from __future__ import annotations

import requests

from jobs.runner import run_job
from tests.jobs_harness import API_KEY, books_invoice, schedule_json


def test_a_key_with_a_colon_is_refused_naming_the_rule(stack) -> None:
    answer = requests.post(f"{stack.url}/api/v1/schedules", json=schedule_json("X:WEB"), timeout=30,
                           headers={"Authorization": f"Bearer {API_KEY}"})

    assert answer.status_code == 400
    assert {(p["field"], p["rule"]) for p in answer.json()["errors"]} == {("project.key", "bad_key")}


def test_keys_a_doc_number_must_shorten_alike_both_invoice(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    long_a, long_b = "ACME-WEBSITE-REDESIGN-2026-A", "ACME-WEBSITE-REDESIGN-2026-B"
    for key in (long_a, long_b, "X-WEB"):
        stack.import_and_accept(key, connection)

    run_job(stack.context(), "drain_outbox")

    numbers = [books_invoice(stack.sandbox, realm, invoice.platform_id)["DocNumber"] for invoice in stack.invoices()]
    assert stack.outbox_statuses() == ["done", "done", "done"]
    assert len(set(numbers)) == 3
    assert "X-WEB-1-1" in numbers  # a short plain key keeps the number it always had
    assert all(len(number) <= 21 for number in numbers)
