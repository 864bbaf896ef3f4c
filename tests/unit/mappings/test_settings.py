"""Mapping settings: project over connection, lines over both, every missing code named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.billing.model import InvoiceLine
from connector.billing.money import Money
from mappings.settings import (
    CompanyLists,
    MappingError,
    MappingSettings,
    Ref,
    resolve_settings,
)

BOOKS = CompanyLists(
    items=(Ref("1", "Services"), Ref("7", "Design"), Ref("9", "Retainage")),
    accounts=(Ref("a-200", "200"), Ref("a-260", "260")),
    tax_codes=(Ref("NON", "Non-taxable"), Ref("TAX", "Taxable")),
    classes=(Ref("c1", "Web"),),
    terms=(Ref("3", "Net 30"),),
    tracking=(("Region", ("North", "South")),),
)


def line(description: str, amount: str, **kw: object) -> InvoiceLine:
    return InvoiceLine(description=description, amount=Money(Decimal(amount), "USD"), **kw)  # type: ignore[arg-type]


def test_project_settings_override_the_connection_defaults_and_inherit_the_rest() -> None:
    connection = MappingSettings(sales_item="Services", tax_code="NON", terms="Net 30")
    project = MappingSettings(sales_item="Design")

    merged = project.over(connection)

    assert merged.sales_item == "Design"
    assert merged.tax_code == "NON"
    assert merged.terms == "Net 30"


def test_a_line_naming_its_own_item_wins_over_kind_and_default() -> None:
    settings = MappingSettings(sales_item="Services", kind_items=(("retainage", "Retainage"),))
    lines = (
        line("Design phase", "500.00"),
        line("Retainage withheld", "-50.00", kind="retainage"),
        line("Logo work", "100.00", item_code="design"),
    )

    resolved = resolve_settings(settings, BOOKS, lines)

    items = [resolved.for_line(item).item for item in lines]
    assert items == [Ref("1", "Services"), Ref("9", "Retainage"), Ref("7", "Design")]


def test_codes_match_by_id_or_by_name_ignoring_case() -> None:
    resolved = resolve_settings(MappingSettings(sales_item="7", tax_code="taxable"), BOOKS)

    assert resolved.item == Ref("7", "Design")
    assert resolved.tax_code == Ref("TAX", "Taxable")


def test_every_missing_code_is_reported_at_once_and_named() -> None:
    settings = MappingSettings(
        sales_item="Consulting",
        tax_code="GST",
        class_name="Mobile",
        tracking=(("Region", "East"), ("Team", "Blue")),
    )
    lines = (line("Extra", "10.00", item_code="Hosting"),)

    with pytest.raises(MappingError) as caught:
        resolve_settings(settings, BOOKS, lines)

    named = {(p.field, p.code) for p in caught.value.problems}
    assert named == {
        ("sales item", "Consulting"),
        ("sales item", "Hosting"),
        ("tax code", "GST"),
        ("class", "Mobile"),
        ("tracking option of Region", "East"),
        ("tracking category", "Team"),
    }
    assert "'Consulting'" in str(caught.value)
    assert "line 1 (Extra)" in str(caught.value)


def test_quickbooks_needs_an_item_for_every_line() -> None:
    with pytest.raises(MappingError, match="sales item '\\(none set\\)'"):
        resolve_settings(MappingSettings(), BOOKS, (line("Design", "1.00"),), require_item=True)


def test_xero_needs_a_sales_account() -> None:
    with pytest.raises(MappingError, match="sales account"):
        resolve_settings(MappingSettings(), BOOKS, (), require_account=True)


def test_settings_read_from_stored_json_refuse_unknown_keys() -> None:
    stored = {"sales_item": "Services", "tracking": {"Region": "North"}}

    assert MappingSettings.from_dict(stored).tracking == (("Region", "North"),)
    with pytest.raises(ValueError, match="sales_itme"):
        MappingSettings.from_dict({"sales_itme": "Services"})
