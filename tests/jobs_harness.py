"""A whole Milepost around the sandbox, for the jobs' integration and end-to-end tests.

`Stack` holds: the sandbox (real HTTP), a migrated database, the real web app (API and webhook
receivers) served on a free port, connections made by OAuth with auto-consent, and a
`JobContext` for running jobs in-process. Worker subprocesses get `stack.env()` and write their
output to a log file each (`stack.log_dir`), never to a pipe: nobody reads a pipe during a
test, so a chatty worker would fill it and stall mid-run. `stack.logs()` gives the tails.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from connector.billing.model import Milestone
from connector.cli.demo import SAMPLE_SCHEDULE
from connector.config import (
    QuickBooksSettings,
    SandboxSettings,
    SecuritySettings,
    Settings,
    XeroSettings,
)
from connector.platforms import install
from connector.platforms.custody import TokenCipher
from connector.platforms.endpoints import endpoints_from_sandbox
from connector.sandbox.client import SandboxServer
from connector.store.db import make_engine, migrate, session_factory
from connector.store.models import InvoiceRow, OutboxRow
from connector.store.repository import BillingRepository
from connector.web import create_app
from connector.web.connections import install_quickbooks, install_xero
from jobs.context import EMBEDDED, JobContext, build_context
from jobs.runner import run_job

REDIRECT = "http://127.0.0.1:5000/oauth/quickbooks/callback"
API_KEY = "test-api-key-" + "x" * 20
ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


def schedule_json(key: str = "ACME-WEB", deposit: bool = False) -> dict[str, Any]:
    """The demo's five-phase schedule as the API takes it (no deposit unless asked)."""
    data = tomllib.loads(SAMPLE_SCHEDULE.replace('"ACME-WEB"', f'"{key}"'))
    if not deposit:
        data["project"].pop("deposit", None)
    return data


