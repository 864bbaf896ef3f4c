"""`[mail]` from the environment, as an operator sets it: `milepost milestone submit` queues the
approver's message, `milepost worker --once` sends it, and `milepost jobs` says so."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet

from connector.cli import main
from tests.integration.cli.conftest import Result
from tests.integration.cli.schedules import GOOD, import_with_evidence

from .conftest import SECRET_KEY


@pytest.fixture
def milepost(engine, database_url, tmp_path, monkeypatch, capsys):
    """The CLI in-process on this test's database, from an empty folder, no stray MILEPOST_*."""
    for name in list(os.environ):
        if name.startswith("MILEPOST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(["--database", database_url, *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def test_the_cli_submission_is_emailed_by_worker_once_with_mail_set_in_the_environment(
        milepost, inbox, tmp_path, monkeypatch) -> None:
    for name, value in {"MILEPOST_MAIL__HOST": inbox.host, "MILEPOST_MAIL__PORT": str(inbox.port),
                        "MILEPOST_MAIL__TLS": "none", "MILEPOST_MAIL__FROM_ADDRESS": "billing@studio.example",
                        "MILEPOST_APP__SECRET_KEY": SECRET_KEY,
                        "MILEPOST_TOKEN_KEYS": Fernet.generate_key().decode()}.items():
        monkeypatch.setenv(name, value)
    evidence = import_with_evidence(milepost, tmp_path, GOOD, "requirements.pdf", b"%PDF reqs")

    assert milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", evidence).code == 0
    first, second = milepost("worker", "--once"), milepost("worker", "--once")

    assert first.code == 0, first.err
    assert "drain_outbox: created 0, failed 0, retry 0, reclaimed 0, sent 1" in first.out
    assert second.code == 0
    [message] = inbox.messages
    assert str(message["To"]) == "Dana Lee <dana@acme.example>"
    assert "/portal/" in str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    runs = milepost("jobs", "--job", "drain_outbox")
    assert runs.code == 0
    assert "sent 1" in runs.out
