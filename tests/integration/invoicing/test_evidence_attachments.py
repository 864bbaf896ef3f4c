"""Evidence given when a milestone is submitted travels to the customer's books with its invoice."""

from __future__ import annotations

import requests

from jobs.runner import run_job
from tests.jobs_harness import schedule_json

PDF = b"%PDF-1.4 requirements document v1.3, signed off\n"


def _submit_with_evidence_and_accept(stack, milepost, tmp_path, connection: int) -> None:
    stack.api("POST", "/schedules", {**schedule_json("ACME-WEB"), "connection": connection})
    evidence = tmp_path / "requirements-v1.3.pdf"
    evidence.write_bytes(PDF)
    assert milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", str(evidence)).code == 0
    assert milepost("milestone", "accept", "ACME-WEB", "1", "--by", "Dana Lee").code == 0


def _quickbooks_files(stack, connection: int, invoice_id: str) -> list[tuple[str, bytes]]:
    qbo = stack.context().gateway_for(connection)
    rows = qbo.query("SELECT * FROM Attachable", "Attachable")  # type: ignore[attr-defined]
    on_invoice = [a for a in rows if any(r["EntityRef"]["value"] == invoice_id for r in a["AttachableRef"])]
    return [(a["FileName"], requests.get(a["TempDownloadUri"], timeout=10).content) for a in on_invoice]


def test_evidence_submitted_from_the_cli_is_attached_to_the_quickbooks_invoice(stack, milepost, tmp_path) -> None:
    connection, _ = stack.connect_quickbooks()
    _submit_with_evidence_and_accept(stack, milepost, tmp_path, connection)

    run_job(stack.context(), "drain_outbox")

    [invoice] = stack.invoices()
    assert _quickbooks_files(stack, connection, invoice.platform_id) == [("requirements-v1.3.pdf", PDF)]


def test_evidence_is_attached_to_the_xero_invoice(stack, milepost, tmp_path) -> None:
    [(connection, _), *_] = stack.connect_xero()
    _submit_with_evidence_and_accept(stack, milepost, tmp_path, connection)

    run_job(stack.context(), "drain_outbox")

    [invoice] = stack.invoices()
    xero = stack.context().gateway_for(connection)
    assert list(xero.attachment_names(invoice.platform_id)) == ["requirements-v1.3.pdf"]  # type: ignore[attr-defined]


def test_an_upload_whose_answer_is_lost_is_not_attached_twice(stack, milepost, tmp_path) -> None:
    connection, realm = stack.connect_quickbooks()
    _submit_with_evidence_and_accept(stack, milepost, tmp_path, connection)
    stack.sandbox.control.set_fault("quickbooks", "timeout_after_commit", company=realm,
                                    endpoint="POST upload", count=1)

    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    run_job(ctx, "drain_outbox")  # whatever the first run left to retry

    [invoice] = stack.invoices()
    assert [name for name, _ in _quickbooks_files(stack, connection, invoice.platform_id)] == ["requirements-v1.3.pdf"]
    assert stack.outbox_statuses() == ["done"]
    assert [rule["fired"] for rule in stack.sandbox.control.faults()] == [1]
