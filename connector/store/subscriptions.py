"""Outbound webhook subscriptions: a key's project tool asks to be told of events at a URL.

A subscription belongs to one API key (made with `milepost api-key subscribe` or
`POST /api/v1/subscriptions` with that key) and dies with it: a revoked key's subscriptions
get nothing more, and what was queued for them is dropped when its turn comes. Each has its
own signing secret (`whsec_...`), shown once when it is made and kept encrypted.

URLs are checked when saved: http or https only, a host, no user name or password (it would
sit in the database and in the job log in clear), at most 2,000 characters. A URL naming a
loopback, private, link-local or otherwise non-public address (or `localhost`) is refused
unless `[notifications] private_webhook_urls` is on, which is meant for development only; the
worker checks again what the host resolves to before each delivery (`jobs.deliveries`), so a
public name later pointed at an inside address is refused too.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from difflib import get_close_matches
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.text_bounds import text_problem
from connector.standard_webhooks import new_secret

from .api_keys import ApiKey, KeyRefused, Sealer
from .errors import StoreError
from .key_rows import ApiKeyRow, WebhookSubscriptionRow
from .models import ProjectRow, utcnow

EVENTS = ("milestone.submitted", "milestone.accepted", "invoice.created", "payment.received",
          "project.pause_work")
MAX_URL = 2000
MAX_SUBSCRIPTIONS_PER_KEY = 20


class SubscriptionNotFound(StoreError):
    def __init__(self, subscription_id: int) -> None:
        super().__init__(f"no subscription {subscription_id} for this API key")


@dataclass(frozen=True)
class Subscription:
    id: int
    key: str  # the API key's public id
    url: str
    events: tuple[str, ...]
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "url": self.url, "events": list(self.events),
                "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Target:
    """Where one delivery goes and what signs it (read by the worker just before sending)."""

    url: str
    secret: str = field(repr=False)


def subscribe(session: Session, key: ApiKey, url: Any, events: Any, sealer: Sealer, *,
              private_ok: bool, now: datetime | None = None) -> NewSubscription:
    """Save a subscription of `key` to `events` at `url`; KeyRefused naming the field and rule
    (every problem with the URL or the events is checked before anything is written)."""
    if key.revoked_at is not None:
        raise KeyRefused("key", "revoked", f"API key {key.public_id} is revoked")
    if bad := url_problem(url, private_ok=private_ok):
        raise KeyRefused("url", *bad)
    wanted = checked_events(events)
    live = session.scalars(select(WebhookSubscriptionRow.id).where(
        WebhookSubscriptionRow.api_key_id == key.id, WebhookSubscriptionRow.removed_at.is_(None))).all()
    if len(live) >= MAX_SUBSCRIPTIONS_PER_KEY:
        raise KeyRefused("url", "too_many", f"at most {MAX_SUBSCRIPTIONS_PER_KEY} subscriptions per API key")
    secret = new_secret()
    row = WebhookSubscriptionRow(api_key_id=key.id, url=url, events=list(wanted), secret=sealer.seal(secret),
                                 created_at=now or utcnow())
    session.add(row)
    session.flush()
    return NewSubscription(_view(row, key.public_id), secret)


def subscriptions_of(session: Session, key: ApiKey) -> list[Subscription]:
    rows = session.scalars(select(WebhookSubscriptionRow).where(
        WebhookSubscriptionRow.api_key_id == key.id, WebhookSubscriptionRow.removed_at.is_(None))
        .order_by(WebhookSubscriptionRow.id))
    return [_view(row, key.public_id) for row in rows]


def remove(session: Session, key: ApiKey, subscription_id: int, now: datetime | None = None) -> None:
    """Stop the subscription (only the key that owns it may); deliveries still queued are dropped."""
    row = session.get(WebhookSubscriptionRow, subscription_id)
    if row is None or row.api_key_id != key.id or row.removed_at is not None:
        raise SubscriptionNotFound(subscription_id)
    row.removed_at = now or utcnow()
    session.flush()


def subscribers(session: Session, event_type: str, project_id: int) -> list[int]:
    """The live subscriptions (of live keys of the project's organisation) that want
    `event_type` about project `project_id`: a key hears nothing of another organisation's."""
    rows = session.execute(
        select(WebhookSubscriptionRow.id, WebhookSubscriptionRow.events)
        .join(ApiKeyRow, ApiKeyRow.id == WebhookSubscriptionRow.api_key_id)
        .join(ProjectRow, ProjectRow.organisation_id == ApiKeyRow.organisation_id)
        .where(WebhookSubscriptionRow.removed_at.is_(None), ApiKeyRow.revoked_at.is_(None),
               ProjectRow.id == project_id)
        .order_by(WebhookSubscriptionRow.id)
    )
    return [subscription_id for subscription_id, events in rows if event_type in (events or ())]


def target(session: Session, subscription_id: int, sealer: Sealer) -> Target | None:
    """The URL and secret of a subscription still live, of a key still live; else None."""
    found = session.execute(
        select(WebhookSubscriptionRow.url, WebhookSubscriptionRow.secret)
        .join(ApiKeyRow, ApiKeyRow.id == WebhookSubscriptionRow.api_key_id)
        .where(WebhookSubscriptionRow.id == subscription_id, WebhookSubscriptionRow.removed_at.is_(None),
               ApiKeyRow.revoked_at.is_(None))
    ).first()
    return Target(found.url, sealer.unseal(found.secret)) if found is not None else None


def checked_events(events: Any) -> tuple[str, ...]:
    if not isinstance(events, list | tuple) or not events or not all(isinstance(e, str) for e in events):
        raise KeyRefused("events", "required", f"events: a list of one or more of {', '.join(EVENTS)}")
    for name in events:
        if name not in EVENTS:
            guess = get_close_matches(name, EVENTS, n=1)
            hint = f": did you mean {guess[0]!r}?" if guess else f"; known events: {', '.join(EVENTS)}"
            raise KeyRefused("events", "unknown_event", f"unknown event {name[:40]!r}{hint}")
    return tuple(dict.fromkeys(events))


def url_problem(url: Any, *, private_ok: bool) -> tuple[str, str] | None:
    """(rule, message) when `url` may not receive deliveries, else None."""
    if not isinstance(url, str) or not url:
        return "required", "url: the http(s) URL to post events to"
    if len(url) > MAX_URL:
        return "too_long", f"url: at most {MAX_URL} characters"
    if any(c.isspace() for c in url) or text_problem(url, MAX_URL):  # a lone surrogate cannot be stored
        return "control_character", "url: no spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return "url", "url: not a URL"
    if parts.scheme not in ("http", "https"):
        return "scheme", f"url: only http and https URLs receive events, not {parts.scheme[:20]!r}"
    if not host:
        return "url", "url: the URL has no host"
    if parts.username is not None or parts.password is not None:
        return "credentials", "url: no user name or password in the URL (the signature proves the sender)"
    if not private_ok and not public_host(host):
        return "private_address", (f"url: {host[:100]} is not a public address; private, loopback and "
                                   "link-local addresses need [notifications] private_webhook_urls = true "
                                   "(development only)")
    return None


def public_host(host: str) -> bool:
    """False for localhost and for an IP literal that is not a public unicast address; a name
    is taken as public here (what it resolves to is checked before each delivery)."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return True
    return public_address(address)


def public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _view(row: WebhookSubscriptionRow, public_id: str) -> Subscription:
    return Subscription(row.id, public_id, row.url, tuple(row.events), row.created_at)
