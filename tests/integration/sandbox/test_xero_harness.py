"""Shared fixtures for the Xero sandbox tests (imported by the other test_xero_* modules).

`xero` gives a running sandbox, its `/_sandbox/info` block, a control client and a factory
for real xero-python clients that completed the OAuth dance with Authlib. Every request the
sandbox's Xero API accepts and every answer it gives during the test is recorded by a WSGI
middleware (test-only) and validated against Xero's own OpenAPI document at teardown.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import urllib3
import yaml
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.identity import IdentityApi

from connector.sandbox.client import SandboxControl, SandboxServer

SPEC = Path(__file__).resolve().parents[4] / "shared" / "specs" / "xero" / "xero_accounting.yaml"
API_PREFIX = "/api.xro/2.0"
# A test that deliberately sends what the spec does not describe (but Xero accepts, such as an
# RFC 1123 If-Modified-Since) names the reason in this header; its answer is still checked.
OFF_SPEC_HEADER = "x-test-off-spec"
REDIRECT_URI = "http://127.0.0.1:8499/xero/callback"
SCOPES = "openid profile email offline_access accounting.transactions accounting.contacts accounting.settings"


@dataclass
class Exchange:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes


class Recorder:
    """WSGI middleware that keeps each Xero API request and its answer, byte for byte."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []

    def __call__(self, environ: dict, start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(API_PREFIX):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        captured: dict[str, Any] = {}

        def keep(status: str, headers: list, exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = int(status.split()[0]), dict(headers)
            return start_response(status, headers, exc_info)

        chunks = b"".join(self.app(environ, keep))
        request_headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                           if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            request_headers["content-type"] = environ["CONTENT_TYPE"]
        if captured:
            self.exchanges.append(Exchange(environ["REQUEST_METHOD"], path,
                                           environ.get("QUERY_STRING", ""), request_headers,
                                           body, captured["status"], captured["headers"], chunks))
        return [chunks]


@dataclass
class SpecRequest:
    """openapi-core's Request protocol, for a recorded exchange, as if sent to api.xero.com."""

    exchange: Exchange
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        query = ImmutableMultiDict([(k, v) for k, vs in parse_qs(self.exchange.query).items()
                                    for v in vs])
        self.parameters = RequestParameters(query=query, header=Headers(self.exchange.headers))

    host_url = "https://api.xero.com"

    @property
    def path(self) -> str:
        return self.exchange.path

    @property
    def method(self) -> str:
        return self.exchange.method.lower()

    @property
    def body(self) -> bytes | None:
        if self.content_type.startswith("application/octet-stream") and self.exchange.body:
            # The spec types raw attachment bodies as `string, format: byte`; what the SDK
            # (and Xero) carry is the raw file, so check its base64 text against that schema.
            return base64.b64encode(self.exchange.body).decode()  # type: ignore[return-value]
        return self.exchange.body or None

    @property
    def content_type(self) -> str:
        return self.exchange.headers.get("content-type", "application/json")


@dataclass
class SpecResponse:
    exchange: Exchange

    @property
    def status_code(self) -> int:
        return self.exchange.status

    @property
    def headers(self) -> Headers:
        return Headers(self.exchange.response_headers)

    @property
    def content_type(self) -> str:
        return self.exchange.response_headers.get("Content-Type", "").lower()

    @property
    def data(self) -> bytes:
        return self.exchange.response_body


def _documented_statuses(spec: OpenAPI, exchange: Exchange) -> set[int]:
    """The statuses the spec documents for this operation (it has no 401/403/429/5xx)."""
    operations = spec.spec / "paths"
    for template, item in operations.items():
        pattern = template.replace("{", "(?P<").replace("}", ">[^/]+)")
        import re

        if re.fullmatch(API_PREFIX + pattern, exchange.path) and exchange.method.lower() in item:
            responses = item / exchange.method.lower() / "responses"
            return {int(code) for code in responses.keys() if str(code).isdigit()}
    return set()


# xero-python (generated from a newer spec, "the newer truth" per specs/README.md) always
# serialises these flags, which the 16.1.0 snapshot marks readOnly; Xero accepts them.
SDK_ALWAYS_SENDS = {"HasAttachments"}


def _allow_sdk_flags(node: Any) -> None:
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if name in SDK_ALWAYS_SENDS and isinstance(prop, dict):
                prop.pop("readOnly", None)
        for child in node.values():
            _allow_sdk_flags(child)
    elif isinstance(node, list):
        for child in node:
            _allow_sdk_flags(child)


@pytest.fixture(scope="session")
def xero_spec() -> OpenAPI:
    document = yaml.safe_load(SPEC.read_text())
    _allow_sdk_flags(document["components"]["schemas"])
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


def spec_problems(spec: OpenAPI, exchanges: list[Exchange]) -> list[str]:
    """Every recorded request the sandbox accepted, and every documented answer, checked."""
    problems = []
    for exchange in exchanges:
        documented = _documented_statuses(spec, exchange)
        where = f"{exchange.method} {exchange.path}?{exchange.query} -> {exchange.status}"
        if exchange.status < 400 and OFF_SPEC_HEADER not in exchange.headers:
            try:
                spec.validate_request(SpecRequest(exchange))
            except Exception as error:  # noqa: BLE001 - collect every failure, not the first
                problems.append(f"request {where}: {error!r} {getattr(error, '__cause__', '')}")
        if exchange.status in documented:
            try:
                spec.validate_response(SpecRequest(exchange), SpecResponse(exchange))
            except Exception as error:  # noqa: BLE001
                problems.append(f"response {where}: {error!r} {getattr(error, '__cause__', '')}")
    return problems


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
def xero(xero_spec: OpenAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[XeroSandbox]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    server = SandboxServer(auto_consent=True)
    recorder = Recorder(server.app.wsgi_app)
    server.app.wsgi_app = recorder  # type: ignore[method-assign]
    with server:
        info = server.info()["xero"]
        monkeypatch.setattr(TokenApi, "refresh_token_url", info["token_url"])
        monkeypatch.setattr(TokenApi, "revoke_token_url", info["revocation_url"])
        yield XeroSandbox(server, info, recorder)
    problems = spec_problems(xero_spec, recorder.exchanges)
    assert not problems, "traffic outside Xero's OpenAPI document:\n" + "\n".join(problems[:20])


def body_of(exchange: Exchange) -> Any:
    return json.loads(exchange.response_body)
