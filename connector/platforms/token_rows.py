"""Where tokens live: one encrypted row per grant, and one link per connection to its grant.

A grant is what one consent produced: Xero's tokens belong to the user's grant, and one consent
may reach several organisations, each a Milepost connection. Those connections must share one
token row: Xero rotates the refresh token on every refresh, so two copies of one grant's tokens
go stale the moment either is refreshed. A QuickBooks grant reaches one company, so its grant
row has exactly one connection.

Separate tables (rather than columns on `connections`) keep ciphertext out of every query that
lists connections, and let the grant row be locked (SELECT ... FOR UPDATE) while a refresh is
in flight without blocking readers of the connection's name and status. The schema comes from
the `*_connection_tokens` and `*_shared_token_grants` Alembic revisions; these classes mirror it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector.store.models import Base, utcnow
from connector.store.types import UTCDateTime


class TokenGrantRow(Base):
    __tablename__ = "token_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    # Fernet token of the JSON TokenSet; never decrypted outside custody.py.
    ciphertext: Mapped[str] = mapped_column(Text)
    # In clear so the refresh job can find what is due without decrypting every row.
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refreshed_count: Mapped[int] = mapped_column(Integer, default=0)
    # Why the grant died, in the platform's words (invalid_grant ...), for the admin app.
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ConnectionTokenRow(Base):
    """A connection's link to the grant whose tokens it uses (several may share one)."""

    __tablename__ = "connection_tokens"

    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("token_grants.id"), index=True)
    grant: Mapped[TokenGrantRow] = relationship(lazy="joined", innerjoin=True)
