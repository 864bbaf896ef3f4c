"""Issue 9 finding 4: idempotency keys travel in headers (Xero `Idempotency-Key`) and query
strings (QuickBooks `requestid`), so they must be ASCII and within each platform's limit
(Xero 128: its OpenAPI `components/parameters/idempotencyKey`; QuickBooks 50: Intuit's
"Request ID update" post), and the same for the same write in every process."""

from __future__ import annotations

import subprocess
import sys

from connector.platforms.header_keys import header_safe
from connector.platforms.quickbooks import request_id_for
from connector.platforms.xero import idempotency_key_for


def test_a_plain_ascii_key_is_sent_as_it_is() -> None:
    assert idempotency_key_for("milepost:ACME-WEB:2:1") == "milepost:ACME-WEB:2:1"


def test_a_non_ascii_or_long_key_becomes_ascii_within_the_limit() -> None:
    contact = idempotency_key_for("milepost-contact", "tenant-1", "Ōtaki Builders", "ap@otaki.example")
    file = idempotency_key_for("milepost:ACME-WEB:2:1", "attachment", "Übergabe 📎.pdf")
    long = idempotency_key_for("milepost:" + "K" * 300 + ":2:1")

    for key in (contact, file, long):
        assert key.isascii()
        assert len(key) <= 128
        key.encode("latin-1")  # what http.client does with a header value
    assert contact.startswith("milepost-contact:tenant-1:-taki-Builders")


def test_keys_that_differ_only_in_what_sanitizing_removes_stay_apart() -> None:
    assert idempotency_key_for("c", "Ōtaki") != idempotency_key_for("c", "Otaki")
    assert idempotency_key_for("c", "Ōtaki") != idempotency_key_for("c", "Ütaki")
    assert header_safe("a b", 128) != header_safe("a-b", 128)


def test_quickbooks_request_ids_are_ascii_and_within_fifty_characters() -> None:
    rid = request_id_for("attachment", "9130", "milepost:ACME-WEB:2:1", "Übergabe 📎.pdf" * 20)

    assert rid.isascii()
    assert len(rid) <= 50


def test_keys_are_the_same_in_another_process() -> None:
    """A retry after a crash runs in a new process: the key must not depend on the process
    (no salted hash()), or the platform's replay would not recognise it."""
    code = ("from connector.platforms.xero import idempotency_key_for as x;"
            "from connector.platforms.quickbooks import request_id_for as q;"
            "print(x('c', 'Ōtaki Builders'), q('c', 'Ōtaki Builders'))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": ""}).stdout.split()

    assert other == [idempotency_key_for("c", "Ōtaki Builders"), request_id_for("c", "Ōtaki Builders")]
