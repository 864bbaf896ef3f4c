"""`/api/v1/subscriptions`: a key's outbound webhook subscriptions, managed with that key.

    POST   /api/v1/subscriptions        {"url", "events": [...]}: 201 with the subscription and
                                        its signing secret (`whsec_...`, shown this once)
    GET    /api/v1/subscriptions        the calling key's subscriptions (no secrets)
    DELETE /api/v1/subscriptions/ID     204; deliveries still queued for it are dropped

A subscription belongs to the key that made it: listing and deleting see only the caller's.
POST and DELETE need a `write` key, GET a `read` one; configured (legacy) keys own no
subscriptions (403). Refusals are in the API's error shape: a URL that is not http(s), holds
credentials or names a private address (`store.subscriptions`), an unknown event (with a "did
you mean"), an unknown field: 400, nothing written.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from connector.store import subscriptions
from connector.store.api_keys import READ, WRITE, ApiKey, KeyRefused
from connector.store.db import transaction

from .api import _body, errors, problem
from .keys import caller, refused
from .resources import resources
from .rest.problems import unknown_fields

blueprint = Blueprint("subscriptions", __name__, url_prefix="/api/v1/subscriptions")
FIELDS = ("url", "events")


def _key(scope: str) -> tuple[ApiKey | None, Any]:
    refusal = refused(scope, database_key=True)
    if refusal is not None:
        return None, errors(refusal[0], problem(*refusal[1:]))
    found = caller()
    assert found is not None
    assert found.key is not None
    return found.key, None


@blueprint.post("")
def create() -> Any:
    key, failure = _key(WRITE)
    if failure is not None:
        return failure
    assert key is not None
    body, failure = _body()
    if failure:
        return failure
    assert body is not None
    if unknown := unknown_fields(body, FIELDS):
        return errors(400, *[problem(*u) for u in unknown])
    res = resources()
    try:
        with transaction(res.sessions) as db:
            made = subscriptions.subscribe(db, key, body.get("url"), body.get("events"), res.cipher(),
                                           private_ok=res.settings.notifications.private_webhook_urls)
    except KeyRefused as refusal:
        return errors(400, problem(refusal.field, refusal.rule, refusal.message))
    return {**made.subscription.as_json(), "secret": made.secret}, 201


@blueprint.get("")
def listing() -> Any:
    key, failure = _key(READ)
    if failure is not None:
        return failure
    assert key is not None
    with resources().sessions() as db:
        found = subscriptions.subscriptions_of(db, key)
    return {"subscriptions": [s.as_json() for s in found]}


@blueprint.delete("/<int:subscription_id>")
def delete(subscription_id: int) -> Any:
    key, failure = _key(WRITE)
    if failure is not None:
        return failure
    assert key is not None
    try:
        with transaction(resources().sessions) as db:
            subscriptions.remove(db, key, subscription_id)
    except subscriptions.SubscriptionNotFound as missing:
        return errors(404, problem("id", "not_found", str(missing)))
    return "", 204
