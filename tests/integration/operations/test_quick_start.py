"""`milepost --help` and `milepost report` load only what they use (no SDK, web app or Alembic).

Each command runs in a fresh interpreter, as a user starts it, and reports which modules it
imported; how long that takes is measured in tests/bench (startup.py), never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from connector.cli import main
from connector.cli.demo import SAMPLE_SCHEDULE

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("flask", "sqlalchemy", "quickbooks", "xero_python", "alembic", "celery")
# The SDKs, the web app, migrations, Celery and the HTTP and Redis clients behind them.
NOT_FOR_A_REPORT = ("flask", "quickbooks", "xero_python", "intuitlib.client", "alembic", "celery",
                    "kombu", "redis", "requests", "authlib", "apscheduler", "pydantic")
# argon2 is wrapped to count password hashes: one costs a third of a second and 64 MiB, so a
# command that signs nobody in must make none (the web app's dummy hash was once made at import).
RUN = """
import json, sys
import argon2
hashes = []
_hash = argon2.PasswordHasher.hash
argon2.PasswordHasher.hash = lambda self, *a, **k: hashes.append(1) or _hash(self, *a, **k)
from connector.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exit:
    code = exit.code
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules), "hashes": len(hashes)}, out)
"""


def _run(tmp_path: Path, *args: str) -> tuple[dict, str]:
    seen = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", RUN, str(seen), *args], capture_output=True, text=True,
                          cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, timeout=120)
    return json.loads(seen.read_text()), done.stdout


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


def test_help_imports_no_sdk_web_app_database_or_migrations(tmp_path) -> None:
    seen, out = _run(tmp_path, "--help")

    assert seen["code"] == 0
    assert "milepost demo" in out
    assert _loaded(seen["modules"], HEAVY) == []


def test_a_commands_own_help_and_a_usage_error_stay_as_light(tmp_path) -> None:
    own, out = _run(tmp_path, "report", "--help")
    wrong, _ = _run(tmp_path, "milestone", "approve", "ACME-WEB", "1")

    assert (own["code"], wrong["code"]) == (0, 2)
    assert "--format" in out
    assert _loaded(own["modules"], HEAVY) == _loaded(wrong["modules"], HEAVY) == []


def test_a_json_report_reads_the_store_without_the_sdks_web_app_or_alembic(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    database = f"sqlite:///{tmp_path / 'quick.db'}"
    (tmp_path / "acme.toml").write_text(SAMPLE_SCHEDULE, encoding="utf-8")
    assert main(["--database", database, "init", "--no-config"]) == 0
    assert main(["--database", database, "schedule", "import", "acme.toml"]) == 0

    seen, out = _run(tmp_path, "--database", database, "report", "ACME-WEB", "--format", "json")

    assert seen["code"] == 0
    assert json.loads(out)["key"] == "ACME-WEB"
    assert _loaded(seen["modules"], NOT_FOR_A_REPORT) == []
    assert seen["hashes"] == 0
