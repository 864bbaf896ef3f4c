"""Pending OAuth flows, kept on the server so a `state` is used once, by the session it was for.

Flask's session is a signed cookie: anything kept only there could be replayed with an old copy
of the cookie, and a PKCE verifier in it would be readable by whoever holds the cookie. So each
flow is a row (state, platform, the session's random binding, the verifier, when), and the
callback consumes it with a DELETE that only one request can win, on every backend and across
processes. The session keeps nothing but its binding. The table comes from the
`0005_project_links` Alembic revision.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, String, Table, delete, select
from sqlalchemy.orm import Session

from connector.store.models import Base
from connector.store.types import UTCDateTime

STATE_LIFETIME = timedelta(minutes=10)

oauth_states = Table(
    "oauth_states",
    Base.metadata,
    Column("state", String(64), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("binding", String(64), nullable=False),
    Column("verifier", String(128), nullable=True),
    Column("issued_at", UTCDateTime(), nullable=False),
)


def issue_state(session: Session, platform: str, binding: str, verifier: str | None) -> str:
    """A fresh state for this session's flow; stale flows are swept while we are here."""
    now = datetime.now(UTC)
    session.execute(delete(oauth_states).where(oauth_states.c.issued_at < now - STATE_LIFETIME))
    state = secrets.token_urlsafe(32)
    session.execute(oauth_states.insert().values(
        state=state, platform=platform, binding=binding, verifier=verifier, issued_at=now))
    return state


def consume_state(session: Session, state: str, platform: str, binding: str) -> tuple[bool, str | None]:
    """(True, verifier) if this session may finish this flow, now and only now; else (False, None).

    A state issued to another session is left alone (its owner may still finish it)."""
    table = oauth_states
    row = session.execute(
        select(table.c.verifier, table.c.issued_at)
        .where(table.c.state == state, table.c.platform == platform, table.c.binding == binding)
    ).first()
    if row is None:
        return False, None
    taken = session.execute(delete(table).where(table.c.state == state, table.c.binding == binding))
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return False, None  # another request consumed it first
    if row.issued_at < datetime.now(UTC) - STATE_LIFETIME:
        return False, None
    return True, row.verifier
