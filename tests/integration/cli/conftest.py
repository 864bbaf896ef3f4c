"""Running `milepost` in-process, against the test's own database, from an empty directory."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from connector.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No stray milepost.toml or MILEPOST_* variable from the developer's shell."""
    for name in list(__import__("os").environ):
        if name.startswith("MILEPOST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def milepost(engine, database_url, capsys):
    """`milepost(*args)` runs the CLI on this test's migrated database."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(["--database", database_url, *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
