"""Two organisations on one deployment: an API key (and the inbound hook it signs) sees only its
own organisation's projects, and another organisation's project answers exactly as an unknown
one does (404, the same body), so its existence does not leak."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from connector.store import api_keys
from connector.store.db import transaction
from connector.store.models import (
    ConnectionRow,
    OrganisationRow,
    OutboxRow,
    ProjectRow,
)
from tests.integration.web.projects import schedule
from tests.webhook_signatures import signed

from .conftest import AUTH
from .records import api, billed_and_paid, import_project

THEIRS = "THEIRS-1"


def _other_organisation(app: Flask) -> int:
    with transaction(app.extensions["milepost"].sessions) as db:
        row = OrganisationRow(name="Another firm")
        db.add(row)
        db.flush()
        return row.id


@pytest.fixture
def other(app: Flask, client: FlaskClient) -> int:
    """ACME-WEB in the default organisation and THEIRS-1 in another, each billed and paid."""
    organisation_id = _other_organisation(app)
    for key in ("ACME-WEB", THEIRS):
        import_project(client, AUTH, key)
        billed_and_paid(app, client, AUTH, key)
    with transaction(app.extensions["milepost"].sessions) as db:
        db.execute(update(ProjectRow).where(ProjectRow.key == THEIRS).values(organisation_id=organisation_id))
    return organisation_id


def _key(app: Flask, organisation_id: int, scope: str = "write") -> api_keys.NewKey:
    res = app.extensions["milepost"]
    with transaction(res.sessions) as db:
        return api_keys.create(db, "their tracker", scope, res.cipher(), organisation_id=organisation_id)


def _bearer(key: api_keys.NewKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.plaintext}"}


def _items(client: FlaskClient, path: str, auth: dict[str, str]) -> list[dict[str, Any]]:
    answer = api(client, "GET", path, auth)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return list(answer.get_json()["items"])


def _same_404(client: FlaskClient, method: str, path: str, auth: dict[str, str], body: object = None,
              *, theirs: str = THEIRS) -> None:
    """`path` naming their project answers as the same path naming no project at all."""
    hidden = api(client, method, path, auth, body)
    unknown = api(client, method, path.replace(theirs, "NO-SUCH-1"), auth, body)
    assert hidden.status_code == unknown.status_code == 404, hidden.get_data(as_text=True)
    assert hidden.get_data(as_text=True).replace(theirs, "NO-SUCH-1") == unknown.get_data(as_text=True)


def _ids(client: FlaskClient, kind: str, auth: dict[str, str]) -> dict[str, int]:
    return {item["project"]: item["id"] for item in _items(client, f"/{kind}", auth)}


def _sees_only(client: FlaskClient, auth: dict[str, str], own: str, hidden: str) -> None:
    assert [p["key"] for p in _items(client, "/projects", auth)] == [own]
    for kind in ("milestones", "invoices", "payments", "history"):
        assert {item["project"] for item in _items(client, f"/{kind}", auth)} == {own}, kind
        assert _items(client, f"/{kind}?project={hidden}", auth) == []
    forecast = api(client, "GET", "/forecast?weeks=52", auth).get_json()
    assert {item["project"] for item in forecast["items"] + forecast["drafts"] + forecast["undated"]} <= {own}
    _same_404(client, "GET", f"/projects/{hidden}", auth, theirs=hidden)
    _same_404(client, "GET", f"/projects/{hidden}/milestones/1", auth, theirs=hidden)
    _same_404(client, "GET", f"/projects/{hidden}/report", auth, theirs=hidden)
    _same_404(client, "GET", f"/forecast?project={hidden}", auth, theirs=hidden)


def test_a_key_lists_and_reads_only_its_own_organisations_records(app, client, other):
    _sees_only(client, AUTH, "ACME-WEB", THEIRS)  # a configured key acts for the default organisation
    mine = _key(app, other)
    _sees_only(client, _bearer(mine), THEIRS, "ACME-WEB")

    for kind in ("invoices", "payments", "history"):  # their records by id: as if there were none
        their_id = _ids(client, kind, _bearer(mine))[THEIRS]
        answer = api(client, "GET", f"/{kind}/{their_id}", AUTH)
        assert answer.status_code == 404
        assert answer.get_json() == api(client, "GET", f"/{kind}/987654", AUTH).get_json()


def test_another_organisations_project_cannot_be_changed_and_answers_as_unknown(app, client, other):
    def events() -> int:
        with app.extensions["milepost"].sessions() as db:
            return int(db.scalar(select(func.count()).select_from(OutboxRow)) or 0)

    before = events()
    _same_404(client, "POST", f"/projects/{THEIRS}/milestones/2/submit", AUTH, {"by": "Mallory"})
    _same_404(client, "POST", f"/projects/{THEIRS}/milestones/1/void", AUTH,
              {"reason": "not theirs to void", "by": "Mallory"})
    _same_404(client, "POST", f"/projects/{THEIRS}/milestones/1/credit", AUTH,
              {"amount": "10.00", "reason": "not theirs", "by": "Mallory"})
    assert events() == before


def test_a_project_imported_with_a_key_is_its_organisations_and_links_only_its_connections(app, client, other):
    mine = _key(app, other)
    with transaction(app.extensions["milepost"].sessions) as db:
        default_connection = ConnectionRow(platform="quickbooks", tenant_id="9130", name="Default books")
        db.add(default_connection)
        db.flush()
        connection_id = default_connection.id

    import_project(client, _bearer(mine), "THEIRS-2")
    with app.extensions["milepost"].sessions() as db:
        assert db.scalar(select(ProjectRow.organisation_id).where(ProjectRow.key == "THEIRS-2")) == other
    _same_404(client, "GET", "/projects/THEIRS-2", AUTH, theirs="THEIRS-2")

    body = schedule()
    body["project"]["key"] = "THEIRS-3"
    body["connection"] = connection_id
    answer = api(client, "POST", "/projects", _bearer(mine), body)
    assert answer.status_code == 400
    assert {(p["field"], p["rule"]) for p in answer.get_json()["errors"]} == {("connection", "unknown_connection")}


def test_the_inbound_hook_reaches_only_its_keys_organisation(app, client, other):
    mine = _key(app, other)

    def hook(project: str, message_id: str):  # type: ignore[no-untyped-def]
        body = json.dumps({"type": "milestone.submitted",
                           "data": {"project": project, "seq": 2, "by": "Their tracker",
                                    "evidence": ["design-files.zip"]}}).encode()
        return client.post(f"/api/v1/hooks/{mine.key.public_id}", data=body,
                           headers=signed(mine.webhook_secret, message_id, body))

    hidden, unknown = hook("ACME-WEB", "msg_1"), hook("NO-SUCH-1", "msg_2")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.get_data(as_text=True).replace("ACME-WEB", "NO-SUCH-1") == unknown.get_data(as_text=True)
    assert next(m for m in _items(client, "/milestones?project=ACME-WEB", AUTH) if m["seq"] == 2)["state"] == "planned"

    own = hook(THEIRS, "msg_3")
    assert own.status_code == 200, own.get_data(as_text=True)
    assert own.get_json()["state"] == "submitted"


def test_a_keys_subscriptions_hear_only_of_its_organisations_projects(app, client, other):
    mine = _key(app, other)
    answer = api(client, "POST", "/subscriptions", _bearer(mine),
                 {"url": "https://hooks.example.com/milepost", "events": ["milestone.submitted"]})
    assert answer.status_code == 201, answer.get_data(as_text=True)

    def deliveries() -> int:
        with app.extensions["milepost"].sessions() as db:
            return int(db.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == "webhook")) or 0)

    assert api(client, "POST", "/projects/ACME-WEB/milestones/2/submit", AUTH, {"by": "Sam", "evidence": ["design-files.zip"]}).status_code == 200
    assert deliveries() == 0
    assert api(client, "POST", f"/projects/{THEIRS}/milestones/2/submit", _bearer(mine),
               {"by": "Sam", "evidence": ["design-files.zip"]}).status_code == 200
    assert deliveries() == 1
