"""The sandbox's shared machinery: time, faults, limits, replays, persistence and control."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import requests
from intuitlib.client import AuthClient
from quickbooks.objects.customer import Customer

from connector.sandbox.client import SandboxControl, SandboxServer
from connector.sandbox.clock import Clock
from connector.sandbox.faults import FaultPlan
from connector.sandbox.idempotency import Conflict, ReplayCache, StoredAnswer, fingerprint
from connector.sandbox.ratelimit import RateLimiter, Refusal, Window
from connector.sandbox.state import SandboxState
from connector.sandbox.webhooks import sign

from .quickbooks_support import REDIRECT_URI, authorize, client, new_customer


def test_a_frozen_clock_moves_only_when_told():
    clock = Clock()
    frozen = clock.freeze()

    assert clock.now() == frozen
    assert clock.advance(90) == frozen + timedelta(seconds=90)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2030, 1, 1, tzinfo=UTC)


def test_the_clock_refuses_naive_times():
    with pytest.raises(ValueError, match="timezone-aware"):
        Clock().set(datetime(2030, 1, 1))  # noqa: DTZ001


def test_an_advanced_running_clock_keeps_its_offset_after_unfreezing():
    clock = Clock()
    clock.advance(86400)

    assert clock.now() - datetime.now(UTC) > timedelta(hours=23)
    clock.freeze()
    clock.unfreeze()
    assert clock.now() - datetime.now(UTC) > timedelta(hours=23)


def test_a_counted_fault_fires_that_many_times_then_stops():
    plan = FaultPlan()
    plan.add("quickbooks", "500", endpoint="POST invoice", count=2)

    fired = [plan.before("quickbooks", "1", "POST invoice") for _ in range(4)]

    assert [f.kind if f else None for f in fired] == ["500", "500", None, None]
    assert plan.before("quickbooks", "1", "POST customer") is None


def test_a_seeded_fault_rate_is_reproducible():
    def run() -> list[bool]:
        plan = FaultPlan()
        plan.add("xero", "429", rate=0.3, seed=7)
        return [plan.before("xero", "t", "GET Invoices") is not None for _ in range(200)]

    first = run()
    assert first == run()
    assert 30 < sum(first) < 90


def test_unknown_fault_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultPlan().add("quickbooks", "418")


def test_a_rate_window_refuses_past_its_limit_until_the_clock_moves():
    clock = Clock()
    clock.freeze()
    limiter = RateLimiter(clock)
    minute = Window(("xero", "t1", "minute"), 3, 60, "minute")

    answers = [limiter.admit([minute]) for _ in range(4)]

    assert [isinstance(a, Refusal) for a in answers] == [False, False, False, True]
    assert answers[-1].problem == "minute"
    assert 1 <= answers[-1].retry_after <= 60
    clock.advance(61)
    assert not isinstance(limiter.admit([minute]), Refusal)


def test_a_refused_request_does_not_use_up_the_other_windows():
    clock = Clock()
    clock.freeze()
    limiter = RateLimiter(clock)
    tight = Window(("x", "tight"), 1, 60, "minute")
    roomy = Window(("x", "roomy"), 5, 60, "day")
    limiter.admit([tight, roomy])

    limiter.admit([tight, roomy])

    assert limiter.remaining(roomy) == 4


def test_concurrency_slots_are_returned():
    limiter = RateLimiter(Clock())
    assert limiter.enter(("q", "r"), 1)
    assert not limiter.enter(("q", "r"), 1)
    limiter.leave(("q", "r"))
    assert limiter.enter(("q", "r"), 1)


def test_the_replay_cache_returns_the_first_answer_and_spots_a_different_body():
    cache = ReplayCache()
    print_ = fingerprint("POST", "/x", b"{}")
    assert cache.claim("xero", "t", "k", print_) is None
    cache.store("xero", "t", "k", StoredAnswer(200, (), b"first", print_))

    assert cache.claim("xero", "t", "k", print_).body == b"first"
    with pytest.raises(Conflict):
        cache.claim("xero", "t", "k", fingerprint("POST", "/x", b"{\"other\":1}"))
    assert cache.claim("xero", "other-tenant", "k", print_) is None


def test_sign_is_base64_hmac_sha256_as_in_rfc_4231():
    published = bytes.fromhex(
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")  # test case 2

    assert sign("Jefe", b"what do ya want for nothing?") == base64.b64encode(published).decode()


def test_info_lists_credentials_and_companies():
    with SandboxServer() as server:
        info = server.info()["quickbooks"]

    assert info["api_base"].endswith("/v3")
    assert {c["currency"] for c in info["companies"]} == {"USD"}
    assert len(info["companies"]) == 2
    assert info["client_secret"]
    assert info["webhook_verifier_token"]


def test_each_fresh_sandbox_has_its_own_credentials():
    assert SandboxState().apps != SandboxState().apps


def test_reset_restores_the_seeded_books_and_keeps_credentials_and_grants():
    with SandboxServer() as server:
        info = server.info()["quickbooks"]
        qb = client(info, authorize(info))
        new_customer(qb, "Harbour Lofts LLC")
        server.control.set_fault("quickbooks", "500", endpoint="POST nothing")

        server.control.reset()

        assert server.info()["quickbooks"]["client_id"] == info["client_id"]
        assert server.control.faults() == []
        assert server.control.stats() == []
        assert Customer.count(qb=qb) == 2  # the grant survived; the new customer did not


def test_the_books_and_credentials_survive_a_restart_through_the_state_file(tmp_path):
    path = tmp_path / "sandbox.json"
    first = SandboxState.load(path)
    with SandboxServer(first) as server:
        info = server.info()["quickbooks"]
        auth = authorize(info)
        customer = new_customer(client(info, auth), "Harbour Lofts LLC")
    first.save()

    second = SandboxState.load(path)
    with SandboxServer(second) as server:
        again = server.info()["quickbooks"]
        restarted = AuthClient(again["client_id"], again["client_secret"], REDIRECT_URI,
                               environment=again["discovery_url"], realm_id=auth.realm_id)
        restarted.refresh(refresh_token=auth.refresh_token)  # the grant survived too
        found = client(again, restarted)

        assert again["client_secret"] == info["client_secret"]
        assert found.query(f"SELECT * FROM Customer WHERE Id = '{customer.Id}'")[
            "QueryResponse"]["Customer"][0]["DisplayName"] == "Harbour Lofts LLC"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_clock_latency_and_rate_limit_controls_answer():
    with SandboxServer() as server:
        control = SandboxControl(server.url)

        moved = control.set_clock("2031-05-01T12:00:00+00:00", freeze=True)
        assert moved["now"].startswith("2031-05-01T12:00:00")
        assert control.advance_clock(30)["now"].startswith("2031-05-01T12:00:30")
        assert control.set_latency(quickbooks=5)["quickbooks"] == 5
        assert control.set_rate_limits(False) == {"enabled": False}
        bad = requests.post(server.url + "/_sandbox/faults", json={"service": "quickbooks",
                                                                   "kind": "teapot"}, timeout=5)
        assert bad.status_code == 400


def test_milepost_sandbox_serve_prints_its_urls_and_credentials(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "connector.sandbox.cli", "serve", "--port", "0",
         "--auto-consent", "--state", str(tmp_path / "state.json")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        first = process.stdout.readline()
        assert first.startswith("Milepost sandbox at http://127.0.0.1:")
        base = first.split(" at ")[1].strip()
        banner = "".join(process.stdout.readline() for _ in range(7))
        info = requests.get(base + "/_sandbox/info", timeout=10).json()
        assert info["quickbooks"]["client_secret"] in banner
        assert info["quickbooks"]["discovery_url"] in banner
    finally:
        process.terminate()
        process.wait(timeout=10)
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["apps"]["quickbooks"]["client_id"] == info["quickbooks"]["client_id"]


def test_the_http_server_reads_chunked_bodies_and_honours_connection_close():
    import socket as sockets

    with SandboxServer() as server:
        port = int(server.url.rsplit(":", 1)[1])
        body = b'{"service": "quickbooks", "kind": "500", "endpoint": "POST nothing"}'
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        with sockets.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"POST /_sandbox/faults HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                        b"Connection: close\r\n\r\n" + chunked)
            answer = b""
            while chunk := raw.recv(65536):
                answer += chunk

        assert answer.startswith(b"HTTP/1.1 201")
        assert b"Connection: close" in answer
        assert [rule["endpoint"] for rule in server.control.faults()] == ["POST nothing"]


def test_the_werkzeug_server_serves_the_same_app():
    with SandboxServer(http_server="werkzeug") as server:
        info = server.info()["quickbooks"]
        qb = client(info, authorize(info))

        assert Customer.count(qb=qb) == 2
