"""The OAuth install flows in the browser: Connect to QuickBooks / Xero, and their callbacks.

The `state` sent to the platform is random, single use and remembered in the admin's own
session (with the PKCE verifier for Xero), so a callback whose state is missing, already used,
or issued to another session is refused with a page that says so, and nothing is saved.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from connector.platforms import PLATFORMS, install
from connector.platforms.errors import PlatformError
from connector.store.db import transaction

from . import connections
from .oauth_states import consume_state, issue_state
from .resources import resources
from .security import current_user, requires

log = logging.getLogger(__name__)
blueprint = Blueprint("oauth", __name__, url_prefix="/oauth")


def xero_scopes() -> tuple[str, ...]:
    """What `[xero] scopes` asks for: granular scopes, or the broad set for older apps."""
    return install.xero_scopes(broad=resources().xero_scopes_broad)


def _binding() -> str:
    """This browser session's random id, which every state it starts is bound to."""
    binding = session.get("oauth_binding")
    if not binding:
        binding = session["oauth_binding"] = secrets.token_urlsafe(24)
    return str(binding)


def remember_state(platform: str, verifier: str | None) -> str:
    with transaction(resources().sessions) as db:
        return issue_state(db, platform, _binding(), verifier)


def take_state(platform: str, state: str | None) -> dict[str, Any] | None:
    """The pending flow for this state, removed so it can never be used again."""
    binding = session.get("oauth_binding")
    if not state or not binding:
        return None
    with transaction(resources().sessions) as db:
        ok, verifier = consume_state(db, state, platform, str(binding))
    return {"verifier": verifier} if ok else None


def authorization_url(platform: str) -> str:
    """Start a flow for the signed-in admin: the platform's consent URL."""
    res = resources()
    qb, xero = res.endpoints()
    if platform == "quickbooks":
        state = remember_state(platform, None)
        return install.quickbooks_authorization_url(qb, res.redirect_uri(platform), state)
    verifier = secrets.token_urlsafe(48)
    state = remember_state(platform, verifier)
    return install.xero_authorization_url(xero, res.redirect_uri(platform), state, verifier, xero_scopes())


@blueprint.post("/<platform>/connect")
@requires("admin")
def connect(platform: str) -> Any:
    if platform not in PLATFORMS:
        abort(404)
    try:
        return redirect(authorization_url(platform))
    except (PlatformError, OSError) as error:
        return _refused(f"Cannot reach {platform.title()} to start the connection: {error}", 502)


def _refused(message: str, status: int = 400) -> Any:
    return render_template("message.html", title="Connection refused", message=message), status


@blueprint.get("/<platform>/callback")
def callback(platform: str) -> Any:
    if platform not in PLATFORMS:
        abort(404)
    state = request.args.get("state")
    if not state:
        return _refused("This authorization response has no state, so Milepost cannot tell who "
                        "asked for it. Nothing was connected; start again from the admin page.")
    flow = take_state(platform, state)
    if flow is None:
        return _refused("This authorization response was already used, has expired, or was not "
                        "started from this browser session. Nothing was connected; start again "
                        "from the admin page.")
    person = current_user()
    if person is None or not person.may("admin"):
        return _refused("Sign in to the admin app as an admin before connecting a company.", 403)
    if request.args.get("error"):
        return _refused(f"{platform.title()} did not grant access "
                        f"({request.args.get('error')}). Nothing was connected.")
    return _complete(platform, flow, person.organisation_id)


def _complete(platform: str, flow: dict[str, Any], organisation_id: int) -> Any:
    """Save the company (or companies) the consent reached as the admin's organisation's."""
    res = resources()
    qb, xero = res.endpoints()
    code = request.args.get("code", "")
    try:
        if platform == "quickbooks":
            realm = request.args.get("realmId", "")
            if not realm:
                return _refused("QuickBooks did not say which company was chosen (no realmId).")
            done = connections.install_quickbooks(
                res.sessions, qb, res.cipher(), res.redirect_uri(platform), code, realm,
                organisation_id=organisation_id)
        else:
            done = connections.install_xero(
                res.sessions, xero, res.cipher(), res.redirect_uri(platform), code,
                str(flow.get("verifier") or ""), xero_scopes(), organisation_id=organisation_id)
    except PlatformError as error:
        log.warning("install of %s failed: %s", platform, error)
        return _refused(f"{platform.title()} refused the connection: {error.message}", 502)
    except connections.AnothersCompany as error:
        return _refused(f"{error}.", 409)
    for view, created in done:
        flash(f"{'Connected' if created else 'Reconnected'} {view.name} ({view.platform}).")
    return redirect(url_for("admin.dashboard"))


@blueprint.get("/quickbooks/disconnected")
def quickbooks_disconnected() -> Any:
    """QuickBooks' Disconnect landing URL: where Intuit sends a user who disconnected the app
    from inside QuickBooks. The connection is marked `disconnected` once Intuit confirms the
    grant is gone (`connections.quickbooks_disconnected`); its intents wait for a reconnect."""
    res = resources()
    realm = request.args.get("realmId", "")
    found = connections.quickbooks_disconnected(res.sessions, realm, res.endpoints()[0], res.cipher())
    return render_template("disconnected.html", connection=found)
