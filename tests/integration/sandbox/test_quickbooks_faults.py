"""Failures on demand and QuickBooks' own limits, as python-quickbooks surfaces them.

python-quickbooks keeps no HTTP status: a throttle arrives as ``QuickbooksException`` code
10000 whose message holds the XML ``ThrottleExceeded`` body, a 500 as ``SevereException``
(fault code 10000), a gateway 503 as an unparseable body, a lost connection as requests'
``ConnectionError``. These tests pin those shapes, and that ``requestid`` makes a retry safe.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from quickbooks.batch import batch_create
from quickbooks.exceptions import QuickbooksException, SevereException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from .quickbooks_support import new_customer, new_invoice


def _invoice_count(qb) -> int:
    return Invoice.count(qb=qb)


def test_an_injected_429_is_the_xml_throttle_body(sandbox, qb):
    sandbox.control.set_fault("quickbooks", "429", endpoint="POST query", count=1)

    with pytest.raises(QuickbooksException) as throttled:
        Customer.all(qb=qb)
    assert throttled.value.error_code == 10000
    assert "ThrottleExceeded" in throttled.value.message
    assert "statusCode=429" in throttled.value.message
    assert len(Customer.all(qb=qb)) >= 2  # the rule was counted: it fired once


def test_an_injected_500_is_a_severe_exception(sandbox, qb):
    sandbox.control.set_fault("quickbooks", "500", endpoint="POST customer")

    with pytest.raises(SevereException) as failed:
        new_customer(qb, "Harbour Lofts LLC")
    assert failed.value.error_code == 10000
    assert Customer.filter(DisplayName="Harbour Lofts LLC", qb=qb) == []


def test_an_injected_503_is_an_unreadable_gateway_page(sandbox, qb):
    sandbox.control.set_fault("quickbooks", "503", company=qb.company_id)

    with pytest.raises(QuickbooksException) as failed:
        Customer.all(qb=qb)
    assert "Error reading json response" in failed.value.message
    assert "503" in failed.value.message


def test_faults_apply_only_where_they_are_aimed(sandbox, qb):
    sandbox.control.set_fault("quickbooks", "500", endpoint="POST invoice")
    sandbox.control.set_fault("quickbooks", "500", company="some-other-realm")

    customer = new_customer(qb, "Harbour Lofts LLC")

    assert customer.Id
    with pytest.raises(SevereException):
        new_invoice(qb, customer, "10.00")


def test_a_dropped_connection_does_nothing(sandbox, qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    sandbox.control.set_fault("quickbooks", "drop", endpoint="POST invoice", count=1)

    with pytest.raises(requests.exceptions.ConnectionError):
        new_invoice(qb, customer, "10.00")
    assert _invoice_count(qb) == 0


def test_timeout_after_commit_writes_but_never_answers(sandbox, qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    sandbox.control.set_fault("quickbooks", "timeout_after_commit", endpoint="POST invoice",
                              count=1)

    with pytest.raises(requests.exceptions.ConnectionError):
        new_invoice(qb, customer, "10.00")
    assert _invoice_count(qb) == 1


def test_retrying_with_the_same_requestid_after_a_lost_answer_does_not_act_twice(sandbox, qb):
    customer = new_customer(qb, "Harbour Lofts LLC")
    invoice = Invoice.from_json({
        "CustomerRef": {"value": customer.Id},
        "Line": [{"Amount": 10, "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]})
    sandbox.control.set_fault("quickbooks", "timeout_after_commit", endpoint="POST invoice",
                              count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        invoice.save(qb=qb, request_id="milepost-p1-m2-g1")

    retried = invoice.save(qb=qb, request_id="milepost-p1-m2-g1")

    assert _invoice_count(qb) == 1
    assert Invoice.all(qb=qb)[0].Id == retried.Id


def test_a_repeated_requestid_returns_the_first_answer(qb):
    customer = new_customer(qb, "Harbour Lofts LLC")

    first = new_invoice_with_request_id(qb, customer, "req-1")
    second = new_invoice_with_request_id(qb, customer, "req-1")

    assert first.Id == second.Id
    assert _invoice_count(qb) == 1


def new_invoice_with_request_id(qb, customer, request_id):
    invoice = Invoice.from_json({
        "CustomerRef": {"value": customer.Id},
        "Line": [{"Amount": 25, "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]})
    return invoice.save(qb=qb, request_id=request_id)


def test_the_batch_limit_is_40_a_minute_per_company(sandbox, qb):
    for number in range(40):
        customer = Customer()
        customer.DisplayName = f"Batch customer {number}"
        assert batch_create([customer], qb=qb).faults == []

    extra = Customer()
    extra.DisplayName = "One batch too many"
    with pytest.raises(QuickbooksException) as throttled:
        batch_create([extra], qb=qb)
    assert "ThrottleExceeded" in throttled.value.message

    sandbox.control.advance_clock(61)
    assert batch_create([extra], qb=qb).successes


def test_more_than_ten_requests_in_flight_are_throttled(sandbox, qb):
    sandbox.control.set_fault("quickbooks", "slow", endpoint="POST query", delay_seconds=2)

    def count_customers() -> str:
        try:
            Customer.count(qb=qb)
            return "ok"
        except QuickbooksException as error:
            return "throttled" if "ThrottleExceeded" in error.message else "other"

    with ThreadPoolExecutor(max_workers=14) as pool:
        outcomes = list(pool.map(lambda _: count_customers(), range(14)))

    assert outcomes.count("ok") <= 10
    assert outcomes.count("throttled") >= 4


def test_every_answer_carries_an_intuit_tid(sandbox, qb, qbo_info):
    sandbox.control.set_fault("quickbooks", "429", endpoint="GET customer")
    url = f"{qbo_info['api_base']}/company/{qb.company_id}/customer/58"
    headers = {"Authorization": f"Bearer {qb.session.access_token}"}

    throttled = requests.get(url, headers=headers, timeout=10)
    unauthorised = requests.get(url, timeout=10)

    assert throttled.status_code == 429
    assert throttled.headers["intuit_tid"]
    assert unauthorised.status_code == 401
    assert unauthorised.headers["intuit_tid"]


def test_request_counts_per_endpoint_are_readable(sandbox, qb):
    Customer.all(qb=qb)
    Customer.all(qb=qb)
    Customer.get("58", qb=qb)

    assert sandbox.control.request_count("quickbooks", "POST query", qb.company_id) == 2
    assert sandbox.control.request_count("quickbooks", "GET customer", qb.company_id) == 1


def test_the_request_limit_is_500_a_minute_per_company(sandbox, qb, qbo_info):
    sandbox.control.freeze_clock()
    session = requests.Session()
    url = f"{qbo_info['api_base']}/company/{qb.company_id}/customer/58"
    headers = {"Authorization": f"Bearer {qb.session.access_token}",
               "Accept": "application/json"}
    statuses = [session.get(url, headers=headers, timeout=10).status_code for _ in range(500)]
    assert set(statuses) == {200}

    with pytest.raises(QuickbooksException) as throttled:
        Customer.get("58", qb=qb)
    assert "ThrottleExceeded" in throttled.value.message

    sandbox.control.advance_clock(60)
    assert Customer.get("58", qb=qb).DisplayName == "Amy's Bird Sanctuary"
