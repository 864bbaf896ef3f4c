"""Through a real browser: an admin connects QuickBooks on the consent page; a client accepts."""

from __future__ import annotations

import pytest
import requests

from tests.integration.web.conftest import ADMIN_PASSWORD
from tests.integration.web.projects import AUTH, schedule

pytestmark = pytest.mark.browser


def sign_in(page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live.url}/admin/")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#quickbooks-slot")  # the dashboard, connected or not


def test_an_admin_connects_quickbooks_choosing_the_company_on_the_consent_page(page, live):
    sign_in(page, live)

    page.click("text=Connect to QuickBooks")
    page.wait_for_selector("text=Choose the company to connect")
    page.check("label:has-text('Milepost Global Ltd') input")
    page.click("button:has-text('Connect')")

    page.wait_for_selector("#connections")
    row = page.locator("#connections tbody tr")
    assert row.count() == 1
    assert "Milepost Global Ltd" in row.inner_text()
    assert "active" in row.inner_text()
    assert "Connected Milepost Global Ltd (quickbooks)." in page.inner_text(".flash")
    page.screenshot(path="/tmp/milepost-admin-dashboard.png", full_page=True)


def test_a_client_accepts_a_milestone_in_the_portal_and_the_report_shows_it(page, live):
    api = requests.Session()
    api.headers.update(AUTH)
    assert api.post(f"{live.url}/api/v1/schedules", json=schedule(), timeout=10).status_code == 201
    submitted = api.post(f"{live.url}/api/v1/projects/ACME-WEB/milestones/1/submit",
                         json={"by": "Sam", "evidence": ["requirements-v1.3.pdf"]}, timeout=10)
    assert submitted.status_code == 200

    sign_in(page, live)  # the admin copies the approver's link from the project page
    page.goto(f"{live.url}/admin/projects/ACME-WEB")
    link = page.input_value("input[aria-label='portal link for milestone 1']")
    page.context.clear_cookies()  # the client is someone else, in another browser

    page.goto(link)
    assert "Discovery doc approved by the project lead" in page.inner_text("main")
    page.screenshot(path="/tmp/milepost-portal.png", full_page=True)
    page.check("input[value=accept]")
    page.click("button:has-text('Continue')")
    assert "$246.91 will be invoiced" in page.inner_text("#confirm")  # one more step before billing
    page.click("button:has-text('Confirm')")
    page.wait_for_selector("text=is recorded")

    report = api.get(f"{live.url}/api/v1/projects/ACME-WEB/report", timeout=10).json()
    first = report["milestones"][0]
    assert (first["state"], first["billed"]) == ("invoice_due", "246.91")
