"""`/api/v1/subscriptions`: a key's outbound webhook subscriptions, managed with that key.

    POST   /api/v1/subscriptions        {"url", "events": [...]}: 201 with the subscription and
                                        its signing secret (`whsec_...`, shown this once)
    GET    /api/v1/subscriptions        the calling key's subscriptions (no secrets)
    DELETE /api/v1/subscriptions/ID     204; deliveries still queued for it are dropped

A subscription belongs to the key that made it: listing and deleting see only the caller's.
POST and DELETE need a `write` key, GET a `read` one (the route table's scopes, checked before
the view); configured (legacy) keys own no subscriptions (403). The body is checked by its
model (`rest.bodies.SubscriptionBody`: unknown fields, the URL's shape, known events with a "did
you mean"), and the store checks the URL against `[notifications] private_webhook_urls`; each
refusal is 400 in the API's error shape, nothing written.
"""

from __future__ import annotations

from flask import Response

from connector.store import subscriptions
from connector.store.api_keys import ApiKey, KeyRefused
from connector.store.db import transaction

from .keys import caller, refused, scope_of_method
from .resources import resources
from .rest import answers as a
from .rest.bodies import SubscriptionBody, checked, request_json
from .rest.problems import problem, problem_response
from .rest.routes import route

OWNED = "Only a database key (`milepost api-key create`) owns subscriptions: a configured key is 403."


def _owner() -> ApiKey | Response:
    """The calling key, when it is one from the database (its scope was checked before the view)."""
    refusal = refused(scope_of_method(), database_key=True)
    if refusal is not None:
        return problem_response(refusal[0], problem(*refusal[1:]))
    found = caller()
    assert found is not None
    assert found.key is not None
    return found.key


@route("POST", "/subscriptions", scope="write", tag="subscriptions",
       summary="Subscribe to events: they are posted to the URL, signed per Standard Webhooks",
       answers={201: a.NewSubscription}, body=SubscriptionBody, description=OWNED)
def subscribe() -> Response:
    key = _owner()
    if isinstance(key, Response):
        return key
    body, found = request_json()
    parsed = None
    if not found:
        parsed, found = checked(SubscriptionBody, body)
    if found:
        return problem_response(400, *found)
    assert isinstance(parsed, SubscriptionBody)
    res = resources()
    try:
        with transaction(res.sessions) as db:
            made = subscriptions.subscribe(db, key, parsed.url, parsed.events, res.cipher(),
                                           private_ok=res.settings.notifications.private_webhook_urls)
    except KeyRefused as refusal:
        return problem_response(400, problem(refusal.field, refusal.rule, refusal.message))
    return a.send(a.NewSubscription, {**made.subscription.as_json(), "secret": made.secret}, 201)


@route("GET", "/subscriptions", scope="read", tag="subscriptions",
       summary="The calling key's subscriptions (without their secrets)",
       answers={200: a.Subscriptions}, description=OWNED)
def subscriptions_of_key() -> Response:
    key = _owner()
    if isinstance(key, Response):
        return key
    with resources().sessions() as db:
        found = subscriptions.subscriptions_of(db, key)
    return a.send(a.Subscriptions, {"subscriptions": [s.as_json() for s in found]})


@route("DELETE", "/subscriptions/<int:subscription_id>", scope="write", tag="subscriptions",
       summary="Stop a subscription; deliveries still queued for it are dropped",
       answers={204: None}, description=OWNED)
def unsubscribe(subscription_id: int) -> Response:
    key = _owner()
    if isinstance(key, Response):
        return key
    try:
        with transaction(resources().sessions) as db:
            subscriptions.remove(db, key, subscription_id)
    except subscriptions.SubscriptionNotFound as missing:
        return problem_response(404, problem("id", "not_found", str(missing)))
    return Response(status=204)
