"""The sandbox for the module, a fresh stack (database, web app, connections) per test."""

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
def stack(sandbox, database_url) -> Iterator[Stack]:
    sandbox.control.reset()
    built = Stack.build(sandbox, database_url)
    built.start_web()
    try:
        yield built
    finally:
        built.stop()
