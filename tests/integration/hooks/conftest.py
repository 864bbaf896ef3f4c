"""A whole stack whose webhook subscriptions may post to this machine, and a real HTTP receiver.

`receiver` is a threaded HTTP server on a free loopback port that records every POST (its
headers and raw body) and answers each with the next status of `answers` (200 once they run
out), as a project tool's endpoint would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connector.sandbox.client import SandboxServer
from tests.jobs_harness import Stack
from tests.stack_fixtures import (  # noqa: F401 - pytest finds fixtures by name
    sandbox,
    xero_traffic_follows_the_spec,
)


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def receiving(host: str = "127.0.0.1", port: int = 0) -> Iterator[Receiver]:
    """A receiver listening on `host` (a free port unless `port` is given) until the block ends."""
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            box = holder[0]
            with box.lock:
                status = box.answers.pop(0) if box.answers else 200
                box.deliveries.append(Delivery(self.path, {k.lower(): v for k, v in self.headers.items()},
                                               body, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    holder.append(Receiver(f"http://{host}:{server.server_port}/milepost-events"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


@pytest.fixture
def stack(sandbox: SandboxServer, database_url: str) -> Iterator[Stack]:  # noqa: F811 - the fixture, by name
    sandbox.control.reset()
    built = Stack.build(sandbox, database_url)
    built.settings = replace(built.settings, notifications=replace(built.settings.notifications,
                                                                   private_webhook_urls=True))
    built.start_web()
    try:
        yield built
    finally:
        built.stop()
