"""QuickBooks OAuth in the sandbox, driven by the unmodified intuit-oauth and python-quickbooks.

A connector that forgets to persist a rotated refresh token, or keeps using a revoked grant,
must fail here the way it would fail against Intuit.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import AuthorizationException
from quickbooks.objects.customer import Customer

from connector.sandbox.client import SandboxServer

from .quickbooks_support import REDIRECT_URI, authorize, client


def test_authorization_code_dance_yields_tokens_for_the_first_company(qbo_info):
    auth = authorize(qbo_info)

    assert auth.realm_id == qbo_info["companies"][0]["realm_id"]
    assert auth.access_token
    assert auth.refresh_token
    assert auth.expires_in == 3600
    names = [c.DisplayName for c in Customer.all(qb=client(qbo_info, auth))]
    assert "Amy's Bird Sanctuary" in names


def test_realm_hint_picks_the_company_to_connect(qbo_info):
    second = qbo_info["companies"][1]["realm_id"]

    auth = authorize(qbo_info, realm_hint=second)

    assert auth.realm_id == second
    customers = Customer.all(qb=client(qbo_info, auth))
    assert "Euro Works GmbH" in [c.DisplayName for c in customers]


def test_refresh_rotates_and_the_old_refresh_token_is_refused(sandbox, qbo_info):
    # Intuit hands out the same refresh token for about a day (issue 10, finding 20; see
    # test_quickbooks_strict), so the rotation shows after the clock has moved on a day
    auth = authorize(qbo_info)
    first_refresh, first_access = auth.refresh_token, auth.access_token
    sandbox.control.advance_clock(24 * 3600)

    auth.refresh()

    assert auth.refresh_token != first_refresh
    assert auth.access_token != first_access
    stale = AuthClient(qbo_info["client_id"], qbo_info["client_secret"], REDIRECT_URI,
                       environment=qbo_info["discovery_url"])
    with pytest.raises(AuthClientError) as refused:
        stale.refresh(refresh_token=first_refresh)
    assert refused.value.status_code == 400
    assert refused.value.content.find(b"invalid_grant") >= 0


def test_python_quickbooks_constructor_refreshes_and_exposes_the_rotated_token(sandbox, qbo_info):
    auth = authorize(qbo_info)
    original = auth.refresh_token
    auth.access_token = None  # what a connector has after a restart: only the refresh token
    sandbox.control.advance_clock(24 * 3600)  # the refresh token's value rotates daily

    qb = client(qbo_info, auth)

    assert qb.refresh_token != original
    assert Customer.count(qb=qb) >= 2


def test_the_old_access_token_stops_working_after_a_refresh(qbo_info):
    auth = authorize(qbo_info)
    qb = client(qbo_info, auth)
    auth.refresh()

    with pytest.raises(AuthorizationException) as failed:
        Customer.all(qb=qb)
    assert failed.value.error_code == 401
    assert "AuthenticationFailed" in failed.value.detail


def test_an_access_token_expires_after_an_hour_of_sandbox_time(sandbox, qbo_info):
    qb = client(qbo_info, authorize(qbo_info))
    Customer.all(qb=qb)

    sandbox.control.advance_clock(3601)

    with pytest.raises(AuthorizationException) as failed:
        Customer.all(qb=qb)
    assert "Token expired" in failed.value.detail


def test_revoke_ends_api_access_and_refresh(qbo_info):
    auth = authorize(qbo_info)
    qb = client(qbo_info, auth)
    refresh_token = auth.refresh_token

    assert auth.revoke() is True

    with pytest.raises(AuthorizationException):
        Customer.all(qb=qb)
    with pytest.raises(AuthClientError):
        auth.refresh(refresh_token=refresh_token)


def test_the_control_api_revokes_the_apps_access_to_a_company(sandbox, qbo_info):
    auth = authorize(qbo_info)
    qb = client(qbo_info, auth)

    assert sandbox.control.revoke("quickbooks", auth.realm_id) == {"revoked": 1}

    with pytest.raises(AuthorizationException):
        Customer.all(qb=qb)


def test_a_token_for_one_company_cannot_read_another(qbo_info):
    auth = authorize(qbo_info)
    qb = client(qbo_info, auth)
    qb.company_id = qbo_info["companies"][1]["realm_id"]

    with pytest.raises(Exception) as refused:  # noqa: PT011 - the SDK maps 3100 to a ValidationException
        Customer.all(qb=qb)
    assert "ApplicationAuthorizationFailed" in str(refused.value.message)


def test_wrong_client_secret_is_refused(qbo_info):
    auth = AuthClient(qbo_info["client_id"], "not-the-secret", REDIRECT_URI,
                      environment=qbo_info["discovery_url"])

    with pytest.raises(AuthClientError) as refused:
        auth.refresh(refresh_token="anything")
    assert refused.value.status_code == 401


def test_userinfo_answers_for_a_live_access_token(qbo_info):
    auth = authorize(qbo_info)

    answer = auth.get_user_info()

    # the person signed in at the sandbox (connector/sandbox/openid.py), in Intuit's camelCase
    assert (answer.json()["email"], answer.json()["emailVerified"]) == ("admin@example.com", True)


def test_a_non_loopback_redirect_uri_is_refused(qbo_info):
    auth = AuthClient(qbo_info["client_id"], qbo_info["client_secret"],
                      "https://evil.example/callback", environment=qbo_info["discovery_url"])

    answer = requests.get(auth.get_authorization_url([Scopes.ACCOUNTING]),
                          allow_redirects=False, timeout=10)

    assert answer.status_code == 400


def test_without_auto_consent_a_person_picks_the_company_on_a_real_page():
    with SandboxServer(auto_consent=False) as server:
        info = server.info()["quickbooks"]
        auth = AuthClient(info["client_id"], info["client_secret"], REDIRECT_URI,
                          environment=info["discovery_url"])
        page = requests.get(auth.get_authorization_url([Scopes.ACCOUNTING]), timeout=10)
        assert page.status_code == 200
        assert "Milepost Global Ltd" in page.text

        chosen = info["companies"][1]["realm_id"]
        form = {"client_id": info["client_id"], "redirect_uri": REDIRECT_URI,
                "response_type": "code", "scope": "com.intuit.quickbooks.accounting",
                "state": auth.state_token, "realm_id": chosen, "decision": "connect"}
        answer = requests.post(server.url + "/quickbooks/connect/oauth2/consent", data=form,
                               allow_redirects=False, timeout=10)

        query = parse_qs(urlparse(answer.headers["Location"]).query)
        assert query["realmId"] == [chosen]
        auth.get_bearer_token(query["code"][0], realm_id=chosen)
        assert auth.access_token


def test_an_authorization_code_works_once(qbo_info):
    auth = AuthClient(qbo_info["client_id"], qbo_info["client_secret"], REDIRECT_URI,
                      environment=qbo_info["discovery_url"])
    answer = requests.get(auth.get_authorization_url([Scopes.ACCOUNTING]),
                          allow_redirects=False, timeout=10)
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    auth.get_bearer_token(code)

    with pytest.raises(AuthClientError) as reused:
        auth.get_bearer_token(code)
    assert b"invalid_grant" in reused.value.content


def test_a_token_endpoint_outage_surfaces_as_auth_client_error(sandbox, qbo_info):
    auth = authorize(qbo_info)
    sandbox.control.set_fault("quickbooks", "503", company="oauth", endpoint="POST token",
                              count=1)

    with pytest.raises(AuthClientError) as failed:
        auth.refresh()
    assert failed.value.status_code == 503

    auth.refresh()  # the refresh token was not used up by the failed attempt
    assert sandbox.control.request_count("quickbooks", "POST token") == 3


def test_a_refresh_token_unused_for_101_days_is_refused(sandbox, qbo_info):
    auth = authorize(qbo_info)

    sandbox.control.advance_clock(102 * 86400)

    with pytest.raises(AuthClientError) as refused:
        auth.refresh()
    assert b"invalid_grant" in refused.value.content


def test_intuit_oauth_itself_accepts_the_signed_id_token_when_openid_is_granted(qbo_info):
    auth = AuthClient(qbo_info["client_id"], qbo_info["client_secret"], REDIRECT_URI,
                      environment=qbo_info["discovery_url"])
    url = auth.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL])
    query = parse_qs(urlparse(requests.get(url, allow_redirects=False, timeout=10).headers["Location"]).query)

    auth.get_bearer_token(query["code"][0], realm_id=query["realmId"][0])

    # intuit-oauth keeps an id_token only after checking iss, aud[0], exp and the RS256
    # signature against the discovery document's JWKS (intuitlib.utils.validate_id_token)
    assert auth.id_token is not None
