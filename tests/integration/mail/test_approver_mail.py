"""The approver hears of each step by e-mail, once: the portal link on submission, a reminder the
business day before the window lapses, a notice when silence was taken as acceptance. A real
SMTP server (aiosmtpd) receives them; the web app's API makes the steps, the worker's drain
sends, and the link in the message opens the milestone in the web app."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from connector.store.models import OutboxRow
from connector.web import create_app
from jobs.runner import run_job
from tests.integration.web.conftest import sign_in
from tests.jobs_harness import Stack, schedule_json

SUBMITTED_AT = "2026-11-24T10:00:00-05:00"  # a Tuesday; 3 US business days: Thanksgiving skipped
LINK = re.compile(r"https?://[^\s\"<>]+/portal/[A-Za-z0-9_.\-]+")
ADMIN_PASSWORD = "correct horse battery"


class Killed(BaseException):  # noqa: N818 - stands for SIGKILL: no `except Exception` catches it
    """The worker dies here."""


def submit(stack: Stack, key: str = "ACME-WEB", seq: int = 1, at: str | None = None) -> None:
    stack.api("POST", "/schedules", schedule_json(key))
    body = {"by": "Sam (studio)", "evidence": ["requirements document"], **({"at": at} if at else {})}
    stack.api("POST", f"/projects/{key}/milestones/{seq}/submit", body)


def drain(stack: Stack, now: datetime | None = None) -> None:
    run_job(stack.context(), "drain_outbox", now)


def worker_dies_at(target: str, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A drain whose worker dies when it reaches `target` (a dotted name)."""
    def dies(*_args, **_kwargs):
        raise Killed

    monkeypatch.setattr(target, dies)
    with pytest.raises(Killed):
        drain(stack)
    monkeypatch.undo()


def drain_after_the_reclaim(stack: Stack) -> None:
    """Two drains once the dead worker's rows may be reclaimed."""
    later = datetime.now(UTC) + timedelta(seconds=stack.settings.worker.reclaim_after_seconds + 5)
    drain(stack, later)
    drain(stack, later + timedelta(minutes=1))


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None
    assert html is not None
    return str(plain.get_content()), str(html.get_content())


def mail_rows(stack: Stack) -> list[tuple[str, str]]:
    with stack.reading() as session:
        return [(r.status, r.idempotency_key) for r in
                session.scalars(select(OutboxRow).where(OutboxRow.kind == "mail").order_by(OutboxRow.id))]


def test_a_submission_emails_the_approver_a_link_that_opens_the_milestone_once(mail_stack, inbox) -> None:
    submit(mail_stack)

    drain(mail_stack)
    drain(mail_stack)  # a second drain finds nothing left to send

    [message] = inbox.messages
    assert str(message["To"]) == "Dana Lee <dana@acme.example>"
    assert str(message["From"]) == "Studio Billing <billing@studio.example>"
    assert str(message["Subject"]) == "Please review: Discovery complete (Website redesign)"
    assert re.fullmatch(r"<milepost\.\d+\.[0-9a-f]{16}@studio\.example>", str(message["Message-ID"]))
    plain, html = text_and_html(message)
    [link] = set(LINK.findall(plain))
    assert link in html
    # the deadline, in words, in the project's time zone
    assert re.search(r"by the end of \w+day \d+ \w+ 20\d\d \(America/New_York time\)", plain)
    assert mail_rows(mail_stack)[0][0] == "done"
    page = create_app(mail_stack.settings).test_client().get(urlsplit(link).path)
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "Discovery complete" in shown
    assert "Discovery doc approved by the project lead" in shown


def test_a_worker_killed_before_the_send_sends_the_message_once_after_the_reclaim(mail_stack, inbox, monkeypatch) -> None:
    submit(mail_stack)

    worker_dies_at("jobs.mail.send", mail_stack, monkeypatch)
    assert mail_rows(mail_stack)[0][0] == "processing"  # what the dead worker left
    drain(mail_stack)  # too soon: the row may still be another worker's
    assert inbox.messages == []
    drain_after_the_reclaim(mail_stack)

    assert len(inbox.about("Please review")) == 1
    assert mail_rows(mail_stack)[0][0] == "done"


