"""The bodies the API takes: one pydantic model each, which checks a body and describes it.

Each field is a checked type: its validator refuses a bad value with the API's rule code
(`required`, `decimal_string`, `timezone`, `too_long`, `control_character`, ...) and its
`WithJsonSchema` says the same thing in the OpenAPI document. Unknown fields are refused and
named with a "did you mean" (`connector.billing.schema.problems_of`). The schedule is the
schedule file's own model (`ScheduleShape`), with the optional `connection`.

Rules that join two fields and depend on the step (a rejection needs a reason; a partial
acceptance exactly one of percent and amount) are checked after the fields, in `decision_from`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, NoReturn, TypeAlias

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from connector.billing.schema import (
    DECIMAL_JSON,
    FIRST_DAY,
    LAST_DAY,
    LONG_TEXT,
    NAME,
    ScheduleShape,
    plain_decimal,
    problems_of,
    text_problem,
)
from mappings.attachments import MAX_FILES_PER_MILESTONE

from ..decisions import EVIDENCE_NAME, Decision, decision_problems
from ..path_bounds import MAX_ID
from .problems import Problem, problem

REFERENCE = 100  # change_orders.reference


def refuse(rule: str, message: str) -> NoReturn:
    raise PydanticCustomError(rule, message.replace("{", "(").replace("}", ")"))


def _text(limit: int, *, multiline: bool = False, empty_rule: str = "required",
          what: str = "a non-empty string") -> AfterValidator:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            refuse(empty_rule, what)
        found = text_problem(value, limit, multiline=multiline)
        if found:
            refuse(*found)
        return value

    return AfterValidator(check)


def _optional_text(limit: int, *, multiline: bool = False) -> AfterValidator:
    def check(value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            refuse("string", "must be a string")
        found = text_problem(value, limit, multiline=multiline)
        if found:
            refuse(*found)
        return value

    return AfterValidator(check)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, float | bool):
        refuse("decimal_string", 'must be a decimal string such as "40", never a float')
    try:
        return plain_decimal(value)
    except PydanticCustomError as error:
        rule = "decimal" if error.type in ("not_decimal", "not_decimal_string") else error.type
        refuse(rule, error.message())


def instant(value: Any) -> datetime | None:
    """An ISO 8601 datetime with a UTC offset, within 2000-2100 (None when absent)."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(str(value)[:64])
    except ValueError:
        refuse("iso8601", f"{str(value)[:40]!r} is not an ISO 8601 datetime")
    if parsed.tzinfo is None:
        refuse("timezone", "needs a UTC offset, such as 2026-11-20T10:00:00-05:00")
    years = range(FIRST_DAY.year, LAST_DAY.year + 1)  # checked locally first: 9999-...-14:00 overflows UTC
    if parsed.year not in years or parsed.astimezone(UTC).year not in years:
        refuse("date_out_of_range", f"dates run from {FIRST_DAY} to {LAST_DAY}")
    return parsed


def _names(value: Any) -> Any:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        refuse("string_list", "evidence is a list of file names")
    if len(value) > MAX_FILES_PER_MILESTONE:  # the platforms' cap (mappings.attachments)
        refuse("too_many_files", f"at most {MAX_FILES_PER_MILESTONE} files per milestone")
    return value


def _connection(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        refuse("integer", "connection is a connection id (an integer)")
    if not 1 <= value <= MAX_ID:
        refuse("unknown_connection", "no such connection: see `milepost connections`")
    return value


def _string(limit: int, minimum: int = 0) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "minLength": minimum, "maxLength": limit})


Who: TypeAlias = Annotated[Any, _text(NAME, what="who made the decision (a non-empty string)"),
                           _string(NAME, 1)]
Asker: TypeAlias = Annotated[Any, _text(NAME, empty_rule="string", what="who asks (a non-empty string)"),
                             _string(NAME, 1)]
