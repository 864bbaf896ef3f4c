"""DATABASE_URL and REDIS_URL, as hosting add-ons set them, under any MILEPOST_* variable."""

from __future__ import annotations

import pytest

from connector.config import load_settings

HEROKU_DB = "postgres://u:pw@db.example:5432/d1"


def test_database_url_is_read_and_its_postgres_scheme_names_psycopg(tmp_path) -> None:
    config = tmp_path / "milepost.toml"
    config.write_text('[database]\nurl = "sqlite:///./var/milepost.db"\n')

    settings = load_settings(config, environ={"DATABASE_URL": HEROKU_DB})

    assert settings.database.url == "postgresql+psycopg://u:pw@db.example:5432/d1"


@pytest.mark.parametrize("name", ["MILEPOST_DATABASE_URL", "MILEPOST_DATABASE__URL"])
def test_a_milepost_database_url_wins_over_database_url(name) -> None:
    settings = load_settings(environ={"DATABASE_URL": HEROKU_DB, name: "sqlite:///mine.db"})

    assert settings.database.url == "sqlite:///mine.db"


def test_redis_url_is_the_broker_and_makes_the_deployment_scaled_out() -> None:
    assert load_settings(environ={}).worker.scale_out is False

    settings = load_settings(environ={"REDIS_URL": "rediss://:pw@cache.example:6380"})

    assert settings.worker.broker_url == "rediss://:pw@cache.example:6380"
    assert settings.worker.scale_out is True


def test_a_milepost_broker_url_wins_over_redis_url() -> None:
    settings = load_settings(environ={"REDIS_URL": "redis://addon:6379",
                                      "MILEPOST_WORKER__BROKER_URL": "redis://mine:6379/2"})

    assert settings.worker.broker_url == "redis://mine:6379/2"


def test_empty_add_on_variables_count_as_unset(tmp_path) -> None:
    config = tmp_path / "milepost.toml"
    config.write_text('[worker]\nbroker_url = "redis://file:6379/0"\n')

    settings = load_settings(config, environ={"DATABASE_URL": "", "REDIS_URL": ""})

    assert settings.database.url == "sqlite:///./var/milepost.db"
    assert settings.worker.broker_url == "redis://file:6379/0"


def test_a_bare_postgresql_url_anywhere_names_psycopg_and_the_cli_override_too() -> None:
    settings = load_settings(environ={"MILEPOST_DATABASE_URL": "postgresql://u@h/d"})

    assert settings.database.url == "postgresql+psycopg://u@h/d"
    assert settings.with_database("postgres://u@h/e").database.url == "postgresql+psycopg://u@h/e"
