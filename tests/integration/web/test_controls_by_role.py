"""Each page shows a person only the controls their role may use.

The server already refuses what a role may not do (test_roles.py); these tests read the pages
as a viewer, a bookkeeper and an admin would see them, on books where every control has a
reason to appear (a live QuickBooks company, a Xero one to reconnect, an invoiced milestone, a
failed intent), and check which forms and links are drawn: a viewer sees no form that changes
anything and is told the pages are read only; a bookkeeper sees no admin control; an admin
sees them all.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from connector.platforms.custody import NEEDS_RECONNECT
from connector.store import people
from connector.store.db import transaction
from connector.store.models import ConnectionRow, OutboxRow
from connector.web.security import role_for
from jobs.context import build_context
from jobs.runner import run_job
from tests.people import signed_in_client

from .conftest import consent_and_callback
from .projects import api, schedule

PAGES = {
    "dashboard": "/admin/",
    "project": "/admin/projects/ACME-WEB",
    "settings": "/admin/connections/1/settings",
    "disconnect": "/admin/connections/1/disconnect",
    "import": "/admin/projects/import",
    "estimate": "/admin/imports/new?connection=1",
}
# Pages that exist only to send a form: a link to one is a control too.
FORM_PAGES = {"admin.confirm_disconnect", "projects.import_schedule", "imports.new"}


class Controls(HTMLParser):
    """The forms (method, action, submit buttons), links and enabled fields of a page."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []
        self.loose_buttons = 0  # buttons outside any form
        self.enabled_fields: list[str] = []
        self.ids: set[str] = set()
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "form":
            self._open = {"method": a.get("method", "get").lower(),
                          "action": urlsplit(urljoin(self.path, a.get("action") or self.path)).path,
                          "buttons": []}
            self.forms.append(self._open)
        elif tag == "button":
            if self._open is None:
                self.loose_buttons += 1
            else:
                self._open["buttons"].append(a.get("class", ""))
        elif tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(urlsplit(a["href"]).path)
        elif tag in ("input", "select", "textarea") and a.get("type") != "hidden" \
                and "disabled" not in a and "readonly" not in a:
            self.enabled_fields.append(a.get("name", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def read(app: Flask, client: FlaskClient, path: str) -> dict[str, Any]:
    """What the page offers: POST forms and links, as (endpoint, method) the server routes."""
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    page = Controls(path)
    page.feed(answer.get_data(as_text=True))
    urls = app.url_map.bind("localhost")
    posts = {urls.match(f["action"], method="POST")[0] for f in page.forms if f["method"] == "post"}
    links = {urls.match(link, method="GET")[0] for link in page.links
             if not link.startswith(("/static/", "/portal/"))}
    return {"posts": posts, "links": links, "page": page}


def least_role(app: Flask, endpoint: str, method: str) -> str | None:
    with app.test_request_context():
        return role_for(endpoint, method)


@pytest.fixture
def books(app: Flask) -> Flask:
    """QuickBooks live (1), Xero needing reconnect (2), ACME-WEB linked to QuickBooks with
    milestone 1 invoiced, and milestone 2's invoice intent failed."""
    admin = signed_in_client(app)
    assert consent_and_callback(admin, "quickbooks").status_code == 302
    assert consent_and_callback(admin, "xero").status_code == 302
    res = app.extensions["milepost"]
    with transaction(res.sessions) as db:
        db.get(ConnectionRow, 2).status = NEEDS_RECONNECT
    assert api(admin, "POST", "/schedules", {**schedule(), "connection": 1}).status_code == 201
    for seq in (1, 2):
        assert api(admin, "POST", f"/projects/ACME-WEB/milestones/{seq}/submit",
                   {"by": "Sam (studio)", "evidence": ["plan.pdf"]}).status_code == 200
        assert api(admin, "POST", f"/projects/ACME-WEB/milestones/{seq}/accept",
                   {"by": "Dana Lee"}).status_code == 200
        if seq == 1:
            ctx = build_context(res.settings, environ={}, endpoints=res.endpoints())
            try:
                run_job(ctx, "drain_outbox")
            finally:
                ctx.close()
    with transaction(res.sessions) as db:
        pending = db.scalars(select(OutboxRow).where(OutboxRow.status == "pending")).all()
        assert [row.seq for row in pending] == [2]
        pending[0].status, pending[0].last_error = "failed", "quickbooks: Business Validation Error | code 6000"
    signed_in_client(app, "bookkeeper", "bo@example.com")
    signed_in_client(app, "viewer", "vi@example.com")
    return app


def every_page(app: Flask, client: FlaskClient) -> dict[str, dict[str, Any]]:
    return {name: read(app, client, path) for name, path in PAGES.items()}


def test_an_admin_sees_every_control(books):
    seen = every_page(books, signed_in_client(books))

    assert {"oauth.connect", "admin.retry", "admin.retry_failed", "admin.logout"} <= seen["dashboard"]["posts"]
    assert {"admin.confirm_disconnect", "projects.import_schedule", "imports.new", "api_keys.index",
            "users.index", "mapping.settings"} <= seen["dashboard"]["links"]
    assert {"admin.void", "admin.credit", "admin.link"} <= seen["project"]["posts"]
    assert "mapping.settings" in seen["settings"]["posts"]
    assert "admin.disconnect" in seen["disconnect"]["posts"]
    assert "projects.import_schedule" in seen["import"]["posts"]
    assert "imports.new" in seen["estimate"]["posts"]
    assert "/portal/" in signed_in_client(books).get(PAGES["project"]).get_data(as_text=True)
    assert all("read-only" not in read["page"].ids for read in seen.values())


def test_a_bookkeeper_sees_their_controls_and_no_admin_one(books):
    seen = every_page(books, signed_in_client(books, "bookkeeper", "bo@example.com"))

    offered = {(endpoint, "POST") for read in seen.values() for endpoint in read["posts"]}
    offered |= {(endpoint, "POST" if endpoint in FORM_PAGES else "GET")
                for read in seen.values() for endpoint in read["links"]}
    assert {key for key in offered if least_role(books, *key) == "admin"} == set()
    assert "oauth.connect" not in seen["dashboard"]["posts"]
    assert not {"admin.confirm_disconnect", "api_keys.index", "users.index"} & seen["dashboard"]["links"]
    assert seen["disconnect"]["posts"] == {"admin.logout"}
    assert {"admin.retry", "admin.retry_failed"} <= seen["dashboard"]["posts"]
    assert {"projects.import_schedule", "imports.new"} <= seen["dashboard"]["links"]
    assert {"admin.void", "admin.credit", "admin.link"} <= seen["project"]["posts"]
    assert "mapping.settings" in seen["settings"]["posts"]
    assert "read-only" not in seen["dashboard"]["page"].ids


def test_a_viewer_sees_no_control_that_changes_anything_and_is_told_so(books):
    viewer = signed_in_client(books, "viewer", "vi@example.com")
    seen = every_page(books, viewer)

    for name, read in seen.items():
        page = read["page"]
        assert read["posts"] == {"admin.logout"}, name  # signing out is all a viewer may send
        assert [f["buttons"] for f in page.forms if f["method"] == "post"] == [["link"]], name  # "Sign out"
        assert page.loose_buttons == 0, name
        assert not read["links"] & FORM_PAGES, name
        assert all(people.allows("viewer", least_role(books, endpoint, "GET") or "viewer")
                   for endpoint in read["links"]), name
        assert "read-only" in page.ids, name
    assert seen["settings"]["page"].enabled_fields == []  # the settings are shown, greyed out
    project = viewer.get(PAGES["project"]).get_data(as_text=True)
    assert "Milepost Builders (US)" in project  # which books it bills through, as text
    assert "/portal/" not in project  # an approver's link would let its holder accept and bill
