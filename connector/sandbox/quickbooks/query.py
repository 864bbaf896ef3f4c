"""The QuickBooks query language, as far as python-quickbooks and connectors use it.

``SELECT * | COUNT(*) FROM Entity [WHERE a = 'x' AND b IN ('1','2') AND c LIKE '%y%' AND
d >= '2025-01-01'] [ORDERBY|ORDER BY f [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS m]``.
Values compare as QuickBooks compares them: references by their ``value``, numbers as numbers,
times as instants (a time without an offset is in the company's zone), text without regard
to case. A reference compares by its ``value`` and an address object by its text
(``PrimaryEmailAddr = 'ap@acme.example'``, as QuickBooks allows for Customer). List entities
return only active rows unless the query filters on ``Active``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import QBOError

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100
COMPANY_ZONE = timezone(timedelta(hours=-7))
TOKEN = re.compile(r"""\s*(?:('(?:\\.|[^'\\])*')|(>=|<=|!=|<>|=|<|>|\(|\)|,|\*)|([^\s'=<>!(),*]+))""")
HEAD = re.compile(r"\s*select\s+(.+?)\s+from\s+(\w+)(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass
class Condition:
    path: str
    op: str
    values: list[str]


@dataclass
class Query:
    entity: str
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)
    start: int = 1
    limit: int = DEFAULT_RESULTS


def parse_error(detail: str) -> QBOError:
    return QBOError(4000, "Error parsing query", f"QueryParserError: {detail}")


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.rstrip().rstrip(";")
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip() == "":
                break
            raise parse_error(f'Encountered "{text[position:position + 10]}"')
        tokens.append(next(g for g in match.groups() if g is not None))
        position = match.end()
    return tokens


def _literal(token: str) -> str:
    if token.startswith("'"):
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _where(tokens: list[str], i: int, query: Query) -> int:
    while True:
        if i + 1 >= len(tokens):
            raise parse_error("Encountered end of query in WHERE")
        path, op = tokens[i], tokens[i + 1].upper()
        i += 2
        if op == "IN":
            if i >= len(tokens) or tokens[i] != "(":
                raise parse_error('Expected "(" after IN')
            values, i = [], i + 1
            while i < len(tokens) and tokens[i] != ")":
                if tokens[i] != ",":
                    values.append(_literal(tokens[i]))
                i += 1
            i += 1
            query.conditions.append(Condition(path, "IN", values))
        elif op in ("=", "<", ">", "<=", ">=", "!=", "<>", "LIKE"):
            if i >= len(tokens):
                raise parse_error(f"Expected a value after {op}")
            query.conditions.append(Condition(path, op, [_literal(tokens[i])]))
            i += 1
        else:
            raise parse_error(f'Encountered "{tokens[i - 1]}" at {path}')
        if i < len(tokens) and tokens[i].upper() == "AND":
            i += 1
            continue
        return i


def parse(text: str) -> Query:
    head = HEAD.match(text)
    if head is None:
        raise parse_error(f'Encountered "{text[:20]}"; expected a select statement')
    fields, entity, rest = head.groups()
    query = Query(entity=entity, count=fields.replace(" ", "").upper() == "COUNT(*)")
    tokens, i = _tokens(rest), 0
    while i < len(tokens):
        word = tokens[i].upper()
        if word == "WHERE":
            i = _where(tokens, i + 1, query)
        elif word in ("ORDERBY", "ORDER"):
            i += 2 if word == "ORDER" else 1
            while i < len(tokens):
                descending = i + 1 < len(tokens) and tokens[i + 1].upper() == "DESC"
                query.order.append((tokens[i], descending))
                i += 2 if i + 1 < len(tokens) and tokens[i + 1].upper() in ("ASC", "DESC") else 1
                if i < len(tokens) and tokens[i] == ",":
                    i += 1
                    continue
                break
        elif word in ("STARTPOSITION", "MAXRESULTS") and i + 1 < len(tokens):
            try:
                value = int(tokens[i + 1])
            except ValueError:
                raise parse_error(f"{word} needs a number") from None
            if word == "STARTPOSITION":
                query.start = max(1, value)
            else:
                query.limit = max(0, min(MAX_RESULTS, value))
            i += 2
        else:
            raise parse_error(f'Encountered "{tokens[i]}"')
    return query


# the field that stands for the whole object in a filter: references, email, web, phone
_TEXT_OF = ("value", "Address", "URI", "FreeFormNumber")


def _values(obj: Any, parts: list[str]) -> list[Any]:
    """Every value at a dotted path; lists (AttachableRef, Line) fan out."""
    if isinstance(obj, list):
        return [v for item in obj for v in _values(item, parts)]
    if not parts:
        if isinstance(obj, dict):
            key = next((k for k in _TEXT_OF if k in obj), None)
            return [obj[key]] if key else [obj]
        return [obj]
    if not isinstance(obj, dict):
        return []
    key = next((k for k in obj if k.lower() == parts[0].lower()), None)
    return _values(obj[key], parts[1:]) if key else []


def _lookup(obj: dict, path: str) -> Any:
    found = _values(obj, path.split("."))
    return found[0] if found else None


def _instant(text: str) -> datetime | None:
    if "T" not in text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=COMPANY_ZONE)


def _compare(actual: Any, wanted: str) -> int | None:
    """-1/0/1 like cmp, or None when the two cannot be compared."""
    if actual is None:
        return None
    if isinstance(actual, bool):
        return 0 if str(actual).lower() == wanted.lower() else 1
    text = str(actual)
    left, right = _instant(text), _instant(wanted)
    if left and right:
        return (left > right) - (left < right)
    if isinstance(actual, int | float):
        try:
            a, b = Decimal(text), Decimal(wanted)
            return (a > b) - (a < b)
        except InvalidOperation:
            return None
    a_text, b_text = text.casefold(), wanted.casefold()
    return (a_text > b_text) - (a_text < b_text)


def _like(actual: Any, pattern: str) -> bool:
    regex = "".join(".*" if c == "%" else re.escape(c) for c in pattern)
    return actual is not None and re.fullmatch(regex, str(actual), re.IGNORECASE | re.DOTALL) is not None


def matches(obj: dict, condition: Condition) -> bool:
    candidates = _values(obj, condition.path.split(".")) or [None]
    return any(_matches_value(actual, condition) for actual in candidates)


def _matches_value(actual: Any, condition: Condition) -> bool:
    if condition.op == "IN":
        return any(_compare(actual, v) == 0 for v in condition.values)
    if condition.op == "LIKE":
        return _like(actual, condition.values[0])
    result = _compare(actual, condition.values[0])
    if result is None:
        return False
    return {"=": result == 0, "!=": result != 0, "<>": result != 0, "<": result < 0,
            ">": result > 0, "<=": result <= 0, ">=": result >= 0}[condition.op]


def _sort_key(obj: dict, path: str) -> tuple:
    value = _lookup(obj, path)
    if value is None:
        return (0, "")
    if isinstance(value, int | float) or (path.lower() == "id" and str(value).isdigit()):
        return (1, Decimal(str(value)))
    instant = _instant(str(value))
    return (2, instant.timestamp()) if instant else (3, str(value).casefold())


def run(query: Query, rows: list[dict], active_default: bool) -> tuple[list[dict], int]:
    """Filter, order and page ``rows``; returns the page and the total match count."""
    conditions = list(query.conditions)
    if active_default and not any(c.path.lower() == "active" for c in conditions):
        conditions.append(Condition("Active", "=", ["true"]))
    found = [row for row in rows if all(matches(row, c) for c in conditions)]
    found.sort(key=lambda row: _sort_key(row, "Id"))
    for path, descending in reversed(query.order):
        found.sort(key=lambda row, p=path: _sort_key(row, p), reverse=descending)  # type: ignore[misc]
    start = query.start - 1
    return found[start:start + query.limit], len(found)
