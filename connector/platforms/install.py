"""The OAuth authorization-code flows, as functions the web pages and the CLI call.

QuickBooks goes through intuit-oauth (accounting scope plus OpenID for the signed-in user);
Xero through Authlib with PKCE and only the scopes Milepost uses. The pages own the `state`
(single use, bound to the admin's session) and the PKCE verifier; these functions build the
URL, exchange the code for a TokenSet, and list the Xero organisations one consent reached.
`follow_consent` completes an auto-consent sandbox flow without a browser (`--non-interactive`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from .custody import TokenSet
from .endpoints import QuickBooksEndpoints, XeroEndpoints
from .errors import AuthError, NeedsReconnect
from .xero_client import build_api_client, identity_api, request_timeout

QUICKBOOKS_SCOPES = (Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL, Scopes.PROFILE)
XERO_IDENTITY_SCOPES = ("openid", "profile", "email", "offline_access")
XERO_GRANULAR_SCOPES = (
    "accounting.invoices",
    "accounting.payments",
    "accounting.contacts",
    "accounting.settings.read",
    "accounting.attachments",
)
XERO_BROAD_SCOPES = ("accounting.transactions", "accounting.contacts", "accounting.settings.read", "accounting.attachments")


def xero_scopes(broad: bool = False) -> tuple[str, ...]:
    """Granular scopes (required of apps created since March 2026) or, for older apps that
    still hold it, the broad `accounting.transactions`."""
    return XERO_IDENTITY_SCOPES + (XERO_BROAD_SCOPES if broad else XERO_GRANULAR_SCOPES)


def _now() -> datetime:
    return datetime.now(UTC)


# -- QuickBooks ------------------------------------------------------------------------------------
def _intuit_client(endpoints: QuickBooksEndpoints, redirect_uri: str) -> AuthClient:
    environment = endpoints.discovery_url or (
        "sandbox" if "sandbox" in endpoints.api_url else "production"
    )
    return AuthClient(endpoints.client_id, endpoints.client_secret, redirect_uri, environment)


def quickbooks_authorization_url(endpoints: QuickBooksEndpoints, redirect_uri: str, state: str) -> str:
    return str(_intuit_client(endpoints, redirect_uri).get_authorization_url(list(QUICKBOOKS_SCOPES), state_token=state))


def quickbooks_exchange_code(
    endpoints: QuickBooksEndpoints, redirect_uri: str, code: str, realm_id: str
) -> TokenSet:
    """Trade the callback's code for tokens; the realmId from the callback names the company."""
    client = _intuit_client(endpoints, redirect_uri)
    now = _now()
    try:
        client.get_bearer_token(code, realm_id=realm_id)
    except AuthClientError as error:
        raise _intuit_refusal("QuickBooks refused the authorization code", error) from None
    refresh_expires = getattr(client, "x_refresh_token_expires_in", None)
    return TokenSet(
        access_token=str(client.access_token),
        refresh_token=str(client.refresh_token),
        access_expires_at=now + timedelta(seconds=int(getattr(client, "expires_in", 3600) or 3600)),
        refresh_expires_at=now + timedelta(seconds=int(refresh_expires)) if refresh_expires else None,
        scope=tuple(str(s.value) for s in QUICKBOOKS_SCOPES),
        id_token=getattr(client, "id_token", None),
    )


def quickbooks_revoke(endpoints: QuickBooksEndpoints, refresh_token: str, redirect_uri: str = "") -> bool:
    """True once QuickBooks revoked the grant; AuthError with QuickBooks' own words otherwise."""
    try:
        return bool(_intuit_client(endpoints, redirect_uri).revoke(token=refresh_token))
    except AuthClientError as error:
        raise _intuit_refusal("QuickBooks refused to revoke the grant", error) from None


