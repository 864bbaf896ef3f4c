"""A gateway's token held in memory: refreshed through custody when it nears expiry or is
refused, never used once the connection is found dead."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from connector.platforms import custody
from connector.platforms.errors import NeedsReconnect
from connector.platforms.held_tokens import HeldTokens
from tests.unit.platforms.test_custody import (
    NOW,
    CountingRefresher,
    cipher,
    connection_id,
    factory,
    old_key,
)

__all__ = ["cipher", "connection_id", "factory", "old_key"]  # the fixtures, shared


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_held_token_is_refreshed_when_it_nears_expiry(factory, cipher, connection_id, clock) -> None:
    refresher = CountingRefresher()
    held = HeldTokens(factory, connection_id, refresher, cipher, clock)

    first = held()  # the stored token expires within a minute: custody refreshes it
    again = held()
    clock.now = NOW + timedelta(minutes=56)  # the fresh one (an hour) is now inside the margin
    later = held()

    assert (first.access_token, again.access_token, later.access_token) == ("AT-secret-2", "AT-secret-2", "AT-secret-3")
    assert refresher.calls == 2
    with factory() as session:
        assert custody.load_tokens(session, connection_id, cipher).access_token == "AT-secret-3"


def test_a_refused_token_is_replaced_by_the_forced_refresh(factory, cipher, connection_id, clock) -> None:
    refresher = CountingRefresher()
    held = HeldTokens(factory, connection_id, refresher, cipher, clock)
    refused = held().access_token

    held.force_refresh(refused)

    assert held().access_token == "AT-secret-3"
    assert refresher.calls == 2


def test_a_connection_found_dead_is_not_called_with_its_held_token(factory, cipher, connection_id, clock) -> None:
    refresher = CountingRefresher()
    held = HeldTokens(factory, connection_id, refresher, cipher, clock)
    held()
    custody.mark_needs_reconnect(factory, connection_id, "refused twice")

    held.drop()

    with pytest.raises(NeedsReconnect) as raised:
        held()
    assert raised.value.code == custody.NEEDS_RECONNECT
    assert refresher.calls == 1
