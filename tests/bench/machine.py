"""Where the figures were taken: the machine's details, and scratch PostgreSQL schemas.

A figure means little without the machine it came from, so results.json carries the CPU
model and count, memory, OS, Python, SQLite and PostgreSQL versions and the commit.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

PG = {"host": os.environ.get("MILEPOST_TEST_PG_HOST", "127.0.0.1"),
      "port": int(os.environ.get("MILEPOST_TEST_PG_PORT", "5432")),
      "dbname": os.environ.get("MILEPOST_TEST_PG_DB", "test"),
      "user": os.environ.get("MILEPOST_TEST_PG_USER", "postgres")}


def _proc_value(path: str, field: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _postgres_version() -> str:
    try:
        with psycopg.connect(**PG, connect_timeout=5) as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    except psycopg.Error as error:
        return f"unreachable ({type(error).__name__})"


def machine_details(*, postgres: bool = True) -> dict[str, Any]:
    memory = _proc_value("/proc/meminfo", "MemTotal")
    return {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "cpu": _proc_value("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version() if postgres else "not used",
    }


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose search_path is a new, empty schema, dropped on exit."""
    schema = f"mp_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**PG, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{PG['dbname']}"
               f"?options=-csearch_path%3D{schema}")
    finally:
        with psycopg.connect(**PG, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
