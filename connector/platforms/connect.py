"""Putting a gateway together for one stored connection: the one function jobs call.

A job has a session factory, a connection row and the endpoints from configuration; it gets
back an `AccountingGateway` whose calls use the token custody last gave it, asking custody
again (which refreshes under the grant's lock when due) when it nears expiry (held_tokens.py). A connection waiting for an admin to reconnect raises
`NeedsReconnect` here, before any work starts, so the job can skip it quietly. A call the
platform refuses for its credentials is tried once more after a forced refresh, and then marks
the connection (refusal.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from connector.store.models import ConnectionRow

from . import custody, install
from .company_lists import lists_key
from .custody import TokenCipher
from .endpoints import QuickBooksEndpoints, XeroEndpoints
from .errors import ConfigurationError, NeedsReconnect
from .gateway import AccountingGateway
from .held_tokens import HeldTokens
from .limits import RateGate
from .quickbooks import QuickBooksGateway
from .refusal import Refusal
from .token_endpoint import quickbooks_refresher, xero_refresher
from .xero import XeroGateway
from .xero_faults import translate_xero_error


def _utcnow() -> datetime:
    return datetime.now(UTC)


def open_gateway(
    factory: sessionmaker[Session],
    connection_id: int,
    endpoints: tuple[QuickBooksEndpoints, XeroEndpoints],
    cipher: TokenCipher,
    *,
    gate: RateGate | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> AccountingGateway:
    """The gateway for a stored connection (QuickBooks realm or Xero tenant)."""
    with factory() as session:
        row = session.get(ConnectionRow, connection_id)
        if row is None:
            raise ConfigurationError(f"no connection {connection_id}", code="connection")
        platform, tenant, status = row.platform, row.tenant_id, row.status
    if status != custody.ACTIVE:
        raise NeedsReconnect(f"connection {connection_id} is {status}", code=status, platform=platform)
    qb_endpoints, xero_endpoints = endpoints
    refresher = quickbooks_refresher(qb_endpoints, clock) if platform == "quickbooks" else xero_refresher(xero_endpoints, clock)

    tokens = HeldTokens(factory, connection_id, refresher, cipher, clock)

    def xero_lists_tenant() -> bool:
        try:
            return any(t.tenant_id == tenant for t in install.xero_tenants(xero_endpoints, tokens()))
        except NeedsReconnect:
            raise
        except Exception as error:  # noqa: BLE001 - the SDK's and urllib3's, made PlatformErrors
            raise translate_xero_error(error) from error

    refusal = Refusal(factory, connection_id, refresher, cipher, platform,
                      still_listed=xero_lists_tenant if platform == "xero" else None, held=tokens)
    kept = lists_key(factory, connection_id)  # the company's lists, shared a few minutes
    if platform == "quickbooks":
        return QuickBooksGateway(qb_endpoints, tenant, tokens, connection_id=str(connection_id), gate=gate,
                                 clock=clock, lists_key=kept, refusal=refusal)
    if platform == "xero":
        return XeroGateway(xero_endpoints, tenant, tokens, connection_id=str(connection_id), gate=gate,
                           lists_key=kept, refusal=refusal)
    raise ConfigurationError(f"unknown platform {platform!r}", code="platform")
