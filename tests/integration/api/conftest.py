"""The app on a migrated database (SQLite and PostgreSQL), the sandbox off: the API's reads,
pages and uploads need nothing from the books."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient

from connector.config import SecuritySettings, Settings
from connector.web import create_app

API_KEY = "api-test-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def api_app(database_url: str, **app_settings: object) -> Flask:
    base = Settings().with_database(database_url)
    settings = replace(base, app=replace(base.app, secret_key="test-secret-key-not-for-production", **app_settings),
                       security=SecuritySettings(token_keys=(Fernet.generate_key().decode(),)),
                       sandbox=replace(base.sandbox, enabled=False))
    app = create_app(settings, environ={"MILEPOST_API_KEYS": API_KEY})
    app.config["TESTING"] = True
    return app


@pytest.fixture
def app(engine, database_url: str) -> Iterator[Flask]:
    application = api_app(database_url, evidence_max_mb=1)
    yield application
    application.extensions["milepost"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
