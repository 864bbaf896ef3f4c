"""Xero's identity service: authorize (with PKCE), token, revocation and connections.

One consent (a grant) connects the app to one or more organisations. The token endpoint
answers with exactly the six keys xero-python's `OAuth2Token.update_token` accepts; a refresh
token rotates on use, but Xero honours the previous one for a 30-minute grace period, answering
it with the same new token pair (a client that lost the answer can ask again); after that it
fails with `invalid_grant`. Access tokens carry the scopes they were granted with and
live 30 minutes and refresh tokens 60 days, on the sandbox clock. Client credentials may come
in a Basic header (Authlib's default) or in the form body (xero-python's refresh). Any
loopback redirect URI is accepted for the sandbox's registered client.

OpenID Connect as identity.xero.com serves it: the discovery document at
`/.well-known/openid-configuration` (the sandbox's root is the issuer, as
`https://identity.xero.com` is Xero's), the JWKS at `.../openid-configuration/jwks`, userinfo at
`/connect/userinfo`, and an id_token signed RS256 for the person signed in at the sandbox
(`connector/sandbox/openid.py`), carrying the authorize request's `nonce`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from datetime import timedelta
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, current_app, redirect, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from connector.sandbox import openid
from connector.sandbox.state import current_state
from connector.sandbox.xero.books import XeroState, new_id
from connector.sandbox.xero.wire import correlated

ACCESS_TOKEN_SECONDS = 1800
REFRESH_TOKEN_DAYS = 60
CODE_SECONDS = 300
REFRESH_GRACE = timedelta(minutes=30)
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def _oauth_error(error: str, status: int = 400) -> Response:
    return Response(json.dumps({"error": error}), status=status, mimetype="application/json")


def _client_ok(client_id: str | None, secret: str | None, *, public_allowed: bool) -> bool:
    app = current_state().apps["xero"]
    if not client_id or not hmac.compare_digest(client_id, app["client_id"]):
        return False
    if secret is None:
        return public_allowed
    return hmac.compare_digest(secret, app["client_secret"])


def _client_credentials() -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            pair = base64.b64decode(header[6:]).decode()
        except ValueError:
            return None, None
        client_id, _, secret = pair.partition(":")
        return client_id, secret
    return request.form.get("client_id"), request.form.get("client_secret")


def loopback(uri: str | None) -> bool:
    parts = urlsplit(uri or "")
    return parts.scheme in ("http", "https") and (parts.hostname or "") in _LOOPBACK + ("::1",)


def _issue_tokens(xero: XeroState, grant_id: str, scope: str) -> dict[str, Any]:
    """New access + refresh tokens for a grant, in the six-key shape."""
    now = current_state().clock.now()
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    xero.access_tokens[access] = {"grant_id": grant_id, "scope": scope,
                                  "expires_at": now + timedelta(seconds=ACCESS_TOKEN_SECONDS)}
    xero.refresh_tokens[refresh] = {"grant_id": grant_id, "used": False,
                                    "expires_at": now + timedelta(days=REFRESH_TOKEN_DAYS)}
    grant = xero.grants[grant_id]
    person = grant.get("person") or current_state().people["xero"]
    id_token = openid.id_token(issuer=issuer(), audience=current_state().apps["xero"]["client_id"],
                               person=person, service="xero", nonce=grant.get("nonce"),
                               extra={"xero_userid": grant["user_id"],
                                      "preferred_username": person["email"]})
    return {"id_token": id_token, "access_token": access,
            "expires_in": ACCESS_TOKEN_SECONDS, "token_type": "Bearer",
            "refresh_token": refresh, "scope": scope}


def issuer() -> str:
    return request.host_url.rstrip("/")


def discovery() -> Response:
    base = issuer()
    return _json({
        "issuer": base, "authorization_endpoint": base + "/identity/connect/authorize",
        "token_endpoint": base + "/connect/token", "userinfo_endpoint": base + "/connect/userinfo",
        "revocation_endpoint": base + "/connect/revocation",
        "jwks_uri": base + "/.well-known/openid-configuration/jwks",
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "response_types_supported": ["code"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "claims_supported": ["sub", "email", "email_verified", "given_name", "family_name",
                             "xero_userid", "nonce"]})


def jwks() -> Response:
    return _json(openid.jwks())


def userinfo() -> Response:
    state = current_state()
    with state.lock:
        grant, detail = grant_for_token(state.xero, bearer())
        if grant is None:
            return _unauthorized(detail)
        person = grant.get("person") or state.people["xero"]
    return _json({"sub": openid.subject("xero", person["email"]), "email": person["email"],
                  "email_verified": bool(person["email_verified"]),
                  "given_name": person.get("given_name", ""),
                  "family_name": person.get("family_name", "")})


def grant_for_token(xero: XeroState, token: str | None) -> tuple[dict | None, str]:
    """The grant an access token belongs to, or None and Xero's 401 detail."""
    record = xero.access_tokens.get(token or "")
    if record is None:
        return None, "AuthenticationUnsuccessful"
    if record["expires_at"] <= current_state().clock.now():
        return None, "TokenExpired"
    grant = xero.grants.get(record["grant_id"])
    if grant is None or grant.get("revoked"):
        return None, "AuthenticationUnsuccessful"
    return grant, ""


