"""`milepost history`: every audit event, with who, why, the evidence and what it led to."""

from __future__ import annotations

import json

import pytest

from . import books_history
from .schedules import GOOD, import_with_evidence


@pytest.fixture
def rejected_then_accepted(milepost, tmp_path):  # type: ignore[no-untyped-def]
    """ACME-WEB milestone 1: submitted, rejected with a reason, resubmitted, accepted."""
    evidence = import_with_evidence(milepost, tmp_path, GOOD, "requirements-v1.3.pdf", b"%PDF")
    steps = [
        ("submit", "--at", "2026-11-16T10:00", "--by", "Sam", "--evidence", evidence),
        ("reject", "--at", "2026-11-17T09:30", "--by", "Dana Lee", "--reason", "Section 4 is missing"),
        ("submit", "--at", "2026-11-17T16:00", "--by", "Sam", "--evidence", evidence),
        ("accept", "--at", "2026-11-18T10:00", "--by", "Dana Lee"),
    ]
    for action, *args in steps:
        result = milepost("milestone", action, "ACME-WEB", "1", *args)
        assert result.code == 0, result.err


def history(milepost, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    result = milepost("history", *args, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_the_trail_says_who_did_what_when_and_why(milepost, rejected_then_accepted):
    events = history(milepost, "ACME-WEB", "1")
    assert [(e["kind"], e["actor"]) for e in events] == [
        ("submitted", "Sam"), ("rejected", "Dana Lee"), ("submitted", "Sam"),
        ("accepted", "Dana Lee"), ("invoice_due", "milepost")]
    rejected = events[1]
    assert rejected["reason"] == "Section 4 is missing"
    assert (rejected["from_state"], rejected["to_state"]) == ("submitted", "rejected")
    assert rejected["at"] == "2026-11-17T14:30:00+00:00"  # 9:30 in New York
    assert events[0]["evidence"] == ["requirements-v1.3.pdf"]
    assert events[0]["led_to"] is None
    assert events[3]["led_to"] == "invoice queued (pending)"  # not in the books yet


def test_once_the_books_made_the_invoice_the_acceptance_names_it(milepost, rejected_then_accepted, database_url):
    books_history.books_made(database_url, {"ACME-WEB": ["1041"]})
    accepted = next(e for e in history(milepost, "ACME-WEB") if e["kind"] == "accepted")
    assert accepted["led_to"] == "invoice 1041 (quickbooks, open)"
    result = milepost("history", "ACME-WEB")
    assert result.code == 0, result.err
    rejected = next(line for line in result.out.splitlines() if "rejected" in line)
    assert "Dana Lee" in rejected
    assert "Section 4 is missing" in rejected
    accepted_line = next(line for line in result.out.splitlines() if "accepted (submitted" in line)
    assert "invoice 1041 (quickbooks, open)" in accepted_line


def test_the_whole_project_includes_project_events(milepost, rejected_then_accepted):
    kinds = [(e["seq"], e["kind"]) for e in history(milepost, "ACME-WEB")]
    assert kinds[0] == (None, "imported")
    assert (1, "rejected") in kinds


@pytest.mark.parametrize(("args", "message"), [
    (("NO-SUCH",), "NO-SUCH"),
    (("ACME-WEB", "9"), "9"),
])
def test_an_unknown_project_or_milestone_is_refused(milepost, rejected_then_accepted, args, message):
    result = milepost("history", *args)
    assert result.code == 1
    assert message in result.err
