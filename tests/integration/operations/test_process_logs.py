"""A worker process writes one JSON object a line on stdout, and the scheduler keeps quiet.

The worker runs in an environment of the test's own making (no DATABASE_URL or REDIS_URL, nor
anything else, from the machine running the tests), with a milestone whose approval window
lapsed long ago: the test waits until the worker has deemed it accepted (in the database, and in
its log), so the lines checked are those of a job that ran."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select

from connector.cli import main
from connector.store.models import MilestoneRow
from tests.integration.cli.schedules import GOOD

ROOT = Path(__file__).resolve().parents[3]


def _records(path: Path) -> list[dict[str, Any]]:
    """The worker's whole lines so far, each parsed (a line that is not JSON fails here)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return [json.loads(line) for line in text.split("\n")[:-1]]  # the last piece is not yet a line


def _state(database: str) -> str:
    engine = create_engine(database)
    try:
        with engine.connect() as db:
            return str(db.scalar(select(MilestoneRow.state).where(MilestoneRow.seq == 1)))
    finally:
        engine.dispose()


def _deemed(records: list[dict[str, Any]]) -> bool:
    return any(r.get("job") == "deem_acceptances" and "deemed 1" in r["message"] for r in records)


def test_the_embedded_worker_logs_json_lines_and_no_per_job_scheduler_lines(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the evidence folder: where the command is run
    database = f"sqlite:///{tmp_path / 'worker.db'}"
    schedule, evidence = tmp_path / "acme.toml", tmp_path / "requirements.pdf"
    schedule.write_text(GOOD, encoding="utf-8")
    evidence.write_bytes(b"%PDF requirements")
    assert main(["--database", database, "init", "--no-config"]) == 0
    assert main(["--database", database, "schedule", "import", str(schedule)]) == 0
    assert main(["--database", database, "milestone", "submit", "ACME-WEB", "1", "--by", "Sam",
                 "--at", "2026-11-02T10:00:00+00:00", "--evidence", str(evidence)]) == 0
    assert _state(database) == "submitted"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "MILEPOST_DATABASE_URL": database,
           "MILEPOST_TOKEN_KEYS": Fernet.generate_key().decode(), "MILEPOST_SANDBOX__ENABLED": "false",
           "MILEPOST_WORKER__DRAIN_OUTBOX_SECONDS": "1", "MILEPOST_WORKER__DEEM_ACCEPTANCES_SECONDS": "1"}
    out = tmp_path / "worker.out"
    with out.open("w") as sink:
        worker = subprocess.Popen([sys.executable, "-m", "connector.cli", "worker"], cwd=tmp_path,
                                  env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not _deemed(_records(out)) and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)

    records = _records(out)
    assert worker.returncode == 0, records
    assert _deemed(records), records  # the job ran, and said so on a line of its own
    assert _state(database) == "invoice_due"  # deemed accepted, and its invoice intent queued
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
    assert any(r["message"].startswith("milepost worker running") for r in records), records
    assert [r for r in records if r["logger"].startswith("apscheduler") and r["level"] == "INFO"] == []