def token_scopes(xero: XeroState, token: str | None) -> set[str]:
    """The scopes an access token was issued with (its grant's, for older saved states)."""
    record = xero.access_tokens.get(token or "") or {}
    scope = record.get("scope")
    if scope is None:
        scope = (xero.grants.get(record.get("grant_id", "")) or {}).get("scope", "")
    return set(str(scope).split())


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


class AnyCaseConverter(BaseConverter):
    """Matches one fixed word in any letter case: Xero serves /connections and /Connections."""

    def __init__(self, url_map: Any, word: str) -> None:
        super().__init__(url_map)
        self.regex = f"(?i:{re.escape(word)})"


def _register_anycase(setup: BlueprintSetupState) -> None:
    setup.app.url_map.converters.setdefault("anycase", AnyCaseConverter)


def blueprint() -> Blueprint:
    bp = Blueprint("xero_identity", __name__)
    bp.record_once(_register_anycase)
    bp.after_request(correlated)
    bp.add_url_rule("/<anycase(connections):_word>", view_func=connections, methods=["GET"])
    bp.add_url_rule("/<anycase(connections):_word>/<connection_id>",
                    view_func=delete_connection, methods=["DELETE"])
    bp.add_url_rule("/identity/connect/authorize", view_func=authorize, methods=["GET", "POST"])
    bp.add_url_rule("/connect/token", view_func=token, methods=["POST"])
    bp.add_url_rule("/.well-known/openid-configuration", view_func=discovery, methods=["GET"])
    bp.add_url_rule("/.well-known/openid-configuration/jwks", view_func=jwks, methods=["GET"])
    bp.add_url_rule("/connect/userinfo", view_func=userinfo, methods=["GET"])
    bp.add_url_rule("/connect/revocation", view_func=revocation, methods=["POST"])
    for path in ("/connect/token", "/connect/revocation"):  # not Flask's HTML 405 page
        bp.add_url_rule(path, endpoint=f"not_a_post{path.replace('/', '_')}",
                        view_func=lambda: _oauth_error("invalid_request"), methods=["GET", "PUT", "DELETE"])
    return bp


def authorize() -> Any:
    """Consent: auto-consent redirects at once; otherwise a page to pick organisations."""
    args = request.values
    if not _client_ok(args.get("client_id"), None, public_allowed=True):
        return Response("unauthorized_client", status=400)
    if not loopback(args.get("redirect_uri")):
        return Response("invalid redirect_uri: the sandbox accepts loopback URIs only", status=400)
    if args.get("response_type") != "code":
        return _redirect_error(args, "unsupported_response_type")
    state = current_state()
    with state.lock:
        tenants = list(state.xero.organisations.values())
    if request.method == "POST":
        chosen = [t for t in request.form.getlist("tenant") if t in {o.tenant_id for o in tenants}]
        if request.form.get("decision") != "allow" or not chosen:
            return _redirect_error(args, "access_denied")
        return _redirect_with_code(args, chosen)
    if current_app.config.get("SANDBOX_AUTO_CONSENT"):
        return _redirect_with_code(args, [o.tenant_id for o in tenants])
    return Response(_consent_page(args, tenants), mimetype="text/html")


def _redirect_error(args: Any, error: str) -> Any:
    query = {"error": error, **({"state": args["state"]} if args.get("state") else {})}
    return redirect(f"{args['redirect_uri']}?{urlencode(query)}")


def _redirect_with_code(args: Any, tenant_ids: list[str]) -> Any:
    state = current_state()
    code = secrets.token_urlsafe(24)
    with state.lock:
        state.xero.codes[code] = {
            "client_id": args["client_id"], "redirect_uri": args["redirect_uri"],
            "scope": args.get("scope", ""), "tenants": tenant_ids,
            "challenge": args.get("code_challenge"), "nonce": args.get("nonce"),
            "person": dict(state.people["xero"]),
            "method": args.get("code_challenge_method", "plain"),
            "expires_at": state.clock.now() + timedelta(seconds=CODE_SECONDS),
        }
    query = {"code": code, "scope": args.get("scope", ""),
             **({"state": args["state"]} if args.get("state") else {})}
    separator = "&" if "?" in args["redirect_uri"] else "?"
    return redirect(f"{args['redirect_uri']}{separator}{urlencode(query)}")


def _consent_page(args: Any, tenants: list[Any]) -> str:
    hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                     for k, v in args.items() if k not in ("tenant", "decision"))
    boxes = "".join(f'<label><input type="checkbox" name="tenant" value="{o.tenant_id}" checked> '
                    f"{escape(o.name)} ({o.currency})</label><br>" for o in tenants)
    who = escape(current_state().people["xero"]["email"])
    return ("<!doctype html><html lang=\"en\"><title>Xero sandbox: allow access</title>"
            "<h1>Milepost wants to access your organisations</h1>"
            f'<p>Signed in to Xero as <strong id="who">{who}</strong>.</p>'
            f'<form method="post">{hidden}{boxes}'
            '<button name="decision" value="allow">Allow access</button> '
            '<button name="decision" value="deny">Cancel</button></form>')


