"""Amounts read as people write them, in the configured locale, with their currency; charts
carry their figures in words and as a table."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from flask import Flask

from connector.billing.glance import Series
from connector.billing.money import Money
from connector.web import charts, formatting


@pytest.fixture
def page_locale():  # type: ignore[no-untyped-def]
    def within(locale: str):  # type: ignore[no-untyped-def]
        app = Flask(__name__)
        formatting.install(app, locale)
        return app.app_context()

    return within


@pytest.mark.parametrize(("locale", "amount", "expected"), [
    ("en_US", Money("48250.00", "USD"), "$48,250.00"),
    ("en_US", Money("12000.00", "GBP"), "£12,000.00"),
    ("en_GB", Money("12000.00", "GBP"), "£12,000.00"),
    ("de_DE", Money("48250.00", "EUR"), "48.250,00\xa0€"),
    ("en_US", Money("1200", "JPY"), "¥1,200"),
])
def test_money_reads_in_the_configured_locale_with_its_currency(page_locale, locale, amount, expected):
    with page_locale(locale):
        assert formatting.money(amount) == expected


def test_a_missing_amount_or_date_reads_as_a_dash(page_locale):
    with page_locale("en_US"):
        assert (formatting.money(None), formatting.day(None)) == ("—", "—")
        assert formatting.day(date(2026, 12, 1)) == "Dec 1, 2026"


def test_every_state_has_words_and_a_colour_of_its_own_family():
    paid, planned = formatting.state_badge("paid"), formatting.state_badge("planned")
    assert "tone-good" in paid
    assert ">paid<" in paid
    assert "tone-neutral" in planned
    assert ">planned<" in planned
    tones = {tone for _, tone in formatting.STATES.values()}
    assert len(tones) >= 6  # planned, waiting, progress, billed, paid, rejected/voided differ


def fmt(m: Money) -> str:
    return f"{m.currency} {m.amount:,}"


def day(d: date) -> str:
    return d.isoformat()


def svg_of(markup: str) -> ElementTree.Element:
    found = re.search(r"<svg class=\"chart\".*?</svg>", markup, re.S)
    assert found
    return ElementTree.fromstring(found.group(0))


NS = "{http://www.w3.org/2000/svg}"


def test_the_project_chart_names_itself_and_says_where_each_series_stands():
    usd = "USD"
    series = (
        Series("scheduled", ((date(2026, 11, 2), Money("5000", usd)), (date(2026, 12, 11), Money("15000", usd)))),
        Series("billed", ((date(2026, 11, 19), Money("10000", usd)),)),
        Series("paid", ()),
    )

    markup = str(charts.progress_chart(series, usd, fmt, day))

    svg = svg_of(markup)
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby", "").split()
    assert svg.find(f"{NS}title").get("id") == title_id
    desc = svg.find(f"{NS}desc")
    assert desc.get("id") == desc_id
    assert "scheduled USD 15,000.00; billed USD 10,000.00; paid nothing yet" in desc.text
    assert len(svg.findall(f"{NS}path")) == 2  # one line per series that has points
    rows = re.findall(r"<tr><td>(.*?)</td><td class=num>(.*?)</td><td class=num>(.*?)</td>", markup)
    assert ("2026-11-19", "USD 5,000.00", "USD 10,000.00") in rows  # the table fallback


def test_an_empty_project_says_so_instead_of_drawing_nothing():
    markup = str(charts.progress_chart((Series("scheduled", ()),), "USD", fmt, day))
    assert "<svg" not in markup
    assert "nothing scheduled, billed or paid yet" in markup


def weeks(start: date, expected: list[str]) -> list[charts.ForecastWeek]:
    return [charts.ForecastWeek(start + timedelta(weeks=i), Decimal(v) * 2, Decimal(v), Decimal(v) / 2)
            for i, v in enumerate(expected)]


def test_the_forecast_draws_a_panel_per_currency_each_on_its_own_scale():
    start = date(2026, 12, 7)
    figures = {"USD": weeks(start, ["1000"] * 12), "GBP": weeks(start, ["0"] * 11 + ["500"])}

    markup = str(charts.forecast_chart(figures, fmt, day))

    svg = svg_of(markup)
    assert svg.get("viewBox").endswith(" 340")  # two panels, GBP above USD
    assert "GBP: GBP 500.00 expected over 12 weeks; USD: USD 12,000.00 expected over 12 weeks." in \
        svg.find(f"{NS}desc").text
    assert len(svg.findall(f"{NS}rect")) == 2 * 12 * 3  # early, expected, late each week
    tallest = {}
    for rect in svg.findall(f"{NS}rect"):
        panel = "GBP" if float(rect.get("y")) < 170 else "USD"
        tallest[panel] = max(tallest.get(panel, 0.0), float(rect.get("height")))
    assert tallest["GBP"] == pytest.approx(tallest["USD"])  # each currency fills its own panel
    assert markup.count("<details") == 2  # a table per currency


def test_no_forecast_figures_say_so():
    assert "no cash expected" in str(charts.forecast_chart({}, fmt, day))
    nothing_in_gbp = {"GBP": weeks(date(2026, 12, 7), ["0"] * 12)}
    assert "no cash expected" in str(charts.forecast_chart(nothing_in_gbp, fmt, day))
