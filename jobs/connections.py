"""Which company an intent goes to, with which mapping settings, and which connections to sync.

Routing: an intent queued with a connection goes there; otherwise the project's link
(`milepost project link KEY --connection ID`, `connector.store.links`) decides. A project with no
link bills through the only active connection when there is exactly one (a one-company
installation needs no setup); with several active connections and no link, guessing could put
a customer's invoice in another company's books, so the intent waits, pending, with the reason
and the command that fixes it (shown in `milepost jobs` and the admin dashboard).

Mapping settings: a connection's defaults (`milepost connections settings ID ...`, stored
beside the sync cursor in `sync_state.mapping`), under a project's own `[project.mapping]`,
merged with `MappingSettings.over`. When nothing is set, a sandbox connection uses what a fresh
sandbox company has (QuickBooks' "Services" item, Xero's sales account 200 with no tax); a real
connection refuses to guess and the intent fails with a ConfigurationError naming the setting.

Database errors are never swallowed here: a broken link table is a broken installation, not
"no link".
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from connector.config import Settings
from connector.platforms.company_lists import forget_company_lists
from connector.platforms.custody import ACTIVE
from connector.platforms.errors import ConfigurationError, PlatformError
from connector.platforms.gateway import AccountingGateway
from connector.store.db import transaction
from connector.store.evidence import EvidencePolicy
from connector.store.links import linked_connection
from connector.store.mail_outbox import MAIL
from connector.store.mapping_rows import project_mapping, set_project_mapping
from connector.store.models import DEFAULT_ORGANISATION_ID, ConnectionRow, OutboxRow, ProjectRow
from mappings.settings import MappingSettings

from .tables import SyncStateRow

SANDBOX_DEFAULTS: dict[str, dict[str, Any]] = {
    "quickbooks": {"sales_item": "Services"},
    "xero": {"sales_account": "200", "tax_code": "NONE"},
}
DEFAULT_MAPPINGS = SANDBOX_DEFAULTS  # the older name
REQUIRED = {"quickbooks": ("sales_item", "--item"), "xero": ("sales_account", "--account")}


@dataclass(frozen=True)
class Route:
    """Where an intent goes, or (connection_id None) why it must wait."""

    connection_id: int | None
    waiting: str = ""


def active_connections(session: Session, organisation_id: int | None = None) -> list[int]:
    """The active connections, of every organisation or (`organisation_id`) of one."""
    query = select(ConnectionRow.id).where(ConnectionRow.status == ACTIVE).order_by(ConnectionRow.id)
    if organisation_id is not None:
        query = query.where(ConnectionRow.organisation_id == organisation_id)
    return list(session.scalars(query))


def project_organisations(session: Session, project_keys: Collection[str]) -> dict[str, int]:
    """Project key -> its organisation (one query)."""
    if not project_keys:
        return {}
    rows = session.execute(select(ProjectRow.key, ProjectRow.organisation_id)
                           .where(ProjectRow.key.in_(sorted(project_keys))))
    return {key: organisation for key, organisation in rows}


def route_for(session: Session, project_key: str, explicit: int | None) -> Route:
    """The connection an intent of this project bills through (see the module docstring)."""
    if explicit is not None:
        return Route(explicit)
    organisation = project_organisations(session, [project_key]).get(project_key, DEFAULT_ORGANISATION_ID)
    return chosen_route(project_key, linked_connection(session, project_key),
                        lambda: active_connections(session, organisation))


def chosen_route(project_key: str, linked: int | None, active_ids: Callable[[], list[int]]) -> Route:
    """The route of a project queued with no connection: its link, `linked` (read already),
    else the only active connection of its organisation (`active_ids()`, asked only then):
    never another organisation's books, whatever is connected there."""
    if linked is not None:
        return Route(linked)
    active = active_ids()
    if len(active) == 1:
        return Route(active[0])
    if not active:
        return Route(None, "no active connection to create the invoice in: milepost connect quickbooks|xero")
    return Route(None, f"project {project_key} is not linked to a connection: "
                       f"milepost project link {project_key} --connection ID")


def platforms_for(session: Session, project_key: str) -> tuple[str, ...]:
    """The platforms this project's invoices may go to: its route's, else those of every
    connection not disconnected (it may be linked to any of them), else none known."""
    route = route_for(session, project_key, None)
    if route.connection_id is not None:
        connection = session.get(ConnectionRow, route.connection_id)
        if connection is not None:
            return (connection.platform,)
    query = select(ConnectionRow.platform).where(ConnectionRow.status != "disconnected")
    return tuple(sorted(set(session.scalars(query))))


def evidence_policy(settings: Settings, session: Session, project_key: str) -> EvidencePolicy:
    """What evidence for this project must meet: `[app] evidence_root` and `evidence_max_mb`,
    and the rules of the platform(s) its invoices go to."""
    return EvidencePolicy.build(settings.app.evidence_root, settings.app.evidence_max_mb,
                                platforms_for(session, project_key))


def sync_state(session: Session, connection_id: int) -> SyncStateRow:
    row = session.get(SyncStateRow, connection_id)
    if row is None:
        row = SyncStateRow(connection_id=connection_id, mapping={})
        session.add(row)
        session.flush()
    return row


def stored_mapping(session: Session, connection_id: int) -> dict[str, Any]:
    """The connection's own settings as stored (empty when none were set)."""
    stored = session.get(SyncStateRow, connection_id)
    return dict(stored.mapping or {}) if stored is not None else {}


