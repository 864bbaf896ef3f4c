"""Approvers' portal links: signed, dated, for one milestone and one approver.

A link is `{base_url}/portal/{token}`; the token carries the project key, the milestone's seq
and the approver's e-mail, signed with `[app] secret_key` (itsdangerous, as Flask signs its
session) together with its issue time, so it expires after PORTAL_LINK_DAYS and a tampered one
is refused. The web app reads links (`connector.web.portal`); the admin page shows them and the
worker e-mails them (`jobs.mail`), which is why they are made here, below both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PORTAL_SALT = "milepost-portal-link"
PORTAL_LINK_DAYS = 14
PORTAL_PATH = "/portal/"


class _StampedSerializer(URLSafeTimedSerializer):
    """A serializer whose signer stamps a given issue time (links issued in the past)."""

    def __init__(self, secret: str, issued_at: datetime | None) -> None:
        super().__init__(secret, salt=PORTAL_SALT)
        self._issued_at = issued_at

    def make_signer(self, salt: Any = None) -> Any:
        signer = super().make_signer(salt)
        if self._issued_at is not None:
            stamp = int(self._issued_at.timestamp())
            signer.get_timestamp = lambda: stamp  # type: ignore[attr-defined]
        return signer


def portal_token(secret: str, key: str, seq: int, email: str, issued_at: datetime | None = None) -> str:
    """The signed part of an approver's link for one milestone."""
    return str(_StampedSerializer(secret, issued_at).dumps({"k": key, "s": seq, "e": email}))


def portal_url(base_url: str, secret: str, key: str, seq: int, email: str,
               issued_at: datetime | None = None) -> str:
    """The whole link, on the web app's public address (`[app] base_url`)."""
    return base_url.rstrip("/") + PORTAL_PATH + portal_token(secret, key, seq, email, issued_at)


class LinkRefused(Exception):
    """An expired or tampered portal link; `expired` tells which, for the page."""

    def __init__(self, expired: bool) -> None:
        self.expired = expired
        super().__init__("expired" if expired else "invalid")


def read_portal_token(secret: str, token: str, max_age_days: int = PORTAL_LINK_DAYS) -> tuple[str, int, str]:
    """(project key, seq, approver email) from a link, or LinkRefused."""
    try:
        data = _StampedSerializer(secret, None).loads(token, max_age=max_age_days * 86400)
    except SignatureExpired:
        raise LinkRefused(expired=True) from None
    except BadSignature:
        raise LinkRefused(expired=False) from None
    try:
        return str(data["k"]), int(data["s"]), str(data["e"])
    except (KeyError, TypeError, ValueError):
        raise LinkRefused(expired=False) from None