def _oauth_body(raw: object) -> tuple[str | None, str]:
    """(error code, description) from an OAuth error body, which may be JSON or plain text."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
    try:
        body = json.loads(text)
    except ValueError:
        return None, text.strip()[:300]
    if not isinstance(body, dict):
        return None, text.strip()[:300]
    code = body.get("error") or body.get("code")
    description = body.get("error_description") or body.get("message") or body.get("detail") or ""
    return (str(code) if code else None), str(description)


def _said(what: str, error: str, description: str) -> str:
    """'QuickBooks refused the authorization code (invalid_grant: Invalid authorization code)'."""
    return f"{what} ({error}: {description})" if description else f"{what} ({error})"


def _intuit_refusal(what: str, error: AuthClientError) -> AuthError:
    """QuickBooks' own error and description kept (secrets scrubbed by PlatformError), so an
    admin reads why, not only that; invalid_grant means the grant is gone for good."""
    code, description = _oauth_body(error.content)
    kind = NeedsReconnect if code == "invalid_grant" else AuthError
    return kind(_said(what, code or f"HTTP {error.status_code}", description), code=code or str(error.status_code), request_id=getattr(error, "intuit_tid", None),
                platform="quickbooks")


# -- Xero ------------------------------------------------------------------------------------------
def _xero_session(endpoints: XeroEndpoints, redirect_uri: str, scopes: Sequence[str]) -> OAuth2Session:
    return OAuth2Session(
        endpoints.client_id,
        endpoints.client_secret,
        scope=" ".join(scopes),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
    )


def xero_authorization_url(
    endpoints: XeroEndpoints, redirect_uri: str, state: str, code_verifier: str, scopes: Sequence[str] | None = None
) -> str:
    session = _xero_session(endpoints, redirect_uri, scopes or xero_scopes())
    url, _ = session.create_authorization_url(endpoints.authorize_url, state=state, code_verifier=code_verifier)
    return str(url)


def xero_exchange_code(
    endpoints: XeroEndpoints, redirect_uri: str, code: str, code_verifier: str, scopes: Sequence[str] | None = None
) -> TokenSet:
    session = _xero_session(endpoints, redirect_uri, scopes or xero_scopes())
    now = _now()
    try:
        token = session.fetch_token(
            endpoints.token_url, code=code, code_verifier=code_verifier, timeout=endpoints.timeout_seconds
        )
    except Exception as error:  # noqa: BLE001 - Authlib raises OAuthError and requests errors
        raise _xero_refusal(error) from None
    scope = token.get("scope") or ""
    return TokenSet(
        access_token=str(token["access_token"]),
        refresh_token=str(token["refresh_token"]),
        access_expires_at=now + timedelta(seconds=int(token.get("expires_in", 1800))),
        scope=tuple(scope.split() if isinstance(scope, str) else scope),
        id_token=token.get("id_token"),
    )


@dataclass(frozen=True)
class XeroTenant:
    """One organisation a consent reached: a Milepost connection each."""

    connection_id: str  # Xero's connection id (DELETE /connections/{id} disconnects it)
    tenant_id: str
    name: str


def xero_tenants(endpoints: XeroEndpoints, tokens: TokenSet) -> list[XeroTenant]:
    api = identity_api(endpoints, build_api_client(endpoints, lambda: tokens))
    rows = api.get_connections(_request_timeout=request_timeout(endpoints))
    return [XeroTenant(str(r.id), str(r.tenant_id), str(r.tenant_name or "")) for r in rows or []]


def xero_disconnect(endpoints: XeroEndpoints, tokens: TokenSet, connection_id: str) -> None:
    api = identity_api(endpoints, build_api_client(endpoints, lambda: tokens))
    api.delete_connection(connection_id, _request_timeout=request_timeout(endpoints))


def _xero_refusal(error: Exception) -> AuthError:
    """Xero's own error code and description (Authlib's OAuthError carries both), or what went
    wrong on the way there; PlatformError scrubs anything that looks like a token."""
    code = getattr(error, "error", None)
    description = getattr(error, "description", None) or ("" if code else str(error))
    kind = NeedsReconnect if code == "invalid_grant" or "invalid_grant" in str(error) else AuthError
    message = _said("Xero refused the authorization code", code or type(error).__name__, description)
    return kind(message, code=code, platform="xero")


def xero_revoke(endpoints: XeroEndpoints, refresh_token: str) -> bool:
    """True once Xero revoked the grant; AuthError with Xero's own words otherwise."""
    answer = requests.post(
        endpoints.revoke_url,
        data={"token": refresh_token},
        auth=(endpoints.client_id, endpoints.client_secret),
        timeout=endpoints.timeout_seconds,
    )
    if answer.status_code in (200, 204):
        return True
    code, description = _oauth_body(answer.content)
    raise AuthError(_said("Xero refused to revoke the grant", code or f"HTTP {answer.status_code}", description),
                    code=code or str(answer.status_code),
                    request_id=answer.headers.get("Xero-Correlation-Id"), platform="xero")


# -- headless ------------------------------------------------------------------------------------------
def follow_consent(authorization_url: str, timeout: float = 30.0) -> dict[str, str]:
    """Follow an auto-consent authorization URL to its callback redirect and return the
    callback's query (code, state, realmId); the callback itself is not requested."""
    answer = requests.get(authorization_url, allow_redirects=False, timeout=timeout)
    location = answer.headers.get("Location")
    if answer.status_code not in (301, 302, 303, 307) or not location:
        raise AuthError("the authorization server did not redirect (is auto-consent on?)", code=str(answer.status_code))
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
