"""The sync lock on PostgreSQL belongs to one store: two stores in schemas of one database each
sync their own connection 1 (advisory locks are per database, so a key without the schema
made one store skip the other's sync: a deletion in the books went unseen by the next sync)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from connector.store.db import make_engine
from jobs.locks import PostgresLocks


@pytest.mark.postgres
def test_stores_in_two_schemas_of_one_database_each_get_their_own_sync_lock(postgres_url) -> None:
    schema = f"mp_test_{uuid.uuid4().hex[:12]}"
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    other = make_engine(postgres_url.rsplit("%3D", 1)[0] + f"%3D{schema}")
    try:
        mine, theirs = PostgresLocks(engine), PostgresLocks(other)
        with mine.hold(1, "sync") as first, theirs.hold(1, "sync") as second, mine.hold(1, "sync") as again:
            assert (first, second, again) == (True, True, False)
    finally:
        other.dispose()
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
