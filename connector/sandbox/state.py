"""Everything the sandbox remembers, behind one lock.

``SandboxState`` is what a test holds when it runs the sandbox in-process and what
``--state FILE`` persists so a demo survives a restart. The per-service books (QuickBooks
companies, Xero organisations) live in their own objects; this module holds what both share:
time, faults, limits, replays, webhooks, the registered OAuth apps and request counts.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from .clock import Clock
from .faults import FaultPlan
from .idempotency import ReplayCache
from .openid import default_people
from .ratelimit import RateLimiter
from .webhooks import WebhookOutbox

STATE_VERSION = 1


def new_apps() -> dict[str, dict[str, str]]:
    """Fresh random credentials: every sandbox start-up without a state file gets its own."""
    return {
        "quickbooks": {
            "client_id": "AB" + secrets.token_hex(20),
            "client_secret": secrets.token_urlsafe(30),
            "webhook_verifier_token": secrets.token_hex(16),
        },
        "xero": {
            "client_id": secrets.token_hex(16).upper(),
            "client_secret": secrets.token_urlsafe(36),
            "webhook_key": secrets.token_urlsafe(64),
        },
    }


def _xero_class() -> Any:
    """The Xero books class, imported lazily so the core works before (or without) it."""
    try:
        return importlib.import_module("connector.sandbox.xero").XeroState
    except (ImportError, AttributeError):
        return None


def _build(cls: Any, clock: Clock, data: dict | None = None) -> Any:
    if cls is None:
        return None
    if data is not None and hasattr(cls, "from_json"):
        try:
            return cls.from_json(data, clock)
        except TypeError:
            return cls.from_json(data)
    if hasattr(cls, "seeded"):
        try:
            return cls.seeded(clock)
        except TypeError:
            return cls.seeded()
    return cls()


class SandboxState:
    def __init__(self, apps: dict[str, dict[str, str]] | None = None) -> None:
        from .quickbooks.books import QuickBooksState

        self.lock = threading.RLock()
        self.clock = Clock()
        self.faults = FaultPlan()
        self.limiter = RateLimiter(self.clock)
        self.replay = ReplayCache()
        self.webhooks = WebhookOutbox(self.clock)
        self.apps = apps or new_apps()
        self.latency_ms: dict[str, float] = {"quickbooks": 0.0, "xero": 0.0}
        # who is signed in at Intuit / Xero, for OpenID Connect (connector/sandbox/openid.py)
        self.people = default_people()
        self.counters: Counter[tuple[str, str, str]] = Counter()
        self._counter_lock = threading.Lock()
        self.state_file: Path | None = None
        self._quickbooks_class = QuickBooksState
        self.quickbooks = _build(QuickBooksState, self.clock)
        self.xero = _build(_xero_class(), self.clock)

    # -- request counts -------------------------------------------------------------------
    def count(self, service: str, company: str, endpoint: str) -> None:
        with self._counter_lock:
            self.counters[(service, company, endpoint)] += 1

    def stats(self) -> list[dict]:
        with self._counter_lock:
            rows = sorted(self.counters.items())
        return [{"service": s, "company": c, "endpoint": e, "count": n}
                for (s, c, e), n in rows]

    # -- lifecycle --------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the seeded books and no faults, counts, replays or webhook log.

        App credentials, webhook targets and (where a service offers ``adopt_grants``) the
        OAuth grants survive, so a connected client keeps working against fresh books.
        """
        with self.lock:
            self.clock.reset()
            self.faults.remove()
            self.limiter.reset()
            self.replay.reset()
            self.webhooks.reset()
            self.latency_ms = {"quickbooks": 0.0, "xero": 0.0}
            self.people = default_people()
            with self._counter_lock:
                self.counters.clear()
            old_quickbooks, old_xero = self.quickbooks, self.xero
            self.quickbooks = _build(self._quickbooks_class, self.clock)
            self.xero = _build(_xero_class(), self.clock)
            for new, old in ((self.quickbooks, old_quickbooks), (self.xero, old_xero)):
                if new is not None and old is not None and hasattr(new, "adopt_grants"):
                    new.adopt_grants(old)

    def to_json(self) -> dict:
        with self.lock:
            return {
                "version": STATE_VERSION,
                "apps": self.apps,
                "clock": self.clock.to_json(),
                "quickbooks": self.quickbooks.to_json(),
                "xero": self.xero.to_json() if self.xero is not None else None,
            }

    @classmethod
    def from_json(cls, data: dict) -> SandboxState:
        state = cls(apps=data.get("apps"))
        state.clock.load_json(data.get("clock", {}))
        if data.get("quickbooks") is not None:
            state.quickbooks = _build(state._quickbooks_class, state.clock, data["quickbooks"])
        if data.get("xero") is not None:
            state.xero = _build(_xero_class(), state.clock, data["xero"]) or state.xero
        return state

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SandboxState:
        """Read a state file, or start fresh (and remember the path) when it does not exist."""
        file = Path(path)
        state = cls.from_json(json.loads(file.read_text())) if file.exists() else cls()
        state.state_file = file
        return state

    def save(self, path: str | os.PathLike[str] | None = None) -> None:
        """Write atomically, so a crash mid-write never leaves a demo with a torn file."""
        target = Path(path) if path is not None else self.state_file
        if target is None:
            return
        with self.lock:  # serialise under the lock: the books are live dictionaries
            text = json.dumps(self.to_json(), indent=1, sort_keys=True, default=str)
        handle, temp = tempfile.mkstemp(dir=target.parent or Path("."), prefix=".sandbox-")
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(temp, target)
        os.chmod(target, 0o600)


def current_state() -> SandboxState:
    """The state of the sandbox app serving the current request."""
    from flask import current_app

    return current_app.extensions["milepost_sandbox"]
