"""Reading projects, milestones, invoices, payments and history: lists in cursor pages that stay
right while rows are inserted, `updated_since`, and each record by its id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .conftest import AUTH
from .records import api, billed_and_paid, import_project


def get(client, path: str):  # type: ignore[no-untyped-def]
    answer = api(client, "GET", path, AUTH)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def walk(client, path: str, limit: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every item of a list, following `next` page by page."""
    items, url = [], path if "limit=" in path else f"{path}{'&' if '?' in path else '?'}limit={limit}"
    while url:
        page = get(client, url)
        assert len(page["items"]) <= limit
        items += page["items"]
        url = page["next"] and page["next"].removeprefix("/api/v1")
    return items


def test_every_list_holds_the_stored_records(app, client):
    import_project(client, AUTH)
    billed_and_paid(app, client, AUTH)

    assert [p["key"] for p in get(client, "/projects")["items"]] == ["ACME-WEB"]
    milestones = get(client, "/milestones")["items"]
    assert [(m["seq"], m["amount"], m["state"]) for m in milestones] == [
        (1, "246.91", "invoice_due"), (2, "370.37", "planned"), (3, "617.29", "planned")]
    invoice, = get(client, "/invoices")["items"]
    assert (invoice["number"], invoice["milestones"], invoice["balance"]) == ("1001", [1], "146.91")
    payment, = get(client, "/payments")["items"]
    assert (payment["invoice"], payment["amount"], payment["on"]) == (invoice["id"], "100.00", "2026-11-25")
    kinds = [e["kind"] for e in get(client, "/history?project=ACME-WEB")["items"]]
    assert kinds[0] == "imported"
    assert "submitted" in kinds


def test_each_record_reads_by_its_id_and_an_unknown_one_is_a_404_problem(app, client):
    import_project(client, AUTH)
    billed_and_paid(app, client, AUTH)
    invoice = get(client, "/invoices")["items"][0]
    payment = get(client, "/payments")["items"][0]
    event = get(client, "/history")["items"][0]

    assert get(client, "/projects/ACME-WEB")["contract_total"] == "1234.57"
    assert get(client, "/projects/ACME-WEB/milestones/1")["evidence"] == ["requirements.pdf"]
    assert get(client, f"/invoices/{invoice['id']}") == invoice
    assert get(client, f"/payments/{payment['id']}") == payment
    assert get(client, f"/history/{event['id']}") == event
    for path in ("/projects/NOPE", "/projects/ACME-WEB/milestones/9", "/invoices/999", "/payments/999", "/history/99999"):
        answer = api(client, "GET", path, AUTH)
        assert answer.status_code == 404
        assert answer.mimetype == "application/problem+json"
        assert answer.get_json()["errors"][0]["rule"] == "not_found"


def test_a_cursor_walk_sees_each_record_once_while_others_are_inserted(client):
    for n in range(5):
        import_project(client, AUTH, f"P-{n}")
    first = get(client, "/projects?limit=2")
    assert [p["key"] for p in first["items"]] == ["P-0", "P-1"]
    link = api(client, "GET", "/projects?limit=2", AUTH).headers["Link"]
    assert link == f'<{first["next"]}>; rel="next"'
    import_project(client, AUTH, "A-NEW")  # sorts first by key, but is inserted last

    rest = walk(client, first["next"].removeprefix("/api/v1"), 2)

    assert [p["key"] for p in first["items"] + rest] == ["P-0", "P-1", "P-2", "P-3", "P-4", "A-NEW"]


def test_updated_since_keeps_only_what_changed_after_it(client):
    import_project(client, AUTH, "OLD")
    import_project(client, AUTH, "NEW")
    since = datetime.now(UTC)
    answer = api(client, "POST", "/projects/NEW/milestones/1/submit", AUTH,
                 {"by": "Sam", "evidence": ["requirements.pdf"]})
    assert answer.status_code == 200

    changed = get(client, f"/milestones?updated_since={since.isoformat().replace('+', '%2B')}")["items"]
    assert [(m["project"], m["seq"]) for m in changed] == [("NEW", 1)]
    later = (since + timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert get(client, f"/projects?updated_since={later}")["items"] == []
    assert len(walk(client, "/milestones?project=OLD", 1)) == 3


def test_a_bad_page_query_names_each_problem(client):
    answer = api(client, "GET", "/milestones?limit=0&cursor=zz&updated_since=yesterday&project=a/b&sort=key", AUTH)
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"
    assert {(p["field"], p["rule"]) for p in answer.get_json()["errors"]} == {
        ("limit", "too_small"), ("cursor", "bad_cursor"), ("updated_since", "iso8601"),
        ("project", "bad_key"), ("sort", "unknown_field")}
