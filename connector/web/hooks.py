"""The inbound webhook of project tools: `POST /api/v1/hooks/<key id>`, signed, replay-safe.

A project tool (Jira, Asana, Procore, a studio's own tracker) says a milestone was submitted
or accepted there, as a Standard Webhooks message signed with the API key's webhook secret
(`whsec_...`, shown by `milepost api-key create` and `rotate-secret`):

    {"type": "milestone.submitted" | "milestone.accepted",
     "data": {"project": "ACME-WEB", "seq": 2, "by": "Dana Lee", ...}}

`data` is the API's milestone-step body (`by`, `at`, `reason`, `evidence`) plus `project` and
`seq`, checked by its model (`rest.bodies.HookMessage`, which the OpenAPI document describes)
and applied through the same lifecycle (`decisions`). The route is declared in the API's route
table as `signed`: no bearer key, the three `webhook-*` headers instead. In order, each refusal answered in the API's error shape and writing nothing:
- the key id unknown or revoked, a header missing, the timestamp more than five minutes from
  now (`stale`), or no signature matching the key's secret over the raw body: 401;
- a key of scope `read`: 403;
- a message id this key already had acted on: not acted on again; answered 200 with the first
  answer and `"replayed": true` (a sender retrying after a lost answer must stop);
- a body that is not such a message: 400; an unknown project or milestone: 404 (a project of
  another organisation than the key's answers exactly as an unknown one); a step the
  milestone's state refuses: 409.
The message id is remembered in the step's own transaction (`store.hook_messages`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from sqlalchemy.exc import IntegrityError

from connector.billing.errors import BillingError
from connector.standard_webhooks import HEADERS, Refused, verify
from connector.store import api_keys, hook_messages
from connector.store.db import transaction
from connector.store.errors import MilestoneNotFound, ProjectNotFound, StoreError
from connector.store.organisations import Organisation

from .decisions import Decision, decide_in
from .resources import resources
from .rest import answers as a
from .rest.bodies import HOOK_STEPS, HookMessage, checked, decision_from, json_object
from .rest.problems import Problem, problem, problem_response
from .rest.routes import route

DESCRIPTION = (
    "A project tool says a milestone was submitted or accepted there. Not called with a bearer "
    "key: the path names a database API key of `write` scope, and the message is signed per "
    "Standard Webhooks with that key's webhook secret (`whsec_...`, shown by `milepost api-key "
    "create` and `rotate-secret`): `webhook-signature` is `v1,` and the base64 HMAC-SHA256, keyed "
    "with the secret's base64-decoded bytes, of `{webhook-id}.{webhook-timestamp}.{raw body}`. "
    "A timestamp more than five minutes from now, or no matching signature, is 401; a read key "
    "403. A `webhook-id` this key already had acted on is not acted on again: 200 with the first "
    "answer and `replayed: true`."
)


@route("POST", "/hooks/<key_id>", scope="write", signed=True, tag="hooks",
       summary="A project tool's signed message: submit or accept a milestone",
       answers={200: a.HookStepped}, body=HookMessage, problems=(409,), description=DESCRIPTION)
def hook_message(key_id: str) -> Response:
    res = resources()
    body = request.get_data(cache=True)
    now = datetime.now(UTC)
    with res.sessions() as db:
        key = api_keys.live_key(db, key_id)
        secret = api_keys.webhook_secret(db, key, res.cipher()) if key is not None else ""
    if key is None:
        return problem_response(401, problem("key_id", "api_key", "no live API key has this id"))
    try:
        message_id = verify(secret, {name: request.headers.get(name, '') for name in HEADERS}, body, now)
    except Refused as refused:
        return problem_response(401, problem(refused.field, refused.rule, refused.message))
    if key.scope != api_keys.WRITE:
        return problem_response(403, problem("key_id", "scope", "this API key has read scope: a hook needs a write key"))
    with res.sessions() as db:
        earlier = hook_messages.answer_for(db, key.id, message_id)
    if earlier is not None:
        return _replayed(earlier)
    step = _step(body)
    if isinstance(step, list):
        return problem_response(400, *step)
    project, seq, decision = step
    return _apply(key, message_id, project, seq, decision, now)


def _replayed(earlier: dict[str, Any]) -> Response:
    return a.send(a.HookStepped, {**earlier, "replayed": True})


def _apply(key: api_keys.ApiKey, message_id: str, project: str, seq: int, decision: Decision,
           now: datetime) -> Response:
    """The step and the message id in one transaction; a copy that lost the race to commit
    gets the first one's answer."""
    res = resources()
    try:
        with transaction(res.sessions) as db:
            remembered = hook_messages.remember(db, key.id, message_id, now)
            Organisation(db, key.organisation_id).project(project)  # another's: ProjectNotFound
            stored = decide_in(db, project, seq, decision)
            answer = {"key": project, "seq": stored.seq, "state": stored.state.value, "message_id": message_id,
                      "billed": None if stored.billed is None else str(stored.billed.amount)}
            remembered.answer = answer
            api_keys.mark_used(db, key, now)
    except IntegrityError:
        with res.sessions() as db:
            earlier = hook_messages.answer_for(db, key.id, message_id)
        if earlier is None:
            raise
        return _replayed(earlier)
    except (ProjectNotFound, MilestoneNotFound) as error:
        return problem_response(404, problem("data.seq", "not_found", str(error)))
    except (BillingError, StoreError) as error:
        return problem_response(409, problem("state", error.__class__.__name__, str(error)))
    return a.send(a.HookStepped, answer)


def _step(body: bytes) -> tuple[str, int, Decision] | list[Problem]:
    """(project, seq, decision) from the message, or every problem with it."""
    message, found = json_object(body)
    if found:
        return found
    parsed, found = checked(HookMessage, message)
    if found:
        return found
    assert isinstance(parsed, HookMessage)
    assert message is not None
    step = {name: value for name, value in message["data"].items() if name not in ("project", "seq")}
    decision = decision_from(HOOK_STEPS[parsed.type], step)
    if isinstance(decision, list):  # what the step's own rules add (an evidence name too long)
        return [{**p, "field": f"data.{p['field']}"} for p in decision]
    return str(parsed.data.project), int(parsed.data.seq), decision
