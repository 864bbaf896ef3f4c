"""Connections as the admin app and the CLI see them: install, list, disconnect.

A connection is one QuickBooks company (its realmId) or one Xero organisation (its tenant id).
Installing the same company again (a reconnect) updates the existing row and its tokens and
makes it active again, so there is never a second connection for one company, and gives every
intent that waited or failed for authentication a fresh start. One Xero
consent reaching several organisations makes one connection each, all sharing the consent's
one grant (custody keeps its tokens once). Disconnecting forgets the connection's tokens and
keeps the row and everything that refers to it (invoices, job runs), so the history stays
readable; at Xero it removes that organisation's connection (DELETE /connections/{id}) and
revokes the grant only once no other connection uses it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.platforms import install
from connector.platforms.custody import (
    DISCONNECTED,
    TokenCipher,
    TokenSet,
    force_refresh,
    load_tokens,
    mark_disconnected,
    refresh_if_needed,
    store_grant,
)
from connector.platforms.endpoints import QuickBooksEndpoints, XeroEndpoints
from connector.platforms.errors import NeedsReconnect, PlatformError, redact
from connector.platforms.quickbooks import QuickBooksGateway
from connector.platforms.token_endpoint import quickbooks_refresher, xero_refresher
from connector.platforms.token_rows import ConnectionTokenRow, TokenGrantRow
from connector.store.db import transaction
from connector.store.models import DEFAULT_ORGANISATION_ID, ConnectionRow
from connector.store.outbox import requeue_after_reconnect

log = logging.getLogger(__name__)


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


def _view(row: ConnectionRow, last_error: str | None) -> ConnectionView:
    return ConnectionView(
        row.id, row.platform, row.tenant_id, row.name, row.status, row.created_at, last_error,
    )


def list_connections(session: Session, only: Collection[int] | None = None) -> list[ConnectionView]:
    """Every connection, or those whose ids are in `only` (an organisation's: see
    `connector.store.organisations`)."""
    query = (select(ConnectionRow, TokenGrantRow.last_error)
             .outerjoin(ConnectionTokenRow, ConnectionTokenRow.connection_id == ConnectionRow.id)
             .outerjoin(TokenGrantRow, TokenGrantRow.id == ConnectionTokenRow.grant_id)
             .order_by(ConnectionRow.id))
    if only is not None:
        query = query.where(ConnectionRow.id.in_(list(only)))
    rows = session.execute(query).all()
    return [_view(row, last_error) for row, last_error in rows]


def get_connection(session: Session, connection_id: int) -> ConnectionView | None:
    row = session.get(ConnectionRow, connection_id)
    if row is None:
        return None
    link = session.get(ConnectionTokenRow, connection_id)
    return _view(row, link.grant.last_error if link is not None else None)


class AnothersCompany(Exception):
    """The company is already connected by another organisation: nothing was saved."""


def save_connection(
    session: Session, platform: str, tenant_id: str, name: str, tokens: TokenSet,
    cipher: TokenCipher, organisation_id: int = DEFAULT_ORGANISATION_ID,
) -> tuple[int, bool]:
    """Create the organisation's connection, or update its one for the same company; (id,
    created). The tokens become a grant of this connection alone (`install_xero` shares one
    among several)."""
    connection_id, created = upsert_connection(session, platform, tenant_id, name, organisation_id)
    store_grant(session, [connection_id], tokens, cipher)
    requeue_after_reconnect(session, [connection_id])
    return connection_id, created


def upsert_connection(session: Session, platform: str, tenant_id: str, name: str,
                      organisation_id: int = DEFAULT_ORGANISATION_ID) -> tuple[int, bool]:
    """The organisation's connection row for this company, created when new; (id, created).
    A company is connected once in the deployment, so one another organisation connected is
    refused (AnothersCompany) rather than handed over with its invoices and tokens."""
    row = session.scalars(
        select(ConnectionRow).where(
            ConnectionRow.platform == platform, ConnectionRow.tenant_id == tenant_id
        )
    ).first()
    if row is not None and row.organisation_id != organisation_id:
        raise AnothersCompany(f"{name or tenant_id} is connected to Milepost by another organisation; "
                              "nothing was connected")
    created = row is None
    if row is None:
        row = ConnectionRow(platform=platform, tenant_id=tenant_id, created_at=datetime.now(UTC),
                            organisation_id=organisation_id)
        session.add(row)
    row.name = name or row.name or f"{platform} {tenant_id}"
    session.flush()
    return row.id, created


def quickbooks_company_name(endpoints: QuickBooksEndpoints, realm_id: str, tokens: TokenSet) -> str:
    """The company's own name from its books; the realm id when the books will not say, so a
    connection is never left nameless by a passing fault."""
    try:
        name = QuickBooksGateway(endpoints, realm_id, lambda: tokens).company_name()
    except PlatformError as error:
        log.warning("CompanyInfo for realm %s unavailable: %s", realm_id, error)
        name = ""
    return name or f"QuickBooks company {realm_id}"


def install_quickbooks(
    sessions: sessionmaker[Session], endpoints: QuickBooksEndpoints, cipher: TokenCipher,
    redirect_uri: str, code: str, realm_id: str, organisation_id: int = DEFAULT_ORGANISATION_ID,
) -> list[tuple[ConnectionView, bool]]:
    """Finish a QuickBooks consent: the organisation's connection for the realm the callback
    named (AnothersCompany when another organisation has it)."""
    tokens = install.quickbooks_exchange_code(endpoints, redirect_uri, code, realm_id)
    name = quickbooks_company_name(endpoints, realm_id, tokens)
    with transaction(sessions) as session:
        connection_id, created = save_connection(session, "quickbooks", realm_id, name, tokens, cipher,
                                                 organisation_id)
        view = get_connection(session, connection_id)
    assert view is not None
    return [(view, created)]


def install_xero(
    sessions: sessionmaker[Session], endpoints: XeroEndpoints, cipher: TokenCipher,
    redirect_uri: str, code: str, code_verifier: str, scopes: Sequence[str] | None = None,
    organisation_id: int = DEFAULT_ORGANISATION_ID,
) -> list[tuple[ConnectionView, bool]]:
    """Finish a Xero consent: one connection of the organisation per Xero organisation the
    consent reached (AnothersCompany, nothing saved, when another organisation has one)."""
    tokens = install.xero_exchange_code(endpoints, redirect_uri, code, code_verifier, scopes)
    tenants = install.xero_tenants(endpoints, tokens)
    if not tenants:
        raise NeedsReconnect("the consent reached no Xero organisation", platform="xero")
    results = []
    with transaction(sessions) as session:
        made = [upsert_connection(session, "xero", t.tenant_id, t.name, organisation_id) for t in tenants]
        store_grant(session, [connection_id for connection_id, _ in made], tokens, cipher)
        requeue_after_reconnect(session, [connection_id for connection_id, _ in made])
        for connection_id, created in made:
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
    """Forget the connection's tokens and keep it marked disconnected with its history; at the
    platform (best effort: a dead grant needs no revoking) end this company's access, and the
    grant itself only when no other connection still uses it."""
    with sessions() as session:
        view = get_connection(session, connection_id)
    if view is None:
        raise LookupError(f"no connection {connection_id}")
    tokens = None
    if view.status != DISCONNECTED:
        tokens = _usable_tokens(sessions, connection_id, view.platform, endpoints, cipher)
    with transaction(sessions) as session:
        last_user = mark_disconnected(session, connection_id)
        after = get_connection(session, connection_id)
    if tokens is not None:
        _end_at_platform(view, tokens, endpoints, revoke_grant=last_user)
    assert after is not None
    return after


def quickbooks_disconnected(
    sessions: sessionmaker[Session], realm_id: str, endpoints: QuickBooksEndpoints, cipher: TokenCipher,
) -> ConnectionView | None:
    """Intuit sent a user to the Disconnect landing URL for `realm_id`: the app was disconnected
    from inside QuickBooks, which revokes the grant's tokens (Intuit, "Disconnect URL" in the
    app's settings). The visit itself proves nothing (anyone can open the URL), so the grant is
    put to the test: a forced refresh. Refused (invalid_grant), the connection is marked
    `disconnected` (its history kept, its intents waiting for a reconnect); still honoured,
    nothing changes. Returns the connection as it now is (None for an unknown company)."""
    with sessions() as session:
        row = session.scalars(select(ConnectionRow).where(
            ConnectionRow.platform == "quickbooks", ConnectionRow.tenant_id == realm_id)).first()
        if row is None:
            return None
        connection_id, status = row.id, row.status
    if status != DISCONNECTED:
        try:
            with sessions() as session:
                current = load_tokens(session, connection_id, cipher)
            force_refresh(sessions, connection_id, quickbooks_refresher(endpoints), cipher,
                          refused_access_token=current.access_token)
        except NeedsReconnect:
            with transaction(sessions) as session:
                mark_disconnected(session, connection_id)
            log.warning("connection %s was disconnected from inside QuickBooks", connection_id)
        except PlatformError as error:  # Intuit unreachable: leave it; the next call will tell
            log.warning("disconnect of connection %s not confirmed: %s", connection_id, error)
    with sessions() as session:
        return get_connection(session, connection_id)


def _end_at_platform(
    view: ConnectionView, tokens: TokenSet, endpoints: tuple[QuickBooksEndpoints, XeroEndpoints],
    *, revoke_grant: bool,
) -> None:
    """QuickBooks: a grant is one company, so revoke it. Xero: remove this organisation's
    connection, and revoke the grant (which would end every organisation it reaches) only
    when it was this connection's alone."""
    try:
        if view.platform == "quickbooks":
            if revoke_grant:
                install.quickbooks_revoke(endpoints[0], tokens.refresh_token)
            return
        for tenant in install.xero_tenants(endpoints[1], tokens):
            if tenant.tenant_id == view.tenant_id:
                install.xero_disconnect(endpoints[1], tokens, tenant.connection_id)
        if revoke_grant:
            install.xero_revoke(endpoints[1], tokens.refresh_token)
    except Exception as error:  # noqa: BLE001 - revoking is best effort; the row is kept anyway
        log.warning("ending connection %s at %s failed: %s", view.id, view.platform, _said(error))


def _said(error: Exception) -> str:
    """What the platform said, for the log: a PlatformError renders its message, code and
    request id already scrubbed; anything else (an SDK's ApiException) is scrubbed here."""
    if isinstance(error, PlatformError):
        return str(error)
    status = getattr(error, "status", None)
    body = getattr(error, "body", None)
    said = f"HTTP {status}: {body}" if status else str(error)
    return f"{type(error).__name__}: {redact(said)[:500]}"
