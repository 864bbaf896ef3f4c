"""Sign in with Intuit / Xero against the sandbox: a verified e-mail of a user signs in; anything
else is refused with a page that says why; the id_token is believed only once it checks out."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from connector.platforms import install
from connector.platforms.openid import (
    Provider,
    SignInRefused,
    discover,
    provider_for,
    verify_id_token,
)
from connector.sandbox import openid as sandbox_openid
from tests.people import ensure_user

from .conftest import consent_and_callback


def sign_in_with(client, provider: str, path: str | None = None):  # type: ignore[no-untyped-def]
    """Start at our sign-in URL, consent (auto) at the sandbox, answer our callback."""
    started = client.get(path or f"/signin/{provider}")
    assert started.status_code == 302, started.get_data(as_text=True)
    query = install.follow_consent(started.headers["Location"])
    return client.get(f"/signin/{provider}/callback", query_string=query), started.headers["Location"]


@pytest.mark.parametrize("provider", ["intuit", "xero"])
def test_a_user_signs_in_with_the_providers_verified_email_and_the_trail_names_them(app, sandbox, provider):
    ensure_user(app, "bo@example.com", "bookkeeper", name="Bo Keeper")
    service = "quickbooks" if provider == "intuit" else "xero"
    sandbox.control.set_identity(service, "Bo@Example.com", given_name="Bo", family_name="K")
    client = app.test_client()

    answer, consent_url = sign_in_with(client, provider)

    asked = parse_qs(urlsplit(consent_url).query)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/admin/")
    assert "Bo Keeper (bookkeeper)" in client.get("/admin/").get_data(as_text=True)
    assert set(asked["scope"][0].split()) == {"openid", "email", "profile"}
    assert asked["nonce"][0]
    assert ("code_challenge" in asked) is (provider == "xero")  # Xero with PKCE (S256)


def test_the_quickbooks_launch_url_is_sign_in_with_intuit(app, sandbox):
    client = app.test_client()
    answer, consent_url = sign_in_with(client, "intuit", "/launch/quickbooks")

    assert consent_url.startswith(f"{sandbox.url}/quickbooks/connect/oauth2?")
    assert answer.status_code == 302  # admin@example.com is the app fixture's admin
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(("email", "verified", "said"), [
    ("stranger@example.com", True, "There is no Milepost account for stranger@example.com"),
    ("admin@example.com", False, "Xero has not verified admin@example.com"),
])
def test_an_unknown_or_unverified_email_is_refused_and_nobody_is_signed_in(app, sandbox, email, verified, said):
    sandbox.control.set_identity("xero", email, verified=verified)
    client = app.test_client()

    answer, _ = sign_in_with(client, "xero")

    assert answer.status_code == 403
    assert said in answer.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # to the sign-in page


def test_an_answer_used_twice_or_started_elsewhere_is_refused(app):
    client = app.test_client()
    started = client.get("/signin/xero")
    query = install.follow_consent(started.headers["Location"])

    stranger = app.test_client().get("/signin/xero/callback", query_string=query)
    first = client.get("/signin/xero/callback", query_string=query)
    again = client.get("/signin/xero/callback", query_string=query)

    assert stranger.status_code == 400
    assert first.status_code == 302
    assert again.status_code == 400


def test_connecting_quickbooks_still_works_now_that_its_token_answer_carries_a_signed_id_token(admin):
    assert consent_and_callback(admin, "quickbooks").status_code == 302


@pytest.fixture
def xero_oidc(app):  # type: ignore[no-untyped-def]
    provider = provider_for("xero", *app.extensions["milepost"].endpoints())
    return provider, discover(provider)


def forged(provider: Provider, document: dict, **changes):  # type: ignore[no-untyped-def]
    claims = {"issuer": document["issuer"], "audience": provider.client_id, "nonce": "n-1",
              "person": {"email": "admin@example.com", "email_verified": True}, "service": "xero"}
    claims.update(changes)
    return sandbox_openid.id_token(**claims)


def test_a_good_id_token_checks_out(xero_oidc):
    provider, document = xero_oidc
    claims = verify_id_token(forged(provider, document), provider, document, "n-1")
    assert (claims["email"], claims["email_verified"]) == ("admin@example.com", True)


@pytest.mark.parametrize("change", ["nonce", "audience", "issuer"])
def test_an_id_token_for_another_flow_client_or_issuer_is_refused(xero_oidc, change):
    provider, document = xero_oidc
    other = {"nonce": "n-2", "audience": "someone-else", "issuer": "https://evil.example"}[change]
    with pytest.raises(SignInRefused, match="did not check out"):
        verify_id_token(forged(provider, document, **{change: other}), provider, document, "n-1")


def test_an_expired_unsigned_or_foreign_signed_id_token_is_refused(xero_oidc):
    provider, document = xero_oidc
    now = int(time.time())
    base = {"iss": document["issuer"], "aud": provider.client_id, "sub": "s", "nonce": "n-1",
            "email": "admin@example.com", "email_verified": True}
    kid = sandbox_openid.signing_key().kid
    expired = jwt.encode({"alg": "RS256", "kid": kid}, {**base, "exp": now - 60},
                         sandbox_openid.signing_key())
    impostor = RSAKey.generate_key(2048, parameters={"kid": kid})  # the same kid, another key
    foreign = jwt.encode({"alg": "RS256", "kid": kid}, {**base, "exp": now + 60}, impostor)
    good = forged(provider, document)
    unsigned = good.split(".")[0].replace(good.split(".")[0], "eyJhbGciOiJub25lIn0") + "." + good.split(".")[1] + "."

    for token in (expired, foreign, unsigned):
        with pytest.raises(SignInRefused, match="did not check out"):
            verify_id_token(token, provider, document, "n-1")