def wait_for(what: Callable[[], Any], timeout: float = 20.0, every: float = 0.2) -> Any:
    """Poll until `what()` is truthy; its value, or AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout}s")
        time.sleep(every)


@dataclass
class Stack:
    sandbox: SandboxServer
    database_url: str
    settings: Settings
    token_key: str
    web: BaseWSGIServer | None = None
    ctx: JobContext | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="milepost-stack-")))
    log_files: dict[int, Path] = field(default_factory=dict)  # pid -> its output

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def build(cls, sandbox: SandboxServer, database_url: str, **worker: Any) -> Stack:
        info = sandbox.info()
        key = TokenCipher.generate_key()
        settings = Settings(
            sandbox=SandboxSettings(url=sandbox.url, enabled=True),
            security=SecuritySettings(token_keys=(key,)),
            quickbooks=QuickBooksSettings(webhook_verifier_token=info["quickbooks"]["webhook_verifier_token"]),
            xero=XeroSettings(webhook_key=info["xero"]["webhook_key"]),
        ).with_database(database_url)
        if worker:
            settings = replace(settings, worker=replace(settings.worker, **worker))
        engine = make_engine(database_url)
        migrate(engine)
        engine.dispose()
        return cls(sandbox, database_url, settings, key)

    def start_web(self) -> str:
        app = create_app(self.settings, environ={"MILEPOST_API_KEYS": API_KEY})
        self.web = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self.web.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self.web is not None
        return f"http://127.0.0.1:{self.web.server_port}"

    def context(self, mode: str = EMBEDDED, **overrides: Any) -> JobContext:
        if self.ctx is None:
            self.ctx = build_context(self.settings, mode=mode, environ={},
                                     endpoints=endpoints_from_sandbox(self.sandbox.url), **overrides)
        return self.ctx

    def stop(self) -> None:
        for worker in self.workers:
            stop_process(worker)
        if self.web is not None:
            self.web.shutdown()
            self.web.server_close()
        if self.ctx is not None:
            self.ctx.close()

    # -- connections -----------------------------------------------------------------------------
    def connect_quickbooks(self, realm: str | None = None) -> tuple[int, str]:
        qb, _ = endpoints_from_sandbox(self.sandbox.url)
        url = install.quickbooks_authorization_url(qb, REDIRECT, secrets.token_urlsafe(8))
        callback = install.follow_consent(url + (f"&realm_hint={realm}" if realm else ""))
        sessions = session_factory(make_engine(self.database_url))
        [(view, _)] = install_quickbooks(sessions, qb, TokenCipher([self.token_key]), REDIRECT,
                                         callback["code"], callback["realmId"])
        return view.id, view.tenant_id

    def connect_xero(self) -> list[tuple[int, str]]:
        _, xero = endpoints_from_sandbox(self.sandbox.url)
        verifier = secrets.token_urlsafe(48)
        callback = install.follow_consent(
            install.xero_authorization_url(xero, REDIRECT, secrets.token_urlsafe(8), verifier))
        sessions = session_factory(make_engine(self.database_url))
        made = install_xero(sessions, xero, TokenCipher([self.token_key]), REDIRECT, callback["code"], verifier)
        return [(view.id, view.tenant_id) for view, _ in made]

    # -- the API -------------------------------------------------------------------------------
    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = requests.request(method, f"{self.url}/api/v1{path}", json=body, timeout=30,
                                  headers={"Authorization": f"Bearer {API_KEY}"})
        assert answer.status_code < 300, answer.text
        return dict(answer.json())

    def import_and_accept(self, key: str, connection: int, seq: int = 1,
                          schedule: dict[str, Any] | None = None) -> None:
        """Import the schedule (the demo's, or `schedule`) linked to `connection`, submit
        milestone `seq`, accept it."""
        self.api("POST", "/schedules", {**(schedule or schedule_json(key)), "connection": connection})
        self.api("POST", f"/projects/{key}/milestones/{seq}/submit",
                 {"by": "Sam (studio)", "evidence": ["requirements document"]})
        self.api("POST", f"/projects/{key}/milestones/{seq}/accept", {"by": "Dana Lee"})

    def drafted(self, key: str, connection: int) -> tuple[JobContext, InvoiceRow]:
        """Milestone 1 accepted and drafted in the books; the context and the invoice row."""
        self.import_and_accept(key, connection)
        ctx = self.context()
        run_job(ctx, "drain_outbox")
        [invoice] = self.invoices()
        return ctx, invoice

    # -- reading the database --------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session on the stack's database, on an engine of its own (disposed after)."""
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                yield session
        finally:
            engine.dispose()

    def first_milestone(self, key: str) -> Milestone:
        with self.reading() as session:
            return BillingRepository(session).load(key)[1][0]

    def invoices(self) -> list[InvoiceRow]:
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                return list(session.scalars(select(InvoiceRow).order_by(InvoiceRow.id)))
        finally:
            engine.dispose()

    def outbox_statuses(self) -> list[str]:
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                return list(session.scalars(select(OutboxRow.status).order_by(OutboxRow.id)))
        finally:
            engine.dispose()

    # -- worker processes ------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MILEPOST_")}
        env.update({
            "MILEPOST_DATABASE__URL": self.database_url,
            "MILEPOST_SANDBOX__URL": self.sandbox.url,
            "MILEPOST_SECURITY__TOKEN_KEYS": self.token_key,
            "MILEPOST_WORKER__BROKER_URL": self.settings.worker.broker_url,
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(extra)
        return env

    def spawn(self, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        """`milepost ARGS` in a subprocess; stdout and stderr go to a log file of its own."""
        return self.spawn_module("connector.cli", *args, **extra_env)

    def spawn_module(self, module: str, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        """`python -m MODULE ARGS` beside the stack, logged like `spawn`."""
        name = "-".join([module.rsplit(".", 1)[-1], *args[:1]])
        log = self.log_dir / f"{len(self.workers):02d}-{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT,
                                       env=self.env(**extra_env), stdout=out,
                                       stderr=subprocess.STDOUT)
        self.workers.append(process)
        self.log_files[process.pid] = log
        return process

    def logs(self, tail: int = 4000) -> str:
        """The last `tail` characters of every spawned process's output, for a failure report."""
        parts = []
        for process in self.workers:
            log = self.log_files.get(process.pid)
            if log is None or not log.exists():
                continue
            text = log.read_text(errors="replace")
            parts.append(f"--- {log.name} (pid {process.pid}, exit {process.poll()}) ---\n"
                         + (text[-tail:] if text else "(no output)"))
        return "\n".join(parts)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> int | None:
    """SIGTERM, wait for a clean exit; SIGKILL only if it does not come."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode


def books_invoice(sandbox: SandboxServer, realm: str, invoice_id: str) -> dict[str, Any]:
    """The invoice as the sandbox QuickBooks company holds it (what a bookkeeper would see)."""
    return dict(sandbox.control._call("GET", f"/quickbooks/{realm}/invoices/{invoice_id}"))


def books_payments(sandbox: SandboxServer, realm: str, invoice_id: str) -> list[Decimal]:
    """Each payment the sandbox's QuickBooks books hold against the invoice (as recorded there)."""
    state = sandbox.state
    with state.lock:
        payments = list(state.quickbooks.company(realm).table("Payment").values())
    return [Decimal(str(line["Amount"])) for payment in payments for line in payment.get("Line", [])
            if any(link.get("TxnType") == "Invoice" and str(link.get("TxnId")) == str(invoice_id)
                   for link in line.get("LinkedTxn", []))]
