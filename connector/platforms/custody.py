"""Token custody: tokens encrypted at rest, refreshed before expiry by exactly one writer.

Tokens belong to a grant (one consent), not to a connection: one Xero consent reaching two
organisations is two connections sharing one grant row (token_rows.py). Both platforms rotate
refresh tokens, and using a spent one can revoke the whole grant. So a refresh is a small
transaction of its own: lock the grant's row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
BEGIN IMMEDIATE plus a process lock per grant), re-read it, and refresh only if it is still
due, saving the rotated pair before the lock is released. A second worker arriving meanwhile,
through the same connection or a sibling of the same grant, waits on the lock, then finds fresh
tokens and spends nothing.

A refresh refused with `invalid_grant` marks every connection of the grant `needs_reconnect`;
from then on `refresh_if_needed` raises `NeedsReconnect` without calling the platform, so jobs
skip those connections quietly until an admin reconnects (`store_grant` makes the connections
the new consent reaches active again, on the new grant).

Keys: `MILEPOST_TOKEN_KEYS` (or `[security] token_keys`), comma separated Fernet keys. The first
encrypts; all decrypt, so a new key is added in front, `rotate_all` re-encrypts, and the old key
is removed later.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connector.store import mail_outbox
from connector.store.models import ConnectionRow

from .errors import ConfigurationError, NeedsReconnect
from .token_rows import ConnectionTokenRow, TokenGrantRow

ACTIVE = "active"
NEEDS_RECONNECT = "needs_reconnect"
DISCONNECTED = "disconnected"
REFRESH_MARGIN = timedelta(minutes=5)  # xero-python refreshes by itself inside 60 s; beat it


@dataclass(frozen=True)
class TokenSet:
    """One grant's tokens. Its repr shows expiries only, so it can be logged by accident."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_expires_at: datetime | None = None
    scope: tuple[str, ...] = ()
    id_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("access_expires_at", "refresh_expires_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")

    def expires_within(self, now: datetime, margin: timedelta = REFRESH_MARGIN) -> bool:
        return self.access_expires_at <= now + margin

    def __str__(self) -> str:
        return repr(self)

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "access_expires_at": self.access_expires_at.isoformat(),
                "refresh_expires_at": (
                    self.refresh_expires_at.isoformat() if self.refresh_expires_at else None
                ),
                "scope": list(self.scope),
                "id_token": self.id_token,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        data = json.loads(text)
        refresh_expires = data.get("refresh_expires_at")
        return cls(
            access_token=data["access_token"],
            refresh_token=data["refresh_token"],
            access_expires_at=datetime.fromisoformat(data["access_expires_at"]),
            refresh_expires_at=datetime.fromisoformat(refresh_expires) if refresh_expires else None,
            scope=tuple(data.get("scope") or ()),
            id_token=data.get("id_token"),
        )


