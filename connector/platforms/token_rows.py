"""Where a connection's tokens live: one encrypted row per connection, beside `connections`.

A separate table (rather than columns on `connections`) keeps ciphertext out of every query that
lists connections, and lets the token row be locked (SELECT ... FOR UPDATE) while a refresh is
in flight without blocking readers of the connection's name and status. The schema comes from
the `*_connection_tokens` Alembic revision; this class mirrors it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from connector.store.models import Base, utcnow
from connector.store.types import UTCDateTime


class ConnectionTokenRow(Base):
    __tablename__ = "connection_tokens"

    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    # Fernet token of the JSON TokenSet; never decrypted outside custody.py.
    ciphertext: Mapped[str] = mapped_column(Text)
    # In clear so the refresh job can find what is due without decrypting every row.
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refreshed_count: Mapped[int] = mapped_column(Integer, default=0)
    # Why the grant died, in the platform's words (invalid_grant ...), for the admin app.
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
