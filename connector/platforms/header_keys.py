"""Idempotency keys that can travel in an HTTP header or a query string.

HTTP clients encode header values as Latin-1 (http.client) and the platforms cap their length
(Xero's `Idempotency-Key` 128 characters, QuickBooks' `requestid` 50), while the natural keys
they are derived from carry whatever people typed: a customer called "Ōtaki Builders", an
evidence file named "Übergabe.pdf". A key is therefore sent as it is only when it is already
plain printable ASCII and short enough; otherwise it becomes a readable ASCII head plus the
SHA-256 of the exact natural key, so two natural keys never share a header key and the same
natural key gives the same header key in every process and on every retry (which is what makes
the platform's replay work).
"""

from __future__ import annotations

import hashlib
import re

HASH_LENGTH = 32  # hex digits of SHA-256 kept: 128 bits
_UNSAFE = re.compile(r"[^A-Za-z0-9._:@/+=-]")
_SAFE = re.compile(r"[A-Za-z0-9._:@/+=-]+")


def header_safe(natural_key: str, limit: int) -> str:
    """`natural_key` itself when it is safe ASCII within `limit`, else `head~hash`."""
    if len(natural_key) <= limit and _SAFE.fullmatch(natural_key):
        return natural_key
    digest = hashlib.sha256(natural_key.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    head = _UNSAFE.sub("-", natural_key)[: max(0, limit - HASH_LENGTH - 1)]
    return f"{head}~{digest}"
