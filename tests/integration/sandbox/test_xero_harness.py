"""Shared fixtures for the Xero sandbox tests (imported by the other test_xero_* modules).

`xero` gives a running sandbox, its `/_sandbox/info` block, a control client and a factory
for real xero-python clients that completed the OAuth dance with Authlib. Every request the
sandbox's Xero API accepts and every answer it gives during the test is recorded by a WSGI
middleware (test-only) and validated against Xero's own OpenAPI document at teardown; the
recorder and the checks live in tests/xero_openapi.py, which other suites use too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import urllib3
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from openapi_core import OpenAPI
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.identity import IdentityApi

from connector.sandbox.client import SandboxControl, SandboxServer
from tests.xero_openapi import (  # noqa: F401 - names the test_xero_* modules import from here
    API_PREFIX,
    OFF_SPEC_HEADER,
    SPEC,
    Exchange,
    Recorder,
    record_xero,
    spec_problems,
    xero_spec,
)

REDIRECT_URI = "http://127.0.0.1:8499/xero/callback"
SCOPES = ("openid profile email offline_access accounting.transactions accounting.contacts "
          "accounting.settings accounting.attachments")


@dataclass
class XeroSandbox:
    server: SandboxServer
    info: dict[str, Any]
    recorder: Recorder

    @property
    def control(self) -> SandboxControl:
        return self.server.control

    @property
    def tenants(self) -> list[str]:
        return [org["tenant_id"] for org in self.info["organisations"]]

    def authorize(self, session: OAuth2Session | None = None) -> dict[str, Any]:
        """The OAuth dance with PKCE, as Milepost does it with Authlib; returns the token."""
        session = session or self.oauth_session()
        verifier = generate_token(48)
        url, _state = session.create_authorization_url(self.info["authorize_url"],
                                                       code_verifier=verifier)
        consent = requests.get(url, allow_redirects=False, timeout=10)
        assert consent.status_code == 302, consent.text
        return dict(session.fetch_token(self.info["token_url"],
                                        authorization_response=consent.headers["Location"],
                                        code_verifier=verifier))

    def oauth_session(self) -> OAuth2Session:
        return OAuth2Session(self.info["client_id"], self.info["client_secret"], scope=SCOPES,
                             redirect_uri=REDIRECT_URI, code_challenge_method="S256")

    def client(self, token: dict[str, Any] | None = None) -> XeroClient:
        return XeroClient(self.info, token or self.authorize())


class XeroClient:
    """A real xero-python client pointed at the sandbox only through its base URLs."""

    def __init__(self, info: dict[str, Any], token: dict[str, Any]) -> None:
        # xero-python wants the scope as a list (it joins it with spaces when refreshing).
        self.token = {**token, "scope": str(token["scope"]).split()}
        self.saved: list[dict[str, Any]] = []
        # Configuration(...) returns a copy of the FIRST instance made in the process and
        # ignores its arguments (TypeWithDefault): set the token holder on the copy instead.
        config = Configuration()
        config.oauth2_token = OAuth2Token(client_id=info["client_id"],
                                          client_secret=info["client_secret"])
        self.api_client = ApiClient(config, pool_threads=1,
                                    oauth2_token_getter=lambda: self.token,
                                    oauth2_token_saver=self._save)
        # API-NOTES 3.7: stop urllib3 from silently retrying 429/503 before the SDK sees them.
        self.api_client.rest_client.pool_manager.connection_pool_kw["retries"] = urllib3.Retry(
            total=0, respect_retry_after_header=False, raise_on_status=False)
        self.accounting = AccountingApi(self.api_client, base_url=info["api_base"])
        self.identity = IdentityApi(self.api_client, base_url=info["identity_base"])

    def _save(self, token: dict[str, Any]) -> None:
        self.token = dict(token)
        self.saved.append(self.token)

    def headers(self) -> dict[str, str]:
        return dict(self.api_client.last_response.getheaders())


@pytest.fixture
def xero(xero_spec: OpenAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[XeroSandbox]:  # noqa: F811
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    server = SandboxServer(auto_consent=True)
    recorder = record_xero(server)
    with server:
        info = server.info()["xero"]
        monkeypatch.setattr(TokenApi, "refresh_token_url", info["token_url"])
        monkeypatch.setattr(TokenApi, "revoke_token_url", info["revocation_url"])
        yield XeroSandbox(server, info, recorder)
    problems = spec_problems(xero_spec, recorder.exchanges)
    assert not problems, "traffic outside Xero's OpenAPI document:\n" + "\n".join(problems[:20])


def body_of(exchange: Exchange) -> Any:
    return json.loads(exchange.response_body)
