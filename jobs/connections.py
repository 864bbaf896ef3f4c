"""Which company an intent goes to, with which mapping settings, and which connections to sync.

A project bills through the connection it is linked to (`connector.web.links`); a project with
no link bills through the oldest active connection, which is what a one-company installation
wants without any setup. Mapping settings live beside the sync cursor (`sync_state.mapping`);
unset, they default to what a fresh company has: QuickBooks' "Services" item, Xero's sales
account 200 with no tax.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.platforms.custody import ACTIVE
from connector.store.models import ConnectionRow
from mappings.settings import MappingSettings

from .tables import SyncStateRow

DEFAULT_MAPPINGS: dict[str, dict[str, Any]] = {
    "quickbooks": {"sales_item": "Services"},
    "xero": {"sales_account": "200", "tax_code": "NONE"},
}


def active_connections(session: Session) -> list[int]:
    query = select(ConnectionRow.id).where(ConnectionRow.status == ACTIVE).order_by(ConnectionRow.id)
    return list(session.scalars(query))


def linked_connection(session: Session, project_key: str) -> int | None:
    """The connection the project is linked to, if the web room's link table has one."""
    try:
        from connector.web.links import linked_connection as web_linked
    except ImportError:  # pragma: no cover - the web room is not installed
        return None
    try:
        with session.begin_nested():
            return web_linked(session, project_key)
    except Exception:  # noqa: BLE001 - the link table may not exist yet: no link then
        return None


def connection_for(session: Session, project_key: str, explicit: int | None) -> int | None:
    if explicit is not None:
        return explicit
    linked = linked_connection(session, project_key)
    if linked is not None:
        return linked
    active = active_connections(session)
    return active[0] if active else None


def sync_state(session: Session, connection_id: int) -> SyncStateRow:
    row = session.get(SyncStateRow, connection_id)
    if row is None:
        row = SyncStateRow(connection_id=connection_id, mapping={})
        session.add(row)
        session.flush()
    return row


def mapping_for(session: Session, connection_id: int) -> MappingSettings:
    connection = session.get(ConnectionRow, connection_id)
    platform = connection.platform if connection is not None else "quickbooks"
    stored = session.get(SyncStateRow, connection_id)
    data = (stored.mapping if stored is not None else None) or DEFAULT_MAPPINGS.get(platform, {})
    return MappingSettings.from_dict(data)


def set_mapping(session: Session, connection_id: int, mapping: dict[str, Any]) -> None:
    """Store the mapping settings drafts for this connection are created with."""
    MappingSettings.from_dict(mapping)  # refuse unknown keys now, not at the first draft
    sync_state(session, connection_id).mapping = dict(mapping)
