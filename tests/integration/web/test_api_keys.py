"""API keys from the database: kept as a digest, scoped, revocable, their last use recorded; the
configured (legacy) key still works; the admin page shows a new key once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text

from connector.store import api_keys
from connector.store.db import transaction
from connector.store.key_rows import ApiKeyRow

from .conftest import csrf_of
from .projects import AUTH, database_key, schedule


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def new_key(app: Flask, scope: str) -> api_keys.NewKey:
    return database_key(app, scope, f"tracker ({scope})")


def bearer(key: api_keys.NewKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.plaintext}"}


def everything_stored(app: Flask) -> str:
    """Every value of every row of every table, as text."""
    engine = app.extensions["milepost"].engine
    with engine.connect() as connection:
        return "\n".join(repr(tuple(row)) for table in inspect(engine).get_table_names()
                         for row in connection.execute(text(f'SELECT * FROM "{table}"')))  # noqa: S608 - names from the schema


def last_used(app: Flask, key: api_keys.NewKey):  # type: ignore[no-untyped-def]
    with app.extensions["milepost"].sessions() as db:
        return db.scalar(select(ApiKeyRow.last_used_at).where(ApiKeyRow.public_id == key.key.public_id))


def test_a_key_and_its_webhook_secret_are_nowhere_in_the_database_in_clear(app, client):
    key = new_key(app, "write")
    assert client.get("/api/v1/forecast", headers=bearer(key)).status_code == 200
    secret_part = key.plaintext.split("_", 2)[2]

    stored = everything_stored(app)

    assert key.key.public_id in stored  # the row is there, found by its public id
    assert secret_part not in stored
    assert key.plaintext not in stored
    assert key.webhook_secret.removeprefix("whsec_") not in stored
    assert re.fullmatch(r"mpk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key.plaintext)


def test_a_write_key_may_do_everything_and_a_read_key_only_read(app, client):
    writer, reader = new_key(app, "write"), new_key(app, "read")

    assert client.post("/api/v1/schedules", json=schedule(), headers=bearer(writer)).status_code == 201
    assert client.get("/api/v1/projects/ACME-WEB/report", headers=bearer(reader)).status_code == 200
    refused = client.post("/api/v1/projects/ACME-WEB/milestones/1/submit", json={"by": "Sam"}, headers=bearer(reader))

    assert refused.status_code == 403
    assert [(p["field"], p["rule"]) for p in refused.get_json()["errors"]] == [("Authorization", "scope")]
    report = client.get("/api/v1/projects/ACME-WEB/report", headers=bearer(reader)).get_json()
    assert report["milestones"][0]["state"] == "planned"  # the read key changed nothing


def test_a_revoked_key_is_refused_and_so_are_unknown_and_altered_ones(app, client):
    key = new_key(app, "write")
    assert client.get("/api/v1/forecast", headers=bearer(key)).status_code == 200
    with transaction(app.extensions["milepost"].sessions) as db:
        api_keys.revoke(db, key.key.public_id)

    assert client.get("/api/v1/forecast", headers=bearer(key)).status_code == 401
    altered = key.plaintext[:-1] + ("A" if key.plaintext[-1] != "A" else "B")
    assert client.get("/api/v1/forecast", headers={"Authorization": f"Bearer {altered}"}).status_code == 401
    assert client.get("/api/v1/forecast", headers={"X-API-Key": "mpk_0123456789ab_nothing"}).status_code == 401


def test_the_configured_key_still_works_as_before(client):
    assert client.post("/api/v1/schedules", json=schedule(), headers=AUTH).status_code == 201
    assert client.get("/api/v1/projects/ACME-WEB/report", headers=AUTH).status_code == 200


def test_last_used_is_recorded_on_use_at_most_once_a_minute(app, client):
    key = new_key(app, "read")
    assert last_used(app, key) is None

    client.get("/api/v1/forecast", headers=bearer(key))
    first = last_used(app, key)
    client.get("/api/v1/forecast", headers=bearer(key))

    assert first is not None
    assert last_used(app, key) == first  # within the minute: no write
    with transaction(app.extensions["milepost"].sessions) as db:
        assert api_keys.check(db, key.plaintext, now=first + timedelta(seconds=61)) is not None
    assert last_used(app, key) == first + timedelta(seconds=61)


def test_the_admin_page_shows_a_new_key_once_lists_and_revokes(app, admin):
    made = admin.post("/admin/api-keys", data={"name": "Asana rules", "scope": "write", "csrf": csrf_of(admin)})
    page = made.get_data(as_text=True)
    key = re.search(r'id="new-key">(mpk_[^<]+)<', page)
    secret = re.search(r'id="new-webhook-secret">(whsec_[^<]+)<', page)

    assert made.status_code == 200
    assert key is not None
    assert secret is not None
    assert made.headers["Cache-Control"].startswith("no-store")
    client = app.test_client()
    assert client.get("/api/v1/forecast", headers={"Authorization": f"Bearer {key.group(1)}"}).status_code == 200
    listing = admin.get("/admin/api-keys").get_data(as_text=True)
    assert "Asana rules" in listing
    assert key.group(1) not in listing
    assert secret.group(1) not in listing

    public_id = key.group(1).split("_")[1]
    revoked = admin.post(f"/admin/api-keys/{public_id}/revoke", data={"csrf": csrf_of(admin)}, follow_redirects=True)
    assert "is revoked" in revoked.get_data(as_text=True)
    assert client.get("/api/v1/forecast", headers={"Authorization": f"Bearer {key.group(1)}"}).status_code == 401
    refused = admin.post("/admin/api-keys", data={"name": "", "scope": "admin", "csrf": csrf_of(admin)})
    assert refused.status_code == 400


def test_the_admin_page_needs_a_sign_in(client):
    assert client.get("/admin/api-keys").status_code == 302
    assert client.post("/admin/api-keys", data={"name": "x", "scope": "write"}).status_code == 302
