"""The sandbox application: QuickBooks Online and Xero stand-ins on one port.

``create_app`` composes the service blueprints with the control API; ``serve`` runs it on the
threaded werkzeug server and prints what a user needs to point the SDKs at it. The Xero part
is imported lazily, so either service keeps working while the other is missing.
"""

from __future__ import annotations

import importlib
import logging
import signal
import socket
import threading
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

from . import control
from .httpserver import LeanWSGIServer
from .state import SandboxState

log = logging.getLogger(__name__)

AUTOSAVE_SECONDS = 5.0


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request, and keep-alive (HTTP/1.1): at benchmark rates a log
    line, a TCP handshake and a thread per request would be the bottleneck."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # werkzeug writes status, headers and body separately; without NODELAY, Nagle's
        # algorithm holds the body back until the client's delayed ACK
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def _service_blueprints(name: str) -> list[Any]:
    try:
        module = importlib.import_module(f"connector.sandbox.{name}")
        made = module.blueprint()
    except Exception as error:  # noqa: BLE001 - a broken service must not take down the other
        log.warning("sandbox service %s not mounted: %s", name, error)
        return []
    return list(made) if isinstance(made, list | tuple) else [made]


def create_app(state: SandboxState | None = None, *, auto_consent: bool = False) -> Flask:
    """A Flask app serving both platforms from ``state`` (a fresh seeded one by default)."""
    app = Flask(__name__)
    app.config["SANDBOX_AUTO_CONSENT"] = auto_consent
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False
    app.extensions["milepost_sandbox"] = state or SandboxState()
    for name in ("quickbooks", "xero"):
        for bp in _service_blueprints(name):
            app.register_blueprint(bp)
    app.register_blueprint(control.blueprint())
    return app


def banner(app: Flask, base_url: str) -> str:
    """The text ``serve`` prints: base URLs and the credentials to configure clients with."""
    with app.test_request_context(base_url=base_url):
        info = control.info_document(base_url)
    lines = [f"Milepost sandbox at {base_url}", f"  control API: {base_url}/_sandbox/info"]
    qbo = info.get("quickbooks")
    if qbo:
        lines += ["QuickBooks Online:", f"  discovery_url:  {qbo['discovery_url']}",
                  f"  api_base:       {qbo['api_base']}", f"  client_id:      {qbo['client_id']}",
                  f"  client_secret:  {qbo['client_secret']}",
                  f"  webhook_verifier_token: {qbo['webhook_verifier_token']}"]
        lines += [f"  company {c['realm_id']}: {c['name']} ({c['currency']})"
                  for c in qbo["companies"]]
    xero = info.get("xero")
    if xero:
        lines += ["Xero:"] + [f"  {key}: {xero[key]}" for key in (
            "authorize_url", "token_url", "connections_url", "api_base", "identity_base",
            "client_id", "client_secret", "webhook_key") if key in xero]
        lines += [f"  organisation {o['tenant_id']}: {o['name']} ({o['currency']})"
                  for o in xero.get("organisations", [])]
    return "\n".join(lines)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends ``serve`` like Ctrl-C, so the state file is written on the way out."""
    raise KeyboardInterrupt


def _autosave(state: SandboxState, stop: threading.Event) -> None:
    while not stop.wait(AUTOSAVE_SECONDS):
        try:
            state.save()
        except OSError as error:
            log.warning("could not save sandbox state: %s", error)


def serve(host: str = "127.0.0.1", port: int = 8765, state_file: str | None = None,
          auto_consent: bool = False, latency_ms: float = 0.0) -> None:
    """Run the sandbox until interrupted; with ``state_file`` the books survive a restart."""
    state = SandboxState.load(state_file) if state_file else SandboxState()
    for service in state.latency_ms:
        state.latency_ms[service] = latency_ms
    app = create_app(state, auto_consent=auto_consent)
    server = LeanWSGIServer(host, port, app)
    base_url = f"http://{host}:{server.server_port}"
    print(banner(app, base_url), flush=True)  # noqa: T201 - the banner is the command's output
    stop = threading.Event()
    if state_file:
        state.save()  # the printed credentials must survive even a crash
        threading.Thread(target=_autosave, args=(state, stop), daemon=True).start()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        state.webhooks.reset()
        if state_file:
            state.save()
