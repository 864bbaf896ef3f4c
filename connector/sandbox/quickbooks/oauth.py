"""Intuit's OAuth 2.0 and OpenID endpoints, as intuit-oauth 1.2.6 uses them.

intuit-oauth fetches the discovery document in its constructor and then follows it, so the
discovery URL is the only thing a client configures. Refresh tokens rotate about once a day,
as Intuit's do: a refresh within 24 hours of the token's issue answers with the same refresh
token (so it keeps working, and two workers refreshing at once both succeed); the first
refresh after that issues a new one, and from then on the old one is refused with
``invalid_grant``, which is how a connector that forgets to persist the new token finds out
before production does.

OpenID Connect: the discovery document names Intuit's issuer path (`.../op/v1`, as
`https://oauth.platform.intuit.com/op/v1`) and its JWKS (`.../op/v1/jwks`); when `openid` was
granted, the token answer carries an id_token signed RS256 for the person signed in at the
sandbox (`connector/sandbox/openid.py`), with the authorize request's `nonce` and `aud` as a
list (Intuit's shape, which intuit-oauth reads as `aud[0]`). Userinfo answers in Intuit's
camelCase (`emailVerified`, `givenName`, `familyName`).
"""

from __future__ import annotations

import base64
import html
import secrets
import uuid
from urllib.parse import urlencode, urlparse

from flask import Blueprint, Response, current_app, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from .. import openid
from ..faults import drop_connection
from ..state import SandboxState, current_state
from .books import Grant

ACCESS_SECONDS = 3600
REFRESH_SECONDS = 8726400  # 101 days, what Intuit reports in x_refresh_token_expires_in
ROTATE_SECONDS = 24 * 3600  # how long one refresh token value is handed out again
CODE_SECONDS = 600
PREFIX = "/quickbooks"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    answer = jsonify({"error": error, "error_description": description})
    answer.status_code = status
    return answer


def _client_ok(state: SandboxState) -> bool:
    """Check the Basic credentials intuit-oauth sends on the token and revoke endpoints."""
    app = state.apps["quickbooks"]
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return False
    return secrets.compare_digest(client_id, app["client_id"]) and \
        secrets.compare_digest(secret, app["client_secret"])


def redirect_allowed(state: SandboxState, uri: str) -> bool:
    """Any loopback redirect URI is fine for a registered client, plus any registered one."""
    parsed = urlparse(uri)
    if parsed.scheme in ("http", "https") and parsed.hostname in LOOPBACK_HOSTS:
        return True
    return uri in state.apps["quickbooks"].get("redirect_uris", [])


def issue_grant(state: SandboxState, client_id: str, realm_id: str, scope: str) -> Grant:
    now = state.clock.timestamp()
    grant = Grant(client_id=client_id, realm_id=realm_id,
                  access_token="eyJ" + secrets.token_urlsafe(48),
                  access_expires=now + ACCESS_SECONDS,
                  refresh_token="AB11" + secrets.token_urlsafe(36),
                  refresh_expires=now + REFRESH_SECONDS, scope=scope, refresh_issued=now)
    state.quickbooks.add_grant(grant)
    return grant


def issuer() -> str:
    return request.host_url.rstrip("/") + PREFIX + "/op/v1"


def _token_answer(grant: Grant, id_token: str | None = None) -> Response:
    body = {"token_type": "bearer", "access_token": grant.access_token,
            "refresh_token": grant.refresh_token, "expires_in": ACCESS_SECONDS,
            "x_refresh_token_expires_in": REFRESH_SECONDS}
    if id_token:
        body["id_token"] = id_token
    return jsonify(body)


def _code_redirect(state: SandboxState, args: dict, realm_id: str) -> BaseResponse:
    code = "AB11" + secrets.token_urlsafe(30)
    state.quickbooks.codes[code] = {
        "client_id": args["client_id"], "redirect_uri": args["redirect_uri"],
        "realm_id": realm_id, "scope": args.get("scope", ""), "nonce": args.get("nonce"),
        "person": dict(state.people["quickbooks"]),
        "expires": state.clock.timestamp() + CODE_SECONDS}
    query = urlencode({"code": code, "state": args.get("state", ""), "realmId": realm_id})
    separator = "&" if "?" in args["redirect_uri"] else "?"
    return redirect(f"{args['redirect_uri']}{separator}{query}", code=302)


