"""Check QuickBooks JSON against Intuit's V3 schema (Finance.xsd and the files it includes).

The JSON API is the XML schema rendered as JSON: every key of an entity must be an element
(or attribute) its type or one of its base types declares, nested objects follow their
element's type, references carry ``value`` plus the ``name``/``type`` attributes, and
enumerated values must be among the schema's enumerations.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

XS = "{http://www.w3.org/2001/XMLSchema}"
SPEC_DIR = Path(__file__).resolve().parents[3] / "connector" / "sandbox" / "quickbooks" / "specs"
FILES = ("IntuitBaseTypes.xsd", "IntuitNamesTypes.xsd", "Finance.xsd", "SalesTax.xsd")


@dataclass
class ComplexType:
    base: str | None = None
    elements: dict[str, str] = field(default_factory=dict)
    attributes: set[str] = field(default_factory=set)
    simple_content: bool = False


def _local(name: str | None) -> str | None:
    return name.split(":")[-1] if name else None


@dataclass
class Schema:
    types: dict[str, ComplexType] = field(default_factory=dict)
    enums: dict[str, set[str]] = field(default_factory=dict)
    globals: dict[str, str] = field(default_factory=dict)

    def members(self, type_name: str) -> tuple[dict[str, str], set[str], bool]:
        elements: dict[str, str] = {}
        attributes: set[str] = set()
        simple = False
        current: str | None = type_name
        while current and current in self.types:
            kind = self.types[current]
            elements.update(kind.elements)
            attributes |= kind.attributes
            simple = simple or kind.simple_content
            current = kind.base
        return elements, attributes, simple

    def problems(self, type_name: str, value: object, where: str) -> list[str]:
        if type_name in self.enums and not isinstance(value, dict | list):
            if str(value) not in self.enums[type_name]:
                return [f"{where}: {value!r} is not in {type_name}"]
            return []
        if type_name not in self.types:
            return [f"{where}: object given for simple type {type_name}"] \
                if isinstance(value, dict) else []
        if not isinstance(value, dict):
            return []
        elements, attributes, simple = self.members(type_name)
        found = []
        for key, item in value.items():
            path = f"{where}.{key}"
            if key in attributes or (simple and key == "value"):
                continue
            if key not in elements:
                found.append(f"{path}: not an element of {type_name}")
                continue
            for entry in item if isinstance(item, list) else [item]:
                found += self.problems(elements[key], entry, path)
        return found


def _read_type(node: ET.Element, schema: Schema) -> ComplexType:
    kind = ComplexType()
    for extension in node.iter():
        if extension.tag in (XS + "extension", XS + "restriction") and extension.get("base"):
            base = _local(extension.get("base"))
            if base and not base.startswith("xs"):
                kind.base = base
        if extension.tag == XS + "simpleContent":
            kind.simple_content = True
        if extension.tag == XS + "element":
            name = extension.get("name") or _local(extension.get("ref"))
            type_name = _local(extension.get("type")) or ""
            if extension.get("ref"):
                type_name = schema.globals.get(name or "", name or "")
            if name:
                kind.elements[name] = type_name
        if extension.tag == XS + "attribute" and extension.get("name"):
            kind.attributes.add(extension.get("name") or "")
    return kind


@cache
def load() -> Schema:
    schema = Schema()
    roots = [ET.parse(SPEC_DIR / name).getroot() for name in FILES if (SPEC_DIR / name).exists()]
    for root in roots:
        for node in root.findall(XS + "element"):
            schema.globals[node.get("name") or ""] = _local(node.get("type")) or ""
    for root in roots:
        for node in root.findall(XS + "complexType"):
            schema.types[node.get("name") or ""] = _read_type(node, schema)
        for node in root.findall(XS + "simpleType"):
            values = {e.get("value") or "" for e in node.iter(XS + "enumeration")}
            if values:
                schema.enums[node.get("name") or ""] = values
    return schema


def schema_problems(entity: str, obj: dict) -> list[str]:
    """Every way ``obj`` strays from the schema's ``entity`` type (empty when it conforms)."""
    schema = load()
    assert entity in schema.types, f"the schema has no type {entity}"
    return schema.problems(entity, obj, entity)
