"""The REST API: JSON in, JSON out, an API key in `Authorization: Bearer KEY` (or `X-API-Key`).

    GET  /api/v1/openapi.json                             this API described (OpenAPI 3.1, public)
    POST /api/v1/projects  (or /api/v1/schedules)         import a schedule (the JSON schedule
                                                          file's shape; optional "connection")
    POST /api/v1/projects/KEY/milestones/SEQ/ACTION       submit | accept | partial | reject; JSON,
                                                          or multipart with evidence files
    POST /api/v1/projects/KEY/milestones/SEQ/void         {"reason", "by", "reopen"}: void (or credit,
                                                          when partly paid) its invoice; 202
    POST /api/v1/projects/KEY/milestones/SEQ/credit       {"amount", "reason", "ref", "by"}: a
                                                          credit note/memo of exactly amount (tax
                                                          included) allocated to its invoice; 202
    GET  /api/v1/projects/KEY/report                      where the contract stands
    GET  /api/v1/forecast?project=KEY&weeks=N&at=DATE     expected cash in per week and currency
                                                          (`rest.forecast`; README "Cash-flow
                                                          forecast"); every parameter optional
    GET  /api/v1/projects, milestones, invoices, payments, history (and each by its id): the
         read endpoints of `rest.reads`, cursor pages
    POST /api/v1/hooks/KEY_ID                             a project tool's signed message (`hooks`):
                                                          submit or accept a milestone
    POST|GET /api/v1/subscriptions, DELETE .../ID         a database key's outbound webhook
                                                          subscriptions (`subscriptions`)

Every endpoint is declared once with `rest.routes.route`, which names the scope a key needs
(`read` for GETs, `write` for changes) and the models of what goes in and out; `authenticate`
checks the key against that scope, and the OpenAPI document is built from the same table. The
inbound hook is the one route without a bearer key: it is `signed` (Standard Webhooks headers,
made with the webhook secret of the key its path names), and checks that itself.

Bad input is answered 400 as `application/problem+json` (RFC 9457) whose `errors` lists every
problem found as `{"field", "rule", "message"}`, and writes nothing. A step the lifecycle
refuses is 409 in the same shape; an unknown project or milestone 404. Keys are made by `milepost api-key create`
(`web.keys`: a `read` key may only read); legacy keys from MILEPOST_API_KEYS have both scopes but
own no subscriptions and no hook. A key acts for its organisation (a configured key for the
default one): a project of another organisation answers exactly as one that does not exist
(404, the same body), whether read, listed, changed or named by the inbound hook.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request

from connector.billing.crediting import CreditRefused
from connector.billing.errors import BillingError, ScheduleInvalid
from connector.billing.model import AuditEvent
from connector.billing.money import UnknownCurrency
from connector.billing.schedule import build_schedule
from connector.store import credits, links, service, voids
from connector.store.db import transaction
from connector.store.errors import DuplicateProject, MilestoneNotFound, ProjectNotFound, StoreError
from connector.store.evidence import EvidenceRefused, Upload
from connector.store.reports import project_report
from jobs.connections import evidence_policy

from . import hooks, subscriptions  # noqa: F401  (they register their endpoints)
from .activity import pause_reasons
from .decisions import ACTIONS, decide
from .keys import organisation, refused
from .resources import resources
from .rest import answers as a
from .rest import forecast, openapi, reads  # noqa: F401  (they register their endpoints)
from .rest.bodies import (
    CreditBody,
    DecisionBody,
    DecisionForm,
    ScheduleBody,
    VoidBody,
    checked,
    decision_from,
    request_json,
)
from .rest.problems import Problem, problem, problem_response
from .rest.routes import Scope, blueprint, route, route_of
from .rest.uploads import allow_files, form_step

__all__ = ["authenticate", "blueprint"]


def errors(status: int, *problems: Problem) -> Response:
    return problem_response(status, *problems)


def authenticate(scope: Scope) -> Response | None:
    """None when the request's key may do what `scope` allows, else the 401 or 403 answer."""
    refusal = refused(scope)
    if refusal is None:
        return None
    answer = errors(refusal[0], problem(*refusal[1:]))
    if refusal[0] == 401:
        answer.headers["WWW-Authenticate"] = 'Bearer realm="milepost"'
    return answer


