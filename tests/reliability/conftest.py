"""The reliability suite's own services, which its tests may stop and start at will.

The shared PostgreSQL and Redis of the other suites must never be stopped, so this suite runs
its own: a `redis-server` on a free port (no persistence: `--save "" --appendonly no`, a
temporary directory) and a PostgreSQL cluster made by `initdb` in a temporary folder, on a port
of its own, started and stopped with `pg_ctl`. Both are session fixtures, always torn down.
`initdb` refuses to run as root (as CI and this machine's test runs do), so when the suite runs
as root the cluster's folder belongs to the `postgres` account and the binaries run through
`runuser -u postgres`.

Fixtures for any test under tests/reliability:

- `redis_server` (session): the server; `.url`, `.stop()`, `.start()` (same port, empty).
- `own_redis` (function): its URL, emptied first.
- `postgres_cluster` (session): the cluster; `.url(database)`, `.create_database()`,
  `.stop()` (`pg_ctl stop -m fast`), `.start()`.
- `own_postgres` (function): the URL of a brand-new database in that cluster.
- `sandbox` (session): the QuickBooks/Xero sandbox, reset for each test.
- `outcomes` (session): where a test records what it injected and what came of it; the table
  of every record is printed at the end of the run (`pytest_terminal_summary`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from glob import glob
from pathlib import Path

import pytest

from connector.sandbox.client import SandboxServer
from tests.reliability.outcomes import Outcomes

START_TIMEOUT = 30.0


def unavailable(reason: str) -> None:
    """Skip, except in CI (`CI=true`), where a suite may never pass by skipping its services."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the reliability suite may not be skipped)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(ready, timeout: float = START_TIMEOUT, what: str = "service") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout}s")
        time.sleep(0.1)


class RedisServer:
    """A redis-server of the suite's own; stop() and start() keep its port."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed (Debian package redis-server)")
        self.binary = str(binary)
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="milepost-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT)
        wait_until(self.answers, what="redis-server")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _postgres_bin() -> Path:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        unavailable("PostgreSQL's initdb/pg_ctl not found (Debian package postgresql)")
    return Path(initdb).parent


class PostgresCluster:
    """A PostgreSQL cluster of the suite's own, trust auth on 127.0.0.1 and a socket folder."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="milepost-pg-"))
        self.data = self.folder / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:  # initdb and postgres refuse root: hand the folder to `postgres`
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync", "--no-instructions")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.folder} -F -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "start", "-D", str(self.data), "-w", "-t", "60", "-l",
                  str(self.folder / "postgres.log"), "-o", options)
        wait_until(self.answers, what="PostgreSQL")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-w", "-t", "60", "-m", mode)

    def answers(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                                 connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self) -> str:
        import psycopg

        name = f"milepost_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def own_redis(redis_server: RedisServer) -> str:
    if not redis_server.answers():
        redis_server.start()
    redis_server.flush()
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def own_postgres(postgres_cluster: PostgresCluster) -> str:
    if not postgres_cluster.answers():
        postgres_cluster.start()
    return postgres_cluster.create_database()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_sandbox(sandbox: SandboxServer) -> Iterator[None]:
    sandbox.control.reset()
    yield
    sandbox.control.clear_faults()
    sandbox.control.set_latency(quickbooks=0, xero=0)


_OUTCOMES = Outcomes()


@pytest.fixture(scope="session")
def outcomes() -> Outcomes:
    return _OUTCOMES


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if _OUTCOMES.rows:
        terminalreporter.write_sep("=", "reliability: every fault, what came of it")
        terminalreporter.write_line(_OUTCOMES.table())
