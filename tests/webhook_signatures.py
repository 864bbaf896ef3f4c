"""Standard Webhooks signatures computed by the tests themselves (hmac and base64 written here),
never through `connector.standard_webhooks`, so a mistake there cannot hide in both sides."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64(HMAC-SHA256(base64-decoded secret, "id.timestamp." + body))>`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed(secret: str, message_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers of a message signed with `secret` (now, unless `timestamp` says when)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {"webhook-id": message_id, "webhook-timestamp": str(stamp),
            "webhook-signature": signature(secret, message_id, stamp, body),
            "Content-Type": "application/json"}
