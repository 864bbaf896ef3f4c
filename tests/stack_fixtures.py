"""The fixtures of the suites that run a whole `Stack` (tests/integration/jobs and invoicing).

The sandbox for the module, every test's Xero traffic checked against Xero's OpenAPI document,
and a fresh stack (database, web app, connections) per test. A suite's conftest imports them,
so pytest finds them by name there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.sandbox.client import SandboxServer
from tests.jobs_harness import Stack
from tests.xero_openapi import Recorder, checked_traffic, record_xero


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        record_xero(server)
        yield server


@pytest.fixture(autouse=True)
def xero_traffic_follows_the_spec(sandbox, xero_spec) -> Iterator[Recorder]:
    """Each test's Xero requests and answers match Xero's OpenAPI document (issue 3)."""
    yield from checked_traffic(record_xero(sandbox), xero_spec)


@pytest.fixture
def stack(sandbox, database_url) -> Iterator[Stack]:
    sandbox.control.reset()
    built = Stack.build(sandbox, database_url)
    built.start_web()
    try:
        yield built
    finally:
        built.stop()
