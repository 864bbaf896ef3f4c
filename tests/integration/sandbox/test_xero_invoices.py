"""Contacts, invoices, payments and credits through the real xero-python, as Milepost uses them."""
# ruff: noqa: F811 - the shared fixtures are imported from test_xero_harness by name

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from xero_python.accounting import (
    Account,
    Allocation,
    Allocations,
    BankTransaction,
    BankTransactions,
    Contact,
    Contacts,
    CreditNote,
    CreditNotes,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    Payment,
    Payments,
)
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from tests.integration.sandbox.test_xero_harness import (  # noqa: F401 - fixtures
    OFF_SPEC_HEADER,
    XeroClient,
    XeroSandbox,
    xero,
    xero_spec,
)

DUE = date(2026, 12, 31)


@pytest.fixture
def client(xero: XeroSandbox) -> XeroClient:
    return xero.client()


@pytest.fixture
def tenant(xero: XeroSandbox) -> str:
    return xero.tenants[0]


def new_contact(client: XeroClient, tenant: str, name: str = "Harbour Works Ltd") -> Contact:
    made = client.accounting.create_contacts(
        tenant, Contacts(contacts=[Contact(name=name, email_address="ap@harbour.test")]))
    return made.contacts[0]


def draft_invoice(contact: Contact, amount: str = "1000.00", **fields) -> Invoice:
    return Invoice(type="ACCREC", contact=Contact(contact_id=contact.contact_id),
                   line_items=[LineItem(description="Milestone 1: design sign-off", quantity=1,
                                        unit_amount=Decimal(amount), account_code="200",
                                        tax_type="OUTPUT2")],
                   date=date(2026, 11, 2), due_date=DUE, status="DRAFT", **fields)


def create(client: XeroClient, tenant: str, invoice: Invoice, **kwargs) -> Invoice:
    return client.accounting.create_invoices(tenant, Invoices(invoices=[invoice]), **kwargs).invoices[0]


def authorise(client: XeroClient, tenant: str, invoice: Invoice) -> Invoice:
    change = Invoices(invoices=[Invoice(invoice_id=invoice.invoice_id, status="AUTHORISED")])
    return client.accounting.update_invoice(tenant, invoice.invoice_id, change).invoices[0]


def pay(client: XeroClient, tenant: str, invoice: Invoice, amount: str) -> Payment:
    payment = Payment(invoice=Invoice(invoice_id=invoice.invoice_id), account=Account(code="090"),
                      amount=Decimal(amount), date=date(2026, 11, 20))
    return client.accounting.create_payments(tenant, Payments(payments=[payment])).payments[0]


def test_contacts_are_created_and_found_by_name(client: XeroClient, tenant: str) -> None:
    made = new_contact(client, tenant)

    # Xero compares `==` with case; ToLower() is how a filter matches loosely (issue 10, 2)
    found = client.accounting.get_contacts(tenant, where='Name.ToLower()=="harbour works ltd"')

    assert [c.contact_id for c in found.contacts] == [made.contact_id]
    assert found.contacts[0].email_address == "ap@harbour.test"


def test_a_second_contact_with_the_same_name_is_a_validation_error(client: XeroClient,
                                                                    tenant: str) -> None:
    new_contact(client, tenant)

    with pytest.raises(AccountingBadRequestException) as raised:
        new_contact(client, tenant)

    body = raised.value.error_data
    assert body["Type"] == "ValidationException"
    assert "must be unique" in body["Elements"][0]["ValidationErrors"][0]["Message"]


def test_invoice_totals_follow_the_tax_rate_and_line_amount_type(client: XeroClient,
                                                                  tenant: str) -> None:
    contact = new_contact(client, tenant)
    exclusive = create(client, tenant, draft_invoice(contact, "1000.00"))
    inclusive = create(client, tenant, draft_invoice(contact, "1150.00",
                                                     line_amount_types=LineAmountTypes.INCLUSIVE))

    assert (exclusive.sub_total, exclusive.total_tax, exclusive.total) == (1000, 150, 1150)
    assert (inclusive.sub_total, inclusive.total_tax, inclusive.total) == (1000, 150, 1150)
    assert exclusive.status == "DRAFT"
    assert exclusive.invoice_number != inclusive.invoice_number
    assert exclusive.amount_due == 1150


