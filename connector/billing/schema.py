"""The shape of a schedule and the bounds of every field: one pydantic model for every door.

A schedule arrives as TOML, JSON, CSV or an API body; all of them become the same raw dict and
pass `check_shape` before `validation` applies the billing rules (currencies, sums, dates
against the contract). The shape is what keeps hostile or careless input from reaching the
rules or the database: texts no longer than their columns and free of control characters, keys
safe in URLs and invoice numbers, day counts and sequence numbers within sense, decimals without
exponents and with at most 12 integer digits (NUMERIC(18, 4) holds 14), dates in 2000-2100,
lists of bounded length, and no field the schedule does not have (a misspelling is named with a
"did you mean"). Each problem keeps the schedule's error shape: the field (`milestones[2].name`),
a rule code and a message; the shape's messages never echo the value (nothing hostile is printed).

The same checks (`text_problem`, `plain_decimal`) bound the API's and the portal's decisions
(`connector.web.decisions`) and the CLI's free-text arguments. Kept in the domain because it
is pure validation: pydantic knows nothing of Flask or SQLAlchemy.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeAlias, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from .errors import ValidationProblem

# A project key names the project in URLs, file names and invoice numbers.
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
LIMIT_MILESTONES = 100
SEQ_MIN, SEQ_MAX = 1, 999
DAYS_MAX = 365  # payment terms, grace, pause-work: calendar days
WINDOW_MIN, WINDOW_MAX = 1, 60  # the approval window, in business days
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
INTEGER_DIGITS, FRACTION_DIGITS = 12, 10
LONG_TEXT = 4000  # deliverables, acceptance criteria, reasons (a QuickBooks line holds 4000)
EVIDENCE_KINDS = 20
RETAINAGE_STEPS = 10
# Column lengths (connector.store.models): names 200, e-mails 320, keys 64, time zone 64.
NAME, EMAIL, TIME_ZONE, CALENDAR, EVIDENCE_KIND = 200, 320, 64, 16, 100
# An approver's e-mail is who decided (milestones.accepted_by, audit_events.actor: 200).
APPROVER_EMAIL = 200

# C0/C1 controls (NUL included), lone surrogates (unencodable in UTF-8) and the bidirectional
# overrides and isolates that make text read differently from what it is (U+202E).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def text_problem(value: str, limit: int, *, multiline: bool = False) -> tuple[str, str] | None:
    """(rule, message) when the text is too long or holds a control character, else None."""
    if len(value) > limit:
        return "too_long", f"at most {limit} characters, got {len(value)}"
    found = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    if found:
        return "control_character", f"control character U+{ord(found.group()):04X} is not allowed"
    return None


def key_problem(value: str) -> tuple[str, str] | None:
    if KEY_PATTERN.fullmatch(value):
        return None
    return "bad_key", ("a key is 1-32 letters, digits, '.', '_' or '-', starting with a letter "
                       "or digit")


def _fail(found: tuple[str, str] | None) -> None:
    if found:
        raise PydanticCustomError(found[0], found[1].replace("{", "(").replace("}", ")"))


def _text(limit: int, *, multiline: bool = False) -> AfterValidator:
    def check(value: str) -> str:
        _fail(text_problem(value, limit, multiline=multiline))
        return value

    return AfterValidator(check)


def _key(value: str) -> str:
    _fail(text_problem(value, 64) or key_problem(value))
    return value


def whole_number(value: Any, low: int, high: int) -> int | None:
    """An integer (or a string of ASCII digits, as CSV gives it) within [low, high]."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        text = value.strip()
        if len(text) > 12:
            raise PydanticCustomError("too_large", f"must be at most {high}")
        value = int(text)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PydanticCustomError("not_integer", "must be a whole number")
    if value < low:
        raise PydanticCustomError("too_small", f"must be at least {low}")
    if value > high:
        raise PydanticCustomError("too_large", f"must be at most {high}")
    return value


def _whole(low: int, high: int) -> AfterValidator:
    return AfterValidator(lambda v: (whole_number(v, low, high), v)[1])


