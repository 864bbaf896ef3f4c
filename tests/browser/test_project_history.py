"""Through a real browser: the project page shows the milestone's history, the rejection's
reason and the invoice the acceptance led to."""

from __future__ import annotations

import pytest

from tests.integration.cli import books_history
from tests.integration.cli.schedules import GOOD

from .test_admin_and_portal import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def decided(live, sqlite_url, tmp_path):  # type: ignore[no-untyped-def]
    """ACME-WEB milestone 1 submitted, rejected with a reason, resubmitted, accepted, and
    invoice 1041 made by the books for it."""
    milepost = books_history.cli(sqlite_url, tmp_path)
    (tmp_path / "acme.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "requirements-v1.3.pdf").write_bytes(b"%PDF")
    assert milepost("schedule", "import", "acme.toml").code == 0
    for action, *args in [
        ("submit", "--by", "Sam", "--evidence", "requirements-v1.3.pdf"),
        ("reject", "--by", "Dana Lee", "--reason", "Section 4 is missing"),
        ("submit", "--by", "Sam", "--evidence", "requirements-v1.3.pdf"),
        ("accept", "--by", "Dana Lee"),
    ]:
        result = milepost("milestone", action, "ACME-WEB", "1", *args)
        assert result.code == 0, result.err
    books_history.books_made(sqlite_url, {"ACME-WEB": ["1041"]})


def test_the_project_page_shows_the_history(page, live, decided):
    sign_in(page, live)
    page.goto(f"{live.url}/admin/projects/ACME-WEB")
    rows = page.locator("#history tbody tr")
    kinds = [rows.nth(i).get_attribute("data-kind") for i in range(rows.count())]
    assert kinds == ["imported", "submitted", "rejected", "submitted", "accepted", "invoice_due", "invoiced"]
    rejected = page.locator("#history tr[data-kind=rejected]").inner_text()
    assert "Dana Lee" in rejected
    assert "Section 4 is missing" in rejected
    assert "requirements-v1.3.pdf" in page.locator("#history tr[data-kind=submitted]").first.inner_text()
    accepted = page.locator("#history tr[data-kind=accepted]").inner_text()
    assert "invoice 1041 (quickbooks, open)" in accepted
    page.screenshot(path="/tmp/milepost-project-history.png", full_page=True)
