"""Sign in with Intuit and Sign in with Xero: OpenID Connect's authorization-code flow.

Authlib builds the authorization URL and trades the code for tokens (Xero with PKCE, S256;
Intuit with its client secret in a Basic header, as Intuit asks); joserfc, Authlib's own JOSE
library, checks the id_token before anything in it is believed:

1. the signature, RS256 only, against the key with the token's `kid` in the provider's JWKS
   (the `jwks_uri` of its discovery document; never `alg: none`, never an HMAC);
2. `iss` is the discovery document's issuer and `aud` names our client id;
3. `exp` has not passed and `nonce` is the one this browser's flow sent (a replayed or
   injected id_token carries another);
4. then the e-mail: from the id_token, or (Intuit's id_tokens carry none) from userinfo,
   fetched with the access token just issued. Intuit spells it `emailVerified`, Xero and the
   standard `email_verified`; an e-mail the provider has not verified is refused, because
   anyone can type any address into an Intuit or Xero profile.

What comes out is an `Identity`; matching it to a Milepost user is the web app's business.
Every failure is `SignInRefused` with a sentence a person can act on; no token is ever put in
one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .endpoints import QuickBooksEndpoints, XeroEndpoints

SCOPES = "openid email profile"
PROVIDERS = {"intuit": "Intuit", "xero": "Xero"}


class SignInRefused(Exception):
    """Sign-in through a provider failed; the message says why, for the person signing in."""


@dataclass(frozen=True)
class Provider:
    name: str  # "intuit" | "xero"
    discovery_url: str
    client_id: str
    client_secret: str
    pkce: bool
    timeout: float = 30.0

    @property
    def title(self) -> str:
        return PROVIDERS[self.name]


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: a verified e-mail and a name."""

    email: str
    email_verified: bool
    name: str
    subject: str


def provider_for(name: str, qb: QuickBooksEndpoints, xero: XeroEndpoints) -> Provider:
    """Intuit signs in with the QuickBooks app's credentials, Xero with the Xero app's."""
    if name == "intuit":
        return Provider("intuit", qb.openid_discovery_url, qb.client_id, qb.client_secret,
                        pkce=False, timeout=qb.timeout_seconds)
    if name == "xero":
        return Provider("xero", xero.discovery_url, xero.client_id, xero.client_secret,
                        pkce=True, timeout=float(xero.timeout_seconds))
    raise SignInRefused(f"no sign-in with {name!r}: use Intuit or Xero")


def _get_json(url: str, provider: Provider, what: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        answer = requests.get(url, headers=headers, timeout=provider.timeout)
        answer.raise_for_status()
        body = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise SignInRefused(f"{provider.title} could not be reached for its {what} "
                            f"({type(error).__name__}); try again in a minute") from None
    if not isinstance(body, dict):
        raise SignInRefused(f"{provider.title} sent a {what} that is not a JSON object")
    return body


def discover(provider: Provider) -> dict[str, Any]:
    document = _get_json(provider.discovery_url, provider, "discovery document")
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise SignInRefused(f"{provider.title}'s discovery document has no {key}")
    return document


def _session(provider: Provider, redirect_uri: str) -> OAuth2Session:
    method = "client_secret_post" if provider.pkce else "client_secret_basic"
    return OAuth2Session(provider.client_id, provider.client_secret, scope=SCOPES,
                         redirect_uri=redirect_uri, token_endpoint_auth_method=method,
                         code_challenge_method="S256" if provider.pkce else None)


def authorization_url(provider: Provider, redirect_uri: str, state: str, nonce: str,
                      code_verifier: str) -> str:
    """Where to send the browser: the provider's consent, asking for openid email profile."""
    document = discover(provider)
    url, _ = _session(provider, redirect_uri).create_authorization_url(
        document["authorization_endpoint"], state=state, nonce=nonce,
        code_verifier=code_verifier if provider.pkce else None)
    return str(url)


def verify_id_token(id_token: str, provider: Provider, document: dict[str, Any],
                    nonce: str) -> dict[str, Any]:
    """The id_token's claims once signature, iss, aud, exp and nonce all check out."""
    keys = KeySet.import_key_set(_get_json(document["jwks_uri"], provider, "signing keys"))  # type: ignore[arg-type]
    try:
        token = jwt.decode(id_token, keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": document["issuer"]},
            aud={"essential": True, "value": provider.client_id},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True}, exp={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as error:
        raise SignInRefused(f"{provider.title}'s sign-in answer did not check out "
                            f"({getattr(error, 'error', type(error).__name__)}); "
                            "nothing was signed in") from None
    return dict(token.claims)


def _verified(claims: dict[str, Any]) -> bool:
    value = claims.get("email_verified", claims.get("emailVerified", False))
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _name(claims: dict[str, Any]) -> str:
    given = claims.get("given_name") or claims.get("givenName") or ""
    family = claims.get("family_name") or claims.get("familyName") or ""
    return str(claims.get("name") or f"{given} {family}").strip()


def identify(provider: Provider, redirect_uri: str, code: str, nonce: str,
             code_verifier: str) -> Identity:
    """Trade the callback's code for tokens, verify the id_token, and say who signed in."""
    document = discover(provider)
    try:
        tokens = _session(provider, redirect_uri).fetch_token(
            document["token_endpoint"], code=code, timeout=provider.timeout,
            code_verifier=code_verifier if provider.pkce else None)
    except Exception as error:  # noqa: BLE001 - Authlib raises OAuthError and requests errors
        said = getattr(error, "error", None) or type(error).__name__
        raise SignInRefused(f"{provider.title} refused the sign-in ({said}); start again") from None
    id_token = tokens.get("id_token")
    if not id_token:
        raise SignInRefused(f"{provider.title} sent no id_token: was the openid scope granted?")
    claims = verify_id_token(str(id_token), provider, document, nonce)
    if not claims.get("email") and isinstance(document.get("userinfo_endpoint"), str):
        info = _get_json(document["userinfo_endpoint"], provider, "user information",
                         token=str(tokens["access_token"]))
        if info.get("sub") not in (None, claims["sub"]):
            raise SignInRefused(f"{provider.title}'s user information is for someone else")
        claims = {**info, **{k: v for k, v in claims.items() if k not in info}}
    email = str(claims.get("email") or "").strip()
    if not email:
        raise SignInRefused(f"{provider.title} did not share an e-mail address: allow Milepost "
                            "to see your e-mail, then try again")
    return Identity(email=email, email_verified=_verified(claims), name=_name(claims)[:200],
                    subject=str(claims["sub"]))
