"""What the background work left on the admin pages (runs, failures, failed intents, bookkeepers'
edits, pause-work flags) and the actions on it (retry, disconnect) are the organisation's own: a
user of another organisation sees none of ours, and acting on ours is answered as on an unknown
row, writing nothing. A company they connect is theirs."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from connector.platforms.token_rows import ConnectionTokenRow
from connector.store import links
from connector.store.db import transaction
from connector.store.models import ConnectionRow, JobRunRow, OrganisationRow, OutboxRow, ProjectRow

from .conftest import consent_and_callback, csrf_of
from .projects import api, import_and_submit
from .test_admin_activity import REASON, a_voided_invoice_and_a_flag, text_of
from .test_organisation_pages import another_firms_admin

OURS = ("OUR-SYNC-FAILED", "OUR-DRAIN-FAILED", "OUR-DEPLOYMENT-JOB-FAILED", "OUR-INTENT-REFUSED",
        "OUR-MAIL-REFUSED", "invoice 1001: voided in the books by a bookkeeper", REASON)


def our_books_and_their_troubles(app, admin) -> int:  # type: ignore[no-untyped-def]
    """Our connection 1 and ACME-WEB with what the worker would have left about them: a standing
    failure, an eventful run, a failed intent, a failed e-mail, an edit and a pause flag; the
    failed intent's id."""
    consent_and_callback(admin, "quickbooks")
    import_and_submit(admin)
    assert api(admin, "POST", "/projects/ACME-WEB/milestones/1/accept", {"by": "Dana Lee"}).status_code == 200
    a_voided_invoice_and_a_flag(app)
    with transaction(app.extensions["milepost"].sessions) as db:
        project_id = db.scalar(select(ProjectRow.id).where(ProjectRow.key == "ACME-WEB"))
        db.add_all([
            JobRunRow(job="sync_connection", connection_id=1, outcome="error", error="OUR-SYNC-FAILED", counts={}),
            JobRunRow(job="drain_outbox", connection_id=1, outcome="ok", counts={"invoiced": 1},
                      error="OUR-DRAIN-FAILED"),
            JobRunRow(job="deem_failures", connection_id=None, outcome="error",
                      error="OUR-DEPLOYMENT-JOB-FAILED", counts={}),
            OutboxRow(idempotency_key="mail:ACME-WEB:ours", project_id=None, seq=1, status="failed",
                      kind="mail", attempts=5, last_error="OUR-MAIL-REFUSED",
                      payload={"project_key": "ACME-WEB", "message": "intent_failed"}),
        ])
        intent = db.scalars(select(OutboxRow).where(OutboxRow.project_id == project_id)).one()
        intent.status, intent.attempts, intent.last_error, intent.connection_id = "failed", 5, "OUR-INTENT-REFUSED", 1
        return intent.id


@pytest.fixture
def them(app: Flask) -> FlaskClient:
    """An admin of another organisation, signed in."""
    return another_firms_admin(app)


def statuses(app) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with app.extensions["milepost"].sessions() as db:
        return {row.id: row.status for row in db.execute(select(OutboxRow.id, OutboxRow.status))}


def test_their_dashboard_shows_none_of_our_runs_failures_intents_edits_or_flags(app, admin, them):
    our_books_and_their_troubles(app, admin)

    ours = text_of(admin.get("/admin/"))
    assert all(words in ours for words in OURS), [w for w in OURS if w not in ours]

    theirs = text_of(them.get("/admin/"))
    assert [words for words in OURS if words in theirs] == []
    assert 'id="failed-intents"' not in theirs
    assert 'id="pause-work"' not in theirs
    assert "ACME-WEB" not in theirs


