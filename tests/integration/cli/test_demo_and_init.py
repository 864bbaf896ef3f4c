"""`milepost demo` and `milepost init`, run the way a user runs them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from connector.billing.money import D
from connector.cli import main
from connector.cli.demo import SAMPLE_SCHEDULE, Step, demo_steps
from connector.sandbox.state import SandboxState
from connector.store.db import current_revision, head_revision, make_engine

ROOT = Path(__file__).resolve().parents[3]


def _states_the_commands_leave(steps: list[Step]) -> dict[int, str]:
    """Each milestone's state after the demo's own commands, before any money moves.

    Read from the steps themselves, so the test follows the story when the story changes:
    an accepted or deemed milestone is billed in full; `deem` decides every milestone still
    waiting on its approver (the demo runs it after the window lapsed).
    """
    seqs = [m["seq"] for m in tomllib.loads(SAMPLE_SCHEDULE)["milestones"]]
    states = dict.fromkeys(seqs, "planned")
    outcome = {"submit": "submitted", "accept": "billed", "partial": "partially_accepted",
               "reject": "rejected"}
    for step in steps:
        if step.argv[0] == "milestone":
            states[int(step.argv[3])] = outcome[step.argv[1]]
        elif step.argv[0] == "deem":
            states = {seq: "billed" if s == "submitted" else s for seq, s in states.items()}
    return states


def test_demo_runs_end_to_end_and_ends_with_the_report(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "connector.cli", "demo", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "deposit invoice queued (5000.00)" in out
    assert "approval window lapsed" in out
    assert "change order CO-1 applied" in out
    assert out.rstrip().splitlines()[-1].startswith("USD: net of tax: billed")
    report = subprocess.run(
        [sys.executable, "-m", "connector.cli", "--database", f"sqlite:///{tmp_path / 'demo.db'}",
         "report", "ACME-WEB", "--format", "json", "--at", "2027-01-26T18:00"],  # the scenario's end
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    milestones = {m["seq"]: m for m in json.loads(report.stdout)["milestones"]}
    realm = re.search(r"\(realm (\d+)\)", out).group(1)
    paid_number = re.search(r"pays invoice (\S+) in QuickBooks", out).group(1)
    books = SandboxState.load(tmp_path / "sandbox.json").quickbooks.company(realm)
    expected = _states_the_commands_leave(demo_steps(tmp_path))

    assert set(milestones) == set(expected)
    for seq, before in expected.items():
        milestone = milestones[seq]
        if before == "planned":
            assert milestone["state"] == "planned"
            continue
        # billed: the worker created the invoice in the customer's books, never sent (a draft)
        invoice = books.get("Invoice", milestone["invoice"]["id"])
        assert invoice is not None, f"milestone {seq} has no invoice in the sandbox"
        assert invoice["EmailStatus"] != "EmailSent"
        assert D(invoice["TotalAmt"]) == D(milestone["billed"])
        paid = D(invoice["TotalAmt"]) - D(invoice["Balance"])
        assert D(milestone["paid"]) == paid
        if before == "billed":
            assert milestone["state"] == ("paid" if D(invoice["Balance"]) == 0 else "invoiced")
        else:
            assert milestone["state"] == before
    paid_in_books = [m for m in milestones.values()
                     if m["invoice"] and m["invoice"]["number"] == paid_number]
    assert [m["state"] for m in paid_in_books] == ["paid"]


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
