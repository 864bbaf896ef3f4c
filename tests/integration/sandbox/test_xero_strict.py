"""Issue 10, Xero half: the sandbox refuses what Xero refuses, each rule with its source.

Every finding of "The sandbox, second pass" that concerns Xero has a test here, named for the
behaviour a connector would notice; the comment above each names the Xero page (or SDK) the
rule comes from. Where Xero does not document the behaviour, the sandbox README's assumptions
table says what the sandbox does instead.
"""
# ruff: noqa: F811 - the shared fixtures are imported from test_xero_harness by name

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
from xero_python.accounting import Contact, LineItem, Quote, QuoteLineAmountTypes, Quotes

from tests.integration.sandbox.test_xero_harness import (  # noqa: F401 - fixtures
    OFF_SPEC_HEADER,
    XeroClient,
    XeroSandbox,
    xero,
    xero_spec,
)

MB = 1024 * 1024
OCTETS = "application/octet-stream"  # what xero-python (and the document) send a file as


class Raw:
    """Plain HTTP against the sandbox's Xero API, for what xero-python would not send."""

    def __init__(self, xero: XeroSandbox, token: dict[str, Any] | None = None) -> None:
        self.base = xero.info["api_base"]
        self.tenant = xero.tenants[0]
        self.token = token or xero.authorize()

    def __call__(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                 **kwargs: Any) -> requests.Response:
        sent = {"Authorization": f"Bearer {self.token['access_token']}",
                "xero-tenant-id": self.tenant, "Accept": "application/json", **(headers or {})}
        return requests.request(method, self.base + path, headers=sent, timeout=30, **kwargs)

    def contact(self, name: str, **fields: Any) -> dict[str, Any]:
        answer = self("PUT", "/Contacts", json={"Contacts": [{"Name": name, **fields}]})
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["Contacts"][0])

    def invoice(self, **fields: Any) -> requests.Response:
        contact = self.contact(f"Buyer {len(fields)} {id(fields)}")
        body = {"Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]},
                "Date": "2026-11-02", "DueDate": "2026-12-31", "Status": "DRAFT",
                "LineItems": [{"Description": "Milestone", "Quantity": 1, "UnitAmount": 100,
                               "AccountCode": "200", "TaxType": "OUTPUT2"}], **fields}
        return self("PUT", "/Invoices", json={"Invoices": [body]})


@pytest.fixture
def raw(xero: XeroSandbox) -> Raw:
    return Raw(xero)


def messages(answer: requests.Response) -> list[str]:
    body = answer.json()
    return [e["Message"] for element in body.get("Elements", [])
            for e in element.get("ValidationErrors", [])] + [body.get("Message", "")]


# -- finding 1: attachments ------------------------------------------------------------------
# Xero's Attachments page (developer.xero.com/documentation/api/accounting/attachments):
# "a maximum of 10 attachments per document", each file at most 10 MB, of the listed types.
def test_an_attachment_over_10_mb_is_refused(raw: Raw) -> None:
    invoice = raw.invoice().json()["Invoices"][0]
    path = f"/Invoices/{invoice['InvoiceID']}/Attachments/"

    big = raw("PUT", path + "scan.pdf", data=b"%" * (10 * MB + 1),
              headers={"Content-Type": OCTETS})
    fits = raw("PUT", path + "scan.pdf", data=b"%" * (10 * MB),
               headers={"Content-Type": OCTETS})

    assert big.status_code == 400
    assert big.json()["Type"] == "ValidationException"
    assert any("10 MB" in text for text in messages(big))
    assert fits.status_code == 200


def test_an_eleventh_attachment_is_refused_but_replacing_one_is_not(raw: Raw) -> None:
    invoice = raw.invoice().json()["Invoices"][0]
    path = f"/Invoices/{invoice['InvoiceID']}/Attachments/"
    for number in range(10):
        assert raw("PUT", f"{path}page{number}.pdf", data=b"%PDF",
                   headers={"Content-Type": OCTETS}).status_code == 200

    eleventh = raw("PUT", path + "page10.pdf", data=b"%PDF", headers={"Content-Type": OCTETS})
    again = raw("PUT", path + "page3.pdf", data=b"%PDF-2", headers={"Content-Type": OCTETS})

    assert eleventh.status_code == 400
    assert any("10 attachments" in text for text in messages(eleventh))
    assert again.status_code == 200
    listed = raw("GET", path.rstrip("/")).json()["Attachments"]
    assert len(listed) == 10