def _verifier_matches(code: dict[str, Any], verifier: str | None) -> bool:
    if not code.get("challenge"):
        return True
    if not verifier:
        return False
    if code["method"] == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        computed = verifier
    return hmac.compare_digest(computed, code["challenge"])


def token() -> Response:
    client_id, secret = _client_credentials()
    grant_type = request.form.get("grant_type")
    if not _client_ok(client_id, secret, public_allowed=grant_type == "authorization_code"
                      and bool(request.form.get("code_verifier"))):
        return _oauth_error("invalid_client")
    state = current_state()
    with state.lock:
        if grant_type == "authorization_code":
            return _exchange_code(state.xero, str(client_id))
        if grant_type == "refresh_token":
            return _refresh(state.xero)
    return _oauth_error("unsupported_grant_type")


def _exchange_code(xero: XeroState, client_id: str) -> Response:
    code = xero.codes.pop(request.form.get("code", ""), None)
    now = current_state().clock.now()
    if (code is None or code["expires_at"] <= now or code["client_id"] != client_id
            or code["redirect_uri"] != request.form.get("redirect_uri")
            or not _verifier_matches(code, request.form.get("code_verifier"))):
        return _oauth_error("invalid_grant")
    grant_id, event = new_id(), new_id()
    xero.grants[grant_id] = {
        "grant_id": grant_id, "client_id": client_id, "scope": code["scope"],
        "user_id": new_id(), "revoked": False, "nonce": code.get("nonce"),
        "person": code.get("person"),
        "connections": [{"id": new_id(), "tenantId": t, "authEventId": event,
                         "createdDateUtc": now, "updatedDateUtc": now} for t in code["tenants"]],
    }
    return _json(_issue_tokens(xero, grant_id, code["scope"]))


def _refresh(xero: XeroState) -> Response:
    presented = request.form.get("refresh_token", "")
    record = xero.refresh_tokens.get(presented)
    now = current_state().clock.now()
    if record is None or record["expires_at"] <= now:
        return _oauth_error("invalid_grant")
    grant = xero.grants.get(record["grant_id"])
    if grant is None or grant.get("revoked"):
        return _oauth_error("invalid_grant")
    if record["used"]:
        # Xero's "Refresh tokens" guide: the previous refresh token stays usable for 30
        # minutes and gives back the same new pair; after that it is invalid_grant.
        if record.get("answer") is None or now - record["used_at"] > REFRESH_GRACE:
            return _oauth_error("invalid_grant")
        return _json(record["answer"])
    scope = request.form.get("scope") or grant["scope"]
    answer = _issue_tokens(xero, grant["grant_id"], scope)
    record.update(used=True, used_at=now, answer=answer)
    return _json(answer)


def revocation() -> Response:
    client_id, secret = _client_credentials()
    if not _client_ok(client_id, secret, public_allowed=False):
        return _oauth_error("invalid_client")
    state = current_state()
    with state.lock:
        record = state.xero.refresh_tokens.get(request.form.get("token", ""))
        if record is not None and record["grant_id"] in state.xero.grants:
            state.xero.grants[record["grant_id"]]["revoked"] = True
    return Response(b"", status=200)


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), mimetype="application/json",
                    headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def connections(_word: str) -> Response:
    """The organisations this token's consent reaches (several per consent)."""
    state = current_state()
    with state.lock:
        grant, detail = grant_for_token(state.xero, bearer())
        if grant is None:
            return _unauthorized(detail)
        rows = [{"id": c["id"], "authEventId": c["authEventId"], "tenantId": c["tenantId"],
                 "tenantType": "ORGANISATION",
                 "tenantName": state.xero.organisations[c["tenantId"]].name,
                 "createdDateUtc": c["createdDateUtc"].replace(tzinfo=None).isoformat(),
                 "updatedDateUtc": c["updatedDateUtc"].replace(tzinfo=None).isoformat()}
                for c in grant["connections"] if c["tenantId"] in state.xero.organisations]
    return Response(json.dumps(rows), mimetype="application/json")


def delete_connection(_word: str, connection_id: str) -> Response:
    state = current_state()
    with state.lock:
        grant, detail = grant_for_token(state.xero, bearer())
        if grant is None:
            return _unauthorized(detail)
        kept = [c for c in grant["connections"] if c["id"] != connection_id]
        if len(kept) == len(grant["connections"]):
            return Response(b"", status=404)
        grant["connections"] = kept
    return Response(b"", status=204)


def _unauthorized(detail: str) -> Response:
    from connector.sandbox.xero.errors import problem

    return Response(json.dumps(problem(401, "Unauthorized", detail)), status=401,
                    mimetype="application/json")
