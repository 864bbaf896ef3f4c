"""Xero's own OpenAPI document as the sandbox's rule book: what a request may carry.

Strictness by construction rather than case by case: the document (copied into `specs/` with
its licence) says, per operation, which scopes it needs, which query parameters it takes with
which types and enumerations, and the schema of its body (types, enumerations, lengths,
required fields). `parameter_problems` and `body_problems` check a request against that,
`Operation.scopes` names its scopes, and `known_only` drops what the document does not
describe before anything is stored or echoed back. The document is parsed once, on first
use (about half a second with libyaml), and the validators are built once per schema.

Enumerations are compared without case: Xero reads JSON with a case-insensitive enum
converter (xero-python and Xero's own examples mix `Exclusive` and `EXCLUSIVE`), which the
sandbox README lists as an assumption.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

# yaml, jsonschema and openapi-schema-validator are imported on first use: importing them
# costs longer than starting the rest of the sandbox.

SPEC_FILE = Path(__file__).resolve().parent / "specs" / "xero_accounting.yaml"
_URI = "urn:xero:accounting"
_PARAM = re.compile(r"\{[^}]+\}|<[^>]+>")
IDEMPOTENCY_KEY_MAX = 128  # the document's idempotencyKey parameter: "128 character max."


@functools.cache
def document() -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_FILE.open(encoding="utf-8") as handle:
        return dict(yaml.load(handle, Loader=loader))  # noqa: S506 - a safe loader


def _any_case_enum(validator: Any, enums: list[Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
    from jsonschema.exceptions import ValidationError

    if instance in enums:
        return
    if isinstance(instance, str) and any(isinstance(e, str) and e.lower() == instance.lower()
                                         for e in enums):
        return
    yield ValidationError(f"{instance!r} is not one of {', '.join(map(str, enums))}")


@functools.cache
def _validator_class() -> Any:
    from jsonschema import validators
    from openapi_schema_validator import OAS30Validator

    return validators.extend(OAS30Validator, {"enum": _any_case_enum})


@functools.cache
def _registry() -> Any:
    from referencing import Registry
    from referencing.jsonschema import DRAFT4

    return Registry().with_resource(_URI, DRAFT4.create_resource(document()))


@functools.cache
def _validator(pointer: str) -> Any:
    return _validator_class()({"$ref": f"{_URI}#{pointer}"}, registry=_registry())


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    scopes: tuple[str, ...]
    parameters: tuple[dict[str, Any], ...]
    body_pointer: str | None


def _resolve(node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        node = _at(str(node["$ref"]))
    return node


def _at(pointer: str) -> Any:
    node: Any = document()
    for part in pointer.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _shape(template: str) -> str:
    """`/Invoices/{InvoiceID}` and Flask's `/Invoices/<record_id>` both become `/Invoices/{}`."""
    return _PARAM.sub("{}", template)


@functools.cache
def _operations() -> dict[tuple[str, str], Operation]:
    table = {}
    for template, item in document()["paths"].items():
        shared = [_resolve(p) for p in item.get("parameters", [])]
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete"):
                continue
            scopes = tuple(s for rule in op.get("security", []) for s in rule.get("OAuth2", []))
            params = tuple(shared + [_resolve(p) for p in op.get("parameters", [])])
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
            ref = (body.get("schema") or {}).get("$ref")
            table[(_shape(template), method.upper())] = Operation(template, method.upper(), scopes,
                                                                 params, ref)
    return table


def operation(method: str, rule: str, prefix: str) -> Operation | None:
    """The document's operation for a Flask rule (`/api.xro/2.0/Invoices/<record_id>`)."""
    return _operations().get((_shape(rule[len(prefix):]), method.upper()))


def _field_path(error: ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def body_problems(op: Operation, body: Any) -> list[str]:
    """Each place the JSON body breaks the operation's schema, as `Field: rule` messages."""
    if op.body_pointer is None:
        return []
    errors = sorted(_validator(op.body_pointer.lstrip("#")).iter_errors(body),
                    key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_field_path(e) or 'The request body'}: {_rule(e)}" for e in errors]


def _rule(error: ValidationError) -> str:
    """The broken rule in words, without echoing a long value back."""
    if error.validator == "maxLength":
        return f"must be {error.validator_value} characters or fewer"
    if error.validator == "minLength":
        return f"must be at least {error.validator_value} characters"
    if error.validator == "type":
        return f"must be of type {error.validator_value}"
    text = str(error.message)
    return text if len(text) <= 200 else text[:197] + "..."


def _query_value_problem(name: str, value: str, schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", value.strip()):
            return f"The query parameter {name} must be a whole number, not {value!r}"
    elif kind == "boolean":
        if value.strip().lower() not in ("true", "false"):
            return f"The query parameter {name} must be true or false, not {value!r}"
    enum = schema.get("enum")
    if enum and value.lower() not in {str(e).lower() for e in enum}:
        return f"The query parameter {name} must be one of {', '.join(map(str, enum))}"
    return None


def parameter_problems(op: Operation, args: Mapping[str, str], headers: Any) -> list[str]:
    """Documented query parameters with the wrong type or value, and an over-long
    Idempotency-Key (the document: "128 character max.")."""
    problems = []
    lowered = {key.lower(): value for key, value in args.items()}
    for param in op.parameters:
        if param.get("in") != "query":
            continue
        value = lowered.get(str(param["name"]).lower())
        if value is None:
            continue
        found = _query_value_problem(str(param["name"]), value, _resolve(param.get("schema") or {}))
        if found:
            problems.append(found)
    key = headers.get("Idempotency-Key")
    if key is not None and len(key) > IDEMPOTENCY_KEY_MAX:
        problems.append(f"The Idempotency-Key header must be {IDEMPOTENCY_KEY_MAX} characters or "
                        f"fewer; this one has {len(key)}")
    return problems


def _properties(schema: Any) -> dict[str, Any] | None:
    schema = _resolve(schema)
    if not isinstance(schema, Mapping):
        return None
    props: dict[str, Any] = {}
    for part in schema.get("allOf", []):
        props.update(_properties(part) or {})
    props.update(schema.get("properties") or {})
    return props or None


def known_only(schema_name: str, value: Any) -> Any:
    """The value with every key the document's schema does not describe dropped, recursively:
    Xero ignores unknown keys, so they are neither stored nor echoed back."""
    return _prune(document()["components"]["schemas"][schema_name], value)


def _prune(schema: Any, value: Any) -> Any:
    schema = _resolve(schema)
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema, Mapping) else None
        return [_prune(items, v) for v in value] if items is not None else value
    if not isinstance(value, Mapping):
        return value
    props = _properties(schema)
    if props is None:
        return dict(value)
    return {key: _prune(props[key], item) for key, item in value.items() if key in props}
