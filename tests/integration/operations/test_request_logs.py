"""Each web request gets an id, echoed back and carried by every line it logs, secrets left out."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest
from flask import Flask

from connector.config import SandboxSettings, Settings
from connector.web import create_app
from tests.log_lines import captured, from_logger


@pytest.fixture
def app(sqlite_engine, sqlite_url) -> Flask:
    settings = replace(Settings().with_database(sqlite_url), sandbox=SandboxSettings(enabled=False))
    made = create_app(settings, environ={})
    made.config["TESTING"] = True
    return made


def test_a_request_line_carries_the_callers_request_id_and_echoes_it(app) -> None:
    with captured() as lines:
        answer = app.test_client().get("/admin/login", headers={"X-Request-ID": "lb-7f3a.42"})

    assert answer.headers["X-Request-ID"] == "lb-7f3a.42"
    [line] = from_logger(lines, "milepost.web.access")
    assert line["request_id"] == "lb-7f3a.42"
    assert line["message"].startswith("GET /admin/login 200")
    assert (line["level"], line["method"], line["path"], line["status"]) == ("INFO", "GET", "/admin/login", 200)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])


def test_without_a_usable_request_id_one_is_made_and_each_request_gets_its_own(app) -> None:
    client = app.test_client()
    with captured() as lines:
        first = client.get("/admin/login", headers={"X-Request-ID": "two words \"quoted\" \u202e"})
        second = client.get("/admin/login")

    made = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in made)
    assert made[0] != made[1]
    assert [line["request_id"] for line in from_logger(lines, "milepost.web.access")] == made


def test_lines_a_view_logs_carry_its_request_id_and_none_outlive_the_request(app) -> None:
    client = app.test_client()
    with captured() as lines:
        client.post("/webhooks/quickbooks", data=b"{}", headers={"X-Request-ID": "req-a",
                                                                  "intuit-signature": "forged"})
        client.get("/admin/login", headers={"X-Request-ID": "req-b"})
        logging.getLogger("milepost.test").warning("between requests")

    [refused] = from_logger(lines, "milepost.webhooks")
    assert "bad signature" in refused["message"]
    assert refused["request_id"] == "req-a"
    assert [line["request_id"] for line in from_logger(lines, "milepost.web.access")] == ["req-a", "req-b"]
    [between] = from_logger(lines, "milepost.test")
    assert "request_id" not in between


@pytest.mark.parametrize("path", [
    "/portal/eyJrIjoiQUNNRS1XRUIifQ.Z3Vlc3M.c2lnbmF0dXJl",  # an approver's portal link
    "/portal/evidence/eyJlIjoiZGFuYUBhY21lLmV4YW1wbGUifQ.Z3Vlc3M.c2lnbmF0dXJl",  # an evidence file's link
])
def test_a_signed_links_token_never_reaches_the_request_line(app, path: str) -> None:
    token = path.rsplit("/", 1)[1]
    with captured() as lines:
        app.test_client().get(path)

    [line] = from_logger(lines, "milepost.web.access")
    assert line["path"] == "/portal/[redacted]"
    assert token not in str(lines)