Reason: TypeAlias = Annotated[Any, _optional_text(LONG_TEXT, multiline=True), _string(LONG_TEXT)]
RequiredReason: TypeAlias = Annotated[Any, _text(LONG_TEXT, multiline=True, what="why (a non-empty string)"),
                                      _string(LONG_TEXT, 1)]
Reference: TypeAlias = Annotated[Any, _optional_text(REFERENCE), _string(REFERENCE)]
ApiDecimal: TypeAlias = Annotated[Any, AfterValidator(_decimal), WithJsonSchema(DECIMAL_JSON)]
Instant: TypeAlias = Annotated[Any, AfterValidator(instant), WithJsonSchema(
    {"type": "string", "format": "date-time", "description": "with a UTC offset; 2000 to 2100"})]
ConnectionId: TypeAlias = Annotated[Any, AfterValidator(_connection), WithJsonSchema(
    {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "link to this connection"})]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class StepFields(Body):
    """What a milestone step says besides its evidence."""

    by: Who
    at: Instant = None
    reason: Reason = ""
    percent: ApiDecimal = None
    amount: ApiDecimal = None


class DecisionBody(StepFields):
    """A milestone step: submit, accept, partial (a percent or an amount) or reject (a reason)."""

    evidence: Annotated[Any, AfterValidator(_names), WithJsonSchema(
        {"type": "array", "items": {"type": "string", "maxLength": EVIDENCE_NAME},
         "maxItems": MAX_FILES_PER_MILESTONE})] = None


class DecisionForm(StepFields):
    """The same step as multipart/form-data, with the evidence files themselves."""

    evidence: Annotated[Any, WithJsonSchema(
        {"type": "array", "items": {"type": "string", "format": "binary"},
         "maxItems": MAX_FILES_PER_MILESTONE})] = None


class VoidBody(Body):
    """Void the milestone's invoice (or credit its balance when partly paid)."""

    reason: RequiredReason
    by: Asker = "api"


class CreditBody(Body):
    """A credit of exactly `amount`, tax included, on the milestone's invoice."""

    amount: ApiDecimal = Field(json_schema_extra={"description": "what comes off, tax included"})
    reason: RequiredReason
    ref: Reference = ""
    by: Asker = "api"


class ScheduleBody(ScheduleShape):
    """The schedule file's structure, as JSON, and the connection to bill through."""

    connection: ConnectionId = None


def checked(model: type[BaseModel], body: Any) -> tuple[BaseModel | None, list[Problem]]:
    """The body as the model reads it, or every problem (field, rule, message) found."""
    try:
        return model.model_validate(body), []
    except ValidationError as error:
        found = [problem(p.field, p.rule, f"{p.field}: {p.message}") for p in problems_of(error, model)]
        return None, found


def decision_from(action: str, body: dict[str, Any], evidence: tuple[str, ...] = ()) -> Decision | list[Problem]:
    """Every problem with the step's body at once, or the decision. `evidence`: the names of
    uploaded files (a multipart step), added to any names the body gives."""
    parsed, found = checked(DecisionBody, body)
    failed = {p["field"] for p in found}
    reason = body.get("reason")
    if action == "reject" and "reason" not in failed and not (isinstance(reason, str) and reason.strip()):
        found.append(problem("reason", "required", "reason: a rejection needs a reason"))
    if action == "partial" and not failed & {"percent", "amount"}:
        given = [plain_decimal(body.get(f)) is not None for f in ("percent", "amount")]
        if given[0] == given[1]:
            found.append(problem("percent", "one_of", "partial: give exactly one of percent and amount"))
    if found or parsed is None:
        return found
    assert isinstance(parsed, DecisionBody)
    decision = Decision(action, str(parsed.by).strip(), parsed.at or datetime.now(UTC),
                        reason=parsed.reason, percent=parsed.percent, amount=parsed.amount,
                        evidence=(*(parsed.evidence or ()), *evidence))
    # each evidence name within its column, as the portal's decisions are checked
    return [problem(*p) for p in decision_problems(decision)] or decision
