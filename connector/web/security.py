"""Small cross-cutting guards: the admin login, CSRF tokens on every form, signed portal links.

CSRF: one random token per browser session, put in every form by `csrf_field()` and checked
with a constant-time compare on every POST that changes something. The portal's links are
signed with the app's secret key and carry their issue time, so a link expires and a tampered
one is refused; they are made in `connector.store.portal_links`, since the worker e-mails them.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for
from markupsafe import Markup, escape

from connector.store.db import transaction
from connector.store.portal_links import (  # noqa: F401 - the portal's names, made in the store
    PORTAL_LINK_DAYS,
    LinkRefused,
    portal_token,
    read_portal_token,
)

from . import admin_sessions
from .resources import resources

F = TypeVar("F", bound=Callable[..., Any])


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf" value="{}">').format(escape(csrf_token()))


def check_csrf() -> None:
    """Abort with 400 unless the form carries this session's CSRF token."""
    expected = session.get("csrf")
    given = request.form.get("csrf", "")
    if not expected or not secrets.compare_digest(str(expected).encode(), given.encode()):
        abort(400, description="The form has expired or did not come from this site. Reload the page and try again.")


def same_origin_path(target: str | None, fallback: str = "/") -> str:
    """`target` when it is a path on this site, else `fallback` (no open redirect after sign-in).

    Browsers forgive a lot when they read a Location: they drop tabs and newlines, read `\\` as
    `/`, and take `//host/...` as another site. So any control, whitespace or format character
    or backslash refuses the target, and what is left must parse (as a browser would) to a
    path with no scheme and no host that starts with a single `/`."""
    if not target or any(c == "\\" or c.isspace() or unicodedata.category(c)[0] == "C"
                         for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return fallback
    return target


def sign_in() -> None:
    """Start a server-side admin session for this browser (a fresh cookie, a fresh CSRF token)."""
    res = resources()
    session.clear()
    with transaction(res.sessions) as db:
        admin_sessions.sweep(db, res.session_idle, res.session_lifetime)
        session["sid"] = admin_sessions.start(db)
    g.signed_in = True
    csrf_token()


def sign_out() -> None:
    """End this browser's admin session on the server, so a kept copy of the cookie is useless."""
    sid = session.get("sid")
    if sid:
        with transaction(resources().sessions) as db:
            admin_sessions.end(db, str(sid))
    session.clear()
    g.signed_in = False


def signed_in() -> bool:
    """Whether this request comes from a live admin session (checked once per request)."""
    if "signed_in" not in g:
        sid = session.get("sid")
        alive = False
        if sid:
            res = resources()
            with transaction(res.sessions) as db:
                alive = admin_sessions.alive(db, str(sid), res.session_idle, res.session_lifetime)
            if not alive:
                session.clear()
        g.signed_in = alive
    return bool(g.signed_in)


def login_required(view: F) -> F:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not signed_in():
            return redirect(url_for("admin.login", next=request.full_path))
        if request.method == "POST":
            check_csrf()
        return view(*args, **kwargs)

    return cast(F, guarded)
