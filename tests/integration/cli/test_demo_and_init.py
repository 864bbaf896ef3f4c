"""`milepost demo` and `milepost init`, run the way a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from connector.cli import main
from connector.store.db import current_revision, head_revision, make_engine

ROOT = Path(__file__).resolve().parents[3]


def test_demo_runs_end_to_end_and_ends_with_the_report(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "connector.cli", "demo", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "deposit invoice queued (5000.00)" in out
    assert "deemed" in out or "approval window lapsed" in out
    assert "change order CO-1 applied" in out
    assert "partially_accepted" in out
    assert out.rstrip().splitlines()[-1].startswith("USD: billed")
    report = subprocess.run(
        [sys.executable, "-m", "connector.cli", "--database", f"sqlite:///{tmp_path / 'demo.db'}",
         "report", "ACME-WEB", "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    data = json.loads(report.stdout)
    states = [m["state"] for m in data["milestones"]]
    assert states == ["invoice_due", "invoice_due", "partially_accepted", "planned", "planned"]


def test_init_writes_a_config_and_migrates_the_database(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MILEPOST_CONFIG", raising=False)
    monkeypatch.delenv("MILEPOST_DATABASE_URL", raising=False)
    monkeypatch.delenv("MILEPOST_DATABASE__URL", raising=False)
    assert main(["init"]) == 0
    assert (tmp_path / "milepost.toml").is_file()
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'milepost.db'}")
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert main(["init"]) == 0  # a second run upgrades nothing and keeps the file


def test_commands_refuse_an_uninitialised_database(tmp_path, capsys):
    code = main(["--database", f"sqlite:///{tmp_path / 'empty.db'}", "report", "X"])
    assert code == 1
    assert "milepost init" in capsys.readouterr().err


def test_a_secret_in_the_config_file_is_refused_without_echoing_it(tmp_path, capsys):
    config = tmp_path / "milepost.toml"
    config.write_text('[xero]\nclient_secret = "hunter2-very-secret"\n', encoding="utf-8")
    assert main(["--config", str(config), "init"]) == 1
    err = capsys.readouterr().err
    assert "xero.client_secret" in err
    assert "hunter2" not in err
