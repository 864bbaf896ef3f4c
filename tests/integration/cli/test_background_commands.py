"""`milepost worker --once`, `sync`, `jobs` and `run`: background work from the command line.

Every expected failure is one line on stderr naming what is wrong, never a traceback, and the
exit code is not zero.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from connector.sandbox.client import SandboxServer
from tests.jobs_harness import Stack

from .schedules import GOOD, import_with_evidence

ROOT = Path(__file__).resolve().parents[3]
JOBS = ("refresh_tokens", "deem_acceptances", "remind_approvers", "drain_outbox", "process_webhooks", "sync", "remind",
        "charge_late_fees", "flag_pause_work")


@pytest.fixture
def token_key(monkeypatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("MILEPOST_TOKEN_KEYS", key)
    return key


def test_worker_once_without_a_token_key_says_so_in_one_line(milepost):
    result = milepost("worker", "--once")

    assert result.code == 1
    assert result.err.strip().startswith("milepost: MILEPOST_TOKEN_KEYS is not set:")
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_sync_without_a_token_key_says_so_in_one_line(milepost):
    result = milepost("sync")

    assert result.code == 1
    assert "MILEPOST_TOKEN_KEYS is not set" in result.err
    assert "Traceback" not in result.err


def test_worker_once_runs_every_job_once_and_jobs_lists_the_runs(milepost, token_key, tmp_path):
    evidence = import_with_evidence(milepost, tmp_path, GOOD, "requirements.pdf", b"%PDF reqs")
    milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", evidence)
    assert milepost("milestone", "accept", "ACME-WEB", "1", "--by", "Dana Lee").code == 0  # work for the drain
    once = milepost("worker", "--once")
    runs = milepost("jobs", "--limit", "50")
    only_drain = milepost("jobs", "--job", "drain_outbox")
    idle = milepost("jobs", "--job", "flag_pause_work")

    assert once.code == 0, once.err
    assert [line.split(":")[0] for line in once.lines] == list(JOBS)
    assert runs.code == 0
    assert "drain_outbox" in {line.split()[1].rstrip(":") for line in runs.lines}, runs.out
    assert {line.split()[1].rstrip(":") for line in only_drain.lines} == {"drain_outbox"}
    # A run that went well and did nothing is not recorded (issue 9: the log is for acting on).
    assert idle.out.strip() == "no job runs yet"


def test_jobs_before_any_run_says_there_is_none(milepost):
    result = milepost("jobs")
    assert (result.code, result.out.strip()) == (0, "no job runs yet")


def test_sync_of_an_unknown_connection_names_it(milepost, token_key):
    result = milepost("sync", "--connection", "99")

    assert result.code == 1
    assert result.err.strip() == "milepost: no connection 99: `milepost connections` lists them"


def test_sync_of_one_connection_reads_its_books_and_records_the_run(milepost, database_url, monkeypatch):
    with SandboxServer() as sandbox:
        stack = Stack.build(sandbox, database_url)
        connection, _ = stack.connect_quickbooks()
        monkeypatch.setenv("MILEPOST_TOKEN_KEYS", stack.token_key)
        monkeypatch.setenv("MILEPOST_SANDBOX__URL", sandbox.url)

        result = milepost("sync", "--connection", str(connection))

    assert result.code == 0, result.err
    assert result.lines[0] == "synced 1 connection(s)"
    assert f"sync_connection connection {connection}: ok" in result.lines[1]


def test_worker_once_turns_an_accepted_milestone_into_a_draft_invoice(milepost, database_url, tmp_path,
                                                                      monkeypatch):
    with SandboxServer() as sandbox:
        stack = Stack.build(sandbox, database_url)
        connection, _ = stack.connect_quickbooks()
        monkeypatch.setenv("MILEPOST_TOKEN_KEYS", stack.token_key)
        monkeypatch.setenv("MILEPOST_SANDBOX__URL", sandbox.url)
        evidence = import_with_evidence(milepost, tmp_path, GOOD, "requirements.pdf", b"%PDF reqs")
        assert milepost("project", "link", "ACME-WEB", "--connection", str(connection)).code == 0
        milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", evidence)
        assert milepost("milestone", "accept", "ACME-WEB", "1", "--by", "Dana Lee").code == 0

        once = milepost("worker", "--once")

    assert once.code == 0, once.err
    assert "drain_outbox: created 1, failed 0" in once.out  # the second drain adds to the first
    assert [row.status for row in stack.invoices()] == ["draft"]


def test_run_serves_the_web_app_with_the_worker_and_stops_on_sigterm(milepost, sqlite_url, token_key, tmp_path):
    assert milepost("--database", sqlite_url, "init", "--no-config").code == 0
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT),
           "MILEPOST_SANDBOX__ENABLED": "false"}
    process = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "--database", sqlite_url, "run", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("milepost on http://127.0.0.1:"), banner + (process.stderr.read() if process.poll() is not None else "")
        base = banner.split()[2].rstrip(";")
        assert requests.get(f"{base}/admin/login", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)

    assert process.returncode == 0, err
    assert "Traceback" not in err
