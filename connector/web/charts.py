"""Charts drawn on the server as SVG: no script, no chart library, nothing from a CDN.

Each chart is a `<figure>`: the SVG (role="img", named by its <title> and described by its
<desc>, which says in words what the picture shows) and, for anyone who would rather read
figures or cannot see the picture, the same figures as a table in a <details> under it. Series
differ by line style and marker as well as colour, so the chart survives greyscale and colour
blindness. Amounts are passed through the caller's formatter (the page's locale, with the
currency); nothing here knows about Flask.

- `progress_chart`: a project's billed vs paid vs scheduled over time (cumulative steps).
- `forecast_chart`: the 12-week cash forecast, one panel per currency stacked one above the
  other (amounts in different currencies are never added or drawn on one scale), each week
  with its early, expected and late figure.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from markupsafe import Markup, escape

from connector.billing.glance import Series
from connector.billing.money import Money

Formatter = Callable[[Money], str]
WIDTH, LEFT, RIGHT, TOP, BOTTOM = 520, 96, 12, 14, 34
_ids = itertools.count(1)
# name -> (stroke colour, dash pattern, marker, width); colours pass 3:1 against white; billed
# is drawn wide under paid, so a fully paid line still shows both
LINE_STYLES = {
    "scheduled": ("#5f6b7a", "6 4", "square", 2.5),
    "billed": ("#1f5fbf", "", "circle", 6.0),
    "paid": ("#067647", "", "diamond", 2.5),
}
BAR_STYLES = {  # name -> (fill, stroke)
    "early": ("#9ec5f8", "#1f5fbf"),
    "expected": ("#1f5fbf", "#1f5fbf"),
    "late": ("#ffffff", "#1f5fbf"),
}


class ForecastWeek(NamedTuple):
    """One week of one currency's cash forecast: what arrives if clients pay early, as
    expected, or late (plain decimals in the currency of the panel)."""

    week_start: date
    early: Decimal
    expected: Decimal
    late: Decimal


def _trusted(html: str) -> Markup:
    """The chart's HTML: every text in it (titles, dates, amounts, names) went through
    `escape`, and every number is one this module formatted."""
    return Markup(html)  # noqa: S704 - built here from escaped parts only


def _nice_top(value: Decimal) -> Decimal:
    """The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10^n) at or above `value`."""
    if value <= 0:
        return Decimal(1)
    step = Decimal(1).scaleb(value.adjusted())
    for factor in ("1", "1.5", "2", "2.5", "3", "4", "5", "6", "8", "10"):
        if step * Decimal(factor) >= value:
            return step * Decimal(factor)
    return step * 10  # pragma: no cover - the loop always returns


def _x_scale(first: date, last: date, width: int) -> Callable[[date], float]:
    span = max((last - first).days, 1)
    return lambda d: LEFT + (width - LEFT - RIGHT) * (d - first).days / span


def _y_scale(top: Decimal, height: int, offset: int = 0) -> Callable[[Decimal], float]:
    inner = height - TOP - BOTTOM
    return lambda v: offset + TOP + inner - float(inner * (v / top))


def _text(x: float, y: float, words: str, anchor: str = "end", size: int = 12) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="#1d2733">{escape(words)}</text>')


def _axes(y: Callable[[Decimal], float], top: Decimal, currency: str, fmt: Formatter,
          width: int, offset: int = 0) -> list[str]:
    parts = []
    for tick in (Decimal(0), top / 2, top):
        at = y(tick)
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{at:.1f}" y2="{at:.1f}" stroke="#dfe3e8"/>')
        parts.append(_text(LEFT - 6, at + 4, fmt(Money(tick, currency))))
    return parts


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if kind == "diamond":
        return (f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y:.1f}L{x:.1f} {y + 5:.1f}'
                f'L{x - 5:.1f} {y:.1f}Z" fill="{colour}"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def _svg(title: str, desc: str, height: int, body: list[str], width: int = WIDTH) -> str:
    n = next(_ids)
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="chart-{n}-title chart-{n}-desc" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="chart-{n}-title">{escape(title)}</title>'
            f'<desc id="chart-{n}-desc">{escape(desc)}</desc>{"".join(body)}</svg>')


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    header = "".join(f'<th scope="col"{" class=num" if i else ""}>{escape(h)}</th>' for i, h in enumerate(head))
    lines = "".join("<tr>" + "".join(f'<td{" class=num" if i else ""}>{escape(c)}</td>'
                                     for i, c in enumerate(row)) + "</tr>" for row in rows)
    return (f'<details class="chart-table"><summary>{escape(caption)}: the figures as a table</summary>'
            f'<table><thead><tr>{header}</tr></thead><tbody>{lines}</tbody></table></details>')


def _legend(names: Sequence[str], swatch: Callable[[str], str]) -> str:
    items = "".join(f'<li>{swatch(name)}{escape(name)}</li>' for name in names)
    return f'<ul class="legend">{items}</ul>'


def _line_swatch(name: str) -> str:
    colour, dash, marker, _ = LINE_STYLES[name]
    return (f'<svg width="28" height="12" aria-hidden="true"><line x1="0" x2="28" y1="6" y2="6" '
            f'stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/>{_marker(marker, 14, 6, colour)}</svg>')


def progress_chart(series: Sequence[Series], currency: str, fmt: Formatter, day: Callable[[date], str],
                   title: str = "Billed, paid and scheduled over time") -> Markup:
    """Cumulative steps of each series (scheduled dashed, billed, paid), with a table."""
    dated = [p for s in series for p in s.points]
    if not dated:
        return _trusted(f'<p class="muted chart-empty">{escape(title)}: nothing scheduled, billed or paid yet.</p>')
    first, last = min(d for d, _ in dated), max(d for d, _ in dated)
    height = 240
    top = _nice_top(max(m.amount for _, m in dated))
    x, y = _x_scale(first, last, WIDTH), _y_scale(top, height)
    body = _axes(y, top, currency, fmt, WIDTH)
    body += [_text(LEFT, height - 10, day(first), "start"), _text(WIDTH - RIGHT, height - 10, day(last))]
    for s in series:
        colour, dash, marker, width = LINE_STYLES.get(s.name, ("#1d2733", "", "circle", 2.5))
        if not s.points:
            continue
        path = [f"M{x(s.points[0][0]):.1f} {y(Decimal(0)):.1f}"]
        path += [f"H{x(on):.1f}V{y(amount.amount):.1f}" for on, amount in s.points]
        path.append(f"H{x(last):.1f}")
        body.append(f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="{width}" '
                    f'stroke-dasharray="{dash}"/>')
        body += [_marker(marker, x(on), y(amount.amount), colour) for on, amount in s.points]
    final = "; ".join(f"{s.name} {fmt(s.points[-1][1])}" if s.points else f"{s.name} nothing yet" for s in series)
    desc = f"From {day(first)} to {day(last)}. So far: {final}."
    dates = sorted({d for d, _ in dated})
    rows = [[day(on)] + [fmt(_as_of(s, on, currency)) for s in series] for on in dates]
    return _trusted(
        f'<figure class="chart">{_svg(title, desc, height, body)}'
        f'{_legend([s.name for s in series], _line_swatch)}<figcaption class="muted">{escape(desc)}</figcaption>'
        f'{_table(title, ["date", *[s.name for s in series]], rows)}</figure>'
    )


def _as_of(series: Series, on: date, currency: str) -> Money:
    reached = [amount for d, amount in series.points if d <= on]
    return reached[-1] if reached else Money.zero(currency)


def _bar_swatch(name: str) -> str:
    fill, stroke = BAR_STYLES[name]
    return f'<svg width="14" height="12" aria-hidden="true"><rect x="1" y="1" width="12" height="10" fill="{fill}" stroke="{stroke}"/></svg>'


def forecast_chart(figures: Mapping[str, Sequence[ForecastWeek]], fmt: Formatter, day: Callable[[date], str],
                   title: str = "Cash expected in the next 12 weeks") -> Markup:
    """One panel per currency (sorted by code; none for a currency expecting nothing in these
    weeks), three bars a week: early, expected, late."""
    panels = {c: list(weeks) for c, weeks in sorted(figures.items())
              if any(w.early or w.expected or w.late for w in weeks)}
    if not panels:
        return _trusted(f'<p class="muted chart-empty">{escape(title)}: no cash expected.</p>')
    panel_height, body, said, tables = 170, [], [], []
    for index, (currency, weeks) in enumerate(panels.items()):
        offset = index * panel_height
        top = _nice_top(max(max(w.early, w.expected, w.late) for w in weeks))
        y = _y_scale(top, panel_height, offset)
        body += _axes(y, top, currency, fmt, WIDTH, offset)
        body.append(_text(WIDTH - RIGHT, offset + TOP - 2, currency, "end", 13))
        slot = (WIDTH - LEFT - RIGHT) / len(weeks)
        bar = slot / 4
        for i, week in enumerate(weeks):
            for j, name in enumerate(("early", "expected", "late")):
                value = Decimal(getattr(week, name))
                fill, stroke = BAR_STYLES[name]
                left = LEFT + i * slot + bar * (j + 0.5)
                body.append(f'<rect x="{left:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                            f'height="{y(Decimal(0)) - y(value):.1f}" fill="{fill}" stroke="{stroke}"/>')
        body += [_text(LEFT, offset + panel_height - 10, day(weeks[0].week_start), "start"),
                 _text(WIDTH - RIGHT, offset + panel_height - 10, day(weeks[-1].week_start))]
        expected = Money(sum((Decimal(w.expected) for w in weeks), Decimal(0)), currency)
        said.append(f"{currency}: {fmt(expected)} expected over {len(weeks)} weeks")
        tables.append(_table(f"{title} ({currency})", ["week of", "early", "expected", "late"], [
            [day(w.week_start), *(fmt(Money(Decimal(getattr(w, n)), currency)) for n in ("early", "expected", "late"))]
            for w in weeks]))
    desc = "; ".join(said) + "."
    return _trusted(
        f'<figure class="chart">{_svg(title, desc, panel_height * len(panels), body)}'
        f'{_legend(list(BAR_STYLES), _bar_swatch)}<figcaption class="muted">{escape(desc)}</figcaption>'
        f'{"".join(tables)}</figure>'
    )