def test_a_crash_after_the_server_took_it_resends_the_same_message_recognisably(mail_stack, inbox, monkeypatch) -> None:
    """The one window SMTP cannot close (jobs/mail.py): sent, then the worker dies before the
    row is marked done. The row is sent again after the reclaim, as the same message: the same
    Message-ID, Date and link, so the copy is recognisable (and folded by most mail clients)."""
    submit(mail_stack)

    worker_dies_at("connector.store.mail_outbox.complete_mail", mail_stack, monkeypatch)
    drain_after_the_reclaim(mail_stack)

    first, second = inbox.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Date"] == second["Date"]
    assert text_and_html(first) == text_and_html(second)
    assert mail_rows(mail_stack)[0][0] == "done"


def test_the_reminder_goes_on_the_business_day_before_the_deadline_once(mail_stack, inbox) -> None:
    """Submitted Tuesday 24 Nov 2026 (US calendar, 3 business days): the deadline is the end
    of Monday 30 Nov, the business day before it Friday 27 Nov; reminded at 09:00 New York."""
    submit(mail_stack, at=SUBMITTED_AT)
    ctx = mail_stack.context()

    def reminders_by(now: str) -> int:
        at = datetime.fromisoformat(now)
        run_job(ctx, "remind_approvers", at)
        run_job(ctx, "drain_outbox", at)
        return len(inbox.about("Reminder"))

    assert reminders_by("2026-11-25T12:00:00-05:00") == 0  # Wednesday
    assert reminders_by("2026-11-26T12:00:00-05:00") == 0  # Thanksgiving
    assert reminders_by("2026-11-27T08:59:00-05:00") == 0  # Friday, before the working day
    assert reminders_by("2026-11-27T09:01:00-05:00") == 1
    assert reminders_by("2026-11-27T15:00:00-05:00") == 1  # once, however often the job runs
    assert reminders_by("2026-11-30T10:00:00-05:00") == 1

    [reminder] = inbox.about("Reminder")
    assert str(reminder["Subject"]) == (
        "Reminder: Discovery complete (Website redesign) is accepted unless you answer by "
        "Monday 30 November 2026")
    plain, html = text_and_html(reminder)
    [link] = set(LINK.findall(plain))
    assert link in html
    assert create_app(mail_stack.settings).test_client().get(urlsplit(link).path).status_code == 200


def test_silence_deemed_accepted_is_told_to_the_approver_once(mail_stack, inbox) -> None:
    submit(mail_stack, at=SUBMITTED_AT)
    ctx = mail_stack.context()
    after = datetime.fromisoformat("2026-12-01T09:00:00-05:00")

    for _ in range(2):
        run_job(ctx, "remind_approvers", after)  # too late for a reminder: the window lapsed
        run_job(ctx, "deem_acceptances", after)
        run_job(ctx, "drain_outbox", after)

    assert inbox.about("Reminder") == []
    [notice] = inbox.about("Deemed accepted")
    assert str(notice["To"]) == "Dana Lee <dana@acme.example>"
    plain, html = text_and_html(notice)
    assert "the end of Monday 30 November 2026 (America/New_York time)" in plain
    assert "deemed accepted" in html


def test_without_mail_configured_nothing_is_queued_or_sent_and_the_dashboard_says_so(plain_stack, inbox) -> None:
    submit(plain_stack, at=SUBMITTED_AT)
    ctx = plain_stack.context()
    for now in ("2026-11-27T10:00:00-05:00", "2026-12-01T09:00:00-05:00"):
        run_job(ctx, "remind_approvers", datetime.fromisoformat(now))
        run_job(ctx, "deem_acceptances", datetime.fromisoformat(now))
        run_job(ctx, "drain_outbox", datetime.fromisoformat(now))

    assert plain_stack.first_milestone("ACME-WEB").state.value == "invoice_due"  # the steps happened
    assert mail_rows(plain_stack) == []
    assert inbox.attempts == 0
    assert "E-mail is off" in _dashboard(plain_stack)


def test_with_mail_configured_the_dashboard_does_not_say_it_is_off(mail_stack) -> None:
    assert "E-mail is off" not in _dashboard(mail_stack)


def _dashboard(stack: Stack) -> str:
    app = create_app(stack.settings, environ={"MILEPOST_ADMIN_PASSWORD": ADMIN_PASSWORD})
    client = app.test_client()
    sign_in(client, ADMIN_PASSWORD)
    page = client.get("/admin/")
    assert page.status_code == 200
    return page.get_data(as_text=True)
