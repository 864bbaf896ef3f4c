"""The admin app shows what the background work left for a person: bookkeepers' edits (the sync
log) and why a project's work should pause (the stored flag)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from connector.store.db import transaction
from connector.store.models import InvoiceRow, ProjectRow
from jobs.tables import PauseFlagRow, SyncLogRow

from .conftest import consent_and_callback
from .projects import api, schedule

REASON = "invoice 1001 is 24 days overdue (pause work after 15)"


def text_of(answer) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(answer.get_data(as_text=True))


def a_voided_invoice_and_a_flag(app) -> None:  # type: ignore[no-untyped-def]
    """What the sync and the pause-work job would have stored for ACME-WEB on connection 1."""
    with transaction(app.extensions["milepost"].sessions) as db:
        project_id = db.scalar(select(ProjectRow.id).where(ProjectRow.key == "ACME-WEB"))
        db.add(InvoiceRow(project_id=project_id, connection_id=1, platform="quickbooks", platform_id="130",
                          number="1001", status="voided", currency="USD", total=Decimal(0),
                          amount_paid=Decimal(0), balance=Decimal(0)))
        db.add(SyncLogRow(connection_id=1, invoice_platform_id="130",
                          message="invoice 1001: voided in the books by a bookkeeper"))
        db.add(SyncLogRow(connection_id=1, invoice_platform_id="999",
                          message="invoice 999: total changed in the books from 10 to 12; the books win"))
        db.add(PauseFlagRow(project_id=project_id, flagged_at=datetime.now(UTC), reason=REASON))


def test_the_dashboard_lists_bookkeepers_edits_and_why_work_should_pause(app, admin):
    consent_and_callback(admin, "quickbooks")
    api(admin, "POST", "/schedules", schedule())
    a_voided_invoice_and_a_flag(app)

    page = text_of(admin.get("/admin/"))

    edits = page.split('id="bookkeeper-edits"')[1].split("</table>")[0]
    assert "invoice 1001: voided in the books by a bookkeeper" in edits
    assert "invoice 999: total changed in the books" in edits
    assert "Milepost Builders (US)" in edits
    assert f"ACME-WEB</strong>: {REASON}" in page.split('id="pause-work"')[1]


def test_a_project_page_shows_its_own_edits_and_its_pause_reason(app, admin):
    consent_and_callback(admin, "quickbooks")
    api(admin, "POST", "/schedules", schedule())
    a_voided_invoice_and_a_flag(app)

    page = text_of(admin.get("/admin/projects/ACME-WEB"))

    assert f"Pause work: {REASON}" in page.replace("<strong>", "").replace("</strong>", "")
    assert "invoice 1001: voided in the books by a bookkeeper" in page
    assert "invoice 999" not in page  # not this project's invoice


def test_a_cleared_flag_no_longer_asks_to_pause(app, admin):
    consent_and_callback(admin, "quickbooks")
    api(admin, "POST", "/schedules", schedule())
    a_voided_invoice_and_a_flag(app)
    with transaction(app.extensions["milepost"].sessions) as db:
        db.scalars(select(PauseFlagRow)).one().cleared_at = datetime.now(UTC)

    assert 'id="pause-work"' not in text_of(admin.get("/admin/"))
    assert REASON not in text_of(admin.get("/admin/projects/ACME-WEB"))
