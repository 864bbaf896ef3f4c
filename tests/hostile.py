"""Shared by the hostile-input tests and the fuzz suite: the web app on PostgreSQL with webhook
secrets set, signed deliveries, and the row count of every table (a refusal writes nothing)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import Engine

from connector.config import SecuritySettings, Settings
from connector.store.db import make_engine, migrate, session_factory
from connector.store.models import ConnectionRow
from connector.web import create_app
from tests.people import ADMIN_EMAIL, ADMIN_PASSWORD, ensure_user

API_KEY = "hostile-api-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
QBO_TOKEN = "qbo-verifier-token-for-tests"
XERO_KEY = "xero-webhook-key-for-tests"
REALM, TENANT = "9130350000000001", "0b2d7c3e-0000-4000-8000-000000000001"


def hostile_app(database_url: str) -> Flask:
    """The app on a migrated database, with an API key, webhook secrets and one known company
    on each platform (so signed events would be recorded)."""
    base = Settings().with_database(database_url)
    settings = replace(
        base,
        app=replace(base.app, secret_key="test-secret-key-not-for-production"),
        security=SecuritySettings(token_keys=(Fernet.generate_key().decode(),)),
        sandbox=replace(base.sandbox, enabled=False),
        quickbooks=replace(base.quickbooks, webhook_verifier_token=QBO_TOKEN),
        xero=replace(base.xero, webhook_key=XERO_KEY),
    )
    app = create_app(settings, environ={"MILEPOST_API_KEYS": API_KEY})
    app.config["TESTING"] = True
    ensure_user(app, ADMIN_EMAIL, "admin", ADMIN_PASSWORD)
    sessions = app.extensions["milepost"].sessions
    with sessions() as db, db.begin():
        db.add(ConnectionRow(platform="quickbooks", tenant_id=REALM, name="Hostile QBO"))
        db.add(ConnectionRow(platform="xero", tenant_id=TENANT, name="Hostile Xero"))
    return app


@contextmanager
def postgres_app() -> Iterator[tuple[Flask, Engine]]:
    """`hostile_app` on a migrated schema of its own, shared by a module's tests: they refuse
    input and check that nothing was written, so one database serves them all."""
    from tests import conftest as base

    base._require_postgres()
    schema = f"mp_hostile_{uuid.uuid4().hex[:12]}"
    with base._pg_admin() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = (f"postgresql+psycopg://{base._pg_user()}@{base.PG_HOST}:{base.PG_PORT}/{base.PG_DB}"
           f"?options=-csearch_path%3D{schema}")
    engine = make_engine(url)
    try:
        migrate(engine)
        app = hostile_app(url)
        yield app, engine
        app.extensions["milepost"].engine.dispose()
    finally:
        engine.dispose()
        with base._pg_admin() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the database (Alembic's own included)."""
    names = inspect(engine).get_table_names()
    with session_factory(engine)() as db:
        return {name: int(db.scalar(select(func.count()).select_from(table(name))) or 0)
                for name in names}


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(client: FlaskClient, platform: str, body: bytes):  # type: ignore[no-untyped-def]
    """A correctly signed webhook delivery of `body`."""
    if platform == "quickbooks":
        headers = {"intuit-signature": signature(QBO_TOKEN, body)}
    else:
        headers = {"x-xero-signature": signature(XERO_KEY, body)}
    return client.post(f"/webhooks/{platform}", data=body,
                       headers={**headers, "Content-Type": "application/json"})


def api(client: FlaskClient, method: str, path: str, body: object = None, *, raw: bytes | None = None):  # type: ignore[no-untyped-def]
    data = raw if raw is not None else json.dumps(body, default=str).encode()
    return client.open(f"/api/v1{path}", method=method, data=data,
                       headers={**AUTH, "Content-Type": "application/json"})


def problems(answer) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(field, rule) of every problem in an error answer; each names both."""
    found = answer.get_json()["errors"]
    assert found, answer.get_data(as_text=True)
    assert all(p["field"] and p["rule"] and p["message"] for p in found), found
    return {(p["field"], p["rule"]) for p in found}
