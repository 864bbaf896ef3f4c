"""End-to-end: the sandbox over HTTP, the real web app, and `milepost worker` processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.sandbox.client import SandboxServer
from tests.jobs_harness import Stack


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def make_stack(sandbox, tmp_path) -> Iterator:
    built: list[Stack] = []

    def make(database_url: str, **worker: object) -> Stack:
        sandbox.control.reset()
        stack = Stack.build(sandbox, database_url, **worker)
        stack.log_dir = tmp_path
        stack.start_web()
        built.append(stack)
        return stack

    yield make
    for stack in built:
        stack.stop()
        # pytest shows a test's captured teardown output only when the test failed: then the
        # workers' own words sit beside the assertion that gave up waiting for them.
        print(stack.logs())  # noqa: T201
    for service in ("quickbooks", "xero"):
        sandbox.control.configure_webhooks(service, None, enabled=False)
    sandbox.control.set_latency(quickbooks=0, xero=0)
