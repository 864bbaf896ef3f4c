"""The 0018 upgrade on a database with data, the organisation scope, and users' passwords."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from connector.billing.model import AuditEvent
from connector.store import people, service
from connector.store.db import (
    current_revision,
    head_revision,
    make_engine,
    migrate,
    session_factory,
)
from connector.store.errors import ProjectNotFound
from connector.store.models import ConnectionRow, OrganisationRow, ProjectRow, UserRow
from connector.store.organisations import Organisation

from .samples import acme_milestones, acme_project

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OLD_PROJECT = (
    "INSERT INTO projects (key, name, customer_name, customer_email, customer_company, currency, "
    "contract_total, contract_date, time_zone, payment_terms_days, approval_window_days, "
    "holiday_calendar, late_fee, retainage, version, created_at, updated_at) VALUES ('OLD-1', "
    "'Old', 'Acme', 'ap@acme.example', NULL, 'USD', 100, '2026-01-05', 'UTC', 30, 5, 'US', '{}', "
    "'{}', 1, :at, :at)")


def test_existing_projects_and_connections_join_the_default_organisation_and_old_sessions_end(database_url):
    engine = make_engine(database_url)
    try:
        migrate(engine, "0015_mail12_outbox_mail")
        with engine.begin() as db:
            db.execute(text(OLD_PROJECT), {"at": NOW})
            db.execute(text("INSERT INTO connections (id, platform, tenant_id, name, status, created_at) "
                            "VALUES (3, 'quickbooks', '9130', 'Books', 'active', :at)"), {"at": NOW})
            db.execute(text("INSERT INTO job_runs (job, connection_id, started_at, outcome, counts) "
                            "VALUES ('sync', 3, :at, 'ok', '{}')"), {"at": NOW})  # refers to it
            db.execute(text("INSERT INTO admin_sessions (id_hash, created_at, last_seen_at) "
                            "VALUES ('shared-password-session', :at, :at)"), {"at": NOW})

        migrate(engine)

        assert current_revision(engine) == head_revision()
        sessions = session_factory(engine)
        with sessions.begin() as db:
            service.import_schedule(db, acme_project(), acme_milestones(),
                                    AuditEvent("ACME-WEB", None, "imported", NOW, "tester"))
            other = OrganisationRow(name="Another firm")  # a new id after the one 0018 gave
            db.add(other)
            db.flush()
            db.add(ConnectionRow(platform="xero", tenant_id="t-2", name="Theirs", organisation_id=other.id))
        with sessions() as db:
            assert db.scalar(text("SELECT count(*) FROM admin_sessions")) == 0
            assert Organisation(db).project_keys() == ["ACME-WEB", "OLD-1"]
            assert Organisation(db).connection_ids() == {3}
            assert Organisation(db, other.id).project_keys() == []
            assert Organisation(db, other.id).connection(3) is None
            with pytest.raises(ProjectNotFound):
                Organisation(db, other.id).project("OLD-1")
            assert {row.organisation_id for row in db.scalars(select(ProjectRow))} == {1}
    finally:
        engine.dispose()


def test_passwords_are_argon2id_and_only_the_right_one_signs_in(sessions):
    with sessions.begin() as db:
        people.add_user(db, " Ana@Example.COM ", "admin", "a long enough password", name="Ana")
    with sessions() as db:
        stored = db.scalar(select(UserRow))
        assert stored.email == "ana@example.com"
        assert stored.password_hash.startswith("$argon2id$")
        assert "a long enough password" not in stored.password_hash
        assert people.authenticate(db, "ANA@example.com", "a long enough password") is not None
        assert people.authenticate(db, "ana@example.com", "a long enough passworD") is None
        assert people.authenticate(db, "nobody@example.com", "a long enough password") is None


@pytest.mark.parametrize(("email", "role", "password", "field"), [
    ("not-an-address", "viewer", None, "email"),
    ("ana@example.com", "owner", None, "role"),
    ("ana@example.com", "viewer", "short", "password"),
])
def test_a_bad_user_is_refused_naming_the_field_and_nothing_is_written(sessions, email, role, password, field):
    with sessions() as db:
        with pytest.raises(people.UserRefused, match=f"^{field}: "):
            people.add_user(db, email, role, password)
        db.rollback()
        assert db.scalar(select(UserRow)) is None


def test_the_last_admin_can_be_neither_demoted_nor_removed(sessions):
    with sessions.begin() as db:
        only = people.add_user(db, "ana@example.com", "admin")
        with pytest.raises(people.UserRefused, match="only admin"):
            people.set_role(db, only, "viewer")
        with pytest.raises(people.UserRefused, match="only admin"):
            people.remove_user(db, only)
        people.add_user(db, "bo@example.com", "admin")
        people.set_role(db, only, "viewer")
    with sessions() as db:
        assert {u.email: u.role for u in Organisation(db).users()} == {"ana@example.com": "viewer",
                                                                      "bo@example.com": "admin"}
