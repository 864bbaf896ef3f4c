"""Connections as the admin app and the CLI see them: install, list, disconnect.

A connection is one QuickBooks company (its realmId) or one Xero organisation (its tenant id).
Installing the same company again (a reconnect) updates the existing row and its tokens and
makes it active again, so there is never a second connection for one company. Disconnecting
revokes the grant at the platform, forgets the tokens and keeps the row and everything that
refers to it (invoices, job runs), so the history stays readable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.platforms import install
from connector.platforms.custody import (
    DISCONNECTED,
    TokenCipher,
    TokenSet,
    load_tokens,
    mark_disconnected,
    refresh_if_needed,
    store_tokens,
)
from connector.platforms.endpoints import QuickBooksEndpoints, XeroEndpoints
from connector.platforms.errors import NeedsReconnect, PlatformError
from connector.platforms.quickbooks import QuickBooksGateway
from connector.platforms.token_endpoint import quickbooks_refresher, xero_refresher
from connector.platforms.token_rows import ConnectionTokenRow
from connector.store.db import transaction
from connector.store.models import ConnectionRow

log = logging.getLogger(__name__)
PLATFORMS = ("quickbooks", "xero")


@dataclass(frozen=True)
class ConnectionView:
    """What may be shown about a connection: never a token."""

    id: int
    platform: str
    tenant_id: str
    name: str
    status: str
    created_at: datetime
    last_error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id, "platform": self.platform, "tenant_id": self.tenant_id,
            "company": self.name, "status": self.status,
            "created_at": self.created_at.isoformat(), "last_error": self.last_error,
        }


def _view(row: ConnectionRow, token: ConnectionTokenRow | None) -> ConnectionView:
    return ConnectionView(
        row.id, row.platform, row.tenant_id, row.name, row.status, row.created_at,
        token.last_error if token is not None else None,
    )


def list_connections(session: Session) -> list[ConnectionView]:
    rows = session.execute(
        select(ConnectionRow, ConnectionTokenRow)
        .outerjoin(ConnectionTokenRow, ConnectionTokenRow.connection_id == ConnectionRow.id)
        .order_by(ConnectionRow.id)
    ).all()
    return [_view(row, token) for row, token in rows]


def get_connection(session: Session, connection_id: int) -> ConnectionView | None:
    row = session.get(ConnectionRow, connection_id)
    return None if row is None else _view(row, session.get(ConnectionTokenRow, connection_id))


def save_connection(
    session: Session, platform: str, tenant_id: str, name: str, tokens: TokenSet,
    cipher: TokenCipher,
) -> tuple[int, bool]:
    """Create the connection, or update the one for the same company; (id, created)."""
    row = session.scalars(
        select(ConnectionRow).where(
            ConnectionRow.platform == platform, ConnectionRow.tenant_id == tenant_id
        )
    ).first()
    created = row is None
    if row is None:
        row = ConnectionRow(platform=platform, tenant_id=tenant_id, created_at=datetime.now(UTC))
        session.add(row)
    row.name = name or row.name or f"{platform} {tenant_id}"
    session.flush()
    store_tokens(session, row.id, tokens, cipher)
    return row.id, created


def quickbooks_company_name(endpoints: QuickBooksEndpoints, realm_id: str, tokens: TokenSet) -> str:
    """The company's own name from its CompanyInfo; the realm id when the books will not say.

    (An adapter until the gateway offers the company's name itself.)"""
    gateway = QuickBooksGateway(endpoints, realm_id, lambda: tokens)
    try:
        answer = gateway.call(lambda qb: qb.get_single_object("CompanyInfo", pk=realm_id))
    except PlatformError as error:
        log.warning("CompanyInfo for realm %s unavailable: %s", realm_id, error)
        answer = {}
    name = (answer.get("CompanyInfo") or {}).get("CompanyName") if isinstance(answer, dict) else None
    return str(name or f"QuickBooks company {realm_id}")


def install_quickbooks(
    sessions: sessionmaker[Session], endpoints: QuickBooksEndpoints, cipher: TokenCipher,
    redirect_uri: str, code: str, realm_id: str,
) -> list[tuple[ConnectionView, bool]]:
    """Finish a QuickBooks consent: one connection for the realm the callback named."""
    tokens = install.quickbooks_exchange_code(endpoints, redirect_uri, code, realm_id)
    name = quickbooks_company_name(endpoints, realm_id, tokens)
    with transaction(sessions) as session:
        connection_id, created = save_connection(session, "quickbooks", realm_id, name, tokens, cipher)
        view = get_connection(session, connection_id)
    assert view is not None
    return [(view, created)]


def install_xero(
    sessions: sessionmaker[Session], endpoints: XeroEndpoints, cipher: TokenCipher,
    redirect_uri: str, code: str, code_verifier: str, scopes: Sequence[str] | None = None,
) -> list[tuple[ConnectionView, bool]]:
    """Finish a Xero consent: one connection per organisation the consent reached."""
    tokens = install.xero_exchange_code(endpoints, redirect_uri, code, code_verifier, scopes)
    tenants = install.xero_tenants(endpoints, tokens)
    if not tenants:
        raise NeedsReconnect("the consent reached no Xero organisation", platform="xero")
    results = []
    with transaction(sessions) as session:
        for tenant in tenants:
            connection_id, created = save_connection(
                session, "xero", tenant.tenant_id, tenant.name, tokens, cipher
            )
            view = get_connection(session, connection_id)
            assert view is not None
            results.append((view, created))
    return results


def _usable_tokens(
    sessions: sessionmaker[Session], connection_id: int, platform: str,
    endpoints: tuple[QuickBooksEndpoints, XeroEndpoints], cipher: TokenCipher,
) -> TokenSet | None:
    refresher = (
        quickbooks_refresher(endpoints[0]) if platform == "quickbooks" else xero_refresher(endpoints[1])
    )
    try:
        return refresh_if_needed(sessions, connection_id, refresher, cipher, now=datetime.now(UTC))
    except NeedsReconnect:
        with sessions() as session:
            try:
                return load_tokens(session, connection_id, cipher)
            except NeedsReconnect:
                return None


def disconnect(
    sessions: sessionmaker[Session], connection_id: int,
    endpoints: tuple[QuickBooksEndpoints, XeroEndpoints], cipher: TokenCipher,
) -> ConnectionView:
    """Revoke at the platform (best effort: a dead grant needs no revoking), forget the tokens,
    keep the connection marked disconnected with its history."""
    with sessions() as session:
        view = get_connection(session, connection_id)
    if view is None:
        raise LookupError(f"no connection {connection_id}")
    if view.status != DISCONNECTED:
        tokens = _usable_tokens(sessions, connection_id, view.platform, endpoints, cipher)
        if tokens is not None:
            _revoke(view, tokens, endpoints)
    with transaction(sessions) as session:
        mark_disconnected(session, connection_id)
        after = get_connection(session, connection_id)
    assert after is not None
    return after


def _revoke(view: ConnectionView, tokens: TokenSet, endpoints: tuple[QuickBooksEndpoints, XeroEndpoints]) -> None:
    try:
        if view.platform == "quickbooks":
            install.quickbooks_revoke(endpoints[0], tokens.refresh_token)
            return
        tenants = install.xero_tenants(endpoints[1], tokens)
        for tenant in tenants:
            if tenant.tenant_id == view.tenant_id:
                install.xero_disconnect(endpoints[1], tokens, tenant.connection_id)
        if len(tenants) <= 1:  # the grant reaches no other organisation: end it
            install.xero_revoke(endpoints[1], tokens.refresh_token)
    except Exception as error:  # noqa: BLE001 - revoking is best effort; the row is kept anyway
        log.warning("revoking connection %s at %s failed: %s", view.id, view.platform,
                    error.__class__.__name__)
