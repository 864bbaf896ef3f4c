"""Issue 12, "Import from the books": an accepted estimate or quote, made in the sandbox with the
official SDKs, becomes a project through `milepost schedule import --from-estimate/--from-quote`.

Each test checks what a user would: the project's total is the document's to the cent, the
invoice goes to the same platform customer (no new one), the first invoice points back to the
document (QuickBooks LinkedTxn; Xero Reference carries the quote number), and a second import
or a quote not accepted is refused with the reason and writes nothing.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from xero_python.accounting import Contact, Contacts, LineItem, Quote, Quotes, QuoteStatusCodes

from connector.cli import main
from connector.store.mapping_rows import known_customer
from connector.store.models import ConnectionRow, OrganisationRow, ProjectRow
from connector.store.repository import BillingRepository
from jobs.imports import list_accepted
from jobs.runner import run_job
from tests.jobs_harness import Stack, books_invoice
from tests.sandbox_books import quickbooks_estimate


@pytest.fixture
def milepost(stack: Stack, tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """`milepost(*args)` against the stack's database and sandbox, as an operator runs it."""
    for name in list(os.environ):
        if name.startswith("MILEPOST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MILEPOST_SANDBOX_URL", stack.sandbox.url)
    monkeypatch.setenv("MILEPOST_TOKEN_KEYS", stack.token_key)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--database", stack.database_url, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _projects(stack: Stack) -> int:
    with stack.reading() as session:
        return int(session.scalar(select(func.count()).select_from(ProjectRow)) or 0)


def _accept_first_and_drain(stack: Stack, milepost: Any, key: str) -> None:
    assert milepost("milestone", "submit", key, "1", "--by", "Sam")[0] == 0
    assert milepost("milestone", "accept", key, "1", "--by", "Dana")[0] == 0
    run_job(stack.context(), "drain_outbox")


# -- QuickBooks -------------------------------------------------------------------------------

def _quickbooks_estimate(stack: Stack, connection: int, status: str, amounts: list[str]) -> dict:
    """An estimate for the seeded customer 58, saved through python-quickbooks."""
    return quickbooks_estimate(stack.context().gateway_for(connection), status, amounts)


def test_an_accepted_quickbooks_estimate_becomes_a_project_whose_invoice_links_to_it(stack, milepost):
    connection, realm = stack.connect_quickbooks()
    estimate = _quickbooks_estimate(stack, connection, "Accepted", ["1200.10", "3400.45", "999.99"])

    code, out, err = milepost("schedule", "import", "--connection", str(connection),
                              "--from-estimate", str(estimate["Id"]), "--key", "EST-1", "--per-line",
                              "--approver-email", "dana@birds.example", "-o", "est-1.toml")

    assert code == 0, err
    assert "imported EST-1 from QuickBooks estimate" in out
    with stack.reading() as session:
        project, milestones = BillingRepository(session).load("EST-1")
        assert known_customer(session, connection, project.customer) == "58"
    assert project.contract_total.amount == Decimal(str(estimate["TotalAmt"])) == Decimal("5600.54")
    assert project.currency == "USD"
    assert [m.fixed_amount.amount for m in milestones if m.fixed_amount] == [
        Decimal("1200.10"), Decimal("3400.45"), Decimal("999.99")]
    assert {m.approver.email for m in milestones} == {"dana@birds.example"}
    written = tomllib.loads(Path("est-1.toml").read_text(encoding="utf-8"))
    assert written["project"]["contract_total"] == "5600.54"
    assert [m["amount"] for m in written["milestones"]] == ["1200.10", "3400.45", "999.99"]

    _accept_first_and_drain(stack, milepost, "EST-1")

    [row] = stack.invoices()
    invoice = books_invoice(stack.sandbox, realm, row.platform_id)
    assert invoice["CustomerRef"]["value"] == "58"  # the estimate's customer, no new one
    assert [(link["TxnType"], link["TxnId"]) for link in invoice["LinkedTxn"]] == [
        ("Estimate", str(estimate["Id"]))]

    again, _, err = milepost("schedule", "import", "--connection", str(connection),
                             "--from-estimate", str(estimate["Id"]), "--key", "EST-2")
    assert again == 1
    assert "imported before, as project EST-1" in err
    assert _projects(stack) == 1


def test_an_estimate_from_another_organisations_books_becomes_that_organisations_project(stack, milepost):
    connection, _ = stack.connect_quickbooks()
    with stack.reading() as session, session.begin():
        firm = OrganisationRow(name="Another firm")
        session.add(firm)
        session.flush()
        session.execute(update(ConnectionRow).where(ConnectionRow.id == connection).values(organisation_id=firm.id))
        theirs = firm.id
    estimate = _quickbooks_estimate(stack, connection, "Accepted", ["800.00"])

    code, _, err = milepost("schedule", "import", "--connection", str(connection),
                            "--from-estimate", str(estimate["Id"]), "--key", "EST-O", "--per-line")

    assert code == 0, err
    with stack.reading() as session:
        assert session.scalar(select(ProjectRow.organisation_id).where(ProjectRow.key == "EST-O")) == theirs


