"""A project as the API receives it, submitted for acceptance, and its approver's link."""

from __future__ import annotations

import tomllib
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient

from connector.store import api_keys
from connector.store.db import transaction
from connector.web.security import portal_token
from tests.integration.cli.schedules import BROKEN, GOOD

from .conftest import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def schedule(text: str = GOOD) -> dict:
    """The TOML schedule as the JSON body the API takes."""
    return tomllib.loads(text)


def broken_schedule() -> dict:
    return tomllib.loads(BROKEN)


def api(client: FlaskClient, method: str, path: str, body: object = None):  # type: ignore[no-untyped-def]
    return client.open(f"/api/v1{path}", method=method, json=body, headers=AUTH)


def import_and_submit(client: FlaskClient, seq: int = 1) -> None:
    assert api(client, "POST", "/schedules", schedule()).status_code == 201
    answer = api(client, "POST", f"/projects/ACME-WEB/milestones/{seq}/submit",
                 {"by": "Sam (studio)", "evidence": ["requirements-v1.3.pdf"]})
    assert answer.status_code == 200, answer.get_json()


def link_for(app: Flask, seq: int = 1, issued_at: datetime | None = None) -> str:
    token = portal_token(app.config["SECRET_KEY"], "ACME-WEB", seq, "dana@acme.example", issued_at)
    return f"/portal/{token}"


def report(client: FlaskClient) -> dict:
    answer = api(client, "GET", "/projects/ACME-WEB/report")
    assert answer.status_code == 200
    return answer.get_json()


def milestone(client: FlaskClient, seq: int = 1) -> dict:
    return next(m for m in report(client)["milestones"] if m["seq"] == seq)


def database_key(app: Flask, scope: str = "write", name: str = "tracker") -> api_keys.NewKey:
    """A key as `milepost api-key create` makes it, in the app's database."""
    res = app.extensions["milepost"]
    with transaction(res.sessions) as db:
        return api_keys.create(db, name, scope, res.cipher())


def outbox_count(app: Flask) -> int:
    """How many intents are queued: a decision that was not recorded queued none."""
    from sqlalchemy import func, select

    from connector.store.models import OutboxRow

    with app.extensions["milepost"].sessions() as db:
        return int(db.scalar(select(func.count()).select_from(OutboxRow)) or 0)


def submitted_browser(app: Flask) -> FlaskClient:
    """A browser for which ACME-WEB is imported and its milestone 1 submitted."""
    browser = app.test_client()
    import_and_submit(browser)
    return browser


def open_page(client: FlaskClient, path: str):  # type: ignore[no-untyped-def]
    """(answer, its text unescaped, this browser's CSRF token) for a GET of `path`."""
    import html

    answer = client.get(path)
    with client.session_transaction() as session:
        csrf = session.get("csrf", "")
    return answer, html.unescape(answer.get_data(as_text=True)), csrf
