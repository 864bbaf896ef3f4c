"""Intent-to-invoice tests: the sandbox for the module, a fresh stack per test, the CLI in-process."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from connector.cli import main
from tests.stack_fixtures import (  # noqa: F401 - pytest finds fixtures by name
    sandbox,
    stack,
    xero_traffic_follows_the_spec,
)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def milepost(stack, tmp_path, monkeypatch, capsys) -> Callable[..., Result]:  # noqa: F811 - the imported fixture
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
