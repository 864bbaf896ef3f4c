"""The REST API: JSON in, JSON out, an API key in `Authorization: Bearer KEY` (or `X-API-Key`).

    POST /api/v1/schedules                                import a schedule (the JSON schedule
                                                          file's shape; optional "connection")
    POST /api/v1/projects/KEY/milestones/SEQ/ACTION       submit | accept | partial | reject
    POST /api/v1/projects/KEY/milestones/SEQ/void         {"reason", "by"}: void (or credit,
                                                          when partly paid) its invoice; 202
    POST /api/v1/projects/KEY/milestones/SEQ/credit       {"amount", "reason", "ref", "by"}: a
                                                          credit note/memo of exactly amount (tax
                                                          included) allocated to its invoice; 202
    GET  /api/v1/projects/KEY/report                      where the contract stands
    GET  /api/v1/forecast?project=KEY&weeks=N&at=DATE     expected cash in per week and currency
                                                          (`Forecast.as_json`, README "Cash-flow
                                                          forecast"); every parameter optional

Bad input is answered 400 with `{"errors": [{"field", "rule", "message"}, ...]}` listing every
problem found, and writes nothing. A step the lifecycle refuses is 409 in the same shape; an
unknown project or milestone 404. Keys come from MILEPOST_API_KEYS; none configured means the
API refuses everything. A key acts for the default organisation, with a bookkeeper's reach
(projects, milestones, credits, voids); a project of another organisation is not found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from difflib import get_close_matches
from typing import Any

from flask import Blueprint, request
from pydantic_core import PydanticCustomError

from connector.billing.crediting import CreditRefused
from connector.billing.errors import BillingError, ScheduleInvalid
from connector.billing.model import AuditEvent
from connector.billing.money import UnknownCurrency
from connector.billing.report import build_report
from connector.billing.schedule import build_schedule
from connector.billing.schema import (
    FIRST_DAY,
    LAST_DAY,
    LONG_TEXT,
    NAME,
    field_name,
    plain_decimal,
    text_problem,
)
from connector.store import credits, links, service, voids
from connector.store.db import transaction
from connector.store.errors import DuplicateProject, MilestoneNotFound, ProjectNotFound, StoreError
from connector.store.forecast import DEFAULT_WEEKS, MAX_WEEKS, forecast_for
from connector.store.organisations import Organisation
from connector.store.repository import BillingRepository
from mappings.attachments import MAX_FILES_PER_MILESTONE

from .activity import pause_reasons
from .decisions import ACTIONS, Decision, decide, decision_problems
from .json_body import BodyRefused, read_json
from .path_bounds import MAX_ID
from .resources import resources

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
Problem = dict[str, str]
DECISION_FIELDS = ("by", "at", "reason", "percent", "amount", "evidence")


def problem(field: str, rule: str, message: str) -> Problem:
    return {"field": field, "rule": rule, "message": message}


def errors(status: int, *problems: Problem) -> tuple[dict[str, Any], int]:
    return {"errors": list(problems)}, status


@blueprint.before_request
def authenticate() -> Any:
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("X-API-Key", "")
    if not given or not resources().api_key_ok(given):
        return errors(401, problem("Authorization", "api_key", "a valid API key is required "
                                   "(Authorization: Bearer KEY)"))
    key = (request.view_args or {}).get("key")
    if key is not None:
        with resources().sessions() as db:
            if Organisation(db).is_anothers_project(str(key)):
                return errors(404, problem("key", "not_found", str(ProjectNotFound(str(key)))))
    return None


def _body() -> tuple[dict[str, Any] | None, tuple[dict[str, Any], int] | None]:
    if not request.is_json:
        return None, errors(400, problem("body", "json_object", "the body must be a JSON object"))
    try:
        body = read_json(request.get_data(cache=True))
    except BodyRefused as refused:
        rule = "json_object" if refused.rule == "json" else refused.rule
        return None, errors(400, problem("body", rule, str(refused)))
    if not isinstance(body, dict):
        return None, errors(400, problem("body", "json_object", "the body must be a JSON object"))
    return body, None


@blueprint.post("/schedules")
def import_schedule() -> Any:
    body, failure = _body()
    if failure:
        return failure
    assert body is not None
    connection = body.pop("connection", None)
    if connection is not None and (isinstance(connection, bool) or not isinstance(connection, int)):
        return errors(400, problem("connection", "integer", "connection is a connection id (an integer)"))
    if connection is not None and not 1 <= connection <= MAX_ID:
        return errors(400, problem("connection", "unknown_connection", "no such connection: see `milepost connections`"))
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
            service.import_schedule(db, project, parsed.milestones, event, mapping=parsed.mapping)
            if connection is not None:
                links.link_project(db, project.key, connection)
    except DuplicateProject as error:
        return errors(409, problem("project.key", "duplicate", str(error)))
    except links.LinkRefused as error:
        return errors(400, problem("connection", "unknown_connection", str(error)))
    except ValueError as error:  # an unknown key in [project.mapping]
        return errors(400, problem("project.mapping", "unknown_setting", str(error)))
    warnings = [problem(p.field, p.rule, p.message) for p in parsed.warnings]
    return {"key": project.key, "milestones": len(parsed.milestones), "warnings": warnings}, 201


def _decision(action: str, body: dict[str, Any]) -> Decision | list[Problem]:
    """Every problem with the body at once, or the decision."""
    found: list[Problem] = [problem(*unknown) for unknown in unknown_fields(body, DECISION_FIELDS)]
    by = body.get("by")
    if not isinstance(by, str) or not by.strip():
        found.append(problem("by", "required", "by: who made the decision (a non-empty string)"))
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        found.append(problem("reason", "string", "reason must be a string"))
        reason = ""
    if action == "reject" and not reason.strip():
        found.append(problem("reason", "required", "a rejection needs a reason"))
    at = _at(body.get("at"), found)
    percent = _decimal(body, "percent", found)
    amount = _decimal(body, "amount", found)
    if action == "partial" and (percent is None) == (amount is None) and not _has(found, "percent", "amount"):
        found.append(problem("percent", "one_of", "partial: give exactly one of percent and amount"))
    evidence = body.get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
        found.append(problem("evidence", "string_list", "evidence is a list of file names"))
        evidence = []
    elif len(evidence) > MAX_FILES_PER_MILESTONE:  # the platforms' cap (mappings.attachments)
        found.append(problem("evidence", "too_many_files",
                             f"evidence: at most {MAX_FILES_PER_MILESTONE} files per milestone"))
    if found:
        return found
    assert isinstance(by, str)
    decision = Decision(action, by.strip(), at or datetime.now(UTC), reason=reason, percent=percent,
                        amount=amount, evidence=tuple(evidence))
    return [problem(*p) for p in decision_problems(decision)] or decision


def unknown_fields(body: Mapping[str, Any], known: Iterable[str]) -> list[tuple[str, str, str]]:
    """(field, "unknown_field", message with a "did you mean") for each key not in `known`."""
    known = list(known)
    found = []
    for name in body:
        if name not in known:
            guess = get_close_matches(str(name), known, n=1)
            hint = f": did you mean {guess[0]!r}?" if guess else f"; known fields: {', '.join(known)}"
            found.append((field_name((str(name),)), "unknown_field", f"unknown field {str(name)[:40]!r}{hint}"))
    return found


def _has(found: list[Problem], *fields: str) -> bool:
    return any(p["field"] in fields for p in found)


def _at(value: Any, found: list[Problem]) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        found.append(problem("at", "iso8601", f"at: {str(value)[:40]!r} is not an ISO 8601 datetime"))
        return None
    if parsed.tzinfo is None:
        found.append(problem("at", "timezone", "at needs a UTC offset, such as 2026-11-20T10:00:00-05:00"))
        return None
    years = range(FIRST_DAY.year, LAST_DAY.year + 1)  # checked locally first: 9999-...-14:00 overflows UTC
    if parsed.year not in years or parsed.astimezone(UTC).year not in years:
        found.append(problem("at", "date_out_of_range", f"at: dates run from {FIRST_DAY} to {LAST_DAY}"))
        return None
    return parsed


def _decimal(body: dict[str, Any], name: str, found: list[Problem]) -> Decimal | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, float) or isinstance(value, bool):
        found.append(problem(name, "decimal_string", f"{name} must be a decimal string such as \"40\", never a float"))
        return None
    try:
        return plain_decimal(value)
    except PydanticCustomError as error:
        rule = "decimal" if error.type in ("not_decimal", "not_decimal_string") else error.type
        found.append(problem(name, rule, f"{name}: {error.message()}"))
        return None


@blueprint.post("/projects/<key>/milestones/<int:seq>/<action>")
def milestone_action(key: str, seq: int, action: str) -> Any:
    if action not in ACTIONS:
        return errors(404, problem("action", "unknown_action", f"action must be one of {', '.join(ACTIONS)}"))
    body, failure = _body()
    if failure:
        return failure
    assert body is not None
    decision = _decision(action, body)
    if isinstance(decision, list):
        return errors(400, *decision)
    try:
        stored = decide(resources().sessions, key, seq, decision)
    except (ProjectNotFound, MilestoneNotFound) as error:
        return errors(404, problem("milestone", "not_found", str(error)))
    except (BillingError, StoreError) as error:
        return errors(409, problem("state", error.__class__.__name__, str(error)))
    return {"key": key, "seq": stored.seq, "state": stored.state.value,
            "billed": None if stored.billed is None else str(stored.billed.amount)}


@blueprint.post("/projects/<key>/milestones/<int:seq>/void")
def void_invoice(key: str, seq: int) -> Any:
    """Queue the void (or, when partly paid, the credit) of the milestone's invoice: 202, since
    the worker's drain does it; asking again answers with the same queued request."""
    body, failure = _body()
    if failure:
        return failure
    assert body is not None
    reason, by = body.get("reason"), body.get("by", "api")
    found = [problem(*unknown) for unknown in unknown_fields(body, ("reason", "by"))]
    if not isinstance(reason, str) or not reason.strip():
        found.append(problem("reason", "required", "reason: why the invoice is voided (a non-empty string)"))
    elif bad := text_problem(reason, LONG_TEXT, multiline=True):
        found.append(problem("reason", bad[0], f"reason: {bad[1]}"))
    if not isinstance(by, str) or not by.strip():
        found.append(problem("by", "string", "by: who asks (a non-empty string)"))
    elif bad := text_problem(by, NAME):
        found.append(problem("by", bad[0], f"by: {bad[1]}"))
    if found:
        return errors(400, *found)
    try:
        with transaction(resources().sessions) as db:
            request, new = voids.request_void(db, key, seq, str(reason), str(by).strip(), datetime.now(UTC))
    except (ProjectNotFound, MilestoneNotFound) as error:
        return errors(404, problem("milestone", "not_found", str(error)))
    except (BillingError, StoreError) as error:
        return errors(409, problem("state", error.__class__.__name__, str(error)))
    return {"key": key, "seq": seq, "idempotency_key": request.idempotency_key,
            "invoice": request.number or request.platform_id, "platform": request.platform,
            "queued": new}, 202


