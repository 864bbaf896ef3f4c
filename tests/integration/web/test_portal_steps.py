"""The portal as an approver uses it (issue 13): nothing chosen for them, a confirmation naming
the amount, what remains after a partial acceptance, errors beside the field with what was
typed kept, and evidence files behind signed, expiring, no-store links."""

from __future__ import annotations

import html
import re

import itsdangerous.timed
import pytest

from connector.store.db import transaction
from connector.store.evidence import milestone_evidence
from connector.store.repository import BillingRepository
from connector.web.evidence_links import EVIDENCE_LINK_MINUTES, evidence_token

from .projects import link_for, milestone, open_page, outbox_count, submitted_browser

PDF = b"%PDF-1.4 requirements v1.3\n"


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return submitted_browser(app)


def page_and_csrf(client, path):  # type: ignore[no-untyped-def]
    _, text, csrf = open_page(client, path)
    return text, csrf


def words(answer) -> str:  # type: ignore[no-untyped-def]
    """The page as a person reads it: no tags, single spaces."""
    text = re.sub(r"<[^>]+>", " ", html.unescape(answer.get_data(as_text=True)))
    return re.sub(r"\s+", " ", text).replace(" .", ".")


def add_file(app, seq: int = 1, name: str = "signed-scope.pdf", content: bytes = PDF) -> None:  # type: ignore[no-untyped-def]
    with transaction(app.extensions["milepost"].sessions) as db:
        BillingRepository(db).add_evidence("ACME-WEB", seq, name, None, len(content), "Sam",
                                           content=content, content_type="application/pdf")


def test_no_decision_is_chosen_for_the_approver(app, client):
    page, _ = page_and_csrf(client, link_for(app))
    assert 'name="action"' in page
    assert "checked" not in page


def test_accepting_asks_to_confirm_naming_the_amount_and_records_only_then(app, client):
    path = link_for(app)
    _, csrf = page_and_csrf(client, path)

    first = client.post(path, data={"csrf": csrf, "action": "accept"})

    assert first.status_code == 200
    assert "$246.91 will be invoiced to Acme Corp" in words(first)
    assert milestone(client)["state"] == "submitted"  # nothing recorded, nothing queued
    assert outbox_count(app) == 0

    second = client.post(path, data={"csrf": csrf, "action": "accept", "confirm": "yes"})
    assert second.status_code == 302
    assert milestone(client)["state"] == "invoice_due"


def test_after_a_partial_acceptance_the_page_shows_the_part_and_what_remains(app, client):
    path = link_for(app)
    _, csrf = page_and_csrf(client, path)
    confirm = client.post(path, data={"csrf": csrf, "action": "partial", "percent": "40"})
    assert "$98.76 will be invoiced" in words(confirm)
    client.post(path, data={"csrf": csrf, "action": "partial", "percent": "40", "confirm": "yes"})

    page, _ = page_and_csrf(client, path)

    assert re.search(r"Accepted so far</dt><dd[^>]*>\$98.76 \(40%\)", page)
    assert re.search(r"Remaining</dt><dd[^>]*>\$148.15 \(60%\)", page)
    assert "Accept the remaining $148.15" in page
    assert "Accept all of" not in page  # the full amount is not offered again


def test_accepting_the_rest_names_only_what_remains(app, client):
    path = link_for(app)
    _, csrf = page_and_csrf(client, path)
    client.post(path, data={"csrf": csrf, "action": "partial", "percent": "40", "confirm": "yes"})

    confirm = client.post(path, data={"csrf": csrf, "action": "accept"})

    assert "$148.15 will be invoiced" in words(confirm)


def test_a_share_that_would_take_all_that_remains_is_refused_before_confirming(app, client):
    path = link_for(app)
    _, csrf = page_and_csrf(client, path)
    client.post(path, data={"csrf": csrf, "action": "partial", "percent": "40", "confirm": "yes"})

    answer = client.post(path, data={"csrf": csrf, "action": "partial", "percent": "60"})

    assert answer.status_code == 400
    assert "would accept all that remains" in html.unescape(answer.get_data(as_text=True))


def test_a_rejection_without_a_reason_stays_on_the_page_with_what_was_typed(app, client):
    path = link_for(app)
    _, csrf = page_and_csrf(client, path)

    answer = client.post(path, data={"csrf": csrf, "action": "reject", "reason": "  ", "percent": "15"})

    text = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 400
    assert 'id="reason-problem"' in text
    assert "A rejection needs a reason" in text
    assert 'value="reject" checked' in text  # the choice is kept...
    assert 'value="15"' in text  # ...and what was typed
    assert "Deliverable" in text  # the milestone page itself, not a separate error page
    assert milestone(client)["state"] == "submitted"


def test_a_bad_percent_is_named_beside_its_field_and_kept(app, client):
    path = link_for(app)
    _, csrf = page_and_csrf(client, path)

    answer = client.post(path, data={"csrf": csrf, "action": "partial", "percent": "forty"})

    text = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 400
    assert 'id="percent-problem"' in text
    assert 'value="forty"' in text


def evidence_href(page: str) -> str:
    found = re.search(r'href="(/portal/evidence/[^"]+)"', page)
    assert found, "no evidence download link on the page"
    return found.group(1)


def test_an_evidence_file_downloads_through_a_signed_no_store_link(app, client):
    add_file(app)
    page, _ = page_and_csrf(client, link_for(app))

    answer = client.get(evidence_href(page))

    assert answer.status_code == 200
    assert answer.data == PDF
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert "signed-scope.pdf" in answer.headers["Content-Disposition"]


def test_an_altered_evidence_link_reads_nothing(app, client):
    add_file(app)
    page, _ = page_and_csrf(client, link_for(app))
    href = evidence_href(page)

    answer = client.get(href[:-3] + ("AAA" if not href.endswith("AAA") else "BBB"))

    assert answer.status_code == 403
    assert PDF not in answer.data


def test_an_evidence_link_expires(app, client, monkeypatch):
    add_file(app)
    page, _ = page_and_csrf(client, link_for(app))
    href = evidence_href(page)
    now = itsdangerous.timed.time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + EVIDENCE_LINK_MINUTES * 60 + 5)

    answer = client.get(href)

    assert answer.status_code == 403
    assert "expired" in answer.get_data(as_text=True)


def test_a_link_cannot_fetch_another_milestones_file(app, client):
    add_file(app, seq=2, name="other.pdf", content=b"%PDF other")
    with app.extensions["milepost"].sessions() as db:
        other = milestone_evidence(db, "ACME-WEB", 2)[0]
    secret = app.config["SECRET_KEY"]
    own = evidence_token(secret, "ACME-WEB", 2, other.id, "dana@acme.example")
    forged = evidence_token(secret, "ACME-WEB", 1, other.id, "dana@acme.example")

    assert client.get(f"/portal/evidence/{own}").data == b"%PDF other"  # the file is there...
    answer = client.get(f"/portal/evidence/{forged}")  # ...but not as milestone 1's
    assert answer.status_code == 403