def test_an_attachment_of_a_type_xero_does_not_take_is_refused(raw: Raw) -> None:
    invoice = raw.invoice().json()["Invoices"][0]
    path = f"/Invoices/{invoice['InvoiceID']}/Attachments/"

    exe = raw("PUT", path + "setup.exe", data=b"MZ", headers={"Content-Type": OCTETS})

    assert exe.status_code == 400
    assert any(".exe" in text for text in messages(exe))
    assert raw("GET", path.rstrip("/")).json()["Attachments"] == []


# -- finding 2: case in where and in contact-name uniqueness ---------------------------------
# Xero's "Requests and responses" page (developer.xero.com/documentation/api/accounting/
# requests-and-responses, "Retrieving a filtered set"): string comparisons in `where` are
# case sensitive; `Name.ToLower()=="..."` is how a filter ignores case. The Contacts page:
# the name "must be unique across all active contacts", compared without case (issue 10
# finding 2, probed: "ACME CORP" is refused when "Acme Corp" exists).
def test_where_name_equality_is_case_sensitive_and_to_lower_matches_loosely(raw: Raw) -> None:
    raw.contact("Acme Corp", EmailAddress="AP@Acme.example")

    def names(where: str) -> list[str]:
        answer = raw("GET", "/Contacts", params={"where": where})
        assert answer.status_code == 200, answer.text
        return [c["Name"] for c in answer.json()["Contacts"]]

    assert names('Name=="ACME CORP"') == []
    assert names('Name=="Acme Corp"') == ["Acme Corp"]
    assert names('Name.ToLower()=="acme corp"') == ["Acme Corp"]
    assert names('Name.ToUpper()=="ACME CORP"') == ["Acme Corp"]
    assert names('EmailAddress=="ap@acme.example"') == []
    assert names('EmailAddress.ToLower()=="ap@acme.example"') == ["Acme Corp"]
    assert names('Name.ToLower().StartsWith("acme")') == ["Acme Corp"]


def test_contact_names_are_unique_without_case(raw: Raw) -> None:
    raw.contact("Acme Corp")

    shouting = raw("PUT", "/Contacts", json={"Contacts": [{"Name": "ACME CORP"}]})

    assert shouting.status_code == 400
    assert any("already assigned to another contact" in text for text in messages(shouting))
    assert len(raw("GET", "/Contacts", params={"where": 'Name.ToLower()=="acme corp"'})
               .json()["Contacts"]) == 1


# -- finding 3: non-ASCII literals -----------------------------------------------------------
# The same page: `where` takes any string literal; requests are UTF-8 (RFC 3986 percent
# encoding of the query string).
def test_a_non_ascii_literal_in_where_finds_the_contact(raw: Raw) -> None:
    raw.contact("Kōwhai Café Ltd")

    found = raw("GET", "/Contacts", params={"where": 'Name=="Kōwhai Café Ltd"'})

    assert [c["Name"] for c in found.json()["Contacts"]] == ["Kōwhai Café Ltd"]


# -- finding 6: scopes -----------------------------------------------------------------------
# Xero's "Scopes" page (developer.xero.com/documentation/guides/oauth2/scopes) and the
# `security` of each operation in xero_accounting.yaml: invoices need accounting.transactions
# (or accounting.invoices), contact writes need accounting.contacts. Missing scope: 403
# AuthorizationUnsuccessful, with RFC 6750's `insufficient_scope` in WWW-Authenticate.
def token_with(xero: XeroSandbox, scope: str) -> dict[str, Any]:
    from authlib.integrations.requests_client import OAuth2Session

    from tests.integration.sandbox.test_xero_harness import REDIRECT_URI

    session = OAuth2Session(xero.info["client_id"], xero.info["client_secret"], scope=scope,
                            redirect_uri=REDIRECT_URI, code_challenge_method="S256")
    return xero.authorize(session)


def test_a_token_without_accounting_scopes_cannot_read_invoices(xero: XeroSandbox) -> None:
    raw = Raw(xero, token_with(xero, "openid profile email offline_access accounting.contacts"))

    answer = raw("GET", "/Invoices")

    assert answer.status_code == 403
    assert answer.json()["Detail"] == "AuthorizationUnsuccessful"
    assert "insufficient_scope" in answer.headers["WWW-Authenticate"]
    assert raw("GET", "/Contacts").status_code == 200


