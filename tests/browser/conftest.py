"""A live Milepost web app and a sandbox whose consent pages wait for a person, and Chromium.

Debian's Chromium only (never a downloaded browser). The web app runs on a free loopback port
in a thread, with the QuickBooks redirect URI pointing at it, as an operator would register it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from werkzeug.serving import make_server

from connector.sandbox.client import SandboxServer
from connector.web import create_app
from tests.integration.web.conftest import API_KEY, web_settings
from tests.people import ADMIN_EMAIL, ensure_user
from tests.xero_openapi import Recorder, checked_traffic, record_xero

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def consent_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(auto_consent=False) as server:
        record_xero(server)
        yield server


@pytest.fixture(autouse=True)
def xero_traffic_follows_the_spec(consent_sandbox: SandboxServer, xero_spec) -> Iterator[Recorder]:
    """Each test's Xero requests and answers match Xero's OpenAPI document (issue 3)."""
    yield from checked_traffic(record_xero(consent_sandbox), xero_spec)


class LiveApp:
    def __init__(self, app, server) -> None:  # type: ignore[no-untyped-def]
        self.app, self.server = app, server
        self.url = f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def live(sqlite_engine, sqlite_url: str, consent_sandbox: SandboxServer) -> Iterator[LiveApp]:
    consent_sandbox.control.reset()
    server = make_server("127.0.0.1", 0, None, threaded=True)  # type: ignore[arg-type]
    port = server.server_port
    settings = web_settings(sqlite_url, consent_sandbox.url)
    settings = replace(
        settings,
        app=replace(settings.app, base_url=f"http://127.0.0.1:{port}"),
        quickbooks=replace(settings.quickbooks, redirect_uri=f"http://127.0.0.1:{port}/oauth/quickbooks/callback"),
        xero=replace(settings.xero, redirect_uri=f"http://127.0.0.1:{port}/oauth/xero/callback"),
    )
    app = create_app(settings, environ={"MILEPOST_API_KEYS": API_KEY})
    ensure_user(app, ADMIN_EMAIL, "admin", name="Ada Admin")
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveApp(app, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["milepost"].engine.dispose()


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    yield context.new_page()
    context.close()
