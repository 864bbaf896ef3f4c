"""Installing by OAuth from the admin app, against the sandbox over real HTTP."""

from __future__ import annotations

import html
import logging
from dataclasses import replace

import pytest
from sqlalchemy import select

from connector.platforms.custody import load_tokens
from connector.platforms.errors import NeedsReconnect
from connector.platforms.token_endpoint import quickbooks_refresher
from connector.platforms.token_rows import ConnectionTokenRow, TokenGrantRow
from connector.store.models import ConnectionRow
from connector.web.connections import list_connections

from .conftest import consent_and_callback, csrf_of, start_connect


def connections_of(app):  # type: ignore[no-untyped-def]
    with app.extensions["milepost"].sessions() as db:
        return list_connections(db)


def page(client, path="/admin/"):  # type: ignore[no-untyped-def]
    return html.unescape(client.get(path).get_data(as_text=True))


def test_connect_to_quickbooks_lists_the_company_by_its_own_name(app, admin, sandbox):
    answer = consent_and_callback(admin, "quickbooks")

    assert answer.status_code == 302
    first = sandbox.info()["quickbooks"]["companies"][0]
    [connection] = connections_of(app)
    assert (connection.platform, connection.tenant_id, connection.name, connection.status) == (
        "quickbooks", first["realm_id"], first["name"], "active")
    dashboard = page(admin)
    assert "Connected Milepost Builders (US) (quickbooks)." in dashboard
    assert first["name"] in dashboard


def test_quickbooks_consent_asks_for_accounting_and_openid(admin):
    url = start_connect(admin, "quickbooks")
    assert "com.intuit.quickbooks.accounting" in url
    assert "openid" in url


def test_xero_consent_uses_pkce_and_only_the_granular_scopes(admin):
    url = start_connect(admin, "xero")
    assert "code_challenge_method=S256" in url
    assert "code_challenge=" in url
    for scope in ("offline_access", "accounting.invoices", "accounting.payments",
                  "accounting.contacts", "accounting.settings.read", "accounting.attachments"):
        assert scope in url
    assert "accounting.transactions" not in url


def test_one_xero_consent_reaching_two_organisations_makes_two_connections(app, admin, sandbox):
    consent_and_callback(admin, "xero")

    organisations = {o["tenant_id"]: o["name"] for o in sandbox.info()["xero"]["organisations"]}
    made = connections_of(app)
    assert len(organisations) == 2
    assert {c.tenant_id: c.name for c in made} == organisations
    assert {c.status for c in made} == {"active"}


def test_reconnecting_updates_the_connection_instead_of_duplicating_it(app, admin):
    consent_and_callback(admin, "quickbooks")
    consent_and_callback(admin, "xero")
    before = connections_of(app)
    with app.extensions["milepost"].sessions() as db, db.begin():
        db.get(ConnectionRow, before[0].id).status = "needs_reconnect"
    assert "Connections needing reconnect" in page(admin)

    consent_and_callback(admin, "quickbooks")
    consent_and_callback(admin, "xero")

    after = connections_of(app)
    assert [c.id for c in after] == [c.id for c in before]
    assert {c.status for c in after} == {"active"}
    assert "Reconnected" in page(admin)
    assert "Connections needing reconnect" not in page(admin)


def test_tokens_are_stored_encrypted_and_never_shown(app, admin):
    consent_and_callback(admin, "quickbooks")
    res = app.extensions["milepost"]
    with res.sessions() as db:
        [connection] = list_connections(db)
        tokens = load_tokens(db, connection.id, res.cipher())
        stored = db.scalars(select(TokenGrantRow)).one()
    assert tokens.access_token not in stored.ciphertext
    assert tokens.refresh_token not in stored.ciphertext
    dashboard = page(admin)
    assert tokens.access_token not in dashboard
    assert tokens.refresh_token not in dashboard


def test_a_callback_without_state_is_refused_and_saves_nothing(app, admin):
    answer = admin.get("/oauth/quickbooks/callback?code=abc&realmId=9130350000000001")
    assert answer.status_code == 400
    assert "has no state" in answer.get_data(as_text=True)
    assert connections_of(app) == []


def test_a_state_cannot_be_used_twice(app, admin, sandbox):
    from connector.platforms import install

    callback = install.follow_consent(start_connect(admin, "quickbooks"))
    first = admin.get("/oauth/quickbooks/callback", query_string=callback)
    again = admin.get("/oauth/quickbooks/callback", query_string=callback)

    assert first.status_code == 302
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    assert len(connections_of(app)) == 1


