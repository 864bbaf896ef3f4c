"""Refreshing and revoking grants at the platforms' token endpoints.

Milepost refreshes by itself rather than through the SDKs: python-quickbooks refreshes inside a
constructor and xero-python inside any call, and neither can take the per-connection lock that
custody.py holds around a refresh. These functions are the `Refresher`s custody calls under it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from .answers import REQUEST_ID_HEADERS, answered
from .custody import Refresher, TokenSet
from .endpoints import QuickBooksEndpoints, XeroEndpoints
from .errors import AuthError, NeedsReconnect, NetworkError, PlatformError, ServerError

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _post_token(
    url: str, platform: str, timeout: float, data: dict[str, str], auth: tuple[str, str] | None
) -> dict[str, Any]:
    started = time.monotonic()
    try:
        response = requests.post(
            url, data=data, auth=auth, timeout=timeout, headers={"Accept": "application/json"}
        )
    except requests.RequestException as exc:
        raise NetworkError(f"token endpoint unreachable: {type(exc).__name__}", platform=platform) from None
    request_id = response.headers.get(REQUEST_ID_HEADERS[platform])
    answered(platform, "POST", url, response.status_code, request_id, started)
    if response.status_code == 200:
        return dict(response.json())
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = str(body.get("error") or f"HTTP {response.status_code}")
    description = str(body.get("error_description") or "")
    common: dict[str, Any] = {"platform": platform, "code": error, "request_id": request_id, "detail": description}
    if error == "invalid_grant":
        raise NeedsReconnect("the platform refused the refresh token (invalid_grant)", **common)
    if response.status_code >= 500:
        raise ServerError(f"token endpoint answered {response.status_code}", **common)
    if error in ("invalid_client", "unauthorized_client"):
        raise AuthError("the platform refused our client credentials", **common)
    raise PlatformError(f"token refresh failed: {error}", **common)


def _token_set(body: dict[str, Any], now: datetime, old: TokenSet) -> TokenSet:
    refresh_expires = body.get("x_refresh_token_expires_in")
    scope = body.get("scope", old.scope)
    return TokenSet(
        access_token=str(body["access_token"]),
        refresh_token=str(body.get("refresh_token") or old.refresh_token),
        access_expires_at=now + timedelta(seconds=int(body.get("expires_in", 3600))),
        refresh_expires_at=(
            now + timedelta(seconds=int(refresh_expires)) if refresh_expires else old.refresh_expires_at
        ),
        scope=tuple(scope.split() if isinstance(scope, str) else scope or ()),
        id_token=body.get("id_token") or old.id_token,
    )


def quickbooks_refresher(endpoints: QuickBooksEndpoints, clock: Clock = _utcnow) -> Refresher:
    """Intuit's refresh: Basic client auth, form body; the refresh token usually rotates."""

    def refresh(tokens: TokenSet) -> TokenSet:
        now = clock()
        body = _post_token(
            endpoints.token_url,
            "quickbooks",
            endpoints.timeout_seconds,
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
            (endpoints.client_id, endpoints.client_secret),
        )
        return _token_set(body, now, tokens)

    return refresh


def xero_refresher(endpoints: XeroEndpoints, clock: Clock = _utcnow) -> Refresher:
    """Xero's refresh (as xero-python sends it): credentials in the form body; always rotates."""

    def refresh(tokens: TokenSet) -> TokenSet:
        now = clock()
        body = _post_token(
            endpoints.token_url,
            "xero",
            float(endpoints.timeout_seconds),
            {
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
                "client_id": endpoints.client_id,
                "client_secret": endpoints.client_secret,
            },
            None,
        )
        return _token_set(body, now, tokens)

    return refresh


def revoke(url: str, token: str, client: tuple[str, str], platform: str, timeout: float = 30.0) -> bool:
    """Revoke a refresh token (disconnect); True when the platform accepted it."""
    try:
        if platform == "quickbooks":
            response = requests.post(url, json={"token": token}, auth=client, timeout=timeout)
        else:
            response = requests.post(url, data={"token": token}, auth=client, timeout=timeout)
    except requests.RequestException:
        return False
    return response.status_code in (200, 204)
