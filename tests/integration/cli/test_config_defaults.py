"""Configuration says what Milepost does: defaults that match the product, names that match
their use, an old name still understood, and no key that nothing reads."""

from __future__ import annotations

import argparse
import logging
from datetime import date

from connector.config import Settings, load_settings
from connector.sandbox.cli import add_cli
from jobs.reminders import reminder_due


def test_payments_are_polled_every_fifteen_minutes_by_default():
    assert Settings().worker.sync_seconds == 15 * 60


def test_the_default_sandbox_url_is_where_milepost_sandbox_serve_listens():
    parser = argparse.ArgumentParser()
    add_cli(parser.add_subparsers())
    serve = parser.parse_args(["sandbox", "serve"])

    assert Settings().sandbox.url == f"http://127.0.0.1:{serve.port}"


def test_before_due_days_reminds_the_customer_that_many_days_before_the_invoice_is_due(tmp_path):
    config = tmp_path / "milepost.toml"
    config.write_text("[reminders]\nbefore_due_days = 3\n")
    policy = load_settings(config, environ={}).reminders
    due = date(2027, 3, 10)

    assert [reminder_due(due, date(2027, 3, day), policy) for day in (6, 7, 9, 10)] == [
        None, "before_due", "before_due", "due"]


def test_the_old_name_before_deadline_days_is_still_understood_and_the_new_one_wins(tmp_path):
    config = tmp_path / "milepost.toml"
    config.write_text("[reminders]\nbefore_deadline_days = 4\n")

    from_file = load_settings(config, environ={})
    from_env = load_settings(config, environ={"MILEPOST_REMINDERS__BEFORE_DEADLINE_DAYS": "5"})
    both = load_settings(config, environ={"MILEPOST_REMINDERS__BEFORE_DUE_DAYS": "2",
                                          "MILEPOST_REMINDERS__BEFORE_DEADLINE_DAYS": "5"})

    assert (from_file.reminders.before_due_days, from_env.reminders.before_due_days,
            both.reminders.before_due_days) == (4, 5, 2)


def test_retired_email_keys_are_ignored_with_a_warning_so_old_files_still_load(tmp_path, caplog):
    config = tmp_path / "milepost.toml"
    config.write_text('[notifications]\nenabled = true\nsmtp_host = "mail.example"\n'
                      'pause_work_webhook_url = "https://hooks.example/pause"\n')

    with caplog.at_level(logging.WARNING, logger="milepost.config"):
        settings = load_settings(config, environ={})

    assert settings.notifications.pause_work_webhook_url == "https://hooks.example/pause"
    assert not hasattr(settings.notifications, "smtp_host")
    assert "smtp_host is no longer used" in caplog.text