def plain_decimal(value: Any) -> Decimal | None:
    """A decimal string (or integer) of at most 12 integer and 10 fraction digits, no exponent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | float):
        raise PydanticCustomError("not_decimal_string", 'write amounts as decimal strings, e.g. "12.50"')
    if isinstance(value, int):
        if abs(value) >= 10**INTEGER_DIGITS:
            raise PydanticCustomError("too_large", f"at most {INTEGER_DIGITS} digits before the decimal point")
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PydanticCustomError("not_decimal", "not a decimal number")
        text = f"{value:f}"
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
    else:
        raise PydanticCustomError("not_decimal", "not a decimal number")
    if len(text) > 2 * (INTEGER_DIGITS + FRACTION_DIGITS) or not _PLAIN_DECIMAL.fullmatch(text):
        raise PydanticCustomError("not_decimal", "not a plain decimal number (digits and one "
                                  "decimal point, no exponent), e.g. \"12.50\"")
    whole, _, fraction = text.lstrip("+-").partition(".")
    if len(whole.lstrip("0")) > INTEGER_DIGITS:
        raise PydanticCustomError("too_large", f"at most {INTEGER_DIGITS} digits before the decimal point")
    if len(fraction.rstrip("0")) > FRACTION_DIGITS:
        raise PydanticCustomError("too_precise", f"at most {FRACTION_DIGITS} digits after the decimal point")
    return Decimal(text)


def day_in_range(value: Any) -> date | None:
    """A date (or ISO 8601 date string) from 2000-01-01 to 2100-12-31."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str) and len(value) <= 40:
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            pass
    if not isinstance(value, date):
        raise PydanticCustomError("bad_date", "not an ISO 8601 date (YYYY-MM-DD)")
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError("date_out_of_range", f"dates run from {FIRST_DAY} to {LAST_DAY}")
    return value


def _doc(schema: dict[str, Any]) -> WithJsonSchema:
    """What the field's JSON Schema says (for the API's OpenAPI document); the check is the
    validator beside it."""
    return WithJsonSchema(schema)


def _checked(check: Callable[[Any], Any]) -> AfterValidator:
    return AfterValidator(lambda v: (check(v), v)[1])


# The field types: each checks its value and passes it on unchanged (the rules convert).
Name: TypeAlias = Annotated[StrictStr, _text(NAME), _doc({"type": "string", "maxLength": NAME})]
Email: TypeAlias = Annotated[StrictStr, _text(EMAIL), _doc({"type": "string", "maxLength": EMAIL})]
ApproverEmail: TypeAlias = Annotated[StrictStr, _text(APPROVER_EMAIL),
                                     _doc({"type": "string", "maxLength": APPROVER_EMAIL})]
TimeZone: TypeAlias = Annotated[StrictStr, _text(TIME_ZONE), _doc({"type": "string", "maxLength": TIME_ZONE})]
Calendar: TypeAlias = Annotated[StrictStr, _text(CALENDAR), _doc({"type": "string", "maxLength": CALENDAR})]
EvidenceKind: TypeAlias = Annotated[StrictStr, _text(EVIDENCE_KIND),
                                    _doc({"type": "string", "maxLength": EVIDENCE_KIND})]
LongText: TypeAlias = Annotated[StrictStr, _text(LONG_TEXT, multiline=True),
                                _doc({"type": "string", "maxLength": LONG_TEXT})]
Short: TypeAlias = Annotated[StrictStr, _text(32), _doc({"type": "string", "maxLength": 32})]
Key: TypeAlias = Annotated[StrictStr, AfterValidator(_key),
                           _doc({"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$"})]
Days: TypeAlias = Annotated[Any, _whole(0, DAYS_MAX), _doc({"type": "integer", "minimum": 0, "maximum": DAYS_MAX})]
Window: TypeAlias = Annotated[Any, _whole(WINDOW_MIN, WINDOW_MAX),
                              _doc({"type": "integer", "minimum": WINDOW_MIN, "maximum": WINDOW_MAX})]
