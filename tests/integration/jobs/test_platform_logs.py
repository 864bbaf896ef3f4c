"""A job's platform calls are logged with the platform's own request id and the job's run id.

The sandbox answers as QuickBooks (`intuit_tid`) and Xero (`Xero-Correlation-Id`) do; the
unmodified SDKs call it over HTTP from a real `drain_outbox` run.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from connector.store.models import JobRunRow
from jobs.runner import run_job
from tests.log_lines import captured, from_logger

INTUIT_TID = re.compile(r"1-[0-9a-f]{24}")
CORRELATION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _drain_run_ids(stack) -> list[int]:
    with stack.reading() as session:
        return list(session.scalars(select(JobRunRow.id).where(JobRunRow.job == "drain_outbox")))


def test_each_quickbooks_answer_is_logged_with_its_intuit_tid_and_the_job_run(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    stack.import_and_accept("ACME-WEB", connection)

    with captured() as lines:
        run_job(stack.context(), "drain_outbox")

    calls = from_logger(lines, "milepost.platforms.http")
    [run_id] = _drain_run_ids(stack)
    [create] = [c for c in calls if c["message"].startswith(f"quickbooks POST /v3/company/{realm}/invoice 200")]
    assert INTUIT_TID.fullmatch(create["intuit_tid"])
    assert (create["job"], create["job_run_id"]) == ("drain_outbox", run_id)
    assert create["item"].startswith("milepost:ACME-WEB:1:")  # the intent's idempotency key
    assert all(INTUIT_TID.fullmatch(c["intuit_tid"]) and c["job_run_id"] == run_id for c in calls)
    assert len({c["intuit_tid"] for c in calls}) == len(calls)  # each answer its own id
    [done] = from_logger(lines, "milepost.jobs")
    assert done["message"].startswith("job drain_outbox done: created 1")
    assert done["job_run_id"] == run_id


def test_a_retried_quickbooks_failure_is_logged_with_the_failed_answers_intuit_tid(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    stack.import_and_accept("ACME-WEB", connection)
    stack.sandbox.control.set_fault("quickbooks", "503", count=1)

    with captured() as lines:
        run_job(stack.context(), "drain_outbox")

    [failed] = [c for c in from_logger(lines, "milepost.platforms.http") if c["status"] == 503]
    [retry] = from_logger(lines, "milepost.platforms.retry")
    assert retry["level"] == "WARNING"
    assert "retrying" in retry["message"]
    assert retry["intuit_tid"] == failed["intuit_tid"]
    assert INTUIT_TID.fullmatch(failed["intuit_tid"])
    assert len(stack.invoices()) == 1


def test_each_xero_answer_is_logged_with_its_correlation_id_and_the_job_run(stack) -> None:
    [(connection, _), *_] = stack.connect_xero()
    stack.import_and_accept("ACME-WEB", connection)

    with captured() as lines:
        run_job(stack.context(), "drain_outbox")

    calls = from_logger(lines, "milepost.platforms.http")
    [run_id] = _drain_run_ids(stack)
    [create] = [c for c in calls if re.match(r"xero (PUT|POST) /api.xro/2.0/Invoices 200", c["message"])]
    assert CORRELATION_ID.fullmatch(create["xero_correlation_id"])
    assert (create["job"], create["job_run_id"]) == ("drain_outbox", run_id)
    assert "intuit_tid" not in create
