"""Each platform answer, in the logs with the platform's own request id.

QuickBooks stamps every answer with an `intuit_tid` header and Xero with `Xero-Correlation-Id`;
their support asks for that id first. The clients (`quickbooks_client.TimedSession`,
`xero_client.build_api_client`, the token endpoint) call `answered` for every answer they see,
good or bad: one line (`quickbooks POST /v3/company/9130/invoice 200 (212 ms)`) carrying the
id, which also stays attached to the lines that follow in the same job run or request
(`connector.logs.note`), such as the warning saying what failed. Only the method and the path
are logged: query strings hold QuickBooks queries (customer names) and nothing else worth it.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from connector import logs

log = logging.getLogger("milepost.platforms.http")
# The header each platform answers with, and the field its value goes under in the logs.
REQUEST_ID_HEADERS = {"quickbooks": "intuit_tid", "xero": "Xero-Correlation-Id"}
REQUEST_ID_FIELDS = {"quickbooks": "intuit_tid", "xero": "xero_correlation_id"}


def answered(platform: str, method: str | bytes, url: str | bytes, status: int | None,
             request_id: str | None, started: float) -> None:
    """Log one answer of `platform` and keep its request id for the lines that follow."""
    field = REQUEST_ID_FIELDS[platform]
    if request_id:
        logs.note(**{field: request_id})
    verb = method.decode() if isinstance(method, bytes) else method
    path = urlsplit(url.decode() if isinstance(url, bytes) else url).path
    took = round((time.monotonic() - started) * 1000)
    extra = {"status": status, "duration_ms": took} | ({field: request_id} if request_id else {})
    log.info("%s %s %s %s (%d ms)", platform, verb.upper(), path, status, took, extra=extra)