def test_they_cannot_retry_our_failed_intents(app, admin, them):
    intent_id = our_books_and_their_troubles(app, admin)

    unknown = them.post("/admin/intents/999999/retry", data={"csrf": csrf_of(them)}, follow_redirects=True)
    refused = them.post(f"/admin/intents/{intent_id}/retry", data={"csrf": csrf_of(them)}, follow_redirects=True)
    assert refused.status_code == unknown.status_code
    assert f"Not retried: no intent {intent_id}" in text_of(refused)
    them.post("/admin/intents/retry-failed", data={"csrf": csrf_of(them)})

    assert set(statuses(app).values()) == {"failed"}  # nothing of ours went back to pending
    assert admin.post(f"/admin/intents/{intent_id}/retry", data={"csrf": csrf_of(admin)}).status_code == 302
    assert statuses(app)[intent_id] == "pending"


def test_they_cannot_see_or_disconnect_our_connection(app, admin, them):
    our_books_and_their_troubles(app, admin)

    assert them.get("/admin/connections/1/disconnect").status_code == 404
    assert "Milepost Builders (US)" not in text_of(them.get("/admin/connections/1/disconnect"))
    assert them.post("/admin/connections/1/disconnect", data={"csrf": csrf_of(them)}).status_code == 404
    assert them.get("/admin/connections/1/settings").status_code == 404
    assert "Milepost Builders (US)" in text_of(admin.get("/admin/connections/1/disconnect"))


def their_organisation(app) -> int:  # type: ignore[no-untyped-def]
    with app.extensions["milepost"].sessions() as db:
        return int(db.scalar(select(OrganisationRow.id).where(OrganisationRow.name == "Another firm")))


def test_linking_our_project_is_answered_as_for_an_unknown_one(app, admin, them):
    our_books_and_their_troubles(app, admin)
    with transaction(app.extensions["milepost"].sessions) as db:
        books = ConnectionRow(organisation_id=their_organisation(app), platform="quickbooks",
                              tenant_id="their-realm", name="Their books")
        db.add(books)
        db.flush()
        theirs = books.id
    with app.extensions["milepost"].sessions() as db:
        before = links.linked_connection(db, "ACME-WEB")

    ours = them.post("/admin/projects/ACME-WEB/link", data={"connection": theirs, "csrf": csrf_of(them)})
    unknown = them.post("/admin/projects/NOPE-WEB/link", data={"connection": theirs, "csrf": csrf_of(them)})

    assert (ours.status_code, text_of(ours).replace("ACME-WEB", "NOPE-WEB")) == (404, text_of(unknown))
    with app.extensions["milepost"].sessions() as db:
        assert links.linked_connection(db, "ACME-WEB") == before


def connections_listed(client) -> str:  # type: ignore[no-untyped-def]
    """The dashboard's table of connections (not the flashed message above it)."""
    page = text_of(client.get("/admin/"))
    return page.split('id="connections"')[1].split("</table>")[0] if 'id="connections"' in page else ""


def test_a_company_they_connect_is_theirs_and_we_cannot_take_it_over(app, admin, them):
    assert consent_and_callback(them, "quickbooks").status_code == 302

    assert "Milepost Builders (US)" in connections_listed(them)
    assert "Milepost Builders (US)" not in text_of(admin.get("/admin/"))
    with app.extensions["milepost"].sessions() as db:
        [(owner, grant)] = db.execute(select(ConnectionRow.organisation_id, ConnectionTokenRow.grant_id)
                                      .join(ConnectionTokenRow, ConnectionTokenRow.connection_id == ConnectionRow.id)).all()
    assert owner == their_organisation(app)

    refused = consent_and_callback(admin, "quickbooks")  # the same company, from our admin
    assert refused.status_code == 409
    assert "another organisation" in text_of(refused)
    with app.extensions["milepost"].sessions() as db:
        assert db.execute(select(ConnectionRow.organisation_id, ConnectionTokenRow.grant_id)
                          .join(ConnectionTokenRow, ConnectionTokenRow.connection_id == ConnectionRow.id)
                          ).all() == [(owner, grant)]
    assert "Milepost Builders (US)" not in text_of(admin.get("/admin/"))
