"""The customer reads the seed's wording on the invoice itself, on both platforms."""

from __future__ import annotations

import pytest

from jobs.runner import run_job
from tests.jobs_harness import books_invoice, schedule_json

SEED = [
    "Milestone 1: Discovery complete (per contract dated 2026-11-02)\n"
    "Deliverable: Requirements document v1.3, scope summary, timeline, "
    "accepted 2026-11-20 by Dana Lee (Project lead)",
    "Approval window: 3 business days | Payment terms: Net 7",
]


def _accept_milestone_one(stack, milepost, connection: int, folder) -> None:
    stack.api("POST", "/schedules", {**schedule_json("ACME-WEB"), "connection": connection})
    (folder / "requirements.pdf").write_bytes(b"%PDF-1.4 requirements")
    assert milepost("milestone", "submit", "ACME-WEB", "1", "--at", "2026-11-18T10:00:00-05:00",
                    "--evidence", str(folder / "requirements.pdf")).code == 0
    assert milepost("milestone", "accept", "ACME-WEB", "1", "--by", "Dana Lee",
                    "--at", "2026-11-20T15:00:00-05:00").code == 0


def test_quickbooks_invoice_lines_read_the_seed_wording_and_the_memo_is_printed(stack, milepost, tmp_path) -> None:
    connection, realm = stack.connect_quickbooks()
    _accept_milestone_one(stack, milepost, connection, tmp_path)

    run_job(stack.context(), "drain_outbox")

    [invoice] = stack.invoices()
    books = books_invoice(stack.sandbox, realm, invoice.platform_id)
    printed = [line["Description"] for line in books["Line"] if line["DetailType"] != "SubTotalLineDetail"]
    assert printed == SEED
    assert books["Line"][1]["DetailType"] == "DescriptionOnly"
    assert SEED[1] in books["CustomerMemo"]["value"]
    assert "Milepost key: milepost:ACME-WEB:1:1" in books["PrivateNote"]
    assert invoice.total == books["TotalAmt"] == pytest.approx(10000)


def test_xero_invoice_has_the_memo_as_a_line_without_an_amount(stack, milepost, tmp_path) -> None:
    [(connection, _), *_] = stack.connect_xero()
    _accept_milestone_one(stack, milepost, connection, tmp_path)

    run_job(stack.context(), "drain_outbox")

    [invoice] = stack.invoices()
    stored = stack.context().gateway_for(connection).get_invoice(invoice.platform_id)  # type: ignore[attr-defined]
    assert [line.description for line in stored.line_items] == SEED
    assert stored.line_items[1].line_amount == 0
    assert stored.total == invoice.total
    assert stored.reference.endswith("[milepost:ACME-WEB:1:1]")
