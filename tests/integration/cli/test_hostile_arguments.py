"""Issue 11, finding 1 from the command line: a `--by` or `--reason` no column holds, or a
milestone number beyond PostgreSQL's integer, is refused naming the argument and the rule, and
the milestone is left as it was (before, PostgreSQL refused the write: "database error")."""

from __future__ import annotations

import json

import pytest

from .schedules import GOOD, import_with_evidence


@pytest.fixture
def acme(milepost, tmp_path):
    return import_with_evidence(milepost, tmp_path, GOOD, "requirements-v1.3.pdf", b"%PDF requirements")


def state_of_first(milepost) -> str:
    result = milepost("report", "ACME-WEB", "--format", "json")
    return json.loads(result.out)["milestones"][0]["state"]


@pytest.mark.parametrize(("args", "expected"), [
    (["--by", "x" * 201], "--by: at most 200 characters, got 201 [too_long]"),
    (["--by", "Dana", "--reason", "ok\x1b[2J"], "--reason: control character U+001B is not allowed [control_character]"),
])
def test_finding_1_an_argument_no_column_holds_is_named_and_changes_nothing(milepost, acme, args, expected):
    result = milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", acme, *args)

    assert result.code == 1
    assert expected in result.err
    assert state_of_first(milepost) == "planned"


def test_finding_1_a_milestone_number_beyond_postgresqls_integer_is_named(milepost, acme):
    result = milepost("milestone", "submit", "ACME-WEB", str(2**31), "--evidence", acme)

    assert result.code == 1
    assert "seq: no such milestone" in result.err
    assert "[too_large]" in result.err


def test_finding_1_an_at_beyond_2100_is_named_not_a_crash(milepost, acme):
    result = milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", acme,
                      "--at", "9999-12-31T23:59:59-14:00")

    assert result.code == 1
    assert "--at: dates run from 2000-01-01 to 2100-12-31 [date_out_of_range]" in result.err
    assert state_of_first(milepost) == "planned"


@pytest.mark.parametrize(("args", "expected"), [
    (["--set", "1.name=" + "N" * 201], "set.name: at most 200 characters, got 201 [too_long]"),
    (["--set", "1000.name=Launch"], "set.seq: must be at most 999 [too_large]"),
    (["--total", "1e30"], "--total: not a plain decimal number"),
    (["--remove", str(2**31)], "remove: no such milestone or connection"),
])
def test_finding_1_a_change_order_no_column_holds_is_named_and_changes_nothing(milepost, acme, args, expected):
    before = milepost("report", "ACME-WEB", "--format", "json").out

    result = milepost("change-order", "ACME-WEB", "--ref", "CO-9", "--approver", "Dana Lee",
                      "--reason", "hostile", *args)

    assert result.code == 1
    assert expected in result.err
    assert milepost("report", "ACME-WEB", "--format", "json").out == before