@blueprint.before_request
def check_key() -> Response | None:
    """The scope the matched route declares (a route declared elsewhere: read for GET, else write);
    a signed route checks its signature itself."""
    declared = route_of(request)
    if declared is not None:
        answer = None if declared.scope is None or declared.signed else authenticate(declared.scope)
    elif request.method == "OPTIONS":
        return None
    else:
        answer = authenticate("read" if request.method in ("GET", "HEAD") else "write")
    return answer or _own_project()


def _own_project() -> Response | None:
    """A project named in the path that is not the key's organisation's is not found: one answer
    for another organisation's and for none at all, so the first cannot be told from the second."""
    key = (request.view_args or {}).get("key")
    if key is not None:
        with resources().sessions() as db:
            try:
                organisation(db).project(str(key))
            except ProjectNotFound as error:
                return errors(404, problem("key", "not_found", str(error)))
    return None


def _body() -> tuple[dict[str, Any] | None, Response | None]:
    body, found = request_json()
    return body, errors(400, *found) if found else None


@route("GET", "/openapi.json", scope=None, tag="meta", summary="This API's OpenAPI 3.1 document",
       answers={200: a.Document})
def openapi_document() -> Response:
    return jsonify(openapi.document())


@route("POST", "/projects", scope="write", tag="projects", summary="Create a project from a schedule",
       answers={201: a.Imported}, body=ScheduleBody, problems=(409,),
       headers={201: {"Location": "the project's URL"}})
@route("POST", "/schedules", scope="write", tag="projects",
       summary="Create a project from a schedule (as POST /api/v1/projects)",
       answers={201: a.Imported}, body=ScheduleBody, problems=(409,),
       headers={201: {"Location": "the project's URL"}})
def import_schedule() -> Response:
    body, failure = _body()
    if failure:
        return failure
    assert body is not None
    # `connection` is checked by its field of the body's model; the schedule itself by
    # build_schedule, through the same ScheduleShape the model extends
    connection_field, found = checked(ScheduleBody, {"connection": body.pop("connection", None)})
    if found:
        return errors(400, *found)
    connection = getattr(connection_field, "connection", None)
    res = resources()
    try:
        parsed = build_schedule(body, default_time_zone=res.settings.app.default_time_zone)
    except ScheduleInvalid as invalid:
        return errors(400, *[problem(p.field, p.rule, p.message) for p in invalid.errors])
    except UnknownCurrency as error:
        return errors(400, problem("project.currency", "unknown_currency", str(error)))
    project = parsed.project
    event = AuditEvent(project_key=project.key, seq=None, kind="imported", at=datetime.now(UTC),
                       actor="api", data={"milestones": str(len(parsed.milestones))})
    try:
        with transaction(res.sessions) as db:
            service.import_schedule(db, project, parsed.milestones, event, mapping=parsed.mapping,
                                    organisation_id=organisation(db).id)
            if connection is not None:
                links.link_project(db, project.key, connection)
    except DuplicateProject as error:
        return errors(409, problem("project.key", "duplicate", str(error)))
    except links.LinkRefused as error:
        return errors(400, problem("connection", "unknown_connection", str(error)))
    except ValueError as error:  # an unknown key in [project.mapping]
        return errors(400, problem("project.mapping", "unknown_setting", str(error)))
    warnings = [problem(p.field, p.rule, p.message) for p in parsed.warnings]
    return a.send(a.Imported, {"key": project.key, "milestones": len(parsed.milestones), "warnings": warnings},
                  201, {"Location": f"{blueprint.url_prefix}/projects/{project.key}"})


@route("POST", "/projects/<key>/milestones/<int:seq>/<action>", scope="write", tag="milestones",
       summary="A milestone step: submit, accept, partial or reject (evidence files as multipart)",
       answers={200: a.Stepped}, body=DecisionBody, form=DecisionForm, problems=(409,),
       enums={"action": ACTIONS})
