"""The tables of API keys and what hangs on them, mirroring revision `0017_keys14_api_keys`.

- `api_keys`: one row per key made by `milepost api-key create` (or the admin page), of one
  organisation (0019), whose projects are all the key may see or change. Only a
  digest of the key's secret part is kept (`api_keys.py` says why a plain SHA-256 suffices);
  the key's inbound webhook secret is kept encrypted with the token keys, since checking a
  signature needs the secret itself.
- `webhook_subscriptions`: where a key's project tool wants events posted, which events, and
  the subscription's own signing secret (encrypted the same way).
- `hook_messages`: the `webhook-id` of every inbound hook message that changed something, per
  key, with the answer it got, so a replay changes nothing and gets the same answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, _organisation_column, utcnow
from .types import UTCDateTime


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = _organisation_column()
    # The key's public part (`mpk_<public_id>_<secret>`): finds the row, is not a secret.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(8))  # read | write
    secret_sha256: Mapped[str] = mapped_column(String(64))  # hex digest of the secret part
    webhook_secret: Mapped[str] = mapped_column(Text)  # Fernet token of the whsec_ secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookSubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(Text)  # Fernet token of the whsec_ secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HookMessageRow(Base):
    __tablename__ = "hook_messages"
    __table_args__ = (UniqueConstraint("api_key_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    message_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
