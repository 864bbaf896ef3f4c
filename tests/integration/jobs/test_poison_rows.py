"""Jobs isolate rows (issue 9, finding 5): one project whose data cannot be worked with is
recorded with its key and error, and the job goes on with every other project; `milepost
worker --once` and `milepost sync` then exit 1.

The poison is written straight into the store, as a row saved before the schedule's bounds
were validated would be: payment terms of 3,000,000 days (Net 3000000 reaches past year 9999,
where Python's dates end with OverflowError).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select, update

from connector.cli import main
from connector.store.job_runs import recent_runs
from connector.store.models import InvoiceRow, OutboxRow, ProjectRow
from jobs.runner import run_job, sync_all
from tests.jobs_harness import Stack, schedule_json

SUBMITTED = "2026-11-16T10:00:00-05:00"  # a Monday: 3 business days to answer
LATER = datetime(2026, 12, 1, 15, tzinfo=UTC)


def poison(stack: Stack, key: str, **project: object) -> None:
    with stack.reading() as session, session.begin():
        session.execute(update(ProjectRow).where(ProjectRow.key == key).values(**project))


def submit_two(stack: Stack, connection: int) -> None:
    """POISON (imported first, so the job meets it first) and HEALTHY, milestone 1 submitted."""
    for key in ("POISON", "HEALTHY"):
        stack.api("POST", "/schedules", {**schedule_json(key), "connection": connection})
        stack.api("POST", f"/projects/{key}/milestones/1/submit",
                  {"by": "Sam", "at": SUBMITTED, "evidence": ["requirements document"]})


def state_of(stack: Stack, key: str) -> str:
    return next(m["state"] for m in stack.api("GET", f"/projects/{key}/report")["milestones"] if m["seq"] == 1)


def test_a_schedule_whose_terms_leave_the_calendar_does_not_stop_deeming_the_others(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    submit_two(stack, connection)
    poison(stack, "POISON", payment_terms_days=3_000_000)
    ctx = stack.context()

    counts = run_job(ctx, "deem_acceptances", LATER)

    assert state_of(stack, "HEALTHY") == "invoice_due"
    assert state_of(stack, "POISON") == "submitted"  # nothing half-done
    assert (counts["deemed"], counts["failed"]) == (1, 1)
    with stack.reading() as session:
        [run] = recent_runs(session, "deem_acceptances")
    assert run.outcome == "partial"
    assert run.error == ("POISON milestone 1: DateOutOfRange: project.payment_terms_days: "
                         "3000000 days after 2026-12-01 is past the last date a calendar can hold")


def test_an_invoice_whose_grace_leaves_the_calendar_does_not_stop_late_fees_for_the_others(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    for key in ("POISON", "HEALTHY"):
        stack.import_and_accept(key, connection)
    ctx = stack.context()
    run_job(ctx, "drain_outbox")
    with stack.reading() as session, session.begin():  # approved and sent, due on 1 January
        session.execute(update(InvoiceRow).values(status="open", due_date=date(2027, 1, 1)))
        [late_fee] = session.scalars(select(ProjectRow.late_fee).where(ProjectRow.key == "POISON"))
    poison(stack, "POISON", late_fee={**late_fee, "grace_days": 3_000_000})

    counts = run_job(ctx, "charge_late_fees", datetime(2027, 1, 20, 15, tzinfo=UTC))

    assert (counts["queued"], counts["failed"]) == (1, 1)
    with stack.reading() as session:
        fees = list(session.scalars(select(OutboxRow.idempotency_key).where(OutboxRow.idempotency_key.like("%late-fee%"))))
        [run] = recent_runs(session, "charge_late_fees")
    assert [fee.split(":")[1] for fee in fees] == ["HEALTHY"]
    assert run.outcome == "partial"
    assert run.error is not None
    assert run.error.startswith("POISON invoice ")
    assert "project.late_fee.grace_days: 3000000 days after 2027-01-01" in run.error


def test_worker_once_exits_1_when_a_job_had_a_failure(stack, monkeypatch, capsys) -> None:
    connection, _ = stack.connect_quickbooks()
    submit_two(stack, connection)
    poison(stack, "POISON", payment_terms_days=3_000_000)
    monkeypatch.setenv("MILEPOST_TOKEN_KEYS", stack.token_key)
    monkeypatch.setenv("MILEPOST_SANDBOX__URL", stack.sandbox.url)
    monkeypatch.setenv("MILEPOST_WORKER__DEEM_ACCEPTANCES_SECONDS", "1")

    code = main(["--database", stack.database_url, "worker", "--once"])

    out = capsys.readouterr().out
    assert code == 1
    assert "deem_acceptances: deemed 1, lapsed 2, failed 1 [partial: see `milepost jobs`]" in out
    assert state_of(stack, "HEALTHY") in ("invoice_due", "invoiced")


def test_sync_exits_1_when_a_connection_could_not_be_synced(stack, monkeypatch, capsys) -> None:
    failing, realm = stack.connect_quickbooks()
    healthy, _ = stack.connect_quickbooks(stack.sandbox.control.add_quickbooks_company("Second Co"))
    sync_all(stack.context())  # each connection's change feed has its cursor: the next reads it
    stack.sandbox.control.set_fault("quickbooks", "500", company=realm, endpoint="GET *")
    monkeypatch.setenv("MILEPOST_TOKEN_KEYS", stack.token_key)
    monkeypatch.setenv("MILEPOST_SANDBOX__URL", stack.sandbox.url)
    try:
        code = main(["--database", stack.database_url, "sync"])
        in_process = sync_all(stack.context())
    finally:
        stack.sandbox.control.clear_faults()

    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[0] == "synced 2 connection(s), 1 failed"
    assert f"sync_connection connection {failing}: error" in out
    assert f"sync_connection connection {healthy}: ok" in out
    assert (in_process["connections"], in_process["failed"]) == (2, 1)
