"""Token custody against the sandbox's real token endpoints, with PostgreSQL row locks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from connector.billing.model import Customer
from connector.platforms import custody, install
from connector.platforms.connect import open_gateway
from connector.platforms.custody import TokenCipher
from connector.platforms.errors import NeedsReconnect
from connector.platforms.token_endpoint import quickbooks_refresher, xero_refresher
from connector.store.db import session_factory
from connector.store.models import ConnectionRow

from .conftest import install_quickbooks, install_xero
from .refresh_worker import race_refreshes

KEY = TokenCipher.generate_key()
CIPHER = TokenCipher([KEY])


def _connect(factory, platform: str, tenant: str, tokens) -> int:
    """Store a connection whose access token has already expired: every worker finds it due."""
    with factory() as session, session.begin():
        row = ConnectionRow(platform=platform, tenant_id=tenant, name=f"{platform} company")
        session.add(row)
        session.flush()
        expired = replace(tokens, access_expires_at=datetime.now(UTC) - timedelta(minutes=1))
        custody.store_tokens(session, row.id, expired, CIPHER)
        return row.id


@pytest.mark.postgres
def test_two_processes_due_at_once_spend_exactly_one_refresh(sandbox, postgres_url, postgres_engine) -> None:
    factory = session_factory(postgres_engine)
    realm, tokens = install_quickbooks(sandbox)
    connection_id = _connect(factory, "quickbooks", realm, tokens)
    sandbox.control.advance_clock(24 * 3600)  # Intuit rotates the refresh token's value daily
    outcomes = race_refreshes(postgres_url, [connection_id, connection_id], KEY, sandbox.qb)

    assert sum(calls for _, calls in outcomes) == 1
    assert outcomes[0][0] == outcomes[1][0] != tokens.access_token
    with factory() as session:
        stored = custody.load_tokens(session, connection_id, CIPHER)
        assert custody.grant_of(session, connection_id).refreshed_count == 1
    assert stored.refresh_token != tokens.refresh_token
    # The saved refresh token is the live one: the platform accepts it for the next refresh.
    assert quickbooks_refresher(sandbox.qb)(stored).access_token != stored.access_token


def test_a_revoked_grant_needs_reconnect_and_a_reinstall_revives_it(sandbox, sqlite_engine) -> None:
    factory = session_factory(sqlite_engine)
    tenants, tokens = install_xero(sandbox)
    connection_id = _connect(factory, "xero", tenants[0].tenant_id, tokens)
    assert install.xero_revoke(sandbox.xero, tokens.refresh_token)  # e.g. revoked from Xero's side
    refresher = xero_refresher(sandbox.xero)

    with pytest.raises(NeedsReconnect) as caught:
        custody.refresh_if_needed(factory, connection_id, refresher, CIPHER, now=datetime.now(UTC))

    assert tokens.refresh_token not in str(caught.value)
    with factory() as session:
        assert session.get(ConnectionRow, connection_id).status == custody.NEEDS_RECONNECT
    _, fresh = install_xero(sandbox)
    with factory() as session, session.begin():
        custody.store_tokens(session, connection_id, replace(fresh, access_expires_at=datetime.now(UTC)), CIPHER)
    renewed = custody.refresh_if_needed(factory, connection_id, refresher, CIPHER, now=datetime.now(UTC))
    assert renewed.access_token not in (tokens.access_token, fresh.access_token)
    with factory() as session:
        assert session.get(ConnectionRow, connection_id).status == custody.ACTIVE


def test_install_by_oauth_reaches_every_organisation_of_a_multi_organisation_consent(sandbox) -> None:
    tenants, tokens = install_xero(sandbox)

    assert {t.name for t in tenants} == {o["name"] for o in sandbox.info["xero"]["organisations"]}
    assert len({t.connection_id for t in tenants}) == len(tenants) == 2
    assert "offline_access" in tokens.scope
    assert tokens.access_expires_at > datetime.now(UTC)


def test_install_by_oauth_for_quickbooks_names_the_company_chosen(sandbox) -> None:
    second = sandbox.info["quickbooks"]["companies"][1]["realm_id"]

    realm, tokens = install_quickbooks(sandbox, realm_hint=second)

    assert realm == second
    assert tokens.refresh_token
    assert tokens.access_token not in repr(tokens)


@pytest.mark.parametrize("platform", ["quickbooks", "xero"])
def test_a_job_opens_a_gateway_that_refreshes_due_tokens_before_its_first_call(platform, sandbox, sqlite_engine) -> None:
    factory = session_factory(sqlite_engine)
    if platform == "quickbooks":
        tenant, tokens = install_quickbooks(sandbox)
    else:
        tenants, tokens = install_xero(sandbox)
        tenant = tenants[0].tenant_id
    connection_id = _connect(factory, platform, tenant, tokens)

    gateway = open_gateway(factory, connection_id, (sandbox.qb, sandbox.xero), CIPHER)
    ref = gateway.find_or_create_customer(Customer("Dana Reyes", "ap@acme.example", "Acme Corp"))

    assert ref.name == "Acme Corp"
    with factory() as session:
        assert custody.grant_of(session, connection_id).refreshed_count == 1


def test_a_connection_waiting_for_reconnect_is_skipped_before_any_call(sandbox, sqlite_engine) -> None:
    factory = session_factory(sqlite_engine)
    realm, tokens = install_quickbooks(sandbox)
    connection_id = _connect(factory, "quickbooks", realm, tokens)
    with factory() as session, session.begin():
        session.get(ConnectionRow, connection_id).status = custody.NEEDS_RECONNECT

    with pytest.raises(NeedsReconnect, match="needs_reconnect"):
        open_gateway(factory, connection_id, (sandbox.qb, sandbox.xero), CIPHER)