class TokenCipher:
    """MultiFernet over the configured keys: encrypt with the first, decrypt with any."""

    def __init__(self, keys: Iterable[str | bytes]) -> None:
        fernets = [Fernet(key.encode() if isinstance(key, str) else key) for key in keys if key]
        if not fernets:
            raise ConfigurationError(
                "no token encryption key: set MILEPOST_TOKEN_KEYS (Fernet.generate_key())",
                code="token_keys",
            )
        self._multi = MultiFernet(fernets)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TokenCipher:
        raw = (environ if environ is not None else os.environ).get("MILEPOST_TOKEN_KEYS", "")
        return cls(part.strip() for part in raw.split(","))

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, tokens: TokenSet) -> str:
        return self._multi.encrypt(tokens.to_json().encode()).decode()

    def decrypt(self, ciphertext: str) -> TokenSet:
        try:
            return TokenSet.from_json(self._multi.decrypt(ciphertext.encode()).decode())
        except InvalidToken:
            # No detail: the ciphertext itself must not travel in an exception.
            raise ConfigurationError(
                "stored tokens cannot be decrypted with the configured keys", code="token_keys"
            ) from None

    def seal(self, text: str) -> str:
        """Any other secret kept at rest under the same keys (webhook signing secrets)."""
        return self._multi.encrypt(text.encode()).decode()

    def unseal(self, ciphertext: str) -> str:
        try:
            return self._multi.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ConfigurationError(
                "a stored secret cannot be decrypted with the configured keys", code="token_keys"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the first key (after a new key was put in front)."""
        return self._multi.rotate(ciphertext.encode()).decode()


Refresher = Callable[[TokenSet], TokenSet]
"""Calls the platform's token endpoint; raises NeedsReconnect on invalid_grant."""

_process_locks: dict[int, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(grant_id: int) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(grant_id, threading.Lock())


class _GrantReplaced(Exception):
    """A reconnect moved the connection to a new grant while we waited for the old one's lock."""


# -- storing and reading --------------------------------------------------------------------------
def store_grant(
    session: Session, connection_ids: Sequence[int], tokens: TokenSet, cipher: TokenCipher
) -> int:
    """Save one consent's tokens as one grant shared by every connection it reached; returns
    the grant's id.

    Each connection is moved to the new grant and made active again (a reconnect). A grant no
    connection uses any more is forgotten; it is not revoked, because at Xero revoking a refresh
    token ends every connection of its grant, which may be the same organisations again.
    """
    if not connection_ids:
        raise ValueError("a grant needs at least one connection")
    first = session.get(ConnectionRow, connection_ids[0])
    grant = TokenGrantRow(platform=first.platform if first else "", refreshed_count=0)
    _write(grant, tokens, cipher)
    session.add(grant)
    session.flush()
    replaced: set[int] = set()
    for connection_id in connection_ids:
        link = session.get(ConnectionTokenRow, connection_id)
        if link is None:
            session.add(ConnectionTokenRow(connection_id=connection_id, grant_id=grant.id))
        else:
            replaced.add(link.grant_id)
            link.grant_id = grant.id
        connection = session.get(ConnectionRow, connection_id)
        if connection is not None:
            connection.status = ACTIVE
    session.flush()
    for old in replaced - {grant.id}:
        _forget_if_unused(session, old)
    return grant.id


def store_tokens(
    session: Session, connection_id: int, tokens: TokenSet, cipher: TokenCipher
) -> int:
    """Save a fresh grant reaching one connection (a QuickBooks install or reconnect)."""
    return store_grant(session, [connection_id], tokens, cipher)


def grant_of(session: Session, connection_id: int) -> TokenGrantRow | None:
    """The grant row a connection's tokens live in (None when it has none)."""
    link = session.get(ConnectionTokenRow, connection_id)
    return link.grant if link is not None else None


def load_tokens(session: Session, connection_id: int, cipher: TokenCipher) -> TokenSet:
    grant = grant_of(session, connection_id)
    if grant is None:
        raise NeedsReconnect(f"connection {connection_id} has no tokens", code="no_tokens")
    return cipher.decrypt(grant.ciphertext)


def connections_of_grant(session: Session, grant_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ConnectionTokenRow.connection_id)
            .where(ConnectionTokenRow.grant_id == grant_id)
            .order_by(ConnectionTokenRow.connection_id)
        )
    )


def sharing_connections(session: Session, connection_id: int) -> list[int]:
    """The other connections whose tokens are this connection's (one consent, several orgs)."""
    link = session.get(ConnectionTokenRow, connection_id)
    if link is None:
        return []
    return [c for c in connections_of_grant(session, link.grant_id) if c != connection_id]


def _write(row: TokenGrantRow, tokens: TokenSet, cipher: TokenCipher) -> None:
    row.ciphertext = cipher.encrypt(tokens)
    row.access_expires_at = tokens.access_expires_at
    row.refresh_expires_at = tokens.refresh_expires_at
    row.last_error = None


def _forget_if_unused(session: Session, grant_id: int) -> bool:
    if connections_of_grant(session, grant_id):
        return False
    grant = session.get(TokenGrantRow, grant_id)
    if grant is not None:
        session.delete(grant)
    return True