Seq: TypeAlias = Annotated[Any, _whole(SEQ_MIN, SEQ_MAX),
                           _doc({"type": "integer", "minimum": SEQ_MIN, "maximum": SEQ_MAX})]
# What a decimal string looks like, for the API's description (plain_decimal is the check).
DECIMAL_JSON: dict[str, Any] = {
    "type": "string", "pattern": rf"^[+-]?[0-9]{{0,{INTEGER_DIGITS}}}(\.[0-9]{{0,{FRACTION_DIGITS}}})?$"}
Dec: TypeAlias = Annotated[Any, _checked(plain_decimal), _doc(DECIMAL_JSON)]
Day: TypeAlias = Annotated[Any, _checked(day_in_range), _doc({
    "type": "string", "format": "date", "formatMinimum": str(FIRST_DAY), "formatMaximum": str(LAST_DAY)})]
Anything: TypeAlias = Any


class Shape(BaseModel):
    """Unknown fields are refused (and named), values are checked, nothing is converted."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, populate_by_name=False)


class CustomerShape(Shape):
    name: Name | None = None
    email: Email | None = None
    company: Name | None = None


class LateFeeShape(Shape):
    percent_per_month: Dec = None
    flat: Dec = None
    grace_days: Days = None
    as_: Short | None = Field(default=None, alias="as")
    as_separate_invoice: Anything = None


class RetainageStepShape(Shape):
    percent: Dec = None
    until_billed_percent: Dec = None


class RetainageShape(Shape):
    steps: list[RetainageStepShape] | None = Field(default=None, max_length=RETAINAGE_STEPS)


class DepositShape(Shape):
    percent: Dec = None
    amount: Dec = None
    credit: Short | None = None


class MappingShape(Shape):
    sales_item: Name | None = None
    sales_account: Name | None = None
    tax_code: Name | None = None
    class_name: Name | None = None
    terms: Name | None = None
    line_amount_types: Short | None = None
    tracking: dict[Name, Name] | None = Field(default=None, max_length=10)
    kind_items: dict[Short, Name] | None = Field(default=None, max_length=20)


class ProjectShape(Shape):
    key: Key | None = None
    name: Name | None = None
    customer: CustomerShape | None = None
    currency: Short | None = None
    contract_total: Dec = None
    contract_date: Day = None
    time_zone: TimeZone | None = None
    payment_terms_days: Days = None
    approval_window_days: Window = None
    holiday_calendar: Calendar | None = None
    pause_work_after_days: Days = None
    late_fee: LateFeeShape | None = None
    retainage_percent: Dec = None
    retainage: RetainageShape | None = None
    deposit: DepositShape | None = None
    mapping: MappingShape | None = None


class ApproverShape(Shape):
    name: Name | None = None
    role: Name | None = None
    email: ApproverEmail | None = None


class MilestoneShape(Shape):
    seq: Seq = None
    name: Name | None = None
    deliverable: LongText | None = None
    acceptance_criteria: LongText | None = None
    approver: ApproverShape | None = None
    evidence: list[EvidenceKind] | None = Field(default=None, max_length=EVIDENCE_KINDS)
    trigger: Short | None = None
    percent: Dec = None
    amount: Dec = None
    planned_date: Day = None
    billing: Short | None = None


class ScheduleShape(Shape):
    project: ProjectShape | None = None
    milestones: list[MilestoneShape | None] | None = Field(default=None, max_length=LIMIT_MILESTONES)


# Rules the billing checks report when a field the shape took out is missing from its table.
_MISSING_RULES = {"required", "amount_or_percent", "percent_or_amount", "approver_without_email",
                  "not_list"}


def after_shape(shape: list[ValidationProblem], found: list[ValidationProblem]) -> list[ValidationProblem]:
    """The shape's problems, then the rules' problems about anything else: a field the shape
    refused is not reported again, nor is its table for missing it."""
    def covered(p: ValidationProblem) -> bool:
        field = p.field.removeprefix("schedule.")
        for s in shape:
            if field == s.field or field.startswith((s.field + ".", s.field + "[")):
                return True
            if p.rule in _MISSING_RULES and s.field.startswith((field + ".", field + "[")):
                return True
        return False

    return [*shape, *(p for p in found if not p.is_error or not covered(p))]


# --- problems ------------------------------------------------------------------------------

_RULES = {  # pydantic's own error types, as the schedule's rule codes
    "missing": "required",
    "string_type": "not_text",
    "dict_type": "not_table",
    "model_type": "not_table",
    "model_attributes_type": "not_table",
    "list_type": "not_list",
    "extra_forbidden": "unknown_field",
}


_MESSAGES = {"not_text": "must be text", "not_table": "must be a table", "not_list": "must be a list"}


def field_name(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """('milestones', 2, 'percent') -> 'milestones[2].percent'; odd keys are shown quoted."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        shown = part if re.fullmatch(r"[A-Za-z0-9_\-\[\]]{1,40}", part) else repr(part[:40])
        out += f".{shown}" if out else shown
    return out


