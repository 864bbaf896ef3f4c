"""What Milepost remembers about the books' own records: customers found, projects' settings.

- `customer_mappings`: the platform customer (QuickBooks Customer Id, Xero ContactID) a
  customer was matched to or created as, per connection. The gateway is given it as `known_id`,
  so the second invoice for a customer reads one record instead of searching by email and name.
- `project_mappings`: a project's own mapping settings (`[project.mapping]` in the schedule
  file), laid over its connection's defaults with `MappingSettings.over`.

Both come from the `0006_evidence_and_mappings` revision.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from connector.billing.model import Customer

from .models import Base, utcnow
from .types import UTCDateTime


class CustomerMappingRow(Base):
    __tablename__ = "customer_mappings"

    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(500))
    mapped_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProjectMappingRow(Base):
    __tablename__ = "project_mappings"

    project_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)


def customer_key(customer: Customer) -> str:
    """Who a customer is across projects: the email when there is one (the gateways match on
    it first too), else the company or person name."""
    if customer.email:
        return f"email:{customer.email.strip().casefold()}"
    return f"name:{(customer.company or customer.name).strip().casefold()}"[:400]


def known_customer(session: Session, connection_id: int, customer: Customer) -> str | None:
    row = session.get(CustomerMappingRow, (connection_id, customer_key(customer)))
    return row.platform_id if row is not None else None


def known_customers(session: Session, wanted: Collection[tuple[int, Customer]]) -> dict[tuple[int, str], str]:
    """`known_customer` of several (connection, customer) pairs in one query:
    (connection id, `customer_key`) -> platform id, for the pairs that have one."""
    pairs = {(connection_id, customer_key(customer)) for connection_id, customer in wanted}
    if not pairs:
        return {}
    rows = session.execute(
        select(CustomerMappingRow.connection_id, CustomerMappingRow.customer_key, CustomerMappingRow.platform_id)
        .where(CustomerMappingRow.connection_id.in_(sorted({c for c, _ in pairs})),
               CustomerMappingRow.customer_key.in_(sorted({k for _, k in pairs})))
    )
    return {(c, k): platform_id for c, k, platform_id in rows if (c, k) in pairs}


def remember_customer(
    session: Session, connection_id: int, customer: Customer, platform_id: str, display_name: str
) -> None:
    """Keep (or correct) the platform id the gateway answered for this customer.

    Two drain lanes may meet the same new customer at once (a project the fallback routes to a
    company has a lane apart from that company's own): the later insert then finds the other's
    row and updates it, instead of failing the transaction that completes its intent."""
    key = (connection_id, customer_key(customer))
    row = session.get(CustomerMappingRow, key)
    if row is None:
        try:
            with session.begin_nested():
                session.add(CustomerMappingRow(connection_id=connection_id, customer_key=key[1],
                                               platform_id=platform_id, display_name=display_name[:500],
                                               mapped_at=utcnow()))
            return
        except IntegrityError:
            row = session.get(CustomerMappingRow, key, populate_existing=True)
            if row is None:
                raise
    row.platform_id, row.display_name, row.mapped_at = platform_id, display_name[:500], utcnow()
    session.flush()


def project_mapping(session: Session, project_key: str) -> dict[str, Any]:
    row = session.get(ProjectMappingRow, project_key)
    return dict(row.mapping) if row is not None else {}


def project_mappings(session: Session, project_keys: Collection[str]) -> dict[str, dict[str, Any]]:
    """`project_mapping` of several projects in one query (those with settings of their own)."""
    if not project_keys:
        return {}
    rows = session.scalars(select(ProjectMappingRow).where(ProjectMappingRow.project_key.in_(list(project_keys))))
    return {row.project_key: dict(row.mapping) for row in rows}


def set_project_mapping(session: Session, project_key: str, mapping: dict[str, Any]) -> None:
    """Store the project's own settings; an empty mapping removes them."""
    if not mapping:
        session.execute(delete(ProjectMappingRow).where(ProjectMappingRow.project_key == project_key))
        return
    row = session.get(ProjectMappingRow, project_key)
    if row is None:
        session.add(ProjectMappingRow(project_key=project_key, mapping=dict(mapping)))
    else:
        row.mapping = dict(mapping)
    session.flush()


def projects_with_mapping(session: Session) -> list[str]:
    return list(session.scalars(select(ProjectMappingRow.project_key)))
