"""A running sandbox, connections installed by OAuth, and gateways over the unmodified SDKs."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from connector.billing.model import Customer, InvoiceIntent, InvoiceLine
from connector.billing.money import Money
from connector.platforms import install
from connector.platforms.custody import TokenSet
from connector.platforms.endpoints import QuickBooksEndpoints, XeroEndpoints, endpoints_from_sandbox
from connector.platforms.quickbooks import QuickBooksGateway
from connector.platforms.retry import platform_retrying
from connector.platforms.xero import XeroGateway
from connector.sandbox.client import SandboxControl, SandboxServer
from connector.sandbox.state import SandboxState
from tests.xero_openapi import Recorder, checked_traffic, record_xero

REDIRECT = "http://127.0.0.1:5000/oauth/callback"


@dataclass
class Sandbox:
    url: str
    control: SandboxControl
    qb: QuickBooksEndpoints
    xero: XeroEndpoints
    info: dict
    xero_traffic: Recorder
    state: SandboxState


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with SandboxServer() as server:
        qb, xero = endpoints_from_sandbox(server.url)
        yield Sandbox(server.url, server.control, qb, xero, server.info(), record_xero(server), server.state)


@pytest.fixture(autouse=True)
def fresh_books(sandbox: Sandbox) -> None:
    sandbox.control.reset()


@pytest.fixture(autouse=True)
def xero_traffic_follows_the_spec(sandbox: Sandbox, xero_spec) -> Iterator[Recorder]:
    """Each test's Xero requests and answers match Xero's OpenAPI document (issue 3)."""
    yield from checked_traffic(sandbox.xero_traffic, xero_spec)


def install_quickbooks(sandbox: Sandbox, realm_hint: str | None = None) -> tuple[str, TokenSet]:
    state = secrets.token_urlsafe(16)
    url = install.quickbooks_authorization_url(sandbox.qb, REDIRECT, state)
    if realm_hint:
        url += f"&realm_hint={realm_hint}"
    callback = install.follow_consent(url)
    assert callback["state"] == state
    tokens = install.quickbooks_exchange_code(sandbox.qb, REDIRECT, callback["code"], callback["realmId"])
    return callback["realmId"], tokens


def install_xero(sandbox: Sandbox) -> tuple[list[install.XeroTenant], TokenSet]:
    state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    callback = install.follow_consent(install.xero_authorization_url(sandbox.xero, REDIRECT, state, verifier))
    assert callback["state"] == state
    tokens = install.xero_exchange_code(sandbox.xero, REDIRECT, callback["code"], verifier)
    return install.xero_tenants(sandbox.xero, tokens), tokens


def quick_retries() -> object:
    return platform_retrying(attempts=6, multiplier=0.01, max_wait=0.2)


@pytest.fixture
def qbo(sandbox: Sandbox) -> QuickBooksGateway:
    realm, tokens = install_quickbooks(sandbox)
    return QuickBooksGateway(sandbox.qb, realm, lambda: tokens, retrying=quick_retries)  # type: ignore[arg-type]


@pytest.fixture
def xero(sandbox: Sandbox) -> XeroGateway:
    tenants, tokens = install_xero(sandbox)
    return XeroGateway(sandbox.xero, tenants[0].tenant_id, lambda: tokens, retrying=quick_retries)  # type: ignore[arg-type]


def make_intent(key: str, currency: str = "USD", customer: Customer | None = None) -> InvoiceIntent:
    """Milestone 2 of a website contract, less retainage, as the seed schedule words it."""
    return InvoiceIntent(
        idempotency_key=key,
        project_key=key.split(":")[1],
        customer=customer or Customer(name="Dana Reyes", email="ap@acme.example", company="Acme Corp"),
        currency=currency,
        invoice_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        payment_terms_days=30,
        lines=(
            InvoiceLine("M2 Design approved: wireframes and visual design", Money(Decimal("1234.57"), currency)),
            InvoiceLine("Retainage withheld (10%)", Money(Decimal("-123.46"), currency), kind="retainage"),
        ),
        reference=f"{key.split(':')[1]} M2",
        seq=2,
    )
