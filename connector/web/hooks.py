"""The inbound webhook of project tools: `POST /api/v1/hooks/<key id>`, signed, replay-safe.

A project tool (Jira, Asana, Procore, a studio's own tracker) says a milestone was submitted
or accepted there, as a Standard Webhooks message signed with the API key's webhook secret
(`whsec_...`, shown by `milepost api-key create` and `rotate-secret`):

    {"type": "milestone.submitted" | "milestone.accepted",
     "data": {"project": "ACME-WEB", "seq": 2, "by": "Dana Lee", ...}}

`data` is the API's milestone-step body (`by`, `at`, `reason`, `evidence`), checked by the
API's own validation and applied through the same lifecycle (`decisions`), plus `project` and
`seq`. In order, each refusal answered in the API's error shape and writing nothing:
- the key id unknown or revoked, a header missing, the timestamp more than five minutes from
  now (`stale`), or no signature matching the key's secret over the raw body: 401;
- a key of scope `read`: 403;
- a message id this key already had acted on: not acted on again; answered 200 with the first
  answer and `"replayed": true` (a sender retrying after a lost answer must stop);
- a body that is not such a message: 400; an unknown project or milestone: 404; a step the
  milestone's state refuses: 409.
The message id is remembered in the step's own transaction (`store.hook_messages`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, request
from sqlalchemy.exc import IntegrityError

from connector.billing.errors import BillingError
from connector.billing.schema import text_problem
from connector.standard_webhooks import HEADERS, Refused, verify
from connector.store import api_keys, hook_messages
from connector.store.db import transaction
from connector.store.errors import MilestoneNotFound, ProjectNotFound, StoreError

from .api import errors, problem
from .decisions import Decision, decide_in
from .json_body import BodyRefused, read_json
from .path_bounds import MAX_ID
from .resources import resources
from .rest.bodies import decision_from  # the API's own check of a step's body
from .rest.problems import unknown_fields

blueprint = Blueprint("hooks", __name__, url_prefix="/api/v1/hooks")
STEPS = {"milestone.submitted": "submit", "milestone.accepted": "accept"}
MESSAGE_FIELDS = ("type", "timestamp", "data")
KEY_LENGTH = 64  # projects.key


@blueprint.post("/<key_id>")
def receive(key_id: str) -> Any:
    res = resources()
    body = request.get_data(cache=True)
    now = datetime.now(UTC)
    with res.sessions() as db:
        key = api_keys.live_key(db, key_id)
        secret = api_keys.webhook_secret(db, key, res.cipher()) if key is not None else ""
    if key is None:
        return errors(401, problem("key_id", "api_key", "no live API key has this id"))
    try:
        message_id = verify(secret, {name: request.headers.get(name, '') for name in HEADERS}, body, now)
    except Refused as refused:
        return errors(401, problem(refused.field, refused.rule, refused.message))
    if key.scope != api_keys.WRITE:
        return errors(403, problem("key_id", "scope", "this API key has read scope: a hook needs a write key"))
    with res.sessions() as db:
        earlier = hook_messages.answer_for(db, key.id, message_id)
    if earlier is not None:
        return {**earlier, "replayed": True}, 200
    step = _step(body)
    if isinstance(step, list):
        return errors(400, *step)
    project, seq, decision = step
    return _apply(key, message_id, project, seq, decision, now)


def _apply(key: api_keys.ApiKey, message_id: str, project: str, seq: int, decision: Decision,
           now: datetime) -> Any:
    """The step and the message id in one transaction; a copy that lost the race to commit
    gets the first one's answer."""
    res = resources()
    try:
        with transaction(res.sessions) as db:
            remembered = hook_messages.remember(db, key.id, message_id, now)
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
        return {**earlier, "replayed": True}, 200
    except (ProjectNotFound, MilestoneNotFound) as error:
        return errors(404, problem("data.seq", "not_found", str(error)))
    except (BillingError, StoreError) as error:
        return errors(409, problem("state", error.__class__.__name__, str(error)))
    return answer, 200


def _step(body: bytes) -> tuple[str, int, Decision] | list[dict[str, str]]:
    """(project, seq, decision) from the message, or every problem with it."""
    try:
        message = read_json(body)
    except BodyRefused as refused:
        return [problem("body", "json_object" if refused.rule == "json" else refused.rule, str(refused))]
    if not isinstance(message, dict):
        return [problem("body", "json_object", "the body must be a JSON object")]
    found = [problem(*unknown) for unknown in unknown_fields(message, MESSAGE_FIELDS)]
    kind, data = message.get("type"), message.get("data")
    if kind not in STEPS:
        found.append(problem("type", "unknown_type", f"type: one of {', '.join(STEPS)}"))
    if not isinstance(data, dict):
        return [*found, problem("data", "json_object", "data: the step, as a JSON object")]
    step = dict(data)
    project, seq = step.pop("project", None), step.pop("seq", None)
    if not isinstance(project, str) or not project.strip():
        found.append(problem("data.project", "required", "data.project: the project's key"))
    elif bad := text_problem(project, KEY_LENGTH):
        found.append(problem("data.project", bad[0], f"data.project: {bad[1]}"))
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_ID:
        found.append(problem("data.seq", "integer", "data.seq: the milestone's number (a positive integer)"))
    decision = decision_from(STEPS.get(str(kind), "submit"), step)
    if isinstance(decision, list):
        found += [{**p, "field": f"data.{p['field']}"} for p in decision]
    if found or isinstance(decision, list):
        return found
    assert isinstance(project, str)
    assert isinstance(seq, int)
    return project, seq, decision
