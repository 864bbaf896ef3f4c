"""`GET /api/v1/forecast`: expected cash in per week and currency (`milepost forecast`), for
one project (`project`) or all of the calling key's organisation's, over `weeks` (1 to MAX_WEEKS, default 12) from `at` (a date,
default today UTC). The query and the answer are models, as every other route's."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from flask import Response
from pydantic import AfterValidator, WithJsonSchema

from connector.billing.schema import FIRST_DAY, LAST_DAY, text_problem
from connector.store.errors import ProjectNotFound
from connector.store.forecast import DEFAULT_WEEKS, MAX_WEEKS, forecast_for

from ..keys import organisation
from ..resources import resources
from .answers import Answer, DecimalText, send
from .bodies import Body, refuse
from .paging import read_query
from .problems import problem, problem_response
from .routes import route


def _weeks(value: Any) -> int | None:
    if value is None:
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or not 1 <= int(text) <= MAX_WEEKS:
        refuse("out_of_range", f"a whole number from 1 to {MAX_WEEKS}, got {text[:20]!r}")
    return int(text)


def _day(value: Any) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(str(value)[:40])
    except ValueError:
        refuse("iso_date", f"{str(value)[:40]!r} is not a date such as 2026-12-01")
    if not FIRST_DAY <= day <= LAST_DAY:
        refuse("date_out_of_range", f"dates run from {FIRST_DAY} to {LAST_DAY}")
    return day


def _project(value: Any) -> str | None:
    if value is None:
        return None
    bad = text_problem(str(value), 64)
    if bad:
        refuse(*bad)
    return str(value)


class ForecastQuery(Body):
    project: Annotated[Any, AfterValidator(_project), WithJsonSchema(
        {"type": "string", "maxLength": 64, "description": "one project's forecast (default: all)"})] = None
    weeks: Annotated[Any, AfterValidator(_weeks), WithJsonSchema(
        {"type": "integer", "minimum": 1, "maximum": MAX_WEEKS, "default": DEFAULT_WEEKS})] = None
    at: Annotated[Any, AfterValidator(_day), WithJsonSchema(
        {"type": "string", "format": "date", "description": "the day to forecast from (default today, UTC)"})] = None


class ForecastWeek(Answer):
    week: int
    start: date
    end: date


class Figures(Answer):
    early: DecimalText
    expected: DecimalText
    late: DecimalText


class WeekFigures(Figures):
    week: int


class CurrencyForecast(Answer):
    weeks: list[WeekFigures]
    later: Figures
    total: Figures


class LatenessDays(Answer):
    early: int
    expected: int
    late: int
    payments: int


class ForecastItem(Answer):
    source: str
    project: str
    seq: int | None
    milestone: str | None
    invoice: str | None
    currency: str
    amount: DecimalText
    due_date: date | None
    early: date | None
    expected: date | None
    late: date | None
    week: int | None
    lateness_days: LatenessDays


class Forecast(Answer):
    """Expected cash in: per week and currency, the items counted, drafts and undated work."""

    as_of: date
    weeks: list[ForecastWeek]
    currencies: dict[str, CurrencyForecast]
    items: list[ForecastItem]
    drafts: list[ForecastItem]
    undated: list[ForecastItem]



@route("GET", "/forecast", scope="read", tag="forecast", summary="Expected cash in per week and currency",
       answers={200: Forecast}, query=ForecastQuery, problems=(404,))
def forecast() -> Response:
    parsed, found = read_query(ForecastQuery)
    if parsed is None:
        return problem_response(400, *found)
    assert isinstance(parsed, ForecastQuery)
    with resources().sessions() as db:
        try:
            built = forecast_for(db, parsed.weeks or DEFAULT_WEEKS, parsed.project, parsed.at,
                                 organisation(db).id)
        except ProjectNotFound as error:
            return problem_response(404, problem("project", "not_found", str(error)))
    return send(Forecast, built.as_json())
