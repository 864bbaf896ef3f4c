"""A call refused for its credentials: one forced refresh, one more try, then stop asking.

QuickBooks answers 401 (AuthenticationFailed, code 3200) and Xero 401 or 403
(AuthenticationUnsuccessful) when an access token is no longer honoured: it may have been ended
early, or the grant revoked (the company disconnected the app, or its admin removed it). The
first case is cured by a refresh even though the token has not expired yet; the second is not,
and retrying it forever would only hide it. So each gateway call refused this way is tried once
more after a forced refresh (custody, under the grant's lock), and a second refusal marks the
connection `needs_reconnect` (or `disconnected`, when Xero's `GET /connections` no longer lists
the organisation) and raises `NeedsReconnect`: its work waits until an admin reconnects.

A refused request changed nothing at the platform, so sending it again is always safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from connector.store.db import transaction

from . import custody
from .custody import Refresher, TokenCipher
from .errors import AuthError, NeedsReconnect, PlatformError
from .held_tokens import HeldTokens

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class Refusal:
    """What a gateway does when a call is refused: `refresh` once, then `dead`.

    `still_listed` (Xero) says whether the platform still lists the organisation for the
    freshly refreshed grant; False makes the connection `disconnected` rather than
    `needs_reconnect`. `held`, the gateway's in-memory token (held_tokens.py), is given what
    the forced refresh returns, and dropped when the connection is dead."""

    sessions: sessionmaker[Session]
    connection_id: int
    refresher: Refresher
    cipher: TokenCipher
    platform: str
    still_listed: Callable[[], bool] | None = None
    held: HeldTokens | None = None

    def refresh(self, refused_access_token: str) -> None:
        if self.held is not None:
            self.held.force_refresh(refused_access_token)
            return
        custody.force_refresh(self.sessions, self.connection_id, self.refresher, self.cipher,
                              refused_access_token=refused_access_token)

    def dead(self, error: AuthError) -> NeedsReconnect:
        """Record the connection as waiting for an admin; the error for the caller to raise."""
        if self.held is not None:
            self.held.drop()
        if self.still_listed is not None and not self._listed():
            with transaction(self.sessions) as session:
                custody.mark_disconnected(session, self.connection_id)
            log.warning("connection %s: the organisation is no longer connected at %s",
                        self.connection_id, self.platform)
            return NeedsReconnect(f"connection {self.connection_id} was disconnected at {self.platform}: "
                                  f"{error.message}", code="disconnected", platform=self.platform,
                                  request_id=error.request_id)
        custody.mark_needs_reconnect(self.sessions, self.connection_id, error.message)
        log.warning("connection %s needs reconnecting: %s", self.connection_id, error)
        return NeedsReconnect(f"connection {self.connection_id} needs reconnecting: {error.message}",
                              code=error.code or "refused", platform=self.platform,
                              request_id=error.request_id)

    def _listed(self) -> bool:
        assert self.still_listed is not None
        try:
            return self.still_listed()
        except PlatformError as error:  # cannot tell: say the safer thing (needs_reconnect)
            log.warning("connection %s: connections list unavailable: %s", self.connection_id, error)
            return True


def once_more_after_refresh(send: Callable[[], T], access_token: Callable[[], str],
                           refusal: Refusal | None) -> T:
    """`send()`; when it is refused for its credentials, a forced refresh and `send()` again;
    refused again, NeedsReconnect (the connection marked by `refusal.dead`)."""
    if refusal is None:
        return send()
    used = access_token()
    try:
        return send()
    except NeedsReconnect:
        raise
    except AuthError:
        refusal.refresh(used)  # raises NeedsReconnect when the refresh is refused too
    try:
        return send()
    except NeedsReconnect:
        raise
    except AuthError as again:
        raise refusal.dead(again) from again
