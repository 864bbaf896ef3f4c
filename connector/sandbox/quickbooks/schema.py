"""Intuit's V3 schema (the XSDs in ``specs/``): what a QuickBooks body may hold, and how it fails.

QuickBooks reads a JSON body into classes generated from these XSDs (Jackson over JAXB), so a
key the entity's type does not declare, a value of the wrong simple type or a word outside an
enumeration is refused before any business rule runs: HTTP 400, a ValidationFault with code
2010 "Request has invalid or unsupported property" and Jackson's own words in the Detail (e.g.
``Property Name:Unrecognized field "X" (class com.intuit.schema.finance.v3.Item), not marked
as ignorable``, routablehq/python-quickbooks#80 and #38; ``Can not construct instance of
java.math.BigDecimal from String value``, mcohen01/node-quickbooks#39).

The JSON API is the XML schema rendered as JSON: every key of an entity is an element (or an
attribute) its type or one of its base types declares, nested objects follow their element's
type, references carry ``value`` plus the ``name``/``type`` attributes. The same walk checks
the sandbox's answers in the tests (``problems``) and refuses requests here (``check_request``).
python-quickbooks sends ``""`` for every field left unset and QuickBooks reads it as absent, so
an empty string (or null) is never a fault.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from .errors import QBOError

XS = "{http://www.w3.org/2001/XMLSchema}"
SPEC_DIR = Path(__file__).resolve().with_name("specs")
FILES = ("IntuitBaseTypes.xsd", "IntuitNamesTypes.xsd", "Finance.xsd", "SalesTax.xsd",
         "IntuitRestServiceDef.xsd")
JAVA_PACKAGE = "com.intuit.schema.finance.v3"
# the XSD's built-in types, by the kind of JSON value that may stand for them
BUILTIN = {"string": "string", "anyURI": "string", "boolean": "boolean", "decimal": "decimal",
           "int": "int", "integer": "int", "long": "int", "positiveInteger": "int",
           "date": "date", "dateTime": "dateTime"}
JAVA = {"string": "java.lang.String", "boolean": "boolean", "decimal": "java.math.BigDecimal",
        "int": "java.lang.Integer", "date": "java.util.Date", "dateTime": "java.util.Date"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ].*|[zZ]|[+-]\d{2}:\d{2})?$")
UNSUPPORTED = "Request has invalid or unsupported property"


@dataclass
class ComplexType:
    base: str | None = None
    elements: dict[str, str] = field(default_factory=dict)
    attributes: set[str] = field(default_factory=set)
    simple_content: bool = False
    groups: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """One way a body strays from the schema; ``detail`` is what QuickBooks would say."""

    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"


def _local(name: str | None) -> str | None:
    return name.split(":")[-1] if name else None


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fits(kind: str, value: object) -> bool:
    """Whether Jackson would read ``value`` as the built-in ``kind`` (it coerces scalars)."""
    if kind == "string":
        return True
    if kind == "boolean":
        return isinstance(value, bool | int) or (
            isinstance(value, str) and value.lower() in ("true", "false"))
    if isinstance(value, bool):
        return False
    if kind in ("decimal", "int"):
        if isinstance(value, int | float | Decimal):
            return True
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return False
        return number.is_finite() and (kind == "decimal" or number == number.to_integral_value())
    text = str(value).strip()
    if kind == "date":
        if not DATE.match(text):
            return False
        try:
            date.fromisoformat(text[:10])
        except ValueError:
            return False
        return True
    if kind == "dateTime":
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return False
        return True
    return True


@dataclass
class Schema:
    types: dict[str, ComplexType] = field(default_factory=dict)
    enums: dict[str, set[str]] = field(default_factory=dict)
    simple: dict[str, str] = field(default_factory=dict)  # named simple type -> built-in kind
    globals: dict[str, str] = field(default_factory=dict)
    groups: dict[str, dict[str, str]] = field(default_factory=dict)
    _members: dict[str, tuple[dict[str, str], frozenset[str], bool]] = field(
        default_factory=dict, repr=False)

    def members(self, type_name: str) -> tuple[dict[str, str], frozenset[str], bool]:
        """A type's elements and attributes with its base types', once per type."""
        known = self._members.get(type_name)
        if known is not None:
            return known
        elements: dict[str, str] = {}
        attributes: set[str] = set()
        simple = False
        current: str | None = type_name
        while current and current in self.types:
            kind = self.types[current]
            elements.update(kind.elements)
            for group in kind.groups:
                elements.update(self.groups.get(group, {}))
            attributes |= kind.attributes
            simple = simple or kind.simple_content
            current = kind.base
        known = (elements, frozenset(attributes), simple)
        self._members[type_name] = known
        return known

    def entity_type(self, entity: str) -> str | None:
        """The complex type of a top-level entity (a global element of the schema)."""
        type_name = self.globals.get(entity)
        return type_name if type_name in self.types else None

    def problems(self, type_name: str, value: object, where: str) -> list[Problem]:
        """Every way ``value`` strays from ``type_name`` (empty when it conforms)."""
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return [p for entry in value for p in self.problems(type_name, entry, where)]
        if type_name in self.enums:
            if isinstance(value, dict) or _scalar_text(value) not in self.enums[type_name]:
                return [Problem(where, f"Can not construct instance of {JAVA_PACKAGE}."
                                       f"{type_name} from String value '{_scalar_text(value)}': "
                                       f"value not one of declared Enum instance names")]
            return []
        if type_name not in self.types:
            kind = BUILTIN.get(self.simple.get(type_name, type_name), "string")
            if isinstance(value, dict):
                return [Problem(where, f"Can not deserialize instance of {JAVA[kind]} out of "
                                       f"START_OBJECT token")]
            if not _fits(kind, value):
                return [Problem(where, f"Can not construct instance of {JAVA[kind]} from String "
                                       f"value '{_scalar_text(value)}': not a valid representation")]
            return []
        if not isinstance(value, dict):
            return [Problem(where, f"Can not instantiate value of type [simple type, class "
                                   f"{JAVA_PACKAGE}.{type_name}] from String value "
                                   f"('{_scalar_text(value)}'); no single-String "
                                   f"constructor/factory method")]
        elements, attributes, simple = self.members(type_name)
        found: list[Problem] = []
        for key, item in value.items():
            path = f"{where}.{key}"
            if key in attributes or (simple and key == "value"):
                continue
            if key not in elements:
                found.append(Problem(path, f'Unrecognized field "{key}" (class {JAVA_PACKAGE}.'
                                           f"{type_name}), not marked as ignorable"))
                continue
            found += self.problems(elements[key], item, path)
        return found


def _read_type(node: ET.Element, schema: Schema) -> ComplexType:
    kind = ComplexType()
    for child in node.iter():
        if child.tag in (XS + "extension", XS + "restriction") and child.get("base"):
            base = _local(child.get("base"))
            if base and not (child.get("base") or "").startswith("xs:"):
                kind.base = base
        if child.tag == XS + "simpleContent":
            kind.simple_content = True
        if child.tag == XS + "element":
            name = child.get("name") or _local(child.get("ref"))
            type_name = _local(child.get("type")) or ""
            if child.get("ref"):
                type_name = schema.globals.get(name or "", name or "")
            if name:
                kind.elements[name] = type_name
        if child.tag == XS + "group" and child.get("ref"):
            kind.groups.append(_local(child.get("ref")) or "")
        if child.tag == XS + "attribute" and child.get("name"):
            kind.attributes.add(child.get("name") or "")
    return kind


@cache
def load() -> Schema:
    """Intuit's schema as shipped in ``specs/`` (read once per process, about 0.3 s)."""
    schema = Schema()
    # the files shipped beside this module, never a request body
    roots = [ET.parse(SPEC_DIR / name).getroot() for name in FILES]  # noqa: S314
    for root in roots:
        for node in root.findall(XS + "element"):
            schema.globals[node.get("name") or ""] = _local(node.get("type")) or ""
    for root in roots:
        for node in root.findall(XS + "complexType"):
            schema.types[node.get("name") or ""] = _read_type(node, schema)
        for node in root.findall(XS + "group"):
            schema.groups[node.get("name") or ""] = {
                e.get("name") or "": _local(e.get("type")) or ""
                for e in node.iter(XS + "element") if e.get("name")}
        for node in root.findall(XS + "simpleType"):
            values = {e.get("value") or "" for e in node.iter(XS + "enumeration")}
            if values:
                schema.enums[node.get("name") or ""] = values
                continue
            restriction = node.find(XS + "restriction")
            if restriction is not None:
                schema.simple[node.get("name") or ""] = _local(restriction.get("base")) or "string"
    return schema


def schema_problems(entity: str, obj: dict) -> list[str]:
    """Every way ``obj`` strays from the schema's ``entity`` type, as text (for the tests)."""
    schema = load()
    type_name = schema.entity_type(entity)
    if type_name is None:
        return [f"{entity}: the schema has no entity {entity}"]
    return [str(p) for p in schema.problems(type_name, obj, entity)]


def check_request(entity: str, body: dict) -> None:
    """Refuse a request body QuickBooks could not read into ``entity``, as QuickBooks does."""
    schema = load()
    type_name = schema.entity_type(entity)
    if type_name is None:
        return
    found = schema.problems(type_name, body, entity)
    if found:
        first = found[0]
        raise QBOError(2010, UNSUPPORTED,
                       f"Property Name:{first.detail} specified is unsupported or invalid",
                       element=first.path.split(".", 1)[-1])
