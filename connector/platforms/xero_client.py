"""Building xero-python clients the way a multi-organisation service needs them.

Three of the SDK's habits are switched off here (API-NOTES 3.1, 3.7): it would refresh tokens
by itself inside any call (custody must be the only refresher, under its lock), so the SDK is
never given the client secret it needs to refresh; urllib3 silently retries 429s and sleeps
through `Retry-After` (hours, for the day limit), so its retries are set to zero and our policy
owns backoff; and it has no default timeout, so every call passes `_request_timeout`. Its REST
client hands each answer to `answers.answered` on the way through (the line carries Xero's
correlation id).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import ApiException
from xero_python.identity import IdentityApi

from .answers import REQUEST_ID_HEADERS, answered
from .endpoints import XeroEndpoints
from .gateway import TokenSource

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 10


def _token_dict(tokens: TokenSource) -> dict[str, Any]:
    current = tokens()
    return {
        "access_token": current.access_token,
        "refresh_token": current.refresh_token,
        "token_type": "Bearer",
        "scope": list(current.scope) or ["accounting.transactions"],
        "expires_in": 1800,
        "expires_at": current.access_expires_at.timestamp(),
    }


def _refuse_sdk_refresh(token: dict[str, Any]) -> None:
    # Unreachable while the SDK has no client secret; if it ever happens, say so loudly
    # (without the token) rather than let a rotated refresh token go unsaved silently.
    log.error("xero-python refreshed a token by itself; custody did not record it")


def build_api_client(endpoints: XeroEndpoints, tokens: TokenSource, pool_manager: Any = None) -> ApiClient:
    """An ApiClient for one connection whose token comes from custody on every request."""
    # Configuration(...) returns a copy of the first instance made in the process and ignores
    # its arguments (xero-python's TypeWithDefault): set the token holder on our copy.
    configuration = Configuration()
    configuration.oauth2_token = OAuth2Token(client_id=endpoints.client_id)
    client = ApiClient(
        configuration,
        pool_threads=1,
        oauth2_token_getter=lambda: _token_dict(tokens),
        oauth2_token_saver=_refuse_sdk_refresh,
    )
    if pool_manager is not None:
        client.rest_client.pool_manager = pool_manager
    client.rest_client.pool_manager.connection_pool_kw["retries"] = urllib3.Retry(
        total=0, respect_retry_after_header=False, raise_on_status=False
    )
    client.rest_client.request = _observed(client.rest_client.request)
    return client


def _observed(request: Any) -> Any:
    """The REST client's `request`, each answer (a 2xx, or the error the SDK raises for any
    other status) logged with its Xero-Correlation-Id."""
    header = REQUEST_ID_HEADERS["xero"]

    def observed(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            answer = request(method, url, *args, **kwargs)
        except ApiException as error:
            if error.status:  # 0: no HTTP answer at all (SSL); urllib3's headers ignore case
                answered("xero", method, url, error.status, (error.headers or {}).get(header), started)
            raise
        answered("xero", method, url, answer.status, answer.getheader(header), started)
        return answer

    return observed



def accounting_api(endpoints: XeroEndpoints, api_client: ApiClient) -> AccountingApi:
    return AccountingApi(api_client, base_url=endpoints.api_url)


def identity_api(endpoints: XeroEndpoints, api_client: ApiClient) -> IdentityApi:
    return IdentityApi(api_client, base_url=endpoints.identity_url)


def request_timeout(endpoints: XeroEndpoints) -> tuple[int, int]:
    return (CONNECT_TIMEOUT, int(endpoints.timeout_seconds))
