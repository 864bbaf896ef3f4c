"""Issue 11, findings 1-3: every field of a schedule is bounded, and a hostile or careless
schedule is refused whole, each problem named by field and rule, whatever its format."""

from __future__ import annotations

import copy
import json

import pytest

from connector.billing.errors import ScheduleInvalid
from connector.billing.schedule import load_schedule, parse_text
from connector.billing.validation import validate_schedule

from .conftest import ACME


def good() -> dict:
    return parse_text(ACME.replace("{extra_project}", ""), "toml")


def refused(raw: dict) -> set[tuple[str, str]]:
    """The (field, rule) of every error when the schedule arrives as JSON."""
    with pytest.raises(ScheduleInvalid) as invalid:
        load_schedule(json.dumps(raw, default=str), "json")
    return {(p.field, p.rule) for p in invalid.value.errors}


def with_(path: str, value: object) -> dict:
    """The good schedule with the field at `path` ("project.customer.name",
    "milestones.1.seq") set to `value`."""
    raw = good()
    *parents, leaf = path.split(".")
    target: object = raw
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]  # type: ignore[index]
    target[int(leaf) if leaf.isdigit() else leaf] = value  # type: ignore[index]
    return raw


# --- finding 2: bounds that cost CPU and pages ------------------------------------------------

def test_finding_2_an_approval_window_of_two_and_a_half_million_days_is_refused():
    assert refused(with_("project.approval_window_days", 2_500_000)) == {
        ("project.approval_window_days", "too_large")}


def test_finding_2_a_ten_thousand_milestone_schedule_is_refused():
    raw = good()
    one = raw["milestones"][1]
    raw["milestones"] = [dict(one, seq=n, percent="0.01") for n in range(1, 10_001)]

    assert refused(raw) == {("milestones", "too_many")}


@pytest.mark.parametrize(("path", "value", "rule"), [
    ("project.payment_terms_days", 2**31, "too_large"),
    ("project.payment_terms_days", 366, "too_large"),
    ("project.pause_work_after_days", 400, "too_large"),
    ("project.approval_window_days", 61, "too_large"),
    ("milestones.0.seq", 2**31, "too_large"),
    ("milestones.0.seq", 1000, "too_large"),
    ("project.contract_date", "1999-12-31", "date_out_of_range"),
    ("milestones.2.planned_date", "2101-01-01", "date_out_of_range"),
])
def test_numbers_and_dates_outside_their_range_are_refused(path, value, rule):
    field = path.replace(".0.", "[0].").replace(".2.", "[2].")
    assert refused(with_(path, value)) == {(field, rule)}


def test_the_late_fee_grace_is_bounded_too():
    raw = with_("project.late_fee", {"percent_per_month": "1.5", "grace_days": 10_000})
    assert refused(raw) == {("project.late_fee.grace_days", "too_large")}


# --- finding 3: keys and misspellings --------------------------------------------------------

@pytest.mark.parametrize(("key", "rule"), [
    ("ACME/../OTHER", "bad_key"), ("../admin", "bad_key"), ("ACME WEB", "bad_key"),
    ("-ACME", "bad_key"), ("A" * 33, "bad_key"), ("ACME\u202eBEW", "control_character"),
])
def test_finding_3_a_key_that_leaves_its_path_or_reverses_its_text_is_refused(key, rule):
    assert refused(with_("project.key", key)) == {("project.key", rule)}


def test_finding_3_a_misspelled_optional_field_is_named_with_a_suggestion():
    raw = with_("project.retainage_percnt", "5")

    with pytest.raises(ScheduleInvalid) as invalid:
        load_schedule(json.dumps(raw), "json")

    (problem,) = invalid.value.errors
    assert (problem.field, problem.rule) == ("project.retainage_percnt", "unknown_field")
    assert "did you mean 'retainage_percent'" in problem.message


def test_misspellings_are_named_at_every_level():
    raw = good()
    raw["milestones"][0]["acceptance_critera"] = "x"
    raw["project"]["customer"]["emial"] = "ap@acme.example"
    raw["extra"] = 1

    assert refused(raw) == {
        ("milestones[0].acceptance_critera", "unknown_field"),
        ("project.customer.emial", "unknown_field"),
        ("extra", "unknown_field"),
    }


# --- finding 1 (the schedule's part): lengths, NUL, types, decimals --------------------------

