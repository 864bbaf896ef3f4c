"""The people who sign in: their e-mail, role and password hash.

Roles, each including the one below it:

    admin       connections (connect, disconnect), users, API keys, and all a bookkeeper does
    bookkeeper  projects, milestones, credits, voids, mappings, retries
    viewer      reads every page, changes nothing

Passwords are hashed with argon2id through argon2-cffi, with its default parameters (RFC 9106's
second recommended profile: 3 passes over 64 MiB, 4 lanes). argon2id is the current
recommendation of RFC 9106 and OWASP: it is memory-hard, so a stolen table costs an attacker
memory per guess, not just GPU time, and argon2-cffi's defaults follow the RFC as it is
revised; a hash made with older parameters is rehashed at the next sign-in. A user who signs in
only with Intuit or Xero has no password hash at all. Unknown e-mails are checked against a
dummy hash, so the time taken does not tell which e-mails have accounts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import column, delete, func, select, table
from sqlalchemy.orm import Session

from .errors import StoreError
from .models import DEFAULT_ORGANISATION_ID, UserRow

ROLES = ("admin", "bookkeeper", "viewer")
_RANK = {"viewer": 0, "bookkeeper": 1, "admin": 2}
EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
MIN_PASSWORD = 12

# The web's server-side sessions (connector/web/admin_sessions.py): a user removed is signed out.
_SESSIONS = table("admin_sessions", column("user_id"))
_hasher = PasswordHasher()


@cache
def dummy_hash() -> str:
    """The hash an unknown e-mail's password is checked against. Made on first use, not at
    import: one argon2id hash costs about half a second of CPU and 64 MiB, which every command
    and worker importing the store would pay (the web app makes it at start-up instead, so the
    first unknown e-mail is not slower than the next)."""
    return _hasher.hash("no such user: spend the same time")


class UserRefused(StoreError):
    """A user change that breaks a rule; the message names the field and the rule."""


def allows(role: str, needed: str) -> bool:
    """Whether `role` may do what `needed` may (admin ⊇ bookkeeper ⊇ viewer)."""
    return _RANK.get(role, -1) >= _RANK[needed]


def normalise_email(email: str) -> str:
    """The e-mail as stored (trimmed, lower-case), or UserRefused naming the rule."""
    cleaned = (email or "").strip().lower()
    if len(cleaned) > 320 or not EMAIL.match(cleaned):
        raise UserRefused(f"email: {email[:80]!r} is not an e-mail address such as ana@example.com")
    return cleaned


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserRefused(f"role: {role[:40]!r} is not one of {', '.join(ROLES)}")
    return role


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserRefused(f"password: at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def add_user(db: Session, email: str, role: str, password: str | None = None, name: str = "",
             organisation_id: int = DEFAULT_ORGANISATION_ID) -> UserRow:
    """A new user; UserRefused when the e-mail is taken or a field breaks its rule."""
    address, role = normalise_email(email), check_role(role)
    digest = hash_password(password) if password is not None else None
    if db.scalar(select(UserRow.id).where(UserRow.email == address)) is not None:
        raise UserRefused(f"email: {address} already has an account")
    row = UserRow(email=address, role=role, password_hash=digest, name=name.strip()[:200],
                  organisation_id=organisation_id, created_at=datetime.now(UTC))
    db.add(row)
    db.flush()
    return row


def find_user(db: Session, email: str) -> UserRow | None:
    try:
        address = normalise_email(email)
    except UserRefused:
        return None
    return db.scalar(select(UserRow).where(UserRow.email == address))


def _admins_left(db: Session, organisation_id: int, without: int) -> int:
    return int(db.scalar(select(func.count()).select_from(UserRow).where(
        UserRow.organisation_id == organisation_id, UserRow.role == "admin",
        UserRow.id != without)) or 0)


def set_role(db: Session, user: UserRow, role: str) -> None:
    """Change a role; the organisation's last admin stays an admin (or nobody could manage it)."""
    role = check_role(role)
    if user.role == "admin" and role != "admin" and not _admins_left(db, user.organisation_id, user.id):
        raise UserRefused(f"role: {user.email} is the only admin; make someone else admin first")
    user.role = role


def remove_user(db: Session, user: UserRow) -> None:
    """Remove a user and end their sessions; never the organisation's last admin."""
    if user.role == "admin" and not _admins_left(db, user.organisation_id, user.id):
        raise UserRefused(f"email: {user.email} is the only admin; make someone else admin first")
    db.execute(delete(_SESSIONS).where(_SESSIONS.c.user_id == user.id))
    db.delete(user)
    db.flush()


def authenticate(db: Session, email: str, password: str) -> UserRow | None:
    """The user whose password this is, or None (same work whether or not the e-mail exists)."""
    user = find_user(db, email)
    digest = user.password_hash if user is not None and user.password_hash else dummy_hash()
    try:
        _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.password_hash:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def signed_in_now(user: UserRow) -> None:
    user.last_sign_in_at = datetime.now(UTC)
