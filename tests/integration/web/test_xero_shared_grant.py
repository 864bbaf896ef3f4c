"""A Xero consent reaching two organisations, from the admin app: one grant, two connections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from connector.platforms import custody, install
from connector.platforms.errors import NeedsReconnect
from connector.platforms.token_endpoint import xero_refresher
from connector.platforms.token_rows import TokenGrantRow
from connector.web.connections import list_connections

from .conftest import consent_and_callback, csrf_of


def grants_and_connections(app):  # type: ignore[no-untyped-def]
    with app.extensions["milepost"].sessions() as db:
        return db.scalar(select(func.count()).select_from(TokenGrantRow)), list_connections(db)


def refresh_through(app, connection_id: int):  # type: ignore[no-untyped-def]
    """Force a refresh (as if half an hour had passed) through this one connection."""
    res = app.extensions["milepost"]
    later = datetime.now(UTC) + timedelta(minutes=31)
    refresher = xero_refresher(res.endpoints()[1], clock=lambda: later)
    return custody.refresh_if_needed(res.sessions, connection_id, refresher, res.cipher(), now=later)


def test_one_consent_is_one_grant_and_refreshes_through_either_organisation(app, admin):
    consent_and_callback(admin, "xero")
    grants, (first, second) = grants_and_connections(app)

    assert grants == 1
    assert refresh_through(app, first.id) == refresh_through(app, second.id)
    assert {c.status for c in grants_and_connections(app)[1]} == {"active"}


def test_reconnecting_moves_both_organisations_to_the_new_grant(app, admin):
    consent_and_callback(admin, "xero")
    before = grants_and_connections(app)[1]

    consent_and_callback(admin, "xero")

    grants, after = grants_and_connections(app)
    assert grants == 1
    assert [c.id for c in after] == [c.id for c in before]
    refresh_through(app, after[1].id)


def test_disconnecting_one_organisation_removes_only_its_xero_connection(app, admin):
    consent_and_callback(admin, "xero")
    first, second = grants_and_connections(app)[1]
    res = app.extensions["milepost"]

    admin.post(f"/admin/connections/{first.id}/disconnect", data={"csrf": csrf_of(admin)})

    tokens = refresh_through(app, second.id)  # the grant lives on for the other organisation
    reached = {t.tenant_id for t in install.xero_tenants(res.endpoints()[1], tokens)}
    assert reached == {second.tenant_id}
    assert grants_and_connections(app)[0] == 1


def test_disconnecting_the_last_organisation_revokes_the_grant(app, admin):
    consent_and_callback(admin, "xero")
    first, second = grants_and_connections(app)[1]
    res = app.extensions["milepost"]
    admin.post(f"/admin/connections/{first.id}/disconnect", data={"csrf": csrf_of(admin)})
    with res.sessions() as db:
        tokens = custody.load_tokens(db, second.id, res.cipher())

    admin.post(f"/admin/connections/{second.id}/disconnect", data={"csrf": csrf_of(admin)})

    grants, after = grants_and_connections(app)
    assert grants == 0
    assert {c.status for c in after} == {"disconnected"}
    with pytest.raises(NeedsReconnect):
        xero_refresher(res.endpoints()[1])(tokens)
