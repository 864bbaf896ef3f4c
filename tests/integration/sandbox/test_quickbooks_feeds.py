"""Queries, paging, change data capture, batch and attachments in the QuickBooks sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import ValidationException
from quickbooks.objects.attachable import Attachable, AttachableRef
from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment

from .quickbooks_support import new_customer, new_invoice, pay


def _since(minutes: int = 5) -> str:
    moment = datetime.now(UTC) - timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def test_paging_with_startposition_and_maxresults_visits_every_invoice_once(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    created = [new_invoice(qb, customer, f"{n}.00").Id for n in range(1, 8)]

    seen, start = [], 1
    while True:
        page = Invoice.filter(CustomerRef=customer.Id, start_position=start, max_results=3,
                              order_by="Id", qb=qb)
        seen += [invoice.Id for invoice in page]
        if len(page) < 3:
            break
        start += 3

    assert seen == created
    assert Invoice.count(f"CustomerRef = '{customer.Id}'", qb=qb) == 7


def test_where_supports_in_like_and_ranges(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    small = new_invoice(qb, customer, "10.00")
    big = new_invoice(qb, customer, "900.00")

    assert [i.Id for i in Invoice.choose([small.Id, big.Id], qb=qb)] == [small.Id, big.Id]
    assert [i.Id for i in Invoice.where("TotalAmt >= '500'", qb=qb)] == [big.Id]
    names = [c.DisplayName for c in Customer.where("DisplayName LIKE 'Harb%'", qb=qb)]
    assert names == ["Harbour Lofts LLC"]
    newest_first = Invoice.where("", order_by="Id DESC", qb=qb)
    assert [i.Id for i in newest_first][:2] == [big.Id, small.Id]


def test_the_get_form_of_query_answers_like_the_post_form(qb, qbo_info):
    answer = requests.get(f"{qbo_info['api_base']}/company/{qb.company_id}/query",
                          params={"query": "SELECT COUNT(*) FROM Item", "minorversion": "75"},
                          headers={"Authorization": f"Bearer {qb.session.access_token}",
                                   "Accept": "application/json"}, timeout=10)

    assert answer.json()["QueryResponse"]["totalCount"] == 6
    assert answer.headers["intuit_tid"]


def test_a_query_with_no_rows_has_an_empty_query_response(qb):
    assert Invoice.filter(DocNumber="no-such-number", qb=qb) == []


def test_a_malformed_query_is_a_parser_fault(qb):
    with pytest.raises(ValidationException) as refused:
        qb.query("SELECT * FROM Invoice WHERE")
    assert refused.value.error_code == 4000


def test_cdc_reports_changes_and_deletions_since_a_moment(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    kept = new_invoice(qb, customer, "100.00")
    doomed = new_invoice(qb, customer, "50.00")
    payment = pay(qb, kept, "30.00")
    doomed.delete(qb=qb)

    changes = change_data_capture([Invoice, Payment], _since(), qb=qb)

    invoices = {invoice.Id: invoice for invoice in changes.Invoice}
    assert invoices[kept.Id].Balance == 70
    assert invoices[doomed.Id].status == "Deleted"
    assert [p.Id for p in changes.Payment] == [payment.Id]


def test_cdc_refuses_a_window_older_than_30_days(qb):
    with pytest.raises(ValidationException):
        change_data_capture([Invoice], _since(minutes=60 * 24 * 31), qb=qb)


def test_cdc_sees_only_changes_after_the_moment(sandbox, qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    new_invoice(qb, customer, "100.00")
    sandbox.control.advance_clock(1800)  # half an hour on: the access token still lives
    later = new_invoice(qb, customer, "5.00")

    changes = change_data_capture([Invoice], _since(minutes=-15), qb=qb)

    assert [invoice.Id for invoice in changes.Invoice] == [later.Id]


def test_batch_creates_each_item_and_reports_faults_per_item(qb):
    fresh, duplicate = Customer(), Customer()
    fresh.DisplayName = "Batch Built Co"
    duplicate.DisplayName = "Cool Cars"

    result = batch_create([fresh, duplicate], qb=qb)

    assert [c.DisplayName for c in result.successes] == ["Batch Built Co"]
    assert len(result.faults) == 1
    assert result.faults[0].Error[0].code == "6240"


def test_an_attachment_uploads_to_an_invoice_and_downloads_intact(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")
    attachable = Attachable()
    reference = AttachableRef()
    reference.EntityRef = Ref()
    reference.EntityRef.type = "Invoice"
    reference.EntityRef.value = invoice.Id
    attachable.AttachableRef = [reference]
    attachable.FileName = "acceptance.pdf"
    attachable.ContentType = "application/pdf"
    content = b"%PDF-1.4 signed acceptance of milestone 2\n" * 20

    attachable._FileBytes = content

    saved = attachable.save(qb=qb)

    assert saved.Size == len(content)
    assert requests.get(saved.TempDownloadUri, timeout=10).content == content
    found = Attachable.where(f"AttachableRef.EntityRef.Value = '{invoice.Id}'", qb=qb)
    assert [a.Id for a in found] == [saved.Id]


def test_a_note_attachable_without_a_file(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = new_invoice(qb, customer, "100.00")
    note = Attachable()
    reference = AttachableRef()
    reference.EntityRef = Ref()
    reference.EntityRef.type = "Invoice"
    reference.EntityRef.value = invoice.Id
    note.AttachableRef = [reference]
    note.Note = "Accepted by the client on site"

    saved = note.save(qb=qb)

    assert Attachable.get(saved.Id, qb=qb).Note == "Accepted by the client on site"


def test_minor_versions_below_75_are_served(qb):
    qb.minorversion = 4

    assert Customer.count(qb=qb) >= 2


def test_items_and_preferences_describe_the_seeded_company(qb):
    from quickbooks.objects.company_info import CompanyInfo
    from quickbooks.objects.item import Item
    from quickbooks.objects.preferences import Preferences

    items = {item.Name: item for item in Item.all(qb=qb)}  # sends SELECT *, Sku FROM Item
    preferences = Preferences.get(qb=qb)

    assert items["Milestone"].IncomeAccountRef.name == "Milestone Revenue"
    assert preferences.CurrencyPrefs.HomeCurrency.value == "USD"
    assert preferences.CurrencyPrefs.MultiCurrencyEnabled is False
    assert CompanyInfo.get(qb.company_id, qb=qb).CompanyName == "Milepost Builders (US)"


def test_the_backfill_query_orders_by_last_update_and_filters_by_time(sandbox, qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    old = new_invoice(qb, customer, "1.00")
    sandbox.control.advance_clock(600)
    cutoff = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    newer = new_invoice(qb, customer, "2.00")
    sandbox.control.advance_clock(2)  # LastUpdatedTime has whole seconds, as in QuickBooks
    pay(qb, old, "1.00")  # touches the old invoice after the cutoff

    rows = qb.query(
        f"SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '{cutoff}' "
        f"ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000")["QueryResponse"]

    assert [row["Id"] for row in rows["Invoice"]] == [newer.Id, old.Id]
    assert rows["maxResults"] == 2
