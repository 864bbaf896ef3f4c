"""A connection's access token kept in memory for the life of its gateway (one drain pass, one
sync), so a platform call does not read and decrypt the grant row first.

Custody stays the only reader that matters: the token is taken from `custody.refresh_if_needed`
(which refreshes the grant under its lock when due) the first time, and again whenever the held
one comes within custody's refresh margin of its expiry, so a held token is never one custody
would have refreshed. A call refused for its credentials (refusal.py) goes through
`custody.force_refresh`, still under the grant's lock, and holds what that returns; a
connection found dead drops what it held, and the next call on the same gateway says
`NeedsReconnect` without calling the platform, as opening a gateway for it would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from connector.store.models import ConnectionRow

from . import custody
from .custody import Refresher, TokenCipher, TokenSet
from .errors import NeedsReconnect


class HeldTokens:
    """A `TokenSource` for one connection that asks custody only when it must."""

    def __init__(self, factory: sessionmaker[Session], connection_id: int, refresher: Refresher,
                 cipher: TokenCipher, clock: Callable[[], datetime],
                 margin: timedelta = custody.REFRESH_MARGIN) -> None:
        self._factory = factory
        self._connection_id = connection_id
        self._refresher = refresher
        self._cipher = cipher
        self._clock = clock
        self._margin = margin
        self._held: TokenSet | None = None
        self._found_dead = False

    def __repr__(self) -> str:
        return f"HeldTokens(connection={self._connection_id})"

    def __call__(self) -> TokenSet:
        now = self._clock()
        held = self._held
        if self._found_dead:
            self._still_active()
        if held is None or held.expires_within(now, self._margin):
            held = self._held = custody.refresh_if_needed(
                self._factory, self._connection_id, self._refresher, self._cipher, now=now,
                margin=self._margin)
        return held

    def force_refresh(self, refused_access_token: str) -> TokenSet:
        """The platform refused `refused_access_token`: custody's forced refresh, held."""
        self._held = None  # if the refresh fails, nothing stale is left behind
        self._held = custody.force_refresh(self._factory, self._connection_id, self._refresher,
                                           self._cipher, refused_access_token=refused_access_token)
        return self._held

    def drop(self) -> None:
        """The connection was found dead (refusal.py): hold nothing, and check its status first."""
        self._held = None
        self._found_dead = True

    def _still_active(self) -> None:
        with self._factory() as session:
            row = session.get(ConnectionRow, self._connection_id)
            status, platform = (row.status, row.platform) if row is not None else (custody.DISCONNECTED, "")
        if status != custody.ACTIVE:
            raise NeedsReconnect(f"connection {self._connection_id} is {status}", code=status, platform=platform)
        self._found_dead = False  # reconnected meanwhile
