"""Sign in with Intuit, Sign in with Xero, and the QuickBooks Launch URL.

    GET /signin/intuit | /signin/xero     start OpenID Connect at the provider
    GET /signin/PROVIDER/callback         verify the answer, sign the matching user in
    GET /launch/quickbooks                QuickBooks' Launch URL: straight into Sign in with Intuit

The flow's `state` is a single-use row bound to this browser (`oauth_states`, as for connecting
a company); one random secret kept with it is the PKCE verifier (Xero) and, hashed, the
`nonce` the id_token must carry back, so neither is ever in the cookie. The person is matched
to a Milepost user by the e-mail the provider says it has verified; an unknown or unverified
e-mail is refused with a page saying what to do. Nobody gets an account by signing in: an
admin adds people first (`milepost user add`, or the Users page), which is the invitation.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from connector.platforms.errors import PlatformError
from connector.platforms.openid import (
    PROVIDERS,
    SignInRefused,
    authorization_url,
    identify,
    provider_for,
)
from connector.store import people
from connector.store.db import transaction

from .oauth import remember_state, take_state
from .resources import resources
from .security import same_origin_path, sign_in

log = logging.getLogger(__name__)
blueprint = Blueprint("signin", __name__)


def _nonce(secret: str) -> str:
    """The nonce the id_token must carry: derived from the flow's secret, never stored apart."""
    digest = hashlib.sha256(b"milepost-oidc-nonce:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _redirect_uri(provider: str) -> str:
    base = resources().settings.app.base_url.rstrip("/")
    path = url_for("signin.callback", provider=provider)
    return f"{base}{path}" if base else url_for("signin.callback", provider=provider, _external=True)


def _refused(message: str, status: int = 403) -> Any:
    return render_template("message.html", title="Not signed in", message=message,
                           back=url_for("admin.login")), status


@blueprint.get("/signin/<provider>")
def start(provider: str) -> Any:
    if provider not in PROVIDERS:
        abort(404)
    res = resources()
    secret = secrets.token_urlsafe(48)
    session["signin_next"] = same_origin_path(request.args.get("next"), "")
    try:
        chosen = provider_for(provider, *res.endpoints())
        state = remember_state(f"signin:{provider}", secret)
        return redirect(authorization_url(chosen, _redirect_uri(provider), state, _nonce(secret), secret))
    except (SignInRefused, PlatformError, OSError) as error:
        return _refused(f"Cannot start Sign in with {PROVIDERS[provider]}: {error}", 502)


@blueprint.get("/launch/quickbooks")
def launch_quickbooks() -> Any:
    """The Launch URL registered with Intuit: a QuickBooks user opening Milepost from their
    Apps list is signed in with Intuit, not shown a password page."""
    return start("intuit")


@blueprint.get("/signin/<provider>/callback")
def callback(provider: str) -> Any:
    if provider not in PROVIDERS:
        abort(404)
    title = PROVIDERS[provider]
    flow = take_state(f"signin:{provider}", request.args.get("state"))
    if flow is None:
        return _refused("This sign-in answer was already used, has expired, or was not started "
                        "from this browser. Start again from the sign-in page.", 400)
    if request.args.get("error"):
        return _refused(f"{title} did not sign you in ({request.args.get('error', '')[:60]}).", 403)
    secret = str(flow.get("verifier") or "")
    res = resources()
    try:
        identity = identify(provider_for(provider, *res.endpoints()), _redirect_uri(provider),
                            request.args.get("code", ""), _nonce(secret), secret)
    except (SignInRefused, PlatformError, OSError) as error:
        log.warning("sign-in with %s refused: %s", provider, error)
        return _refused(str(error))
    if not identity.email_verified:
        return _refused(f"{title} has not verified {identity.email}. Verify it in your {title} "
                        "account, then sign in again (or use your Milepost password).")
    wanted = session.get("signin_next") or None
    with transaction(res.sessions) as db:
        user = people.find_user(db, identity.email)
        if user is not None:
            if not user.name and identity.name:
                user.name = identity.name
            sign_in(db, user)
    if user is None:
        return _refused(f"There is no Milepost account for {identity.email}. Ask an admin to add "
                        "you on the Users page (or `milepost user add`), then sign in again.")
    return redirect(same_origin_path(wanted, url_for("admin.dashboard")))
