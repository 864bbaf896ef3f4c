"""Intent-to-invoice tests: the sandbox for the module, a fresh stack per test, the CLI in-process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from connector.cli import main
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


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def milepost(stack, tmp_path, monkeypatch, capsys) -> Callable[..., Result]:
    """`milepost(*args)`: the CLI against the stack's database and sandbox, from an empty dir."""
    for name in list(os.environ):
        if name.startswith("MILEPOST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    for name, value in stack.env().items():
        if name.startswith("MILEPOST_"):
            monkeypatch.setenv(name, value)

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(["--database", stack.database_url, *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
