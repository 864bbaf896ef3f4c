"""Roles, route by route: a viewer changes nothing anywhere, a bookkeeper reaches no admin page.

The walk enumerates `app.url_map`, so a route added later is walked too: every route is either
named in PUBLIC (with why it is open to people who are not signed in) or must refuse a viewer's
every change and leave every table as it was. An argument the walk cannot fill fails the test,
asking for a sample rather than letting the route escape.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from connector.store import api_keys
from connector.store.db import transaction
from connector.store.models import Base, UserRow
from connector.store.people import allows
from connector.web.security import portal_token, role_for
from tests.people import ADMIN_EMAIL, signed_in_client

from .conftest import consent_and_callback, csrf_of
from .projects import import_and_submit

PUBLIC = {
    "static": "stylesheets",
    "home": "a redirect to the dashboard",
    "admin.login": "the sign-in form itself",
    "signin.start": "Sign in with Intuit / Xero starts before anyone is signed in",
    "signin.callback": "the provider's answer, checked against a state bound to this browser",
    "signin.launch_quickbooks": "QuickBooks' Launch URL: starts Sign in with Intuit",
    "oauth.quickbooks_disconnected": "Intuit's disconnect landing; it asks Intuit before acting",
    "portal.milestone": "an approver's signed link",
    "portal.decide_milestone": "an approver's signed link",
    "portal.evidence": "a signed, expiring evidence link",
    "webhooks.quickbooks": "signed by Intuit",
    "webhooks.xero": "signed by Xero",
    "hooks.receive": "signed with an API key's own webhook secret",
    "health.healthz": "a load balancer's liveness probe: says only that the process answers",
    "health.readyz": "a load balancer's readiness probe: database and Redis reachable, no detail",
}
API_KEY_GUARDED = ("api.", "subscriptions.")  # the REST API: a key with a scope, not a role
# Routes that check the role inside the view rather than with requires():
CHECKED_INSIDE = {"oauth.callback": "the state first (its page says why), then a signed-in admin"}
CHANGING = ("POST", "PUT", "PATCH", "DELETE")
IGNORED_TABLES = {"admin_sessions", "oauth_states"}  # sign-ins and flows, not the books


def snapshot(app: Flask) -> dict[str, list[str]]:
    """Every row of every table, as text: any insert, update or delete shows."""
    with app.extensions["milepost"].sessions() as db:
        return {name: sorted(repr(tuple(row)) for row in db.execute(select(table)))
                for name, table in Base.metadata.tables.items() if name not in IGNORED_TABLES}


@pytest.fixture
def books(app: Flask) -> dict[str, Any]:
    """A connected company, a submitted project, and one user of each role."""
    admin = signed_in_client(app)
    assert consent_and_callback(admin, "quickbooks").status_code == 302
    import_and_submit(admin)
    signed_in_client(app, "bookkeeper", "bo@example.com")
    signed_in_client(app, "viewer", "vi@example.com")
    with app.extensions["milepost"].sessions() as db:
        admin_id = db.scalar(select(UserRow.id).where(UserRow.email == ADMIN_EMAIL))
        from connector.store.models import ConnectionRow

        connection_id = db.scalar(select(ConnectionRow.id))
    token = portal_token(app.config["SECRET_KEY"], "ACME-WEB", 1, "dana@acme.example")
    with transaction(app.extensions["milepost"].sessions) as db:
        public_id = api_keys.create(db, "reporting", "write", app.extensions["milepost"].cipher()).key.public_id
    return {"connection_id": connection_id, "intent_id": 1, "key": "ACME-WEB", "seq": 1,
            "action": "accept", "platform": "quickbooks", "user_id": admin_id,
            "provider": "intuit", "token": token, "filename": "milepost.css", "public_id": public_id,
            "key_id": public_id, "subscription_id": 1, "invoice_id": 1, "payment_id": 1, "event_id": 1}


def routes(app: Flask, samples: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) for every method of every non-public route."""
    walked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        missing = set(rule.arguments) - set(samples)
        assert not missing, f"{rule.rule}: give the walk a sample {missing} so the route is checked"
        with app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **{name: samples[name] for name in rule.arguments})
        walked += [(rule.endpoint, method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(walked, key=lambda route: route[0] == "admin.logout")  # signing out comes last


def attempt(client: FlaskClient, method: str, path: str, samples: dict[str, Any]) -> int:
    """The request a careless or curious user would send, with a valid CSRF token and a form
    that would change something if the role check were missing."""
    form = {"csrf": csrf_of(client), "role": "admin", "email": "mallory@example.com",
            "password": "mallory's long password", "name": "Mallory", "reason": "because",
            "amount": "1.00", "connection": str(samples["connection_id"]), "sales_item": "Design",
            "terms": "Net 15"}
    if path.startswith("/api/"):
        return client.open(path, method=method, json={"by": "Mallory", "reason": "because"}).status_code
    return client.open(path, method=method, data=form).status_code


def refused_as_pages_predict(app: Flask, role: str, answers: dict[tuple[str, str], int]) -> None:
    """What `may(endpoint)` tells the pages (draw this control or not) is what the server does:
    among routes that declare a role, exactly those it says `role` may not use answer 403."""
    with app.test_request_context():
        needs = {key: role_for(*key) for key in answers}
    declared = {key: need for key, need in needs.items() if need is not None}
    assert {key for key in declared if answers[key] == 403} == \
        {key for key, need in declared.items() if not allows(role, need)}


def test_a_viewer_can_change_nothing_through_any_route(app, books):
    viewer = signed_in_client(app, "viewer", "vi@example.com")
    before = snapshot(app)
    walked = routes(app, books)

    answers = {(endpoint, method): attempt(viewer, method, path, books) for endpoint, method, path in walked}

    refused = {key: status for key, status in answers.items() if key[1] in CHANGING}
    assert {key for key, status in refused.items() if status not in (401, 403)} == {("admin.logout", "POST")}
    assert snapshot(app) == before
    assert {("users.change_role", "POST"), ("admin.void", "POST"), ("mapping.settings", "POST"),
            ("oauth.connect", "POST"), ("api.import_schedule", "POST")} <= set(answers)
    assert answers[("admin.dashboard", "GET")] == 200  # a viewer reads
    assert answers[("admin.project", "GET")] == 200
    refused_as_pages_predict(app, "viewer", answers)


def test_every_admin_page_names_the_role_it_needs(app):
    unguarded = [rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint not in PUBLIC and rule.endpoint not in CHECKED_INSIDE
                 and not rule.endpoint.startswith(API_KEY_GUARDED)
                 and not hasattr(app.view_functions[rule.endpoint], "milepost_role")]

    assert unguarded == []  # the API is guarded by its key (before_request), the rest by requires()


def test_a_bookkeeper_cannot_reach_connections_users_or_their_changes(app, books):
    bookkeeper = signed_in_client(app, "bookkeeper", "bo@example.com")
    admin_only = [(endpoint, method, path) for endpoint, method, path in routes(app, books)
                  if getattr(app.view_functions[endpoint], "milepost_role", None) == "admin"]
    before = snapshot(app)

    answers = {(endpoint, method): attempt(bookkeeper, method, path, books)
               for endpoint, method, path in admin_only}

    assert {("users.index", "GET"), ("users.add", "POST"), ("users.change_role", "POST"),
            ("users.remove", "POST"), ("oauth.connect", "POST"), ("admin.disconnect", "POST"),
            ("api_keys.index", "GET"), ("api_keys.create", "POST")} <= set(answers)
    assert set(answers.values()) == {403}
    assert snapshot(app) == before
    refused_as_pages_predict(app, "bookkeeper", answers)
    linked = bookkeeper.post("/admin/projects/ACME-WEB/link",
                             data={"connection": str(books["connection_id"]), "csrf": csrf_of(bookkeeper)})
    assert linked.status_code == 302  # what a bookkeeper is for


def test_an_admin_adds_changes_and_removes_a_user_on_the_users_page(app):
    admin = signed_in_client(app)

    added = admin.post("/admin/users/", data={"email": "Sam@Example.com", "role": "bookkeeper",
                                              "name": "Sam", "csrf": csrf_of(admin)})
    refused = admin.post("/admin/users/", data={"email": "not-an-address", "role": "viewer",
                                                "csrf": csrf_of(admin)})
    with app.extensions["milepost"].sessions() as db:
        sam = db.scalar(select(UserRow).where(UserRow.email == "sam@example.com"))
        me = db.scalar(select(UserRow.id).where(UserRow.email == ADMIN_EMAIL))
    demoted_last_admin = admin.post(f"/admin/users/{me}/role", data={"role": "viewer", "csrf": csrf_of(admin)},
                                    follow_redirects=True)
    admin.post(f"/admin/users/{sam.id}/role", data={"role": "viewer", "csrf": csrf_of(admin)})
    with app.extensions["milepost"].sessions() as db:
        roles = {email: role for email, role in db.execute(select(UserRow.email, UserRow.role))}
    admin.post(f"/admin/users/{sam.id}/remove", data={"csrf": csrf_of(admin)})

    assert added.status_code == 302
    assert sam.password_hash is None
    assert refused.status_code == 400
    assert "is not an e-mail address" in refused.get_data(as_text=True)
    assert "the only admin" in demoted_last_admin.get_data(as_text=True)
    assert roles == {ADMIN_EMAIL: "admin", "sam@example.com": "viewer"}
    with app.extensions["milepost"].sessions() as db:
        assert db.scalar(select(UserRow).where(UserRow.email == "sam@example.com")) is None