@pytest.mark.parametrize(("path", "value", "field", "rule"), [
    ("project.key", "K" * 65, "project.key", "too_long"),
    ("project.name", "N" * 201, "project.name", "too_long"),
    ("project.customer.email", "a" * 310 + "@acme.example", "project.customer.email", "too_long"),
    ("milestones.0.approver.email", "d" * 190 + "@acme.example", "milestones[0].approver.email", "too_long"),
    ("project.key", "ACME\x00", "project.key", "control_character"),
    ("project.name", "Web\x00site", "project.name", "control_character"),
    ("milestones.1.deliverable", "Req\x00doc", "milestones[1].deliverable", "control_character"),
    ("milestones.1.name", "Discovery\u202e", "milestones[1].name", "control_character"),
    ("milestones.1.evidence", 5, "milestones[1].evidence", "not_list"),
    ("milestones.1.evidence", ["x" * 101], "milestones[1].evidence[0]", "too_long"),
    ("project.retainage", {"steps": ["10"]}, "project.retainage.steps[0]", "not_table"),
    ("project.contract_total", "1e30", "project.contract_total", "not_decimal"),
    ("project.contract_total", "1234567890123.00", "project.contract_total", "too_large"),
    ("milestones.3.percent", "1E+2", "milestones[3].percent", "not_decimal"),
    ("project.deposit", {"amount": "9" * 40}, "project.deposit.amount", "too_large"),
    ("project.deposit", {"amount": "1" * 5000}, "project.deposit.amount", "not_decimal"),
])
def test_finding_1_texts_types_and_decimals_beyond_their_bounds_are_named(path, value, field, rule):
    assert refused(with_(path, value)) == {(field, rule)}


def test_multiline_texts_keep_their_line_breaks():
    raw = with_("milestones.1.acceptance_criteria", "Approved by:\n\t- the project lead\r\n")
    assert load_schedule(json.dumps(raw), "json").milestones[1].acceptance_criteria.startswith("Approved")


def test_every_problem_is_reported_at_once_with_the_billing_rules_too():
    raw = good()
    raw["project"]["key"] = "../x"
    raw["project"]["currency"] = "XXY"
    raw["milestones"][0]["evidence"] = 5
    raw["milestones"][1]["percent"] = "130"
    raw["milestones"][2]["name"] = "\x00"

    assert refused(raw) == {
        ("project.key", "bad_key"),
        ("project.currency", "unknown_currency"),
        ("milestones[0].evidence", "not_list"),
        ("milestones[1].percent", "percent_over_100"),
        ("milestones[2].name", "control_character"),
    }


CSV_HEAD = """# project.key = {key}
# project.name = Website redesign
# project.currency = USD
# project.contract_total = 1000.00
# project.contract_date = 2026-11-02
# project.payment_terms_days = {terms}
# project.approval_window_days = 3
# project.holiday_calendar = US
# project.customer.name = Acme Corp
# project.customer.email = ap@acme.example
seq,name,approver_name,approver_email,percent
{seq},One,Dana,dana@acme.example,50
2,Two,Dana,dana@acme.example,50
"""


def test_csv_is_held_to_the_same_bounds():
    text = CSV_HEAD.format(key="ACME/../X", terms="99999999999999", seq="5000")
    with pytest.raises(ScheduleInvalid) as invalid:
        load_schedule(text, "csv")
    assert {(p.field, p.rule) for p in invalid.value.errors} == {
        ("project.key", "bad_key"),
        ("project.payment_terms_days", "too_large"),
        ("milestones[0].seq", "too_large"),
    }


def test_a_csv_header_that_makes_a_value_a_table_is_a_syntax_error_not_a_crash():
    text = CSV_HEAD.format(key="ACME", terms="7", seq="1").replace(
        "# project.customer.name = Acme Corp", "# project.customer = Acme\n# project.customer.name = Acme Corp")
    with pytest.raises(ScheduleInvalid) as invalid:
        load_schedule(text, "csv")
    assert [(p.field, p.rule) for p in invalid.value.errors] == [("schedule", "syntax")]


def test_toml_nested_thousands_deep_is_refused_not_a_crash():
    text = "x = " + "[" * 20_000 + "]" * 20_000 + "\n"
    with pytest.raises(ScheduleInvalid) as invalid:
        load_schedule(text, "toml")
    assert [p.rule for p in invalid.value.errors] in (["too_deep"], ["syntax"])


def test_the_good_schedule_still_passes_untouched():
    raw = good()
    before = copy.deepcopy(raw)
    assert [p for p in validate_schedule(raw) if p.is_error] == []
    assert raw == before


def test_the_json_schema_for_the_api_document_states_the_same_bounds():
    from connector.billing.schema import ScheduleShape

    schema = ScheduleShape.model_json_schema()
    project = schema["$defs"]["ProjectShape"]
    milestone = schema["$defs"]["MilestoneShape"]

    assert project["additionalProperties"] is False
    assert project["properties"]["name"]["anyOf"][0]["maxLength"] == 200
    assert project["properties"]["approval_window_days"]["maximum"] == 60
    assert milestone["properties"]["seq"]["maximum"] == 999
    assert schema["properties"]["milestones"]["anyOf"][0]["maxItems"] == 100
