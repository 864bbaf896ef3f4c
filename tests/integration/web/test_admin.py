"""The admin pages: sign-in, the sync log, connections needing reconnect, projects and links."""

from __future__ import annotations

import html

from connector.platforms.custody import NEEDS_RECONNECT
from connector.platforms.token_rows import ConnectionTokenRow
from connector.store.db import transaction
from connector.store.job_runs import finish_job, start_job
from connector.store.models import ConnectionRow

from .conftest import consent_and_callback, csrf_of, sign_in
from .projects import api, schedule


def text_of(answer) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(answer.get_data(as_text=True))


def test_the_admin_pages_need_the_admin_password(app):
    client = app.test_client()
    assert client.get("/admin/").status_code == 302
    sign_in(client, password="wrong")
    assert client.get("/admin/").status_code == 302
    sign_in(client)
    assert client.get("/admin/").status_code == 200


def test_a_login_form_without_its_csrf_token_is_refused(app):
    client = app.test_client()
    client.get("/admin/login")
    assert client.post("/admin/login", data={"password": "correct horse battery"}).status_code == 400
    assert client.get("/admin/").status_code == 302


def test_the_sync_log_shows_the_platforms_message_and_code(app, admin):
    consent_and_callback(admin, "quickbooks")
    sessions = app.extensions["milepost"].sessions
    with transaction(sessions) as db:
        run = start_job(db, "drain_outbox", connection_id=1)
        finish_job(db, run, "failed", error="quickbooks: Stale Object Error | code 5010 | request id 1-abc")

    page = text_of(admin.get("/admin/"))

    assert "drain_outbox" in page
    assert "Stale Object Error | code 5010 | request id 1-abc" in page
    assert "Milepost Builders (US)" in page


def test_a_connection_whose_grant_died_is_shown_for_reconnecting(app, admin):
    consent_and_callback(admin, "quickbooks")
    with transaction(app.extensions["milepost"].sessions) as db:
        db.get(ConnectionRow, 1).status = NEEDS_RECONNECT
        db.get(ConnectionTokenRow, 1).grant.last_error = "quickbooks: invalid_grant"

    page = text_of(admin.get("/admin/"))

    alert = page.split("Connections needing reconnect")[1].split("</section>")[0]
    assert "Milepost Builders (US)" in alert
    assert "quickbooks: invalid_grant" in alert
    assert "Reconnect" in page


def test_a_project_is_linked_to_a_connection_from_its_page(app, admin):
    consent_and_callback(admin, "xero")
    api(admin, "POST", "/schedules", schedule())

    admin.post("/admin/projects/ACME-WEB/link", data={"csrf": csrf_of(admin), "connection": "2"})

    dashboard = text_of(admin.get("/admin/"))
    assert "Thames Studio Ltd (sandbox)" in dashboard.split('id="projects"')[1]
    project = text_of(admin.get("/admin/projects/ACME-WEB"))
    assert "Discovery complete" in project
    assert "/portal/" in project  # the approver's link, ready to copy


def test_each_connection_on_the_dashboard_links_to_its_settings_page(app, admin):
    consent_and_callback(admin, "quickbooks")

    dashboard = admin.get("/admin/").get_data(as_text=True)
    row = dashboard.split('id="connections"')[1].split("</table>")[0]
    assert 'href="/admin/connections/1/settings"' in row
    assert admin.get("/admin/connections/1/settings").status_code == 200
