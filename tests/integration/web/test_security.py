"""Issue 11, findings 4 to 8: the portal, the sign-in, the headers and the logs, as an attacker
would try them."""

from __future__ import annotations

import html
import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import text, update
from werkzeug.serving import make_server

from connector.store.db import transaction

from .conftest import ADMIN_PASSWORD, csrf_of, sign_in
from .projects import api, import_and_submit, link_for, milestone, outbox_count, schedule


def portal_csrf(client, path: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The portal page, and a CSRF token valid for this browser (any page with a form gives one,
    the sign-in page included, so a page without a form is no protection)."""
    client.get("/admin/login")
    page = html.unescape(client.get(path).get_data(as_text=True))
    with client.session_transaction() as session:
        return page, str(session.get("csrf", ""))


# --- finding 4: the portal decides only what the milestone's state allows ----------------------


def test_a_crafted_portal_post_on_a_planned_milestone_is_refused_and_queues_nothing(app):
    client = app.test_client()
    assert api(client, "POST", "/schedules", schedule()).status_code == 201
    path = link_for(app, seq=1)  # imported, never submitted: planned
    page, csrf = portal_csrf(client, path)
    assert "Your decision" not in page  # the page offers no form...

    answer = client.post(path, data={"csrf": csrf, "action": "accept"})  # ...so craft one

    assert answer.status_code == 409
    assert "nothing was recorded" in html.unescape(answer.get_data(as_text=True))
    assert milestone(client)["state"] == "planned"
    assert outbox_count(app) == 0


def test_a_partly_accepted_milestone_cannot_be_rejected_through_the_portal(app):
    client = app.test_client()
    import_and_submit(client)
    path = link_for(app)
    _, csrf = portal_csrf(client, path)
    assert client.post(path, data={"csrf": csrf, "action": "partial", "percent": "40", "confirm": "yes"}).status_code == 302
    page, csrf = portal_csrf(client, path)
    assert 'value="reject"' not in page

    answer = client.post(path, data={"csrf": csrf, "action": "reject", "reason": "changed my mind"})

    assert answer.status_code == 409
    assert milestone(client)["state"] == "partially_accepted"


# --- finding 5: after sign-in, only same-origin paths ------------------------------------------


@pytest.mark.parametrize("target", [
    "/%09/evil.example/phish", "//evil.example/phish", "/%5Cevil.example", "/%5C%5Cevil.example",
    "https://evil.example/", "/%0A/evil.example", "%2F%2Fevil.example", "javascript:alert(1)",
])
def test_sign_in_never_redirects_to_another_site(app, target):
    client = app.test_client()
    client.get("/admin/login")
    answer = client.post(f"/admin/login?next={target}",
                         data={"password": ADMIN_PASSWORD, "csrf": csrf_of(client)})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/"


def test_sign_in_returns_to_the_page_that_asked_for_it(app):
    client = app.test_client()
    client.get("/admin/login")
    answer = client.post("/admin/login?next=/admin/projects/ACME-WEB",
                         data={"password": ADMIN_PASSWORD, "csrf": csrf_of(client)})
    assert answer.headers["Location"] == "/admin/projects/ACME-WEB"


# --- finding 6: throttled sign-in, sessions that end ---------------------------------------------


def test_forty_wrong_passwords_then_the_right_one_is_still_refused(app):
    client = app.test_client()
    answers = []
    for _ in range(40):
        client.get("/admin/login")
        answers.append(client.post("/admin/login", data={"password": "guess", "csrf": csrf_of(client)}).status_code)
    assert 429 in answers

    sign_in(client)  # the right password, from the same address

    assert client.get("/admin/").status_code == 302  # still not signed in


def test_guesses_spread_over_many_addresses_exhaust_the_accounts_budget(app):
    def attempt(address: str, password: str) -> int:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        client.get("/admin/login")
        return client.post("/admin/login", data={"password": password, "csrf": csrf_of(client)}).status_code

    for n in range(4):  # within each address's own limit
        assert [attempt(f"192.0.2.{n}", "guess") for _ in range(5)] == [200] * 5

    assert attempt("198.51.100.7", ADMIN_PASSWORD) == 429


def test_a_session_cookie_replayed_after_logout_is_refused(app):
    client = app.test_client()
    sign_in(client)
    kept = client.get_cookie("session")
    assert kept is not None
    assert client.get("/admin/").status_code == 200

    assert client.post("/admin/logout", data={"csrf": csrf_of(client)}).status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", kept.value)
    assert replay.get("/admin/").status_code == 302


@pytest.mark.parametrize(("column", "age"), [
    ("last_seen_at", timedelta(minutes=31)),  # idle longer than [app] session_idle_minutes
    ("created_at", timedelta(hours=13)),  # older than [app] session_lifetime_hours
])
def test_a_session_idle_or_too_old_is_over(app, column, age):
    from connector.web.admin_sessions import admin_sessions

    client = app.test_client()
    sign_in(client)
    assert client.get("/admin/").status_code == 200
    with transaction(app.extensions["milepost"].sessions) as db:
        db.execute(update(admin_sessions).values({column: datetime.now(UTC) - age}))

    assert client.get("/admin/").status_code == 302
    assert app.permanent_session_lifetime < timedelta(days=31)


# --- finding 7: security headers, no caching of credentials -----------------------------------


def test_every_page_carries_the_security_headers_and_credentials_are_not_cached(app):
    client = app.test_client()
    import_and_submit(client)
    sign_in(client)
    for path in ("/admin/login", "/admin/", "/admin/projects/ACME-WEB", link_for(app), "/nowhere"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"], path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path
        assert headers["Cache-Control"] == "no-store", path
        assert "Strict-Transport-Security" not in headers, path


def test_hsts_is_sent_over_https(app):
    answer = app.test_client().get("/admin/login", base_url="https://milepost.example")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


# --- finding 8: no credentials or customer data in the logs --------------------------------------


def test_an_exception_on_a_portal_page_is_logged_without_the_token(app, caplog, monkeypatch):
    client = app.test_client()
    import_and_submit(client)
    path = link_for(app)
    token = path.rsplit("/", 1)[1]

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        from flask import request

        raise RuntimeError(f"failed while showing {request.path}")

    monkeypatch.setattr("connector.web.portal.amount_for", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR):
        assert client.get(path).status_code == 500

    assert "Exception on /portal/[redacted]" in caplog.text
    assert "failed while showing /portal/[redacted]" in caplog.text
    assert token not in caplog.text


def test_the_access_log_shows_no_portal_token_nor_oauth_code_or_state(app, caplog):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    token = link_for(app).rsplit("/", 1)[1]
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            requests.get(f"{base}/portal/{token}", timeout=10)
            requests.get(f"{base}/oauth/xero/callback?code=AUTHCODE123&state=STATE456", timeout=10)
    finally:
        server.shutdown()
        thread.join(10)

    assert "/portal/[redacted]" in caplog.text
    assert "code=[redacted]&state=[redacted]" in caplog.text
    for secret in (token, "AUTHCODE123", "STATE456"):
        assert secret not in caplog.text


def test_gunicorns_access_lines_are_redacted_too(app, caplog):
    # gunicorn.glogging.Logger.access: access_log.info(cfg.access_log_format, safe_atoms)
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        logging.getLogger("gunicorn.access").info(
            '%(h)s "%(r)s" %(s)s', {"h": "10.0.0.1", "r": "GET /portal/abc.DEF-ghi HTTP/1.1", "s": "200"})
    assert '10.0.0.1 "GET /portal/[redacted] HTTP/1.1" 200' in caplog.text


def test_sql_errors_never_carry_the_values_bound_to_them(app):
    engine = app.extensions["milepost"].engine
    with pytest.raises(Exception) as failure, engine.connect() as connection:
        connection.execute(text("SELECT no_such_column FROM projects WHERE name = :who"),
                           {"who": "ap@acme.example"})
    assert "ap@acme.example" not in str(failure.value)
    assert "hidden" in str(failure.value)


@pytest.mark.redis
def test_with_redis_every_web_process_shares_the_sign_in_counts(engine, database_url, sandbox):
    from dataclasses import replace

    from connector.web import create_app
    from tests.unit.platforms.test_limits import REDIS, redis_or_skip

    from .conftest import web_settings

    redis_or_skip()
    base = web_settings(database_url, sandbox.url)
    settings = replace(base, app=replace(base.app, rate_limit_storage_url=REDIS,
                                         login_limits_per_account="1000 per minute"))
    environ = {"MILEPOST_ADMIN_PASSWORD": ADMIN_PASSWORD}
    first, second = create_app(settings, environ=environ), create_app(settings, environ=environ)
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"

    def attempt(app, password: str) -> int:  # type: ignore[no-untyped-def]
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        client.get("/admin/login")
        return client.post("/admin/login", data={"password": password, "csrf": csrf_of(client)}).status_code

    try:
        assert [attempt(first, "guess") for _ in range(5)] == [200] * 5
        assert attempt(second, ADMIN_PASSWORD) == 429  # another process, the same counts
    finally:
        for app in (first, second):
            app.extensions["milepost"].engine.dispose()
