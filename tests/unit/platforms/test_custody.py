"""Token custody: encrypted at rest, rotated keys, one refresh per due token, dead grants parked."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from connector.platforms import custody
from connector.platforms.custody import TokenCipher, TokenSet
from connector.platforms.errors import ConfigurationError, NeedsReconnect
from connector.store.db import session_factory
from connector.store.models import ConnectionRow

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def grant(n: int = 1, expires_in: timedelta = timedelta(hours=1)) -> TokenSet:
    return TokenSet(
        access_token=f"AT-secret-{n}",
        refresh_token=f"RT-secret-{n}",
        access_expires_at=NOW + expires_in,
        scope=("com.intuit.quickbooks.accounting",),
    )


@pytest.fixture
def old_key() -> str:
    return TokenCipher.generate_key()


@pytest.fixture
def cipher(old_key) -> TokenCipher:
    return TokenCipher([old_key])


@pytest.fixture
def factory(sqlite_engine):
    return session_factory(sqlite_engine)


@pytest.fixture
def connection_id(factory, cipher) -> int:
    with factory() as session, session.begin():
        row = ConnectionRow(platform="quickbooks", tenant_id="9130350000000001", name="Builders")
        session.add(row)
        session.flush()
        custody.store_tokens(session, row.id, grant(1, expires_in=timedelta(minutes=1)), cipher)
        return row.id


class CountingRefresher:
    def __init__(self, fail: Exception | None = None) -> None:
        self.calls = 0
        self.fail = fail

    def __call__(self, tokens: TokenSet) -> TokenSet:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        number = int(tokens.refresh_token.rsplit("-", 1)[1]) + 1
        return grant(number)


def test_token_sets_never_show_their_secrets() -> None:
    tokens = grant()

    assert "secret" not in repr(tokens)
    assert "secret" not in str(tokens)
    assert "access_expires_at" in repr(tokens)


def test_tokens_are_encrypted_at_rest(factory, connection_id) -> None:
    with factory() as session:
        stored = session.execute(text("SELECT ciphertext FROM token_grants")).scalar_one()

    assert "AT-secret" not in stored
    assert "RT-secret" not in stored


def test_a_new_key_in_front_still_reads_old_tokens_and_rotation_moves_them(factory, connection_id, cipher, old_key) -> None:
    new_key = TokenCipher.generate_key()
    both = TokenCipher([new_key, old_key])
    with factory() as session, session.begin():
        assert custody.load_tokens(session, connection_id, both).access_token == "AT-secret-1"
        assert custody.rotate_all(session, both) == 1
    with factory() as session:
        assert custody.load_tokens(session, connection_id, TokenCipher([new_key])).refresh_token == "RT-secret-1"
        with pytest.raises(ConfigurationError, match="cannot be decrypted"):
            custody.load_tokens(session, connection_id, cipher)


def test_keys_come_from_the_environment_and_are_required() -> None:
    key = TokenCipher.generate_key()

    assert TokenCipher.from_env({"MILEPOST_TOKEN_KEYS": f"{key}, "}).decrypt(
        TokenCipher([key]).encrypt(grant())
    ) == grant()
    with pytest.raises(ConfigurationError, match="MILEPOST_TOKEN_KEYS"):
        TokenCipher.from_env({})


def test_fresh_tokens_are_used_as_they_are(factory, connection_id, cipher) -> None:
    with factory() as session, session.begin():
        custody.store_tokens(session, connection_id, grant(5), cipher)
    refresher = CountingRefresher()

    tokens = custody.refresh_if_needed(factory, connection_id, refresher, cipher, now=NOW)

    assert tokens.access_token == "AT-secret-5"
    assert refresher.calls == 0


def test_tokens_due_are_refreshed_and_the_rotated_pair_saved(factory, connection_id, cipher) -> None:
    refresher = CountingRefresher()

    tokens = custody.refresh_if_needed(factory, connection_id, refresher, cipher, now=NOW)

    assert (tokens.access_token, tokens.refresh_token) == ("AT-secret-2", "RT-secret-2")
    with factory() as session:
        assert custody.load_tokens(session, connection_id, cipher).refresh_token == "RT-secret-2"
    assert refresher.calls == 1


def test_two_threads_due_at_once_spend_one_refresh(factory, connection_id, cipher) -> None:
    refresher = CountingRefresher()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        results.append(custody.refresh_if_needed(factory, connection_id, refresher, cipher, now=NOW).access_token)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert refresher.calls == 1
    assert results == ["AT-secret-2", "AT-secret-2"]


def test_invalid_grant_parks_the_connection_until_reconnected(factory, connection_id, cipher) -> None:
    dead = CountingRefresher(NeedsReconnect("refused", code="invalid_grant", platform="quickbooks"))

    with pytest.raises(NeedsReconnect):
        custody.refresh_if_needed(factory, connection_id, dead, cipher, now=NOW)
    with pytest.raises(NeedsReconnect):
        custody.refresh_if_needed(factory, connection_id, dead, cipher, now=NOW)

    assert dead.calls == 1  # the second attempt never bothered the platform
    with factory() as session:
        assert session.get(ConnectionRow, connection_id).status == custody.NEEDS_RECONNECT
        assert custody.due_for_refresh(session, NOW) == []
    with factory() as session, session.begin():
        custody.store_tokens(session, connection_id, grant(9), cipher)  # the admin reconnected
    assert custody.refresh_if_needed(factory, connection_id, dead, cipher, now=NOW).access_token == "AT-secret-9"
    with factory() as session:
        assert session.get(ConnectionRow, connection_id).status == custody.ACTIVE


def test_timezone_naive_expiry_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(grant(), access_expires_at=datetime(2026, 11, 25, 12, 0))  # noqa: DTZ001