@blueprint.post("/projects/<key>/milestones/<int:seq>/credit")
def credit_invoice(key: str, seq: int) -> Any:
    """Queue a credit of `amount` (tax included) on the milestone's invoice: 202, since the
    worker's drain issues it; refusals name the field and the rule and write nothing."""
    body, failure = _body()
    if failure:
        return failure
    assert body is not None
    found: list[Problem] = []
    amount = _decimal(body, "amount", found)
    if amount is None and not _has(found, "amount"):
        found.append(problem("amount", "required", "amount: what comes off the invoice, tax included (\"500.00\")"))
    reason, by, ref = body.get("reason"), body.get("by", "api"), body.get("ref", "")
    if not isinstance(reason, str) or not reason.strip():
        found.append(problem("reason", "required", "reason: why the invoice is credited (a non-empty string)"))
    if not isinstance(by, str) or not by.strip():
        found.append(problem("by", "string", "by: who asks (a non-empty string)"))
    if not isinstance(ref, str):
        found.append(problem("ref", "string", "ref: the change order it follows, such as \"CO-3\""))
    if found:
        return errors(400, *found)
    assert amount is not None
    try:
        with transaction(resources().sessions) as db:
            queued = credits.request_credit(db, key, seq, amount, str(reason), str(by).strip(),
                                            datetime.now(UTC), ref=str(ref).strip())
    except (ProjectNotFound, MilestoneNotFound) as error:
        return errors(404, problem("milestone", "not_found", str(error)))
    except CreditRefused as refused:
        status = 400 if refused.field in ("amount", "reason", "currency") else 409
        return errors(status, problem(refused.field, refused.rule, refused.message))
    except (BillingError, StoreError) as error:
        return errors(409, problem("state", error.__class__.__name__, str(error)))
    return {"key": key, "seq": seq, "idempotency_key": queued.idempotency_key,
            "invoice": queued.number or queued.platform_id, "platform": queued.platform,
            "amount": queued.amount, "net": queued.net, "queued": True}, 202


