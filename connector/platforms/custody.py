"""Token custody: tokens encrypted at rest, refreshed before expiry by exactly one writer.

Both platforms rotate refresh tokens, and using a spent one can revoke the whole grant. So a
refresh is a small transaction of its own: lock the connection's token row (SELECT ... FOR
UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE plus a process lock), re-read it, and refresh
only if it is still due, saving the rotated pair before the lock is released. A second worker
arriving meanwhile waits on the lock, then finds fresh tokens and spends nothing.

A refresh refused with `invalid_grant` marks the connection `needs_reconnect`; from then on
`refresh_if_needed` raises `NeedsReconnect` without calling the platform, so jobs skip the
connection quietly until an admin reconnects (`store_tokens` makes it active again).

Keys: `MILEPOST_TOKEN_KEYS` (or `[security] token_keys`), comma separated Fernet keys. The first
encrypts; all decrypt, so a new key is added in front, `rotate_all` re-encrypts, and the old key
is removed later.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.store.models import ConnectionRow

from .errors import ConfigurationError, NeedsReconnect
from .token_rows import ConnectionTokenRow

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

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the first key (after a new key was put in front)."""
        return self._multi.rotate(ciphertext.encode()).decode()


Refresher = Callable[[TokenSet], TokenSet]
"""Calls the platform's token endpoint; raises NeedsReconnect on invalid_grant."""

_process_locks: dict[int, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(connection_id: int) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(connection_id, threading.Lock())


def store_tokens(
    session: Session, connection_id: int, tokens: TokenSet, cipher: TokenCipher
) -> None:
    """Save a fresh grant (install or reconnect) and make the connection active again."""
    row = session.get(ConnectionTokenRow, connection_id)
    if row is None:
        row = ConnectionTokenRow(connection_id=connection_id, refreshed_count=0)
        session.add(row)
    _write(row, tokens, cipher)
    row.last_error = None
    connection = session.get(ConnectionRow, connection_id)
    if connection is not None:
        connection.status = ACTIVE


def load_tokens(session: Session, connection_id: int, cipher: TokenCipher) -> TokenSet:
    row = session.get(ConnectionTokenRow, connection_id)
    if row is None:
        raise NeedsReconnect(f"connection {connection_id} has no tokens", code="no_tokens")
    return cipher.decrypt(row.ciphertext)


def _write(row: ConnectionTokenRow, tokens: TokenSet, cipher: TokenCipher) -> None:
    row.ciphertext = cipher.encrypt(tokens)
    row.access_expires_at = tokens.access_expires_at
    row.refresh_expires_at = tokens.refresh_expires_at


def refresh_if_needed(
    factory: sessionmaker[Session],
    connection_id: int,
    refresher: Refresher,
    cipher: TokenCipher,
    *,
    now: datetime,
    margin: timedelta = REFRESH_MARGIN,
) -> TokenSet:
    """Return usable tokens for the connection, refreshing them first when they are due.

    Promises: at most one refresh per due token across threads and processes; the rotated
    refresh token is committed before the lock is released; NeedsReconnect (without calling
    the platform) once the grant is known dead.
    """
    with factory() as session:
        if _status(session, connection_id) == NEEDS_RECONNECT:
            raise NeedsReconnect(f"connection {connection_id} needs reconnecting", code="invalid_grant")
        current = load_tokens(session, connection_id, cipher)
    if not current.expires_within(now, margin):
        return current
    with _process_lock(connection_id):
        return _refresh_locked(factory, connection_id, refresher, cipher, now, margin)


def _refresh_locked(
    factory: sessionmaker[Session],
    connection_id: int,
    refresher: Refresher,
    cipher: TokenCipher,
    now: datetime,
    margin: timedelta,
) -> TokenSet:
    failure: NeedsReconnect | None = None
    with factory() as session, session.begin():
        row = session.execute(
            select(ConnectionTokenRow)
            .where(ConnectionTokenRow.connection_id == connection_id)
            .with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise NeedsReconnect(f"connection {connection_id} has no tokens", code="no_tokens")
        if _status(session, connection_id) == NEEDS_RECONNECT:
            raise NeedsReconnect(f"connection {connection_id} needs reconnecting", code="invalid_grant")
        tokens = cipher.decrypt(row.ciphertext)
        if not tokens.expires_within(now, margin):
            return tokens  # another worker refreshed while we waited for the lock
        try:
            fresh = refresher(tokens)
        except NeedsReconnect as error:
            _mark_needs_reconnect(session, row, error)
            failure = error
        else:
            _write(row, fresh, cipher)
            row.refreshed_count = (row.refreshed_count or 0) + 1
            row.last_error = None
            return fresh
    assert failure is not None
    raise failure


def _status(session: Session, connection_id: int) -> str | None:
    connection = session.get(ConnectionRow, connection_id, populate_existing=True)
    return connection.status if connection is not None else None


def _mark_needs_reconnect(session: Session, row: ConnectionTokenRow, error: NeedsReconnect) -> None:
    row.last_error = error.message[:500]
    connection = session.get(ConnectionRow, row.connection_id)
    if connection is not None:
        connection.status = NEEDS_RECONNECT


def mark_disconnected(session: Session, connection_id: int) -> None:
    """After revoking: forget the tokens, keep the connection and its history."""
    row = session.get(ConnectionTokenRow, connection_id)
    if row is not None:
        session.delete(row)
    connection = session.get(ConnectionRow, connection_id)
    if connection is not None:
        connection.status = DISCONNECTED


def rotate_all(session: Session, cipher: TokenCipher) -> int:
    """Re-encrypt every stored token under the first key; returns how many rows changed."""
    rows = session.execute(select(ConnectionTokenRow).with_for_update()).scalars().all()
    for row in rows:
        row.ciphertext = cipher.rotate(row.ciphertext)
    return len(rows)


def due_for_refresh(session: Session, now: datetime, margin: timedelta = REFRESH_MARGIN) -> list[int]:
    """Connections whose access token expires within `margin`: the refresh job's work list."""
    rows = session.execute(
        select(ConnectionTokenRow.connection_id)
        .join(ConnectionRow, ConnectionRow.id == ConnectionTokenRow.connection_id)
        .where(ConnectionTokenRow.access_expires_at <= now + margin)
        .where(ConnectionRow.status == ACTIVE)
    )
    return [connection_id for (connection_id,) in rows]
