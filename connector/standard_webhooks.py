"""Standard Webhooks (standardwebhooks.com): how Milepost signs what it sends and checks what it
receives, in one place for the inbound hook (`connector.web.hooks`) and the outbound deliveries
(`jobs.deliveries`).

A message is signed over the exact bytes `{webhook-id}.{webhook-timestamp}.{raw body}` with
HMAC-SHA256 under the secret; `webhook-signature` carries `v1,<base64 of the digest>` (several,
space separated, while a secret is being rotated); `webhook-timestamp` is whole seconds since
the epoch; a secret reads `whsec_<base64 of 32 random bytes>`.

The HMAC and its constant-time comparison are the `standardwebhooks` package's (the
specification's own library: no dependencies, typed). This module adds what it leaves to the
caller: a malformed header (a signature without its comma, bad base64, a body that is not
UTF-8) is a refusal, not a ValueError escaping as a 500; the ±5 minute window is checked first
against a clock the caller names, so a stale message is told apart from a forged one (the
library then checks the window again against its own clock); and the signature is checked
before anything in the body is believed.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

TOLERANCE = timedelta(minutes=5)
SECRET_PREFIX = "whsec_"
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
MAX_MESSAGE_ID = 200  # hook_messages.message_id


class Refused(Exception):  # noqa: N818 - a refusal with its field and rule, as the API answers one
    """The message is not to be believed; `field` and `rule` say why, `message` in words."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field, self.rule, self.message = field, rule, message


def new_secret() -> str:
    """A fresh signing secret, `whsec_` and 32 random bytes in base64 (256 bits)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(secret: str, message_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The three headers of one attempt to send `body` as message `message_id` at `at`."""
    at = at.astimezone(UTC)  # the library reads the instant as UTC, whatever its zone says
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body.decode()),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> str:
    """The message's id when `body` was signed with `secret` within TOLERANCE of `now`;
    otherwise Refused naming the header and the rule (`required`, `too_long`, `timestamp`,
    `stale`, `signature`)."""
    given = {name: (headers.get(name) or "").strip() for name in HEADERS}
    for name in HEADERS:
        if not given[name]:
            raise Refused(name, "required", f"{name}: the Standard Webhooks header is missing")
    if len(given["webhook-id"]) > MAX_MESSAGE_ID:
        raise Refused("webhook-id", "too_long", f"webhook-id: at most {MAX_MESSAGE_ID} characters")
    stamp = given["webhook-timestamp"]
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise Refused("webhook-timestamp", "timestamp", "webhook-timestamp: whole seconds since 1970-01-01 UTC")
    if abs(now.timestamp() - int(stamp)) > TOLERANCE.total_seconds():
        raise Refused("webhook-timestamp", "stale", f"webhook-timestamp: {stamp} is more than "
                      f"{int(TOLERANCE.total_seconds() // 60)} minutes from now; sign each attempt afresh")
    try:
        Webhook(secret).verify(body, given, json_parse=False)
    except (WebhookVerificationError, ValueError):
        raise Refused("webhook-signature", "signature", "webhook-signature: no v1 signature matches "
                      "this key's secret over webhook-id.webhook-timestamp.body") from None
    return given["webhook-id"]
