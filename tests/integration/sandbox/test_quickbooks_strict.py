"""The QuickBooks sandbox is as strict as QuickBooks Online (issue 10, second pass).

Each test names the page or report the rule comes from. Where QuickBooks' exact answer is not
documented, the sandbox README's assumptions table says what the sandbox does instead.
"""

from __future__ import annotations

import json

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import QuickbooksException, UnsupportedException, ValidationException
from quickbooks.objects.attachable import Attachable
from quickbooks.objects.base import AttachableRef, Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from .quickbooks_support import REDIRECT_URI, authorize, client, new_customer, new_invoice

MB = 1024 * 1024


def _url(qbo_info: dict, qb, path: str) -> str:
    return f"{qbo_info['api_base']}/company/{qb.company_id}/{path}"


def _headers(qb, **extra: str) -> dict:
    return {"Authorization": f"Bearer {qb.session.access_token}", "Accept": "application/json",
            **extra}


def _attachable_for(invoice: Invoice, file_name: str, content_type: str) -> Attachable:
    attachable = Attachable()
    link = AttachableRef()
    link.EntityRef = Ref()
    link.EntityRef.type, link.EntityRef.value = "Invoice", invoice.Id
    attachable.AttachableRef.append(link)
    attachable.FileName, attachable.ContentType = file_name, content_type
    return attachable


def _attachable_count(qb) -> int:
    return len(qb.query("SELECT * FROM Attachable")["QueryResponse"].get("Attachable", []))


# -- finding 1: attachment limits ---------------------------------------------------------------
# Source: Intuit's Attachable API reference ("Upload" resource): 100 MB per file and a fixed
# list of file types (ai, csv, doc, docx, eps, gif, jpeg, jpg, ods, pdf, png, rtf, tif, txt,
# xls, xlsx, xml), as copied into intuit/quickbooks-online-mcp-server
# src/helpers/attachable-mime.ts and Codat's QuickBooks Online attachment table.

def test_an_exe_attachment_is_refused(qb):
    invoice = new_invoice(qb, new_customer(qb, "Harbour Lofts LLC"), "100.00")
    attachable = _attachable_for(invoice, "setup.exe", "application/x-msdownload")

    with pytest.raises(ValidationException) as refused:
        qb.create_object("Attachable", attachable.to_json(), _file_bytes=b"MZ\x90\x00 not a document")

    assert refused.value.error_code == 2010
    assert "setup.exe" in refused.value.detail
    assert _attachable_count(qb) == 0


def test_a_supported_extension_with_a_foreign_content_type_is_refused(qb):
    invoice = new_invoice(qb, new_customer(qb, "Harbour Lofts LLC"), "100.00")
    attachable = _attachable_for(invoice, "evidence.pdf", "application/zip")

    with pytest.raises(ValidationException) as refused:
        qb.create_object("Attachable", attachable.to_json(), _file_bytes=b"PK\x03\x04")

    assert refused.value.error_code == 2010
    assert _attachable_count(qb) == 0


