"""The admin password, API keys, Xero scope set, pause-work webhook and reclaim delay are
settings like any other: documented, overridable by MILEPOST_* variables (old names too),
secrets never in the file nor in a repr, and what the web app and the worker actually use."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connector.config import ConfigError, Settings, XeroSettings, load_settings, with_environment
from connector.platforms.custody import TokenCipher
from connector.web import create_app
from jobs.context import build_context

from .conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    add_user,
    csrf_of,
    sign_in,
    start_connect,
    web_settings,
)


def test_the_older_environment_names_still_reach_the_settings() -> None:
    settings = load_settings(environ={
        "MILEPOST_ADMIN_PASSWORD": "pw-old-name",
        "MILEPOST_API_KEYS": "key-one, key-two",
        "MILEPOST_PAUSE_WORK_WEBHOOK_URL": "https://hooks.example/pause",
        "MILEPOST_PAUSE_WORK_WEBHOOK_SECRET": "hook-secret",
        "MILEPOST_RECLAIM_AFTER_SECONDS": "45",
        "MILEPOST_XERO_SCOPES": "broad",
    })

    assert settings.app.admin_password == "pw-old-name"
    assert settings.app.api_keys == ("key-one", "key-two")
    assert settings.notifications.pause_work_webhook_url == "https://hooks.example/pause"
    assert settings.notifications.pause_work_webhook_secret == "hook-secret"
    assert settings.worker.reclaim_after_seconds == 45
    assert settings.xero.scopes == "broad"


def test_the_canonical_name_wins_over_the_older_one() -> None:
    settings = load_settings(environ={
        "MILEPOST_ADMIN_PASSWORD": "old", "MILEPOST_APP__ADMIN_PASSWORD": "new",
        "MILEPOST_RECLAIM_AFTER_SECONDS": "45", "MILEPOST_WORKER__RECLAIM_AFTER_SECONDS": "300",
    })

    assert (settings.app.admin_password, settings.worker.reclaim_after_seconds) == ("new", 300)


def test_the_new_secrets_are_refused_in_the_file_and_hidden_in_repr(tmp_path) -> None:
    config = tmp_path / "milepost.toml"
    config.write_text('[app]\napi_keys = ["in-the-file"]\n')
    with pytest.raises(ConfigError, match="app.api_keys is a secret"):
        load_settings(config, environ={})

    settings = load_settings(environ={
        "MILEPOST_APP__ADMIN_PASSWORD": "pw-9f2c", "MILEPOST_APP__API_KEYS": "key-7d1a",
        "MILEPOST_NOTIFICATIONS__PAUSE_WORK_WEBHOOK_SECRET": "hook-3b8e",
    })
    for secret in ("pw-9f2c", "key-7d1a", "hook-3b8e"):
        assert secret not in repr(settings)


def test_an_unknown_xero_scope_set_names_the_key() -> None:
    with pytest.raises(ConfigError, match="xero.scopes"):
        load_settings(environ={"MILEPOST_XERO__SCOPES": "everything"})
    assert XeroSettings(scopes="Broad").scopes == "broad"


def test_the_old_shared_password_signs_nobody_in_a_users_own_password_does(engine, database_url, sandbox) -> None:
    base = web_settings(database_url, sandbox.url)
    settings = replace(base, app=replace(base.app, admin_password="from-settings-only"))
    app = create_app(settings, environ={})
    try:
        client = app.test_client()
        client.get("/admin/login")
        assert "No users yet" in client.get("/admin/login").get_data(as_text=True)
        shared = client.post("/admin/login", data={"email": "admin@example.com", "password": "from-settings-only",
                                                   "csrf": csrf_of(client)})
        add_user(app, "ana@example.com", "admin", "ana's own long password")
        wrong = client.post("/admin/login", data={"email": "ana@example.com", "password": "from-settings-only",
                                                  "csrf": csrf_of(client)})
        right = client.post("/admin/login", data={"email": "Ana@Example.com", "password": "ana's own long password",
                                                  "csrf": csrf_of(client)})

        assert shared.status_code != 302
        assert wrong.status_code != 302
        assert right.status_code == 302
        assert client.get("/admin/").status_code == 200
    finally:
        app.extensions["milepost"].engine.dispose()


def test_the_api_accepts_a_key_from_settings_and_refuses_others(engine, database_url, sandbox) -> None:
    base = web_settings(database_url, sandbox.url)
    app = create_app(replace(base, app=replace(base.app, api_keys=("settings-key-1",))), environ={})
    try:
        client = app.test_client()
        refused = client.get("/api/v1/projects/NOPE/report", headers={"X-API-Key": "not-a-key"})
        accepted = client.get("/api/v1/projects/NOPE/report", headers={"Authorization": "Bearer settings-key-1"})

        assert refused.status_code == 401
        assert accepted.status_code == 404  # past the key check: there is no such project
    finally:
        app.extensions["milepost"].engine.dispose()


@pytest.mark.parametrize(("scopes", "asks_broad"), [("granular", False), ("broad", True)])
def test_the_xero_consent_asks_for_the_configured_scope_set(engine, database_url, sandbox, scopes, asks_broad) -> None:
    base = web_settings(database_url, sandbox.url)
    settings = replace(base, xero=replace(base.xero, scopes=scopes))
    app = create_app(settings, environ={})
    try:
        client = app.test_client()
        add_user(app, ADMIN_EMAIL, "admin", ADMIN_PASSWORD)
        sign_in(client)
        url = start_connect(client, "xero")

        assert ("accounting.transactions" in url) is asks_broad
        assert ("accounting.invoices" in url) is not asks_broad
    finally:
        app.extensions["milepost"].engine.dispose()


def test_the_worker_takes_its_webhook_and_reclaim_delay_from_settings(sqlite_url) -> None:
    base = Settings().with_database(sqlite_url)
    settings = replace(
        base,
        worker=replace(base.worker, reclaim_after_seconds=7),
        notifications=replace(base.notifications, pause_work_webhook_url="https://hooks.example/p",
                              pause_work_webhook_secret="hook-secret"),
        security=replace(base.security, token_keys=(TokenCipher.generate_key(),)),
    )
    ctx = build_context(settings, environ={})
    overridden = build_context(settings, environ={"MILEPOST_RECLAIM_AFTER_SECONDS": "99"})
    try:
        assert (ctx.pause_webhook_url, ctx.pause_webhook_secret) == ("https://hooks.example/p", "hook-secret")
        assert ctx.reclaim_after_seconds == 7
        assert overridden.reclaim_after_seconds == 99
        assert "hook-secret" not in repr(ctx)
    finally:
        ctx.close()
        overridden.close()


def test_laying_an_environment_over_settings_changes_only_what_it_names(sqlite_url) -> None:
    settings = Settings().with_database(sqlite_url)

    laid = with_environment(settings, {"MILEPOST_API_KEYS": "k1", "UNRELATED": "x"})

    assert laid.app.api_keys == ("k1",)
    assert laid.database == settings.database
    assert with_environment(settings, {}) is settings
