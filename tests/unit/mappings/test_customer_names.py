"""Specification: when a customer found by e-mail alone is the same customer (issue 8, finding 9)."""

from __future__ import annotations

import pytest

from connector.billing.model import Customer
from mappings.customers import email_match, names_agree, normalised_name


@pytest.mark.parametrize(("a", "b"), [
    ("Acme Corp", "ACME Corporation"),
    ("Kōwhai Café Ltd.", "KOWHAI CAFE"),
    ("Cool Cars, Inc.", "cool cars"),
])
def test_names_that_agree_after_normalising(a, b):
    assert normalised_name(a) == normalised_name(b)


def test_names_of_two_companies_sharing_a_mailbox_do_not_agree():
    assert not names_agree(Customer("Birdie Sanctuary LLC", "birds@example.com"), "Amy's Bird Sanctuary")
    assert names_agree(Customer("Dana Reyes", "ap@acme.example", "Acme Corp"), "ACME CORP")


def test_an_email_decides_only_for_exactly_one_customer_whose_name_agrees():
    acme = Customer("Dana Reyes", "ap@acme.example", "Acme Corp")
    assert email_match(acme, [("7", "Acme Corp.")]) == "7"
    assert email_match(acme, [("7", "Acme Corp."), ("8", "Acme Corp (old)")]) is None
    assert email_match(acme, [("9", "Acme Holdings")]) is None
    assert email_match(acme, []) is None
