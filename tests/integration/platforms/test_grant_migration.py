"""Upgrading a database whose connections each held their own token copy (revision 0003)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, text

from connector.platforms import custody
from connector.platforms.custody import TokenCipher, TokenSet
from connector.store.db import (
    current_revision,
    head_revision,
    make_engine,
    migrate,
    session_factory,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_each_old_token_row_becomes_a_grant_and_still_refreshes(database_url) -> None:
    engine = make_engine(database_url)
    cipher = TokenCipher([TokenCipher.generate_key()])
    old = TokenSet("AT-secret-1", "RT-secret-1", NOW - timedelta(minutes=1))
    try:
        migrate(engine, "0003_background_jobs")
        with engine.begin() as db:
            db.execute(text("INSERT INTO connections (id, platform, tenant_id, name, status, created_at) "
                            "VALUES (7, 'xero', 'tenant-a', 'Org A', 'active', :at)"), {"at": NOW})
            db.execute(text("INSERT INTO connection_tokens (connection_id, ciphertext, access_expires_at, "
                            "refreshed_count, last_error, updated_at) VALUES (7, :c, :at, 4, NULL, :at)"),
                       {"c": cipher.encrypt(old), "at": NOW - timedelta(minutes=1)})

        migrate(engine)

        assert current_revision(engine) == head_revision()
        assert {"project_connections", "oauth_states", "token_grants"} <= set(inspect(engine).get_table_names())
        factory = session_factory(engine)
        with factory() as session:
            assert custody.load_tokens(session, 7, cipher) == old
            assert custody.grant_of(session, 7).refreshed_count == 4
            assert custody.due_for_refresh(session, NOW) == [7]
        fresh = custody.refresh_if_needed(
            factory, 7, lambda t: TokenSet("AT-secret-2", "RT-secret-2", NOW + timedelta(minutes=30)),
            cipher, now=NOW,
        )
        assert fresh.access_token == "AT-secret-2"
        with factory() as session, session.begin():  # a reconnect after the upgrade
            custody.store_tokens(session, 7, replace(fresh, access_token="AT-secret-3"), cipher)
        with factory() as session:
            assert custody.load_tokens(session, 7, cipher).access_token == "AT-secret-3"
            assert session.scalar(text("SELECT count(*) FROM token_grants")) == 1
    finally:
        engine.dispose()


def test_the_migrations_go_down_and_up_again(database_url) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)
        from alembic import command

        from connector.store.db import alembic_config

        command.downgrade(alembic_config(engine), "0003_background_jobs")
        assert "token_grants" not in inspect(engine).get_table_names()
        migrate(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
