"""Keep credentials carried in URLs out of the logs.

An approver's portal link is its own credential (`/portal/<signed token>`, and an evidence
file's `/portal/evidence/<signed token>`), and an OAuth
callback carries the authorization `code` and the `state` in its query string. Web servers log
the request line (werkzeug's development server, gunicorn's access log) and Flask logs the path
of a request whose view raised; each of those lines goes through `RedactingFilter`, which
rewrites the finished message (and the formatted traceback) before any handler sees it.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

REDACTED = "[redacted]"
# /portal/<token>[/...] and /portal/evidence/<token>: the whole rest of the path (up to the
# query, a quote or a space), since any segment of it may be a signed token.
_PORTAL = re.compile(r"(/portal/)[^?#\s\"']+")
# Query parameters that are credentials: OAuth's code and state, and any *token.
_PARAMS = re.compile(r"(?i)([?&;](?:code|state|[a-z_]*token)=)[^&#\s\"']*")
# Loggers that write request lines: werkzeug (development server), gunicorn (access and error),
# the app's own (connector.web.request_log). The long-running processes' log handler carries
# the filter too (connector.logs `filters`), for every line.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "milepost.web.access")


def redact(text: str) -> str:
    """`text` with portal tokens and OAuth codes, states and tokens replaced by [redacted]."""
    return _PARAMS.sub(rf"\g<1>{REDACTED}", _PORTAL.sub(rf"\g<1>{REDACTED}", text))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (arguments merged in) and its traceback text, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call; leave it for the handler to report
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()


def install(app: Flask) -> None:
    """Put the filter on the app's logger and on the servers' request loggers (once each)."""
    for logger in (app.logger, *(logging.getLogger(name) for name in ACCESS_LOGGERS)):
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(_FILTER)
