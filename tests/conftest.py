"""Fixtures every test can use: a fresh, migrated database per test, on SQLite and PostgreSQL.

`database_url` (and everything built on it: `engine`, `sessions`, `settings`) is parametrized
over both backends, so a test that asks for it runs twice: `[sqlite]` on a file in the test's
tmp dir and `[postgres]` in a schema of its own on 127.0.0.1:5432/test, dropped afterwards.
Ask for `sqlite_url` / `postgres_url` to pin one backend.

`xero_spec` (tests/xero_openapi.py) is Xero's OpenAPI document, parsed once per session, for
suites that check the sandbox's Xero traffic against it.

No test may read a file outside the repository (tests/read_guard.py): the phase that does
fails, naming the path, so a clone on its own passes as this checkout does.

When PostgreSQL is unreachable the `[postgres]` tests are skipped with the reason, except in
CI (`CI=true`), where they fail: CI must never pass by skipping the database it is meant to test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.config import Settings
from connector.store.db import make_engine, migrate, session_factory
from tests.read_guard import (  # noqa: F401 - hooks: fail any phase that reads outside the repo
    pytest_make_collect_report,
    pytest_runtest_makereport,
)
from tests.xero_openapi import xero_spec  # noqa: F401 - the session fixture, for every suite

PG_HOST = os.environ.get("MILEPOST_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("MILEPOST_TEST_PG_PORT", "5432"))
PG_DB = os.environ.get("MILEPOST_TEST_PG_DB", "test")


def _pg_user() -> str:
    return os.environ.get("MILEPOST_TEST_PG_USER", "postgres")


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=_pg_user(), connect_timeout=5,
        autocommit=True,
    )


def _require_postgres() -> None:
    try:
        with _pg_admin():
            return
    except Exception as exc:  # any failure to connect means "not reachable"
        reason = f"PostgreSQL at {PG_HOST}:{PG_PORT}/{PG_DB} unreachable: {exc.__class__.__name__}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests may not be skipped)")
        pytest.skip(reason)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'milepost.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a brand-new schema, dropped when the test ends."""
    _require_postgres()
    schema = f"mp_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            f"postgresql+psycopg://{_pg_user()}@{PG_HOST}:{PG_PORT}/{PG_DB}"
            f"?options=-csearch_path%3D{schema}"
        )
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """A fresh, empty database on each backend in turn."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(name)


def _migrated(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def engine(database_url) -> Iterator[Engine]:
    """A migrated database (both backends), exactly as `milepost init` leaves it."""
    yield from _migrated(database_url)


@pytest.fixture
def sqlite_engine(sqlite_url) -> Iterator[Engine]:
    yield from _migrated(sqlite_url)


@pytest.fixture
def postgres_engine(postgres_url) -> Iterator[Engine]:
    yield from _migrated(postgres_url)


@pytest.fixture
def sessions(engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def settings(database_url) -> Settings:
    """Default settings pointing at this test's database (nothing read from the environment)."""
    return Settings().with_database(database_url)