def problems_of(error: ValidationError, model: type[BaseModel], prefix: str = "") -> list[ValidationProblem]:
    """pydantic's errors as ValidationProblems with the schedule's rule codes."""
    found = []
    for e in error.errors(include_url=False, include_input=False):
        loc = tuple(e["loc"])
        rule = _RULES.get(e["type"], e["type"])
        if rule == "too_long" and "field_type" in e.get("ctx", {}):  # a list or table, not a text
            rule = "too_many"
        message = e["msg"]
        if rule == "unknown_field":
            message = _unknown(model, loc)
            if "mapping" in loc[:-1]:
                rule = "unknown_setting"
        elif rule in _MESSAGES:
            message = _MESSAGES[rule]
        elif rule == "too_many":
            message = f"at most {e.get('ctx', {}).get('max_length')} entries"
        found.append(ValidationProblem(field_name(loc, prefix), rule, message))
    return found


def _unknown(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    return unknown_field_message(str(loc[-1]), _fields_at(model, loc[:-1]))


def unknown_field_message(name: str, known: list[str]) -> str:
    """"unknown field 'x': did you mean 'y'?": the one wording of every unknown-field refusal."""
    shown = repr(name[:40])
    guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if guess:
        return f"unknown field {shown}: did you mean {guess[0]!r}?"
    return f"unknown field {shown}; known fields: {', '.join(known)}" if known else f"unknown field {shown}"


def _fields_at(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> list[str]:
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        model = _model_in(info.annotation) if info is not None else None
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def check_shape(raw: Any, model: type[BaseModel] = ScheduleShape, prefix: str = "") -> tuple[list[ValidationProblem], Any]:
    """Every field of `raw` that breaks the shape or a bound, and a copy of `raw` with those
    fields taken out (a list item becomes None), so the billing rules that follow see only
    well-shaped values. A raw value that is not a table is left to the caller."""
    if not isinstance(raw, Mapping):
        return [], raw
    try:
        model.model_validate(dict(raw))
    except ValidationError as error:
        cleaned: Any = dict(raw)
        for e in error.errors(include_url=False, include_input=False):
            cleaned = _dropped(cleaned, tuple(e["loc"]))
        return problems_of(error, model, prefix), cleaned
    return [], raw


def _dropped(data: Any, loc: tuple[int | str, ...]) -> Any:
    """`data` without the deepest value along `loc` that is there (a list item becomes None;
    a `[key]` marker names a dict key). Only the tables and lists on the way are copied."""
    if not loc:
        return data
    part, rest = loc[0], loc[1:]
    if isinstance(data, Mapping) and isinstance(part, str) and part in data:
        copy = dict(data)
        inner = _dropped(data[part], rest) if rest and _has(data[part], rest[0]) else _GONE
        if inner is _GONE:
            del copy[part]
        else:
            copy[part] = inner
        return copy
    if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
        items = list(data)
        items[part] = _dropped(data[part], rest) if rest and _has(data[part], rest[0]) else None
        return items
    return data


_GONE = object()


def _has(data: Any, part: int | str) -> bool:
    if isinstance(data, Mapping):
        return isinstance(part, str) and part in data
    return isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
