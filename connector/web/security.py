"""Small cross-cutting guards: who is signed in and what their role allows, CSRF tokens on every
form, signed portal links.

Every admin view says the least role it needs with `requires(role)` (`login_required` is
`requires("viewer")`). Whatever a view says, a viewer's POST, PUT, PATCH or DELETE is refused
with 403 unless the view was declared `changes_nothing` (signing out), so a new view that
forgets to name a role is still read-only for viewers; `tests/integration/web/test_roles.py`
walks every route to hold that. Pages ask `may(endpoint)` (a Jinja global) before drawing a
control, so a button is shown to exactly the people its route lets through, with no role named
twice; `tests/integration/web/test_controls_by_role.py` holds that.

CSRF: one random token per browser session, put in every form by `csrf_field()` and checked
with a constant-time compare on every POST that changes something. The portal's links are
signed with the app's secret key and carry their issue time, so a link expires and a tampered
one is refused; they are made in `connector.store.portal_links`, since the worker e-mails them.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from connector.store import people
from connector.store.db import transaction
from connector.store.models import UserRow
from connector.store.organisations import Organisation
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


@dataclass(frozen=True)
class Person:
    """The signed-in user as a request sees them (read once per request from the store)."""

    id: int
    email: str
    name: str
    role: str
    organisation_id: int

    @property
    def actor(self) -> str:
        """How the audit trail names them: "Ana Díaz <ana@example.com>", or the e-mail alone."""
        label = f"{self.name} <{self.email}>" if self.name else self.email
        return label[:200]

    def may(self, role: str) -> bool:
        return people.allows(self.role, role)

    @property
    def read_only(self) -> bool:
        """Whether every change is refused to them (the pages say so once, at the top)."""
        return not self.may(CHANGES_NEED)


def _person(row: UserRow) -> Person:
    return Person(row.id, row.email, row.name, row.role, row.organisation_id)


def sign_in(db: Session, user: UserRow) -> None:
    """Start a server-side session for this user in this browser (a fresh cookie and CSRF
    token), written through `db`, the session `user` was read from; the caller commits."""
    res = resources()
    session.clear()
    admin_sessions.sweep(db, res.session_idle, res.session_lifetime)
    session["sid"] = admin_sessions.start(db, user.id)
    people.signed_in_now(user)
    g.user = _person(user)
    csrf_token()


def sign_out() -> None:
    """End this browser's session on the server, so a kept copy of the cookie is useless."""
    sid = session.get("sid")
    if sid:
        with transaction(resources().sessions) as db:
            admin_sessions.end(db, str(sid))
    session.clear()
    g.user = None


def current_user() -> Person | None:
    """The person this request comes from, if a live session says so (checked once per request)."""
    if "user" not in g:
        sid = session.get("sid")
        found = None
        if sid:
            res = resources()
            with transaction(res.sessions) as db:
                user_id = admin_sessions.alive(db, str(sid), res.session_idle, res.session_lifetime)
                row = db.get(UserRow, user_id) if user_id is not None else None
                found = _person(row) if row is not None else None
            if found is None:
                session.clear()
        g.user = found
    return cast(Person | None, g.user)


def organisation(db: Session) -> Organisation:
    """The signed-in user's organisation: every list and read on a page goes through it."""
    person = current_user()
    if person is None:  # every caller is behind requires()
        abort(403)
    return Organisation(db, person.organisation_id)


def signed_in() -> bool:
    return current_user() is not None


def actor() -> str:
    """Who the audit trail says did what this request does."""
    person = current_user()
    return person.actor if person is not None else "anonymous"


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHANGES_NEED = "bookkeeper"  # the least role that may change anything, whatever a view declares


def requires(role: str, *, changes_nothing: bool = False) -> Callable[[F], F]:
    """Sign-in, role and CSRF checks for an admin view.

    Anyone not signed in is sent to the sign-in page; a signed-in user whose role is below
    `role` gets 403. A request that can change something (not GET/HEAD/OPTIONS) also needs at
    least a bookkeeper unless `changes_nothing`, and a valid CSRF token."""
    people.check_role(role)

    def wrap(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            person = current_user()
            if person is None:
                return redirect(url_for("admin.login", next=request.full_path))
            changing = request.method not in SAFE_METHODS
            if not person.may(role) or (changing and not changes_nothing and not person.may(CHANGES_NEED)):
                abort(403, description=f"Your role ({person.role}) cannot do this; ask an admin.")
            if changing:
                check_csrf()
            return view(*args, **kwargs)

        guarded.milepost_role = role  # type: ignore[attr-defined]
        guarded.milepost_changes_nothing = changes_nothing  # type: ignore[attr-defined]
        return cast(F, guarded)

    return wrap


def role_for(endpoint: str, method: str = "POST") -> str | None:
    """The least role `requires` lets through to `endpoint` with `method`, or None when the
    endpoint names no role (public, or checked inside the view)."""
    view = current_app.view_functions.get(endpoint)
    if view is None:  # a misspelt endpoint would hide its control silently
        raise LookupError(f"no endpoint {endpoint!r} to check a role against")
    role: str | None = getattr(view, "milepost_role", None)
    if role is None or method.upper() in SAFE_METHODS or getattr(view, "milepost_changes_nothing", False):
        return role
    return role if people.allows(role, CHANGES_NEED) else CHANGES_NEED


def may(endpoint: str, method: str = "POST") -> bool:
    """Whether the signed-in user would be let through to `endpoint` with `method`: what a page
    asks before drawing a form or button (POST, the default) or a link to a page (GET).

    An endpoint that declares no role answers False, so a control is never drawn on a guess."""
    person = current_user()
    role = role_for(endpoint, method)
    return person is not None and role is not None and person.may(role)


login_required = requires("viewer")