def test_invoices_page_through_with_the_pagination_block(client: XeroClient, tenant: str) -> None:
    contact = new_contact(client, tenant)
    for n in range(5):
        create(client, tenant, draft_invoice(contact, reference=f"M{n}"))

    pages = [client.accounting.get_invoices(tenant, page=p, page_size=2) for p in (1, 2, 3)]

    assert [len(p.invoices) for p in pages] == [2, 2, 1]
    assert pages[0].pagination.page_count == 3
    assert pages[0].pagination.item_count == 5
    seen = [i.reference for p in pages for i in p.invoices]
    assert sorted(seen) == [f"M{n}" for n in range(5)]


def test_where_filters_by_reference_contact_status_and_date(client: XeroClient,
                                                             tenant: str) -> None:
    harbour = new_contact(client, tenant)
    other = new_contact(client, tenant, "Other Co")
    wanted = create(client, tenant, draft_invoice(harbour, reference="milepost:P1:1:0"))
    create(client, tenant, draft_invoice(other, reference="milepost:P1:2:0"))

    by_reference = client.accounting.get_invoices(tenant, where='Reference=="milepost:P1:1:0"')
    by_contact = client.accounting.get_invoices(
        tenant, where=f'Contact.ContactID==guid("{harbour.contact_id}") AND Status=="DRAFT"')
    by_date = client.accounting.get_invoices(tenant, where="Date>=DateTime(2026,11,03)")

    assert [i.invoice_id for i in by_reference.invoices] == [wanted.invoice_id]
    assert [i.invoice_id for i in by_contact.invoices] == [wanted.invoice_id]
    assert by_date.invoices == []


def test_if_modified_since_returns_only_what_changed_after(xero: XeroSandbox, client: XeroClient,
                                                           tenant: str) -> None:
    contact = new_contact(client, tenant)
    old = create(client, tenant, draft_invoice(contact, reference="old"))
    xero.control.advance_clock(60)
    cursor = datetime.fromisoformat(xero.control.clock()["now"]).astimezone(UTC)
    xero.control.advance_clock(1)
    changed = authorise(client, tenant, old)
    new = create(client, tenant, draft_invoice(contact, reference="new"))

    since = client.accounting.get_invoices(tenant, if_modified_since=cursor)
    rfc = requests.get(f"{xero.info['api_base']}/Invoices", timeout=10, headers={
        "Authorization": f"Bearer {client.token['access_token']}", "xero-tenant-id": tenant,
        "Accept": "application/json", OFF_SPEC_HEADER: "RFC 1123 If-Modified-Since",
        "If-Modified-Since": cursor.strftime("%a, %d %b %Y %H:%M:%S GMT")})

    assert {i.invoice_id for i in since.invoices} == {changed.invoice_id, new.invoice_id}
    assert {i["InvoiceID"] for i in rfc.json()["Invoices"]} == {changed.invoice_id, new.invoice_id}


def test_ids_and_statuses_filters_take_comma_lists(client: XeroClient, tenant: str) -> None:
    contact = new_contact(client, tenant)
    a = create(client, tenant, draft_invoice(contact))
    b = authorise(client, tenant, create(client, tenant, draft_invoice(contact)))
    create(client, tenant, draft_invoice(contact))

    by_ids = client.accounting.get_invoices(tenant, i_ds=[a.invoice_id, b.invoice_id])
    by_status = client.accounting.get_invoices(tenant, statuses=["AUTHORISED", "PAID"])

    assert {i.invoice_id for i in by_ids.invoices} == {a.invoice_id, b.invoice_id}
    assert [i.invoice_id for i in by_status.invoices] == [b.invoice_id]


def test_partial_then_full_payment_moves_amount_due_and_status(client: XeroClient,
                                                                tenant: str) -> None:
    invoice = authorise(client, tenant, create(client, tenant, draft_invoice(new_contact(client, tenant))))

    pay(client, tenant, invoice, "400.00")
    part = client.accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]
    pay(client, tenant, invoice, "750.00")
    full = client.accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]

    assert (part.status, part.amount_paid, part.amount_due) == ("AUTHORISED", 400, 750)
    assert part.fully_paid_on_date is None
    assert (full.status, full.amount_paid, full.amount_due) == ("PAID", 1150, 0)
    assert full.fully_paid_on_date == date(2026, 11, 20)
    assert len(full.payments) == 2


def test_deleting_a_payment_reopens_the_invoice(client: XeroClient, tenant: str) -> None:
    invoice = authorise(client, tenant, create(client, tenant, draft_invoice(new_contact(client, tenant))))
    payment = pay(client, tenant, invoice, "1150.00")

    client.accounting.delete_payment(tenant, payment.payment_id,
                                     {"Status": "DELETED"})  # PaymentDelete's wire shape
    reopened = client.accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]

    assert (reopened.status, reopened.amount_due) == ("AUTHORISED", 1150)