# -- refreshing -----------------------------------------------------------------------------------
def refresh_if_needed(
    factory: sessionmaker[Session],
    connection_id: int,
    refresher: Refresher,
    cipher: TokenCipher,
    *,
    now: datetime,
    margin: timedelta = REFRESH_MARGIN,
) -> TokenSet:
    """Return usable tokens for the connection, refreshing its grant first when they are due.

    Promises: at most one refresh per due token across threads, processes and the connections
    sharing the grant; the rotated refresh token is committed before the lock is released;
    NeedsReconnect (without calling the platform) once the grant is known dead.
    """
    for _ in range(3):
        with factory() as session:
            if _status(session, connection_id) == NEEDS_RECONNECT:
                raise NeedsReconnect(f"connection {connection_id} needs reconnecting", code="invalid_grant")
            grant = grant_of(session, connection_id)
            if grant is None:
                raise NeedsReconnect(f"connection {connection_id} has no tokens", code="no_tokens")
            grant_id, current = grant.id, cipher.decrypt(grant.ciphertext)
        if not current.expires_within(now, margin):
            return current
        try:
            with _process_lock(grant_id):
                return _refresh_locked(factory, connection_id, grant_id, refresher, cipher,
                                       lambda tokens: tokens.expires_within(now, margin))
        except _GrantReplaced:
            continue  # read the new grant the reconnect stored
    raise NeedsReconnect(f"connection {connection_id} keeps changing grants", code="no_tokens")


def force_refresh(
    factory: sessionmaker[Session],
    connection_id: int,
    refresher: Refresher,
    cipher: TokenCipher,
    *,
    refused_access_token: str,
) -> TokenSet:
    """A call was refused (401/403) with `refused_access_token` although it had not expired:
    refresh the grant now, whatever its expiry says (the platform may have ended the access
    token early). Under the same lock as every refresh, and only while the stored access token
    is still the refused one: a sibling that refreshed meanwhile has already done it, and a
    second refresh would spend a rotated refresh token for nothing. NeedsReconnect when the
    platform refuses the refresh too (the grant is dead; the connections are marked)."""
    for _ in range(3):
        with factory() as session:
            grant = grant_of(session, connection_id)
            if grant is None:
                raise NeedsReconnect(f"connection {connection_id} has no tokens", code="no_tokens")
            grant_id = grant.id
        try:
            with _process_lock(grant_id):
                return _refresh_locked(factory, connection_id, grant_id, refresher, cipher,
                                       lambda tokens: tokens.access_token == refused_access_token)
        except _GrantReplaced:
            continue
    raise NeedsReconnect(f"connection {connection_id} keeps changing grants", code="no_tokens")


def _refresh_locked(
    factory: sessionmaker[Session],
    connection_id: int,
    grant_id: int,
    refresher: Refresher,
    cipher: TokenCipher,
    due: Callable[[TokenSet], bool],
) -> TokenSet:
    failure: NeedsReconnect | None = None
    with factory() as session, session.begin():
        grant = session.execute(
            select(TokenGrantRow).where(TokenGrantRow.id == grant_id).with_for_update()
        ).scalar_one_or_none()
        linked = session.scalar(
            select(ConnectionTokenRow.grant_id).where(ConnectionTokenRow.connection_id == connection_id)
        )
        if linked is None:
            raise NeedsReconnect(f"connection {connection_id} has no tokens", code="no_tokens")
        if grant is None or linked != grant_id:
            raise _GrantReplaced
        if _status(session, connection_id) == NEEDS_RECONNECT:
            raise NeedsReconnect(f"connection {connection_id} needs reconnecting", code="invalid_grant")
        tokens = cipher.decrypt(grant.ciphertext)
        if not due(tokens):
            return tokens  # another worker refreshed while we waited for the lock
        try:
            fresh = refresher(tokens)
        except NeedsReconnect as error:
            _mark_needs_reconnect(session, grant, error)
            failure = error
        else:
            _write(grant, fresh, cipher)
            grant.refreshed_count = (grant.refreshed_count or 0) + 1
            return fresh
    assert failure is not None
    raise failure


def _status(session: Session, connection_id: int) -> str | None:
    connection = session.get(ConnectionRow, connection_id, populate_existing=True)
    return connection.status if connection is not None else None


