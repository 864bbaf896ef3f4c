"""One Xero consent reaching two organisations, against the sandbox's real token endpoint.

Xero rotates the refresh token on every refresh and refuses a spent one with invalid_grant, so
the two organisations' connections must share the grant's single token row.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from connector.platforms import custody
from connector.platforms.connect import open_gateway
from connector.platforms.custody import TokenCipher, TokenSet
from connector.platforms.errors import NeedsReconnect
from connector.platforms.token_endpoint import xero_refresher
from connector.store.db import session_factory
from connector.store.models import ConnectionRow

from .conftest import install_xero
from .refresh_worker import race_refreshes

KEY = TokenCipher.generate_key()
CIPHER = TokenCipher([KEY])


def connect_both(factory, sandbox) -> tuple[list[int], TokenSet]:
    """Both organisations of one consent, stored the way an install does, already due."""
    tenants, tokens = install_xero(sandbox)
    due = replace(tokens, access_expires_at=datetime.now(UTC) - timedelta(minutes=1))
    with factory() as session, session.begin():
        rows = [ConnectionRow(platform="xero", tenant_id=t.tenant_id, name=t.name) for t in tenants]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
        custody.store_grant(session, ids, due, CIPHER)
    return ids, tokens


class Counting:
    """Xero's refresh, counted, on a clock the test moves (each expiry half an hour later)."""

    def __init__(self, sandbox) -> None:
        self.now = datetime.now(UTC)
        self.refresh = xero_refresher(sandbox.xero, clock=lambda: self.now)
        self.calls = 0

    def __call__(self, tokens: TokenSet) -> TokenSet:
        self.calls += 1
        return self.refresh(tokens)


def test_refreshing_through_one_organisation_then_the_other_both_work(sandbox, sqlite_engine) -> None:
    factory = session_factory(sqlite_engine)
    (first, second), installed = connect_both(factory, sandbox)
    xero = Counting(sandbox)

    for expiry in range(2):
        now = xero.now = datetime.now(UTC) + timedelta(minutes=31 * expiry)
        via_first = custody.refresh_if_needed(factory, first, xero, CIPHER, now=now)
        via_second = custody.refresh_if_needed(factory, second, xero, CIPHER, now=now)
        assert via_first == via_second
        assert xero.calls == expiry + 1  # exactly one refresh spent per expiry

    for connection_id in (first, second):  # each organisation's books answer with the shared token
        gateway = open_gateway(factory, connection_id, (sandbox.qb, sandbox.xero), CIPHER)
        assert gateway.company_name()
    with factory() as session:
        assert {session.get(ConnectionRow, c).status for c in (first, second)} == {custody.ACTIVE}
        assert custody.grant_of(session, second).refreshed_count == 2
    # Why copies fail: the installed refresh token is spent. Xero honours a spent one for a
    # 30-minute grace (issue 10 finding 8), so look once that has passed.
    sandbox.control.advance_clock(31 * 60)
    with pytest.raises(NeedsReconnect):
        xero_refresher(sandbox.xero)(installed)


@pytest.mark.postgres
def test_two_processes_refreshing_the_two_organisations_spend_one_refresh(sandbox, postgres_url, postgres_engine) -> None:
    factory = session_factory(postgres_engine)
    (first, second), installed = connect_both(factory, sandbox)
    outcomes = race_refreshes(postgres_url, [first, second], KEY, sandbox.xero)

    assert sum(calls for _, calls in outcomes) == 1
    assert outcomes[0][0] == outcomes[1][0] != installed.access_token
    with factory() as session:
        stored = custody.load_tokens(session, second, CIPHER)
        assert custody.grant_of(session, first).refreshed_count == 1
    assert stored.refresh_token != installed.refresh_token
    # The saved refresh token is the live one: Xero accepts it for the next refresh.
    assert xero_refresher(sandbox.xero)(stored).access_token != stored.access_token
