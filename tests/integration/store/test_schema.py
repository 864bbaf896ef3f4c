"""The schema is what the migrations build, and values come back exactly as they went in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select

from connector.billing.model import AuditEvent
from connector.store import service
from connector.store.db import current_revision, make_engine, migrate
from connector.store.models import Base, JobRunRow, ProjectRow
from connector.store.records import fill_project_row
from connector.store.repository import BillingRepository

from .samples import acme_milestones, acme_project


def test_migrations_build_every_table_the_models_describe(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(engine) is not None


def test_migrating_twice_changes_nothing(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    first = current_revision(engine)
    migrate(engine)
    assert current_revision(engine) == first
    engine.dispose()


@pytest.mark.parametrize("amount", ["0.01", "1234.57", "99999999999999.9999", "-12.3456", "0.001"])
def test_money_comes_back_as_the_exact_decimal_stored(sessions, amount):
    project = acme_project()
    with sessions.begin() as session:
        row = fill_project_row(ProjectRow(), project)
        row.contract_total = Decimal(amount)
        session.add(row)
    with sessions() as session:
        stored = session.scalars(select(ProjectRow.contract_total)).one()
    assert isinstance(stored, Decimal)
    assert stored == Decimal(amount)


def test_instants_come_back_aware_and_equal(sessions):
    tokyo = timezone(timedelta(hours=9))
    started = datetime(2026, 11, 20, 9, 30, tzinfo=tokyo)
    with sessions.begin() as session:
        session.add(JobRunRow(job="deem_acceptances", started_at=started))
    with sessions() as session:
        stored = session.scalars(select(JobRunRow.started_at)).one()
    assert stored.tzinfo is not None
    assert stored == started
    assert stored.astimezone(UTC).hour == 0


def test_naive_datetimes_are_refused(sessions):
    with sessions() as session:
        session.add(JobRunRow(job="x", started_at=datetime(2026, 1, 1)))  # noqa: DTZ001
        with pytest.raises(Exception, match="naive datetime"):
            session.flush()


def test_percentages_keep_their_places(sessions):
    milestones = acme_milestones()
    milestones[0] = replace(milestones[0], percent=Decimal("33.333333"))
    milestones[2] = replace(milestones[2], percent=Decimal("36.666667"))
    with sessions.begin() as session:
        event = AuditEvent("ACME-WEB", None, "imported", datetime.now(UTC), "tester")
        service.import_schedule(session, acme_project(), milestones, event)
    with sessions() as session:
        _, stored = BillingRepository(session).load("ACME-WEB")
    assert [m.percent for m in stored] == [Decimal("33.333333"), Decimal("30"), Decimal("36.666667")]