def _consent_page(state: SandboxState, args: dict) -> str:
    options = "".join(
        f'<label><input type="radio" name="realm_id" value="{html.escape(c.realm_id)}"'
        f'{" checked" if i == 0 else ""}> {html.escape(c.name)} ({c.currency})</label><br>'
        for i, c in enumerate(state.quickbooks.companies.values()))
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in args.items() if k != "realm_hint")
    who = html.escape(state.people["quickbooks"]["email"])
    return (
        "<!doctype html><html lang=\"en\"><head><title>Intuit (sandbox) - Connect</title></head><body>"
        "<h1>Connect to Milepost?</h1><p>This is the Milepost sandbox standing in for "
        f"QuickBooks Online. Signed in to Intuit as <strong id=\"who\">{who}</strong>. "
        "Choose the company to connect.</p>"
        f'<form method="post" action="{PREFIX}/connect/oauth2/consent">{options}{hidden}'
        '<button type="submit" name="decision" value="connect">Connect</button> '
        '<button type="submit" name="decision" value="deny">Cancel</button></form></body></html>')


def oauth_blueprint() -> Blueprint:
    bp = Blueprint("quickbooks_oauth", __name__, url_prefix=PREFIX)

    @bp.after_request
    def tag(answer: Response) -> Response:
        answer.headers["intuit_tid"] = "1-" + uuid.uuid4().hex[:24]
        return answer

    @bp.get("/.well-known/openid_configuration")
    def discovery():  # type: ignore[no-untyped-def]
        base = request.host_url.rstrip("/") + PREFIX
        return jsonify({
            "issuer": issuer(), "authorization_endpoint": base + "/connect/oauth2",
            "token_endpoint": base + "/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": base + "/v1/openid_connect/userinfo",
            "revocation_endpoint": base + "/oauth2/v1/tokens/revoke",
            "jwks_uri": issuer() + "/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone",
                                 "com.intuit.quickbooks.accounting",
                                 "com.intuit.quickbooks.payment"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub", "email",
                                 "email_verified", "nonce"]})

    @bp.get("/op/v1/jwks")
    def keys():  # type: ignore[no-untyped-def]
        return jsonify(openid.jwks())

    @bp.get("/connect/oauth2")
    def authorize():  # type: ignore[no-untyped-def]
        state = current_state()
        args = request.args.to_dict()
        if args.get("client_id") != state.apps["quickbooks"]["client_id"]:
            return Response("invalid client_id", status=400)
        if args.get("response_type") != "code" or not args.get("scope"):
            return Response("response_type=code and a scope are required", status=400)
        if not redirect_allowed(state, args.get("redirect_uri", "")):
            return Response("redirect_uri is not registered for this app", status=400)
        hint = args.get("realm_hint")
        if current_app.config.get("SANDBOX_AUTO_CONSENT"):
            realm = hint if hint and hint in state.quickbooks.companies else \
                next(iter(state.quickbooks.companies))
            with state.lock:
                return _code_redirect(state, args, realm)
        return Response(_consent_page(state, args), mimetype="text/html")

    @bp.post("/connect/oauth2/consent")
    def consent():  # type: ignore[no-untyped-def]
        state = current_state()
        form = request.form.to_dict()
        if form.get("client_id") != state.apps["quickbooks"]["client_id"] or \
                not redirect_allowed(state, form.get("redirect_uri", "")):
            return Response("invalid request", status=400)
        if form.pop("decision", "") != "connect":
            query = urlencode({"error": "access_denied", "state": form.get("state", "")})
            return redirect(f"{form['redirect_uri']}?{query}", code=302)
        realm = form.pop("realm_id", "")
        if realm not in state.quickbooks.companies:
            return Response("unknown company", status=400)
        with state.lock:
            return _code_redirect(state, form, realm)

    @bp.post("/oauth2/v1/tokens/bearer")
    def token():  # type: ignore[no-untyped-def]
        state = current_state()
        state.count("quickbooks", "oauth", "POST token")
        fault = state.faults.before("quickbooks", "oauth", "POST token")
        if fault is not None and fault.status is not None:
            return _oauth_error("server_error", "The service is temporarily unavailable",
                                fault.status)
        if fault is not None and fault.kind == "drop":
            return drop_connection()
        if not _client_ok(state):
            return _oauth_error("invalid_client", "Client authentication failed", 401)
        grant_type = request.form.get("grant_type")
        with state.lock:
            if grant_type == "authorization_code":
                return _exchange_code(state)
            if grant_type == "refresh_token":
                return _refresh(state)
        return _oauth_error("unsupported_grant_type", f"grant_type {grant_type!r}")

    @bp.post("/oauth2/v1/tokens/revoke")
    def revoke():  # type: ignore[no-untyped-def]
        state = current_state()
        if not _client_ok(state):
            return _oauth_error("invalid_client", "Client authentication failed", 401)
        body = request.get_json(silent=True) or {}
        token = body.get("token") or request.form.get("token")
        if not token:
            return _oauth_error("invalid_request", "token is required")
        with state.lock:
            state.quickbooks.revoke(token=token)
        return Response(b"", status=200)

    @bp.get("/v1/openid_connect/userinfo")
    def userinfo():  # type: ignore[no-untyped-def]
        state = current_state()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        grant = state.quickbooks.access_index.get(token)
        if grant is None or grant.revoked or grant.access_expires <= state.clock.timestamp():
            return _oauth_error("invalid_token", "access token invalid or expired", 401)
        person = grant.person or state.people["quickbooks"]
        return jsonify({"sub": openid.subject("quickbooks", person["email"]),
                        "email": person["email"], "emailVerified": bool(person["email_verified"]),
                        "givenName": person.get("given_name", ""),
                        "familyName": person.get("family_name", "")})

    return bp


