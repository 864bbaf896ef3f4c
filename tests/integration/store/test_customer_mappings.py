"""The customer a draft was made for is remembered once per company, even when two drain lanes
remember the same new customer at the same moment (PostgreSQL: SQLite's writers take turns)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from connector.billing.model import Customer
from connector.store.db import session_factory, transaction
from connector.store.mapping_rows import CustomerMappingRow, customer_key, remember_customer
from connector.store.models import ConnectionRow

pytestmark = pytest.mark.postgres

BUYER = Customer(name="Dana Lee", email="dana@example.com", company="Northwind Studio")


def test_a_customer_another_lane_remembered_meanwhile_is_updated_not_a_failed_completion(postgres_engine) -> None:
    sessions = session_factory(postgres_engine)
    with transaction(sessions) as db:
        company = ConnectionRow(platform="quickbooks", tenant_id="realm-1", name="Northwind Books")
        db.add(company)
        db.flush()
        connection_id = company.id

    with transaction(sessions) as mine:
        raced: list[bool] = []

        def other_lane_first(session: Session, *_: object) -> None:
            if raced:
                return
            raced.append(True)
            with transaction(sessions) as theirs:  # commits before this lane's insert reaches the table
                theirs.add(CustomerMappingRow(connection_id=connection_id, customer_key=customer_key(BUYER),
                                              platform_id="58", display_name="Northwind Studio"))

        event.listen(mine, "before_flush", other_lane_first)
        remember_customer(mine, connection_id, BUYER, "58", "Northwind Studio (Dana Lee)")

    with sessions() as db:
        rows = db.execute(select(CustomerMappingRow.platform_id, CustomerMappingRow.display_name)).all()
    assert rows == [("58", "Northwind Studio (Dana Lee)")]
