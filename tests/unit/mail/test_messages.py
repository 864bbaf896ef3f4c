"""The messages: two parts saying the same, the HTML escaped, headers fixed by the outbox row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connector.mail.messages import UnknownMessage, compose, message_id

QUEUED = datetime(2026, 11, 24, 15, 0, 1, tzinfo=UTC)
FACTS = {
    "message": "approval_request", "to": "dana@acme.example", "approver": "Dana Lee",
    "project_key": "ACME-WEB", "project": "Website <redesign> & co", "seq": 1,
    "milestone": "Discovery complete", "deliverable": "Requirements <b>v1.3</b>",
    "acceptance_criteria": "Approved", "submitted_by": "Sam",
    "deadline": "2026-11-30T23:59:59.999999-05:00", "time_zone": "America/New_York",
}
LINKS = {"portal": "https://milepost.example/portal/abc.def", "admin": "https://milepost.example/admin/"}


def test_both_parts_carry_the_link_and_the_html_part_escapes_what_the_schedule_says() -> None:
    message = compose(FACTS, sender="Studio <billing@studio.example>", msg_id="<x@studio.example>",
                      queued_at=QUEUED, links=LINKS)

    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert LINKS["portal"] in plain
    assert f'href="{LINKS["portal"]}"' in html
    assert "Requirements <b>v1.3</b>" in plain
    assert "Requirements &lt;b&gt;v1.3&lt;/b&gt;" in html
    assert "<b>v1.3" not in html
    assert "the end of Monday 30 November 2026 (America/New_York time)" in plain
    assert message["Subject"] == "Please review: Discovery complete (Website <redesign> & co)"
    assert message["Date"] == "Tue, 24 Nov 2026 15:00:01 +0000"
    assert message["Auto-Submitted"] == "auto-generated"


def test_the_message_id_is_the_rows_own_and_on_the_senders_domain() -> None:
    first = message_id(7, "mail:ACME-WEB:1:1:submitted:x", "Studio <billing@studio.example>")

    assert first == message_id(7, "mail:ACME-WEB:1:1:submitted:x", "billing@studio.example")
    assert first.endswith("@studio.example>")
    assert first != message_id(8, "mail:ACME-WEB:1:1:submitted:x", "billing@studio.example")


def test_a_row_naming_an_unknown_message_is_refused() -> None:
    with pytest.raises(UnknownMessage, match="'newsletter'"):
        compose({**FACTS, "message": "newsletter"}, sender="billing@studio.example", msg_id="<x@y.z>",
                queued_at=QUEUED, links=LINKS)
