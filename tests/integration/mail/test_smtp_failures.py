"""When the SMTP server is down, busy, refuses or wants a password: what is retried and when,
what fails at once, what `milepost jobs` shows, and that the password is never repeated."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from connector.billing import lifecycle
from connector.billing.model import AuditEvent
from connector.config import ConfigError, SecuritySettings, Settings, load_settings
from connector.store import service
from connector.store.db import transaction
from connector.store.job_runs import recent_runs
from connector.store.models import OutboxRow
from connector.store.retries import failed_intents
from jobs.context import JobContext, build_context
from jobs.runner import run_job
from tests.integration.store.samples import acme_milestones, acme_project

from .conftest import PASSWORD, USER, Inbox, free_port, mail_for, with_mail

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def contexts(settings, engine):  # engine: the database, migrated
    made: list[JobContext] = []

    def context(mail) -> JobContext:
        configured = with_mail(replace(settings, security=SecuritySettings(
            token_keys=(Fernet.generate_key().decode(),))), mail)
        made.append(build_context(configured, environ={}))
        return made[-1]

    yield context
    for ctx in made:
        ctx.close()


def submit_milestone(ctx: JobContext) -> None:
    """ACME-WEB imported and its first milestone submitted: one approval request queued."""
    with transaction(ctx.sessions) as session:
        service.import_schedule(session, acme_project(), acme_milestones(),
                                AuditEvent("ACME-WEB", None, "imported", NOW, "tester"))
        service.transition(session, "ACME-WEB", 1,
                           lambda p, m, _s: lifecycle.submit(p, m, NOW, "Sam", ("document",)))


def mail_row(ctx: JobContext) -> OutboxRow:
    with ctx.sessions() as session:
        return session.scalars(select(OutboxRow).where(OutboxRow.kind == "mail")).one()


def drain_run(ctx: JobContext):
    with ctx.sessions() as session:
        return recent_runs(session, "drain_outbox")[0]


def test_a_busy_server_is_retried_with_backoff_then_the_message_goes_once(contexts, inbox) -> None:
    inbox.answers = ["451 4.3.0 try again later"] * 3  # all three tries of the first drain
    ctx = contexts(mail_for(inbox))
    submit_milestone(ctx)

    run_job(ctx, "drain_outbox", NOW)

    row = mail_row(ctx)
    assert (row.status, row.attempts, inbox.attempts) == ("pending", 1, 3)
    assert "451" in (row.last_error or "")
    assert drain_run(ctx).error.endswith("answered 451 4.3.0 try again later")
    run_job(ctx, "drain_outbox", NOW + timedelta(seconds=10))  # still backing off: not tried
    assert (mail_row(ctx).attempts, inbox.attempts) == (1, 3)

    run_job(ctx, "drain_outbox", NOW + timedelta(seconds=31))
    run_job(ctx, "drain_outbox", NOW + timedelta(minutes=5))

    assert (mail_row(ctx).status, inbox.attempts, len(inbox.messages)) == ("done", 4, 1)


def test_a_connection_lost_after_the_message_is_recorded_as_maybe_delivered_not_sent_again_at_once(
        contexts, inbox) -> None:
    inbox.drops = 1  # the server takes the message, then hangs up before its 250
    ctx = contexts(mail_for(inbox))
    submit_milestone(ctx)

    run_job(ctx, "drain_outbox", NOW)

    row = mail_row(ctx)
    assert len(inbox.messages) == 1  # no second copy at once
    assert (row.status, row.attempts) == ("pending", 1)
    assert "may have been delivered" in (row.last_error or "")
    assert "may have been delivered" in (drain_run(ctx).error or "")

    run_job(ctx, "drain_outbox", NOW + timedelta(seconds=31))  # after its backoff: sent again

    first, second = inbox.messages
    assert first["Message-ID"] == second["Message-ID"]  # the same message, recognisably
    assert mail_row(ctx).status == "done"


def test_a_server_that_is_down_leaves_the_message_waiting_and_says_why(contexts) -> None:
    down = Inbox(port=free_port())  # nobody listens there
    ctx = contexts(mail_for(down))
    submit_milestone(ctx)

    run_job(ctx, "drain_outbox", NOW)

    row = mail_row(ctx)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.not_before == NOW + timedelta(seconds=30)
    assert f"SMTP 127.0.0.1:{down.port}: cannot connect" in drain_run(ctx).error


def test_a_refused_recipient_fails_at_once_is_listed_for_retry_and_tells_nobody(contexts, inbox) -> None:
    inbox.answers = ["550 5.1.1 no such mailbox"]
    ctx = contexts(mail_for(inbox))
    submit_milestone(ctx)

    run_job(ctx, "drain_outbox", NOW)
    run_job(ctx, "drain_outbox", NOW + timedelta(hours=2))

    row = mail_row(ctx)  # one row: a failed message queues no message about itself
    assert (row.status, row.attempts, inbox.attempts) == ("failed", 1, 1)
    with ctx.sessions() as session:
        [listed] = failed_intents(session)
    assert (listed.kind, listed.project_key) == ("mail", "ACME-WEB")
    assert "550 5.1.1 no such mailbox" in listed.error


def test_starttls_against_a_server_without_it_fails_naming_the_setting(contexts, inbox) -> None:
    ctx = contexts(mail_for(inbox, tls="starttls"))
    submit_milestone(ctx)

    run_job(ctx, "drain_outbox", NOW)

    row = mail_row(ctx)
    assert row.status == "failed"
    assert "STARTTLS" in (row.last_error or "")
    assert "check [mail] tls" in (row.last_error or "")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_password_signs_in_and_never_appears_in_logs_errors_or_job_runs(contexts, guarded_inbox, caplog) -> None:
    wrong = "wrong-" + PASSWORD
    refused = contexts(mail_for(guarded_inbox, user=USER, password=wrong))
    submit_milestone(refused)

    with caplog.at_level(logging.DEBUG):
        run_job(refused, "drain_outbox", NOW)
        repr(refused.settings)

    row = mail_row(refused)
    error = row.last_error or ""
    assert (row.status, error.split(" answered ")[1][:3]) == ("failed", "535")
    assert "[redacted]" in error  # the server quoted it back; Milepost did not
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")  # not the test server's
    everything = ours + error + (drain_run(refused).error or "") + repr(refused.settings)
    assert wrong not in everything
    assert guarded_inbox.messages == []

    right = contexts(mail_for(guarded_inbox, user=USER, password=PASSWORD))
    with transaction(right.sessions) as session:
        session.get(OutboxRow, row.id).status = "pending"  # type: ignore[union-attr]  # as `milepost retry`
    run_job(right, "drain_outbox", NOW)
    assert len(guarded_inbox.messages) == 1


def test_the_password_is_refused_in_the_config_file_and_taken_from_the_environment(tmp_path) -> None:
    config = tmp_path / "milepost.toml"
    config.write_text('[mail]\nhost = "smtp.example"\nfrom_address = "billing@studio.example"\n'
                      f'password = "{PASSWORD}"\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(config, environ={})
    assert "MILEPOST_MAIL__PASSWORD" in str(refused.value)
    assert PASSWORD not in str(refused.value)

    config.write_text('[mail]\nhost = "smtp.example"\nfrom_address = "billing@studio.example"\n')
    settings = load_settings(config, environ={"MILEPOST_MAIL__PASSWORD": PASSWORD,
                                              "MILEPOST_MAIL_PORT": "465", "MILEPOST_MAIL__TLS": "ssl",
                                              "MILEPOST_APP__SECRET_KEY": "k" * 32})
    assert (settings.mail.password, settings.mail.port, settings.mail.tls) == (PASSWORD, 465, "ssl")
    assert PASSWORD not in repr(settings)


@pytest.mark.parametrize(("key", "value", "named"), [
    ("tls", "tls1.3", "mail.tls: expected one of starttls, ssl, none"),
    ("port", "70000", "mail.port"),
    ("from_address", "billing", "mail.from_address: expected an e-mail address"),
    ("bookkeeper", "books at studio", "mail.bookkeeper: expected an e-mail address"),
])
def test_a_bad_mail_setting_is_named(tmp_path, key, value, named) -> None:
    config = tmp_path / "milepost.toml"
    config.write_text(f'[mail]\n{key} = "{value}"\n' if key != "port" else f"[mail]\nport = {value}\n")
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_settings(config, environ={})


def test_mail_without_the_app_secret_key_is_refused_since_its_links_would_not_open(tmp_path) -> None:
    config = tmp_path / "milepost.toml"
    config.write_text('[mail]\nhost = "smtp.example"\nfrom_address = "billing@studio.example"\n')
    with pytest.raises(ConfigError, match="MILEPOST_APP__SECRET_KEY"):
        load_settings(config, environ={})
    assert load_settings(config, environ={"MILEPOST_APP__SECRET_KEY": "k" * 32}).mail.configured
    assert not Settings().mail.configured
