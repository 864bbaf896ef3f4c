"""One consent, several organisations: the connections share one grant's tokens.

Xero's tokens belong to the user's grant, and a refresh rotates the refresh token, so the
organisations one consent reached must never hold copies of their own: a refresh through any
of them must serve all of them.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from connector.platforms import custody
from connector.platforms.custody import TokenCipher, TokenSet
from connector.platforms.errors import NeedsReconnect
from connector.platforms.token_rows import TokenGrantRow
from connector.store.db import session_factory
from connector.store.models import ConnectionRow

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def grant(n: int, expires_in: timedelta = timedelta(minutes=30)) -> TokenSet:
    return TokenSet(f"AT-secret-{n}", f"RT-secret-{n}", NOW + expires_in, scope=("offline_access",))


class XeroLikeRefresher:
    """Rotates the refresh token and refuses a spent one, as Xero does."""

    def __init__(self, issued: int = 1) -> None:
        self.live = f"RT-secret-{issued}"
        self.calls = 0
        self.at = NOW

    def __call__(self, tokens: TokenSet) -> TokenSet:
        self.calls += 1
        if tokens.refresh_token != self.live:
            raise NeedsReconnect("refused", code="invalid_grant", platform="xero")
        number = int(tokens.refresh_token.rsplit("-", 1)[1]) + 1
        self.live = f"RT-secret-{number}"
        return TokenSet(f"AT-secret-{number}", self.live, self.at + timedelta(minutes=30))


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher([TokenCipher.generate_key()])


@pytest.fixture
def factory(sqlite_engine):
    return session_factory(sqlite_engine)


def organisations(factory, *tenants: str) -> list[int]:
    with factory() as session, session.begin():
        rows = [ConnectionRow(platform="xero", tenant_id=t, name=f"Org {t}") for t in tenants]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


@pytest.fixture
def two_orgs(factory, cipher) -> list[int]:
    """Two organisations reached by one consent whose access token is already due."""
    ids = organisations(factory, "tenant-a", "tenant-b")
    with factory() as session, session.begin():
        custody.store_grant(session, ids, grant(1, expires_in=timedelta(minutes=1)), cipher)
    return ids


def test_one_consent_stores_its_tokens_once(factory, two_orgs, cipher) -> None:
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(TokenGrantRow)) == 1
        first, second = (custody.load_tokens(session, c, cipher) for c in two_orgs)
    assert first == second


def test_refreshing_through_one_organisation_serves_the_other_without_spending_again(factory, two_orgs, cipher) -> None:
    xero = XeroLikeRefresher()
    first, second = two_orgs

    through_first = custody.refresh_if_needed(factory, first, xero, cipher, now=NOW)
    through_second = custody.refresh_if_needed(factory, second, xero, cipher, now=NOW)

    assert through_first.access_token == through_second.access_token == "AT-secret-2"
    assert xero.calls == 1
    with factory() as session:
        assert {session.get(ConnectionRow, c).status for c in two_orgs} == {custody.ACTIVE}


def test_each_expiry_spends_exactly_one_refresh_whichever_organisation_asks(factory, two_orgs, cipher) -> None:
    xero = XeroLikeRefresher()
    first, second = two_orgs

    for hour in range(3):
        xero.at = now = NOW + timedelta(hours=hour)
        custody.refresh_if_needed(factory, second if hour % 2 else first, xero, cipher, now=now)
        custody.refresh_if_needed(factory, first if hour % 2 else second, xero, cipher, now=now)

    assert xero.calls == 3
    with factory() as session:
        assert custody.grant_of(session, first).refreshed_count == 3
        assert custody.load_tokens(session, second, cipher).refresh_token == xero.live


def test_two_threads_refreshing_two_organisations_of_one_grant_spend_one_refresh(factory, two_orgs, cipher) -> None:
    xero = XeroLikeRefresher()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker(connection_id: int) -> None:
        barrier.wait()
        results.append(custody.refresh_if_needed(factory, connection_id, xero, cipher, now=NOW).access_token)

    threads = [threading.Thread(target=worker, args=(c,)) for c in two_orgs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert xero.calls == 1
    assert results == ["AT-secret-2", "AT-secret-2"]


def test_a_dead_grant_parks_every_organisation_it_reached(factory, two_orgs, cipher) -> None:
    xero = XeroLikeRefresher(issued=99)  # the platform no longer honours RT-secret-1

    with pytest.raises(NeedsReconnect):
        custody.refresh_if_needed(factory, two_orgs[0], xero, cipher, now=NOW)
    with pytest.raises(NeedsReconnect):
        custody.refresh_if_needed(factory, two_orgs[1], xero, cipher, now=NOW)

    assert xero.calls == 1
    with factory() as session:
        assert {session.get(ConnectionRow, c).status for c in two_orgs} == {custody.NEEDS_RECONNECT}
        assert custody.grant_of(session, two_orgs[1]).last_error


def test_a_new_consent_replaces_the_grant_for_every_organisation_it_reaches(factory, two_orgs, cipher) -> None:
    third = organisations(factory, "tenant-c")[0]
    with factory() as session, session.begin():
        custody.store_tokens(session, third, grant(40), cipher)
        session.get(ConnectionRow, two_orgs[0]).status = custody.NEEDS_RECONNECT

    with factory() as session, session.begin():
        custody.store_grant(session, [*two_orgs, third], grant(50), cipher)

    with factory() as session:
        assert session.scalar(select(func.count()).select_from(TokenGrantRow)) == 1  # old grants forgotten
        assert {custody.load_tokens(session, c, cipher).access_token for c in [*two_orgs, third]} == {"AT-secret-50"}
        assert {session.get(ConnectionRow, c).status for c in [*two_orgs, third]} == {custody.ACTIVE}


def test_a_consent_reaching_only_some_organisations_leaves_the_others_on_their_grant(factory, two_orgs, cipher) -> None:
    with factory() as session, session.begin():
        custody.store_grant(session, [two_orgs[0]], grant(50), cipher)

    with factory() as session:
        assert custody.load_tokens(session, two_orgs[0], cipher).access_token == "AT-secret-50"
        assert custody.load_tokens(session, two_orgs[1], cipher).access_token == "AT-secret-1"
        assert custody.sharing_connections(session, two_orgs[1]) == []


def test_disconnecting_one_organisation_keeps_the_grant_for_the_other(factory, two_orgs, cipher) -> None:
    first, second = two_orgs
    with factory() as session, session.begin():
        assert custody.sharing_connections(session, first) == [second]
        assert custody.mark_disconnected(session, first) is False  # still in use: do not revoke

    with factory() as session, session.begin():
        assert custody.load_tokens(session, second, cipher).access_token == "AT-secret-1"
        with pytest.raises(NeedsReconnect):
            custody.load_tokens(session, first, cipher)
        assert custody.mark_disconnected(session, second) is True  # the last one: revoke it
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(TokenGrantRow)) == 0


def test_the_refresh_job_lists_each_due_grant_once(factory, two_orgs, cipher) -> None:
    lone = organisations(factory, "tenant-c")[0]
    with factory() as session, session.begin():
        custody.store_tokens(session, lone, grant(7, expires_in=timedelta(minutes=2)), cipher)

    with factory() as session:
        due = custody.due_for_refresh(session, NOW)

    assert due == [two_orgs[0], lone]