@blueprint.get("/projects/<key>/report")
def report(key: str) -> Any:
    with resources().sessions() as db:
        repo = BillingRepository(db)
        try:
            project, milestones = repo.load(key)
        except ProjectNotFound as error:
            return errors(404, problem("key", "not_found", str(error)))
        built = build_report(project, milestones, repo.invoice_views(key), datetime.now(UTC),
                             intents=repo.queued_intents(key), credits=credits.credited(db, key))
        reason = pause_reasons(db).get(key)  # the stored flag, as `milepost report` says it
    return {**built.as_json(), "pause_work": reason is not None, "pause_work_reason": reason}


FORECAST_PARAMETERS = ("project", "weeks", "at")


@blueprint.get("/forecast")
def forecast() -> Any:
    """Expected cash in per week and currency, for one project (`project`) or all; `weeks`
    (1 to MAX_WEEKS, default 12) and `at` (the day to forecast from, default today UTC)."""
    args = request.args
    found = [problem(*unknown) for unknown in unknown_fields(args, FORECAST_PARAMETERS)]
    weeks = _weeks(args.get("weeks"), found)
    day = _forecast_day(args.get("at"), found)
    key = args.get("project")
    if key is not None and (bad := text_problem(key, 64)):
        found.append(problem("project", bad[0], f"project: {bad[1]}"))
    if found:
        return errors(400, *found)
    with resources().sessions() as db:
        try:
            built = forecast_for(db, weeks, key, day)
        except ProjectNotFound as error:
            return errors(404, problem("project", "not_found", str(error)))
    return built.as_json()


def _weeks(value: str | None, found: list[Problem]) -> int:
    if value is None:
        return DEFAULT_WEEKS
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_WEEKS:
        found.append(problem("weeks", "out_of_range", f"weeks: a whole number from 1 to {MAX_WEEKS}, got {value[:20]!r}"))
        return DEFAULT_WEEKS
    return int(value)


def _forecast_day(value: str | None, found: list[Problem]) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        found.append(problem("at", "iso_date", f"at: {value[:40]!r} is not a date such as 2026-12-01"))
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        found.append(problem("at", "date_out_of_range", f"at: dates run from {FIRST_DAY} to {LAST_DAY}"))
        return None
    return day
