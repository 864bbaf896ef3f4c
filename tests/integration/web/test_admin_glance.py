"""The admin pages read at a glance (issue 13): totals per currency, never mixed; Connect gives
way to Disconnect, which asks first; a project imported from a file on its own page."""

from __future__ import annotations

import html
import io
import re

from .conftest import consent_and_callback, csrf_of
from .projects import api, schedule


def text_of(answer) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(answer.get_data(as_text=True))))


def in_gbp() -> dict:
    body = schedule()
    body["project"].update(key="LON-FIT", currency="GBP", contract_total="12000.00")
    return body


def test_the_dashboard_totals_each_currency_on_its_own_line(admin):
    assert api(admin, "POST", "/schedules", schedule()).status_code == 201
    assert api(admin, "POST", "/schedules", in_gbp()).status_code == 201

    page = admin.get("/admin/").get_data(as_text=True)

    totals = re.search(r'<table id="currency-totals".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", totals, re.S)
    assert len(rows) == 2
    assert "GBP" in rows[0]
    assert "£12,000.00" in rows[0]
    assert "$" not in rows[0]
    assert "USD" in rows[1]
    assert "$1,234.57" in rows[1]
    assert "£" not in rows[1]
    projects = re.search(r'<table id="projects".*?</table>', page, re.S).group(0)
    assert "overdue" in projects
    assert "pause work" in projects


def test_once_quickbooks_is_connected_its_button_gives_way_to_disconnect(admin):
    before = admin.get("/admin/").get_data(as_text=True)
    assert "Connect to QuickBooks" in before

    consent_and_callback(admin, "quickbooks")

    after = admin.get("/admin/").get_data(as_text=True)
    slot = re.search(r'<div class="platform" id="quickbooks-slot">.*?</div>', after, re.S).group(0)
    assert "Connect to QuickBooks" not in slot
    assert "Disconnect" in slot
    assert 'action="/admin/connections/1/disconnect"' not in after  # no one-click disconnect


def test_disconnect_asks_to_confirm_before_anything_changes(app, admin):
    consent_and_callback(admin, "quickbooks")

    asked = admin.get("/admin/connections/1/disconnect")

    assert asked.status_code == 200
    words = text_of(asked)
    assert re.search(r"Disconnect Milepost [^?]+\?", words)  # names the company
    assert 'action="/admin/connections/1/disconnect"' in asked.get_data(as_text=True)
    assert "active" in text_of(admin.get("/admin/"))  # looking at the question changed nothing
    done = admin.post("/admin/connections/1/disconnect", data={"csrf": csrf_of(admin)})
    assert done.status_code == 302
    assert admin.get("/admin/connections/1/disconnect").status_code == 404  # nothing left to disconnect


def upload(admin, name: str, text: str):  # type: ignore[no-untyped-def]
    return admin.post("/admin/projects/import", content_type="multipart/form-data", data={
        "csrf": csrf_of(admin), "schedule": (io.BytesIO(text.encode()), name)})


def test_a_schedule_file_imports_a_project_from_its_page(admin):
    from tests.integration.cli.schedules import GOOD

    answer = upload(admin, "acme-web.toml", GOOD)

    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/admin/projects/ACME-WEB")
    page = text_of(admin.get("/admin/projects/ACME-WEB"))
    assert "$246.91" in page
    assert "Nov 20, 2026" in page


def test_a_broken_schedule_file_lists_every_problem_and_imports_nothing(admin):
    from tests.integration.cli.schedules import BROKEN

    answer = upload(admin, "broken.toml", BROKEN)

    assert answer.status_code == 400
    words = text_of(answer)
    assert words.count("[") >= 3  # every problem, each with its rule
    assert "Nothing imported" in words
    assert "No project imported yet" in text_of(admin.get("/admin/"))