def test_a_state_issued_to_another_session_is_refused(app, admin):
    from connector.platforms import install

    callback = install.follow_consent(start_connect(admin, "xero"))
    stranger = app.test_client()
    stranger.get("/admin/login")  # a session of its own, not signed in as this admin

    answer = stranger.get("/oauth/xero/callback", query_string=callback)

    assert answer.status_code == 400
    assert "not started from this browser session" in answer.get_data(as_text=True)
    assert connections_of(app) == []


def test_a_state_for_the_other_platform_is_refused(app, admin):
    from connector.platforms import install

    callback = install.follow_consent(start_connect(admin, "quickbooks"))
    answer = admin.get("/oauth/xero/callback", query_string=callback)
    assert answer.status_code == 400
    assert connections_of(app) == []


def test_connect_needs_a_signed_in_admin_and_a_csrf_token(app, admin):
    anonymous = app.test_client()
    assert anonymous.post("/oauth/quickbooks/connect").status_code == 302  # to the login page
    assert admin.post("/oauth/quickbooks/connect", data={"csrf": "forged"}).status_code == 400
    assert admin.post("/oauth/quickbooks/connect", data={"csrf": csrf_of(admin)}).status_code == 302


def test_a_denied_consent_connects_nothing(app, admin, sandbox):
    location = start_connect(admin, "quickbooks")
    state = dict(p.split("=", 1) for p in location.split("?", 1)[1].split("&"))["state"]
    answer = admin.get("/oauth/quickbooks/callback", query_string={"error": "access_denied", "state": state})
    assert answer.status_code == 400
    assert "did not grant access" in answer.get_data(as_text=True)
    assert connections_of(app) == []


def test_disconnect_revokes_the_grant_and_keeps_the_connection(app, admin):
    consent_and_callback(admin, "quickbooks")
    res = app.extensions["milepost"]
    with res.sessions() as db:
        [connection] = list_connections(db)
        tokens = load_tokens(db, connection.id, res.cipher())

    answer = admin.post(f"/admin/connections/{connection.id}/disconnect", data={"csrf": csrf_of(admin)})

    assert answer.status_code == 302
    [after] = connections_of(app)
    assert (after.id, after.status, after.name) == (connection.id, "disconnected", connection.name)
    with res.sessions() as db:
        assert db.get(ConnectionTokenRow, connection.id) is None
    with pytest.raises(NeedsReconnect):
        quickbooks_refresher(res.endpoints()[0])(tokens)  # the platform no longer honours it
    assert "disconnected" in page(admin)


def test_disconnecting_one_xero_organisation_leaves_the_other_working(app, admin, sandbox):
    consent_and_callback(admin, "xero")
    first, second = connections_of(app)

    admin.post(f"/admin/connections/{first.id}/disconnect", data={"csrf": csrf_of(admin)})

    statuses = {c.id: c.status for c in connections_of(app)}
    assert statuses == {first.id: "disconnected", second.id: "active"}


def test_the_quickbooks_disconnect_landing_page_is_served(app, admin):
    consent_and_callback(admin, "quickbooks")
    [connection] = connections_of(app)
    answer = app.test_client().get(f"/oauth/quickbooks/disconnected?realmId={connection.tenant_id}")
    assert answer.status_code == 200
    text = html.unescape(answer.get_data(as_text=True))
    assert "disconnected from QuickBooks" in text
    assert connection.name in text


def test_replaying_an_old_session_cookie_does_not_make_a_state_usable_again(app, admin):
    from connector.platforms import install

    callback = install.follow_consent(start_connect(admin, "quickbooks"))
    old_cookie = admin.get_cookie("session").value
    assert admin.get("/oauth/quickbooks/callback", query_string=callback).status_code == 302

    admin.set_cookie("session", old_cookie)  # the cookie as it was before the callback
    again = admin.get("/oauth/quickbooks/callback", query_string=callback)

    assert again.status_code == 400
    assert len(connections_of(app)) == 1


def test_a_refused_revoke_is_logged_with_the_platforms_message_and_code(app, admin, caplog):
    consent_and_callback(admin, "quickbooks")
    res = app.extensions["milepost"]
    qb, xero = res.endpoints()
    res._endpoints = (replace(qb, client_secret="rotated-elsewhere"), xero)  # the app's secret went stale
    with res.sessions() as db:
        [connection] = list_connections(db)

    with caplog.at_level(logging.WARNING):
        admin.post(f"/admin/connections/{connection.id}/disconnect", data={"csrf": csrf_of(admin)})

    [after] = connections_of(app)
    assert after.status == "disconnected"  # the history is kept even when the platform refuses
    assert "QuickBooks refused to revoke the grant (invalid_client: Client authentication failed)" in caplog.text
    assert "code invalid_client" in caplog.text
    assert "rotated-elsewhere" not in caplog.text
