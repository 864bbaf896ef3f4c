"""A worker process writes one JSON object a line on stdout, and the scheduler keeps quiet."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet

from connector.cli import main

ROOT = Path(__file__).resolve().parents[3]


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_the_embedded_worker_logs_json_lines_and_no_per_job_scheduler_lines(tmp_path) -> None:
    database = f"sqlite:///{tmp_path / 'worker.db'}"
    assert main(["--database", database, "init", "--no-config"]) == 0
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MILEPOST_")},
           "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "MILEPOST_DATABASE_URL": database,
           "MILEPOST_TOKEN_KEYS": Fernet.generate_key().decode(), "MILEPOST_SANDBOX__ENABLED": "false",
           "MILEPOST_WORKER__DRAIN_OUTBOX_SECONDS": "1", "MILEPOST_WORKER__DEEM_ACCEPTANCES_SECONDS": "1"}
    out = tmp_path / "worker.out"
    with out.open("w") as sink:
        worker = subprocess.Popen([sys.executable, "-m", "connector.cli", "worker"], cwd=tmp_path,
                                  env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not any("worker running" in line for line in _lines(out)) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3.5)  # the drain and the deem job run every second meanwhile
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)

    records = [json.loads(line) for line in _lines(out)]  # a line that is not JSON fails here
    assert worker.returncode == 0
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
    assert any(r["message"].startswith("milepost worker running") for r in records), records
    assert [r for r in records if r["logger"].startswith("apscheduler") and r["level"] == "INFO"] == []
