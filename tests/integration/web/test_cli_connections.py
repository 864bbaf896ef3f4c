"""`milepost connect`, `connections`, `project link` and `schedule import --connection`."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time

import pytest
import requests
from cryptography.fernet import Fernet

from connector.cli import main
from connector.store.db import make_engine, session_factory
from connector.store.links import linked_connection
from tests.integration.cli.schedules import GOOD


@pytest.fixture
def milepost(sqlite_engine, sqlite_url, sandbox, tmp_path, monkeypatch, capsys):
    """`milepost(*args)` with MILEPOST_SANDBOX_URL pointing at the sandbox, as an operator sets it."""
    for name in list(os.environ):
        if name.startswith("MILEPOST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("MILEPOST_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("MILEPOST_TOKEN_KEYS", Fernet.generate_key().decode())

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--database", sqlite_url, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def listed(milepost) -> list[dict]:  # type: ignore[no-untyped-def]
    code, out, _ = milepost("connections", "--format", "json")
    assert code == 0
    return json.loads(out)


def test_connect_quickbooks_non_interactive_completes_against_the_sandbox(milepost, sandbox):
    code, out, err = milepost("connect", "quickbooks", "--non-interactive")

    assert code == 0, err
    first = sandbox.info()["quickbooks"]["companies"][0]
    assert f"connected quickbooks {first['name']} as connection 1" in out
    [row] = listed(milepost)
    assert row["id"] == 1
    assert (row["platform"], row["company"], row["status"]) == ("quickbooks", first["name"], "active")
    assert "token" not in json.dumps(row).replace("tenant_id", "")


def test_connect_xero_twice_keeps_one_connection_per_organisation(milepost, sandbox):
    assert milepost("connect", "xero", "--non-interactive")[0] == 0
    code, out, _ = milepost("connect", "xero", "--non-interactive")

    assert code == 0
    assert out.count("reconnected xero") == 2
    names = sorted(o["name"] for o in sandbox.info()["xero"]["organisations"])
    assert sorted(r["company"] for r in listed(milepost)) == names


def test_connections_table_names_id_platform_company_and_status(milepost):
    milepost("connect", "quickbooks", "--non-interactive")
    code, out, _ = milepost("connections")
    assert code == 0
    assert re.search(r"1\s+│\s+quickbooks\s+│\s+Milepost Builders \(US\)\s+│\s+active", out)


def test_connections_says_how_to_start_when_there_are_none(milepost):
    code, out, _ = milepost("connections")
    assert code == 0
    assert "milepost connect quickbooks" in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connect_waits_for_the_browser_on_a_loopback_port(milepost, capsys):
    port = _free_port()
    result: list[tuple[int, str, str]] = []
    thread = threading.Thread(target=lambda: result.append(
        milepost("connect", "quickbooks", "--port", str(port), "--timeout", "60")))
    thread.start()
    url = None
    for _ in range(200):
        match = re.search(r"(http://\S+/connect/oauth2\S+)", capsys.readouterr().out)
        if match:
            url = match.group(1)
            break
        time.sleep(0.05)
    assert url, "connect printed no consent URL"
    for _ in range(100):  # the listener starts right after the URL is printed
        try:
            answer = requests.get(url, timeout=10)  # the "browser": consent, then our callback
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    thread.join(timeout=60)

    assert "You can close this window" in answer.text
    code, _, err = result[0]
    assert code == 0, err
    assert [r["platform"] for r in listed(milepost)] == ["quickbooks"]


def test_a_schedule_imported_with_a_connection_bills_through_it(milepost, tmp_path, sqlite_url):
    milepost("connect", "quickbooks", "--non-interactive")
    (tmp_path / "acme.toml").write_text(GOOD)

    code, out, err = milepost("schedule", "import", "acme.toml", "--connection", "1")

    assert code == 0, err
    assert "billing through connection 1" in out
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as session:
        assert linked_connection(session, "ACME-WEB") == 1
    engine.dispose()


def test_an_import_naming_an_unknown_connection_imports_nothing(milepost, tmp_path):
    (tmp_path / "acme.toml").write_text(GOOD)

    code, _, err = milepost("schedule", "import", "acme.toml", "--connection", "7")

    assert code == 1
    assert "no connection 7" in err
    assert milepost("report", "ACME-WEB")[0] == 1  # the project was not stored


def test_project_link_ties_an_imported_project_to_a_connection(milepost, tmp_path, sqlite_url):
    milepost("connect", "xero", "--non-interactive")
    (tmp_path / "acme.toml").write_text(GOOD)
    milepost("schedule", "import", "acme.toml")

    code, out, _ = milepost("project", "link", "ACME-WEB", "--connection", "2")
    refused = milepost("project", "link", "NOPE", "--connection", "2")

    assert code == 0
    assert "ACME-WEB bills through connection 2" in out
    assert refused[0] == 1
    assert "NOPE" in refused[2]
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as session:
        assert linked_connection(session, "ACME-WEB") == 2
    engine.dispose()
