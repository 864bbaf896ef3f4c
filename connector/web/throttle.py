"""Sign-in throttling: failed attempts counted per client address and per account (e-mail).

Flask-Limiter does the counting (in memory, or in Redis with `[app] rate_limit_storage_url`
so every web process shares the counts). Only failed attempts count (a sign-in that does not
redirect), and once a limit is reached the page answers 429 for every attempt, the right
password included, until the window passes. The per-account limit is what stops a guesser
spread over many addresses; the per-address limit, lower, keeps one guesser from using up the
account's budget alone. Each app gets its own Limiter, so apps in one process (tests) never
share counts unless they share a Redis.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from connector.config import Settings

MESSAGE = "Too many sign-in attempts. Wait a few minutes, then try again."


def _failed(response: Response) -> bool:
    return response.status_code != 302


def _account() -> str:
    """The account being guessed at: the e-mail typed, as the store compares it."""
    return "account:" + request.form.get("email", "").strip().lower()[:320]


def install(app: Flask, settings: Settings, endpoint: str = "admin.login") -> Limiter:
    """Throttle POSTs to the sign-in view; returns the app's Limiter."""
    limiter = Limiter(
        get_remote_address, app=app, default_limits=[], headers_enabled=False,
        storage_uri=settings.app.rate_limit_storage_url or "memory://",
    )
    view = app.view_functions[endpoint]
    per_account = limiter.limit(settings.app.login_limits_per_account, key_func=_account,
                                methods=["POST"], deduct_when=_failed, error_message=MESSAGE)
    per_address = limiter.limit(settings.app.login_limits_per_address, methods=["POST"],
                                deduct_when=_failed, error_message=MESSAGE)
    app.view_functions[endpoint] = cast(Any, per_address(per_account(view)))
    return limiter
