"""One connection is synced by one worker at a time: a lock, not luck.

`hold(connection_id)` is a context manager yielding True when this caller got the lock and
False when someone else holds it (the caller then skips; the next tick comes soon). Three
kinds, chosen by where the workers run:

- Redis (Celery mode, many machines): redis-py `Lock` with a timeout, so a worker killed while
  holding it does not block the connection for ever, and a token, so only the holder releases.
- PostgreSQL (embedded on PostgreSQL, possibly several worker processes): a session-level
  advisory lock on a connection of its own, released on exit or when that connection dies,
  keyed by the schema as well as the connection id (advisory locks are per database).
- Process (embedded on SQLite: one worker process): a `threading.Lock` per connection.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

import redis
from sqlalchemy import Connection, Engine, text

LOCK_TIMEOUT_SECONDS = 600  # longer than any sync; a dead holder's lock lapses after this


class ConnectionLocks(Protocol):
    def hold(self, connection_id: int, job: str = "sync") -> AbstractContextManager[bool]: ...


class ProcessLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, int], threading.Lock] = {}

    @contextmanager
    def hold(self, connection_id: int, job: str = "sync") -> Iterator[bool]:
        with self._guard:
            lock = self._locks.setdefault((job, connection_id), threading.Lock())
        got = lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                lock.release()


class PostgresLocks:
    """Advisory locks are per database, not per schema: two Milepost stores in schemas of one
    database (or two test runs side by side) would otherwise take each other's lock for the
    same connection id and skip each other's syncs. The key names the schema."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._schema: str | None = None

    def _key(self, connection: Connection, job: str, connection_id: int) -> tuple[int, int]:
        if self._schema is None:
            self._schema = str(connection.execute(text("SELECT current_schema()")).scalar() or "")
        space = zlib.crc32(f"milepost:{self._schema}:{job}".encode()) - (1 << 31)  # a signed int4
        return space, connection_id

    @contextmanager
    def hold(self, connection_id: int, job: str = "sync") -> Iterator[bool]:
        with self._engine.connect() as connection:
            space, key = self._key(connection, job, connection_id)
            keys = {"s": space, "k": key}
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:s, :k)"), keys).scalar())
            connection.commit()
            try:
                yield got
            finally:
                if got:
                    connection.execute(text("SELECT pg_advisory_unlock(:s, :k)"), keys)
                    connection.commit()


class RedisLocks:
    def __init__(self, url: str, timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        self._redis = redis.Redis.from_url(url)
        self._timeout = timeout

    @contextmanager
    def hold(self, connection_id: int, job: str = "sync") -> Iterator[bool]:
        lock = self._redis.lock(
            f"milepost:lock:{job}:{connection_id}", timeout=self._timeout, blocking=False
        )
        got = bool(lock.acquire())
        try:
            yield got
        finally:
            if got:
                try:
                    lock.release()
                except redis.exceptions.LockError:
                    pass  # it lapsed (timeout) and may be someone else's now: leave it be


def locks_for(engine: Engine, redis_url: str | None = None) -> ConnectionLocks:
    """Redis when the workers share one (Celery), else PostgreSQL's, else the process's."""
    if redis_url:
        return RedisLocks(redis_url)
    if engine.dialect.name == "postgresql":
        return PostgresLocks(engine)
    return ProcessLocks()
