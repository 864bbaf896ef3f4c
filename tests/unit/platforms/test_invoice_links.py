"""An invoice number on the project page opens that invoice in the books' own web app."""

from __future__ import annotations

import pytest

from connector.platforms.invoice_links import invoice_url, quickbooks_is_sandbox


@pytest.mark.parametrize(("platform", "invoice_id", "sandbox", "expected"), [
    ("quickbooks", "130", False, "https://app.qbo.intuit.com/app/invoice?txnId=130"),
    ("quickbooks", "130", True, "https://app.sandbox.qbo.intuit.com/app/invoice?txnId=130"),
    ("xero", "0f8c1a2b-0000-4000-8000-000000000001", True,
     "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=0f8c1a2b-0000-4000-8000-000000000001"),
    ("quickbooks", "", False, None),
    ("sandbox", "130", False, None),
])
def test_each_platform_links_to_its_own_invoice_page(platform, invoice_id, sandbox, expected):
    assert invoice_url(platform, invoice_id, quickbooks_sandbox=sandbox) == expected


def test_an_id_cannot_break_out_of_its_query_parameter():
    assert invoice_url("quickbooks", "1&x=<y>") == "https://app.qbo.intuit.com/app/invoice?txnId=1%26x%3D%3Cy%3E"


@pytest.mark.parametrize(("environment", "sandbox"), [
    ("sandbox", True), ("production", False),
    ("https://developer.api.intuit.com/.well-known/openid_sandbox_configuration", True),
    ("https://developer.api.intuit.com/.well-known/openid_configuration", False),
])
def test_the_configured_environment_says_which_quickbooks_site(environment, sandbox):
    assert quickbooks_is_sandbox(environment) is sandbox
