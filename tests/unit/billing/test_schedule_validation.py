"""Specification: a schedule file is read whole, and every problem is reported at once."""

from __future__ import annotations

import json

import pytest

from connector.billing.errors import ScheduleInvalid
from connector.billing.money import Money
from connector.billing.schedule import dump_schedule, load_schedule, parse_text
from connector.billing.validation import validate_schedule

from .conftest import ACME, acme

BROKEN = """
[project]
key = "BROKEN"
name = "Broken"
currency = "USD"
contract_total = "1000.00"
contract_date = "2026-11-02"
time_zone = "Mars/Olympus"
payment_terms_days = 7
approval_window_days = 3
holiday_calendar = "XX"
customer = { name = "C", email = "c@example.com" }

[[milestones]]
seq = 1
name = "One"
approver = { name = "A" }
trigger = "on_acceptance"
percent = "120"

[[milestones]]
seq = 1
name = "Two"
approver = { name = "B", email = "b@example.com" }
trigger = "whenever"
amount = "-5.00"
planned_date = "2026-10-01"
"""


def problems(text: str) -> dict[str, str]:
    found = [(p.field, p.rule) for p in validate_schedule(parse_text(text, "toml"))]
    assert len(found) == len(dict(found)), found  # one line per field in these cases
    return dict(found)


def test_a_broken_schedule_lists_every_problem_with_its_field_and_rule():
    found = problems(BROKEN)
    assert found == {
        "project.time_zone": "unknown_time_zone",
        "project.holiday_calendar": "unknown_calendar",
        "milestones": "count",  # fewer than 3: a warning
        "milestones[0].approver.email": "approver_without_email",
        "milestones[0].percent": "percent_over_100",
        "milestones[1].trigger": "bad_trigger",
        "milestones[1].amount": "not_positive",
        "milestones[1].planned_date": "before_contract_date",
        "milestones[1].seq": "duplicate",
    }


def test_load_raises_with_all_problems_and_builds_nothing():
    with pytest.raises(ScheduleInvalid) as err:
        load_schedule(BROKEN, "toml")
    assert len(err.value.errors) == 8
    assert any(str(e).startswith("project.time_zone: unknown time zone 'Mars/Olympus'") for e in err.value.errors)


def test_amounts_that_do_not_sum_to_the_total_and_unknown_currency_are_errors():
    text = ACME.replace("{extra_project}", "").replace('percent = "40"', 'percent = "35"')
    assert problems(text) == {"milestones": "sum_mismatch"}
    assert problems(ACME.replace("{extra_project}", "").replace('"USD"', '"XYZ"'))["project.currency"] == "unknown_currency"


def test_percentages_over_100_in_total_are_an_error():
    text = ACME.replace("{extra_project}", "").replace('percent = "40"', 'percent = "50"')
    assert problems(text) == {"milestones": "percent_total_over_100"}


def test_more_than_seven_milestones_is_only_a_warning():
    base = ACME.replace("{extra_project}", "").replace('percent = "40"', 'percent = "36"')
    extra = "".join(
        f'\n[[milestones]]\nseq = {n}\nname = "M{n}"\napprover = {{ name = "D", email = "d@acme.example" }}\npercent = "1"\n'
        for n in range(5, 9)
    )
    parsed = load_schedule(base + extra, "toml")
    assert [(w.field, w.rule, w.severity) for w in parsed.warnings] == [("milestones", "count", "warning")]


def test_json_of_the_same_structure_reads_the_same():
    toml_schedule = acme()
    raw = parse_text(ACME.replace("{extra_project}", ""), "toml")
    assert load_schedule(json.dumps(raw), "json") == toml_schedule


def test_dumped_toml_reads_back_to_the_same_schedule():
    s = acme('deposit = { amount = "5000.00", credit = "pro_rata" }\nretainage = { steps = [{ percent = "10", until_billed_percent = "50" }, { percent = "5" }] }')
    again = load_schedule(dump_schedule(s.project, s.milestones), "toml")
    assert (again.project, again.milestones) == (s.project, s.milestones)


CSV = """# project.key = ACME-CSV
# project.name = Website redesign
# project.currency = USD
# project.contract_total = 1234.57
# project.contract_date = 2026-11-02
# project.payment_terms_days = 7
# project.approval_window_days = 3
# project.holiday_calendar = US
# project.customer.name = Acme Corp
# project.customer.email = ap@acme.example
seq,name,deliverable,approver_name,approver_role,approver_email,evidence,trigger,percent,amount,planned_date
1,Discovery,Requirements,Dana Lee,Project lead,dana@acme.example,report;minutes,on_acceptance,20,,2026-11-20
2,Build,Site,Dana Lee,Project lead,dana@acme.example,,on_acceptance,30,,
3,Launch,Live,Dana Lee,Project lead,dana@acme.example,,on_acceptance,50,,
"""


def test_csv_reads_project_fields_from_the_header_block_and_a_row_per_milestone():
    parsed = load_schedule(CSV, "csv", default_time_zone="America/Chicago")
    assert parsed.project.key == "ACME-CSV"
    assert parsed.project.time_zone == "America/Chicago"
    assert [m.name for m in parsed.milestones] == ["Discovery", "Build", "Launch"]
    assert parsed.milestones[0].evidence_required == ("report", "minutes")


def test_csv_project_fields_can_come_from_arguments_instead():
    parsed = load_schedule(CSV, "csv", project={"key": "OTHER", "customer": {"name": "Other Co"}})
    assert (parsed.project.key, parsed.project.customer.name, parsed.project.customer.email) == (
        "OTHER", "Other Co", "ap@acme.example")


def test_a_syntax_error_is_one_problem_on_the_schedule():
    with pytest.raises(ScheduleInvalid) as err:
        load_schedule("[project\nkey=", "toml")
    assert err.value.errors[0].field == "schedule"
    assert err.value.errors[0].rule == "syntax"


def test_floats_for_money_are_refused():
    text = ACME.replace("{extra_project}", "").replace('contract_total = "50000.00"', "contract_total = 50000.0")
    assert problems(text)["project.contract_total"] == "not_decimal_string"


def test_milestones_added_later_follow_the_same_field_rules():
    from datetime import date

    from connector.billing.validation import read_milestones

    good = {"seq": 5, "name": "Blog", "approver": {"name": "D", "email": "d@acme.example"}, "amount": "4000.00"}
    bad = {"seq": 6, "name": "Old", "approver": {"name": "D"}, "amount": "1.234", "planned_date": "2026-01-01"}
    built, found = read_milestones([good, bad], currency="USD", contract_date=date(2026, 11, 2), where="add.milestones")
    assert built == []  # nothing half-checked
    assert [(p.field, p.rule) for p in found] == [
        ("add.milestones[1].approver.email", "approver_without_email"),
        ("add.milestones[1].amount", "too_precise"),
        ("add.milestones[1].planned_date", "before_contract_date"),
    ]
    built, found = read_milestones([good], currency="USD", contract_date=date(2026, 11, 2))
    assert ([m.fixed_amount for m in built], found) == ([Money("4000.00", "USD")], [])


def test_an_added_milestone_that_is_not_a_table_is_named_not_crashed_on():
    from datetime import date

    from connector.billing.validation import read_milestones

    built, found = read_milestones(["Blog"], currency="USD", contract_date=date(2026, 11, 2), where="add.milestones")
    assert built == []
    assert [(p.field, p.rule) for p in found] == [("add.milestones[0]", "not_table")]
