"""Each gateway names its company from the books themselves (connections are listed by it)."""

from __future__ import annotations

import pytest

from connector.platforms.gateway import AccountingGateway
from connector.platforms.quickbooks import QuickBooksGateway
from connector.platforms.xero import XeroGateway

from .conftest import install_quickbooks, install_xero


@pytest.mark.parametrize("which", [0, 1])
def test_quickbooks_names_the_company_the_consent_chose(sandbox, which) -> None:
    company = sandbox.info["quickbooks"]["companies"][which]
    realm, tokens = install_quickbooks(sandbox, realm_hint=company["realm_id"])

    gateway = QuickBooksGateway(sandbox.qb, realm, lambda: tokens)

    assert isinstance(gateway, AccountingGateway)
    assert gateway.company_name() == company["name"]


def test_xero_names_each_organisation_of_one_consent(sandbox) -> None:
    tenants, tokens = install_xero(sandbox)
    seeded = {o["tenant_id"]: (o["name"], o["currency"]) for o in sandbox.info["xero"]["organisations"]}

    for tenant in tenants:
        gateway = XeroGateway(sandbox.xero, tenant.tenant_id, lambda: tokens)
        assert isinstance(gateway, AccountingGateway)
        assert (gateway.company_name(), gateway.base_currency()) == seeded[tenant.tenant_id]
