"""Who is calling the REST API, and what their key lets them do.

A key comes in `Authorization: Bearer KEY` (or `X-API-Key: KEY`). A key made by
`milepost api-key create` (`store.api_keys`) has a scope: `write` may do everything, `read`
only GET and HEAD. Revoked, unknown and malformed keys are all 401; a read key asking to
change something is 403. The check reads one row by the key's public id and compares digests
in constant time; the key itself is never logged, stored or echoed. A key acts for its
organisation (`organisation`); a configured key for the default one.

Configured keys (`[app] api_keys`, `MILEPOST_API_KEYS`) are legacy: they still work as before,
with both scopes, compared in constant time, but they have no name, no last-used time, cannot
be revoked short of a redeploy, and own no webhook subscriptions or inbound hook. They are
kept rather than migrated into the table because migrating would mean reading the secret from
the environment and writing its digest into the database at start-up, while the key would
still sit in the environment: a hidden write, and nothing gained. The README says to replace
them with database keys and then unset MILEPOST_API_KEYS.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g, request
from sqlalchemy.orm import Session

from connector.store import api_keys
from connector.store.api_keys import READ, WRITE, ApiKey
from connector.store.db import transaction
from connector.store.models import DEFAULT_ORGANISATION_ID
from connector.store.organisations import Organisation

from .resources import resources

CONFIGURED = frozenset({READ, WRITE})


@dataclass(frozen=True)
class Caller:
    key: ApiKey | None  # None: a configured (legacy) key
    scopes: frozenset[str]
    organisation_id: int = DEFAULT_ORGANISATION_ID


def presented_key() -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-API-Key", "").strip()


def caller() -> Caller | None:
    """The key behind this request, or None; checked once per request."""
    if "api_caller" not in g:
        g.api_caller = identify(presented_key())
    found: Caller | None = g.api_caller
    return found


def identify(given: str) -> Caller | None:
    if not given:
        return None
    res = resources()
    if api_keys.split(given)[0]:
        with transaction(res.sessions) as db:
            key = api_keys.check(db, given)
        if key is not None:
            return Caller(key, key.scopes, key.organisation_id)
    return Caller(None, CONFIGURED) if res.api_key_ok(given) else None


def organisation(db: Session) -> Organisation:
    """The calling key's organisation: every list, read and write of the API goes through it."""
    found = caller()
    if found is None:  # every caller is behind `authenticate`
        abort(401)
    return Organisation(db, found.organisation_id)


def key_scopes(given: str) -> frozenset[str] | None:
    """What the key may do (`read`, `write`), or None for no valid key."""
    found = identify(given)
    return None if found is None else found.scopes


def scope_of_method() -> str:
    return READ if request.method in ("GET", "HEAD", "OPTIONS") else WRITE


def refused(scope: str, *, database_key: bool = False) -> tuple[int, str, str, str] | None:
    """(status, field, rule, message) when this request may not act in `scope` (and, with
    `database_key`, when its key is not one from the database); None when it may."""
    found = caller()
    if found is None:
        return 401, "Authorization", "api_key", "a valid API key is required (Authorization: Bearer KEY)"
    if scope not in found.scopes:
        return 403, "Authorization", "scope", f"this API key may not {scope}: it has {', '.join(sorted(found.scopes))} scope"
    if database_key and found.key is None:
        return 403, "Authorization", "database_key", ("a configured key (MILEPOST_API_KEYS) owns no subscriptions: "
                                                      "use a key made with `milepost api-key create`")
    return None
