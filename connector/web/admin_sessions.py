"""Admin sign-ins kept on the server, so signing out and idling out really end them.

Flask's session is a signed cookie: it stays valid for as long as its signature does, so
clearing it in the browser at logout does nothing to a copy someone kept. Each sign-in is a row
here instead, keyed by a digest of a random id that only the cookie holds; a request counts as
signed in only while its row exists, was used within the idle timeout (`[app]
session_idle_minutes`) and is younger than the absolute lifetime (`[app]
session_lifetime_hours`). Logout deletes the row, so a replayed cookie finds nothing. Each row
names the user who signed in (`user_id`, 0018), so removing a user ends their sessions. The table
comes from the `0008_sec2_admin_sessions` Alembic revision.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, ForeignKey, Integer, String, Table, delete, select, update
from sqlalchemy.orm import Session

from connector.store.models import Base
from connector.store.types import UTCDateTime

# A row's last_seen_at is written at most this often (not on every page view).
TOUCH_EVERY = timedelta(minutes=1)

admin_sessions = Table(
    "admin_sessions",
    Base.metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(db: Session, user_id: int, now: datetime | None = None) -> str:
    """A new signed-in session; the id returned goes in the cookie and nowhere else."""
    now = now or datetime.now(UTC)
    session_id = secrets.token_urlsafe(32)
    db.execute(admin_sessions.insert().values(id_hash=_digest(session_id), created_at=now,
                                              last_seen_at=now, user_id=user_id))
    return session_id


def alive(db: Session, session_id: str, idle: timedelta, lifetime: timedelta,
          now: datetime | None = None) -> int | None:
    """The signed-in user's id while the session exists and has neither idled out nor outlived
    its lifetime, else None; a session found dead is deleted, a live one marked as seen now."""
    now = now or datetime.now(UTC)
    digest = _digest(session_id)
    row = db.execute(select(admin_sessions.c.created_at, admin_sessions.c.last_seen_at,
                            admin_sessions.c.user_id)
                     .where(admin_sessions.c.id_hash == digest)).first()
    if row is None:
        return None
    if now - row.last_seen_at > idle or now - row.created_at > lifetime:
        db.execute(delete(admin_sessions).where(admin_sessions.c.id_hash == digest))
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        db.execute(update(admin_sessions).where(admin_sessions.c.id_hash == digest)
                   .values(last_seen_at=now))
    return int(row.user_id)


def end(db: Session, session_id: str) -> None:
    db.execute(delete(admin_sessions).where(admin_sessions.c.id_hash == _digest(session_id)))


def sweep(db: Session, idle: timedelta, lifetime: timedelta, now: datetime | None = None) -> int:
    """Remove every dead session (called at each sign-in, so the table stays small)."""
    now = now or datetime.now(UTC)
    gone = db.execute(delete(admin_sessions).where(
        (admin_sessions.c.last_seen_at < now - idle) | (admin_sessions.c.created_at < now - lifetime)))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
