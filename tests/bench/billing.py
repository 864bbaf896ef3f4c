"""The billing core on its own: allocation, the report, and schedule import into the store.

A 7-milestone schedule (10/15/15/20/15/15/10 percent of 70,000.00) is the unit: allocated and
reported many times over, then 1,000 different projects allocated and reported once each, and
1,000 schedules validated and stored (SQLite and PostgreSQL), one transaction each, the way
the API imports them: once per backend for the time, and 100 more, into a fresh database, for
the memory peak.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connector.billing.allocation import scheduled_amounts
from connector.billing.model import AuditEvent
from connector.billing.report import build_report
from connector.billing.schedule import ParsedSchedule, build_schedule
from connector.cli.demo import SAMPLE_SCHEDULE
from connector.store import service
from connector.store.db import make_engine, migrate, session_factory, transaction

from .harness import measure

PERCENTS = ("10", "15", "15", "20", "15", "15", "10")
NOW = datetime(2027, 3, 15, 12, tzinfo=UTC)


def seven_milestones(key: str) -> dict[str, Any]:
    """The demo's project with seven milestones instead of five (no deposit)."""
    raw = tomllib.loads(SAMPLE_SCHEDULE)
    raw["project"].pop("deposit", None)
    raw["project"].update(key=key, contract_total="70000.00")
    template = raw["milestones"][0]
    start = date(2026, 11, 20)
    raw["milestones"] = [
        {**template, "seq": n, "name": f"Phase {n}", "percent": percent,
         "planned_date": (start + timedelta(weeks=3 * (n - 1))).isoformat()}
        for n, percent in enumerate(PERCENTS, 1)
    ]
    return raw


def parsed(count: int) -> list[ParsedSchedule]:
    return [build_schedule(seven_milestones(f"B{n:05d}")) for n in range(count)]


def _allocate(state: tuple[list[ParsedSchedule], int]) -> int:
    schedules, times = state
    for _ in range(times):
        for s in schedules:
            scheduled_amounts(s.project, s.milestones)
    return times * len(schedules)


def _report(state: tuple[list[ParsedSchedule], int]) -> int:
    schedules, times = state
    for _ in range(times):
        for s in schedules:
            build_report(s.project, s.milestones, (), NOW)
    return times * len(schedules)


def _importer(database_url: Callable[[], str]) -> tuple[Callable[[int], Callable[[], Any]], Callable[[Any], int]]:
    """(count -> setup: a fresh, migrated database and `count` schedules; run: import them)."""
    def setup(count: int) -> Callable[[], Any]:
        def make() -> Any:
            engine = make_engine(database_url())
            migrate(engine)
            return engine, [seven_milestones(f"I{n:05d}") for n in range(count)]
        return make

    def run(state: Any) -> int:
        engine, raws = state
        sessions = session_factory(engine)
        for raw in raws:
            schedule = build_schedule(raw)
            event = AuditEvent(project_key=schedule.project.key, seq=None, kind="imported", at=NOW,
                               actor="bench", data={"milestones": str(len(schedule.milestones))})
            with transaction(sessions) as session:
                service.import_schedule(session, schedule.project, schedule.milestones, event)
        engine.dispose()
        return len(raws)

    return setup, run


def run_billing(projects: int, repeats: int, databases: dict[str, Callable[[], str]],
                sample: int = 10) -> dict[str, Any]:
    """The billing figures; `databases` names a fresh-database maker per backend. Each figure's
    memory peak is taken on 1/`sample` of its work (see harness)."""
    one, many = parsed(1), parsed(projects)
    few = many[:max(1, projects // sample)]
    fewer = max(1, repeats // sample)
    figures: dict[str, Any] = {
        "allocation_7_milestones": measure(
            "allocations", lambda: (one, repeats), _allocate, lambda: (one, fewer)),
        "report_7_milestones": measure(
            "reports", lambda: (one, repeats), _report, lambda: (one, fewer)),
        f"allocation_{projects}_projects": measure(
            "projects", lambda: (many, 1), _allocate, lambda: (few, 1)),
        f"report_{projects}_projects": measure(
            "projects", lambda: (many, 1), _report, lambda: (few, 1)),
    }
    for backend, url in databases.items():
        setup, run = _importer(url)
        figures[f"import_{projects}_projects_{backend}"] = measure(
            "projects", setup(projects), run, setup(len(few)))
    return figures
