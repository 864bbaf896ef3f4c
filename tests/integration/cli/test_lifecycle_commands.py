"""Driving a contract from the command line: the states, the outbox and the report follow."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from connector.store.db import make_engine, session_factory
from connector.store.models import OutboxRow

from .schedules import GOOD, import_with_evidence

DECIMAL = re.compile(r"^-?\d+\.\d{2}$")


@pytest.fixture
def acme(milepost, tmp_path):
    return import_with_evidence(milepost, tmp_path, GOOD, "requirements-v1.3.pdf", b"%PDF requirements")


def report(milepost, *extra: str) -> dict:
    result = milepost("report", "ACME-WEB", "--format", "json", *extra)
    assert result.code == 0, result.err
    return json.loads(result.out)


def outbox_keys(database_url) -> list[str]:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(OutboxRow.idempotency_key).order_by(OutboxRow.id)))
    finally:
        engine.dispose()


def test_submission_starts_the_window_in_business_days(milepost, acme):
    # Friday 2026-11-20 16:00 New York: Mon 23, Tue 24, Wed 25 (Thanksgiving is the 26th).
    result = milepost("milestone", "submit", "ACME-WEB", "1", "--at", "2026-11-20T16:00",
                      "--by", "Sam", "--evidence", acme)
    assert result.code == 0, result.err
    first = report(milepost)["milestones"][0]
    assert first["state"] == "submitted"
    assert first["approval_deadline"].startswith("2026-11-26T04:59:59")  # end of the 25th, EST


def test_acceptance_queues_one_invoice_intent(milepost, acme, database_url):
    milepost("milestone", "submit", "ACME-WEB", "1", "--at", "2026-11-17T16:00", "--evidence", acme)
    result = milepost("milestone", "accept", "ACME-WEB", "1", "--at", "2026-11-18T10:00",
                      "--by", "Dana Lee")
    assert result.code == 0, result.err
    assert outbox_keys(database_url) == ["milepost:ACME-WEB:1:1"]
    data = report(milepost, "--at", "2026-11-18T12:00")
    assert data["milestones"][0]["state"] == "invoice_due"
    assert data["billed"] == "246.91"
    assert data["remaining"] == "987.66"


def test_report_json_has_every_documented_field_with_decimal_strings(milepost, acme):
    data = report(milepost)
    for field in ("key", "currency", "contract_total", "billed", "paid", "outstanding", "overdue",
                  "accepted_unbilled", "remaining", "retainage_held", "pause_work", "milestones"):
        assert field in data
    for field in ("contract_total", "billed", "paid", "outstanding", "overdue",
                  "accepted_unbilled", "remaining", "retainage_held"):
        assert DECIMAL.match(data[field]), (field, data[field])
    assert data["pause_work"] is False
    row = data["milestones"][0]
    assert set(row) == {"seq", "name", "amount", "state", "approval_deadline", "invoiced", "credited",
                        "billed", "paid", "invoice"}
    assert DECIMAL.match(row["amount"])
    assert row["invoice"] is None


def test_an_illegal_step_names_both_states_and_changes_nothing(milepost, acme):
    result = milepost("milestone", "reject", "ACME-WEB", "2", "--by", "Dana Lee",
                      "--reason", "not started")
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert "planned" in result.err
    assert "rejected" in result.err
    assert report(milepost)["milestones"][1]["state"] == "planned"


def test_rejection_needs_a_reason_and_allows_resubmission(milepost, acme):
    milepost("milestone", "submit", "ACME-WEB", "1", "--at", "2026-11-17T16:00", "--evidence", acme)
    assert milepost("milestone", "reject", "ACME-WEB", "1", "--at", "2026-11-18T10:00").code == 1
    rejected = milepost("milestone", "reject", "ACME-WEB", "1", "--at", "2026-11-18T10:00",
                        "--reason", "Missing the timeline")
    assert rejected.code == 0
    assert report(milepost)["milestones"][0]["state"] == "rejected"
    again = milepost("milestone", "submit", "ACME-WEB", "1", "--at", "2026-11-19T10:00",
                     "--evidence", acme)
    assert again.code == 0
    assert report(milepost)["milestones"][0]["state"] == "submitted"


def test_silence_past_the_window_is_deemed_acceptance(milepost, acme, database_url):
    milepost("milestone", "submit", "ACME-WEB", "1", "--at", "2026-11-17T16:00", "--evidence", acme)
    early = milepost("deem", "--at", "2026-11-20T12:00")
    assert "no approval window has lapsed" in early.out
    lapsed = milepost("deem", "--at", "2026-11-21T09:00")
    assert lapsed.code == 0
    assert outbox_keys(database_url) == ["milepost:ACME-WEB:1:1"]
    assert report(milepost)["milestones"][0]["state"] == "invoice_due"


def test_partial_acceptance_bills_the_share_and_keeps_the_rest_open(milepost, acme):
    milepost("milestone", "submit", "ACME-WEB", "1", "--at", "2026-11-17T16:00", "--evidence", acme)
    result = milepost("milestone", "partial", "ACME-WEB", "1", "--percent", "50",
                      "--at", "2026-11-18T10:00", "--by", "Dana Lee")
    assert result.code == 0, result.err
    first = report(milepost)["milestones"][0]
    assert first["state"] == "partially_accepted"
    assert first["billed"] == "123.46"  # half of 246.91, rounded half up


def test_a_change_order_cannot_touch_an_invoiced_milestone(milepost, acme):
    milepost("milestone", "submit", "ACME-WEB", "1", "--at", "2026-11-17T16:00", "--evidence", acme)
    milepost("milestone", "accept", "ACME-WEB", "1", "--at", "2026-11-18T10:00", "--by", "Dana")
    refused = milepost("change-order", "ACME-WEB", "--ref", "CO-1", "--approver", "Dana Lee",
                       "--date", "2026-11-20", "--reason", "cheaper", "--set", "1.amount=100.00")
    assert refused.code == 1
    assert "CO-1" in refused.err
    assert report(milepost)["milestones"][0]["amount"] == "246.91"


def test_a_change_order_moves_the_total_and_keeps_billed_amounts(milepost, acme):
    milepost("milestone", "submit", "ACME-WEB", "1", "--at", "2026-11-17T16:00", "--evidence", acme)
    milepost("milestone", "accept", "ACME-WEB", "1", "--at", "2026-11-18T10:00", "--by", "Dana")
    applied = milepost("change-order", "ACME-WEB", "--ref", "CO-1", "--approver", "Dana Lee",
                       "--date", "2026-11-20", "--reason", "more pages", "--set", "3.amount=1000.00")
    assert applied.code == 0, applied.err
    data = report(milepost)
    assert data["contract_total"] == "1617.28"
    assert [m["amount"] for m in data["milestones"]] == ["246.91", "370.37", "1000.00"]
    assert data["billed"] == "246.91"
    again = milepost("change-order", "ACME-WEB", "--ref", "CO-1", "--approver", "Dana Lee",
                     "--date", "2026-11-20", "--reason", "twice", "--set", "3.amount=900.00")
    assert again.code == 1  # a reference is applied once


def test_evidence_must_exist(milepost, acme, tmp_path):
    result = milepost("milestone", "submit", "ACME-WEB", "1", "--evidence",
                      str(tmp_path / "missing.pdf"))
    assert result.code == 1
    assert "missing.pdf" in result.err


def test_an_unknown_project_is_one_line_and_exit_1(milepost):
    result = milepost("milestone", "submit", "NOPE", "1")
    assert result.code == 1
    assert "NOPE" in result.err


def test_a_change_order_can_add_a_milestone_written_like_the_schedule(milepost, acme, tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text(
        '[[milestones]]\nseq = 4\nname = "Blog"\ndeliverable = "Blog templates"\n'
        'acceptance_criteria = "Blog live"\n'
        'approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }\n'
        'trigger = "on_acceptance"\namount = "500.00"\nplanned_date = "2027-02-12"\n',
        encoding="utf-8",
    )
    result = milepost("change-order", "ACME-WEB", "--ref", "CO-2", "--approver", "Dana Lee",
                      "--date", "2026-12-01", "--reason", "blog added", "--add", str(extra))
    assert result.code == 0, result.err
    data = report(milepost)
    assert data["contract_total"] == "1734.57"
    assert [m["seq"] for m in data["milestones"]] == [1, 2, 3, 4]
    assert data["milestones"][3]["amount"] == "500.00"


def test_an_added_milestone_with_a_problem_names_its_field(milepost, acme, tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text('[[milestones]]\nseq = 4\nname = "Blog"\n'
                     'approver = { name = "Dana Lee" }\namount = "-5"\n', encoding="utf-8")
    result = milepost("change-order", "ACME-WEB", "--ref", "CO-2", "--approver", "Dana Lee",
                      "--reason", "blog", "--add", str(extra))
    assert result.code == 1
    assert "add.milestones[0].approver.email" in result.err
    assert "add.milestones[0].amount" in result.err
    assert report(milepost)["contract_total"] == "1234.57"


def test_an_unreachable_database_is_one_line_without_the_password(capsys):
    from connector.cli import main

    code = main(["--database", "postgresql+psycopg://milepost:s3cret-pw@127.0.0.1:1/none",
                 "report", "ACME-WEB"])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "s3cret-pw" not in err
