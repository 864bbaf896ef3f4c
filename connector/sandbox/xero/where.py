"""A small parser for the `where` parameter of Xero's GET endpoints.

It covers the filters that integrations really send: `Reference=="X"`, `Status=="DRAFT"`,
`Contact.ContactID==guid("...")`, `Date>=DateTime(2026,11,01)`, `Name.Contains("Ac")`,
`Name.ToLower()=="acme"`, comparisons `== != > >= < <=`, `AND`/`OR` (also `&&`/`||`), `NOT`,
parentheses, and the literals true/false/null. `==` and the orderings compare strings with
their case, as Xero does (its "Requests and responses" page: use `ToLower()` to match
loosely); Contains/StartsWith/EndsWith ignore case (see the README's assumptions). String
literals are read as the UTF-8 text they are, with only `\"` and `\\` as escapes. A filter it
cannot read raises `WhereError`, which the API answers with a 400 like Xero's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]


class WhereError(ValueError):
    """The filter text is not something this parser (or Xero) understands."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op>==|!=|>=|<=|&&|\|\||>|<|\(|\)|,|\.|!)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_METHODS = {"contains", "startswith", "endswith"}
_TRANSFORMS = {"tolower": str.lower, "toupper": str.upper}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NO_VALUE = object()


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise WhereError(f"cannot read the filter near {text[pos:pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def compile_where(text: str) -> Predicate:
    """Compile a where expression into a predicate over a typed record."""
    parser = _Parser(_tokens(text))
    predicate = parser.disjunction()
    if parser.pos != len(parser.tokens):
        raise WhereError(f"unexpected {parser.tokens[parser.pos][1]!r} in the filter")
    return predicate


def field_value(record: Mapping[str, Any], path: list[str]) -> Any:
    """Follow `Contact.ContactID` through nested records; missing parts give None."""
    value: Any = record
    for part in path:
        if not isinstance(value, Mapping):
            return None
        found = _NO_VALUE
        for key, item in value.items():
            if key.lower() == part.lower():
                found = item
                break
        value = None if found is _NO_VALUE else found
    return value


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token[1].lower() != expected.lower()):
            raise WhereError(f"expected {expected or 'more'} in the filter")
        self.pos += 1
        return token

    def at(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token[1].lower() in values

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.at("or", "||"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.negation()]
        while self.at("and", "&&"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def negation(self) -> Predicate:
        if self.at("not", "!"):
            self.take()
            inner = self.negation()
            return lambda r: not inner(r)
        if self.at("("):
            self.take("(")
            inner = self.disjunction()
            self.take(")")
            return inner
        return self.comparison()

    def path(self) -> tuple[list[str], list[Callable[[str], str]], str | None]:
        """Field names, then any ToLower()/ToUpper() calls, then perhaps a string method."""
        names = [self.take()[1]]
        transforms: list[Callable[[str], str]] = []
        while self.at("."):
            self.take(".")
            name = self.take()[1]
            if name.lower() in _TRANSFORMS and self.at("("):
                self.take("(")
                self.take(")")
                transforms.append(_TRANSFORMS[name.lower()])
                continue
            if name.lower() in _METHODS and self.at("("):
                return names, transforms, name.lower()
            if transforms:
                raise WhereError(f"unexpected {name!r} after a method call in the filter")
            names.append(name)
        return names, transforms, None

    def comparison(self) -> Predicate:
        token = self.peek()
        if token is None or token[0] != "word":
            raise WhereError("expected a field name in the filter")
        path, transforms, method = self.path()

        def value_of(record: Mapping[str, Any]) -> Any:
            value = field_value(record, path)
            for transform in transforms:
                value = transform(value) if isinstance(value, str) else value
            return value

        if method:
            self.take("(")
            needle = str(self.literal()).lower()
            self.take(")")
            return _method_predicate(value_of, method, needle)
        if not self.at("==", "!=", ">=", "<=", ">", "<"):
            return lambda r: bool(value_of(r))
        op = self.take()[1]
        literal = self.literal()
        return lambda r: _compare(value_of(r), op, literal)

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return _ESCAPE.sub(r"\1", text[1:-1])
        if kind == "number":
            return Decimal(text)
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if lowered == "guid":
            self.take("(")
            value = self.literal()
            self.take(")")
            return str(uuid.UUID(str(value)))
        if lowered == "datetime":
            return self.datetime_literal()
        raise WhereError(f"unexpected {text!r} in the filter")

    def datetime_literal(self) -> datetime:
        self.take("(")
        numbers: list[int] = []
        while not self.at(")"):
            kind, text = self.take()
            if kind == "number":
                numbers.append(int(text))
            elif text != ",":
                raise WhereError("DateTime() takes numbers")
        self.take(")")
        if not 3 <= len(numbers) <= 7:
            raise WhereError("DateTime() takes year, month and day, then at most hours to microseconds")
        year, month, day, hour, minute, second, micro = (*numbers, 0, 0, 0, 0)[:7]
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def _method_predicate(value_of: Callable[[Mapping[str, Any]], Any], method: str,
                      needle: str) -> Predicate:
    def check(record: Mapping[str, Any]) -> bool:
        value = value_of(record)
        if value is None:
            return False
        hay = str(value).lower()
        if method == "contains":
            return needle in hay
        if method == "startswith":
            return hay.startswith(needle)
        return hay.endswith(needle)

    return check


def _comparable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _compare(left: Any, op: str, right: Any) -> bool:
    a, b = _comparable(left), _comparable(right)
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if a is None or b is None:
        return False
    try:
        if op == ">=":
            return bool(a >= b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a < b)
    except TypeError:
        return False
