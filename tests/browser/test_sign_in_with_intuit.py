"""Through a real browser: an admin signs in with Intuit on the sandbox's consent page, and a
QuickBooks user opening the Launch URL gets the same sign-in, not a password page."""

from __future__ import annotations

import pytest

from tests.people import ADMIN_EMAIL

pytestmark = pytest.mark.browser


def test_an_admin_signs_in_with_intuit_through_the_consent_page_and_lands_on_the_dashboard(page, live, tmp_path):
    page.goto(f"{live.url}/admin/")
    page.click("text=Sign in with Intuit")

    page.wait_for_selector("text=Choose the company to connect")
    assert page.inner_text("#who") == ADMIN_EMAIL  # who Intuit says is signed in
    page.click("button:has-text('Connect')")

    page.wait_for_selector("text=Connect to QuickBooks")
    assert page.url == f"{live.url}/admin/"
    assert "Ada Admin (admin)" in page.inner_text("header")
    page.screenshot(path=str(tmp_path / "signed-in-with-intuit.png"), full_page=True)


def test_the_quickbooks_launch_url_starts_sign_in_with_intuit(page, live, consent_sandbox):
    consent_sandbox.control.set_identity("quickbooks", "stranger@example.com")

    page.goto(f"{live.url}/launch/quickbooks")
    page.wait_for_selector("text=Choose the company to connect")
    page.click("button:has-text('Connect')")

    assert "There is no Milepost account for stranger@example.com" in page.inner_text("main")
    page.goto(f"{live.url}/admin/")
    assert "/admin/login" in page.url  # refused: nobody was signed in
