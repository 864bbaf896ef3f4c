"""A running sandbox (auto-consent), a migrated database and the web app pointed at both.

The app is configured the way an operator would: MILEPOST_SANDBOX_URL-style settings for the
sandbox, a Fernet key for tokens and an API key from the environment, and one admin user
(ADMIN_EMAIL, ADMIN_PASSWORD) as `milepost user add` would make them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient

from connector.config import SandboxSettings, SecuritySettings, Settings
from connector.platforms import install
from connector.sandbox.client import SandboxServer
from connector.web import create_app
from tests.people import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_of, sign_in
from tests.people import ensure_user as add_user
from tests.xero_openapi import Recorder, checked_traffic, record_xero

API_KEY = "test-api-key-0123456789"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(auto_consent=True) as server:
        record_xero(server)
        yield server


@pytest.fixture(autouse=True)
def fresh_books(sandbox: SandboxServer) -> None:
    sandbox.control.reset()


@pytest.fixture(autouse=True)
def xero_traffic_follows_the_spec(sandbox: SandboxServer, xero_spec) -> Iterator[Recorder]:
    """Each test's Xero requests and answers match Xero's OpenAPI document (issue 3)."""
    yield from checked_traffic(record_xero(sandbox), xero_spec)


def web_settings(database_url: str, sandbox_url: str) -> Settings:
    base = Settings().with_database(database_url)
    return replace(
        base,
        app=replace(base.app, secret_key="test-secret-key-not-for-production"),
        security=SecuritySettings(token_keys=(Fernet.generate_key().decode(),)),
        sandbox=SandboxSettings(url=sandbox_url, enabled=True),
    )


@pytest.fixture
def app(engine, database_url: str, sandbox: SandboxServer) -> Iterator[Flask]:
    """The app on a migrated database, once on SQLite and once on PostgreSQL."""
    application = create_app(
        web_settings(database_url, sandbox.url), environ={"MILEPOST_API_KEYS": API_KEY},
    )
    application.config["TESTING"] = True
    add_user(application, ADMIN_EMAIL, "admin", ADMIN_PASSWORD)
    yield application
    application.extensions["milepost"].engine.dispose()


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(client)
    return client


def start_connect(client: FlaskClient, platform: str) -> str:
    """Press "Connect to ..." and return where the browser is sent (the consent URL)."""
    answer = client.post(f"/oauth/{platform}/connect", data={"csrf": csrf_of(client)})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"]


def consent_and_callback(client: FlaskClient, platform: str):  # type: ignore[no-untyped-def]
    """The whole browser round trip: consent (auto) at the sandbox, then our callback."""
    consent = install.follow_consent(start_connect(client, platform))
    return client.get(f"/oauth/{platform}/callback", query_string=consent)