def test_every_documented_file_type_is_accepted(qb):
    invoice = new_invoice(qb, new_customer(qb, "Harbour Lofts LLC"), "100.00")
    for name, kind in (("a.pdf", "application/pdf"), ("b.jpg", "image/jpeg"), ("c.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                       ("d.txt", "text/plain"), ("e.tif", "image/tiff"), ("f.csv", "text/csv")):
        qb.create_object("Attachable", _attachable_for(invoice, name, kind).to_json(),
                         _file_bytes=b"content")

    assert _attachable_count(qb) == 6


def test_the_sandbox_and_milepost_agree_on_what_quickbooks_keeps():
    # Milepost refuses evidence at submit with mappings.attachments; the stand-in refuses the
    # upload with its own copy (it imports nothing from Milepost): the two must not drift
    from connector.sandbox.quickbooks import attachments
    from mappings.attachments import PLATFORM_RULES

    assert set(attachments.CONTENT_TYPES) == PLATFORM_RULES["quickbooks"].extensions
    assert attachments.MAX_FILE_BYTES == PLATFORM_RULES["quickbooks"].max_bytes


def test_a_file_over_100_mb_is_refused(qb, qbo_info):
    invoice = new_invoice(qb, new_customer(qb, "Harbour Lofts LLC"), "100.00")
    meta = json.dumps({"FileName": "drawings.pdf", "ContentType": "application/pdf",
                       "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice.Id}}]})
    boundary = "strict-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file_metadata_01\"\r\n"
            f"Content-Type: application/json\r\n\r\n{meta}\r\n--{boundary}\r\n"
            f"Content-Disposition: form-data; name=\"file_content_01\"; filename=\"drawings.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode()
    body = head + b"%" * (100 * MB + 1) + f"\r\n--{boundary}--\r\n".encode()

    answer = requests.post(_url(qbo_info, qb, "upload"), data=body, timeout=120, headers=_headers(
        qb, **{"Content-Type": f"multipart/form-data; boundary={boundary}"}))

    assert answer.status_code == 400
    error = answer.json()["Fault"]["Error"][0]
    assert error["code"] == "2010"
    assert "100 MB" in error["Detail"]
    assert _attachable_count(qb) == 0


# -- finding 4: DisplayName characters ----------------------------------------------------------
# Source: Intuit's Customer API reference, "Business Rules" (no colon, tab or new line in a
# name; the colon separates parent and job, "Parent:Job"), as quoted by
# help.noviams.com/en/articles/1755746 and Workato's "QuickBooks error: Duplicate name exists";
# the 2040 fault as quoted in the Q&A "Colon ':' symbol in Customer name cause error [QBO v3]"
# ("Invalid String. The String may contain unsupported or illegal chars" / "Element contains
# invalid characters. Rob:Barnett:Company").

@pytest.mark.parametrize("name", ["Acme: West Coast", "Acme\tWest Coast", "Acme\nWest Coast"])
def test_a_display_name_with_a_colon_tab_or_newline_is_refused(qb, name):
    with pytest.raises(ValidationException) as refused:
        new_customer(qb, name)

    assert refused.value.error_code == 2040
    assert "invalid characters" in refused.value.detail
    assert not any("West Coast" in c.DisplayName for c in Customer.all(qb=qb, max_results=1000))


# -- finding 5: invoice currency against the customer's --------------------------------------
# Source: Intuit, "Multicurrency for US companies" (blog, 2015-06-18): a customer is
# associated with a single currency and its transactions are in that currency. The fault
# code and wording are the sandbox's assumption (README table).

def test_an_invoice_in_another_currency_than_its_customer_is_refused(qbo_info, recorder):
    second = qbo_info["companies"][1]["realm_id"]
    qb = client(qbo_info, authorize(qbo_info, realm_hint=second), recorder)
    euro = Customer.filter(DisplayName="Euro Works GmbH", qb=qb)[0]

    with pytest.raises(QuickbooksException) as refused:
        new_invoice(qb, euro, "1000.00", CurrencyRef=Ref.from_json({"value": "USD"}))

    assert refused.value.error_code == 6000
    assert "EUR" in refused.value.detail
    assert "USD" in refused.value.detail
    assert Invoice.count(qb=qb) == 0


def test_a_foreign_currency_invoice_in_a_single_currency_company_is_refused(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")

    with pytest.raises(QuickbooksException) as refused:
        new_invoice(qb, customer, "100.00", CurrencyRef=Ref.from_json({"value": "EUR"}))

    assert refused.value.error_code == 6000
    assert Invoice.count(qb=qb) == 0


# -- finding 7: a reused requestid answers with the first response -----------------------------
# Source: Intuit developer blog, "Request ID update" (2015-04-06): "If the service receives
# another request with the same requestId, instead of performing the operation again or
# returning an error, the service sends back the same response it sent for the original
# request."

def test_a_requestid_reused_with_a_different_body_answers_the_first_response(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    first = Invoice.from_json({"CustomerRef": {"value": customer.Id}, "Line": [
        {"Amount": 25, "DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]}).save(qb=qb, request_id="req-7")
    other = Invoice.from_json({"CustomerRef": {"value": customer.Id}, "Line": [
        {"Amount": 99, "DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]})

    again = other.save(qb=qb, request_id="req-7")

    assert again.Id == first.Id
    assert str(again.TotalAmt) == "25"
    assert Invoice.count(qb=qb) == 1


# -- finding 9: only filterable properties can be queried -------------------------------------
# Source: Intuit's entity references mark each property "filterable" or not (for example
# Invoice: Id, MetaData.*, DocNumber, TxnDate, DueDate, CustomerRef, ClassRef, DepartmentRef,
# Balance, TotalAmt; Customer: DisplayName, GivenName, FamilyName, CompanyName,
# PrimaryEmailAddr, Active, Balance...); a query on any other property is refused with 4001
# "QueryValidationError: property '...' is not queryable".

@pytest.mark.parametrize("query", [
    "SELECT * FROM Invoice WHERE PrivateNote = 'x'",
    "SELECT * FROM Invoice WHERE DocNumber = '1001' AND EmailStatus = 'NotSet'",
    "SELECT * FROM Customer WHERE Notes LIKE '%vip%'",
    "SELECT COUNT(*) FROM Payment WHERE PrivateNote = 'x'",
])
def test_a_query_on_a_property_that_is_not_filterable_is_refused(qb, query):
    with pytest.raises(ValidationException) as refused:
        qb.query(query)

    assert refused.value.error_code == 4001
    assert "is not queryable" in refused.value.detail


def test_queries_on_filterable_properties_still_answer(qb):
    customer = new_customer(qb, "Harbour Lofts LLC", "ap@harbour.example")
    invoice = new_invoice(qb, customer, "100.00")

    by_email = qb.query("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'ap@harbour.example'")
    by_number = qb.query(f"SELECT * FROM Invoice WHERE DocNumber = '{invoice.DocNumber}' "
                         f"AND MetaData.LastUpdatedTime >= '2000-01-01T00:00:00-07:00'")
    by_ref = qb.query(f"SELECT * FROM Invoice WHERE CustomerRef = '{customer.Id}'")
    files = qb.query(f"SELECT * FROM Attachable WHERE AttachableRef.EntityRef.Type = 'Invoice' "
                     f"AND AttachableRef.EntityRef.value = '{invoice.Id}'")
    changed = qb.query("SELECT * FROM Payment WHERE MetaData.LastUpdatedTime >= "
                       "'2000-01-01T00:00:00-07:00' STARTPOSITION 1 MAXRESULTS 1000")

    assert by_email["QueryResponse"]["Customer"][0]["Id"] == customer.Id
    assert by_number["QueryResponse"]["Invoice"][0]["Id"] == invoice.Id
    assert by_ref["QueryResponse"]["Invoice"][0]["Id"] == invoice.Id
    assert files["QueryResponse"] == {}  # answered, with nothing attached yet
    assert changed["QueryResponse"] == {}


# -- finding 10: a void prepends "Voided" to PrivateNote ----------------------------------------
# Source: QuickBooks answers recorded by integrators in public test suites ("PrivateNote":
# "Voided - duplicate"; a bill payment voided three times reads "Voided - Voided - Voided");
# an invoice with no memo reads just "Voided" (Intuit's Invoice reference, "Void an invoice"
# sample response). The separator is listed in the README's assumptions.

def test_a_void_prepends_voided_to_the_private_note(qb):
    invoice = new_invoice(qb, new_customer(qb, "Harbour Lofts LLC"), "100.00",
                          PrivateNote="Phase 2 of 4\nMilepost key: milepost:HL:2:1")

    invoice.void(qb=qb)

    voided = Invoice.get(invoice.Id, qb=qb)
    assert voided.PrivateNote == "Voided - Phase 2 of 4\nMilepost key: milepost:HL:2:1"
    assert voided.TotalAmt == 0


def test_a_void_without_a_note_leaves_just_voided(qb):
    invoice = new_invoice(qb, new_customer(qb, "Harbour Lofts LLC"), "100.00")

    invoice.void(qb=qb)

    assert Invoice.get(invoice.Id, qb=qb).PrivateNote == "Voided"


# -- finding 12: length limits ------------------------------------------------------------------
# Source: Intuit's Invoice reference (DocNumber max 21, CustomerMemo max 1000, Line Description
# max 4000) and the 2050 fault QuickBooks answers, as logged by integrators: "String length is
# either shorter or longer than supported by specification" / "String length specified does
# not match the supported length. Min:0 Max:21 supported. Supplied length:45" (element
# DocNumber) and "... Max:1,000 supported. Supplied length:1,016" (element "Customer Memo").

@pytest.mark.parametrize(("fields", "element", "detail"), [
    ({"DocNumber": "D" * 22}, "DocNumber", "Max:21 supported. Supplied length:22"),
    ({"CustomerMemo": {"value": "m" * 1001}}, "Customer Memo", "Max:1,000 supported. Supplied length:1,001"),
    ({"Description": "d" * 4001}, "Description", "Max:4,000 supported. Supplied length:4,001"),
])
def test_a_field_longer_than_quickbooks_allows_is_refused(qb, qbo_info, fields, element, detail):
    customer = new_customer(qb, "Harbour Lofts LLC")
    line = {"Amount": 25, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}
    if "Description" in fields:
        line["Description"] = fields.pop("Description")
    body = {"CustomerRef": {"value": customer.Id}, "Line": [line], **fields}

    answer = requests.post(_url(qbo_info, qb, "invoice"), json=body, headers=_headers(qb),
                           timeout=10)

    assert answer.status_code == 400
    error = answer.json()["Fault"]["Error"][0]
    assert error["code"] == "2050"
    assert error["Message"] == "String length is either shorter or longer than supported by specification"
    assert error["element"] == element
    assert detail in error["Detail"]
    assert Invoice.count(qb=qb) == 0


def test_a_requestid_longer_than_50_characters_is_refused(qb):
    customer = Customer()
    customer.DisplayName = "Harbour Lofts LLC"

    with pytest.raises(ValidationException) as refused:
        customer.save(qb=qb, request_id="r" * 51)

    assert refused.value.error_code == 2050
    assert "Max:50 supported" in refused.value.detail
    assert not Customer.filter(DisplayName="Harbour Lofts LLC", qb=qb)


# -- finding 20: refresh tokens last about a day -----------------------------------------------
# Source: Intuit, "OAuth token management done the right way" (blog, 2024-06-03) and the
# authorization FAQ: the refresh token value changes about every 24 hours; until then the
# same token comes back and keeps working, so two workers refreshing at once both succeed.

def test_a_refresh_within_a_day_returns_the_same_refresh_token_which_keeps_working(qbo_info):
    auth = authorize(qbo_info)
    first_refresh, first_access = auth.refresh_token, auth.access_token

    auth.refresh()
    other_worker = AuthClient(qbo_info["client_id"], qbo_info["client_secret"], REDIRECT_URI,
                              environment=qbo_info["discovery_url"])
    other_worker.refresh(refresh_token=first_refresh)
    other_worker.realm_id = auth.realm_id

    assert auth.refresh_token == first_refresh
    assert auth.access_token != first_access
    assert other_worker.refresh_token == first_refresh
    assert Customer.all(qb=client(qbo_info, other_worker))


def test_after_a_day_the_refresh_token_rotates_and_the_old_one_is_refused(sandbox, qbo_info):
    auth = authorize(qbo_info)
    first_refresh = auth.refresh_token
    sandbox.control.advance_clock(24 * 3600 + 1)

    auth.refresh()

    assert auth.refresh_token != first_refresh
    stale = AuthClient(qbo_info["client_id"], qbo_info["client_secret"], REDIRECT_URI,
                       environment=qbo_info["discovery_url"])
    with pytest.raises(AuthClientError) as refused:
        stale.refresh(refresh_token=first_refresh)
    assert b"invalid_grant" in refused.value.content
    auth.refresh()  # the new one works
    assert auth.access_token


# -- finding 22: unserved paths and methods answer in QuickBooks' error shape -----------------
# Source: QuickBooks' answer to a path it does not serve, as reported in minimul/qbo_api#79 and
# #81: HTTP 400, ValidationFault, code 500, "Unsupported Operation", "Operation Could not find
# resource for relative : /v3/company/<realm>/vendor of full path: ... is not supported."

def test_an_unserved_path_answers_with_a_quickbooks_fault(qb, qbo_info):
    answer = requests.get(_url(qbo_info, qb, "no-such-entity/1/frobnicate"), headers=_headers(qb),
                          timeout=10)

    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("application/json")
    fault = answer.json()["Fault"]
    assert fault["type"] == "ValidationFault"
    assert fault["Error"][0]["code"] == "500"
    assert fault["Error"][0]["Message"] == "Unsupported Operation"
    assert "Could not find resource for relative : /v3/company/" in fault["Error"][0]["Detail"]


def test_an_unserved_method_answers_with_a_quickbooks_fault(qb, qbo_info):
    answer = requests.delete(_url(qbo_info, qb, "invoice/1"), headers=_headers(qb), timeout=10)

    assert answer.status_code == 400
    error = answer.json()["Fault"]["Error"][0]
    assert (error["code"], error["Message"]) == ("500", "Unsupported Operation")
    assert "No resource method found for DELETE" in error["Detail"]


def test_an_unserved_path_asked_for_in_xml_answers_in_xml(qb, qbo_info):
    answer = requests.get(_url(qbo_info, qb, "no-such-entity"),
                          headers=_headers(qb, Accept="application/xml"), timeout=10)

    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("application/xml")
    assert '<Error code="500">' in answer.text
    assert "<Message>Unsupported Operation</Message>" in answer.text


def test_python_quickbooks_raises_its_unsupported_exception_for_an_unserved_path(qb):
    with pytest.raises(UnsupportedException) as refused:
        qb.get_single_object("NoSuchEntity", "1")
    assert refused.value.error_code == 500
