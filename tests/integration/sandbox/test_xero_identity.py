"""Xero identity in the sandbox: OAuth 2 with PKCE through Authlib, connections, rotation."""
# ruff: noqa: F811 - the shared fixtures are imported from test_xero_harness by name

from __future__ import annotations

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from xero_python.accounting import Contact, Contacts
from xero_python.exceptions import HTTPStatusException

from tests.integration.sandbox.test_xero_harness import XeroSandbox, xero, xero_spec  # noqa: F401 - fixtures


def test_the_token_answer_has_exactly_the_six_keys_xero_python_accepts(xero: XeroSandbox) -> None:
    token = xero.authorize()

    assert set(token) - {"expires_at"} == {"id_token", "access_token", "expires_in",
                                            "token_type", "refresh_token", "scope"}
    assert token["expires_in"] == 1800


def test_one_consent_connects_every_organisation(xero: XeroSandbox) -> None:
    client = xero.client()

    connections = client.identity.get_connections()

    assert sorted(c.tenant_id for c in connections) == sorted(xero.tenants)
    assert {c.tenant_name for c in connections} == {o["name"] for o in xero.info["organisations"]}


def test_connections_path_is_case_insensitive(xero: XeroSandbox) -> None:
    token = xero.authorize()
    headers = {"Authorization": f"Bearer {token['access_token']}"}

    lower = requests.get(f"{xero.info['identity_base']}/connections", headers=headers, timeout=10)
    upper = requests.get(f"{xero.info['identity_base']}/Connections", headers=headers, timeout=10)

    assert lower.status_code == upper.status_code == 200
    assert lower.json() == upper.json()


def test_a_wrong_pkce_verifier_is_refused(xero: XeroSandbox) -> None:
    session = xero.oauth_session()
    url, _ = session.create_authorization_url(xero.info["authorize_url"],
                                              code_verifier=generate_token(48))
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]

    with pytest.raises(OAuthError, match="invalid_grant"):
        session.fetch_token(xero.info["token_url"], authorization_response=location,
                            code_verifier=generate_token(48))


def test_a_code_works_only_once(xero: XeroSandbox) -> None:
    session = xero.oauth_session()
    verifier = generate_token(48)
    url, _ = session.create_authorization_url(xero.info["authorize_url"], code_verifier=verifier)
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    session.fetch_token(xero.info["token_url"], authorization_response=location,
                        code_verifier=verifier)

    with pytest.raises(OAuthError, match="invalid_grant"):
        xero.oauth_session().fetch_token(xero.info["token_url"], authorization_response=location,
                                         code_verifier=verifier)


def test_refresh_rotates_and_the_old_refresh_token_works_for_a_30_minute_grace(xero: XeroSandbox) -> None:
    # Issue 10 finding 8. Xero's "Refresh tokens" guide (developer.xero.com/documentation/
    # guides/oauth2/token-types/#refresh-token): the previous refresh token can be used again
    # for 30 minutes and answers with the same new tokens; after that it is refused.
    client = xero.client()
    old = client.token["refresh_token"]

    fresh = client.api_client.refresh_oauth2_token()

    assert fresh["refresh_token"] != old
    assert client.saved[-1]["refresh_token"] == fresh["refresh_token"]
    form = {"grant_type": "refresh_token", "refresh_token": old,
            "client_id": xero.info["client_id"], "client_secret": xero.info["client_secret"]}
    xero.control.advance_clock(29 * 60)
    again = requests.post(xero.info["token_url"], timeout=10, data=form)
    assert again.status_code == 200
    assert (again.json()["refresh_token"], again.json()["access_token"]) == (
        fresh["refresh_token"], fresh["access_token"])
    xero.control.advance_clock(2 * 60)
    late = requests.post(xero.info["token_url"], timeout=10, data=form)
    assert late.status_code == 400
    assert late.json() == {"error": "invalid_grant"}


def test_xero_python_refreshes_by_itself_when_the_access_token_nears_expiry(xero: XeroSandbox) -> None:
    client = xero.client()
    xero.control.advance_clock(1790)
    client.token["expires_at"] = client.token["expires_at"] - 1790  # the SDK reads wall time

    contacts = client.accounting.get_contacts(xero.tenants[0])

    assert len(client.saved) == 1
    assert contacts.contacts


def test_an_expired_access_token_is_answered_401_token_expired(xero: XeroSandbox) -> None:
    client = xero.client()
    xero.control.advance_clock(1801)

    with pytest.raises(HTTPStatusException) as raised:
        client.accounting.get_contacts(xero.tenants[0])

    assert raised.value.status == 401
    assert b"TokenExpired" in raised.value.body


def test_a_tenant_outside_the_consent_is_forbidden(xero: XeroSandbox) -> None:
    client = xero.client()
    xero.control.revoke("xero", xero.tenants[1])

    with pytest.raises(HTTPStatusException) as raised:
        client.accounting.get_contacts(xero.tenants[1])

    assert raised.value.status == 403
    assert client.accounting.get_contacts(xero.tenants[0]).contacts
    assert [c.tenant_id for c in client.identity.get_connections()] == [xero.tenants[0]]


def test_revoking_the_refresh_token_ends_the_grant(xero: XeroSandbox) -> None:
    client = xero.client()

    answer = requests.post(xero.info["revocation_url"], timeout=10, data={
        "token": client.token["refresh_token"], "client_id": xero.info["client_id"],
        "client_secret": xero.info["client_secret"]})

    assert answer.status_code == 200
    with pytest.raises(HTTPStatusException) as raised:
        client.accounting.get_contacts(xero.tenants[0])
    assert raised.value.status == 401


def test_a_reset_keeps_the_xero_login_but_not_the_books(xero: XeroSandbox) -> None:
    client = xero.client()
    tenant = xero.tenants[0]
    contact = Contact(name="Harbour Lofts Ltd")
    client.accounting.create_contacts(tenant, contacts=Contacts(contacts=[contact]))

    xero.control.reset()

    assert sorted(c.tenant_id for c in client.identity.get_connections()) == sorted(xero.tenants)
    names = {c.name for c in client.accounting.get_contacts(tenant).contacts}
    assert "Harbour Lofts Ltd" not in names  # fresh books
    client.api_client.refresh_oauth2_token()  # the refresh token survived too
    assert len(client.identity.get_connections()) == 2
