"""Companies and organisations added on demand, and the sandbox's tally of its answers."""

from __future__ import annotations

import pytest
import requests

from connector.sandbox.client import SandboxServer


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer() as server:
        yield server


def test_an_added_company_and_organisation_are_offered_like_the_seeded_ones(sandbox) -> None:
    realm = sandbox.control.add_quickbooks_company("Added Builders", "USD")
    tenant = sandbox.control.add_xero_organisation("Added Studio", "GB", "GBP")

    info = sandbox.info()
    assert {"realm_id": realm, "name": "Added Builders", "currency": "USD"} in info["quickbooks"]["companies"]
    assert {"tenant_id": tenant, "name": "Added Studio", "currency": "GBP", "country": "GB"} in info["xero"]["organisations"]
    with sandbox.state.lock:
        company = sandbox.state.quickbooks.company(realm)
        org = sandbox.state.xero.organisation(tenant)
        assert sorted(company.table("Item")) == sorted(sandbox.state.quickbooks.company("9130350000000001").table("Item"))
        assert {a["Code"] for a in org.all("Accounts")} >= {"090", "200", "610"}


def test_a_second_organisation_of_one_country_gets_its_own_tenant_id(sandbox) -> None:
    first = sandbox.control.add_xero_organisation("Twin", "NZ")
    second = sandbox.control.add_xero_organisation("Twin", "NZ")

    assert first != second


@pytest.mark.parametrize(("path", "body"), [
    ("/quickbooks/companies", {"name": "X", "currency": "XYZ"}),
    ("/xero/organisations", {"name": "X", "country": "FR"}),
    ("/xero/organisations", {"name": "X", "country": "NZ", "currency": "GBP"}),
])
def test_an_unsupported_currency_or_country_is_refused(sandbox, path, body) -> None:
    answer = requests.post(f"{sandbox.url}/_sandbox{path}", json=body, timeout=10)

    assert answer.status_code == 400


def test_the_tally_counts_answers_by_status_and_finds_the_busiest_window(sandbox) -> None:
    realm = sandbox.control.add_quickbooks_company("Tallied", "USD")
    sandbox.control.answers(clear=True)
    for _ in range(3):
        requests.get(f"{sandbox.url}/v3/company/{realm}/item/1", timeout=10)  # no token: 401

    tally = sandbox.control.answers(window=60)

    assert tally["answers"] == [{"service": "quickbooks", "company": realm, "status": 401, "count": 3}]
    assert tally["busiest"] == [{"service": "quickbooks", "company": realm, "requests": 3}]
    assert sandbox.control.answers(clear=True)["answers"] == []