def stored_mappings(session: Session, connection_ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """`stored_mapping` of several connections in one query (those with a sync_state row)."""
    if not connection_ids:
        return {}
    rows = session.scalars(select(SyncStateRow).where(SyncStateRow.connection_id.in_(sorted(connection_ids))))
    return {row.connection_id: dict(row.mapping or {}) for row in rows}


def mapping_from(
    connection_id: int, platform: str | None, own: dict[str, Any], project: dict[str, Any], *,
    sandbox: bool = True,
) -> MappingSettings:
    """The settings a project's drafts in this connection are made with: the project's own
    (`project`) over the connection's (`own`), as stored; `platform` None when the connection
    is gone (read as QuickBooks').

    Raises ConfigurationError on a real (`sandbox=False`) connection whose settings, the
    project's included, lack what its platform cannot book a line without."""
    platform = platform or "quickbooks"
    connection_settings = MappingSettings.from_dict(own)
    merged = MappingSettings.from_dict(project).over(connection_settings)
    if sandbox:
        return merged.over(MappingSettings.from_dict(SANDBOX_DEFAULTS.get(platform, {})))
    field_name, option = REQUIRED.get(platform, ("sales_item", "--item"))
    if getattr(merged, field_name) is None and not (platform == "quickbooks" and merged.kind_items):
        raise ConfigurationError(
            f"connection {connection_id} has no {field_name.replace('_', ' ')} set: "
            f"milepost connections settings {connection_id} {option} ...",
            code="mapping", platform=platform,
        )
    return merged


def set_mapping(session: Session, connection_id: int, mapping: dict[str, Any]) -> int:
    """Store the mapping settings drafts for this connection are created with, and give the
    intents that failed for want of them another go; returns how many were re-queued."""
    MappingSettings.from_dict(mapping)  # refuse unknown keys now, not at the first draft
    sync_state(session, connection_id).mapping = dict(mapping)
    return requeue_failed(session, connection_id)


def requeue_failed(session: Session, connection_id: int) -> int:
    """Failed intents bound for this connection (or not yet bound) go back to pending with a
    fresh count of attempts: what failed them (settings, a link) has just been changed. E-mail
    (bound for no connection) is not theirs to re-queue."""
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.status == "failed", OutboxRow.kind != MAIL,
               (OutboxRow.connection_id == connection_id) | OutboxRow.connection_id.is_(None))
        .values(status="pending", attempts=0)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def settings_json(settings: MappingSettings) -> dict[str, Any]:
    """Settings as stored: only what is set, tracking and kind items as tables."""
    tables = ("tracking", "kind_items", "kind_accounts", "kind_tax_codes")
    data: dict[str, Any] = {
        f.name: getattr(settings, f.name) for f in fields(settings)
        if f.name not in (*tables, "line_amount_types") and getattr(settings, f.name) is not None
    }
    data.update({name: dict(getattr(settings, name)) for name in tables if getattr(settings, name)})
    if settings.line_amount_types != MappingSettings().line_amount_types:
        data["line_amount_types"] = settings.line_amount_types
    return data


def configure_mapping(
    sessions: sessionmaker[Session], gateway_for: Callable[[int], AccountingGateway],
    connection_id: int, changes: dict[str, Any],
) -> tuple[dict[str, Any], int]:
    """Lay `changes` (an empty string clears a key) over the connection's stored settings,
    check every code against the company's own lists through its gateway (ConfigurationError
    names each missing one; nothing is stored then), and store them. Returns the stored
    settings and how many failed intents were given another go."""
    with sessions() as session:
        if session.get(ConnectionRow, connection_id) is None:
            raise LookupError(f"no connection {connection_id}: see `milepost connections`")
        current = stored_mapping(session, connection_id)
    merged = {**current, **changes}
    settings = MappingSettings.from_dict({k: v for k, v in merged.items() if v not in ("", None, {})})
    forget_company_lists(sessions, connection_id)  # check against the books as they are now
    gateway_for(connection_id).resolve_settings(settings)
    stored = settings_json(settings)
    with transaction(sessions) as session:
        requeued = set_mapping(session, connection_id, stored)
    return stored, requeued


def configure_project_mapping(
    sessions: sessionmaker[Session], gateway_for: Callable[[int], AccountingGateway],
    key: str, changes: dict[str, Any],
) -> dict[str, Any]:
    """Merge `changes` into the project's own settings, check them (over the connection's)
    against the linked company's lists when the project is linked, and store them. Nothing
    is stored when a code is missing (ConfigurationError names each one)."""
    with sessions() as session:
        current = project_mapping(session, key)
        connection_id = linked_connection(session, key)
        base = MappingSettings.from_dict(stored_mapping(session, connection_id)) if connection_id else None
    merged = {**current, **changes}
    for name in ("tracking", "kind_items", "kind_accounts", "kind_tax_codes"):
        if isinstance(current.get(name), dict) and isinstance(changes.get(name), dict):
            merged[name] = {**current[name], **changes[name]}
    settings = MappingSettings.from_dict({k: v for k, v in merged.items() if v not in ("", None, {})})
    if connection_id is not None and base is not None:
        forget_company_lists(sessions, connection_id)
        gateway_for(connection_id).resolve_settings(settings.over(base))
    stored = settings_json(settings)
    with transaction(sessions) as session:
        set_project_mapping(session, key, stored)
    return stored


def currency_refusal(
    gateway_for: Callable[[int], AccountingGateway], connection_id: int, currency: str
) -> str | None:
    """Why the connection's company cannot bill in `currency`, asked when a project is linked;
    None when it can, or when the company could not be asked now (the worker asks again before
    every create, so a link is never refused for a network hiccup)."""
    try:
        gateway_for(connection_id).check_currency(currency)
    except ConfigurationError as error:
        return str(error)
    except PlatformError:
        return None
    return None
