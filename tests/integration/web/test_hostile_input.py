"""Issue 11, finding 1: the inputs that were answered 500 on PostgreSQL are each answered 400
(or 404 for a path naming nothing storable) with every problem named by field and rule, and
nothing is written: the row count of every table is the same before and after."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from connector.web.security import portal_token
from tests.hostile import ADMIN_PASSWORD, REALM, api, deliver, postgres_app, problems, row_counts
from tests.integration.cli.schedules import GOOD
from tests.integration.web.conftest import csrf_of, sign_in

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Flask, Engine]]:
    """The app on PostgreSQL (its types are where these inputs used to fail), one schema for
    the module: every test here is refused and checks that nothing was written."""
    with postgres_app() as both:
        yield both


@pytest.fixture
def engine(served) -> Engine:  # type: ignore[no-untyped-def]
    return served[1]


@pytest.fixture
def client(served) -> FlaskClient:  # type: ignore[no-untyped-def]
    return served[0].test_client()


@pytest.fixture(scope="module")
def submitted(served) -> FlaskClient:  # type: ignore[no-untyped-def]
    """ACME-WEB imported and its first milestone submitted for acceptance."""
    client = served[0].test_client()
    assert api(client, "POST", "/schedules", tomllib.loads(GOOD)).status_code == 201
    answer = api(client, "POST", "/projects/ACME-WEB/milestones/1/submit",
                 {"by": "Sam", "evidence": ["requirements-v1.3.pdf"]})
    assert answer.status_code == 200, answer.get_json()
    return client


def refused(engine, send: Callable[[], object], status: int = 400):  # type: ignore[no-untyped-def]
    before = row_counts(engine)
    answer = send()
    assert answer.status_code == status, answer.get_data(as_text=True)[:500]  # type: ignore[attr-defined]
    assert row_counts(engine) == before
    return answer


def schedule_with(change: Callable[[dict], None]) -> dict:
    raw = tomllib.loads(GOOD)
    change(raw)
    return raw


def _set(path: str, value: object) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        *parents, leaf = path.split(".")
        target: object = raw
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]  # type: ignore[index]
        target[leaf] = value  # type: ignore[index]
    return change


SCHEDULES = [
    ("project.key", "K" * 65, ("project.key", "too_long")),
    ("project.name", "N" * 201, ("project.name", "too_long")),
    ("project.customer.email", "a" * 320 + "@acme.example", ("project.customer.email", "too_long")),
    ("milestones.0.approver.email", "d" * 200 + "@acme.example", ("milestones[0].approver.email", "too_long")),
    ("project.key", "ACME\x00WEB", ("project.key", "control_character")),
    ("project.name", "Web\x00site", ("project.name", "control_character")),
    ("milestones.0.deliverable", "Require\x00ments", ("milestones[0].deliverable", "control_character")),
    ("project.payment_terms_days", 2**31, ("project.payment_terms_days", "too_large")),
    ("milestones.0.seq", 2**31, ("milestones[0].seq", "too_large")),
    ("project.contract_total", "1e30", ("project.contract_total", "not_decimal")),
    ("project.deposit", {"amount": "1e30"}, ("project.deposit.amount", "not_decimal")),
    ("milestones.0.evidence", 5, ("milestones[0].evidence", "not_list")),
    ("project.retainage", {"steps": ["10"]}, ("project.retainage.steps[0]", "not_table")),
]


@pytest.mark.parametrize(("path", "value", "expected"), SCHEDULES, ids=[s[0] + "=" + repr(s[1])[:20] for s in SCHEDULES])
def test_finding_1_a_hostile_schedule_is_a_400_naming_the_field_and_writes_nothing(client, engine, path, value, expected):
    body = schedule_with(_set(path, value))
    answer = refused(engine, lambda: api(client, "POST", "/schedules", body))
    assert problems(answer) == {expected}


def test_finding_1_a_connection_beyond_postgresqls_range_is_a_400(client, engine):
    body = {**tomllib.loads(GOOD), "connection": 2**63}
    answer = refused(engine, lambda: api(client, "POST", "/schedules", body))
    assert problems(answer) == {("connection", "unknown_connection")}


DECISIONS = [
    ("accept", {"by": "x" * 201}, ("by", "too_long")),
    ("accept", {"by": "Da\x00na"}, ("by", "control_character")),
    ("reject", {"by": "Dana", "reason": "not\x00yet"}, ("reason", "control_character")),
    ("accept", {"by": "Dana", "at": "9999-12-31T23:59:59-14:00"}, ("at", "date_out_of_range")),
    ("partial", {"by": "Dana", "amount": "1e30"}, ("amount", "decimal")),
    ("accept", {"by": "Dana", "evidence": ["\x00.pdf"]}, ("evidence[0]", "control_character")),
    ("accept", {"by": "Dana", "reasn": "typo"}, ("reasn", "unknown_field")),
]


@pytest.mark.parametrize(("action", "body", "expected"), DECISIONS, ids=[repr(d[1])[:30] for d in DECISIONS])
def test_finding_1_a_hostile_decision_is_a_400_naming_the_field_and_writes_nothing(submitted, engine, action, body, expected):
    answer = refused(engine, lambda: api(submitted, "POST", f"/projects/ACME-WEB/milestones/1/{action}", body))
    assert problems(answer) == {expected}


def test_finding_1_a_void_with_a_nul_in_its_reason_is_a_400(submitted, engine):
    answer = refused(engine, lambda: api(submitted, "POST", "/projects/ACME-WEB/milestones/1/void",
                                         {"reason": "CO-7\x00", "by": "b" * 300}))
    assert problems(answer) == {("reason", "control_character"), ("by", "too_long")}


@pytest.mark.parametrize("path", [
    f"/projects/ACME-WEB/milestones/{2**31}/accept",
    f"/projects/ACME-WEB/milestones/{2**63}/accept",
    f"/projects/ACME-WEB/milestones/{2**31}/void",
    "/projects/ACME%00WEB/milestones/1/accept",
    "/projects/ACME%00WEB/report",
])
def test_finding_1_a_path_naming_nothing_storable_is_a_404(submitted, engine, path):
    method = "GET" if path.endswith("report") else "POST"
    answer = refused(engine, lambda: api(submitted, method, path, {"by": "Dana", "reason": "r"}), status=404)
    assert problems(answer)


@pytest.mark.parametrize("path", ["/schedules", "/projects/ACME-WEB/milestones/1/accept"])
def test_finding_1_json_nested_twenty_thousand_deep_is_a_400(submitted, engine, path):
    deep = b'{"by": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    answer = refused(engine, lambda: api(submitted, "POST", path, raw=deep))
    assert problems(answer) == {("body", "too_deep")}


SHAPELESS = [
    ("quickbooks", '"eventNotifications"'), ("quickbooks", "42"), ("quickbooks", '[1, "x"]'),
    ("quickbooks", '{"eventNotifications": "x"}'),
    ("quickbooks", '{"eventNotifications": [{"realmId": "1", "dataChangeEvent": []}]}'),
    ("quickbooks", json.dumps([{"id": "e" * 300, "intuitaccountid": REALM}])),
    ("xero", '"events"'), ("xero", "7"), ("xero", "[]"), ("xero", '{"events": {"a": 1}}'),
    ("xero", '{"events": ["x"]}'),
]


@pytest.mark.parametrize(("platform", "body"), SHAPELESS, ids=[f"{p}:{b[:30]}" for p, b in SHAPELESS])
def test_finding_1_a_signed_webhook_of_the_wrong_shape_is_a_400_and_records_nothing(client, engine, platform, body):
    refused(engine, lambda: deliver(client, platform, body.encode()))


def test_a_signed_webhook_of_the_right_shape_is_still_recorded(client, engine):
    body = json.dumps({"eventNotifications": [{"realmId": REALM, "dataChangeEvent": {"entities": [
        {"name": "Invoice", "id": "130", "operation": "Update", "lastUpdated": "2026-11-25T10:00:00Z"}]}}]})
    answer = deliver(client, "quickbooks", body.encode())
    assert answer.status_code == 200
    assert set(answer.get_json()) == {"stored"}  # kept whole; `process_webhooks` records it



@pytest.mark.parametrize(("form", "shown"), [
    ({"action": "reject", "reason": "Section 4\x00 is missing"}, "control character U+0000"),
    ({"action": "partial", "percent": "1e30"}, "percent: at most 12 digits"),
])
def test_finding_1_a_portal_decision_no_column_holds_is_refused_and_writes_nothing(served, submitted, engine, form, shown):
    app = served[0]
    path = f"/portal/{portal_token(app.config['SECRET_KEY'], 'ACME-WEB', 1, 'dana@acme.example')}"
    browser = app.test_client()
    assert browser.get(path).status_code == 200
    with browser.session_transaction() as session:
        csrf = session["csrf"]

    answer = refused(engine, lambda: browser.post(
        path, data={"csrf": csrf, **form}))

    assert shown in answer.get_data(as_text=True)


@pytest.fixture
def admin(served, submitted):  # type: ignore[no-untyped-def]
    browser = served[0].test_client()
    sign_in(browser, ADMIN_PASSWORD)
    return browser


@pytest.mark.parametrize(("path", "form"), [
    ("/admin/projects/ACME-WEB/link", {"connection": str(2**63)}),
    ("/admin/projects/ACME-WEB/milestones/1/void", {"reason": "CO-7\x00"}),
    ("/admin/connections/1/settings", {"sales_item": "Serv\x00ices"}),
    ("/admin/connections/1/settings", {"terms": "N" * 201}),
])
def test_finding_1_admin_forms_refuse_what_no_column_holds(admin, engine, path, form):
    before = row_counts(engine)
    answer = admin.post(path, data={**form, "csrf": csrf_of(admin)})
    assert answer.status_code in (302, 400), answer.get_data(as_text=True)[:300]
    assert row_counts(engine) == before
