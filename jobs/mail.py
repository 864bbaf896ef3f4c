"""Approver and bookkeeper e-mail: queued reminders, and every queued message sent once.

`drain_mail` (the last step of drain_outbox) sends the outbox's `mail` rows; `remind_approvers`
(its own job on the clock) queues the reminders whose time has come. Both do nothing while
`[mail]` is not configured: the rows queued before it was switched off wait, unsent.

What "sent once" means, step by step (the outbox's own argument, `jobs/outbox.py`, for SMTP):
1. queued (`store.mail_outbox`) in the transaction of its event, under a unique key naming the
   event: a committed event has exactly one message row, a rolled-back one none.
2. claimed (own transaction): `processing`, attempts + 1. A worker killed here or during the
   send leaves the row `processing`; `reclaim_stale` returns it after `reclaim_after_seconds`.
3. sent (no transaction open). Every send of a row is the same message: its Message-ID is made
   from the row's id and key, its Date is when it was queued, its portal link is signed as of
   then.
4. marked done (own transaction; only a row still `processing`).
So a message is never lost, and never sent twice except in one window: a crash (or the
database going away) after the server answered 250 to step 3 and before step 4 commits. SMTP
has no way to ask a server "did you take this?", so the reclaimed row is sent again; the second
copy carries the same Message-ID, by which mail clients and many servers fold duplicates, and
by which a person can see it is the same message. That is the guarantee: at least once, and a
repeat is recognisably the same message.

The same window opens without a crash when the server hangs up (or times out) after the
message was handed over and before it answered: it may have been delivered. That send is not
repeated at once (`smtp.MailError.outcome_unknown`); the row records "may have been delivered"
as its error, in `milepost jobs` too, and the message is sent again after its backoff, with the
same Message-ID. Why again rather than never: these messages carry an approver's portal link
(the approval window runs whether or not they arrived, and a lapsed window bills the
milestone) or tell the bookkeeper that an invoice failed or a connection needs reconnecting; a
lost one costs money or leaves a fault unseen, a second copy costs a glance.

Failures (`connector.mail.smtp.MailError`): one the server may get over (unreachable, a
timeout, a 4xx) is tried again at once a few times (tenacity), then the row waits, with no
claim before an exponentially growing delay (`retry_delay`), until `[worker] max_attempts`;
anything else (a 5xx, wrong credentials, no STARTTLS, a bad certificate, a message that cannot
be built) fails the row at once. Every failure is in the run's record (`milepost jobs`) with the
row's key and the server's answer, and a failed row is listed by `milepost retry` like a failed
intent, to be given another go once the settings are right. A failed message never causes a
message of its own.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage

from connector.billing.allocation import active
from connector.billing.approval_reminders import reminder_due
from connector.mail import messages
from connector.mail.smtp import MailError, send
from connector.store import mail_outbox
from connector.store import outbox as store_outbox
from connector.store.db import transaction
from connector.store.portal_links import portal_url
from connector.store.repository import BillingRepository

from .acceptance import milestones_picked
from .context import JobContext
from .drains import drain
from .infrastructure import is_infrastructure
from .runs import Tally, describe, one_item

log = logging.getLogger("milepost.jobs.mail")
APPROVER_MESSAGES = {mail_outbox.APPROVAL_REQUEST, mail_outbox.APPROVAL_REMINDER, mail_outbox.DEEMED_ACCEPTED}
FIRST_RETRY_SECONDS, LONGEST_RETRY_SECONDS = 30, 3600


def drain_mail(ctx: JobContext, now: datetime, counts: Tally, *, limit: int = 200) -> None:
    """Send the queued messages whose time has come; each one once per run."""
    if not ctx.settings.mail.configured:
        return
    drain(ctx, now, counts, lambda s, n, skip: mail_outbox.claim_mail(s, n, skip, now), _deliver,
          lambda item: item.idempotency_key, limit=limit)


def remind_approvers(ctx: JobContext, now: datetime) -> Tally:
    """Queue the reminder of every submission whose reminder time has come
    (`billing.approval_reminders`); once per submission, however often this runs."""
    tally = Tally(reminded=0, failed=0)
    if not ctx.settings.mail.configured:
        return tally
    due = milestones_picked(ctx, tally, lambda project, schedule: [
        m for m in active(schedule) if reminder_due(project, m, now)])
    for key, seq in due:
        with one_item(tally, f"{key} milestone {seq}"), transaction(ctx.sessions) as session:
            project, milestone = BillingRepository(session).milestone(key, seq)
            if reminder_due(project, milestone, now) and mail_outbox.queue_reminder(session, project, milestone):
                tally["reminded"] += 1
    return tally


def retry_delay(attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th failed try: 30 s, doubling, at most 1 h."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS))


def _deliver(ctx: JobContext, item: mail_outbox.ClaimedMail, now: datetime) -> tuple[str, str]:
    """One message to the server: ("sent" | "retry" | "failed", what went wrong)."""
    try:
        message = _compose(ctx, item)
    except Exception as error:  # noqa: BLE001 - a row this version cannot make a message of
        log.error("mail %s cannot be built", item.idempotency_key, exc_info=error)
        return _failed(ctx, item, f"cannot build the message: {describe(error)}", retryable=False, now=now)
    try:
        send(ctx.settings.mail, message)
    except MailError as error:
        return _failed(ctx, item, str(error), retryable=error.retryable, now=now)
    except Exception as error:  # a bug on the way out (smtplib and the message disagree): not worth a retry
        if is_infrastructure(error):
            raise
        log.error("mail %s failed", item.idempotency_key, exc_info=error)
        return _failed(ctx, item, describe(error), retryable=False, now=now)
    with transaction(ctx.sessions) as session:
        mail_outbox.complete_mail(session, item.id)
    log.info("sent %s (%s)", item.message, item.idempotency_key)
    return "sent", ""


def _compose(ctx: JobContext, item: mail_outbox.ClaimedMail) -> EmailMessage:
    settings = ctx.settings
    links = {"admin": settings.app.base_url.rstrip("/") + "/admin/"}
    if item.message in APPROVER_MESSAGES:
        if not settings.app.secret_key:
            raise ValueError("app.secret_key is not set, so no portal link can be signed: "
                             "set MILEPOST_APP__SECRET_KEY for the worker and the web app")
        facts = item.payload
        links["portal"] = portal_url(settings.app.base_url, settings.app.secret_key, str(facts["project_key"]),
                                     int(facts["seq"]), str(facts["to"]), issued_at=item.queued_at)
    sender = settings.mail.from_address
    return messages.compose(item.payload, sender=sender, queued_at=item.queued_at, links=links,
                            msg_id=messages.message_id(item.id, item.idempotency_key, sender))


def _failed(ctx: JobContext, item: mail_outbox.ClaimedMail, error: str, *, retryable: bool,
            now: datetime) -> tuple[str, str]:
    log.warning("mail %s: %s", item.idempotency_key, error)
    with transaction(ctx.sessions) as session:
        status = store_outbox.fail(session, item.id, error, max_attempts=ctx.settings.worker.max_attempts,
                                   retryable=retryable, retry_at=now + retry_delay(item.attempts))
    return ("retry" if status == store_outbox.PENDING else "failed"), error
