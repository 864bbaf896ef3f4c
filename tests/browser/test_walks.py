"""Issue 13's walks through a real browser (Debian Chromium), each page screenshotted at 1280
and 390 px, checked for sideways scrolling and run through axe-core (no serious or critical
violation): an admin connects QuickBooks and Xero, imports a project and picks its settings
from the company's lists; an approver on a phone opens the copied link, opens the evidence and
accepts 40%, seeing what remains; the bookkeeper sees the invoice number, and after a payment
in the sandbox, paid and the chart move.

Sign-in is the shared admin password, as the other browser tests do today.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.platforms.endpoints import endpoints_from_sandbox
from connector.store.db import transaction
from connector.store.models import InvoiceRow
from connector.store.repository import BillingRepository
from jobs.context import EMBEDDED, build_context
from jobs.runner import run_job, run_sync
from tests.integration.cli.schedules import GOOD
from tests.integration.web.conftest import ADMIN_PASSWORD
from tests.integration.web.projects import AUTH

from .accessibility import Pages

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
EVIDENCE = b"%PDF-1.4\n% Requirements document v1.3, signed off by the studio\n"


@pytest.fixture
def pages(tmp_path: Path) -> Pages:
    """Screenshots go under this test's own output folder (pytest's tmp_path)."""
    return Pages(tmp_path / "screenshots")


@pytest.fixture
def desk(browser) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A desktop browser window; CSP bypassed only so the test can inject axe-core."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, accept_downloads=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, bypass_csp=True, accept_downloads=True,
                                  is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def sign_in(page, live, pages: Pages | None = None) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live.url}/admin/")
    if pages:
        pages.look(page, "sign-in")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#quickbooks-slot")


def connect_quickbooks(page, company: str = "Milepost Builders (US)") -> None:  # type: ignore[no-untyped-def]
    page.click("button.connect-quickbooks")
    page.wait_for_selector("text=Choose the company to connect")
    page.check(f"label:has-text('{company}') input")
    page.click("button:has-text('Connect')")
    page.wait_for_selector("#quickbooks-slot .connected-company")


def test_an_admin_connects_both_books_imports_a_project_and_picks_settings_from_lists(desk, live, pages):
    page = desk
    sign_in(page, live, pages)
    pages.look(page, "dashboard-empty")
    assert page.locator("#quickbooks-slot button.connect-quickbooks").count() == 1

    connect_quickbooks(page)
    slot = page.locator("#quickbooks-slot")
    assert "Milepost Builders (US)" in slot.inner_text()
    assert slot.locator("button.connect-quickbooks").count() == 0  # the button gives way...
    assert slot.locator("text=Disconnect").count() == 1  # ...to Disconnect
    pages.look(page, "dashboard-quickbooks-connected")

    page.click("button.connect-xero")
    page.wait_for_selector("text=Milepost wants to access your organisations")
    page.click("button:has-text('Allow access')")
    page.wait_for_selector("#xero-slot .connected-company")
    pages.look(page, "dashboard-both-connected")

    page.click("#quickbooks-slot a:has-text('Disconnect')")  # asks first, on a page of its own
    page.wait_for_selector("#confirm-disconnect")
    assert "Disconnect Milepost Builders (US)?" in page.inner_text("h1")
    pages.look(page, "disconnect-confirm")
    page.click("text=Cancel, keep it connected")
    page.wait_for_selector("#quickbooks-slot .connected-company")
    assert "active" in page.inner_text("#quickbooks-slot")

    page.click("text=Import a schedule")
    page.wait_for_selector("input#schedule")
    pages.look(page, "import-schedule")
    page.set_input_files("#schedule", files=[{"name": "acme-web.toml", "mimeType": "text/plain",
                                              "buffer": GOOD.encode()}])
    page.select_option("#connection", label="Milepost Builders (US) (QuickBooks)")
    page.click("button:has-text('Import')")
    page.wait_for_selector("#milestones")
    assert "Imported ACME-WEB: 3 milestones." in page.inner_text(".flash")
    assert "$246.91" in page.inner_text("#milestone-1")
    pages.look(page, "project-imported")

    page.goto(f"{live.url}/admin/")
    page.click("#quickbooks-slot a:has-text('Settings')")
    page.wait_for_selector("select#sales_item")
    page.select_option("#sales_item", "Design")
    page.select_option("#terms", "Net 15")
    pages.look(page, "settings-quickbooks")
    page.click("button:has-text('Save settings')")
    page.wait_for_selector("text=Saved the settings of Milepost Builders (US)")
    assert page.eval_on_selector("#sales_item", "e => e.value") == "Design"

    page.goto(f"{live.url}/admin/")
    page.click("#xero-slot a:has-text('Settings') >> nth=0")
    page.wait_for_selector("select#line_amount_types")
    page.select_option("#sales_account", "200")
    page.select_option("#line_amount_types", "Inclusive")
    page.select_option("[id='tracking:Region']", "North")
    page.click("button:has-text('Save settings')")
    page.wait_for_selector("text=Saved the settings of")
    assert page.eval_on_selector("#line_amount_types", "e => e.value") == "Inclusive"
    pages.look(page, "settings-xero")
    assert len(pages.seen) == 9


def jobs(live, sandbox):  # type: ignore[no-untyped-def]
    settings = live.app.extensions["milepost"].settings
    return build_context(settings, mode=EMBEDDED, environ={}, endpoints=endpoints_from_sandbox(sandbox.url))


def test_an_approver_accepts_40_percent_on_a_phone_and_the_bookkeeper_sees_it_billed_and_paid(
        desk, phone, live, pages, consent_sandbox):
    sign_in(desk, live)
    connect_quickbooks(desk)
    connection = int(re.search(r"/connections/(\d+)/", desk.get_attribute("#quickbooks-slot a", "href")).group(1))
    api = requests.Session()
    api.headers.update(AUTH)
    body = {**tomllib.loads(GOOD), "connection": connection}
    assert api.post(f"{live.url}/api/v1/schedules", json=body, timeout=10).status_code == 201
    assert api.post(f"{live.url}/api/v1/projects/ACME-WEB/milestones/1/submit",
                    json={"by": "Sam (studio)", "evidence": ["requirements document"]}, timeout=10).status_code == 200
    with transaction(live.app.extensions["milepost"].sessions) as db:
        BillingRepository(db).add_evidence("ACME-WEB", 1, "requirements-v1.3.pdf", None, len(EVIDENCE),
                                           "Sam (studio)", content=EVIDENCE, content_type="application/pdf")

    # the admin copies the approver's link from the project page
    desk.goto(f"{live.url}/admin/projects/ACME-WEB")
    link = desk.input_value("input[aria-label='portal link for milestone 1']")

    # the approver, on a phone, in another browser
    page = phone
    page.goto(link)
    assert "Discovery doc approved by the project lead" in page.inner_text("main")
    assert page.locator("input[name=action]:checked").count() == 0  # nothing chosen for them
    pages.look(page, "portal-milestone", narrowest=360)
    with page.expect_download() as download:
        page.click("#evidence a:has-text('requirements-v1.3.pdf')")
    assert Path(download.value.path()).read_bytes() == EVIDENCE

    page.check("input[value=partial]")
    page.fill("#percent", "40")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("#confirm")
    assert page.inner_text("#to-invoice") == "$98.76"
    pages.look(page, "portal-confirm", narrowest=360)
    page.click("button:has-text('Confirm')")
    page.wait_for_selector("text=is recorded")
    assert page.inner_text("#accepted") == "$98.76 (40%)"
    assert page.inner_text("#remaining") == "$148.15 (60%)"
    assert "Accept the remaining $148.15" in page.inner_text("form.decision")
    assert "Accept all of" not in page.inner_text("main")
    pages.look(page, "portal-partly-accepted", narrowest=360)

    # the worker creates the draft in QuickBooks; the bookkeeper sees its number, linked
    ctx = jobs(live, consent_sandbox)
    try:
        run_job(ctx, "drain_outbox")
        with live.app.extensions["milepost"].sessions() as db:
            [invoice] = db.query(InvoiceRow).all()
            invoice_id, number = invoice.platform_id, invoice.number
        desk.goto(f"{live.url}/admin/projects/ACME-WEB")
        row = desk.locator("#milestone-1")
        link_to_books = row.locator("td.invoice a")
        assert link_to_books.inner_text().startswith(number)
        assert link_to_books.get_attribute("href") == \
            f"https://app.sandbox.qbo.intuit.com/app/invoice?txnId={invoice_id}"
        assert row.locator("td.paid").inner_text() == "$0.00"
        chart_before = desk.inner_text("#progress figcaption")
        assert "paid nothing yet" in chart_before
        pages.look(desk, "project-invoiced")

        # the customer pays in QuickBooks; the next sync brings it home
        consent_sandbox.control.record_payment(_realm(live, connection), invoice_id)
        run_sync(ctx, connection)
    finally:
        ctx.close()
    desk.goto(f"{live.url}/admin/projects/ACME-WEB")
    row = desk.locator("#milestone-1")
    assert row.locator("td.paid").inner_text() == "$98.76"
    assert row.locator("td[data-label=balance]").inner_text() == "$0.00"
    chart_after = desk.inner_text("#progress figcaption")
    assert "paid $98.76" in chart_after
    assert chart_after != chart_before
    assert desk.inner_text("#project-paid") == "$98.76"
    pages.look(desk, "project-paid")
    desk.goto(f"{live.url}/admin/")
    assert "$98.76" in desk.inner_text("#currency-totals")
    assert desk.locator("#forecast svg.chart").count() == 1  # the rest of ACME-WEB, in USD
    assert "USD:" in desk.inner_text("#forecast figcaption")
    pages.look(desk, "dashboard-paid")


def _realm(live, connection: int) -> str:  # type: ignore[no-untyped-def]
    from connector.store.models import ConnectionRow

    with live.app.extensions["milepost"].sessions() as db:
        return str(db.get(ConnectionRow, connection).tenant_id)


def test_the_axe_check_catches_what_the_issue_found(desk, pages):
    """The check itself can fail: white on Xero blue (2.37:1), the old Connect button."""
    desk.set_content('<html lang="en"><title>old</title><main><button style="background:#13b5ea;color:#fff">'
                     'Connect to Xero</button></main></html>')
    from .accessibility import severe_violations

    assert "color-contrast" in {v["id"] for v in severe_violations(desk)}
