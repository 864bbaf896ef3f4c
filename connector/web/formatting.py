"""How numbers, dates and states read on every page: one set of Jinja filters.

Every amount on a page goes through `money` (Babel, in the configured `[app] locale`, always
with its currency: "$48,250.00", "£12,000.00", "¥1,200"), so no page prints a bare decimal and
no two currencies share a figure. Dates go through `day` (the locale's medium form). A
milestone's state is shown by `state_badge`: its own colour and its words, so paid never looks
like planned and nobody has to tell colours apart to read it (the colours are in
`static/milepost.css`, each passing WCAG AA contrast for its text).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask, current_app
from markupsafe import Markup, escape

from connector.billing.money import Money

NOTHING = "—"
# Short words a person reads at a glance, and the colour family (a CSS class) of each state.
STATES: dict[str, tuple[str, str]] = {
    "planned": ("planned", "neutral"),
    "submitted": ("awaiting approval", "waiting"),
    "accepted": ("accepted", "progress"),
    "partially_accepted": ("partly accepted", "progress"),
    "deemed_accepted": ("deemed accepted", "progress"),
    "rejected": ("rejected", "bad"),
    "invoice_due": ("invoice queued", "progress"),
    "invoiced": ("invoiced", "billed"),
    "partially_paid": ("partly paid", "billed"),
    "paid": ("paid", "good"),
    "voided": ("voided", "gone"),
}


def locale() -> str:
    return str(current_app.config.get("MILEPOST_LOCALE", "en_US"))


def money(value: Money | None, empty: str = NOTHING) -> str:
    """`value` in the page's locale with its currency, or `empty` for no amount."""
    if value is None:
        return empty
    return value.display(locale())


def day(value: date | datetime | None, empty: str = NOTHING) -> str:
    """A date as people in the locale write it ("Dec 1, 2026")."""
    if value is None:
        return empty
    return format_date(value.date() if isinstance(value, datetime) else value, "medium", locale=locale())


def number(value: Decimal | int | None, empty: str = NOTHING) -> str:
    """A plain number (a count, a percent) with the locale's separators."""
    if value is None:
        return empty
    return format_decimal(value, locale=locale())


def state_badge(state: object) -> Markup:
    """The state as a badge of its own colour carrying its words."""
    value = str(getattr(state, "value", state))
    words, tone = STATES.get(value, (value.replace("_", " "), "neutral"))
    return Markup('<span class="badge tone-{} state-{}">{}</span>').format(tone, value, escape(words))


def install(app: Flask, locale_name: str) -> None:
    """Register the filters on `app`, formatting in `locale_name`."""
    app.config["MILEPOST_LOCALE"] = locale_name
    app.jinja_env.filters.update(money=money, day=day, number=number, state_badge=state_badge)
