"""Every Xero request the sandbox accepts, and every answer it gives, against Xero's OpenAPI.

Issue 3: the sandbox must be a faithful Xero, so the traffic of the test suite is checked
against `connector/sandbox/xero/specs/xero_accounting.yaml` (Xero's document, copied into the
repository with its licence), not only the sandbox's own Xero tests.

- `record_xero(server)` wraps a `SandboxServer`'s WSGI app in a `Recorder` (test-only
  middleware) that keeps each `/api.xro/2.0` request and its answer, byte for byte.
- `xero_spec` (a session fixture; the document is parsed once per process, about 2 s) is the
  spec, and `spec_problems(spec, exchanges)` lists every request the sandbox accepted (status
  below 400) that the spec does not describe, and every answer with a documented status that
  does not match its schema.
- `checked_traffic(recorder, spec)` forgets what was recorded, lets the test run, and fails it
  (in its teardown) naming each exchange outside the spec.

A test that deliberately sends what the spec does not describe but Xero accepts (an RFC 1123
If-Modified-Since) names its reason in the `x-test-off-spec` header; its answer is still checked.
"""

from __future__ import annotations

import base64
import functools
import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from connector.sandbox.client import SandboxServer

SPEC = (Path(__file__).resolve().parents[1] / "connector" / "sandbox" / "xero" / "specs"
        / "xero_accounting.yaml")
API_PREFIX = "/api.xro/2.0"
OFF_SPEC_HEADER = "x-test-off-spec"
ZONELESS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?")


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
    """WSGI middleware that keeps each Xero API request and its answer, byte for byte.

    The sandbox serves from several threads (and a job's threads call it at once), so the list
    only grows under a lock."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()

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
            exchange = Exchange(environ["REQUEST_METHOD"], path, environ.get("QUERY_STRING", ""),
                                request_headers, body, captured["status"], captured["headers"],
                                chunks)
            with self._lock:
                self.exchanges.append(exchange)
        return [chunks]

    def take(self) -> list[Exchange]:
        """What was recorded since the last `take`, forgotten here."""
        with self._lock:
            taken, self.exchanges = self.exchanges, []
        return taken


def record_xero(server: SandboxServer) -> Recorder:
    """Wrap the sandbox's app (once; a second call returns the same recorder)."""
    app = server.app
    if isinstance(app.wsgi_app, Recorder):
        return app.wsgi_app
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder  # type: ignore[method-assign]
    return recorder


@dataclass
class SpecRequest:
    """openapi-core's Request protocol, for a recorded exchange, as if sent to api.xero.com."""

    exchange: Exchange
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        query = ImmutableMultiDict([(k, v) for k, vs in parse_qs(self.exchange.query).items()
                                    for v in vs])
        headers = dict(self.exchange.headers)
        since = headers.get("if-modified-since", "")
        if ZONELESS.fullmatch(since):
            # Xero documents this header as "a UTC timestamp (yyyy-mm-ddThh:mm:ss)", with no
            # zone, and xero-python sends a naive datetime's isoformat() so; the document's
            # `format: date-time` (RFC 3339) wants an offset. Read it as the UTC it is.
            headers["if-modified-since"] = since + "Z"
        self.parameters = RequestParameters(query=query, header=Headers(headers))

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
    for template, item in (spec.spec / "paths").items():
        pattern = template.replace("{", "(?P<").replace("}", ">[^/]+)")
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


@functools.cache
def load_spec() -> OpenAPI:
    """Xero's accounting document, parsed once per process however many fixtures ask."""
    document = yaml.safe_load(SPEC.read_text())
    _allow_sdk_flags(document["components"]["schemas"])
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


@pytest.fixture(scope="session")
def xero_spec() -> OpenAPI:
    return load_spec()


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


def checked_traffic(recorder: Recorder, spec: OpenAPI) -> Iterator[Recorder]:
    """For a fixture: `yield from checked_traffic(...)`. Fails the test's teardown with the
    exchanges (its own, not an earlier test's) that fall outside Xero's document."""
    recorder.take()
    yield recorder
    problems = spec_problems(spec, recorder.take())
    assert not problems, "Xero traffic outside Xero's OpenAPI document:\n" + "\n".join(problems[:20])
