"""API keys kept in the database: made once, shown once, stored as a digest, revoked for good.

A key reads `mpk_<public id>_<secret>`. The public id (12 hex characters) finds the row and is
what lists, the admin page, `milepost api-key revoke` and the hook URL
(`/api/v1/hooks/<public id>`) name; it is not a secret. The secret part is 32 random bytes
(256 bits, URL-safe base64). Only SHA-256 of the secret part is stored, compared with
`hmac.compare_digest`.

Why a plain SHA-256, not argon2/bcrypt or an HMAC under a server secret: a slow or keyed hash
protects secrets that can be guessed (passwords) from whoever reads the digests, by making each
guess expensive or impossible without the server key. A 256-bit random secret cannot be
guessed at any price, so the digest's preimage resistance is all the table needs, and checking
a key costs one hash per API request instead of tens of milliseconds of argon2. Nothing here
holds the key after `create` returns it: the caller prints it once, and it is never logged.

Each key also has its own inbound webhook secret (`whsec_...`, `connector.standard_webhooks`),
shown once at creation and at each rotation. Checking a signature needs the secret itself, so it
is stored encrypted under the token keys (`MILEPOST_TOKEN_KEYS`), through the `Sealer` the
caller passes (the token cipher).

A key belongs to one organisation (`organisations`) and acts for it alone. The functions that
find a key by its public id take the organisation asking (`of`): another organisation's key is
KeyNotFound, as an unknown one is.

Unknown, malformed and revoked keys are all "no key": callers answer 401 without saying which.
`last_used_at` is written at most once a minute per key (a conditional UPDATE), so a busy key
costs one indexed read per request and one write a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from connector.billing.text_bounds import NAME, text_problem
from connector.standard_webhooks import new_secret

from .errors import StoreError
from .key_rows import ApiKeyRow
from .models import DEFAULT_ORGANISATION_ID, utcnow

PREFIX = "mpk_"
READ, WRITE = "read", "write"
SCOPES = (READ, WRITE)
TOUCH_EVERY = timedelta(minutes=1)
PUBLIC_ID_HEX = 12


class Sealer(Protocol):
    """Encrypts a secret for the database and back (the token cipher, `platforms.custody`)."""

    def seal(self, text: str) -> str: ...

    def unseal(self, ciphertext: str) -> str: ...


class KeyRefused(ValueError):
    """A key (or a subscription) cannot be made as asked: `field`, `rule` and `message` say why."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message} [{rule}]")
        self.field, self.rule, self.message = field, rule, message


class KeyNotFound(StoreError):
    def __init__(self, public_id: str) -> None:
        super().__init__(f"no API key {public_id[:40]!r}: see `milepost api-key list`")


