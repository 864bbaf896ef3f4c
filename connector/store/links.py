"""Which connection a project bills through (`project link`, `schedule import --connection`).

The link is a small table of its own, `project_connections`, built by the
`0005_project_links` Alembic revision like every other table (`milepost init`); this module
mirrors it on the store's metadata, so the schema tests see it too.

Linking also fills in the connection on the project's pending outbox rows that had none, so
intents queued before the link go to the linked company too.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import Column, Integer, String, Table, select, update
from sqlalchemy.orm import Session

from .errors import StoreError
from .models import Base, ConnectionRow, OutboxRow
from .repository import BillingRepository
from .types import UTCDateTime

project_connections = Table(
    "project_connections",
    Base.metadata,
    Column("project_key", String(64), primary_key=True),
    Column("connection_id", Integer, nullable=False),
    Column("linked_at", UTCDateTime(), nullable=False),
)


class LinkRefused(StoreError):
    """The project or the connection cannot be linked; the message says which and why."""


def link_project(session: Session, key: str, connection_id: int) -> None:
    """Tie the project to a connection (replacing an earlier link); ProjectNotFound or
    LinkRefused when either side is missing, the connection is another organisation's or it
    is disconnected."""
    project = BillingRepository(session).project_row(key)
    connection = session.get(ConnectionRow, connection_id)
    if connection is None or connection.organisation_id != project.organisation_id:  # theirs: as none
        raise LinkRefused(f"no connection {connection_id}: see `milepost connections`")
    if connection.status == "disconnected":
        raise LinkRefused(f"connection {connection_id} is disconnected: reconnect it first")
    now = datetime.now(UTC)
    table = project_connections
    found = session.execute(select(table.c.project_key).where(table.c.project_key == key)).first()
    if found:
        session.execute(
            update(table).where(table.c.project_key == key)
            .values(connection_id=connection_id, linked_at=now)
        )
    else:
        session.execute(table.insert().values(project_key=key, connection_id=connection_id, linked_at=now))
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.project_id == project.id, OutboxRow.connection_id.is_(None),
               OutboxRow.status == "pending")
        .values(connection_id=connection_id)
    )


def linked_connection(session: Session, key: str) -> int | None:
    table = project_connections
    return session.execute(
        select(table.c.connection_id).where(table.c.project_key == key)
    ).scalar_one_or_none()


def linked_connections(session: Session, keys: Collection[str]) -> dict[str, int]:
    """`linked_connection` of several projects in one query (the linked ones only)."""
    if not keys:
        return {}
    table = project_connections
    query = select(table.c.project_key, table.c.connection_id).where(table.c.project_key.in_(list(keys)))
    return {key: connection for key, connection in session.execute(query)}


def links(session: Session) -> dict[str, int]:
    table = project_connections
    return {k: c for k, c in session.execute(select(table.c.project_key, table.c.connection_id))}