def mark_needs_reconnect(factory: sessionmaker[Session], connection_id: int, why: str) -> None:
    """The platform refuses this connection's grant even freshly refreshed (a 401/403 on the
    call after a forced refresh): every connection of the grant waits for an admin to
    reconnect; `why` (the platform's message) is what the dashboard shows beside Reconnect."""
    with factory() as session, session.begin():
        grant = grant_of(session, connection_id)
        if grant is None:
            connection = session.get(ConnectionRow, connection_id)
            if connection is not None and connection.status == ACTIVE:
                _now_needs_reconnect(session, connection, why)
            return
        session.execute(select(TokenGrantRow.id).where(TokenGrantRow.id == grant.id).with_for_update())
        _mark_needs_reconnect(session, grant, NeedsReconnect(why, code="refused"))


def _mark_needs_reconnect(session: Session, grant: TokenGrantRow, error: NeedsReconnect) -> None:
    """The grant is dead for every connection that shares it."""
    grant.last_error = error.message[:500]
    for connection_id in connections_of_grant(session, grant.id):
        connection = session.get(ConnectionRow, connection_id)
        if connection is not None and connection.status == ACTIVE:
            _now_needs_reconnect(session, connection, grant.last_error)


def _now_needs_reconnect(session: Session, connection: ConnectionRow, why: str) -> None:
    """An active connection turns needs_reconnect; the bookkeeper is told in the same
    transaction when e-mail is on (once per turn: a connection already waiting is not)."""
    connection.status = NEEDS_RECONNECT
    mail_outbox.queue_needs_reconnect(session, connection, why)


# -- ending and housekeeping ----------------------------------------------------------------------
def mark_disconnected(session: Session, connection_id: int) -> bool:
    """Forget this connection's link to its tokens, keep the connection and its history.

    Returns True when no other connection uses the grant any more (the caller may then revoke
    it at the platform); the grant's row is then deleted too. The grant row is locked first,
    so two organisations disconnected at once cannot both believe the other still uses it.
    """
    link = session.get(ConnectionTokenRow, connection_id)
    last_user = False
    if link is not None:
        grant_id = link.grant_id
        session.execute(select(TokenGrantRow.id).where(TokenGrantRow.id == grant_id).with_for_update())
        session.delete(link)
        session.flush()
        last_user = _forget_if_unused(session, grant_id)
    connection = session.get(ConnectionRow, connection_id)
    if connection is not None:
        connection.status = DISCONNECTED
    return last_user


def rotate_all(session: Session, cipher: TokenCipher) -> int:
    """Re-encrypt every stored grant under the first key; returns how many rows changed."""
    rows = session.execute(select(TokenGrantRow).with_for_update()).scalars().all()
    for row in rows:
        row.ciphertext = cipher.rotate(row.ciphertext)
    return len(rows)


def due_for_refresh(session: Session, now: datetime, margin: timedelta = REFRESH_MARGIN) -> list[int]:
    """The refresh job's work list: one active connection per grant whose access token expires
    within `margin` (refreshing through one refreshes its siblings too)."""
    rows = session.execute(
        select(func.min(ConnectionTokenRow.connection_id))
        .join(TokenGrantRow, TokenGrantRow.id == ConnectionTokenRow.grant_id)
        .join(ConnectionRow, ConnectionRow.id == ConnectionTokenRow.connection_id)
        .where(TokenGrantRow.access_expires_at <= now + margin)
        .where(ConnectionRow.status == ACTIVE)
        .group_by(ConnectionTokenRow.grant_id)
        .order_by(func.min(ConnectionTokenRow.connection_id))
    )
    return [connection_id for (connection_id,) in rows]


def token_cipher(settings: Any, environ: Mapping[str, str] | None = None) -> TokenCipher:
    """The Fernet keys from `[security] token_keys` (MILEPOST_SECURITY__TOKEN_KEYS) or
    MILEPOST_TOKEN_KEYS, the name custody documents."""
    if settings.security.token_keys:
        return TokenCipher(settings.security.token_keys)
    return TokenCipher.from_env(environ)