@dataclass(frozen=True)
class ApiKey:
    """A key as lists show it: never its secret."""

    id: int
    public_id: str
    name: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    organisation_id: int = DEFAULT_ORGANISATION_ID

    @property
    def scopes(self) -> frozenset[str]:
        """What it may do: a `write` key may also read."""
        return frozenset(SCOPES) if self.scope == WRITE else frozenset({READ})

    def as_json(self) -> dict[str, object]:
        return {"id": self.public_id, "name": self.name, "scope": self.scope,
                "created_at": self.created_at.isoformat(),
                "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


@dataclass(frozen=True)
class NewKey:
    """What `create` hands back once: the key and its webhook secret in clear."""

    key: ApiKey
    plaintext: str = field(repr=False)
    webhook_secret: str = field(repr=False)


def digest(secret_part: str) -> str:
    return hashlib.sha256(secret_part.encode()).hexdigest()


def create(session: Session, name: str, scope: str, sealer: Sealer, now: datetime | None = None, *,
           organisation_id: int = DEFAULT_ORGANISATION_ID) -> NewKey:
    """Make a key; KeyRefused for an empty or overlong name or an unknown scope."""
    name = name.strip()
    if not name:
        raise KeyRefused("name", "required", "a key needs a name (who or what uses it)")
    if bad := text_problem(name, NAME):
        raise KeyRefused("name", bad[0], bad[1])
    if scope not in SCOPES:
        raise KeyRefused("scope", "unknown_scope", f"the scope is one of {', '.join(SCOPES)}, got {scope[:20]!r}")
    public_id = secrets.token_hex(PUBLIC_ID_HEX // 2)
    secret_part = secrets.token_urlsafe(32)
    webhook_secret = new_secret()
    row = ApiKeyRow(public_id=public_id, name=name, scope=scope, secret_sha256=digest(secret_part),
                    webhook_secret=sealer.seal(webhook_secret), created_at=now or utcnow(),
                    organisation_id=organisation_id)
    session.add(row)
    session.flush()
    return NewKey(_view(row), f"{PREFIX}{public_id}_{secret_part}", webhook_secret)


def all_keys(session: Session, of: int = DEFAULT_ORGANISATION_ID) -> list[ApiKey]:
    """The organisation's keys, the newest first, revoked ones included (they say when)."""
    return [_view(row) for row in session.scalars(
        select(ApiKeyRow).where(ApiKeyRow.organisation_id == of).order_by(ApiKeyRow.id.desc()))]


def find(session: Session, public_id: str, of: int = DEFAULT_ORGANISATION_ID) -> ApiKey:
    return _view(_row(session, public_id, of))


def revoke(session: Session, public_id: str, now: datetime | None = None, *,
           of: int = DEFAULT_ORGANISATION_ID) -> ApiKey:
    """Refuse the key from now on (and stop its subscriptions' deliveries); revoking twice keeps
    the first time."""
    row = _row(session, public_id, of)
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
    session.flush()
    return _view(row)


def rotate_webhook_secret(session: Session, public_id: str, sealer: Sealer, *,
                          of: int = DEFAULT_ORGANISATION_ID) -> str:
    """A new inbound webhook secret for a live key, returned once; the old one stops at once."""
    row = _row(session, public_id, of)
    if row.revoked_at is not None:
        raise KeyRefused("id", "revoked", f"API key {public_id} is revoked")
    secret = new_secret()
    row.webhook_secret = sealer.seal(secret)
    session.flush()
    return secret


def check(session: Session, presented: str, now: datetime | None = None) -> ApiKey | None:
    """The live key `presented` is, or None (unknown, malformed or revoked); marks it used."""
    public_id, secret_part = split(presented)
    if not public_id:
        return None
    row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.public_id == public_id)).one_or_none()
    if row is None or not hmac.compare_digest(digest(secret_part).encode(), row.secret_sha256.encode()):
        return None
    if row.revoked_at is not None:
        return None
    _touch(session, row, now or utcnow())
    return _view(row)


def live_key(session: Session, public_id: str) -> ApiKey | None:
    """The key with this public id, unless unknown or revoked (the hook's URL names it)."""
    row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.public_id == public_id[:32])).one_or_none()
    return _view(row) if row is not None and row.revoked_at is None else None


def webhook_secret(session: Session, key: ApiKey, sealer: Sealer) -> str:
    row = session.get(ApiKeyRow, key.id)
    assert row is not None
    return sealer.unseal(row.webhook_secret)


def mark_used(session: Session, key: ApiKey, now: datetime | None = None) -> None:
    """The key did something (a signed hook message): its last-used time, at most once a minute."""
    row = session.get(ApiKeyRow, key.id)
    if row is not None:
        _touch(session, row, now or utcnow())


def split(presented: str) -> tuple[str, str]:
    """(public id, secret part) of something shaped like a key, else ("", "")."""
    if not presented.startswith(PREFIX):
        return "", ""
    public_id, _, secret_part = presented[len(PREFIX):].partition("_")
    if len(public_id) != PUBLIC_ID_HEX or not secret_part or len(secret_part) > 100:
        return "", ""
    return public_id, secret_part


def _touch(session: Session, row: ApiKeyRow, now: datetime) -> None:
    if row.last_used_at is not None and now - row.last_used_at < TOUCH_EVERY:
        return
    session.execute(
        update(ApiKeyRow)
        .where(ApiKeyRow.id == row.id,
               or_(ApiKeyRow.last_used_at.is_(None), ApiKeyRow.last_used_at < now - TOUCH_EVERY))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def _row(session: Session, public_id: str, of: int) -> ApiKeyRow:
    row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.public_id == public_id[:32])).one_or_none()
    if row is None or row.organisation_id != of:
        raise KeyNotFound(public_id)
    return row


def _view(row: ApiKeyRow) -> ApiKey:
    return ApiKey(row.id, row.public_id, row.name, row.scope, row.created_at, row.last_used_at, row.revoked_at,
                  row.organisation_id)