def test_a_pending_quickbooks_estimate_is_refused_with_its_status(stack, milepost):
    connection, _ = stack.connect_quickbooks()
    estimate = _quickbooks_estimate(stack, connection, "Pending", ["500.00"])

    code, _, err = milepost("schedule", "import", "--connection", str(connection),
                            "--from-estimate", str(estimate["DocNumber"]), "--key", "EST-P",
                            "--template", "three-phase", "-o", "pending.toml")

    assert code == 1
    assert "is Pending, not Accepted" in err
    assert _projects(stack) == 0
    assert not Path("pending.toml").exists()
    unknown = milepost("schedule", "import", "--connection", str(connection),
                       "--from-estimate", "99999", "--key", "EST-U")
    wrong_kind = milepost("schedule", "import", "--connection", str(connection),
                          "--from-quote", str(estimate["Id"]), "--key", "EST-Q")
    assert unknown[0] == 1
    assert "QuickBooks has no estimate '99999'" in unknown[2]
    assert wrong_kind[0] == 1
    assert "use --from-estimate" in wrong_kind[2]
    assert _projects(stack) == 0


# -- Xero -------------------------------------------------------------------------------------

def _xero_quote(stack: Stack, connection: int, tenant: str, amounts: list[str]) -> Any:
    """A DRAFT quote for a new contact, made through xero-python."""
    gateway: Any = stack.context().gateway_for(connection)
    contact = gateway.call(lambda api: api.create_contacts(tenant, Contacts(contacts=[
        Contact(name="Quoted Client Ltd", email_address="ap@quoted.example")]))).contacts[0]
    quote = Quote(contact=Contact(contact_id=contact.contact_id), date=date(2026, 11, 2),
                  title="Shop fit-out", status=QuoteStatusCodes.DRAFT,
                  line_items=[LineItem(description=f"Stage {n}", quantity=Decimal(1),
                                       unit_amount=Decimal(a), account_code="200", tax_type="NONE")
                              for n, a in enumerate(amounts, start=1)])
    return gateway.call(lambda api: api.create_quotes(tenant, Quotes(quotes=[quote]))).quotes[0]


def _set_quote_status(stack: Stack, connection: int, tenant: str, made: Any, status: str) -> Any:
    gateway: Any = stack.context().gateway_for(connection)
    body = Quotes(quotes=[Quote(contact=Contact(contact_id=made.contact.contact_id), date=made.date,
                                status=QuoteStatusCodes(status))])
    return gateway.call(lambda api: api.update_quote(tenant, made.quote_id, body)).quotes[0]


def test_a_xero_quote_is_refused_until_accepted_then_becomes_a_project_invoiced_with_its_number(
        stack, milepost):
    [(connection, tenant), *_] = stack.connect_xero()
    made = _xero_quote(stack, connection, tenant, ["2500.00", "1234.57"])

    draft, _, err = milepost("schedule", "import", "--connection", str(connection),
                             "--from-quote", made.quote_number, "--key", "QUO-1")
    assert draft == 1
    assert "is DRAFT, not ACCEPTED" in err
    assert _projects(stack) == 0

    _set_quote_status(stack, connection, tenant, made, "SENT")
    accepted = _set_quote_status(stack, connection, tenant, made, "ACCEPTED")
    code, out, err = milepost("schedule", "import", "--connection", str(connection),
                              "--from-quote", str(made.quote_id), "--key", "QUO-1",
                              "--template", "three-phase", "--approver-email", "lee@quoted.example")

    assert code == 0, err
    with stack.reading() as session:
        project, milestones = BillingRepository(session).load("QUO-1")
        assert known_customer(session, connection, project.customer) == str(made.contact.contact_id)
    assert project.contract_total.amount == accepted.total == Decimal("3734.57")
    assert project.customer.email == "ap@quoted.example"
    assert len(milestones) == 3
    ctx = stack.context()
    [listed] = list_accepted(ctx.sessions, ctx.gateway_for, connection)  # what the admin page offers
    assert (listed.estimate.source.number, listed.imported_as) == (made.quote_number, "QUO-1")

    assert milepost("sign", "QUO-1")[0] == 0  # three-phase: the kickoff is billed on signature
    run_job(stack.context(), "drain_outbox")
    [row] = stack.invoices()
    gateway: Any = stack.context().gateway_for(connection)
    invoice = gateway.call(lambda api: api.get_invoice(tenant, row.platform_id)).invoices[0]
    assert invoice.reference.startswith(f"{made.quote_number} QUO-1")
    assert "[milepost:QUO-1:" in invoice.reference  # the key a lookup reads is still there
    assert str(invoice.contact.contact_id) == str(made.contact.contact_id)

    again, _, err = milepost("schedule", "import", "--connection", str(connection),
                             "--from-quote", made.quote_number, "--key", "QUO-2")
    assert again == 1
    assert "imported before, as project QUO-1" in err
    assert _projects(stack) == 1
