"""`/healthz` and `/readyz`: what a load balancer or process manager asks before sending work.

`/healthz` says the process is up and serving: no database, no Redis, nothing that could be
slow, always `200 {"status": "ok"}` (a failing one means restart the process). `/readyz` says
whether it can do its work now: the database answers a `SELECT 1` and, in scale-out mode
(`[worker] broker_url` or REDIS_URL set), Redis answers a PING. Ready is
`200 {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}`; otherwise 503 with
`"status": "unavailable"` and each failed check `"unreachable"` (taken out of rotation, not
restarted). The answers name the check, never a URL, host or password; the reason goes to the
log. Neither needs a sign-in, an API key or a CSRF token, and neither counts against a rate
limit; the request line is not logged (`request_log.UNLOGGED`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .resources import resources

OK, UNREACHABLE = "ok", "unreachable"
REDIS_TIMEOUT_SECONDS = 2.0
_URL_PASSWORD = re.compile(r"(//[^/:@\s]*:)[^@\s]*@")
log = logging.getLogger("milepost.web.health")
blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Any:
    return {"status": OK}


@blueprint.get("/readyz")
def readyz() -> Any:
    res = resources()
    checks = {"database": database_check(res.engine)}
    if res.settings.worker.scale_out:
        checks["redis"] = redis_check(res.settings.worker.broker_url)
    ready = all(state == OK for state in checks.values())
    return {"status": OK if ready else "unavailable", "checks": checks}, 200 if ready else 503


def database_check(engine: Any) -> str:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("not ready: the database is unreachable (%s)", _reason(error))
        return UNREACHABLE
    return OK


def redis_check(url: str) -> str:
    import redis  # the web process needs it only here, in scale-out mode

    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        log.warning("not ready: Redis is unreachable (%s)", _reason(error))
        return UNREACHABLE
    finally:
        client.close()
    return OK


def _reason(error: BaseException) -> str:
    """The driver's first line (a host and port; a URL's password, should one be quoted,
    replaced by [redacted])."""
    cause = getattr(error, "orig", None) or error
    first = _URL_PASSWORD.sub(r"\1[redacted]@", (str(cause).strip().splitlines() or [""])[0])
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__
