"""Outbound webhook deliveries: every queued event posted to each subscriber, at least once.

Step by step (the outbox's own argument, `jobs/outbox.py`, for an HTTP POST):
1. queued with its cause (`store.webhook_events`), in the cause's transaction: one row per
   subscription, all carrying the event's id. A committed cause has its rows, a rolled-back
   one none.
2. claimed (own transaction): `processing`, attempts + 1. A worker killed here or during the
   POST leaves the row `processing`; `reclaim_stale` (drain_outbox's first step) returns it.
3. posted (no transaction open): the body fixed at step 1, `webhook-id` the event's id,
   signed afresh with the subscription's secret (`webhook-timestamp` is the attempt's time);
   a 10 s timeout; redirects are not followed. The host is resolved once, every address it
   resolves to checked, and the POST connects only to those (`pinned_http`: no DNS rebinding
   between the check and the connection).
4. done (own transaction), on a 2xx, if the row is still `processing`.
So an event is never lost, and reaches a subscriber twice only when a crash (or a lost
answer) falls between the subscriber's 2xx and step 4. The repeat carries the same
`webhook-id`, by which the receiver drops it, as Standard Webhooks asks receivers to: at least
once, and a repeat is recognisably the same message.

Failures: no answer, a timeout or any status but 2xx puts the row back to wait its backoff
(`webhook_events.retry_delay`: 30 s doubling to an hour) until `[worker] max_attempts`, then
fails it. A URL that may not be posted to (a host resolving to a private address while
`[notifications] private_webhook_urls` is off) fails at once. Each failure is in the run's
record (`milepost jobs`) as the event id, the subscription and the status or error, never the
URL (it may hold a token) nor the secret; a failed row is listed by `milepost retry`. A
subscription removed, or its key revoked, since the event was queued: the row is dropped
(done, with a note), nothing is sent.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from datetime import datetime
from urllib.parse import urlsplit

import requests
from sqlalchemy.exc import SQLAlchemyError

from connector.standard_webhooks import signed_headers
from connector.store import subscriptions, webhook_events
from connector.store.db import transaction

from . import pinned_http
from .context import JobContext, utcnow
from .drains import drain
from .runs import Tally

log = logging.getLogger("milepost.jobs.deliveries")
TIMEOUT_SECONDS = 10
USER_AGENT = "Milepost-Webhooks/1"


class Undeliverable(Exception):  # noqa: N818 - the reason a URL is refused, as operators read it
    """The URL may not be posted to (what its host resolves to); not worth retrying."""


def drain_webhooks(ctx: JobContext, now: datetime, counts: Tally, *, limit: int = 200) -> None:
    """Post the queued events whose turn has come; each row once per run."""
    drain(ctx, now, counts, lambda s, n, skip: webhook_events.claim_deliveries(s, n, skip, now), _deliver,
          lambda item: f"webhook {item.event_id} to subscription {item.subscription_id}", limit=limit)


def body_of(message: dict[str, object]) -> bytes:
    """The bytes sent for a message, the same on every attempt."""
    return json.dumps(message, separators=(",", ":"), sort_keys=True).encode()


def _deliver(ctx: JobContext, item: webhook_events.ClaimedDelivery, now: datetime) -> tuple[str, str]:
    """One attempt: ("delivered" | "dropped" | "retry" | "failed", what went wrong)."""
    with ctx.sessions() as session:
        target = subscriptions.target(session, item.subscription_id, ctx.cipher)
    if target is None:
        with transaction(ctx.sessions) as session:
            webhook_events.finished(session, item.id, "not sent: the subscription was removed or its key revoked")
        return "dropped", ""
    body = body_of(item.message)
    headers = {**signed_headers(target.secret, item.event_id, body, utcnow()),
               "Content-Type": "application/json", "User-Agent": USER_AGENT}
    try:
        addresses = checked_addresses(target.url, ctx.settings.notifications.private_webhook_urls)
    except Undeliverable as refused:
        return _failed(ctx, item, str(refused), now, retryable=False)
    except OSError as error:  # the name resolved to nothing (this time)
        return _failed(ctx, item, f"no answer (host not found: {type(error).__name__})", now, retryable=True)
    try:
        answer = pinned_http.post(target.url, addresses, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        return _failed(ctx, item, f"no answer ({type(error).__name__})", now, retryable=True)
    if not 200 <= answer.status_code < 300:
        return _failed(ctx, item, f"HTTP {answer.status_code} from the subscriber", now, retryable=True)
    try:
        with transaction(ctx.sessions) as session:
            webhook_events.finished(session, item.id)
    except SQLAlchemyError:
        raise  # delivered but not recorded: reclaimed and sent again, with the same webhook-id
    return "delivered", ""


def _failed(ctx: JobContext, item: webhook_events.ClaimedDelivery, why: str, now: datetime, *,
            retryable: bool) -> tuple[str, str]:
    log.warning("webhook %s to subscription %d: %s", item.event_id, item.subscription_id, why)
    with transaction(ctx.sessions) as session:
        status = webhook_events.attempt_failed(session, item.id, why, now,
                                               max_attempts=ctx.settings.worker.max_attempts, retryable=retryable)
    return ("retry" if status == "pending" else "failed"), why


def checked_addresses(url: str, private_ok: bool) -> list[str]:
    """The addresses the URL's host resolves to, resolved once, each checked (unless private
    ones are allowed): the POST connects to these and no others (`pinned_http`), so a DNS answer
    changed between the check and the connection cannot reach the inside. Undeliverable when
    any is not public; OSError when the host resolves to nothing."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not private_ok and not subscriptions.public_host(host):
        raise Undeliverable(f"{host[:100]} is not a public address ([notifications] private_webhook_urls is off)")
    addresses = pinned_http.resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    if not private_ok and not all(subscriptions.public_address(ipaddress.ip_address(a.partition("%")[0]))
                                  for a in addresses):
        raise Undeliverable(f"{host[:100]} resolves to a non-public address "
                            "([notifications] private_webhook_urls is off)")
    return addresses
