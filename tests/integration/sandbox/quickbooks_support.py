"""Shared helpers for the QuickBooks sandbox tests: the real OAuth dance with intuit-oauth,
a python-quickbooks client pointed at the sandbox, and a recorder that checks every JSON answer
against Intuit's schema."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from quickbooks import QuickBooks
from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine

from connector.sandbox.client import SandboxServer

from .qbo_schema import schema_problems

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
REDIRECT_URI = "http://127.0.0.1:8999/callback"
ENTITY_KEYS = ("Invoice", "Customer", "Payment", "Item", "Account", "Estimate", "CreditMemo",
               "Attachable", "TaxCode", "Class", "Term", "Preferences", "CompanyInfo", "Vendor",
               "Employee", "PaymentMethod", "Department", "TaxRate", "TaxAgency",
               "CompanyCurrency", "ExchangeRate", "SalesReceipt", "RefundReceipt", "Deposit")


def authorize(info: dict, realm_hint: str | None = None) -> AuthClient:
    """The authorization-code dance with intuit-oauth, through the auto-consent page."""
    auth = AuthClient(info["client_id"], info["client_secret"], REDIRECT_URI,
                      environment=info["discovery_url"])
    url = auth.get_authorization_url([Scopes.ACCOUNTING])
    if realm_hint:
        url += f"&realm_hint={realm_hint}"
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlparse(answer.headers["Location"]).query)
    assert query["state"] == [auth.state_token]
    auth.get_bearer_token(query["code"][0], realm_id=query["realmId"][0])
    return auth


class SchemaRecorder:
    """Collects every JSON body python-quickbooks receives, to check against the schema."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []

    def __call__(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        if response.headers.get("Content-Type", "").startswith("application/json"):
            self.bodies.append(response.json())

    def problems(self) -> list[str]:
        found: list[str] = []
        for body in self.bodies:
            for entity, obj in _entities(body):
                found += schema_problems(entity, obj)
        return found


def _entities(body: object):  # type: ignore[no-untyped-def]
    if isinstance(body, list):
        for item in body:
            yield from _entities(item)
    elif isinstance(body, dict):
        for key, value in body.items():
            if key in ENTITY_KEYS:
                for obj in value if isinstance(value, list) else [value]:
                    if isinstance(obj, dict) and obj.get("status") != "Deleted":
                        yield key, obj
            elif isinstance(value, dict | list):
                yield from _entities(value)


def client(info: dict, auth: AuthClient, recorder: SchemaRecorder | None = None) -> QuickBooks:
    qb = QuickBooks(auth_client=auth, refresh_token=auth.refresh_token, company_id=auth.realm_id,
                    minorversion=75, use_decimal=True)
    qb.api_url_v3 = info["api_base"]
    qb.sandbox_api_url_v3 = info["api_base"]
    if recorder is not None:
        qb.session.hooks["response"].append(recorder)
    return qb


def new_customer(qb: QuickBooks, name: str, email: str | None = None) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    if email:
        customer.PrimaryEmailAddr = {"Address": email}  # type: ignore[assignment]
    return customer.save(qb=qb)


def new_invoice(qb: QuickBooks, customer: Customer, *amounts: str, item: str = "2",
                **fields: object) -> Invoice:
    invoice = Invoice()
    lines = []
    for amount in amounts:
        line = SalesItemLine()
        line.Amount = Decimal(amount)
        line.Description = f"Milestone worth {amount}"
        line.SalesItemLineDetail = SalesItemLineDetail()
        line.SalesItemLineDetail.ItemRef = Ref()
        line.SalesItemLineDetail.ItemRef.value = item
        lines.append(line)
    invoice.Line = lines
    invoice.CustomerRef = customer.to_ref()
    for key, value in fields.items():
        setattr(invoice, key, value)
    return invoice.save(qb=qb, request_id=None)


def pay(qb: QuickBooks, invoice: Invoice, amount: str, request_id: str | None = None) -> Payment:
    payment = Payment()
    payment.CustomerRef = invoice.CustomerRef
    payment.TotalAmt = Decimal(amount)
    line = PaymentLine()
    line.Amount = Decimal(amount)
    line.LinkedTxn = [invoice.to_linked_txn()]
    payment.Line = [line]
    return payment.save(qb=qb, request_id=request_id)


@pytest.fixture(name="sandbox")
def sandbox_fixture() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture(name="qbo_info")
def qbo_info_fixture(sandbox: SandboxServer) -> dict:
    return sandbox.info()["quickbooks"]


@pytest.fixture(name="recorder")
def recorder_fixture() -> Iterator[SchemaRecorder]:
    """Fails the test if any QuickBooks answer it received strays from Intuit's schema."""
    seen = SchemaRecorder()
    yield seen
    assert seen.problems() == []


@pytest.fixture(name="qb")
def qb_fixture(qbo_info: dict, recorder: SchemaRecorder) -> QuickBooks:
    return client(qbo_info, authorize(qbo_info), recorder)

