"""Issue 9 finding 9: a sync log people can act on.

The admin log kept the last 25 runs and an idle `drain_outbox` recorded one every 2 s, so a
failed daily job was off the page within a minute. Now idle runs are not recorded, a failure
stays listed until a later run of the same job goes well, each connection shows its last good
sync and what syncs brought home, and failed intents have a Retry button (and `milepost retry`).
"""

from __future__ import annotations

import html

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connector.cli import main
from connector.sandbox.quickbooks.books import Company
from connector.store.models import JobRunRow, OutboxRow
from connector.web import create_app
from jobs import runner
from jobs.runner import run_job, run_sync
from tests.jobs_harness import schedule_json
from tests.people import signed_in_client


def signed_in(stack) -> tuple[FlaskClient, str]:
    """An admin's browser on the stack's database, and its CSRF token."""
    client = signed_in_client(create_app(stack.settings, environ={}))
    with client.session_transaction() as session:
        return client, str(session["csrf"])


def admin_page(stack) -> str:
    client, _ = signed_in(stack)
    return html.unescape(client.get("/admin/").get_data(as_text=True))


def section(page: str, marker: str) -> str:
    return page.split(marker, 1)[1].split("</table>", 1)[0] if marker in page else ""


def runs_of(stack, job: str) -> int:
    with stack.reading() as session:
        return int(session.scalar(select(func.count()).select_from(JobRunRow).where(JobRunRow.job == job)) or 0)


def test_a_failed_daily_job_stays_listed_after_a_hundred_idle_drains(stack, monkeypatch) -> None:
    stack.connect_quickbooks()
    ctx = stack.context()

    def unreadable(ctx, now):  # type: ignore[no-untyped-def]
        raise RuntimeError("late fee policy table unreadable")

    monkeypatch.setitem(runner.JOBS, "charge_late_fees", unreadable)
    run_job(ctx, "charge_late_fees")
    for _ in range(100):
        run_job(ctx, "drain_outbox")

    failures = section(admin_page(stack), 'id="standing-failures"')
    assert "charge_late_fees" in failures
    assert "RuntimeError: late fee policy table unreadable" in failures
    assert runs_of(stack, "drain_outbox") == 0  # idle runs are not recorded

    monkeypatch.undo()
    run_job(ctx, "charge_late_fees")  # goes well (with nothing to charge)

    assert "charge_late_fees" not in section(admin_page(stack), 'id="standing-failures"')


def test_each_connection_shows_its_last_good_sync_and_what_syncs_brought_home(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    ctx, invoice = stack.drafted("LOG-WEB", connection)
    stack.sandbox.control.record_payment(realm, invoice.platform_id, amount="100.00")

    run_sync(ctx, connection)

    line = section(admin_page(stack), 'id="connection-syncs"')
    assert "Milepost Builders (US)" in line
    assert "never" not in line
    assert "payments 1" in line


def failed_for_a_missing_item(stack) -> tuple[int, str, int]:
    """An intent booked against an item the company does not have: it fails at once."""
    connection, realm = stack.connect_quickbooks()
    data = schedule_json("RETRY-WEB")
    data["project"]["mapping"] = {"sales_item": "Landscaping"}
    stack.api("POST", "/schedules", {**data, "connection": connection})
    stack.api("POST", "/projects/RETRY-WEB/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    stack.api("POST", "/projects/RETRY-WEB/milestones/1/accept", {"by": "Dana Lee"})
    run_job(stack.context(), "drain_outbox")
    assert stack.outbox_statuses() == ["failed"]
    with stack.reading() as session:
        intent_id = session.scalars(select(OutboxRow.id)).one()
    return connection, realm, intent_id


def add_item(stack, realm: str, name: str) -> None:
    """The bookkeeper creates the missing item in QuickBooks."""
    state = stack.sandbox.state
    with state.lock:
        company: Company = state.quickbooks.company(realm)
        company.put("Item", {"Id": company.new_id(), "Name": name, "FullyQualifiedName": name, "Type": "Service",
                             "UnitPrice": 0, "IncomeAccountRef": {"value": "1"}, "Active": True,
                             "SyncToken": "0"}, state.clock.now(), created=True)


def test_the_retry_button_re_queues_a_failed_intent_and_it_is_invoiced_once(stack) -> None:
    _, realm, intent_id = failed_for_a_missing_item(stack)
    client, csrf = signed_in(stack)
    listed = section(html.unescape(client.get("/admin/").get_data(as_text=True)), 'id="failed-intents"')
    add_item(stack, realm, "Landscaping")

    pressed = client.post(f"/admin/intents/{intent_id}/retry", data={"csrf": csrf})
    queued = stack.outbox_statuses()
    run_job(stack.context(), "drain_outbox")

    assert "milepost:RETRY-WEB:1:1" in listed
    assert "Landscaping" in listed  # the platform's reason, beside the button
    assert pressed.status_code == 302
    assert queued == ["pending"]
    assert stack.outbox_statuses() == ["done"]
    assert len(stack.invoices()) == 1


@pytest.mark.parametrize("how", [["--all-failed"], ["INTENT"]])
def test_milepost_retry_re_queues_failed_intents(stack, capsys, how) -> None:
    _, _, intent_id = failed_for_a_missing_item(stack)
    argv = [str(intent_id) if arg == "INTENT" else arg for arg in how]

    listing = main(["--database", stack.database_url, "retry"])
    listed = capsys.readouterr().out
    code = main(["--database", stack.database_url, "retry", *argv])
    said = capsys.readouterr().out
    again = main(["--database", stack.database_url, "retry", str(intent_id)])
    refused = capsys.readouterr().err

    assert (listing, code, again) == (0, 0, 1)
    assert f"{intent_id} milepost:RETRY-WEB:1:1" in listed
    assert "re-queued 1 failed intent(s)" in said
    assert stack.outbox_statuses() == ["pending"]
    assert "is pending, not failed" in refused