def test_a_contacts_read_token_cannot_write_contacts(xero: XeroSandbox) -> None:
    raw = Raw(xero, token_with(xero, "offline_access accounting.contacts.read"))

    answer = raw("PUT", "/Contacts", json={"Contacts": [{"Name": "Read Only Ltd"}]})

    assert answer.status_code == 403
    assert raw("GET", "/Contacts", params={"where": 'Name=="Read Only Ltd"'}).json()["Contacts"] == []


def test_granular_scopes_cover_their_own_family_only(xero: XeroSandbox) -> None:
    raw = Raw(xero, token_with(xero, "offline_access accounting.invoices accounting.contacts"))

    assert raw.invoice().status_code == 200
    assert raw("GET", "/Payments").status_code == 403


# -- finding 11: an existing InvoiceNumber on PUT ---------------------------------------------
# Xero's Invoices page, PUT: "Invoice # must be unique." (a create never overwrites).
def test_put_with_an_existing_invoice_number_is_refused(raw: Raw) -> None:
    first = raw.invoice(InvoiceNumber="MP-1001", Reference="first")
    assert first.status_code == 200

    second = raw.invoice(InvoiceNumber="MP-1001", Reference="second")

    assert second.status_code == 400
    assert "Invoice # must be unique." in messages(second)
    [kept] = raw("GET", "/Invoices", params={"InvoiceNumbers": "MP-1001"}).json()["Invoices"]
    assert kept["Reference"] == "first"


# -- finding 12: Idempotency-Key length and unit decimals --------------------------------------
# xero_accounting.yaml, components/parameters/idempotencyKey: "128 character max."
def test_an_idempotency_key_over_128_characters_is_refused(raw: Raw) -> None:
    long_key = "k" * 129
    contact = raw.contact("Keyed Ltd")

    answer = raw("PUT", "/Contacts", json={"Contacts": [{"Name": "Keyed Two Ltd"}]},
                 headers={"Idempotency-Key": long_key})

    assert answer.status_code == 400
    assert any("128" in text for text in messages(answer))
    assert contact["Name"] == "Keyed Ltd"
    assert raw("GET", "/Contacts", params={"where": 'Name=="Keyed Two Ltd"'}).json()["Contacts"] == []


