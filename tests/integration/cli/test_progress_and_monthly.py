"""Billing by percent complete, and the monthly invoice, from the command line."""

from __future__ import annotations

import json

import pytest

from connector.store import outbox
from connector.store.db import make_engine, session_factory

from .schedules import GOOD, import_with_evidence
from .test_lifecycle_commands import outbox_keys

# Launch (50% of 1,234.57 = 617.29) is billed by percent complete.
PROGRESS = GOOD.replace('planned_date = "2027-01-29"', 'planned_date = "2027-01-29"\nbilling = "progress"')


@pytest.fixture
def evidence(milepost, tmp_path):
    return import_with_evidence(milepost, tmp_path, PROGRESS, "build-log.pdf", b"%PDF build log")


def launch(milepost) -> dict:
    # as of a moment after the scenario's steps, which are dated up to 2027-01-20
    result = milepost("report", "ACME-WEB", "--format", "json", "--at", "2027-06-01T00:00")
    assert result.code == 0, result.err
    return json.loads(result.out)["milestones"][2]


def claimed(database_url):
    engine = make_engine(database_url)
    try:
        with session_factory(engine).begin() as session:
            return outbox.claim_pending(session, limit=50)
    finally:
        engine.dispose()


def test_each_progress_step_bills_only_the_newly_completed_share(milepost, evidence, database_url):
    first = milepost("milestone", "progress", "ACME-WEB", "3", "--percent", "25",
                     "--evidence", evidence, "--at", "2026-11-25T10:00", "--by", "Dana Lee")
    assert first.code == 0, first.err
    assert "25% complete, billed 154.32" in first.out
    milepost("milestone", "progress", "ACME-WEB", "3", "--percent", "60",
             "--evidence", evidence, "--at", "2026-12-15T10:00")
    assert (launch(milepost)["state"], launch(milepost)["billed"]) == ("partially_accepted", "370.37")
    milepost("milestone", "progress", "ACME-WEB", "3", "--percent", "100",
             "--evidence", evidence, "--at", "2027-01-20T10:00")
    assert (launch(milepost)["state"], launch(milepost)["billed"]) == ("invoice_due", "617.29")
    totals = {c.intent.idempotency_key: str(c.intent.total) for c in claimed(database_url)}
    assert totals == {
        "milepost:ACME-WEB:3:1:progress-25": "154.32",
        "milepost:ACME-WEB:3:1:progress-60": "216.05",
        "milepost:ACME-WEB:3:1": "246.92",  # the rest, to the cent
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("3", "--percent", "10"), "forward"),  # after 25%, progress cannot go back
        (("3", "--percent", "30"), "needs evidence"),
        (("1", "--percent", "30"), "billed on acceptance"),
        (("3", "--percent", "much"), "--percent"),
    ],
)
def test_a_refused_progress_step_says_why_and_writes_nothing(milepost, evidence, database_url,
                                                             args, message):
    milepost("milestone", "progress", "ACME-WEB", "3", "--percent", "25", "--evidence", evidence)
    extra = ("--evidence", evidence) if message != "needs evidence" else ()
    result = milepost("milestone", "progress", "ACME-WEB", *args, *extra)
    assert result.code == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert launch(milepost)["billed"] == "154.32"
    assert outbox_keys(database_url) == ["milepost:ACME-WEB:3:1:progress-25"]


def test_the_monthly_invoice_carries_the_months_progress_and_charges(milepost, evidence,
                                                                     database_url):
    held = milepost("milestone", "progress", "ACME-WEB", "3", "--percent", "40", "--monthly",
                    "--evidence", evidence, "--at", "2026-11-25T10:00")
    assert held.code == 0, held.err
    assert outbox_keys(database_url) == []  # nothing billed yet: it waits for the month
    result = milepost("monthly", "ACME-WEB", "--month", "2026-11",
                      "--pass-through", "Stock photos=120.00", "--support", "Support=3@90.00")
    assert result.code == 0, result.err
    assert "total 636.92 USD, due 2026-12-07" in result.out

    [item] = claimed(database_url)
    intent = item.intent
    assert intent.idempotency_key == "milepost:ACME-WEB:monthly-2026-11:1"
    assert intent.invoice_date.isoformat() == "2026-11-30"
    assert [(line.kind, str(line.amount), line.seq) for line in intent.lines] == [
        ("progress", "246.92", 3),  # 40% of 617.29
        ("pass_through", "120.00", None),
        ("support", "270.00", None),
    ]
    assert intent.lines[2].description == "Support: 3 hours at 90.00"
    assert launch(milepost)["billed"] == "246.92"


def test_a_month_is_invoiced_once(milepost, evidence, database_url):
    assert milepost("monthly", "ACME-WEB", "--month", "2026-11",
                    "--pass-through", "Stock photos=120.00").code == 0
    again = milepost("monthly", "ACME-WEB", "--month", "2026-11", "--support", "Support=1@90")
    assert again.code == 1
    assert "already queued" in again.err
    [item] = claimed(database_url)
    assert item.intent.total.amount == 120


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--month", "2026-13", "--pass-through", "Photos=1.00"), "--month"),
        (("--month", "2026-11", "--pass-through", "Photos"), "DESCRIPTION=AMOUNT"),
        (("--month", "2026-11", "--pass-through", "Photos=-5"), "DESCRIPTION=AMOUNT"),
        (("--month", "2026-11", "--support", "Support=3"), "DESCRIPTION=HOURS@RATE"),
        (("--month", "2026-11", "--support", "Support=3@90", "--pass-through", "=4.00"),
         "DESCRIPTION=AMOUNT"),
        (("--month", "2026-11"), "nothing to invoice"),
    ],
)
def test_a_refused_monthly_invoice_names_what_was_wrong_and_queues_nothing(
    milepost, evidence, database_url, args, message
):
    result = milepost("monthly", "ACME-WEB", *args)
    assert result.code == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert outbox_keys(database_url) == []
