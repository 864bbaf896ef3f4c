"""Customer matching: stored mapping, then email, then exact name; never a duplicate."""

from __future__ import annotations

import json

from quickbooks.mixins import DecimalEncoder

from connector.billing.model import Customer

ACME = Customer(name="Dana Reyes", email="ap@acme.example", company="Acme Corp")


def qbo_customers(qbo) -> list[dict]:
    return qbo.query("SELECT * FROM Customer", "Customer")


def xero_contacts(xero) -> list:
    return xero.call(lambda api: api.get_contacts(xero._tenant)).contacts


def test_quickbooks_matches_mapping_then_name_then_email_with_names_agreeing(qbo) -> None:
    seeded = next(c for c in qbo_customers(qbo) if c["DisplayName"] == "Cool Cars")
    email = seeded["PrimaryEmailAddr"]["Address"]

    by_mapping = qbo.find_or_create_customer(Customer("Someone Else", "x@y.example"), known_id=seeded["Id"])
    by_email = qbo.find_or_create_customer(Customer("COOL CARS, Inc.", email))
    by_name = qbo.find_or_create_customer(Customer("Cool Cars", "new-address@coolcars.example"))

    assert by_mapping.id == by_email.id == by_name.id == seeded["Id"]
    assert (by_mapping.how, by_email.how, by_name.how) == ("stored id", "e-mail, names agreeing", "name")


def test_a_shared_accounts_email_never_bills_another_customer(qbo, xero) -> None:
    """Issue 8, finding 9: "Birdie Sanctuary LLC" was billed on "Amy's Bird Sanctuary" because
    both use the same accounts mailbox. An e-mail decides only when the names agree."""
    amys = next(c for c in qbo_customers(qbo) if c["DisplayName"] == "Amy's Bird Sanctuary")
    birdie = Customer("Birdie Sanctuary LLC", amys["PrimaryEmailAddr"]["Address"])

    in_quickbooks = qbo.find_or_create_customer(birdie)
    amys_contact = xero.find_or_create_customer(Customer("Amy's Bird Sanctuary", "birds@example.com"))
    in_xero = xero.find_or_create_customer(Customer("Birdie Sanctuary LLC", "birds@example.com"))

    assert (in_quickbooks.id != amys["Id"], in_quickbooks.name, in_quickbooks.how) == (
        True, "Birdie Sanctuary LLC", "created")
    assert (in_xero.id != amys_contact.id, in_xero.name, in_xero.how) == (True, "Birdie Sanctuary LLC", "created")


def test_quickbooks_creates_a_new_customer_once(qbo) -> None:
    before = len(qbo_customers(qbo))

    first = qbo.find_or_create_customer(ACME)
    second = qbo.find_or_create_customer(ACME)

    assert first == second
    assert first.name == "Acme Corp"
    assert len(qbo_customers(qbo)) == before + 1


def test_quickbooks_display_name_taken_by_an_inactive_customer_gets_a_distinct_name(qbo) -> None:
    """DisplayName is unique even against inactive customers, which queries do not return."""
    body = {"DisplayName": "Acme Corp", "Active": False, "PrimaryEmailAddr": {"Address": "old@acme.example"}}
    qbo.call(lambda qb: qb.create_object("Customer", json.dumps(body, cls=DecimalEncoder)))

    ref = qbo.find_or_create_customer(ACME)
    again = qbo.find_or_create_customer(ACME)

    assert ref.name == "Acme Corp (Dana Reyes)"
    assert again == ref


def test_xero_matches_email_then_name_and_creates_once(xero) -> None:
    before = len(xero_contacts(xero))

    created = xero.find_or_create_customer(ACME)
    by_email = xero.find_or_create_customer(Customer("Dana R.", "ap@acme.example", company="ACME CORP Ltd"))
    by_name = xero.find_or_create_customer(Customer("Dana Reyes", "other@acme.example", company="Acme Corp"))
    by_mapping = xero.find_or_create_customer(Customer("Whoever", "who@ever.example"), known_id=created.id)

    assert created.id == by_email.id == by_name.id == by_mapping.id
    assert len(xero_contacts(xero)) == before + 1


def test_xero_name_held_by_an_archived_contact_is_no_obstacle(xero) -> None:
    from xero_python.accounting import Contact, Contacts

    old = xero.call(lambda api: api.create_contacts(xero._tenant, Contacts(contacts=[Contact(name="Acme Corp")]))).contacts[0]
    xero.call(lambda api: api.update_contact(xero._tenant, old.contact_id, Contacts(contacts=[Contact(contact_id=old.contact_id, contact_status="ARCHIVED")])))

    ref = xero.find_or_create_customer(ACME)

    assert ref.id != str(old.contact_id)
    assert ref.name == "Acme Corp"


def test_xero_finds_an_existing_contact_whatever_its_case_and_makes_no_second(xero) -> None:
    """Issue 10 finding 2. Xero's `where` compares `Name==` and `EmailAddress==` with case
    (developer.xero.com/documentation/api/accounting/requests-and-responses: use ToLower() to
    match loosely) while contact names are unique without case: a lookup by `Name==` misses
    "ACME CORP", the create is refused as a duplicate and a second contact would be made."""
    from xero_python.accounting import Contact, Contacts

    shouting = xero.call(lambda api: api.create_contacts(xero._tenant, Contacts(contacts=[
        Contact(name="ACME CORP", email_address="AP@ACME.EXAMPLE")]))).contacts[0]
    before = len(xero_contacts(xero))

    by_name = xero.find_or_create_customer(Customer("Dana Reyes", "other@acme.example", company="Acme Corp"))
    by_email = xero.find_or_create_customer(Customer("Dana R.", "ap@acme.example", company="Acme Corp Ltd"))

    assert by_name.id == by_email.id == str(shouting.contact_id)
    assert len(xero_contacts(xero)) == before


def test_quickbooks_finds_a_customer_by_email_with_one_query_after_the_name(qbo, sandbox) -> None:
    seeded = next(c for c in qbo_customers(qbo) if c["DisplayName"] == "Cool Cars")
    queries = sandbox.control.request_count("quickbooks", "POST query", qbo._realm)

    found = qbo.find_or_create_customer(Customer("Cool Cars LLC", seeded["PrimaryEmailAddr"]["Address"].upper()))

    assert found.id == seeded["Id"]
    # one query by display name (no "Cool Cars LLC"), one by e-mail
    assert sandbox.control.request_count("quickbooks", "POST query", qbo._realm) == queries + 2


def test_quickbooks_never_reads_the_whole_customer_list_to_match_an_email(qbo, sandbox) -> None:
    queries = sandbox.control.request_count("quickbooks", "POST query", qbo._realm)

    created = qbo.find_or_create_customer(ACME)  # nobody has that address yet

    assert created.name == "Acme Corp"
    # one query by display name, one by e-mail, then the create
    assert sandbox.control.request_count("quickbooks", "POST query", qbo._realm) == queries + 2