# Xero's Invoices page, LineItems: "By default, unit amount will be rounded to two decimal
# places. You can opt in to use four decimal places by adding the querystring parameter
# unitdp=4 to your query."
def test_unit_amounts_are_rounded_to_two_places_unless_unitdp_is_4(raw: Raw) -> None:
    line = {"Description": "Hours", "Quantity": 3, "UnitAmount": 10.12345, "AccountCode": "200",
            "TaxType": "NONE"}
    two = raw.invoice(LineItems=[line]).json()["Invoices"][0]
    contact = raw.contact("Four Places Ltd")
    four = raw("PUT", "/Invoices", params={"unitdp": 4}, json={"Invoices": [{
        "Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]}, "LineItems": [line]}]})

    assert (two["LineItems"][0]["UnitAmount"], two["LineItems"][0]["LineAmount"]) == (10.12, 30.36)
    four_line = four.json()["Invoices"][0]["LineItems"][0]
    assert (four_line["UnitAmount"], four_line["LineAmount"]) == (10.1235, 30.37)
    again = raw("GET", f"/Invoices/{four.json()['Invoices'][0]['InvoiceID']}", params={"unitdp": 4})
    assert again.json()["Invoices"][0]["LineItems"][0]["UnitAmount"] == 10.1235


# -- finding 16: contact writes validated ----------------------------------------------------
# Xero's Contacts page: "Email address must be valid." and EmailAddress "max length = 255"
# (xero_accounting.yaml, Contact.EmailAddress maxLength 255); DefaultCurrency is a
# CurrencyCode the organisation uses. xero-python raises on a CurrencyCode outside its enum.
@pytest.mark.parametrize(("fields", "expected"), [
    ({"EmailAddress": "no at sign"}, "Email address must be valid."),
    ({"EmailAddress": "a" * 600 + "@example.com"}, "255 characters or fewer"),
    ({"DefaultCurrency": "ZZZ"}, "DefaultCurrency"),
    ({"DefaultCurrency": "JPY"}, "JPY"),
])
def test_contact_writes_are_validated(raw: Raw, fields: dict[str, Any], expected: str) -> None:
    answer = raw("PUT", "/Contacts", json={"Contacts": [{"Name": "Checked Ltd", **fields}]})

    assert answer.status_code == 400
    assert answer.json()["Type"] == "ValidationException"
    assert any(expected in text for text in messages(answer))
    assert raw("GET", "/Contacts", params={"where": 'Name=="Checked Ltd"'}).json()["Contacts"] == []


def test_a_contact_made_inside_an_invoice_needs_a_valid_email_too(raw: Raw) -> None:
    answer = raw("PUT", "/Invoices", json={"Invoices": [{
        "Type": "ACCREC", "Contact": {"Name": "Inline Ltd", "EmailAddress": "inline at example"}}]})

    assert answer.status_code == 400
    assert "Email address must be valid." in messages(answer)
    assert raw("GET", "/Contacts", params={"where": 'Name=="Inline Ltd"'}).json()["Contacts"] == []


def test_unknown_contact_keys_are_not_stored_and_xero_python_reads_the_contact(
        xero: XeroSandbox, raw: Raw) -> None:
    made = raw.contact("Extra Keys Ltd", Shoe="size 9", DefaultCurrency="USD",
                       Addresses=[{"AddressType": "STREET", "City": "Nelson", "Colour": "red"}])

    stored = raw("GET", f"/Contacts/{made['ContactID']}").json()["Contacts"][0]
    read = xero.client(raw.token).accounting.get_contact(raw.tenant, made["ContactID"]).contacts[0]

    assert "Shoe" not in stored
    assert stored["Addresses"] == [{"AddressType": "STREET", "City": "Nelson"}]
    assert (read.name, read.default_currency.value, read.addresses[0].city) == (
        "Extra Keys Ltd", "USD", "Nelson")


# -- finding 17: quotes' LineAmountTypes ------------------------------------------------------
# xero_accounting.yaml: Quote.LineAmountTypes is QuoteLineAmountTypes (EXCLUSIVE, INCLUSIVE,
# NOTAX), unlike invoices' Exclusive/Inclusive/NoTax; xero-python parses with that enum.
def test_quotes_answer_the_quote_line_amount_types_and_xero_python_reads_them(
        xero: XeroSandbox, raw: Raw) -> None:
    contact = raw.contact("Quoted Ltd")
    client = xero.client(raw.token)
    quote = Quote(contact=Contact(contact_id=contact["ContactID"]), date=date(2026, 11, 2),
                  line_amount_types=QuoteLineAmountTypes.INCLUSIVE,
                  line_items=[LineItem(description="Fit-out", quantity=1,
                                       unit_amount=Decimal("1150"), account_code="200",
                                       tax_type="OUTPUT2")])
    made = client.accounting.create_quotes(raw.tenant, Quotes(quotes=[quote])).quotes[0]
    sent_as_exclusive = raw("PUT", "/Quotes", json={"Quotes": [{
        "Contact": {"ContactID": contact["ContactID"]}, "LineAmountTypes": "Exclusive"}]},
        headers={OFF_SPEC_HEADER: "Xero reads enumerations without regard to case"})

    one = client.accounting.get_quote(raw.tenant, made.quote_id).quotes[0]
    every = client.accounting.get_quotes(raw.tenant).quotes

    assert one.line_amount_types.value == "INCLUSIVE"
    assert (one.sub_total, one.total_tax, one.total) == (Decimal("1000"), Decimal("150"), Decimal("1150"))
    assert raw("GET", f"/Quotes/{made.quote_id}").json()["Quotes"][0]["LineAmountTypes"] == "INCLUSIVE"
    assert sent_as_exclusive.json()["Quotes"][0]["LineAmountTypes"] == "EXCLUSIVE"
    assert {q.line_amount_types.value for q in every} == {"INCLUSIVE", "EXCLUSIVE"}


# -- finding 18: huge numbers ----------------------------------------------------------------
# Xero answers every invalid item with a JSON 400 ValidationException (Invoices page,
# "Validation errors"), never an HTML page; the bound itself is in the README's assumptions.
@pytest.mark.parametrize("line", [{"UnitAmount": 1e30}, {"Quantity": 1e28}])
def test_absurd_amounts_answer_a_json_400_not_a_500(raw: Raw, line: dict[str, Any]) -> None:
    base = {"Description": "Too much", "Quantity": 1, "UnitAmount": 1, "AccountCode": "200"}

    answer = raw.invoice(LineItems=[{**base, **line}])

    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["Type"] == "ValidationException"


# -- finding 22: Xero's shapes for what is not served, and clean messages ----------------------
# Xero answers an unknown resource with its 404 text "The resource you're looking for cannot
# be found" and a wrong method with 405; neither is Flask's HTML page.
def test_unserved_paths_and_methods_answer_in_xeros_shape(raw: Raw) -> None:
    missing = raw("GET", "/Widgets")
    wrong_method = raw("DELETE", "/Invoices")

    assert missing.status_code == 404
    assert "<html" not in missing.text.lower()
    assert "cannot be found" in missing.text
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Content-Type"].startswith("application/json")
    assert "<html" not in wrong_method.text.lower()


# The identity server (an OAuth 2 token endpoint, RFC 6749 section 5.2) answers a request it
# cannot take with a JSON `error`, never an HTML page.
def test_the_token_endpoint_answers_a_get_with_an_oauth_error(xero: XeroSandbox) -> None:
    answer = requests.get(xero.info["token_url"], timeout=10)

    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request"}


def test_a_rejected_batch_item_has_a_readable_message_and_no_unknown_keys(raw: Raw) -> None:
    contact = raw.contact("Batch Ltd")

    answer = raw("PUT", "/Quotes", json={"Quotes": [{
        "Contact": {"ContactID": contact["ContactID"]}, "Status": "DELETED", "Gadget": "x"}]})

    assert answer.status_code == 400
    texts = messages(answer)
    assert not any("None" in text for text in texts)
    assert all("Gadget" not in element for element in answer.json()["Elements"])


# -- strictness by construction ---------------------------------------------------------------
# xero_accounting.yaml: the Invoice schema's types and enumerations, the unitdp parameter's
# integer type. Xero refuses a body or parameter outside them with a 400.
@pytest.mark.parametrize(("change", "field"), [
    ({"Type": "ACCRECX"}, "Type"),
    ({"LineAmountTypes": "Sideways"}, "LineAmountTypes"),
    ({"LineItems": [{"Description": "x", "Quantity": "three", "UnitAmount": 1}]}, "Quantity"),
    ({"Reference": ["not", "text"]}, "Reference"),
])
def test_a_body_outside_the_openapi_document_is_refused(raw: Raw, change: dict[str, Any],
                                                        field: str) -> None:
    answer = raw.invoice(**change)

    assert answer.status_code == 400
    assert answer.json()["Type"] == "ValidationException"
    assert any(field in text for text in messages(answer))


def test_a_parameter_of_the_wrong_type_is_refused(raw: Raw) -> None:
    answer = raw("GET", "/Invoices", params={"unitdp": "four"})

    assert answer.status_code == 400
    assert any("unitdp" in text for text in messages(answer))


# -- "xero-python raises nothing reading any answer the sandbox gives" -------------------------
# Issue 10, Must show. xero-python deserialises with the document's enumerations and types.
def test_xero_python_reads_every_collection_the_sandbox_serves(xero: XeroSandbox, raw: Raw) -> None:
    invoice = raw.invoice(Status="AUTHORISED").json()["Invoices"][0]
    assert raw("PUT", "/Payments", json={"Payments": [{
        "Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "090"},
        "Amount": 10, "Date": "2026-11-20"}]}).status_code == 200
    contact = raw.contact("Everything Ltd", EmailAddress="ap@everything.test", DefaultCurrency="AUD",
                          Phones=[{"PhoneType": "MOBILE", "PhoneNumber": "021 555"}])
    assert raw("PUT", "/Quotes", json={"Quotes": [{"Contact": {"ContactID": contact["ContactID"]},
                                                   "LineAmountTypes": "NOTAX"}]}).status_code == 200
    accounting = xero.client(raw.token).accounting
    tenant = raw.tenant

    read = {
        "contacts": accounting.get_contacts(tenant).contacts,
        "items": accounting.get_items(tenant).items,
        "accounts": accounting.get_accounts(tenant).accounts,
        "tax_rates": accounting.get_tax_rates(tenant).tax_rates,
        "tracking": accounting.get_tracking_categories(tenant).tracking_categories,
        "currencies": accounting.get_currencies(tenant).currencies,
        "invoices": accounting.get_invoices(tenant).invoices,
        "quotes": accounting.get_quotes(tenant).quotes,
        "payments": accounting.get_payments(tenant).payments,
        "organisations": accounting.get_organisations(tenant).organisations,
    }

    assert all(read.values()), [name for name, rows in read.items() if not rows]
    assert {c.name for c in read["contacts"]} >= {"Everything Ltd", "Seed Customer Ltd"}
