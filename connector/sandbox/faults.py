"""Faults on demand: the failures a real platform throws at a connector, switched on by a test.

A ``FaultRule`` names where it applies (service, company, endpoint glob) and what happens
(kind, share of requests, how many times). ``FaultPlan.before`` is asked once per request;
each service renders the resulting ``Fault`` in its own platform's shape, because a connector
is only tested honestly against the bodies and statuses the real service sends.

Kinds:
  "429", "500", "503"     answer with that status instead of running the request
  "slow"                  sleep ``delay_seconds`` and then answer normally
  "drop"                  close the connection without an answer; nothing happens
  "timeout_after_commit"  run the request and commit it, then close the connection: the
                          client never learns that its write succeeded
"""

from __future__ import annotations

import fnmatch
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from flask import Response, request

FAULT_KINDS = ("429", "500", "503", "slow", "drop", "timeout_after_commit")
SERVICES = ("quickbooks", "xero", "*")


@dataclass(frozen=True)
class Fault:
    kind: str
    delay_seconds: float = 0.0

    @property
    def status(self) -> int | None:
        return int(self.kind) if self.kind.isdigit() else None


@dataclass
class FaultRule:
    service: str
    kind: str
    company: str = "*"
    endpoint: str = "*"
    rate: float = 1.0
    count: int | None = None
    seed: int | None = None
    delay_seconds: float = 2.0
    id: int = 0
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.service not in SERVICES:
            raise ValueError(f"unknown service {self.service!r}")
        if not 0.0 <= float(self.rate) <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self._rng = random.Random(self.seed)

    def matches(self, service: str, company: str, endpoint: str) -> bool:
        return (
            self.service in ("*", service)
            and self.company in ("*", company)
            and fnmatch.fnmatchcase(endpoint.lower(), self.endpoint.lower())
        )

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("_rng", None)
        return data


class FaultPlan:
    """The set of active fault rules; thread-safe, first matching rule that fires wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, service: str, kind: str, company: str = "*", endpoint: str = "*",
            rate: float = 1.0, count: int | None = None, seed: int | None = None,
            delay_seconds: float = 2.0) -> FaultRule:
        rule = FaultRule(service=service, kind=str(kind), company=str(company),
                         endpoint=endpoint, rate=float(rate), count=count, seed=seed,
                         delay_seconds=float(delay_seconds))
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            self._rules.append(rule)
        return rule

    def remove(self, rule_id: int | None = None) -> None:
        """Remove one rule, or every rule when no id is given."""
        with self._lock:
            if rule_id is None:
                self._rules.clear()
            else:
                self._rules = [r for r in self._rules if r.id != rule_id]

    def rules(self) -> list[dict]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def before(self, service: str, company: str, endpoint: str) -> Fault | None:
        """Decide whether this request fails, and how; consumes one use of a counted rule."""
        with self._lock:
            if not self._rules:
                return None
            for rule in self._rules:
                if not rule.matches(service, company, endpoint):
                    continue
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                if rule.rate < 1.0 and rule._rng.random() >= rule.rate:
                    continue
                rule.fired += 1
                return Fault(rule.kind, rule.delay_seconds)
        return None


def drop_connection() -> Response:
    """Close the client's socket so it sees a connection error instead of an answer.

    The werkzeug development server exposes the socket in the WSGI environ; after shutting it
    down, werkzeug's attempt to write the response fails with a broken pipe, which it ignores.
    """
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    return Response(b"", status=500)


def with_fault(fault: Fault | None, handler: Callable[[], Response],
               render_status: Callable[[Fault], Response]) -> Response:
    """Run ``handler`` under ``fault``, rendering status faults with the service's renderer."""
    if fault is None:
        return handler()
    if fault.status is not None:
        return render_status(fault)
    if fault.kind == "slow":
        time.sleep(fault.delay_seconds)
        return handler()
    if fault.kind == "drop":
        return drop_connection()
    handler()  # timeout_after_commit: the write happens, the answer is lost
    return drop_connection()
