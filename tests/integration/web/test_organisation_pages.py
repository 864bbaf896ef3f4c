"""Admin pages of a second organisation: its API keys, its imports and its dashboard's forecast
are its own; the default organisation's keys and projects are not found from there."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from connector.store import api_keys, people
from connector.store.db import transaction
from connector.store.models import OrganisationRow, ProjectRow
from tests.integration.api.records import billed_and_paid
from tests.integration.cli.schedules import GOOD

from .conftest import csrf_of
from .projects import AUTH, database_key, schedule
from .test_admin_glance import text_of

THEIR_EMAIL, THEIR_PASSWORD = "them@another.example", "another long enough password"


@pytest.fixture
def them(app: Flask) -> FlaskClient:
    """An admin of another organisation, signed in."""
    return another_firms_admin(app)


def another_firms_admin(app: Flask) -> FlaskClient:
    """A browser signed in as the admin of a new organisation, "Another firm"."""
    with transaction(app.extensions["milepost"].sessions) as db:
        firm = OrganisationRow(name="Another firm")
        db.add(firm)
        db.flush()
        people.add_user(db, THEIR_EMAIL, "admin", THEIR_PASSWORD, organisation_id=firm.id)
    client = app.test_client()
    client.get("/admin/login")
    signed = client.post("/admin/login", data={"email": THEIR_EMAIL, "password": THEIR_PASSWORD,
                                               "csrf": csrf_of(client)})
    assert signed.status_code == 302
    return client


def test_their_key_page_lists_makes_and_revokes_only_their_keys(app, them):
    ours = database_key(app, "write", "our tracker")
    assert app.test_client().post("/api/v1/schedules", json=schedule(), headers=AUTH).status_code == 201

    assert "our tracker" not in text_of(them.get("/admin/api-keys"))
    refused = them.post(f"/admin/api-keys/{ours.key.public_id}/revoke", data={"csrf": csrf_of(them)})
    assert refused.status_code == 404
    assert them.post(f"/admin/api-keys/{ours.key.public_id}/rotate", data={"csrf": csrf_of(them)}).status_code == 404
    with app.extensions["milepost"].sessions() as db:
        assert api_keys.find(db, ours.key.public_id).revoked_at is None

    made = them.post("/admin/api-keys", data={"name": "their tracker", "scope": "read", "csrf": csrf_of(them)})
    theirs = re.search(r'id="new-key">(mpk_[^<]+)<', made.get_data(as_text=True))
    assert theirs is not None
    listed = app.test_client().get("/api/v1/projects", headers={"Authorization": f"Bearer {theirs.group(1)}"})
    assert listed.status_code == 200
    assert listed.get_json()["items"] == []  # ACME-WEB is the default organisation's


def test_a_schedule_they_import_is_theirs(app, admin, them):
    answer = them.post("/admin/projects/import", content_type="multipart/form-data", data={
        "csrf": csrf_of(them), "schedule": (io.BytesIO(GOOD.encode()), "acme-web.toml")})

    assert answer.status_code == 302
    assert them.get("/admin/projects/ACME-WEB").status_code == 200
    assert admin.get("/admin/projects/ACME-WEB").status_code == 404
    with app.extensions["milepost"].sessions() as db:
        assert db.scalar(select(ProjectRow.organisation_id).where(ProjectRow.key == "ACME-WEB")) != 1


def test_their_dashboard_forecasts_none_of_our_cash(app, admin, them):
    client = app.test_client()
    assert client.post("/api/v1/schedules", json=schedule(), headers=AUTH).status_code == 201
    billed_and_paid(app, client, AUTH)  # 146.91 still owed on our invoice
    assert "no cash expected" not in text_of(admin.get("/admin/"))

    assert "no cash expected" in text_of(them.get("/admin/"))
