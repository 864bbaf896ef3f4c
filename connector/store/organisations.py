"""One organisation's view of the store: its users, connections and projects, nothing else.

Every page, command and API call that lists or reads users, connections or projects goes
through an `Organisation`, so that when one deployment serves several firms nobody sees
another's. Today there is one organisation (`DEFAULT_ORGANISATION_ID`, created by the 0018
migration); the CLI and the API act for it, the web app for the signed-in user's. A project or
connection of another organisation is reported as not found, never as forbidden, so its
existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import QueryableAttribute, Session

from .errors import ProjectNotFound
from .models import DEFAULT_ORGANISATION_ID, ConnectionRow, ProjectRow, UserRow
from .people import find_user


def of_connections(connection_id: QueryableAttribute[Any], organisation_id: int) -> ColumnElement[bool]:
    """A filter on rows naming a connection (job runs, the sync log): the organisation's. A row
    of no connection (a job run for the whole deployment, such as deeming failures) is the
    default organisation's, which runs the deployment; its message may name anyone's project."""
    mine = connection_id.in_(select(ConnectionRow.id).where(ConnectionRow.organisation_id == organisation_id))
    return (mine | connection_id.is_(None)) if organisation_id == DEFAULT_ORGANISATION_ID else mine


@dataclass(frozen=True)
class Organisation:
    db: Session
    id: int = DEFAULT_ORGANISATION_ID

    def project_keys(self) -> list[str]:
        return list(self.db.scalars(select(ProjectRow.key).where(
            ProjectRow.organisation_id == self.id).order_by(ProjectRow.key)))

    def project(self, key: str) -> ProjectRow:
        """The project row, or ProjectNotFound when there is none in this organisation."""
        row = self.db.scalar(select(ProjectRow).where(ProjectRow.key == key,
                                                      ProjectRow.organisation_id == self.id))
        if row is None:
            raise ProjectNotFound(key)
        return row

    def is_anothers_project(self, key: str) -> bool:
        """Whether a project with this key exists and belongs to another organisation."""
        owner = self.db.scalar(select(ProjectRow.organisation_id).where(ProjectRow.key == key))
        return owner is not None and owner != self.id

    def connection_ids(self) -> set[int]:
        return set(self.db.scalars(select(ConnectionRow.id).where(
            ConnectionRow.organisation_id == self.id)))

    def connection(self, connection_id: int) -> ConnectionRow | None:
        row = self.db.get(ConnectionRow, connection_id)
        return row if row is not None and row.organisation_id == self.id else None

    def users(self) -> list[UserRow]:
        return list(self.db.scalars(select(UserRow).where(UserRow.organisation_id == self.id)
                                    .order_by(UserRow.email)))

    def user(self, email: str) -> UserRow | None:
        found = find_user(self.db, email)
        return found if found is not None and found.organisation_id == self.id else None

    def user_by_id(self, user_id: int) -> UserRow | None:
        row = self.db.get(UserRow, user_id)
        return row if row is not None and row.organisation_id == self.id else None
