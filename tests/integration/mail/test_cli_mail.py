"""`[mail]` from the environment, as an operator sets it: `milepost milestone submit` queues the
approver's message, `milepost worker --once` sends it, and `milepost jobs` says so."""

from __future__ import annotations

from cryptography.fernet import Fernet

from tests.integration.cli.conftest import _isolated, milepost  # noqa: F401 - the CLI's fixtures
from tests.integration.cli.schedules import GOOD, import_with_evidence

from .conftest import SECRET_KEY


def test_the_cli_submission_is_emailed_by_worker_once_with_mail_set_in_the_environment(
        milepost, inbox, tmp_path, monkeypatch) -> None:  # noqa: F811 - the imported fixture
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