@pytest.mark.parametrize(("status", "amount", "message"), [
    ("DRAFT", "100.00", "Authorised documents"),
    ("AUTHORISED", "1150.01", "exceeds the amount outstanding"),
])
def test_payments_need_an_authorised_invoice_and_no_overpayment(client: XeroClient, tenant: str,
                                                                status: str, amount: str,
                                                                message: str) -> None:
    invoice = create(client, tenant, draft_invoice(new_contact(client, tenant)))
    if status == "AUTHORISED":
        invoice = authorise(client, tenant, invoice)

    with pytest.raises(AccountingBadRequestException) as raised:
        pay(client, tenant, invoice, amount)

    assert message in str(raised.value.error_data)


@pytest.mark.parametrize(("path", "target", "allowed"), [
    (["DRAFT"], "DELETED", True),
    (["SUBMITTED"], "DELETED", True),
    (["AUTHORISED"], "DELETED", False),
    (["AUTHORISED"], "VOIDED", True),
    (["DRAFT"], "VOIDED", False),
    (["AUTHORISED", "VOIDED"], "AUTHORISED", False),
    (["AUTHORISED", "PAID"], "VOIDED", False),
])
def test_status_moves_follow_xero_rules(client: XeroClient, tenant: str, path: list[str],
                                        target: str, allowed: bool) -> None:
    invoice = create(client, tenant, draft_invoice(new_contact(client, tenant)))
    for step in path:
        if step == "PAID":
            pay(client, tenant, invoice, "1150.00")
            continue
        invoice = client.accounting.update_invoice(tenant, invoice.invoice_id, Invoices(
            invoices=[Invoice(invoice_id=invoice.invoice_id, status=step)])).invoices[0]
    change = Invoices(invoices=[Invoice(invoice_id=invoice.invoice_id, status=target)])

    if allowed:
        assert client.accounting.update_invoice(tenant, invoice.invoice_id, change).invoices[0].status == target
    else:
        with pytest.raises(AccountingBadRequestException):
            client.accounting.update_invoice(tenant, invoice.invoice_id, change)


def test_summarize_errors_true_rejects_the_whole_batch(client: XeroClient, tenant: str) -> None:
    contact = new_contact(client, tenant)
    good, bad = draft_invoice(contact, reference="good"), draft_invoice(contact, reference="bad")
    bad.line_items[0].account_code = "999"

    with pytest.raises(AccountingBadRequestException) as raised:
        client.accounting.create_invoices(tenant, Invoices(invoices=[good, bad]),
                                          summarize_errors=True)

    messages = raised.value.error_data["Elements"][0]["ValidationErrors"]
    assert messages == [{"Message": "Account code '999' is not a valid code for this document."}]
    assert client.accounting.get_invoices(tenant).invoices == []


def test_summarize_errors_false_keeps_the_good_items(client: XeroClient, tenant: str) -> None:
    contact = new_contact(client, tenant)
    good, bad = draft_invoice(contact, reference="good"), draft_invoice(contact, reference="bad")
    bad.line_items[0].tax_type = "NOPE"

    answer = client.accounting.create_invoices(tenant, Invoices(invoices=[good, bad]),
                                               summarize_errors=False)

    assert [i.has_errors for i in answer.invoices] == [False, True]
    assert "NOPE" in answer.invoices[1].validation_errors[0].message
    assert [i.reference for i in client.accounting.get_invoices(tenant).invoices] == ["good"]


def test_an_idempotency_key_replays_the_first_answer_and_acts_once(client: XeroClient,
                                                                   tenant: str) -> None:
    contact = new_contact(client, tenant)
    key = "milepost:P1:1:0"

    first = create(client, tenant, draft_invoice(contact), idempotency_key=key)
    second = create(client, tenant, draft_invoice(contact), idempotency_key=key)

    assert second.invoice_id == first.invoice_id
    assert len(client.accounting.get_invoices(tenant).invoices) == 1


