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


def _import_linked(stack, connection: int) -> None:
    stack.api("POST", "/schedules", {**schedule_json("ACME-WEB"), "connection": connection})


def test_a_file_quickbooks_would_refuse_fails_the_submit_never_the_invoice(stack, milepost, tmp_path) -> None:
    """Issue 9 finding 6: QuickBooks accepts listed types only (the list and its sources are in
    mappings.attachments): a .zip fails the submit, not the draft afterwards."""
    connection, _ = stack.connect_quickbooks()
    _import_linked(stack, connection)
    (tmp_path / "designs.zip").write_bytes(b"PK\x05\x06" + bytes(18))

    refused = milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", "designs.zip")

    assert refused.code == 1
    assert "[file_type_not_accepted]" in refused.err
    assert "QuickBooks" in refused.err
    (tmp_path / "designs.pdf").write_bytes(PDF)
    assert milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", "designs.pdf").code == 0
    assert milepost("milestone", "accept", "ACME-WEB", "1", "--by", "Dana Lee").code == 0
    run_job(stack.context(), "drain_outbox")
    [invoice] = stack.invoices()
    assert [name for name, _ in _quickbooks_files(stack, connection, invoice.platform_id)] == ["designs.pdf"]
    assert stack.outbox_statuses() == ["done"]


def test_ten_files_xero_accepts_reach_the_invoice_and_an_eleventh_is_refused_at_submit(
    stack, milepost, tmp_path,
) -> None:
    """Xero: at most 10 files per document, 10 MB each (mappings.attachments); a .zip is a type
    Xero takes, so a project linked to Xero may send one."""
    [(connection, _), *_] = stack.connect_xero()
    _import_linked(stack, connection)
    names = [f"sheet-{n}.pdf" for n in range(9)] + ["designs.zip"]
    for name in names:
        (tmp_path / name).write_bytes(PDF)
    (tmp_path / "extra.pdf").write_bytes(PDF)

    assert milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", *names).code == 0
    eleventh = milepost("milestone", "accept", "ACME-WEB", "1", "--evidence", "extra.pdf")
    assert eleventh.code == 1
    assert "[too_many_files]" in eleventh.err
    assert milepost("milestone", "accept", "ACME-WEB", "1", "--by", "Dana Lee").code == 0

    run_job(stack.context(), "drain_outbox")

    assert stack.outbox_statuses() == ["done"]
    [invoice] = stack.invoices()
    xero = stack.context().gateway_for(connection)
    assert sorted(xero.attachment_names(invoice.platform_id)) == sorted(names)  # type: ignore[attr-defined]
