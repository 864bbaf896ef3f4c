"""Which estimate or quote a project was imported from (`project_sources`, revision 0013).

Remembering it does two things: an estimate imported once is refused the second time (the
row is unique per connection and platform id, so even two imports racing make one project),
and the drain hands the document to the gateway, so each invoice points back to it
(`SourceDocument`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from connector.billing.model import SourceDocument

from .errors import StoreError
from .models import Base, utcnow
from .types import UTCDateTime


class ProjectSourceRow(Base):
    __tablename__ = "project_sources"
    __table_args__ = (UniqueConstraint("connection_id", "platform_id"),)

    project_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"))
    platform: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # estimate | quote
    platform_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportedBefore(StoreError):
    """The estimate or quote already became a project; the message names it."""


def imported_as(session: Session, connection_id: int, platform_id: str) -> str | None:
    """The key of the project this document became on this connection, if any."""
    return session.scalars(select(ProjectSourceRow.project_key).where(
        ProjectSourceRow.connection_id == connection_id,
        ProjectSourceRow.platform_id == platform_id)).first()


def remember_source(session: Session, project_key: str, connection_id: int,
                    source: SourceDocument, customer_id: str) -> None:
    """Record where the project came from; ImportedBefore when that document already did."""
    earlier = imported_as(session, connection_id, source.platform_id)
    if earlier is not None:
        raise ImportedBefore(f"{source.kind} {source.number or source.platform_id} was imported "
                             f"before, as project {earlier}: nothing imported")
    session.add(ProjectSourceRow(
        project_key=project_key, connection_id=connection_id, platform=source.platform,
        kind=source.kind, platform_id=source.platform_id, number=source.number[:100],
        customer_id=customer_id))
    session.flush()


def sources_by_project(session: Session, project_keys: Collection[str]) -> dict[str, tuple[int, SourceDocument]]:
    """Several projects' documents in one query: key -> (its connection, the document), for
    the projects imported from one."""
    if not project_keys:
        return {}
    rows = session.scalars(select(ProjectSourceRow).where(ProjectSourceRow.project_key.in_(sorted(project_keys))))
    return {row.project_key: (row.connection_id, SourceDocument(row.platform, row.kind, row.platform_id, row.number))
            for row in rows}