def test_attachments_are_stored_and_listed(client: XeroClient, tenant: str) -> None:
    invoice = create(client, tenant, draft_invoice(new_contact(client, tenant)))
    pdf = b"%PDF-1.4 acceptance certificate"

    client.accounting.create_invoice_attachment_by_file_name(
        tenant, invoice.invoice_id, "acceptance.pdf", pdf, include_online=True)
    listed = client.accounting.get_invoice_attachments(tenant, invoice.invoice_id)

    [attachment] = listed.attachments
    assert (attachment.file_name, attachment.content_length) == ("acceptance.pdf", len(pdf))
    assert attachment.include_online is True
    assert client.accounting.get_invoice(tenant, invoice.invoice_id).invoices[0].has_attachments


def test_credit_note_allocation_reduces_amount_due(client: XeroClient, tenant: str) -> None:
    contact = new_contact(client, tenant)
    invoice = authorise(client, tenant, create(client, tenant, draft_invoice(contact)))
    note = CreditNote(type="ACCRECCREDIT", contact=Contact(contact_id=contact.contact_id),
                      status="AUTHORISED", date=date(2026, 11, 5),
                      line_items=[LineItem(description="Retention release", quantity=1,
                                           unit_amount=Decimal("100.00"), account_code="200")])
    credit = client.accounting.create_credit_notes(tenant, CreditNotes(credit_notes=[note])).credit_notes[0]

    client.accounting.create_credit_note_allocation(tenant, credit.credit_note_id, Allocations(
        allocations=[Allocation(invoice=Invoice(invoice_id=invoice.invoice_id),
                                amount=Decimal("115.00"), date=date(2026, 11, 6))]))
    after = client.accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]

    assert (after.amount_credited, after.amount_due, after.status) == (115, 1035, "AUTHORISED")
    assert client.accounting.get_credit_note(tenant, credit.credit_note_id).credit_notes[0].status == "PAID"


def test_a_prepayment_is_allocated_like_a_deposit(client: XeroClient, tenant: str) -> None:
    contact = new_contact(client, tenant)
    invoice = authorise(client, tenant, create(client, tenant, draft_invoice(contact)))
    receipt = BankTransaction(type="RECEIVE-PREPAYMENT", contact=Contact(contact_id=contact.contact_id),
                              bank_account=Account(code="090"), line_items=[LineItem(
                                  description="Deposit", quantity=1,
                                  unit_amount=Decimal("230.00"), account_code="200")],
                              line_amount_types=LineAmountTypes.INCLUSIVE)
    made = client.accounting.create_bank_transactions(
        tenant, BankTransactions(bank_transactions=[receipt])).bank_transactions[0]

    client.accounting.create_prepayment_allocations(tenant, made.prepayment_id, Allocations(
        allocations=[Allocation(invoice=Invoice(invoice_id=invoice.invoice_id),
                                amount=Decimal("230.00"), date=date(2026, 11, 6))]))
    after = client.accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]

    assert (after.amount_credited, after.amount_due) == (230, 920)
    assert after.prepayments[0].prepayment_id == made.prepayment_id


def test_an_unknown_invoice_is_a_not_found(client: XeroClient, tenant: str) -> None:
    with pytest.raises(NotFoundException):
        client.accounting.get_invoice(tenant, "00000000-0000-0000-0000-000000000000")


def test_email_and_online_invoice_need_an_approved_invoice(client: XeroClient, tenant: str) -> None:
    invoice = create(client, tenant, draft_invoice(new_contact(client, tenant)))
    with pytest.raises(AccountingBadRequestException):
        client.accounting.email_invoice(tenant, invoice.invoice_id, {})

    authorise(client, tenant, invoice)
    client.accounting.email_invoice(tenant, invoice.invoice_id, {})
    online = client.accounting.get_online_invoice(tenant, invoice.invoice_id)

    assert online.online_invoices[0].online_invoice_url.startswith("http")
    assert client.accounting.get_invoice(tenant, invoice.invoice_id).invoices[0].sent_to_contact


def test_the_bookkeeper_can_approve_and_record_a_payment_from_the_control_api(
        xero: XeroSandbox, client: XeroClient, tenant: str) -> None:
    invoice = create(client, tenant, draft_invoice(new_contact(client, tenant)))

    xero.control.xero(f"invoices/{invoice.invoice_id}/authorise", tenant)
    xero.control.xero("payments", tenant, invoice_id=invoice.invoice_id, amount="150.00")
    seen = client.accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]

    assert (seen.status, seen.amount_due) == ("AUTHORISED", 1000)
    assert seen.date == date(2026, 11, 2)
    assert seen.due_date == DUE
    assert seen.updated_date_utc > datetime.now(UTC) - timedelta(minutes=5)
