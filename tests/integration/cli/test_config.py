"""Configuration: the documented file, overridden by MILEPOST_* variables; secrets kept apart."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from connector.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "config.example.toml"


def test_the_example_file_loads_and_matches_the_defaults():
    assert load_settings(EXAMPLE, environ={}) == Settings(source=str(EXAMPLE))


def test_the_example_file_documents_every_key():
    documented = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    text = EXAMPLE.read_text(encoding="utf-8")
    for section in fields(Settings):
        if section.name == "source":
            continue
        assert f"[{section.name}]" in text
        for key in fields(getattr(Settings(), section.name)):
            if key.metadata.get("secret"):  # documented as a comment, never as a value
                assert f"SECRET {key.name}" in text, f"{section.name}.{key.name}"
            elif key.name != "secrets_file":
                assert key.name in documented.get(section.name, {}), f"{section.name}.{key.name}"


def test_environment_wins_over_the_file(tmp_path):
    config = tmp_path / "milepost.toml"
    config.write_text('[database]\nurl = "sqlite:///file.db"\n[worker]\nsync_seconds = 60\n')
    settings = load_settings(config, environ={
        "MILEPOST_DATABASE_URL": "postgresql+psycopg://db/milepost",
        "MILEPOST_WORKER__SYNC_SECONDS": "120",
        "MILEPOST_REMINDERS__AFTER_DUE_DAYS": "3,10",
        "MILEPOST_SANDBOX__ENABLED": "false",
    })
    assert settings.database.url == "postgresql+psycopg://db/milepost"
    assert settings.worker.sync_seconds == 120
    assert settings.reminders.after_due_days == (3, 10)
    assert settings.sandbox.enabled is False


def test_milepost_config_names_the_file(tmp_path):
    config = tmp_path / "elsewhere.toml"
    config.write_text('[app]\ndefault_time_zone = "Europe/London"\n')
    settings = load_settings(environ={"MILEPOST_CONFIG": str(config)})
    assert settings.app.default_time_zone == "Europe/London"


def test_a_typo_in_the_file_names_the_key(tmp_path):
    config = tmp_path / "milepost.toml"
    config.write_text('[database]\nulr = "sqlite://"\n')
    with pytest.raises(ConfigError, match="ulr"):
        load_settings(config, environ={})


def test_a_bad_number_in_the_environment_names_the_key():
    with pytest.raises(ConfigError, match="worker.sync_seconds"):
        load_settings(environ={"MILEPOST_WORKER__SYNC_SECONDS": "often"})


def test_secrets_come_from_the_environment_or_the_secrets_file_and_never_show(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[quickbooks]\nclient_secret = "qb-s3cret"\n')
    settings = load_settings(environ={
        "MILEPOST_SECRETS_FILE": str(secrets),
        "MILEPOST_XERO__WEBHOOK_KEY": "xero-hook-key",
        "MILEPOST_SECURITY__TOKEN_KEYS": "key-one,key-two",
    })
    assert settings.quickbooks.client_secret == "qb-s3cret"
    assert settings.xero.webhook_key == "xero-hook-key"
    assert settings.security.token_keys == ("key-one", "key-two")
    shown = repr(settings)
    for secret in ("qb-s3cret", "xero-hook-key", "key-one"):
        assert secret not in shown


def test_a_secret_written_in_the_config_file_is_refused(tmp_path):
    config = tmp_path / "milepost.toml"
    config.write_text('[app]\nsecret_key = "do-not-commit-me"\n')
    with pytest.raises(ConfigError, match="app.secret_key") as caught:
        load_settings(config, environ={})
    assert "do-not-commit-me" not in str(caught.value)
