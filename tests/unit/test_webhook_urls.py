"""Which subscription URLs may receive events, and how a malformed signature header is refused
(never an exception escaping as a 500). Signatures are computed here with hmac and base64."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from connector.standard_webhooks import Refused, new_secret, signed_headers, verify
from connector.store.subscriptions import url_problem
from tests.webhook_signatures import signature

PUBLIC = [
    "https://hooks.example.com/milepost",
    "http://hooks.example.com:8080/in?token=abc",
    "https://93.184.216.34/in",
]
REFUSED = [
    ("ftp://hooks.example.com/x", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("hooks.example.com/x", "scheme"),
    ("https:///nohost", "url"),
    ("https://user:pw@hooks.example.com/x", "credentials"),
    ("https://hooks.example.com:99999/x", "url"),
    ("https://hooks.example.com/a b", "control_character"),
    ("http://127.0.0.1:8000/x", "private_address"),
    ("http://localhost/x", "private_address"),
    ("http://api.localhost/x", "private_address"),
    ("http://10.1.2.3/x", "private_address"),
    ("http://192.168.0.10/x", "private_address"),
    ("http://169.254.169.254/latest/meta-data", "private_address"),
    ("http://[::1]/x", "private_address"),
    ("http://[::ffff:10.0.0.1]/x", "private_address"),
    ("http://0.0.0.0/x", "private_address"),
    ("https://" + "a" * 2000 + ".example/x", "too_long"),
    ("", "required"),
]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_http_urls_are_accepted(url):
    assert url_problem(url, private_ok=False) is None


@pytest.mark.parametrize(("url", "rule"), REFUSED)
def test_other_urls_are_refused_naming_the_rule(url, rule):
    found = url_problem(url, private_ok=False)
    assert found is not None
    assert found[0] == rule


def test_private_addresses_are_allowed_only_when_configured():
    assert url_problem("http://127.0.0.1:8000/x", private_ok=True) is None
    assert url_problem("ftp://127.0.0.1/x", private_ok=True) == url_problem("ftp://127.0.0.1/x", private_ok=False)


def test_our_signature_is_the_one_the_specification_describes():
    secret, body = new_secret(), b'{"type":"invoice.created"}'
    at = datetime.now(UTC)

    headers = signed_headers(secret, "msg_1", body, at)

    assert headers["webhook-signature"] == signature(secret, "msg_1", int(at.timestamp()), body)
    assert verify(secret, headers, body, at) == "msg_1"


@pytest.mark.parametrize("bad", ["v1", "v1,%%%", "v1,a,b", "v2,abc", " ", "v1,"])
def test_a_malformed_signature_header_is_refused_not_raised(bad):
    secret, body = new_secret(), b"{}"
    stamp = str(int(time.time()))
    with pytest.raises(Refused) as refused:
        verify(secret, {"webhook-id": "m", "webhook-timestamp": stamp, "webhook-signature": bad}, body,
               datetime.now(UTC))
    assert refused.value.field in ("webhook-signature",)


@pytest.mark.parametrize("stamp", ["abc", "-5", "1e9", "99999999999999999", "１２３"])
def test_a_malformed_timestamp_is_refused(stamp):
    with pytest.raises(Refused) as refused:
        verify(new_secret(), {"webhook-id": "m", "webhook-timestamp": stamp, "webhook-signature": "v1,x"}, b"{}",
               datetime.now(UTC))
    assert (refused.value.field, refused.value.rule) == ("webhook-timestamp", "timestamp")


def test_a_body_that_is_not_utf8_is_refused_not_raised():
    secret = new_secret()
    stamp = int(time.time())
    body = b"\xff\xfe"
    headers = {"webhook-id": "m", "webhook-timestamp": str(stamp), "webhook-signature": signature(secret, "m", stamp, body)}
    with pytest.raises(Refused):
        verify(secret, headers, body, datetime.now(UTC))
