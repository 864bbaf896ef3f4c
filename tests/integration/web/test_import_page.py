"""The admin page "New project from an estimate/quote" (issue 12): pick an accepted estimate
from the connection's books, import it, and see every refusal on the page."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from connector.platforms.connect import open_gateway
from connector.store.models import ProjectRow
from connector.store.repository import BillingRepository
from tests.sandbox_books import quickbooks_estimate

from .conftest import consent_and_callback, csrf_of


def _estimate(app: Any, status: str, amount: str) -> str:
    """An estimate for the seeded customer 58, saved with python-quickbooks; its Id."""
    res = app.extensions["milepost"]
    gateway = open_gateway(res.sessions, 1, res.endpoints(), res.cipher())
    return str(quickbooks_estimate(gateway, status, [amount])["Id"])


def _projects(app: Any) -> int:
    with app.extensions["milepost"].sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ProjectRow)) or 0)


def _post(admin: Any, **fields: str) -> Any:
    return admin.post("/admin/imports/new", data={"csrf": csrf_of(admin), "connection": "1", **fields})


def test_an_accepted_estimate_is_chosen_from_the_list_and_becomes_a_project(app, admin):
    consent_and_callback(admin, "quickbooks")
    accepted = _estimate(app, "Accepted", "10000.01")
    _estimate(app, "Pending", "777.00")

    assert 'href="/admin/imports/new"' in admin.get("/admin/").get_data(as_text=True)
    page = html.unescape(admin.get("/admin/imports/new").get_data(as_text=True))
    table = page.split('id="estimates"')[1].split("</table>")[0]
    assert f'value="{accepted}"' in table
    assert "USD 10000.01" in table
    assert "777" not in table  # the pending estimate cannot be chosen

    answer = _post(admin, estimate=accepted, key="GARDEN", split="three-phase",
                   approver_emails="amy@birds.example")

    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/admin/projects/GARDEN")
    with app.extensions["milepost"].sessions() as session:
        project, milestones = BillingRepository(session).load("GARDEN")
    assert project.contract_total.amount == Decimal("10000.01")
    assert [m.name for m in milestones] == ["Kickoff deposit", "Midpoint", "Final delivery"]
    assert {m.approver.email for m in milestones} == {"amy@birds.example"}
    listed = html.unescape(admin.get("/admin/imports/new").get_data(as_text=True))
    assert "imported as" in listed
    assert "GARDEN" in listed


def test_refusals_are_shown_on_the_page_and_nothing_is_written(app, admin):
    consent_and_callback(admin, "quickbooks")
    accepted = _estimate(app, "Accepted", "2500.00")
    pending = _estimate(app, "Pending", "500.00")

    not_accepted = _post(admin, estimate=pending, key="PENDING-1")
    bad_key = _post(admin, estimate=accepted, key="has space")
    assert _post(admin, estimate=accepted, key="FIRST").status_code == 302
    twice = _post(admin, estimate=accepted, key="SECOND")

    assert not_accepted.status_code == 400
    assert "is Pending, not Accepted" in html.unescape(not_accepted.get_data(as_text=True))
    assert bad_key.status_code == 400
    assert "project.key" in bad_key.get_data(as_text=True)
    assert twice.status_code == 400
    assert "imported before, as project FIRST" in html.unescape(twice.get_data(as_text=True))
    assert _projects(app) == 1
