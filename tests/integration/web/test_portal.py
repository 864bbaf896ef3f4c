"""The client portal: an approver's signed link to see and decide one milestone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .projects import link_for, milestone, open_page, submitted_browser


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return submitted_browser(app)


def test_the_approver_sees_deliverable_criteria_evidence_and_amount(app, client):
    answer, text, _ = open_page(client, link_for(app))
    assert answer.status_code == 200
    for expected in ("Discovery complete", "Requirements document v1.3",
                     "Discovery doc approved by the project lead", "requirements-v1.3.pdf",
                     "246.91", "submitted"):
        assert expected in text


def test_accepting_in_the_portal_accepts_and_bills_the_milestone(app, client):
    path = link_for(app)
    _, _, csrf = open_page(client, path)

    answer = client.post(path, data={"csrf": csrf, "action": "accept", "confirm": "yes"})

    assert answer.status_code == 302
    _, text, _ = open_page(client, answer.headers["Location"])
    assert "your decision (accepted) is recorded" in text
    row = milestone(client)
    assert row["state"] == "invoice_due"
    assert row["billed"] == "246.91"


def test_partial_acceptance_accepts_the_share_given(app, client):
    path = link_for(app)
    _, _, csrf = open_page(client, path)

    client.post(path, data={"csrf": csrf, "action": "partial", "percent": "40", "confirm": "yes"})

    row = milestone(client)
    assert row["billed"] == "98.76"  # 40% of 246.91, to the cent


def test_a_rejection_needs_a_reason_and_then_sends_the_work_back(app, client):
    path = link_for(app)
    _, _, csrf = open_page(client, path)

    without = client.post(path, data={"csrf": csrf, "action": "reject", "reason": "  "})
    assert without.status_code == 400
    assert milestone(client)["state"] == "submitted"

    client.post(path, data={"csrf": csrf, "action": "reject", "reason": "Section 4 is missing", "confirm": "yes"})
    assert milestone(client)["state"] == "rejected"


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(app, client):
    path = link_for(app, issued_at=datetime.now(UTC) - timedelta(days=15))
    answer, text, csrf = open_page(client, path)
    assert answer.status_code == 403
    assert "This link has expired" in text

    refused = client.post(path, data={"csrf": csrf, "action": "accept", "confirm": "yes"})
    assert refused.status_code == 403
    assert milestone(client)["state"] == "submitted"


def test_a_link_still_inside_its_lifetime_works(app, client):
    answer, _, _ = open_page(client, link_for(app, issued_at=datetime.now(UTC) - timedelta(days=13)))
    assert answer.status_code == 200


def test_a_tampered_link_gets_a_clear_page_and_changes_nothing(app, client):
    good = link_for(app)
    other_milestone = link_for(app, seq=2).rsplit(".", 2)[0]
    forged = other_milestone + "." + ".".join(good.rsplit(".", 2)[1:])  # seq 2's body, seq 1's signature
    answer, text, csrf = open_page(client, forged)
    assert answer.status_code == 403
    assert "not valid" in text
    assert client.post(forged, data={"csrf": csrf, "action": "accept", "confirm": "yes"}).status_code == 403
    assert milestone(client, 2)["state"] == "planned"


def test_a_decision_without_the_pages_csrf_token_is_refused(app, client):
    path = link_for(app)
    open_page(client, path)
    answer = client.post(path, data={"csrf": "forged", "action": "accept", "confirm": "yes"})
    assert answer.status_code == 400
    assert milestone(client)["state"] == "submitted"


def test_a_second_decision_on_a_decided_milestone_is_refused_with_a_page(app, client):
    path = link_for(app)
    _, _, csrf = open_page(client, path)
    client.post(path, data={"csrf": csrf, "action": "reject", "reason": "Not yet", "confirm": "yes"})

    again = client.post(path, data={"csrf": csrf, "action": "accept", "confirm": "yes"})

    assert again.status_code == 409
    assert milestone(client)["state"] == "rejected"