def milestone_action(key: str, seq: int, action: str) -> Response:
    if action not in ACTIONS:
        return errors(404, problem("action", "unknown_action", f"action must be one of {', '.join(ACTIONS)}"))
    uploads: list[Upload] = []
    if request.mimetype == "multipart/form-data":
        allow_files(resources().settings)
        body, uploads, found = form_step()
        if found:
            return errors(400, *found)
    else:
        json_body, failure = _body()
        if failure:
            return failure
        assert json_body is not None
        body = json_body
    decision = decision_from(action, body, tuple(u.name for u in uploads))
    if isinstance(decision, list):
        return errors(400, *decision)
    res = resources()
    try:
        stored = decide(res.sessions, key, seq, decision, uploads=uploads,
                        policy=lambda db: evidence_policy(res.settings, db, key))
    except (ProjectNotFound, MilestoneNotFound) as error:
        return errors(404, problem("milestone", "not_found", str(error)))
    except EvidenceRefused as refused:
        return errors(400, problem(refused.field, refused.rule, refused.message))
    except (BillingError, StoreError) as error:
        return errors(409, problem("state", error.__class__.__name__, str(error)))
    return a.send(a.Stepped, {"key": key, "seq": stored.seq, "state": stored.state.value,
                              "billed": None if stored.billed is None else str(stored.billed.amount)})


@route("POST", "/projects/<key>/milestones/<int:seq>/void", scope="write", tag="milestones",
       summary="Void the milestone's invoice (or credit its balance when partly paid)",
       answers={202: a.VoidQueued}, body=VoidBody, problems=(409,))
def void_invoice(key: str, seq: int) -> Response:
    """Queue the void (or, when partly paid, the credit) of the milestone's invoice: 202, since
    the worker's drain does it; asking again answers with the same queued request."""
    body, failure = _body()
    if failure:
        return failure
    parsed, found = checked(VoidBody, body)
    if found:
        return errors(400, *found)
    assert isinstance(parsed, VoidBody)
    try:
        with transaction(resources().sessions) as db:
            queued, new = voids.request_void(db, key, seq, str(parsed.reason), str(parsed.by).strip(),
                                             datetime.now(UTC), reopen=parsed.reopen)
    except (ProjectNotFound, MilestoneNotFound) as error:
        return errors(404, problem("milestone", "not_found", str(error)))
    except (BillingError, StoreError) as error:
        return errors(409, problem("state", error.__class__.__name__, str(error)))
    return a.send(a.VoidQueued, {"key": key, "seq": seq, "idempotency_key": queued.idempotency_key,
                                 "invoice": queued.number or queued.platform_id,
                                 "platform": queued.platform, "queued": new}, 202)


@route("POST", "/projects/<key>/milestones/<int:seq>/credit", scope="write", tag="milestones",
       summary="Credit an amount (tax included) on the milestone's invoice",
       answers={202: a.CreditQueued}, body=CreditBody, problems=(409,))
def credit_invoice(key: str, seq: int) -> Response:
    """Queue a credit of `amount` (tax included) on the milestone's invoice: 202, since the
    worker's drain issues it; refusals name the field and the rule and write nothing."""
    body, failure = _body()
    if failure:
        return failure
    parsed, found = checked(CreditBody, body)
    if found:
        return errors(400, *found)
    assert isinstance(parsed, CreditBody)
    assert parsed.amount is not None
    try:
        with transaction(resources().sessions) as db:
            queued = credits.request_credit(db, key, seq, parsed.amount, str(parsed.reason),
                                            str(parsed.by).strip(), datetime.now(UTC),
                                            ref=str(parsed.ref).strip())
    except (ProjectNotFound, MilestoneNotFound) as error:
        return errors(404, problem("milestone", "not_found", str(error)))
    except CreditRefused as refused:
        status = 400 if refused.field in ("amount", "reason", "currency") else 409
        return errors(status, problem(refused.field, refused.rule, refused.message))
    except (BillingError, StoreError) as error:
        return errors(409, problem("state", error.__class__.__name__, str(error)))
    return a.send(a.CreditQueued, {"key": key, "seq": seq, "idempotency_key": queued.idempotency_key,
                                   "invoice": queued.number or queued.platform_id,
                                   "platform": queued.platform, "amount": queued.amount,
                                   "net": queued.net, "queued": True}, 202)


@route("GET", "/projects/<key>/report", scope="read", tag="projects",
       summary="Where the contract stands (as `milepost report --format json`)", answers={200: a.Report})
def report(key: str) -> Response:
    with resources().sessions() as db:
        try:
            built = project_report(db, key, datetime.now(UTC))
        except ProjectNotFound as error:
            return errors(404, problem("key", "not_found", str(error)))
        reason = pause_reasons(db, organisation(db).id).get(key)  # the stored flag, as `milepost report` says it
    return a.send(a.Report, {**built.as_json(), "pause_work": reason is not None, "pause_work_reason": reason})
