"""A project with something in every list: ACME-WEB imported, milestone 1 submitted (with an
evidence name) and accepted, and the invoice and payment the sync would have stored for it."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from connector.store.db import transaction
from connector.store.models import (
    InvoiceMilestoneRow,
    InvoiceRow,
    MilestoneRow,
    PaymentRow,
    ProjectRow,
)
from tests.integration.web.projects import schedule


def api(client: FlaskClient, method: str, path: str, auth: dict[str, str], body: object = None):  # type: ignore[no-untyped-def]
    return client.open(f"/api/v1{path}", method=method, headers={**auth, "Content-Type": "application/json"},
                       data=None if body is None else json.dumps(body))


def import_project(client: FlaskClient, auth: dict[str, str], key: str = "ACME-WEB") -> None:
    body = schedule()
    body["project"]["key"] = key
    answer = api(client, "POST", "/projects", auth, body)
    assert answer.status_code == 201, answer.get_data(as_text=True)


def billed_and_paid(app: Flask, client: FlaskClient, auth: dict[str, str], key: str = "ACME-WEB") -> None:
    """Milestone 1 accepted, its invoice in the books (QuickBooks 130, number 1001) paid 100.00."""
    for step, body in (("submit", {"by": "Sam", "evidence": ["requirements.pdf"]}), ("accept", {"by": "Dana Lee"})):
        answer = api(client, "POST", f"/projects/{key}/milestones/1/{step}", auth, body)
        assert answer.status_code == 200, answer.get_data(as_text=True)
    with transaction(app.extensions["milepost"].sessions) as db:
        project_id = db.scalar(select(ProjectRow.id).where(ProjectRow.key == key))
        milestone_id = db.scalar(select(MilestoneRow.id).where(MilestoneRow.project_id == project_id,
                                                               MilestoneRow.seq == 1))
        invoice = InvoiceRow(project_id=project_id, platform="quickbooks", platform_id="130",
                             number="1001", status="partially_paid", currency="USD",
                             total=Decimal("246.91"), amount_paid=Decimal("100.00"),
                             balance=Decimal("146.91"), due_date=date(2026, 11, 27))
        db.add(invoice)
        db.flush()
        db.add(InvoiceMilestoneRow(invoice_id=invoice.id, milestone_id=milestone_id, amount=Decimal("246.91")))
        db.add(PaymentRow(invoice_id=invoice.id, platform_id="P-1", on=date(2026, 11, 25),
                          amount=Decimal("100.00"), method="check"))
