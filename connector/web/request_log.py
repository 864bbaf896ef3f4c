"""A request id for every request, on every line it logs, and one line per request.

The id is the caller's `X-Request-ID` when it is a plain token (a proxy or load balancer that
sets one keeps its id end to end), else a new random one; the answer echoes it in
`X-Request-ID`, so a user reporting a failed page can quote it. While the request runs, every
line logged carries it (`connector.logs.bound`), the platform's request id too when a platform
was called.

The app writes the request line itself (`milepost.web.access`: method, path, status,
milliseconds), inside the request so it carries the id; gunicorn's own access log is off and
werkzeug's (with its terminal colours) is held at WARNING (`connector.logs.QUIET`). The path
is redacted first (`redaction.redact`), so a portal link's token is never written. Health
probes (`/healthz`, `/readyz`) are answered without a line: a load balancer asks every few
seconds.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextlib import ExitStack

from flask import Flask, Response, g, request

from connector import logs

from .redaction import redact

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")  # no spaces, quotes or controls
UNLOGGED = ("/healthz", "/readyz")
access = logging.getLogger("milepost.web.access")


def request_id(given: str | None) -> str:
    """The caller's id when it is a plain token of at most 128 characters, else a new one."""
    if given and _ACCEPTED.fullmatch(given):
        return given
    return uuid.uuid4().hex


def _begin() -> None:
    g.request_id = request_id(request.headers.get(HEADER))
    g.request_started = time.monotonic()
    g.request_log = ExitStack()
    g.request_log.enter_context(logs.bound(request_id=g.request_id))


def _answer(response: Response) -> Response:
    rid = g.get("request_id")
    if rid is None:  # a request that failed before `_begin` ran
        return response
    response.headers[HEADER] = rid
    if request.path not in UNLOGGED:
        took = round((time.monotonic() - g.request_started) * 1000)
        path, status = redact(request.path), response.status_code
        access.log(logging.WARNING if status >= 500 else logging.INFO,
                   "%s %s %s (%d ms)", request.method, path, status, took,
                   extra={"method": request.method, "path": path, "status": status, "duration_ms": took})
    return response


def _end(_error: BaseException | None) -> None:
    stack = g.pop("request_log", None)
    if stack is not None:
        stack.close()


def install(app: Flask) -> None:
    """Ids and request lines for every request of `app` (registered before other hooks, so
    theirs run inside the request's fields)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_answer)
    app.teardown_request(_end)
