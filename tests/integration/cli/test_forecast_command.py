"""`milepost forecast` on a known history (`books_history`): the weekly figures to the cent.

Forecast from Wednesday 2 Dec 2026 over 12 weeks: week 1 is Mon 30 Nov - Sun 6 Dec, week 12
is 15 - 21 Feb. Acme pays 6 days late (2 to 10); Beispiel has no history (0; 7 early, 30 late).
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from . import books_history


@pytest.fixture
def history(milepost, tmp_path, database_url):  # type: ignore[no-untyped-def]
    books_history.build(milepost, tmp_path, database_url)


def forecast(milepost, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = milepost("forecast", *args, "--at", "2026-12-02", "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def weekly(data: dict, currency: str, scenario: str) -> dict[int, str]:
    return {w["week"]: w[scenario] for w in data["currencies"][currency]["weeks"] if w[scenario] != "0.00"}


def test_one_projects_weekly_figures_to_the_cent(milepost, history):
    data = forecast(milepost, "ACME-WEB")
    assert list(data["currencies"]) == ["USD"]
    # 1041's 146.91 left (due 25 Nov + 6 = 1 Dec); design: deadline 4 Dec + 7 + 6 = 17 Dec;
    # launch: 29 Jan, deemed Wed 3 Feb, + 7 + 6 = 16 Feb
    assert weekly(data, "USD", "expected") == {1: "146.91", 3: "370.37", 12: "617.29"}
    assert weekly(data, "USD", "early") == {1: "146.91", 2: "370.37", 10: "617.29"}
    assert weekly(data, "USD", "late") == {1: "146.91", 4: "370.37", 12: "617.29"}
    assert data["currencies"]["USD"]["total"]["expected"] == "1134.57"
    invoice = next(i for i in data["items"] if i["invoice"] == "1041")
    assert invoice == {
        "source": "invoice", "project": "ACME-WEB", "seq": 1, "milestone": None, "invoice": "1041",
        "currency": "USD", "amount": "146.91", "due_date": "2026-11-25", "early": "2026-11-27",
        "expected": "2026-12-01", "late": "2026-12-05", "week": 1,
        "lateness_days": {"early": 2, "expected": 6, "late": 10, "payments": 3},
    }


def test_every_project_and_currency_apart(milepost, history):
    data = forecast(milepost)
    # ACME-OLD adds its launch to week 12; nothing paid is forecast again
    assert weekly(data, "USD", "expected") == {1: "146.91", 3: "370.37", 12: "1234.58"}
    # BEISPIEL: the queued invoice (due 7 Dec), design (11 Dec, deemed 16 Dec, + 7 = 23 Dec),
    # launch due 10 Feb, each on its due date for want of history
    assert weekly(data, "EUR", "expected") == {2: "246.91", 4: "370.37", 11: "617.29"}
    assert data["currencies"]["EUR"]["later"]["late"] == "617.29"  # 10 Feb + 30 days
    queued = next(i for i in data["items"] if i["project"] == "BEISPIEL" and i["seq"] == 1)
    assert (queued["source"], queued["invoice"], queued["amount"]) == ("queued", None, "246.91")


def test_csv_has_a_row_per_currency_and_week(milepost, history):
    result = milepost("forecast", "--at", "2026-12-02", "--weeks", "4", "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [(r["currency"], r["week"]) for r in rows] == [
        *[("EUR", str(n)) for n in range(1, 5)], ("EUR", "later"),
        *[("USD", str(n)) for n in range(1, 5)], ("USD", "later")]
    usd_later = next(r for r in rows if (r["currency"], r["week"]) == ("USD", "later"))
    assert usd_later["expected"] == "1234.58"


def test_the_table_shows_the_weeks_and_what_they_are_made_of(milepost, history):
    result = milepost("forecast", "ACME-WEB", "--at", "2026-12-02", "--weeks", "4")
    assert result.code == 0, result.err
    assert "Expected cash in, USD, weeks from 2026-11-30" in result.out
    week3 = next(line for line in result.out.splitlines() if "2026-12-14" in line and "2026-12-20" in line)
    assert "370.37" in week3
    assert "Design approved" in result.out
    assert "invoice 1041" in result.out


@pytest.mark.parametrize(("args", "message"), [
    (("--weeks", "0"), "--weeks: from 1 to 104, got 0"),
    (("--at", "2026-13-01"), "--at: '2026-13-01' is not a date"),
    (("NO-SUCH",), "NO-SUCH"),
])
def test_bad_arguments_are_refused_with_the_rule(milepost, args, message):
    result = milepost("forecast", *args)
    assert result.code == 1
    assert message in result.err
