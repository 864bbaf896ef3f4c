"""Evidence sent with a milestone step as multipart/form-data: stored with the step, refused
with the CLI's rules (name, type, size, count) naming the file and the rule, writing nothing.
The app here allows 1 MB per file (`[app] evidence_max_mb = 1`)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from connector.store.models import AuditEventRow, EvidenceRow
from mappings.attachments import MB

from .conftest import AUTH
from .records import import_project

PDF = b"%PDF-1.4 requirements v1.3\n"


def step(client, files: list[tuple[str, bytes]], action: str = "submit", **fields: str):  # type: ignore[no-untyped-def]
    data = {"by": "Sam (studio)", **fields,
            "evidence": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/api/v1/projects/ACME-WEB/milestones/1/{action}", data=data, headers=AUTH,
                       content_type="multipart/form-data")


def stored(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(evidence rows, audit events): what a refusal must leave as it was."""
    with app.extensions["milepost"].sessions() as db:
        return (db.scalar(select(func.count()).select_from(EvidenceRow)) or 0,
                db.scalar(select(func.count()).select_from(AuditEventRow)) or 0)


def test_a_step_with_an_uploaded_file_stores_its_bytes_for_the_invoice(app, client):
    import_project(client, AUTH)

    answer = step(client, [("requirements-v1.3.pdf", PDF)])

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["state"] == "submitted"
    with app.extensions["milepost"].sessions() as db:
        row = db.scalars(select(EvidenceRow)).one()
        assert (row.name, row.content, row.content_type) == ("requirements-v1.3.pdf", PDF, "application/pdf")
    read = client.get("/api/v1/projects/ACME-WEB/milestones/1", headers=AUTH).get_json()
    assert read["evidence"] == ["requirements-v1.3.pdf"]


REFUSED = [
    ([("big.pdf", b"x" * (MB + 1))], ("evidence[0]", "file_too_large")),
    ([("setup.exe", b"MZ")], ("evidence[0]", "file_type_not_accepted")),
    ([("../../etc/passwd.pdf", PDF)], ("evidence[0]", "bad_file_name")),
    ([("a" * 501 + ".pdf", PDF)], ("evidence[0]", "too_long")),
    ([("plan\x1b.pdf", PDF)], ("evidence[0]", "control_character")),
    ([(f"page-{n}.pdf", PDF) for n in range(11)], ("evidence", "too_many_files")),
]


@pytest.mark.parametrize(("files", "expected"), REFUSED, ids=["too big", "exe", "path", "long name", "escape", "eleven"])
def test_a_file_the_rules_refuse_is_a_400_naming_it_and_nothing_is_written(app, client, files, expected):
    import_project(client, AUTH)
    before = stored(app)

    answer = step(client, [("requirements.pdf", PDF), *files] if expected[0] != "evidence" else files)

    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    where = expected[0].replace("[0]", "[1]") if expected[0] != "evidence" else expected[0]
    assert {(p["field"], p["rule"]) for p in answer.get_json()["errors"]} == {(where, expected[1])}
    assert stored(app) == before
    assert client.get("/api/v1/projects/ACME-WEB/milestones/1", headers=AUTH).get_json()["state"] == "planned"


def test_an_upload_larger_than_ten_files_may_be_is_a_413_problem(app, client):
    import_project(client, AUTH)
    answer = step(client, [("huge.pdf", b"x" * (11 * MB + 1))])
    assert answer.status_code == 413
    assert answer.get_json()["status"] == 413
    assert answer.get_json()["errors"][0]["field"] == "request"


def test_form_fields_are_checked_like_the_json_body(app, client):
    import_project(client, AUTH)
    answer = step(client, [("requirements.pdf", PDF)], at="2026-11-20T10:00:00", reasn="typo")
    assert {(p["field"], p["rule"]) for p in answer.get_json()["errors"]} == {
        ("at", "timezone"), ("reasn", "unknown_field")}
