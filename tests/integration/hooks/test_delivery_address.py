"""Where a delivery connects: to the address its host resolved to when it was checked, once,
never to a second answer of the DNS (rebinding), and never to an inside address.

The resolver is the test's: `socket.getaddrinfo` answers for HOST what the test says, call by
call. Two receivers share one port: 127.0.0.1 stands for the inside, 127.0.0.2 for a public
server (the test's `public_address` takes every address but 127.0.0.1 as public)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from connector.store import subscriptions
from connector.store.models import OutboxRow
from jobs.runner import run_job
from tests.jobs_harness import Stack, schedule_json

from .conftest import Receiver, receiving
from .test_outbound_webhooks import new_key, subscribe

HOST = "hooks.example.test"
INSIDE, OUTSIDE = "127.0.0.1", "127.0.0.2"
REAL_GETADDRINFO = socket.getaddrinfo


class Resolver:
    """Answers HOST with `answers[0]`, then `answers[1]`, ... (the last one from then on)."""

    def __init__(self, *answers: str) -> None:
        self.answers, self.asked = answers, 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != HOST:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        address = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]


@pytest.fixture
def inside_and_outside(receiver: Receiver) -> Iterator[tuple[Receiver, Receiver]]:
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    with receiving(OUTSIDE, port) as outside:
        yield receiver, outside


def _private_urls_off(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    stack.settings = replace(stack.settings, notifications=replace(stack.settings.notifications,
                                                                   private_webhook_urls=False))
    real: Callable[[Any], bool] = subscriptions.public_address
    monkeypatch.setattr(subscriptions, "public_address",
                        lambda address: address != ipaddress.ip_address(INSIDE) and (
                            address == ipaddress.ip_address(OUTSIDE) or real(address)))


def _one_event(stack: Stack, port: int, project: str) -> None:
    answer = subscribe(stack, new_key(stack), f"http://{HOST}:{port}/milepost-events", ["milestone.submitted"])
    assert answer.status_code == 201, answer.text
    stack.api("POST", "/schedules", schedule_json(project))
    stack.api("POST", f"/projects/{project}/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})


def _statuses(stack: Stack) -> list[tuple[str, str | None]]:
    with stack.reading() as session:
        return [(row.status, row.last_error) for row in session.scalars(
            select(OutboxRow).where(OutboxRow.kind == "webhook"))]


def test_a_name_that_answers_public_then_private_is_posted_to_the_public_address(
        stack, inside_and_outside, monkeypatch) -> None:
    inside, outside = inside_and_outside
    port = int(inside.url.rsplit(":", 1)[1].split("/")[0])
    _private_urls_off(stack, monkeypatch)
    _one_event(stack, port, "REBIND-1")
    resolver = Resolver(OUTSIDE, INSIDE)  # checked: public; asked again: the inside
    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    run_job(stack.context(), "drain_outbox")

    assert inside.deliveries == []
    [delivered] = outside.deliveries
    assert delivered.headers["host"] == f"{HOST}:{port}"  # the URL's name, not the address
    assert resolver.asked == 1
    assert _statuses(stack) == [("done", None)]


def test_a_name_that_answers_private_is_refused_at_once(stack, inside_and_outside, monkeypatch) -> None:
    inside, outside = inside_and_outside
    _private_urls_off(stack, monkeypatch)
    _one_event(stack, int(inside.url.rsplit(":", 1)[1].split("/")[0]), "REBIND-2")
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(INSIDE))

    run_job(stack.context(), "drain_outbox")

    assert inside.deliveries == outside.deliveries == []
    [(status, error)] = _statuses(stack)
    assert status == "failed"
    assert "resolves to a non-public address" in str(error)


def test_with_private_urls_allowed_the_address_resolved_first_is_still_the_one_reached(
        stack, inside_and_outside, monkeypatch) -> None:
    inside, outside = inside_and_outside
    _one_event(stack, int(inside.url.rsplit(":", 1)[1].split("/")[0]), "REBIND-3")
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(INSIDE, OUTSIDE))

    run_job(stack.context(), "drain_outbox")

    assert len(inside.deliveries) == 1
    assert outside.deliveries == []