def _exchange_code(state: SandboxState) -> Response:
    code = state.quickbooks.codes.pop(request.form.get("code", ""), None)
    if code is None or code["expires"] <= state.clock.timestamp():
        return _oauth_error("invalid_grant", "Invalid authorization code")
    if code["redirect_uri"] != request.form.get("redirect_uri"):
        return _oauth_error("invalid_grant", "redirect_uri does not match the authorize request")
    grant = issue_grant(state, code["client_id"], code["realm_id"], code["scope"])
    grant.person = code.get("person")
    id_token = None
    if "openid" in code["scope"].split() and grant.person:
        id_token = openid.id_token(issuer=issuer(), audience=[code["client_id"]], person=grant.person,
                                   service="quickbooks", nonce=code.get("nonce"),
                                   extra={"realmid": code["realm_id"]})
    return _token_answer(grant, id_token)


def _refresh(state: SandboxState) -> Response:
    books = state.quickbooks
    old = request.form.get("refresh_token", "")
    grant = books.refresh_index.get(old)
    if grant is None or grant.revoked or grant.refresh_token != old or \
            grant.refresh_expires <= state.clock.timestamp():
        return _oauth_error("invalid_grant", "Incorrect or invalid refresh token")
    books.access_index.pop(grant.access_token, None)
    now = state.clock.timestamp()
    grant.access_token = "eyJ" + secrets.token_urlsafe(48)
    grant.access_expires = now + ACCESS_SECONDS
    if now - grant.refresh_issued >= ROTATE_SECONDS:
        grant.used_refresh_tokens.append(old)
        books.refresh_index.pop(old, None)
        grant.refresh_token = "AB11" + secrets.token_urlsafe(36)
        grant.refresh_issued = now
    grant.refresh_expires = now + REFRESH_SECONDS  # rolling: every use extends it
    books.access_index[grant.access_token] = grant
    books.refresh_index[grant.refresh_token] = grant
    return _token_answer(grant)
